//! Campaigns (SPEC C10.2–C10.3): multi-step email and in-app messages to a
//! segment's customers, drawn on the flow canvas.
//!
//! - **Model.** A campaign is a flow of kind `campaign` (the same graph,
//!   canvas, checks, versions and preview); its entry (a segment, whether its
//!   current members enter, a goal segment) is part of the graph. Steps: Send
//!   email, Wait, Condition (also on `campaign.opened` / `campaign.clicked`:
//!   any email of this run so far), Set variable, End.
//! - **Runs** ([`runner`]): one per customer and campaign, pinned to the
//!   version it entered on; a minute's tick enrols the segment's new members,
//!   steps every run whose Wait is over and counts conversions.
//! - **Sending** ([`send`]): a Send email step writes one `campaign_sends` row
//!   per run and step (a step carried out again finds it: nothing is written
//!   twice) and its job; the job skips suppressed addresses and capped
//!   customers, holds the email back through quiet hours in the customer's
//!   zone and to the workspace's rate, then hands it to the outbox with
//!   `List-Unsubscribe` (one-click) and tracked links. The outbox sends
//!   campaign email at most once, even across a crash.
//! - **Settings and suppressions** (here): caps, quiet hours, default zone,
//!   rate; addresses that unsubscribed, bounced or complained.

pub mod runner;
pub mod send;

use super::activity::{self, Entry, Who};
use super::context::{Actor, RequestMeta};
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    looks_like_email, CampaignStats, CampaignStepStats, FlowGraph, MarketingPage,
    MarketingSettings, NodeKind, SuppressionView, SUPPRESSIONS_SHOWN, SUPPRESSION_REASONS,
};
use entity::{campaign_run, campaign_send, flow, marketing_setting, suppression};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::BTreeMap;

/// The flow kind.
pub const KIND: &str = "campaign";

/// Run statuses.
pub mod run_status {
    /// Waiting for its Wait to end (a new run waits for nothing).
    pub const WAITING: &str = "waiting_timer";
    /// Finished.
    pub const DONE: &str = "done";
    /// A member when the campaign was first published, left out.
    pub const SKIPPED: &str = "skipped";
}

/// Send statuses.
pub mod send_status {
    /// Written, waiting for its job (quiet hours and the rate hold it back).
    pub const QUEUED: &str = "queued";
    /// Handed to the outbox.
    pub const SENT: &str = "sent";
    /// The address is on the suppression list.
    pub const SUPPRESSED: &str = "suppressed";
    /// The customer had the capped number of campaign emails already.
    pub const CAPPED: &str = "capped";
    /// No address, or the outbox refused it; an in-app message that was
    /// deleted.
    pub const FAILED: &str = "failed";
    /// In-app: waiting for the customer's next visit to the site.
    pub const WAITING: &str = "waiting";
    /// In-app: the customer did not come within [`crate::types::IN_APP_DAYS`].
    pub const LAPSED: &str = "lapsed";
}

/// Send channels.
pub mod channel {
    /// An email.
    pub const EMAIL: &str = "email";
    /// A targeted message in the widget.
    pub const IN_APP: &str = "in_app";
}

/// A workspace's sending settings (the defaults when never saved).
///
/// # Errors
/// Database errors.
pub async fn settings(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<MarketingSettings> {
    Ok(scope
        .find::<marketing_setting::Entity>()
        .one(db)
        .await?
        .map_or_else(MarketingSettings::default, |r| MarketingSettings {
            cap_count: r.cap_count,
            cap_days: r.cap_days,
            quiet_start: r.quiet_start,
            quiet_end: r.quiet_end,
            default_timezone: r.default_timezone,
            per_minute: r.per_minute,
        }))
}

/// The sending page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<MarketingPage> {
    actor.require(Action::ManageCampaigns)?;
    let db = &state.db;
    let scope = actor.scope;
    let suppressions = scope
        .find::<suppression::Entity>()
        .order_by_desc(suppression::Column::Id)
        .limit(SUPPRESSIONS_SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SuppressionView {
            id: s.id,
            email: s.email,
            reason: s.reason,
            note: s.note,
            created_at: s.created_at.to_rfc3339(),
        })
        .collect();
    Ok(MarketingPage {
        settings: settings(db, scope).await?,
        suppressions,
        suppressed: scope.find::<suppression::Entity>().count(db).await?,
        queued: scope
            .find::<campaign_send::Entity>()
            .filter(campaign_send::Column::Status.eq(send_status::QUEUED))
            .count(db)
            .await?,
    })
}

/// Whether `zone` is an IANA time zone this server knows.
pub fn known_zone(zone: &str) -> bool {
    !zone.trim().is_empty() && jiff::tz::TimeZone::get(zone.trim()).is_ok()
}

/// Saves the sending settings.
///
/// # Errors
/// Permission; `Invalid` naming the field.
pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    form: &MarketingSettings,
    meta: &RequestMeta,
) -> ServiceResult<MarketingSettings> {
    actor.require(Action::ManageCampaigns)?;
    if let Some((field, message)) = form.problem() {
        return Err(ServiceError::invalid(field, message));
    }
    if !known_zone(&form.default_timezone) {
        return Err(ServiceError::invalid(
            "default_timezone",
            format!(
                "“{}” is not a time zone; use a name such as Europe/Berlin or America/New_York.",
                form.default_timezone.trim()
            ),
        ));
    }
    let uow = UnitOfWork::begin(state).await?;
    let scope = actor.scope;
    let before = settings(&*uow, scope).await?;
    let t = now();
    let am = marketing_setting::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        cap_count: Set(form.cap_count),
        cap_days: Set(form.cap_days),
        quiet_start: Set(form.quiet_start),
        quiet_end: Set(form.quiet_end),
        default_timezone: Set(form.default_timezone.trim().to_owned()),
        per_minute: Set(form.per_minute),
        updated_at: Set(t),
        ..Default::default()
    };
    marketing_setting::Entity::insert(am)
        .on_conflict(
            OnConflict::column(marketing_setting::Column::WorkspaceId)
                .update_columns([
                    marketing_setting::Column::CapCount,
                    marketing_setting::Column::CapDays,
                    marketing_setting::Column::QuietStart,
                    marketing_setting::Column::QuietEnd,
                    marketing_setting::Column::DefaultTimezone,
                    marketing_setting::Column::PerMinute,
                    marketing_setting::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&*uow)
        .await?;
    let after = settings(&*uow, scope).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("campaigns.settings_updated").diff(
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        ),
    )
    .await?;
    uow.commit().await?;
    Ok(after)
}

/// The reason `email` is suppressed, if it is.
///
/// # Errors
/// Database errors.
pub async fn suppressed(
    db: &impl ConnectionTrait,
    scope: Scoped,
    email: &str,
) -> ServiceResult<Option<String>> {
    Ok(scope
        .find::<suppression::Entity>()
        .filter(suppression::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?
        .map(|s| s.reason))
}

/// Puts `email` on the suppression list (kept as it is when it is there
/// already); returns whether it was added.
///
/// # Errors
/// Database errors.
pub async fn suppress(
    db: &impl ConnectionTrait,
    scope: Scoped,
    email: &str,
    reason: &str,
    note: &str,
) -> ServiceResult<bool> {
    let rows = suppression::Entity::insert(suppression::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        email: Set(email.trim().to_lowercase()),
        reason: Set(reason.to_owned()),
        note: Set(note.chars().take(300).collect()),
        created_at: Set(now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([suppression::Column::WorkspaceId, suppression::Column::Email])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(rows == 1)
}

/// Adds an address to the suppression list by hand.
///
/// # Errors
/// Permission; `Invalid` (`email`, `reason`); `Conflict` when it is listed.
pub async fn add_suppression(
    state: &AppState,
    actor: &Actor,
    email: &str,
    reason: &str,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageCampaigns)?;
    let email = email.trim().to_lowercase();
    if !looks_like_email(&email) || email.len() > 254 {
        return Err(ServiceError::invalid(
            "email",
            "That is not an email address (name@example.com).",
        ));
    }
    if !SUPPRESSION_REASONS.iter().any(|(r, _)| *r == reason) {
        return Err(ServiceError::invalid(
            "reason",
            "Pick why: unsubscribed, bounced or marked as spam.",
        ));
    }
    let uow = UnitOfWork::begin(state).await?;
    if !suppress(&*uow, actor.scope, &email, reason, "added by hand").await? {
        return Err(ServiceError::conflict(
            "email",
            format!("{email} is on the list already."),
        ));
    }
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("campaigns.suppression_added").diff(
            None,
            Some(serde_json::json!({"email": email, "reason": reason})),
        ),
    )
    .await?;
    uow.commit().await
}

/// Takes an address off the suppression list (campaigns may write to it
/// again).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn remove_suppression(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageCampaigns)?;
    let uow = UnitOfWork::begin(state).await?;
    let row = actor
        .scope
        .find::<suppression::Entity>()
        .filter(suppression::Column::Id.eq(id))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("Suppressed address"))?;
    let before = serde_json::json!({"email": row.email, "reason": row.reason});
    row.into_active_model().delete(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("campaigns.suppression_removed")
            .target("suppression", id)
            .diff(Some(before), None),
    )
    .await?;
    uow.commit().await
}

/// Per step and status: node, status, channel, subject, count, opened,
/// clicked, converted, unsubscribed.
type SendCounts = (String, String, String, String, i64, i64, i64, i64, i64);

/// How a campaign's runs and emails went, per Send email step (in the
/// draft's order; steps since removed follow).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn stats(state: &AppState, actor: &Actor, flow_id: i32) -> ServiceResult<CampaignStats> {
    actor.require(Action::ManageCampaigns)?;
    let db = &state.db;
    let scope = actor.scope;
    let f = scope
        .find::<flow::Entity>()
        .filter(flow::Column::Id.eq(flow_id))
        .filter(flow::Column::Kind.eq(KIND))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Campaign"))?;
    let mut out = CampaignStats::default();
    let runs: Vec<(String, i64)> = scope
        .find::<campaign_run::Entity>()
        .filter(campaign_run::Column::FlowId.eq(flow_id))
        .select_only()
        .column(campaign_run::Column::Status)
        .column_as(Expr::col(campaign_run::Column::Id).count(), "n")
        .group_by(campaign_run::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (status, n) in runs {
        let n = u64::try_from(n).unwrap_or_default();
        match status.as_str() {
            run_status::SKIPPED => out.skipped += n,
            run_status::DONE => out.done += n,
            _ => out.active += n,
        }
    }
    out.entered = out.active + out.done;
    let count = |c: campaign_send::Column| Expr::col(c).count();
    let rows: Vec<SendCounts> = scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::FlowId.eq(flow_id))
        .select_only()
        .column(campaign_send::Column::Node)
        .column(campaign_send::Column::Status)
        .column(campaign_send::Column::Channel)
        .column_as(Expr::col(campaign_send::Column::Subject).max(), "subject")
        .column_as(count(campaign_send::Column::Id), "n")
        .column_as(count(campaign_send::Column::OpenedAt), "opened")
        .column_as(count(campaign_send::Column::ClickedAt), "clicked")
        .column_as(count(campaign_send::Column::ConvertedAt), "converted")
        .column_as(count(campaign_send::Column::UnsubscribedAt), "unsubscribed")
        .group_by(campaign_send::Column::Node)
        .group_by(campaign_send::Column::Status)
        .group_by(campaign_send::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let graph: Option<FlowGraph> = serde_json::from_str(&f.draft).ok();
    let names = crate::services::targeted::names(db, scope).await?;
    let mut steps: Vec<CampaignStepStats> = graph
        .iter()
        .flat_map(|g| g.nodes.iter())
        .filter_map(|n| match &n.kind {
            NodeKind::SendEmail { subject, .. } => Some(CampaignStepStats {
                node: n.id.clone(),
                subject: subject.clone(),
                ..CampaignStepStats::default()
            }),
            NodeKind::SendInApp { message_id } => Some(CampaignStepStats {
                node: n.id.clone(),
                subject: names
                    .iter()
                    .find(|(id, _)| id == message_id)
                    .map_or_else(|| format!("Message #{message_id}"), |(_, n)| n.clone()),
                in_app: true,
                ..CampaignStepStats::default()
            }),
            _ => None,
        })
        .collect();
    let mut index: BTreeMap<String, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.node.clone(), i))
        .collect();
    let u = |n: i64| u64::try_from(n).unwrap_or_default();
    for (node, status, via, subject, n, opened, clicked, converted, unsubscribed) in rows {
        let i = *index.entry(node.clone()).or_insert_with(|| {
            steps.push(CampaignStepStats {
                node,
                subject,
                in_app: via == channel::IN_APP,
                ..CampaignStepStats::default()
            });
            steps.len() - 1
        });
        let s = &mut steps[i];
        match status.as_str() {
            send_status::QUEUED | send_status::WAITING => s.queued += u(n),
            send_status::SENT => s.sent += u(n),
            send_status::SUPPRESSED => s.suppressed += u(n),
            send_status::CAPPED => s.capped += u(n),
            _ => s.failed += u(n),
        }
        s.opened += u(opened);
        s.clicked += u(clicked);
        s.converted += u(converted);
        s.unsubscribed += u(unsubscribed);
    }
    out.steps = steps;
    Ok(out)
}
