//! Campaign email: written by a Send email step, sent by its job, tracked by
//! its links.
//!
//! The job decides, in this order: no address → `failed`; on the suppression
//! list → `suppressed`; the customer had the capped number of campaign emails
//! in the period → `capped`; inside quiet hours in the customer's zone (or the
//! workspace's default) → held until they end; over the workspace's rate →
//! held a little; else the email goes to the outbox, in the same transaction
//! that marks it `sent`, with `List-Unsubscribe` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058), links rewritten to
//! `/c/{token}/l/{n}` (only the links the email holds: no open redirect) and an
//! open-tracking image. The outbox sends campaign email at most once.

use super::{channel, send_status, settings, suppress, suppressed};
use crate::services::jobs::{self, NewJob};
use crate::services::mail::{self, OutgoingEmail, CAMPAIGN_KIND};
use crate::services::tenancy::{campaign_send_by_token, global, Scoped, System};
use crate::services::uow::UnitOfWork;
use crate::services::{now, security, AppState, ServiceError, ServiceResult};
use crate::types::{MarketingSettings, SubscriptionView, IN_APP_DAYS};
use chrono::{DateTime, Duration, Utc};
use entity::{campaign_run, campaign_send, customer, targeted_message, workspace};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// The send job's kind.
pub const SEND_JOB: &str = "campaign.send";
/// Most tracked links in one email.
const MAX_LINKS: usize = 50;

/// Writes a Send email step's email for a run (once: the step carried out
/// again finds it) and its job. Part of the run's unit of work.
///
/// # Errors
/// Database errors.
pub async fn write(
    uow: &mut UnitOfWork,
    scope: Scoped,
    run: &campaign_run::Model,
    c: &customer::Model,
    node: &str,
    subject: &str,
    body: &str,
) -> ServiceResult<()> {
    let rows = campaign_send::Entity::insert(campaign_send::ActiveModel {
        workspace_id: sea_orm::Set(scope.workspace_id()),
        flow_id: sea_orm::Set(run.flow_id),
        run_id: sea_orm::Set(run.id),
        node: sea_orm::Set(node.to_owned()),
        customer_id: sea_orm::Set(c.id),
        to_address: sea_orm::Set(c.email.clone().unwrap_or_default()),
        subject: sea_orm::Set(subject.to_owned()),
        body: sea_orm::Set(body.to_owned()),
        status: sea_orm::Set(send_status::QUEUED.to_owned()),
        reason: sea_orm::Set(None),
        token: sea_orm::Set(security::new_token().0),
        links: sea_orm::Set("[]".to_owned()),
        email_id: sea_orm::Set(None),
        queued_at: sea_orm::Set(now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([campaign_send::Column::RunId, campaign_send::Column::Node])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&**uow)
    .await?;
    if rows == 0 {
        return Ok(());
    }
    let id: i32 = scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::RunId.eq(run.id))
        .filter(campaign_send::Column::Node.eq(node))
        .select_only()
        .column(campaign_send::Column::Id)
        .into_tuple()
        .one(&**uow)
        .await?
        .ok_or(ServiceError::Internal("campaign send just written".into()))?;
    enqueue(&**uow, uow.state(), scope, id, None).await?;
    uow.jobs_enqueued();
    Ok(())
}

/// Writes an In-app message step's send for a run (once per run and
/// step): it waits for the customer's next visit, when the widget shows the
/// message ([`crate::services::targeted::for_page`]). A message deleted since
/// the campaign was published is written `failed`, saying so.
///
/// # Errors
/// Database errors.
pub async fn write_in_app(
    db: &impl ConnectionTrait,
    scope: Scoped,
    run: &campaign_run::Model,
    node: &str,
    message_id: i32,
) -> ServiceResult<()> {
    let message = scope
        .find::<targeted_message::Entity>()
        .filter(targeted_message::Column::Id.eq(message_id))
        .one(db)
        .await?;
    let (status, reason, subject, body) = match message {
        Some(m) => (send_status::WAITING, None, m.title, m.body),
        None => (
            send_status::FAILED,
            Some(format!("Targeted message #{message_id} was deleted.")),
            String::new(),
            String::new(),
        ),
    };
    campaign_send::Entity::insert(campaign_send::ActiveModel {
        workspace_id: sea_orm::Set(scope.workspace_id()),
        flow_id: sea_orm::Set(run.flow_id),
        run_id: sea_orm::Set(run.id),
        node: sea_orm::Set(node.to_owned()),
        customer_id: sea_orm::Set(run.customer_id),
        to_address: sea_orm::Set(String::new()),
        subject: sea_orm::Set(subject),
        body: sea_orm::Set(body),
        status: sea_orm::Set(status.to_owned()),
        reason: sea_orm::Set(reason),
        token: sea_orm::Set(security::new_token().0),
        links: sea_orm::Set("[]".to_owned()),
        email_id: sea_orm::Set(None),
        queued_at: sea_orm::Set(now()),
        channel: sea_orm::Set(channel::IN_APP.to_owned()),
        message_id: sea_orm::Set(Some(message_id)),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([campaign_send::Column::RunId, campaign_send::Column::Node])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// In-app sends that waited [`IN_APP_DAYS`] without a visit lapse.
///
/// # Errors
/// Database errors.
pub async fn lapse_in_app(db: &impl ConnectionTrait) -> ServiceResult<u64> {
    let r = System::new("in-app sends lapse in every workspace alike")
        .update_many::<campaign_send::Entity>()
        .col_expr(
            campaign_send::Column::Status,
            Expr::value(send_status::LAPSED),
        )
        .col_expr(
            campaign_send::Column::Reason,
            Expr::value(Some(format!(
                "The customer did not visit the site within {IN_APP_DAYS} days."
            ))),
        )
        .filter(campaign_send::Column::Channel.eq(channel::IN_APP))
        .filter(campaign_send::Column::Status.eq(send_status::WAITING))
        .filter(campaign_send::Column::QueuedAt.lt(now() - Duration::days(IN_APP_DAYS)))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

async fn enqueue(
    db: &impl ConnectionTrait,
    state: &AppState,
    scope: Scoped,
    id: i32,
    at: Option<DateTime<Utc>>,
) -> ServiceResult<()> {
    let mut job = NewJob::new(
        SEND_JOB,
        serde_json::json!({ "workspace_id": scope.workspace_id(), "send_id": id }),
    );
    job.workspace_id = Some(scope.workspace_id());
    if let Some(at) = at {
        job.run_at = Some(at);
        job.idempotency_key = Some(format!("{SEND_JOB}:{id}:{}", at.timestamp()));
    }
    jobs::enqueue(db, &state.config.jobs, job).await?;
    Ok(())
}

fn int(payload: &serde_json::Value, k: &str) -> Result<i32, String> {
    payload
        .get(k)
        .and_then(serde_json::Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| format!("payload without `{k}`"))
}

/// Handler of the send job.
///
/// # Errors
/// A message for the job log (retried).
pub async fn run_send_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let scope = Scoped::new(int(payload, "workspace_id")?);
    let id = int(payload, "send_id")?;
    deliver(state, scope, id, now())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What the send job did with an email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to the outbox.
    Sent,
    /// Not sent, for good (the status says why).
    Skipped(&'static str),
    /// Held back until then (quiet hours, the rate).
    Held(DateTime<Utc>),
    /// Nothing to do (sent or decided already, or gone).
    Done,
}

/// Decides and, when it may, sends campaign email `id` as of time `t`.
///
/// # Errors
/// Database errors (the job is retried; nothing was written).
pub async fn deliver(
    state: &AppState,
    scope: Scoped,
    id: i32,
    t: DateTime<Utc>,
) -> ServiceResult<Outcome> {
    let mut uow = UnitOfWork::begin(state).await?;
    let Some(s) = scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::Id.eq(id))
        .one(&*uow)
        .await?
    else {
        return Ok(Outcome::Done);
    };
    if s.status != send_status::QUEUED {
        return Ok(Outcome::Done);
    }
    let cfg = settings(&*uow, scope).await?;
    if !crate::types::looks_like_email(&s.to_address) {
        return skip(
            uow,
            scope,
            id,
            send_status::FAILED,
            "The customer has no email address.".into(),
        )
        .await;
    }
    if let Some(why) = suppressed(&*uow, scope, &s.to_address).await? {
        return skip(
            uow,
            scope,
            id,
            send_status::SUPPRESSED,
            format!("{} is on the suppression list ({why}).", s.to_address),
        )
        .await;
    }
    if cfg.cap_days > 0 {
        let recent = scope
            .find::<campaign_send::Entity>()
            .filter(campaign_send::Column::CustomerId.eq(s.customer_id))
            .filter(campaign_send::Column::Channel.eq(channel::EMAIL))
            .filter(campaign_send::Column::Status.eq(send_status::SENT))
            .filter(campaign_send::Column::SentAt.gt(t - Duration::days(i64::from(cfg.cap_days))))
            .count(&*uow)
            .await?;
        if recent >= u64::try_from(cfg.cap_count).unwrap_or(u64::MAX) {
            return skip(
            uow,
            scope,
            id,
                send_status::CAPPED,
                format!(
                    "The customer had {recent} campaign emails in the last {} days (the cap is {}).",
                    cfg.cap_days, cfg.cap_count
                ),
            )
            .await;
        }
    }
    let zone = scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(s.customer_id))
        .one(&*uow)
        .await?
        .and_then(|c| c.timezone)
        .unwrap_or_else(|| cfg.default_timezone.clone());
    if let Some(at) = quiet_until(&cfg, &zone, t) {
        enqueue(&*uow, state, scope, id, Some(at)).await?;
        uow.commit().await?;
        return Ok(Outcome::Held(at));
    }
    if let Some(at) = rate_free_at(&*uow, scope, &cfg, t).await? {
        enqueue(&*uow, state, scope, id, Some(at)).await?;
        uow.commit().await?;
        return Ok(Outcome::Held(at));
    }
    let ws = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(scope.workspace_id()))
        .one(&*uow)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let base = state.config.base_url().to_owned();
    let composed = compose(&base, &s.token, &ws, &s.body);
    let unsubscribe = format!("{base}/c/{}/u", s.token);
    let email_id = mail::enqueue(
        &*uow,
        &state.config,
        OutgoingEmail {
            workspace_id: Some(scope.workspace_id()),
            to: s.to_address.clone(),
            subject: s.subject.clone(),
            text: composed.text,
            html: composed.html,
            kind: CAMPAIGN_KIND,
            headers: vec![
                ("List-Unsubscribe", format!("<{unsubscribe}>")),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
            ],
            ..OutgoingEmail::default()
        },
    )
    .await?;
    uow.jobs_enqueued();
    scope
        .update_many::<campaign_send::Entity>()
        .col_expr(
            campaign_send::Column::Status,
            Expr::value(send_status::SENT),
        )
        .col_expr(campaign_send::Column::SentAt, Expr::value(Some(t)))
        .col_expr(campaign_send::Column::EmailId, Expr::value(Some(email_id)))
        .col_expr(
            campaign_send::Column::Links,
            Expr::value(serde_json::to_string(&composed.links).unwrap_or_else(|_| "[]".into())),
        )
        .filter(campaign_send::Column::Id.eq(id))
        .filter(campaign_send::Column::Status.eq(send_status::QUEUED))
        .exec(&*uow)
        .await?;
    uow.commit().await?;
    Ok(Outcome::Sent)
}

async fn skip(
    uow: UnitOfWork,
    scope: Scoped,
    id: i32,
    status: &'static str,
    reason: String,
) -> ServiceResult<Outcome> {
    scope
        .update_many::<campaign_send::Entity>()
        .col_expr(campaign_send::Column::Status, Expr::value(status))
        .col_expr(campaign_send::Column::Reason, Expr::value(Some(reason)))
        .filter(campaign_send::Column::Id.eq(id))
        .exec(&*uow)
        .await?;
    uow.commit().await?;
    Ok(Outcome::Skipped(status))
}

/// When quiet hours in `zone` end, if `t` falls in them.
pub fn quiet_until(cfg: &MarketingSettings, zone: &str, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let end = cfg.quiet_end?;
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let ts = jiff::Timestamp::from_second(t.timestamp()).ok()?;
    let local = ts.to_zoned(tz.clone());
    if !cfg.is_quiet(i32::from(local.hour())) {
        return None;
    }
    let mut date = local.date();
    for _ in 0..3 {
        if let Ok(at) = date
            .at(i8::try_from(end).unwrap_or(0), 0, 0, 0)
            .to_zoned(tz.clone())
        {
            if at.timestamp() > ts {
                return DateTime::from_timestamp(at.timestamp().as_second(), 0);
            }
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// When the workspace may send again, if it sent its per-minute number in
/// the minute before `t`.
async fn rate_free_at(
    db: &impl ConnectionTrait,
    scope: Scoped,
    cfg: &MarketingSettings,
    t: DateTime<Utc>,
) -> ServiceResult<Option<DateTime<Utc>>> {
    let nth: Option<DateTime<Utc>> = scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::Channel.eq(channel::EMAIL))
        .filter(campaign_send::Column::Status.eq(send_status::SENT))
        .filter(campaign_send::Column::SentAt.gt(t - Duration::minutes(1)))
        .order_by_desc(campaign_send::Column::SentAt)
        .offset(u64::try_from(cfg.per_minute - 1).unwrap_or_default())
        .select_only()
        .column(campaign_send::Column::SentAt)
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();
    Ok(nth.map(|at| at + Duration::minutes(1)))
}

/// An email's parts, links tracked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    /// Plain text.
    pub text: String,
    /// HTML.
    pub html: String,
    /// The original links, in order.
    pub links: Vec<String>,
}

/// Where a link in `text` starting at byte `i` ends (trailing punctuation is
/// the sentence's, not the link's).
fn link_end(text: &str, i: usize) -> usize {
    let rest = &text[i..];
    let mut end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(rest.len());
    while end > 0 && rest[..end].ends_with(['.', ',', ';', ':', '!', '?', ')']) {
        end -= 1;
    }
    i + end
}

/// Plain text with `http(s)://` links → tracked text and HTML (paragraphs at
/// blank lines), an open-tracking image and the unsubscribe footer.
pub fn compose(base: &str, token: &str, workspace: &str, body: &str) -> Composed {
    let esc = crate::pages::helpcenter::esc;
    let mut links: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut html = String::from(
        "<div style=\"font-family:system-ui,sans-serif;font-size:15px;line-height:1.5;color:#1f2933;max-width:600px\">",
    );
    for para in body.replace("\r\n", "\n").split("\n\n") {
        let para = para.trim_matches('\n');
        if para.trim().is_empty() {
            continue;
        }
        let mut p_html = String::new();
        let mut i = 0;
        while i < para.len() {
            let next = ["https://", "http://"]
                .iter()
                .filter_map(|s| para[i..].find(s).map(|k| i + k))
                .min();
            let Some(start) = next else {
                p_html.push_str(&esc(&para[i..]));
                text.push_str(&para[i..]);
                break;
            };
            p_html.push_str(&esc(&para[i..start]));
            text.push_str(&para[i..start]);
            let end = link_end(para, start);
            let url = &para[start..end];
            if links.len() < MAX_LINKS && end > start {
                let n = links.len();
                links.push(url.to_owned());
                let tracked = format!("{base}/c/{token}/l/{n}");
                p_html.push_str(&format!(
                    "<a href=\"{}\" style=\"color:#0b7a5c\">{}</a>",
                    esc(&tracked),
                    esc(url)
                ));
                text.push_str(&tracked);
            } else {
                p_html.push_str(&esc(url));
                text.push_str(url);
            }
            i = end.max(start + 1);
        }
        html.push_str(&format!(
            "<p style=\"margin:0 0 14px\">{}</p>",
            p_html.replace('\n', "<br>")
        ));
        text.push_str("\n\n");
    }
    let unsubscribe = format!("{base}/c/{token}/u");
    html.push_str(&format!(
        "<p style=\"margin:24px 0 0;font-size:12px;color:#6b7280\">You get this email from {}. <a href=\"{}\" style=\"color:#6b7280\">Unsubscribe</a></p><img src=\"{}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0\"></div>",
        esc(workspace),
        esc(&unsubscribe),
        esc(&format!("{base}/c/{token}/o.gif"))
    ));
    text.push_str(&format!(
        "--\nYou get this email from {workspace}. Unsubscribe: {unsubscribe}\n"
    ));
    Composed { text, html, links }
}

/// The outbox's mail server refused a campaign email for good: its address
/// goes on the suppression list as bounced and the email counts as failed.
///
/// # Errors
/// Database errors.
pub async fn bounced(
    db: &impl ConnectionTrait,
    scope: Scoped,
    e: &entity::email::Model,
    why: &str,
) -> ServiceResult<()> {
    let note: String = format!("the mail server refused it: {why}")
        .chars()
        .take(300)
        .collect();
    suppress(db, scope, &e.to_address, "bounced", &note).await?;
    scope
        .update_many::<campaign_send::Entity>()
        .col_expr(
            campaign_send::Column::Status,
            Expr::value(send_status::FAILED),
        )
        .col_expr(
            campaign_send::Column::Reason,
            Expr::value(Some(format!("Bounced: {why}"))),
        )
        .filter(campaign_send::Column::EmailId.eq(e.id))
        .exec(db)
        .await?;
    Ok(())
}

async fn by_token(db: &impl ConnectionTrait, token: &str) -> ServiceResult<campaign_send::Model> {
    if token.is_empty() || token.len() > 64 {
        return Err(ServiceError::NotFound("Email"));
    }
    // An in-app send's token is in the visitor's browser: it opens,
    // unsubscribes and clicks nothing here.
    campaign_send_by_token(token)
        .filter(campaign_send::Column::Channel.eq(channel::EMAIL))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Email"))
}

/// The tracking image loaded: the email was opened (the first time counts).
///
/// # Errors
/// `NotFound` for an unknown token.
pub async fn opened(state: &AppState, token: &str) -> ServiceResult<()> {
    let s = by_token(&state.db, token).await?;
    Scoped::new(s.workspace_id)
        .update_many::<campaign_send::Entity>()
        .col_expr(campaign_send::Column::OpenedAt, Expr::value(Some(now())))
        .filter(campaign_send::Column::Id.eq(s.id))
        .filter(campaign_send::Column::OpenedAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(())
}

/// A tracked link clicked: counts the click (and an open, when the image was
/// blocked) and returns where the link goes.
///
/// # Errors
/// `NotFound` for an unknown token or link.
pub async fn clicked(state: &AppState, token: &str, n: usize) -> ServiceResult<String> {
    let s = by_token(&state.db, token).await?;
    let links: Vec<String> = serde_json::from_str(&s.links).unwrap_or_default();
    let url = links
        .get(n)
        .cloned()
        .ok_or(ServiceError::NotFound("Link"))?;
    let scope = Scoped::new(s.workspace_id);
    let t = now();
    for col in [
        campaign_send::Column::ClickedAt,
        campaign_send::Column::OpenedAt,
    ] {
        scope
            .update_many::<campaign_send::Entity>()
            .col_expr(col, Expr::value(Some(t)))
            .filter(campaign_send::Column::Id.eq(s.id))
            .filter(col.is_null())
            .exec(&state.db)
            .await?;
    }
    Ok(url)
}

async fn view(
    db: &impl ConnectionTrait,
    s: &campaign_send::Model,
) -> ServiceResult<SubscriptionView> {
    let scope = Scoped::new(s.workspace_id);
    Ok(SubscriptionView {
        workspace: global::<workspace::Entity>()
            .filter(workspace::Column::Id.eq(s.workspace_id))
            .one(db)
            .await?
            .map(|w| w.name)
            .unwrap_or_default(),
        email: s.to_address.clone(),
        subscribed: suppressed(db, scope, &s.to_address).await?.is_none(),
        subject: s.subject.clone(),
    })
}

/// What the unsubscribe page shows for a token.
///
/// # Errors
/// `NotFound` for an unknown token.
pub async fn subscription(state: &AppState, token: &str) -> ServiceResult<SubscriptionView> {
    let s = by_token(&state.db, token).await?;
    view(&state.db, &s).await
}

/// Unsubscribes the email's address from the workspace's campaigns (the
/// one-click `POST` and the page's button): it goes on the suppression list,
/// so no later campaign email is sent to it.
///
/// # Errors
/// `NotFound` for an unknown token.
pub async fn unsubscribe(state: &AppState, token: &str) -> ServiceResult<SubscriptionView> {
    let s = by_token(&state.db, token).await?;
    let scope = Scoped::new(s.workspace_id);
    let uow = UnitOfWork::begin(state).await?;
    suppress(
        &*uow,
        scope,
        &s.to_address,
        "unsubscribed",
        &format!("unsubscribed from “{}”", s.subject),
    )
    .await?;
    scope
        .update_many::<campaign_send::Entity>()
        .col_expr(
            campaign_send::Column::UnsubscribedAt,
            Expr::value(Some(now())),
        )
        .filter(campaign_send::Column::Id.eq(s.id))
        .filter(campaign_send::Column::UnsubscribedAt.is_null())
        .exec(&*uow)
        .await?;
    let v = view(&*uow, &s).await?;
    uow.commit().await?;
    Ok(v)
}

/// Subscribes the address again (the preferences page), unless it bounced or
/// complained: only an unsubscribe is undone here.
///
/// # Errors
/// `NotFound` for an unknown token.
pub async fn resubscribe(state: &AppState, token: &str) -> ServiceResult<SubscriptionView> {
    let s = by_token(&state.db, token).await?;
    let scope = Scoped::new(s.workspace_id);
    scope
        .delete_many::<entity::suppression::Entity>()
        .filter(entity::suppression::Column::Email.eq(s.to_address.trim().to_lowercase()))
        .filter(entity::suppression::Column::Reason.eq("unsubscribed"))
        .exec(&state.db)
        .await?;
    view(&state.db, &s).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn links_are_tracked_by_number_and_text_is_escaped() {
        let c = compose(
            "https://sb.test",
            "tok",
            "Acme & Co",
            "Hi <Ann>,\n\nSee https://shop.test/sale?a=1&b=2. Or http://x.test/p).\n\nBye",
        );
        assert_eq!(
            c.links,
            ["https://shop.test/sale?a=1&b=2", "http://x.test/p"]
        );
        assert!(c.html.contains("Hi &lt;Ann&gt;,"));
        assert!(c.html.contains("href=\"https://sb.test/c/tok/l/0\""));
        assert!(c.html.contains("href=\"https://sb.test/c/tok/l/1\""));
        assert!(c.html.contains("Acme &amp; Co"));
        assert!(c.html.contains("https://sb.test/c/tok/o.gif"));
        assert!(c
            .text
            .contains("See https://sb.test/c/tok/l/0. Or https://sb.test/c/tok/l/1)."));
        assert!(c.text.contains("Unsubscribe: https://sb.test/c/tok/u"));
        assert!(!c.text.contains("shop.test"));
    }

    #[test]
    fn quiet_hours_end_in_the_customers_zone() {
        let cfg = MarketingSettings::default(); // 21 → 8
                                                // 23:30 UTC is 08:30 in Tokyo (not quiet) and 18:30 in New York (not quiet).
        let t = DateTime::parse_from_rfc3339("2026-12-05T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(quiet_until(&cfg, "Asia/Tokyo", t), None);
        assert_eq!(quiet_until(&cfg, "America/New_York", t), None);
        // In Berlin it is 00:30: quiet until 08:00 Berlin = 07:00 UTC.
        assert_eq!(
            quiet_until(&cfg, "Europe/Berlin", t).unwrap().to_rfc3339(),
            "2026-12-06T07:00:00+00:00"
        );
        // 21:00 sharp in UTC is quiet until 08:00 the next day.
        let t = DateTime::parse_from_rfc3339("2026-12-05T21:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            quiet_until(&cfg, "UTC", t).unwrap().to_rfc3339(),
            "2026-12-06T08:00:00+00:00"
        );
        let none = MarketingSettings {
            quiet_start: None,
            quiet_end: None,
            ..MarketingSettings::default()
        };
        assert_eq!(quiet_until(&none, "UTC", t), None);
    }
}
