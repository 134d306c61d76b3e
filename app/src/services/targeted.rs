//! Targeted messages (SPEC C10.4): banners, modals, slide-ins and tooltips the
//! widget script shows on the customer's own site.
//!
//! - **Admin** (`ManageCampaigns`): list with counts, save (checked by
//!   `TargetedMessageForm::problem`, the segment must be the workspace's),
//!   delete; every change in the activity log.
//! - **Which to show** ([`for_page`]): on each page view the widget reports,
//!   the live messages whose page rule matches the address, whose audience and
//!   segment hold the visitor, and whose frequency allows another showing
//!   (`once`; `until_dismissed`: until closed or clicked; `every_page`), at
//!   most one of each style, oldest first. The script waits the time on page
//!   before showing.
//! - **Counts** ([`record`]): shown, clicked, dismissed, one row per message
//!   and visitor (the frequency rules read it).

use super::activity::{self, Entry, Who};
use super::behaviour;
use super::campaigns::{channel, send_status};
use super::channels::settings as channel_settings;
use super::channels::widget::{self, Visitor};
use super::context::{Actor, RequestMeta};
use super::segments;
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    Channel, ShownMessage, TargetRules, TargetedMessageForm, TargetedMessageView, TargetedPage,
    TargetedStats,
};
use entity::{campaign_send, targeted_message, targeted_message_view};
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet};

/// Messages a workspace can have.
pub const MAX_MESSAGES: usize = 200;

fn rules_of(m: &targeted_message::Model) -> TargetRules {
    serde_json::from_str(&m.rules).unwrap_or_default()
}

fn form_of(m: &targeted_message::Model) -> TargetedMessageForm {
    TargetedMessageForm {
        id: Some(m.id),
        name: m.name.clone(),
        style: m.style.clone(),
        status: m.status.clone(),
        title: m.title.clone(),
        body: m.body.clone(),
        button_label: m.button_label.clone().unwrap_or_default(),
        button_url: m.button_url.clone().unwrap_or_default(),
        anchor: m.anchor.clone().unwrap_or_default(),
        placement: m.placement.clone(),
        rules: rules_of(m),
        frequency: m.frequency.clone(),
    }
}

async fn stats(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<BTreeMap<i32, TargetedStats>> {
    use targeted_message_view::Column as V;
    let rows: Vec<(i32, i64, Option<i64>, i64, i64)> = scope
        .find::<targeted_message_view::Entity>()
        .select_only()
        .column(V::MessageId)
        .column_as(Expr::col(V::Id).count(), "visitors")
        .column_as(Expr::col(V::Shows).sum(), "shows")
        .column_as(Expr::col(V::ClickedAt).count(), "clicked")
        .column_as(Expr::col(V::DismissedAt).count(), "dismissed")
        .group_by(V::MessageId)
        .into_tuple()
        .all(db)
        .await?;
    let u = |n: i64| u64::try_from(n).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|(id, visitors, shows, clicked, dismissed)| {
            (
                id,
                TargetedStats {
                    visitors: u(visitors),
                    shows: u(shows.unwrap_or_default()),
                    clicked: u(clicked),
                    dismissed: u(dismissed),
                },
            )
        })
        .collect())
}

fn view(
    m: &targeted_message::Model,
    names: &BTreeMap<i32, String>,
    stats: &BTreeMap<i32, TargetedStats>,
) -> TargetedMessageView {
    let form = form_of(m);
    let seg = form
        .rules
        .segment_id
        .and_then(|s| names.get(&s))
        .map(String::as_str);
    TargetedMessageView {
        summary: form.rules.summary(seg),
        stats: stats.get(&m.id).copied().unwrap_or_default(),
        updated_at: m.updated_at.to_rfc3339(),
        form,
    }
}

/// The workspace's messages (newest first) with their counts.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<TargetedPage> {
    actor.require(Action::ManageCampaigns)?;
    let db = &state.db;
    let rows = actor
        .scope
        .find::<targeted_message::Entity>()
        .order_by_desc(targeted_message::Column::Id)
        .all(db)
        .await?;
    let segments = segments::names(db, actor.scope).await?;
    let names: BTreeMap<i32, String> = segments.iter().cloned().collect();
    let stats = stats(db, actor.scope).await?;
    let widget_enabled = channel_settings::find(db, actor.scope, Channel::Chat)
        .await?
        .is_some_and(|s| s.enabled);
    Ok(TargetedPage {
        messages: rows.iter().map(|m| view(m, &names, &stats)).collect(),
        segments,
        widget_enabled,
    })
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<targeted_message::Model> {
    scope
        .find::<targeted_message::Entity>()
        .filter(targeted_message::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Targeted message"))
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Creates or changes a message.
///
/// # Errors
/// Permission; `Invalid` naming the field (also a segment that is not the
/// workspace's); `NotFound` (another workspace's message); `Conflict` at the
/// limit.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    form: &TargetedMessageForm,
    meta: &RequestMeta,
) -> ServiceResult<TargetedMessageView> {
    actor.require(Action::ManageCampaigns)?;
    if let Some((field, message)) = form.problem() {
        return Err(ServiceError::invalid(field, message));
    }
    let scope = actor.scope;
    let uow = UnitOfWork::begin(state).await?;
    segments::require_own(&*uow, scope, form.rules.segment_id).await?;
    let t = now();
    let rules = serde_json::to_string(&TargetRules {
        page_value: form.rules.page_value.trim().to_owned(),
        ..form.rules.clone()
    })
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let (before, mut am) = match form.id {
        Some(id) => {
            let row = find(&*uow, scope, id).await?;
            (Some(form_of(&row)), row.into_active_model())
        }
        None => {
            let count = scope
                .find::<targeted_message::Entity>()
                .select_only()
                .column(targeted_message::Column::Id)
                .into_tuple::<i32>()
                .all(&*uow)
                .await?
                .len();
            if count >= MAX_MESSAGES {
                return Err(ServiceError::conflict(
                    "name",
                    "A workspace can have 200 targeted messages; delete old ones first.",
                ));
            }
            (
                None,
                targeted_message::ActiveModel {
                    workspace_id: Set(scope.workspace_id()),
                    created_at: Set(t),
                    ..Default::default()
                },
            )
        }
    };
    am.name = Set(form.name.trim().to_owned());
    am.style = Set(form.style.clone());
    am.status = Set(form.status.clone());
    am.title = Set(form.title.trim().to_owned());
    am.body = Set(form.body.trim().to_owned());
    am.button_label = Set(opt(&form.button_label));
    am.button_url = Set(opt(&form.button_url));
    am.anchor = Set((form.style == "tooltip").then(|| form.anchor.trim().to_owned()));
    am.placement = Set(form.placement.clone());
    am.rules = Set(rules);
    am.frequency = Set(form.frequency.clone());
    am.updated_at = Set(t);
    let row = if before.is_some() {
        am.update(&*uow).await?
    } else {
        am.insert(&*uow).await?
    };
    let after = form_of(&row);
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new(if before.is_some() {
            "targeted_message.updated"
        } else {
            "targeted_message.created"
        })
        .target("targeted_message", row.id)
        .diff(
            before.and_then(|b| serde_json::to_value(b).ok()),
            serde_json::to_value(&after).ok(),
        ),
    )
    .await?;
    let names: BTreeMap<i32, String> = segments::names(&*uow, scope).await?.into_iter().collect();
    let stats = stats(&*uow, scope).await?;
    let v = view(&row, &names, &stats);
    uow.commit().await?;
    Ok(v)
}

/// Deletes a message and its counts.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageCampaigns)?;
    let uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor.scope, id).await?;
    if let Some(flows) = flows_showing(&*uow, actor.scope).await?.get(&id) {
        return Err(ServiceError::conflict(
            "message",
            format!(
                "“{}” is shown by {}; take it out of {} first.",
                row.name,
                flows
                    .iter()
                    .map(|f| format!("the campaign “{f}”"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if flows.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
    actor
        .scope
        .delete_many::<targeted_message_view::Entity>()
        .filter(targeted_message_view::Column::MessageId.eq(row.id))
        .exec(&*uow)
        .await?;
    actor
        .scope
        .delete_many::<targeted_message::Entity>()
        .filter(targeted_message::Column::Id.eq(row.id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("targeted_message.deleted")
            .target("targeted_message", row.id)
            .diff(serde_json::to_value(form_of(&row)).ok(), None),
    )
    .await?;
    uow.commit().await
}

/// By message, the names of the campaigns whose draft or running version
/// shows it (a message in use is not deleted).
async fn flows_showing(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<BTreeMap<i32, BTreeSet<String>>> {
    super::flows::referring_flows(db, scope, "send_in_app", |g| {
        g.messages_used().into_iter().map(|(_, id)| id).collect()
    })
    .await
}

/// The workspace's messages (id, name), by name: the campaign editor's picker.
///
/// # Errors
/// Database errors.
pub async fn names(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<(i32, String)>> {
    Ok(scope
        .find::<targeted_message::Entity>()
        .order_by_asc(targeted_message::Column::Name)
        .select_only()
        .column(targeted_message::Column::Id)
        .column(targeted_message::Column::Name)
        .into_tuple()
        .all(db)
        .await?)
}

/// A campaign's in-app steps must show this workspace's messages.
///
/// # Errors
/// `Invalid` (`graph`) naming the step.
pub async fn check_flow(
    db: &impl ConnectionTrait,
    scope: Scoped,
    graph: &crate::types::FlowGraph,
) -> ServiceResult<()> {
    let used = graph.messages_used();
    if used.is_empty() {
        return Ok(());
    }
    let have: BTreeSet<i32> = names(db, scope)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if let Some((step, id)) = used.iter().find(|(_, id)| !have.contains(id)) {
        return Err(ServiceError::invalid(
            "graph",
            format!("Step {step} shows targeted message #{id}, which this workspace does not have; pick one of its messages."),
        ));
    }
    Ok(())
}

/// The names of the messages that target segment `id` (a segment in use is
/// not deleted).
///
/// # Errors
/// Database errors.
pub async fn using_segment(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<Vec<String>> {
    Ok(scope
        .find::<targeted_message::Entity>()
        .order_by_asc(targeted_message::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| rules_of(m).segment_id == Some(id))
        .map(|m| m.name)
        .collect())
}

/// Whether a visitor's history allows showing a message again.
fn allowed(frequency: &str, seen: Option<&targeted_message_view::Model>) -> bool {
    match (frequency, seen) {
        (_, None) | ("every_page", _) => true,
        ("until_dismissed", Some(w)) => w.clicked_at.is_none() && w.dismissed_at.is_none(),
        _ => false,
    }
}

/// The messages to show a visitor on the page at `url` (checked by
/// `behaviour::check_page`): at most one of each style, oldest first.
///
/// # Errors
/// Database errors.
pub async fn for_page(
    state: &AppState,
    v: &Visitor,
    url: &str,
) -> ServiceResult<Vec<ShownMessage>> {
    let db = &state.db;
    let live = v
        .scope
        .find::<targeted_message::Entity>()
        .filter(targeted_message::Column::Status.eq("live"))
        .order_by_asc(targeted_message::Column::Id)
        .all(db)
        .await?;
    let candidates: Vec<(targeted_message::Model, TargetRules)> = live
        .into_iter()
        .map(|m| {
            let r = rules_of(&m);
            (m, r)
        })
        .filter(|(_, r)| r.matches_url(url) && r.admits(v.customer_id.is_some()))
        .collect();
    let campaigns = from_campaigns(db, v, url).await?;
    if candidates.is_empty() && campaigns.is_empty() {
        return Ok(Vec::new());
    }
    let seen: BTreeMap<i32, targeted_message_view::Model> = v
        .scope
        .find::<targeted_message_view::Entity>()
        .filter(targeted_message_view::Column::VisitorId.eq(&v.visitor_id))
        .filter(
            targeted_message_view::Column::MessageId.is_in(candidates.iter().map(|(m, _)| m.id)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.message_id, w))
        .collect();
    let wanted: BTreeSet<i32> = candidates
        .iter()
        .filter_map(|(_, r)| r.segment_id)
        .collect();
    let members = widget::in_segments(db, v, &wanted).await?;
    let color = widget::accent(&v.settings);
    let mut styles = BTreeSet::new();
    let mut out = Vec::new();
    // What campaigns sent this customer comes first (one of each style).
    for (w, m) in campaigns {
        if styles.insert(m.style.clone()) {
            out.push(shown(m, w.delay, &color, w.token));
        }
    }
    for (m, r) in candidates {
        let in_segment = r
            .segment_id
            .is_none_or(|s| members.get(&s).copied().unwrap_or(false));
        if !in_segment || !allowed(&m.frequency, seen.get(&m.id)) || !styles.insert(m.style.clone())
        {
            continue;
        }
        out.push(shown(m, r.seconds_on_page, &color, String::new()));
    }
    Ok(out)
}

fn shown(m: targeted_message::Model, delay: i32, color: &str, send: String) -> ShownMessage {
    ShownMessage {
        id: m.id,
        style: m.style,
        placement: m.placement,
        title: m.title,
        body: m.body,
        button_label: m.button_label.unwrap_or_default(),
        button_url: m.button_url.unwrap_or_default(),
        anchor: m.anchor.unwrap_or_default(),
        delay_seconds: delay,
        color: color.to_owned(),
        send,
    }
}

/// The in-app messages campaigns sent this visitor's customer that wait for
/// a visit, whose message is live and whose page rule matches `url`,
/// oldest first, with the send's token. Their delay is the message's.
async fn from_campaigns(
    db: &impl ConnectionTrait,
    v: &Visitor,
    url: &str,
) -> ServiceResult<Vec<(Waiting, targeted_message::Model)>> {
    let Some(customer) = v.customer_id else {
        return Ok(Vec::new());
    };
    let sends: Vec<(i32, String, Option<i32>)> = v
        .scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::CustomerId.eq(customer))
        .filter(campaign_send::Column::Status.eq(send_status::WAITING))
        .filter(campaign_send::Column::Channel.eq(channel::IN_APP))
        .order_by_asc(campaign_send::Column::Id)
        .select_only()
        .column(campaign_send::Column::Id)
        .column(campaign_send::Column::Token)
        .column(campaign_send::Column::MessageId)
        .into_tuple()
        .all(db)
        .await?;
    if sends.is_empty() {
        return Ok(Vec::new());
    }
    let messages: BTreeMap<i32, targeted_message::Model> = v
        .scope
        .find::<targeted_message::Entity>()
        .filter(targeted_message::Column::Id.is_in(sends.iter().filter_map(|s| s.2)))
        .filter(targeted_message::Column::Status.eq("live"))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    Ok(sends
        .into_iter()
        .filter_map(|(_, token, id)| {
            let m = messages.get(&id?)?;
            let rules = rules_of(m);
            rules.matches_url(url).then(|| {
                (
                    Waiting {
                        token,
                        delay: rules.seconds_on_page,
                    },
                    m.clone(),
                )
            })
        })
        .collect())
}

/// A campaign's in-app send waiting for the visitor.
struct Waiting {
    token: String,
    delay: i32,
}

/// Counts what a visitor did with a message: `shown`, `clicked` or
/// `dismissed`. With `send` (the token of a campaign's in-app send to this
/// visitor's customer) the send counts as seen (sent and opened) and, on a
/// click, clicked.
///
/// # Errors
/// `Invalid` event; `NotFound` (not this workspace's message, or a send that
/// is not this customer's); `RateLimited`.
pub async fn record(
    state: &AppState,
    v: &Visitor,
    message_id: i32,
    event: &str,
    send: Option<&str>,
) -> ServiceResult<()> {
    use targeted_message_view::Column as V;
    if !matches!(event, "shown" | "clicked" | "dismissed") {
        return Err(ServiceError::invalid(
            "event",
            "The event is shown, clicked or dismissed.",
        ));
    }
    behaviour::limited(state, v)?;
    let m = find(&state.db, v.scope, message_id).await?;
    let t = now();
    if let Some(token) = send.filter(|s| !s.is_empty()) {
        seen(&state.db, v, m.id, token, event == "clicked").await?;
    }
    let am = targeted_message_view::ActiveModel {
        workspace_id: Set(v.scope.workspace_id()),
        message_id: Set(m.id),
        visitor_id: Set(v.visitor_id.clone()),
        shows: Set(1),
        first_shown_at: Set(t),
        last_shown_at: Set(t),
        clicked_at: Set((event == "clicked").then_some(t)),
        dismissed_at: Set((event == "dismissed").then_some(t)),
        ..Default::default()
    };
    let mut on = OnConflict::columns([V::MessageId, V::VisitorId]);
    let own = |c: V| Expr::col((targeted_message_view::Entity, c));
    match event {
        "shown" => on
            .value(V::Shows, own(V::Shows).add(1))
            .value(V::LastShownAt, Expr::value(t)),
        "clicked" => on.value(
            V::ClickedAt,
            Func::coalesce([own(V::ClickedAt).into(), Expr::value(t)]),
        ),
        _ => on.value(
            V::DismissedAt,
            Func::coalesce([own(V::DismissedAt).into(), Expr::value(t)]),
        ),
    };
    targeted_message_view::Entity::insert(am)
        .on_conflict(on.to_owned())
        .exec_without_returning(&state.db)
        .await?;
    Ok(())
}

/// A campaign's in-app send was shown (and maybe clicked): it counts as sent
/// and opened (and clicked), once.
async fn seen(
    db: &impl ConnectionTrait,
    v: &Visitor,
    message_id: i32,
    token: &str,
    clicked: bool,
) -> ServiceResult<()> {
    use campaign_send::Column as S;
    let customer = v
        .customer_id
        .ok_or(ServiceError::NotFound("Campaign message"))?;
    let t = now();
    let first = |c: S| Func::coalesce([Expr::col(c).into(), Expr::value(t)]);
    let mut update = v
        .scope
        .update_many::<campaign_send::Entity>()
        .col_expr(S::Status, Expr::value(send_status::SENT))
        .col_expr(S::SentAt, first(S::SentAt).into())
        .col_expr(S::OpenedAt, first(S::OpenedAt).into());
    if clicked {
        update = update.col_expr(S::ClickedAt, first(S::ClickedAt).into());
    }
    let r = update
        .filter(S::Token.eq(token))
        .filter(S::CustomerId.eq(customer))
        .filter(S::Channel.eq(channel::IN_APP))
        .filter(S::MessageId.eq(message_id))
        .filter(S::Status.is_in([send_status::WAITING, send_status::SENT]))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(ServiceError::NotFound("Campaign message"));
    }
    Ok(())
}
