//! Notification dispatch (SPEC C7.8, C1.4): the one way anything tells a member
//! something. A caller describes a [`Notice`] (what kind, for whom, about which
//! ticket, the specific text) and calls [`dispatch_in`] inside its unit of work;
//! the service then, per recipient:
//!
//! - reads their **preference** for that kind (in the app or not; email never,
//!   right away, hourly or daily at 9:00 in their own zone; optionally a webhook
//!   endpoint of the workspace), defaults when they never chose;
//! - renders the workspace's **template** for the kind (or the built-in one);
//! - stores the notification and one **delivery** row per channel, each with its
//!   due time: now, a scheduled time (`send_at`), the end of the batching window
//!   (`notify_batch_secs`), or the next digest;
//! - enqueues a `notify.flush` job for each due time (in the same transaction).
//!
//! The flush job takes every delivery of that person that is due: in-app ones
//! appear in the bell, email ones go out as **one** email (a batch or a digest
//! lists them all) through the outbox, webhook ones become signed deliveries of
//! the chosen endpoint. Retries are the outbox's and the webhook queue's (and the
//! job queue's for the flush itself); a sweep every minute picks up anything due
//! that a job missed. Each delivery row keeps its status, and the admin's log
//! shows what became of the email or webhook it went out in.

use super::bus::Event;
use super::context::Actor;
use super::jobs::{self, NewJob};
use super::mail::{self, OutgoingEmail};
use super::stages::{Stage, StageEvent};
use super::tenancy::{global, Scoped, System};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    ticket_ref, DeliveryView, EmailMode, MyNotificationsPage, NoticeChannel, NoticeKind,
    NoticePref, NoticeTemplateForm, NoticeTemplateView, NotificationAdminPage,
};
use chrono::{DateTime, Duration, DurationRound, Utc};
use entity::{
    conversation, email, membership, notification, notification_delivery as delivery,
    notification_pref as pref, notification_template as template, user, webhook_delivery,
    webhook_endpoint,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// The job that delivers one person's due notifications.
pub const FLUSH_JOB: &str = "notify.flush";
/// The job that picks up due deliveries a flush job missed.
pub const SWEEP_JOB: &str = "notify.sweep";
/// Deliveries one sweep handles.
const SWEEP_BATCH: u64 = 500;
/// Daily digests go out at this hour in the recipient's zone.
pub const DIGEST_HOUR: i8 = 9;

/// Delivery statuses.
pub mod status {
    /// Waiting for its due time.
    pub const PENDING: &str = "pending";
    /// In the bell.
    pub const DELIVERED: &str = "delivered";
    /// Handed to the outbox or the webhook queue (their status tells the rest).
    pub const QUEUED: &str = "queued";
    /// Could not be handed on (e.g. the webhook endpoint was paused).
    pub const FAILED: &str = "failed";
    /// Dropped (e.g. the person left the workspace).
    pub const SKIPPED: &str = "skipped";
}

/// Variables a template may use.
pub const VARIABLES: &[&str] = &[
    "recipient.name",
    "recipient.first_name",
    "actor",
    "text",
    "link",
    "ticket.number",
    "ticket.subject",
];

/// The built-in subject and body of a kind.
pub fn default_template(kind: NoticeKind) -> (&'static str, &'static str) {
    match kind {
        NoticeKind::Mention => (
            "{{ actor }} mentioned you on {{ ticket.number }}",
            "{{ actor }} mentioned you on {{ ticket.number }}: {{ text }}",
        ),
        NoticeKind::Assigned => (
            "{{ ticket.number }} is yours: {{ ticket.subject }}",
            "{{ actor }} assigned {{ ticket.number }} to you: {{ ticket.subject }}",
        ),
        NoticeKind::Approval => (
            "Approval needed: {{ text }}{% if ticket.number %} on {{ ticket.number }}{% endif %}",
            "{{ actor }} proposes “{{ text }}”{% if ticket.number %} on {{ ticket.number }}{% endif %}: waiting for your approval.",
        ),
        NoticeKind::Rule => (
            "{{ ticket.number }} — {{ ticket.subject }}",
            "{{ actor }} on {{ ticket.number }}: {{ text }}",
        ),
        NoticeKind::Escalation => (
            "Escalated: {{ ticket.number }} — {{ ticket.subject }}",
            "{{ actor }} escalated {{ ticket.number }}: {{ text }}",
        ),
        NoticeKind::ApprovalReminder | NoticeKind::TaskOverdue => ("{{ text }}", "{{ text }}"),
        NoticeKind::Digest => ("Your daily support digest", "{{ text }}"),
    }
}

/// The ticket a notice is about.
#[derive(Clone, Debug)]
pub struct NoticeTicket {
    /// Conversation id.
    pub id: i32,
    /// Its number.
    pub number: i32,
    /// Its subject.
    pub subject: String,
}

impl From<&conversation::Model> for NoticeTicket {
    fn from(c: &conversation::Model) -> Self {
        Self {
            id: c.id,
            number: c.number,
            subject: c.subject.clone(),
        }
    }
}

/// Something to tell members.
#[derive(Clone, Debug)]
pub struct Notice {
    /// What it is about (preferences and templates are per kind).
    pub kind: NoticeKind,
    /// User ids; those who are not members of the workspace are left out.
    pub recipients: Vec<i32>,
    /// The ticket, when there is one.
    pub ticket: Option<NoticeTicket>,
    /// Who or what caused it ("Maria", "Rule “VIP”").
    pub actor: String,
    /// The specific text (the note's excerpt, the rule's message …).
    pub text: String,
    /// Where it points: a path of this app (`/app/inbox/12`).
    pub path: String,
    /// Deliver at this time instead of now (a scheduled send).
    pub send_at: Option<DateTime<Utc>>,
    /// Leave out a recipient who already got a notification of this kind with
    /// the same text within this many hours (reminders).
    pub once_within_hours: Option<i64>,
}

impl Notice {
    /// A notice about a ticket, pointing at it.
    pub fn about(kind: NoticeKind, ticket: &conversation::Model, actor: &str, text: &str) -> Self {
        Self {
            kind,
            recipients: Vec::new(),
            ticket: Some(ticket.into()),
            actor: actor.to_owned(),
            text: text.to_owned(),
            path: format!("/app/inbox/{}", ticket.number),
            send_at: None,
            once_within_hours: None,
        }
    }

    /// The same notice for these people.
    #[must_use]
    pub fn to(mut self, recipients: impl IntoIterator<Item = i32>) -> Self {
        self.recipients = recipients.into_iter().collect();
        self
    }
}

/// A person's effective preference for a kind (stored or default).
fn effective(row: Option<&pref::Model>, kind: NoticeKind) -> NoticePref {
    row.map_or_else(
        || NoticePref::default_for(kind),
        |p| NoticePref {
            kind,
            in_app: p.in_app,
            email: EmailMode::parse(&p.email).unwrap_or(EmailMode::Instant),
            webhook_endpoint_id: p.webhook_endpoint_id,
        },
    )
}

/// The next top of the hour after `t`.
fn next_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::hours(1)).unwrap_or(t) + Duration::hours(1)
}

/// The next [`DIGEST_HOUR`]:00 after `t` in `zone` (UTC when unknown).
pub fn next_daily(zone: Option<&str>, t: DateTime<Utc>) -> DateTime<Utc> {
    let tz = zone
        .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(ts) = jiff::Timestamp::from_second(t.timestamp()) else {
        return next_hour(t);
    };
    let mut date = ts.to_zoned(tz.clone()).date();
    for _ in 0..3 {
        if let Ok(at) = date.at(DIGEST_HOUR, 0, 0, 0).to_zoned(tz.clone()) {
            if at.timestamp() > ts {
                return DateTime::from_timestamp(at.timestamp().as_second(), 0).unwrap_or(t);
            }
        }
        match date.tomorrow() {
            Ok(d) => date = d,
            Err(_) => break,
        }
    }
    next_hour(t)
}

/// When an email of this mode goes out for a notification due at `at`.
fn email_due(
    mode: EmailMode,
    at: DateTime<Utc>,
    batch_secs: i64,
    zone: Option<&str>,
) -> Option<DateTime<Utc>> {
    match mode {
        EmailMode::Off => None,
        EmailMode::Instant => Some(at + Duration::seconds(batch_secs.max(0))),
        EmailMode::Hourly => Some(next_hour(at)),
        EmailMode::Daily => Some(next_daily(zone, at)),
    }
}

fn first_name(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Renders a template with a context; errors name the field.
fn render(field: &'static str, source: &str, ctx: &serde_json::Value) -> ServiceResult<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let tmpl = env.template_from_str(source).map_err(|e| {
        ServiceError::invalid(
            field,
            format!(
                "The template has an error: {}.",
                e.detail().unwrap_or("check the {{ }} and {% %} braces")
            ),
        )
    })?;
    let mut unknown: Vec<String> = tmpl
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| !VARIABLES.contains(&v.as_str()))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(ServiceError::invalid(
            field,
            format!(
                "Unknown variable{}: {}. Use {}.",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", "),
                VARIABLES.join(", ")
            ),
        ));
    }
    tmpl.render(ctx).map_err(|e| {
        ServiceError::invalid(
            field,
            format!(
                "The template could not be filled in: {}.",
                e.detail().unwrap_or("unknown variable")
            ),
        )
    })
}

fn context(notice: &Notice, recipient: &user::Model, link: &str) -> serde_json::Value {
    json!({
        "recipient": { "name": recipient.name, "first_name": first_name(&recipient.name) },
        "actor": notice.actor,
        "text": notice.text,
        "link": link,
        "ticket": notice.ticket.as_ref().map_or_else(
            || json!({ "number": "", "subject": "" }),
            |t| json!({ "number": ticket_ref(t.number), "subject": t.subject }),
        ),
    })
}

/// The workspace's subject and body templates for a kind.
async fn templates_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    kind: NoticeKind,
) -> ServiceResult<(String, String)> {
    let row = scope
        .find::<template::Entity>()
        .filter(template::Column::Kind.eq(kind.as_str()))
        .one(db)
        .await?;
    let (s, b) = default_template(kind);
    Ok(row.map_or_else(|| (s.to_owned(), b.to_owned()), |r| (r.subject, r.body)))
}

/// Tells the notice's recipients, each as they prefer, inside the caller's unit of
/// work; returns how many were told on at least one channel.
///
/// # Errors
/// Database errors (the caller's change then rolls back with it).
#[allow(clippy::too_many_lines)]
pub async fn dispatch_in(
    uow: &mut UnitOfWork,
    scope: Scoped,
    notice: Notice,
) -> ServiceResult<usize> {
    let ids: BTreeSet<i32> = notice.recipients.iter().copied().collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let t = now();
    let members: Vec<i32> = scope
        .find::<membership::Entity>()
        .select_only()
        .column(membership::Column::UserId)
        .filter(membership::Column::UserId.is_in(ids))
        .into_tuple()
        .all(&**uow)
        .await?;
    if members.is_empty() {
        return Ok(0);
    }
    let users = global::<user::Entity>()
        .filter(user::Column::Id.is_in(members.clone()))
        .all(&**uow)
        .await?;
    let prefs: HashMap<i32, pref::Model> = scope
        .find::<pref::Entity>()
        .filter(pref::Column::UserId.is_in(members))
        .filter(pref::Column::Kind.eq(notice.kind.as_str()))
        .all(&**uow)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let (subject_t, body_t) = templates_of(&**uow, scope, notice.kind).await?;
    let (default_s, default_b) = default_template(notice.kind);
    let link = format!("{}{}", uow.state().config.base_url(), notice.path);
    let batch = uow.state().config.notify_batch_secs;
    let at = notice.send_at.filter(|s| *s > t);
    let start = at.unwrap_or(t);
    let mut flushes: BTreeSet<(i32, DateTime<Utc>)> = BTreeSet::new();
    let mut told = 0;
    for u in &users {
        let p = effective(prefs.get(&u.id), notice.kind);
        let email_at = email_due(p.email, start, batch, u.timezone.as_deref());
        if !p.in_app && email_at.is_none() && p.webhook_endpoint_id.is_none() {
            continue;
        }
        let ctx = context(&notice, u, &link);
        // A workspace template that no longer renders falls back to the built-in
        // one rather than dropping the notification.
        let subject = render("subject", &subject_t, &ctx)
            .or_else(|_| render("subject", default_s, &ctx))?
            .replace(['\r', '\n'], " ");
        let body = render("body", &body_t, &ctx).or_else(|_| render("body", default_b, &ctx))?;
        if let Some(hours) = notice.once_within_hours {
            let recent = scope
                .find::<notification::Entity>()
                .filter(notification::Column::UserId.eq(u.id))
                .filter(notification::Column::Kind.eq(notice.kind.as_str()))
                .filter(notification::Column::Body.eq(body.as_str()))
                .filter(notification::Column::CreatedAt.gt(t - Duration::hours(hours)))
                .count(&**uow)
                .await?;
            if recent > 0 {
                continue;
            }
        }
        let shown = p.in_app && at.is_none();
        let n = notification::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            user_id: Set(u.id),
            kind: Set(notice.kind.as_str().to_owned()),
            conversation_id: Set(notice.ticket.as_ref().map(|c| c.id)),
            body: Set(body),
            read_at: Set(None),
            created_at: Set(t),
            subject: Set(subject),
            link: Set(Some(link.clone())),
            shown_at: Set(shown.then_some(t)),
            ..Default::default()
        }
        .insert(&**uow)
        .await?;
        let row = |channel: NoticeChannel, due: DateTime<Utc>, done: bool| delivery::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            notification_id: Set(n.id),
            user_id: Set(u.id),
            channel: Set(channel.as_str().to_owned()),
            status: Set(if done {
                status::DELIVERED
            } else {
                status::PENDING
            }
            .to_owned()),
            due_at: Set(due),
            attempts: Set(0),
            last_error: Set(None),
            email_id: Set(None),
            webhook_delivery_id: Set(None),
            webhook_endpoint_id: Set(None),
            sent_at: Set(done.then_some(t)),
            created_at: Set(t),
            ..Default::default()
        };
        let mut rows = Vec::new();
        if p.in_app {
            rows.push(row(NoticeChannel::InApp, start, shown));
            if !shown {
                flushes.insert((u.id, start));
            }
        }
        if let Some(due) = email_at {
            rows.push(row(NoticeChannel::Email, due, false));
            flushes.insert((u.id, due));
        }
        if let Some(ep) = p.webhook_endpoint_id {
            let mut r = row(NoticeChannel::Webhook, start, false);
            r.webhook_endpoint_id = Set(Some(ep));
            rows.push(r);
            flushes.insert((u.id, start));
        }
        delivery::Entity::insert_many(rows)
            .exec_without_returning(&**uow)
            .await?;
        if shown {
            uow.emit(Event::new(
                scope.workspace_id(),
                "notification.created",
                json!({"user_id": u.id, "id": n.id}),
            ));
        }
        told += 1;
    }
    if !flushes.is_empty() {
        let cfg = uow.state().config.jobs.clone();
        for (user_id, due) in flushes {
            let mut job = NewJob::new(
                FLUSH_JOB,
                json!({"workspace_id": scope.workspace_id(), "user_id": user_id}),
            );
            job.workspace_id = Some(scope.workspace_id());
            job.run_at = Some(due);
            jobs::enqueue(&**uow, &cfg, job).await?;
        }
        uow.jobs_enqueued();
    }
    Ok(told)
}

/// Handler of `notify.flush`: delivers what is due for one person.
///
/// # Errors
/// Database errors (the job is retried).
pub async fn run_flush_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let num = |k: &str| {
        payload
            .get(k)
            .and_then(serde_json::Value::as_i64)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| format!("payload has no {k}"))
    };
    let scope = Scoped::new(num("workspace_id")?);
    let user_id = num("user_id")?;
    flush(state, scope, user_id, now())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Handler of `notify.sweep`: flushes everyone with due deliveries.
///
/// # Errors
/// Database errors.
pub async fn sweep(state: &AppState) -> Result<(), String> {
    let due: Vec<(i32, i32)> = System::new("the notification sweep covers every workspace")
        .find::<delivery::Entity>()
        .select_only()
        .column(delivery::Column::WorkspaceId)
        .column(delivery::Column::UserId)
        .filter(delivery::Column::Status.eq(status::PENDING))
        .filter(delivery::Column::DueAt.lte(now()))
        .distinct()
        .limit(SWEEP_BATCH)
        .into_tuple()
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    for (ws, user_id) in due {
        flush(state, Scoped::new(ws), user_id, now())
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Delivers one person's due deliveries at `t`; returns how many it handled.
///
/// # Errors
/// Database errors.
pub async fn flush(
    state: &AppState,
    scope: Scoped,
    user_id: i32,
    t: DateTime<Utc>,
) -> ServiceResult<usize> {
    let mut uow = UnitOfWork::begin(state).await?;
    // An email that goes out takes along every email due within the batching
    // window after it: a burst of notifications becomes one email.
    let window = t + Duration::seconds(state.config.notify_batch_secs.max(0));
    let due = scope
        .find::<delivery::Entity>()
        .filter(delivery::Column::UserId.eq(user_id))
        .filter(delivery::Column::Status.eq(status::PENDING))
        .filter(
            Condition::any().add(delivery::Column::DueAt.lte(t)).add(
                Condition::all()
                    .add(delivery::Column::Channel.eq(NoticeChannel::Email.as_str()))
                    .add(delivery::Column::DueAt.lte(window)),
            ),
        )
        .order_by_asc(delivery::Column::Id)
        .all(&*uow)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let notes: HashMap<i32, notification::Model> = scope
        .find::<notification::Entity>()
        .filter(notification::Column::Id.is_in(due.iter().map(|d| d.notification_id)))
        .all(&*uow)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let member = scope
        .find::<membership::Entity>()
        .filter(membership::Column::UserId.eq(user_id))
        .one(&*uow)
        .await?
        .is_some();
    let person = global::<user::Entity>()
        .filter(user::Column::Id.eq(user_id))
        .one(&*uow)
        .await?;
    let Some(person) = person.filter(|_| member) else {
        mark(
            &*uow,
            due.iter().map(|d| d.id),
            status::SKIPPED,
            Some("No longer a member of this workspace."),
            t,
        )
        .await?;
        return uow.commit().await.map(|()| due.len());
    };
    let (emails, rest): (Vec<&delivery::Model>, Vec<&delivery::Model>) = due
        .iter()
        .partition(|d| d.channel == NoticeChannel::Email.as_str());
    for d in rest {
        let Some(n) = notes.get(&d.notification_id) else {
            continue;
        };
        if d.channel == NoticeChannel::InApp.as_str() {
            scope
                .update_many::<notification::Entity>()
                .col_expr(notification::Column::ShownAt, Expr::value(t))
                .filter(notification::Column::Id.eq(n.id))
                .exec(&*uow)
                .await?;
            mark(&*uow, [d.id], status::DELIVERED, None, t).await?;
            uow.emit(Event::new(
                scope.workspace_id(),
                "notification.created",
                json!({"user_id": user_id, "id": n.id}),
            ));
        } else {
            webhook(&mut uow, scope, d, n, &person, t).await?;
        }
    }
    if !emails.is_empty() {
        let list: Vec<&notification::Model> = emails
            .iter()
            .filter_map(|d| notes.get(&d.notification_id))
            .collect();
        let email_id = send_email(&mut uow, scope, &person, &list).await?;
        let ids: Vec<i32> = emails.iter().map(|d| d.id).collect();
        scope
            .update_many::<delivery::Entity>()
            .col_expr(delivery::Column::Status, Expr::value(status::QUEUED))
            .col_expr(delivery::Column::EmailId, Expr::value(email_id))
            .col_expr(delivery::Column::SentAt, Expr::value(t))
            .col_expr(
                delivery::Column::Attempts,
                Expr::col(delivery::Column::Attempts).add(1),
            )
            .filter(delivery::Column::Id.is_in(ids))
            .exec(&*uow)
            .await?;
    }
    uow.commit().await?;
    Ok(due.len())
}

async fn mark(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
    new_status: &str,
    error: Option<&str>,
    t: DateTime<Utc>,
) -> ServiceResult<()> {
    System::new("a flush updates the deliveries it just read in its workspace")
        .update_many::<delivery::Entity>()
        .col_expr(delivery::Column::Status, Expr::value(new_status))
        .col_expr(delivery::Column::LastError, Expr::value(error))
        .col_expr(delivery::Column::SentAt, Expr::value(t))
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .filter(delivery::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

/// One email for one or several notifications (several: a list, newest last).
async fn send_email(
    uow: &mut UnitOfWork,
    scope: Scoped,
    person: &user::Model,
    list: &[&notification::Model],
) -> ServiceResult<i32> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let prefs_link = format!(
        "{}/app/profile/notifications",
        uow.state().config.base_url()
    );
    let footer_text = format!("\n\n—\nChange what you get and when: {prefs_link}\n");
    let footer_html = format!(
        "<p style=\"color:#666;font-size:12px\"><a href=\"{}\">Change what you get and when</a></p>",
        esc(&prefs_link)
    );
    let (subject, text, html, kind) = match list {
        [n] => {
            let link = n.link.clone().unwrap_or_default();
            (
                n.subject.clone(),
                format!("{}\n\nOpen it: {link}{footer_text}", n.body),
                format!(
                    "<p>{}</p><p><a href=\"{}\">Open it</a></p>{footer_html}",
                    esc(&n.body),
                    esc(&link)
                ),
                NoticeKind::parse(&n.kind).map_or("notification", NoticeKind::as_str),
            )
        }
        _ => {
            let mut text = String::new();
            let mut html = String::from("<ul>");
            for n in list {
                let link = n.link.clone().unwrap_or_default();
                text.push_str(&format!("- {}\n  {link}\n\n", n.body));
                html.push_str(&format!(
                    "<li><p>{} <a href=\"{}\">Open</a></p></li>",
                    esc(&n.body),
                    esc(&link)
                ));
            }
            html.push_str("</ul>");
            (
                format!("{} notifications for you", list.len()),
                format!("{}{footer_text}", text.trim_end()),
                format!("{html}{footer_html}"),
                "notification_digest",
            )
        }
    };
    let config = uow.state().config.clone();
    let id = mail::enqueue(
        &**uow,
        &config,
        OutgoingEmail {
            workspace_id: Some(scope.workspace_id()),
            to: person.email.clone(),
            subject,
            text,
            html,
            kind,
            auto_submitted: true,
            ..OutgoingEmail::default()
        },
    )
    .await?;
    uow.jobs_enqueued();
    Ok(id)
}

/// A signed POST of one notification to the endpoint the person chose.
async fn webhook(
    uow: &mut UnitOfWork,
    scope: Scoped,
    d: &delivery::Model,
    n: &notification::Model,
    person: &user::Model,
    t: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(ep) = d.webhook_endpoint_id else {
        return mark(&**uow, [d.id], status::SKIPPED, Some("No endpoint."), t).await;
    };
    let cfg = uow.state().config.jobs.clone();
    let data = json!({
        "id": n.id,
        "kind": n.kind,
        "subject": n.subject,
        "text": n.body,
        "link": n.link,
        "recipient": { "id": person.id, "name": person.name, "email": person.email },
        "created_at": n.created_at.to_rfc3339(),
    });
    match super::channels::webhooks::enqueue_one(&**uow, &cfg, scope, ep, "notification", data)
        .await
    {
        Ok(hook) => {
            scope
                .update_many::<delivery::Entity>()
                .col_expr(delivery::Column::Status, Expr::value(status::QUEUED))
                .col_expr(delivery::Column::WebhookDeliveryId, Expr::value(hook))
                .col_expr(delivery::Column::SentAt, Expr::value(t))
                .col_expr(
                    delivery::Column::Attempts,
                    Expr::col(delivery::Column::Attempts).add(1),
                )
                .filter(delivery::Column::Id.eq(d.id))
                .exec(&**uow)
                .await?;
            uow.jobs_enqueued();
            Ok(())
        }
        Err(ServiceError::Invalid { message, .. }) => {
            mark(&**uow, [d.id], status::FAILED, Some(&message), t).await
        }
        Err(e) => Err(e),
    }
}

/// Tells a ticket's new assignee (unless they took it themselves).
pub struct NotifyStage;

#[async_trait::async_trait]
impl Stage for NotifyStage {
    fn name(&self) -> &'static str {
        "notify"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let StageEvent::ConversationUpdated {
            workspace_id,
            conversation_id,
            changed,
            by_rule,
        } = event
        else {
            return Ok(());
        };
        if !changed.contains(&"assignee") {
            return Ok(());
        }
        let scope = Scoped::new(*workspace_id);
        let Some(c) = scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::Id.eq(*conversation_id))
            .one(&**uow)
            .await?
        else {
            return Ok(());
        };
        let Some(to) = c.assignee_id.filter(|a| Some(*a) != uow.acting_user()) else {
            return Ok(());
        };
        let actor = match (by_rule, uow.acting_user()) {
            (Some(_), _) => "A rule".to_owned(),
            (None, Some(u)) => global::<user::Entity>()
                .filter(user::Column::Id.eq(u))
                .one(&**uow)
                .await?
                .map_or_else(|| "Someone".to_owned(), |u| u.name),
            (None, None) => "Routing".to_owned(),
        };
        let notice = Notice::about(NoticeKind::Assigned, &c, &actor, &c.subject).to([to]);
        dispatch_in(uow, scope, notice).await.map(|_| ())
    }
}

// ---- preferences, templates and the log --------------------------------------

/// The signed-in person's preferences, the endpoints they may pick and what
/// waits to go out to them.
///
/// # Errors
/// Database errors.
pub async fn my_page(state: &AppState, actor: &Actor) -> ServiceResult<MyNotificationsPage> {
    let db = &state.db;
    let rows: HashMap<String, pref::Model> = actor
        .scope
        .find::<pref::Entity>()
        .filter(pref::Column::UserId.eq(actor.user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.kind.clone(), p))
        .collect();
    let prefs = NoticeKind::ALL
        .iter()
        .map(|k| effective(rows.get(k.as_str()), *k))
        .collect();
    let endpoints = actor
        .scope
        .find::<webhook_endpoint::Entity>()
        .filter(webhook_endpoint::Column::Active.eq(true))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.url))
        .collect();
    let zone = global::<user::Entity>()
        .filter(user::Column::Id.eq(actor.user_id))
        .one(db)
        .await?
        .and_then(|u| u.timezone)
        .unwrap_or_else(|| "UTC".to_owned());
    let waiting = actor
        .scope
        .find::<delivery::Entity>()
        .filter(delivery::Column::UserId.eq(actor.user_id))
        .filter(delivery::Column::Status.eq(status::PENDING))
        .order_by_asc(delivery::Column::DueAt)
        .limit(50)
        .all(db)
        .await?;
    Ok(MyNotificationsPage {
        prefs,
        endpoints,
        zone,
        waiting: views(db, actor.scope, waiting).await?,
    })
}

/// Saves the signed-in person's preference for one kind.
///
/// # Errors
/// `Invalid` (`webhook_endpoint_id`) for an endpoint that is missing or paused.
pub async fn save_pref(state: &AppState, actor: &Actor, p: &NoticePref) -> ServiceResult<()> {
    if let Some(ep) = p.webhook_endpoint_id {
        let row = actor
            .scope
            .find::<webhook_endpoint::Entity>()
            .filter(webhook_endpoint::Column::Id.eq(ep))
            .one(&state.db)
            .await?;
        match row {
            None => {
                return Err(ServiceError::invalid(
                    "webhook_endpoint_id",
                    "That webhook endpoint does not exist in this workspace; pick another or none.",
                ))
            }
            Some(e) if !e.active => {
                return Err(ServiceError::invalid(
                    "webhook_endpoint_id",
                    format!(
                        "The endpoint {} is paused; an admin can resume it under Webhooks.",
                        e.url
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let uow = UnitOfWork::begin(state).await?;
    pref::Entity::insert(pref::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        user_id: Set(actor.user_id),
        kind: Set(p.kind.as_str().to_owned()),
        in_app: Set(p.in_app),
        email: Set(p.email.as_str().to_owned()),
        webhook_endpoint_id: Set(p.webhook_endpoint_id),
        updated_at: Set(now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            pref::Column::WorkspaceId,
            pref::Column::UserId,
            pref::Column::Kind,
        ])
        .update_columns([
            pref::Column::InApp,
            pref::Column::Email,
            pref::Column::WebhookEndpointId,
            pref::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&*uow)
    .await?;
    uow.commit().await
}

/// Templates and the newest deliveries (admins).
///
/// # Errors
/// Permission; database errors.
pub async fn admin_page(state: &AppState, actor: &Actor) -> ServiceResult<NotificationAdminPage> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let db = &state.db;
    let rows: HashMap<String, template::Model> = actor
        .scope
        .find::<template::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.kind.clone(), t))
        .collect();
    let templates = NoticeKind::ALL
        .iter()
        .map(|k| {
            let (ds, db_) = default_template(*k);
            let row = rows.get(k.as_str());
            NoticeTemplateView {
                kind: *k,
                subject: row.map_or_else(|| ds.to_owned(), |r| r.subject.clone()),
                body: row.map_or_else(|| db_.to_owned(), |r| r.body.clone()),
                customised: row.is_some(),
                default_subject: ds.to_owned(),
                default_body: db_.to_owned(),
            }
        })
        .collect();
    let recent = actor
        .scope
        .find::<delivery::Entity>()
        .order_by_desc(delivery::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    Ok(NotificationAdminPage {
        templates,
        deliveries: views(db, actor.scope, recent).await?,
        variables: VARIABLES.iter().map(|v| (*v).to_owned()).collect(),
    })
}

/// A context with sample values, for checking a template before saving.
fn sample() -> serde_json::Value {
    json!({
        "recipient": { "name": "Sam Agent", "first_name": "Sam" },
        "actor": "Maria", "text": "Could you check the warranty?",
        "link": "https://example.test/app/inbox/42",
        "ticket": { "number": ticket_ref(42), "subject": "Broken zipper" },
    })
}

/// Saves a workspace's template for a kind; returns it as rendered for a sample.
///
/// # Errors
/// Permission; `Invalid` naming `kind`, `subject` or `body`.
pub async fn save_template(
    state: &AppState,
    actor: &Actor,
    form: &NoticeTemplateForm,
) -> ServiceResult<NoticeTemplateView> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let kind = NoticeKind::parse(&form.kind).ok_or_else(|| {
        ServiceError::invalid(
            "kind",
            format!("There is no notification kind “{}”.", form.kind),
        )
    })?;
    let subject = form.subject.trim();
    let body = form.body.trim();
    if subject.is_empty() {
        return Err(ServiceError::invalid("subject", "Write a subject."));
    }
    if subject.chars().count() > 200 || subject.contains('\n') {
        return Err(ServiceError::invalid(
            "subject",
            "A subject is one line of at most 200 characters.",
        ));
    }
    if body.is_empty() {
        return Err(ServiceError::invalid("body", "Write the text."));
    }
    if body.chars().count() > 2000 {
        return Err(ServiceError::invalid(
            "body",
            "The text can be at most 2,000 characters.",
        ));
    }
    render("subject", subject, &sample())?;
    render("body", body, &sample())?;
    let uow = UnitOfWork::begin(state).await?;
    template::Entity::insert(template::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        kind: Set(kind.as_str().to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        updated_at: Set(now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([template::Column::WorkspaceId, template::Column::Kind])
            .update_columns([
                template::Column::Subject,
                template::Column::Body,
                template::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*uow)
    .await?;
    uow.commit().await?;
    let (ds, db_) = default_template(kind);
    Ok(NoticeTemplateView {
        kind,
        subject: subject.to_owned(),
        body: body.to_owned(),
        customised: true,
        default_subject: ds.to_owned(),
        default_body: db_.to_owned(),
    })
}

/// Goes back to the built-in template for a kind.
///
/// # Errors
/// Permission; database errors.
pub async fn reset_template(
    state: &AppState,
    actor: &Actor,
    kind: NoticeKind,
) -> ServiceResult<()> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let uow = UnitOfWork::begin(state).await?;
    actor
        .scope
        .delete_many::<template::Entity>()
        .filter(template::Column::Kind.eq(kind.as_str()))
        .exec(&*uow)
        .await?;
    uow.commit().await
}

/// Delivery rows as shown, with what became of their email or webhook delivery.
async fn views(
    db: &impl ConnectionTrait,
    scope: Scoped,
    rows: Vec<delivery::Model>,
) -> ServiceResult<Vec<DeliveryView>> {
    let note_ids: BTreeSet<i32> = rows.iter().map(|d| d.notification_id).collect();
    let notes: HashMap<i32, (String, String)> = scope
        .find::<notification::Entity>()
        .select_only()
        .column(notification::Column::Id)
        .column(notification::Column::Kind)
        .column(notification::Column::Subject)
        .filter(notification::Column::Id.is_in(note_ids))
        .into_tuple::<(i32, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, k, s)| (id, (k, s)))
        .collect();
    let names = super::context::user_names(db, rows.iter().map(|d| d.user_id)).await?;
    let email_ids: Vec<i32> = rows.iter().filter_map(|d| d.email_id).collect();
    let emails: HashMap<i32, (String, Option<String>)> = scope
        .find::<email::Entity>()
        .filter(email::Column::Id.is_in(email_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, (e.status, e.last_error)))
        .collect();
    let hook_ids: Vec<i32> = rows.iter().filter_map(|d| d.webhook_delivery_id).collect();
    let hooks: HashMap<i32, (String, Option<String>)> = scope
        .find::<webhook_delivery::Entity>()
        .filter(webhook_delivery::Column::Id.is_in(hook_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, (h.status, h.error)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|d| {
            let (kind, subject) = notes.get(&d.notification_id).cloned().unwrap_or_default();
            let (st, detail) = match (d.email_id, d.webhook_delivery_id) {
                (Some(e), _) => emails.get(&e).map_or_else(
                    || (d.status.clone(), Some(format!("Email {e} (archived)"))),
                    |(s, err)| {
                        let s = match s.as_str() {
                            "sent" => "sent",
                            "failed" | "unsent" => "failed",
                            _ => status::QUEUED,
                        };
                        (
                            s.to_owned(),
                            Some(err.clone().map_or_else(
                                || format!("Email {e}"),
                                |x| format!("Email {e}: {x}"),
                            )),
                        )
                    },
                ),
                (None, Some(h)) => hooks.get(&h).map_or_else(
                    || (d.status.clone(), None),
                    |(s, err)| {
                        let s = match s.as_str() {
                            "succeeded" => "sent",
                            "dead" | "failed" => "failed",
                            "skipped" => status::SKIPPED,
                            _ => status::QUEUED,
                        };
                        (
                            s.to_owned(),
                            Some(err.clone().map_or_else(
                                || format!("Webhook delivery {h}"),
                                |x| format!("Webhook delivery {h}: {x}"),
                            )),
                        )
                    },
                ),
                (None, None) => (d.status.clone(), d.last_error.clone()),
            };
            DeliveryView {
                id: d.id,
                recipient: names.get(&d.user_id).cloned().unwrap_or_default(),
                channel: d.channel,
                kind: NoticeKind::parse(&kind).unwrap_or(NoticeKind::Rule),
                subject,
                status: st,
                detail,
                due_at: d.due_at.to_rfc3339(),
                sent_at: d.sent_at.map(|t| t.to_rfc3339()),
            }
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_default_template_renders() {
        for k in NoticeKind::ALL {
            let (s, b) = default_template(*k);
            assert!(!render("subject", s, &sample()).unwrap().is_empty(), "{k}");
            assert!(!render("body", b, &sample()).unwrap().is_empty(), "{k}");
        }
    }

    #[test]
    fn unknown_variables_are_named() {
        let e = render("body", "Hi {{ customer.name }}", &sample()).unwrap_err();
        assert!(e.to_string().contains("customer.name"), "{e}");
    }

    #[test]
    fn approval_without_a_ticket_says_no_ticket() {
        let mut ctx = sample();
        ctx["ticket"] = json!({"number": "", "subject": ""});
        let (_, b) = default_template(NoticeKind::Approval);
        let text = render("body", b, &ctx).unwrap();
        assert!(!text.contains(" on "), "{text}");
    }

    #[test]
    fn digests_follow_the_recipients_zone() {
        // 2026-03-08 is the US change to summer time: 9:00 in New York is 13:00
        // UTC that morning (14:00 the day before).
        let t = Utc.with_ymd_and_hms(2026, 3, 7, 15, 0, 0).unwrap();
        assert_eq!(
            next_daily(Some("America/New_York"), t),
            Utc.with_ymd_and_hms(2026, 3, 8, 13, 0, 0).unwrap()
        );
        let before = Utc.with_ymd_and_hms(2026, 3, 7, 13, 59, 0).unwrap();
        assert_eq!(
            next_daily(Some("America/New_York"), before),
            Utc.with_ymd_and_hms(2026, 3, 7, 14, 0, 0).unwrap()
        );
        assert_eq!(
            next_daily(None, t),
            Utc.with_ymd_and_hms(2026, 3, 8, 9, 0, 0).unwrap()
        );
        assert_eq!(
            next_daily(Some("Not/AZone"), t),
            Utc.with_ymd_and_hms(2026, 3, 8, 9, 0, 0).unwrap()
        );
        assert_eq!(
            next_hour(Utc.with_ymd_and_hms(2026, 3, 7, 15, 20, 5).unwrap()),
            Utc.with_ymd_and_hms(2026, 3, 7, 16, 0, 0).unwrap()
        );
        assert_eq!(
            email_due(EmailMode::Instant, t, 60, None),
            Some(t + Duration::seconds(60))
        );
        assert_eq!(email_due(EmailMode::Off, t, 60, None), None);
    }
}
