//! Report exports (SPEC C8.3): a saved report exported now, or emailed on a
//! schedule (daily, weekly on Mondays, monthly on the 1st, at 08:00 in the
//! zone of whoever set it up), as CSV or PDF.
//!
//! - **Built by a job.** Asking for an export writes its row and its
//!   `reports.export` job in one transaction; the job runs the report as the
//!   person who asked (their permissions and zone), writes the file and records
//!   its progress (rows written of rows to write) as it goes, announcing it on
//!   the bus so the exports page moves. A crash mid-way leaves the job to be
//!   claimed again, and it starts the file over.
//! - **The file** is kept on the export row for download, and emailed as an
//!   attachment to the recipients in the transaction that finishes it.
//! - **CSV**: the points (group, series, value, conversations), then — when
//!   asked — every conversation counted (up to [`EXPORT_ROW_LIMIT`]), read in
//!   pages of [`PAGE`] by id. **PDF**: [`super::pdf`].
//! - **Schedules** are fired by the minutely `reports.export_sweep` job: each
//!   due schedule moves its next run forward with a conditional update, so two
//!   schedulers never both fire it, and queues an export in that transaction.
//! - **A deleted report** takes its schedules with it; its exports keep their
//!   own copy of the name and definition and stay downloadable.
//! - **Who may**: anyone who reads reports exports the reports they can see and
//!   schedules them to members of the workspace; admins may also email outside
//!   addresses, and see and remove every schedule and export.

use super::super::context::{load_actor, Actor};
use super::super::jobs::{self, NewJob};
use super::super::mail::{self, MailFile};
use super::super::tenancy::{global, Scoped, System};
use super::super::uow::UnitOfWork;
use super::super::{bus, now, AppState, ServiceError, ServiceResult};
use super::{pdf, saved};
use crate::permissions::Action;
use crate::types::{
    looks_like_email, DrillRow, ExportForm, ExportFormat, ExportSchedule, ExportView, ExportsPage,
    Frequency, ReportResult, ReportSpec, EXPORT_ROW_LIMIT, MAX_RECIPIENTS,
};
use chrono::{DateTime, Utc};
use entity::{membership, report_export, report_schedule, user, workspace};
use jiff::tz::TimeZone;
use jiff::{civil::Weekday, Timestamp, ToSpan};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// Job kind: build one export.
pub const JOB: &str = "reports.export";
/// Job kind: queue the exports of due schedules (every minute).
pub const SWEEP_JOB: &str = "reports.export_sweep";
/// Conversations read per page (and per progress update).
pub const PAGE: u64 = 500;
/// The local hour scheduled exports run at.
pub const RUN_HOUR: i8 = 8;
/// Files larger than this are linked from the email, not attached.
pub const ATTACH_LIMIT: usize = 10 * 1024 * 1024;
/// Exports listed on the page.
const LISTED: u64 = 30;

/// Export statuses.
pub mod status {
    /// Waiting for its job.
    pub const QUEUED: &str = "queued";
    /// Being written.
    pub const RUNNING: &str = "running";
    /// Finished: the file is there.
    pub const DONE: &str = "done";
    /// Could not be made (the error says why).
    pub const FAILED: &str = "failed";
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn split_recipients(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Checks recipients: addresses, at most [`MAX_RECIPIENTS`], members only
/// unless the actor manages reports. Returns them deduplicated, in order.
async fn check_recipients(
    db: &impl ConnectionTrait,
    actor: &Actor,
    raw: &str,
    required: bool,
) -> ServiceResult<Vec<String>> {
    let mut list = Vec::new();
    for a in split_recipients(raw) {
        if !looks_like_email(&a) {
            return Err(ServiceError::invalid(
                "recipients",
                format!("\u{201c}{a}\u{201d} is not an email address."),
            ));
        }
        if !list.contains(&a) {
            list.push(a);
        }
    }
    if required && list.is_empty() {
        return Err(ServiceError::invalid(
            "recipients",
            "Add at least one address to email the report to.",
        ));
    }
    if list.len() > MAX_RECIPIENTS {
        return Err(ServiceError::invalid(
            "recipients",
            "Email a report to at most 20 addresses.",
        ));
    }
    if !list.is_empty() && !actor.can(Action::ManageReports) {
        let members: Vec<String> = actor
            .scope
            .find::<membership::Entity>()
            .find_also_related(user::Entity)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(_, u)| u.map(|u| u.email.to_lowercase()))
            .collect();
        if let Some(out) = list.iter().find(|a| !members.contains(a)) {
            return Err(ServiceError::invalid(
                "recipients",
                format!("{out} is not a member of this workspace: only admins email reports outside it."),
            ));
        }
    }
    Ok(list)
}

/// The next run of a schedule after `t`: 08:00 in `zone` on the next day,
/// Monday or 1st of the month.
pub fn next_run(freq: Frequency, zone: &str, t: DateTime<Utc>) -> DateTime<Utc> {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let Ok(ts) = Timestamp::from_second(t.timestamp()) else {
        return t + chrono::Duration::days(1);
    };
    let local = ts.to_zoned(tz);
    let today = local.date();
    let mut day = today;
    for _ in 0..400 {
        let fits = match freq {
            Frequency::Daily => true,
            Frequency::Weekly => day.weekday() == Weekday::Monday,
            Frequency::Monthly => day.day() == 1,
        };
        if fits {
            if let Ok(at) = day
                .at(RUN_HOUR, 0, 0, 0)
                .to_zoned(local.time_zone().clone())
            {
                let secs = at.timestamp().as_second();
                if secs > t.timestamp() {
                    return DateTime::from_timestamp(secs, 0).unwrap_or(t);
                }
            }
        }
        match day.checked_add(1.day()) {
            Ok(d) => day = d,
            Err(_) => break,
        }
    }
    t + chrono::Duration::days(1)
}

async fn zone_of_user(db: &impl ConnectionTrait, user_id: i32) -> ServiceResult<String> {
    Ok(global::<user::Entity>()
        .filter(user::Column::Id.eq(user_id))
        .one(db)
        .await?
        .and_then(|u| u.timezone)
        .filter(|z| TimeZone::get(z).is_ok())
        .unwrap_or_else(|| "UTC".to_owned()))
}

fn export_view(e: &report_export::Model) -> ExportView {
    ExportView {
        id: e.id,
        report_name: e.report_name.clone(),
        format: ExportFormat::parse(&e.format).unwrap_or_default(),
        status: e.status.clone(),
        rows_done: e.rows_done,
        rows_total: e.rows_total,
        filename: e.filename.clone(),
        size_bytes: e.size_bytes,
        error: e.error.clone(),
        recipients: split_recipients(&e.recipients),
        scheduled: e.schedule_id.is_some(),
        created_at: rfc(e.created_at),
        finished_at: e.finished_at.map(rfc),
    }
}

/// The exports page: reports you can export, schedules, your latest exports.
///
/// # Errors
/// Permission; database errors.
pub async fn page(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<ExportsPage> {
    actor.require(Action::ViewReports)?;
    let reports = saved::list(db, actor).await?;
    let names: HashMap<i32, String> = reports.iter().map(|r| (r.id, r.name.clone())).collect();
    let admin = actor.can(Action::ManageReports);
    let owners: HashMap<i32, String> = global::<user::Entity>()
        .filter(
            user::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(
                actor
                    .scope
                    .find::<membership::Entity>()
                    .select_only()
                    .column(membership::Column::UserId),
            )),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let schedules = actor
        .scope
        .find::<report_schedule::Entity>()
        .filter(report_schedule::Column::ReportId.is_in(names.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(report_schedule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ExportSchedule {
            id: s.id,
            report_id: s.report_id,
            report_name: names.get(&s.report_id).cloned().unwrap_or_default(),
            format: ExportFormat::parse(&s.format).unwrap_or_default(),
            frequency: Frequency::parse(&s.frequency).unwrap_or_default(),
            recipients: split_recipients(&s.recipients),
            include_conversations: s.include_conversations,
            next_run_at: rfc(s.next_run_at),
            last_run_at: s.last_run_at.map(rfc),
            last_error: s.last_error.clone(),
            owner: owners.get(&s.user_id).cloned().unwrap_or_default(),
            deletable: admin || s.user_id == actor.user_id,
        })
        .collect();
    let mut q = actor.scope.find::<report_export::Entity>();
    if !admin {
        q = q.filter(report_export::Column::UserId.eq(actor.user_id));
    }
    let exports = q
        .select_only()
        .columns([
            report_export::Column::Id,
            report_export::Column::WorkspaceId,
            report_export::Column::ReportId,
            report_export::Column::ScheduleId,
            report_export::Column::UserId,
            report_export::Column::ReportName,
            report_export::Column::Spec,
            report_export::Column::Format,
            report_export::Column::IncludeConversations,
            report_export::Column::Recipients,
            report_export::Column::Status,
            report_export::Column::RowsDone,
            report_export::Column::RowsTotal,
            report_export::Column::Filename,
            report_export::Column::ContentType,
            report_export::Column::SizeBytes,
            report_export::Column::Error,
            report_export::Column::CreatedAt,
            report_export::Column::FinishedAt,
        ])
        .column_as(Expr::cust("NULL"), "content")
        .order_by_desc(report_export::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?
        .iter()
        .map(export_view)
        .collect();
    Ok(ExportsPage {
        reports,
        schedules,
        exports,
        zone: zone_of_user(db, actor.user_id).await?,
    })
}

/// The saved report a form names, if the actor can see it.
async fn report_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> ServiceResult<crate::types::SavedReport> {
    saved::list(db, actor)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(ServiceError::NotFound("Report"))
}

fn format_of(s: &str) -> ServiceResult<ExportFormat> {
    ExportFormat::parse(s).ok_or_else(|| ServiceError::invalid("format", "Choose CSV or PDF."))
}

fn filename(name: &str, day: &str, format: ExportFormat) -> String {
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    let base = base.trim_matches('-');
    let base = if base.is_empty() { "report" } else { base };
    format!("{base}-{day}.{}", format.as_str())
}

/// Writes a queued export and its job (in `db`, a transaction).
#[expect(clippy::too_many_arguments, reason = "one row's columns")]
async fn queue(
    db: &impl ConnectionTrait,
    state: &AppState,
    scope: Scoped,
    user_id: i32,
    report: &crate::types::SavedReport,
    schedule_id: Option<i32>,
    format: ExportFormat,
    include_conversations: bool,
    recipients: &[String],
) -> ServiceResult<report_export::Model> {
    let t = now();
    let spec =
        serde_json::to_string(&report.spec).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let row = report_export::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        report_id: Set(Some(report.id)),
        schedule_id: Set(schedule_id),
        user_id: Set(user_id),
        report_name: Set(report.name.clone()),
        spec: Set(spec),
        format: Set(format.as_str().to_owned()),
        include_conversations: Set(include_conversations),
        recipients: Set(recipients.join(", ")),
        status: Set(status::QUEUED.to_owned()),
        rows_done: Set(0),
        rows_total: Set(0),
        filename: Set(filename(
            &report.name,
            &t.format("%Y-%m-%d").to_string(),
            format,
        )),
        content_type: Set(format.content_type().to_owned()),
        size_bytes: Set(0),
        error: Set(None),
        created_at: Set(t),
        finished_at: Set(None),
        content: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut job = NewJob::new(JOB, serde_json::json!({ "export_id": row.id }));
    job.workspace_id = Some(scope.workspace_id());
    jobs::enqueue(db, &state.config.jobs, job).await?;
    Ok(row)
}

/// Exports a saved report now (emailed too when the form has recipients).
///
/// # Errors
/// Permission; `Invalid` format or recipients; `NotFound` report; database errors.
pub async fn export_now(
    state: &AppState,
    actor: &Actor,
    form: &ExportForm,
) -> ServiceResult<ExportView> {
    actor.require(Action::ViewReports)?;
    let format = format_of(&form.format)?;
    let report = report_of(&state.db, actor, form.report_id).await?;
    let recipients = check_recipients(&state.db, actor, &form.recipients, false).await?;
    let mut uow = UnitOfWork::begin(state).await?;
    let row = queue(
        &*uow,
        state,
        actor.scope,
        actor.user_id,
        &report,
        None,
        format,
        form.include_conversations,
        &recipients,
    )
    .await?;
    uow.jobs_enqueued();
    uow.emit(progress_event(&row));
    uow.commit().await?;
    Ok(export_view(&row))
}

/// Schedules a saved report to be emailed.
///
/// # Errors
/// Permission; `Invalid` format, frequency or recipients; `NotFound` report;
/// database errors.
pub async fn schedule(
    db: &impl ConnectionTrait,
    actor: &Actor,
    form: &ExportForm,
) -> ServiceResult<ExportSchedule> {
    actor.require(Action::ViewReports)?;
    let format = format_of(&form.format)?;
    let freq = form
        .frequency
        .as_deref()
        .and_then(Frequency::parse)
        .ok_or_else(|| ServiceError::invalid("frequency", "Choose daily, weekly or monthly."))?;
    let report = report_of(db, actor, form.report_id).await?;
    let recipients = check_recipients(db, actor, &form.recipients, true).await?;
    let zone = zone_of_user(db, actor.user_id).await?;
    let t = now();
    let row = report_schedule::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        report_id: Set(report.id),
        user_id: Set(actor.user_id),
        format: Set(format.as_str().to_owned()),
        frequency: Set(freq.as_str().to_owned()),
        recipients: Set(recipients.join(", ")),
        include_conversations: Set(form.include_conversations),
        next_run_at: Set(next_run(freq, &zone, t)),
        last_run_at: Set(None),
        last_error: Set(None),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(ExportSchedule {
        id: row.id,
        report_id: report.id,
        report_name: report.name,
        format,
        frequency: freq,
        recipients,
        include_conversations: row.include_conversations,
        next_run_at: rfc(row.next_run_at),
        last_run_at: None,
        last_error: None,
        owner: actor.name.clone(),
        deletable: true,
    })
}

/// Removes a schedule (yours, or any when you manage reports).
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn unschedule(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ViewReports)?;
    let mut q = actor
        .scope
        .delete_many::<report_schedule::Entity>()
        .filter(report_schedule::Column::Id.eq(id));
    if !actor.can(Action::ManageReports) {
        q = q.filter(report_schedule::Column::UserId.eq(actor.user_id));
    }
    if q.exec(db).await?.rows_affected == 0 {
        return Err(ServiceError::NotFound("Schedule"));
    }
    Ok(())
}

/// A finished export's file: (name, type, bytes).
///
/// # Errors
/// Permission; `NotFound` (not yours, not finished); database errors.
pub async fn download(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> ServiceResult<(String, String, Vec<u8>)> {
    actor.require(Action::ViewReports)?;
    let mut q = actor
        .scope
        .find::<report_export::Entity>()
        .filter(report_export::Column::Id.eq(id));
    if !actor.can(Action::ManageReports) {
        q = q.filter(report_export::Column::UserId.eq(actor.user_id));
    }
    let e = q.one(db).await?.ok_or(ServiceError::NotFound("Export"))?;
    match (e.status.as_str(), e.content) {
        (status::DONE, Some(bytes)) => Ok((e.filename, e.content_type, bytes)),
        _ => Err(ServiceError::NotFound("Finished export")),
    }
}

fn progress_event(e: &report_export::Model) -> bus::Event {
    bus::Event::new(
        e.workspace_id,
        "report.export",
        serde_json::json!({
            "export_id": e.id,
            "status": e.status,
            "rows_done": e.rows_done,
            "rows_total": e.rows_total,
        }),
    )
}

/// The minutely sweep: queues an export for every due schedule.
///
/// # Errors
/// Database errors.
pub async fn sweep(state: &AppState) -> Result<(), String> {
    let t = now();
    let due = System::new("the export sweep fires every workspace's due schedules")
        .find::<report_schedule::Entity>()
        .filter(report_schedule::Column::NextRunAt.lte(t))
        .order_by_asc(report_schedule::Column::NextRunAt)
        .limit(200)
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let mut failed = Vec::new();
    for s in due {
        if let Err(e) = fire(state, &s, t).await {
            tracing::error!(schedule = s.id, error = %e, "scheduled export could not be queued");
            failed.push(format!("schedule {}: {e}", s.id));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// Fires one due schedule: moves its next run on and queues its export, in
/// one transaction; nothing when another scheduler fired it first.
async fn fire(state: &AppState, s: &report_schedule::Model, t: DateTime<Utc>) -> ServiceResult<()> {
    let scope = Scoped::new(s.workspace_id);
    let freq = Frequency::parse(&s.frequency).unwrap_or_default();
    let zone = zone_of_user(&state.db, s.user_id).await?;
    let next = next_run(freq, &zone, t);
    let mut uow = UnitOfWork::begin(state).await?;
    let moved = scope
        .update_many::<report_schedule::Entity>()
        .col_expr(report_schedule::Column::NextRunAt, Expr::value(next))
        .col_expr(report_schedule::Column::LastRunAt, Expr::value(Some(t)))
        .filter(report_schedule::Column::Id.eq(s.id))
        .filter(report_schedule::Column::NextRunAt.eq(s.next_run_at))
        .exec(&*uow)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(());
    }
    let queued = match load_actor(&*uow, s.user_id, s.workspace_id).await {
        Ok(actor) => match report_of(&*uow, &actor, s.report_id).await {
            Ok(report) => {
                let row = queue(
                    &*uow,
                    state,
                    scope,
                    s.user_id,
                    &report,
                    Some(s.id),
                    ExportFormat::parse(&s.format).unwrap_or_default(),
                    s.include_conversations,
                    &split_recipients(&s.recipients),
                )
                .await?;
                uow.jobs_enqueued();
                uow.emit(progress_event(&row));
                Ok(())
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let error = match queued {
        Ok(()) => None,
        Err(ServiceError::Unauthenticated) => Some(
            "Its owner is no longer a member of this workspace: set the schedule up again."
                .to_owned(),
        ),
        Err(ServiceError::NotFound(_)) => {
            Some("Its owner can no longer open the report.".to_owned())
        }
        Err(e) => return Err(e),
    };
    scope
        .update_many::<report_schedule::Entity>()
        .col_expr(report_schedule::Column::LastError, Expr::value(error))
        .filter(report_schedule::Column::Id.eq(s.id))
        .exec(&*uow)
        .await?;
    uow.commit().await
}

async fn set_progress(
    state: &AppState,
    e: &mut report_export::Model,
    done: i64,
    total: i64,
) -> ServiceResult<()> {
    e.rows_done = done;
    e.rows_total = total;
    Scoped::new(e.workspace_id)
        .update_many::<report_export::Entity>()
        .col_expr(report_export::Column::Status, Expr::value(e.status.clone()))
        .col_expr(report_export::Column::RowsDone, Expr::value(done))
        .col_expr(report_export::Column::RowsTotal, Expr::value(total))
        .filter(report_export::Column::Id.eq(e.id))
        .exec(&state.db)
        .await?;
    state.bus.publish(progress_event(e));
    Ok(())
}

/// One CSV field, quoted when it must be (RFC 4180); a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so spreadsheets do not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_line(out: &mut String, fields: &[&str]) {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

fn value_text(v: Option<f64>) -> String {
    v.map(|v| {
        if v.fract().abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    })
    .unwrap_or_default()
}

/// The points as CSV: group, series, value (raw: seconds, per cent, count),
/// value as shown, conversations.
fn points_csv(r: &ReportResult) -> String {
    let mut out = String::new();
    let value_head = format!("{} ({})", r.title, unit_name(r));
    csv_line(
        &mut out,
        &["Group", "Series", &value_head, "Shown", "Conversations"],
    );
    for p in &r.points {
        csv_line(
            &mut out,
            &[
                &p.label,
                &p.series_label,
                &value_text(p.value),
                &p.shown,
                &p.count.to_string(),
            ],
        );
    }
    out
}

fn unit_name(r: &ReportResult) -> &'static str {
    match r.spec.metric.unit() {
        crate::types::Unit::Count => "count",
        crate::types::Unit::Seconds => "seconds",
        crate::types::Unit::Ratio => "per ticket",
        crate::types::Unit::Percent => "per cent",
    }
}

fn conversation_csv_line(out: &mut String, c: &DrillRow) {
    csv_line(
        out,
        &[
            &crate::types::ticket_ref(c.number),
            &c.created_at,
            &c.channel,
            &c.status,
            &c.priority,
            &c.subject,
            &c.value,
        ],
    );
}

/// The export job.
///
/// # Errors
/// Database errors (retried); a report that cannot run any more fails the
/// export for good, saying why.
pub async fn run_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let id = payload
        .get("export_id")
        .and_then(serde_json::Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or("payload has no export_id")?;
    let Some(mut e) = System::new("the export job reads the export it builds")
        .find::<report_export::Entity>()
        .filter(report_export::Column::Id.eq(id))
        .one(&state.db)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    if e.status == status::DONE || e.status == status::FAILED {
        return Ok(());
    }
    match build(state, &mut e).await {
        Ok(()) => Ok(()),
        Err(err @ (ServiceError::Db(_) | ServiceError::Internal(_))) => Err(err.to_string()),
        Err(err) => {
            let why = match err {
                ServiceError::Unauthenticated => {
                    "The person who asked for it is no longer a member of this workspace."
                        .to_owned()
                }
                ServiceError::Invalid { message, .. } | ServiceError::Conflict { message, .. } => {
                    format!("The report cannot run as saved: {message}")
                }
                ServiceError::Forbidden(m) => m,
                other => other.to_string(),
            };
            fail(state, &mut e, &why).await.map_err(|x| x.to_string())
        }
    }
}

async fn fail(state: &AppState, e: &mut report_export::Model, why: &str) -> ServiceResult<()> {
    let scope = Scoped::new(e.workspace_id);
    e.status = status::FAILED.to_owned();
    scope
        .update_many::<report_export::Entity>()
        .col_expr(report_export::Column::Status, Expr::value(status::FAILED))
        .col_expr(
            report_export::Column::Error,
            Expr::value(Some(why.to_owned())),
        )
        .col_expr(report_export::Column::FinishedAt, Expr::value(Some(now())))
        .filter(report_export::Column::Id.eq(e.id))
        .exec(&state.db)
        .await?;
    if let Some(s) = e.schedule_id {
        scope
            .update_many::<report_schedule::Entity>()
            .col_expr(
                report_schedule::Column::LastError,
                Expr::value(Some(why.to_owned())),
            )
            .filter(report_schedule::Column::Id.eq(s))
            .exec(&state.db)
            .await?;
    }
    state.bus.publish(progress_event(e));
    Ok(())
}

async fn build(state: &AppState, e: &mut report_export::Model) -> ServiceResult<()> {
    let db = &state.db;
    let actor = load_actor(db, e.user_id, e.workspace_id).await?;
    let spec: ReportSpec = serde_json::from_str(&e.spec)
        .map_err(|x| ServiceError::Internal(format!("export {} spec: {x}", e.id)))?;
    let format = ExportFormat::parse(&e.format).unwrap_or_default();
    e.status = status::RUNNING.to_owned();
    set_progress(state, e, 0, 0).await?;
    let result = super::run(db, &actor, &spec).await?;
    let points = i64::try_from(result.points.len()).unwrap_or(i64::MAX);
    let all = if e.include_conversations {
        super::count_all(db, &actor, &spec)
            .await?
            .min(EXPORT_ROW_LIMIT)
    } else {
        0
    };
    let wanted = if format == ExportFormat::Pdf {
        all.min(pdf::PDF_ROW_LIMIT as u64)
    } else {
        all
    };
    let total = points + i64::try_from(wanted).unwrap_or(i64::MAX);
    set_progress(state, e, points, total).await?;
    // The conversations, a page at a time.
    let mut rows: Vec<DrillRow> = Vec::new();
    let mut csv = String::new();
    let mut after = 0;
    let mut read: u64 = 0;
    while read < wanted {
        let page = super::page_all(db, &actor, &spec, after, PAGE.min(wanted - read)).await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = *last;
        read += page.len() as u64;
        for (_, row) in page {
            match format {
                ExportFormat::Csv => conversation_csv_line(&mut csv, &row),
                ExportFormat::Pdf => rows.push(row),
            }
        }
        set_progress(
            state,
            e,
            points + i64::try_from(read).unwrap_or(i64::MAX),
            total,
        )
        .await?;
    }
    let ws_name = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(e.workspace_id))
        .one(db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let made = made_at(&result.zone, now());
    let bytes = match format {
        ExportFormat::Csv => {
            let mut out = String::new();
            csv_line(&mut out, &[&e.report_name]);
            csv_line(
                &mut out,
                &[&format!(
                    "{} · {} · times in {}",
                    result.title, result.period, result.zone
                )],
            );
            csv_line(
                &mut out,
                &[&format!(
                    "Total: {} over {} {}",
                    result.total, result.total_count, result.population
                )],
            );
            out.push_str("\r\n");
            out.push_str(&points_csv(&result));
            if e.include_conversations {
                out.push_str("\r\n");
                csv_line(
                    &mut out,
                    &[
                        "Ticket",
                        "Created (UTC)",
                        "Channel",
                        "Status",
                        "Priority",
                        "Subject",
                        "Value",
                    ],
                );
                out.push_str(&csv);
            }
            // A byte-order mark so spreadsheet programs read UTF-8.
            let mut b = "\u{feff}".as_bytes().to_vec();
            b.extend_from_slice(out.as_bytes());
            b
        }
        ExportFormat::Pdf => pdf::render(
            &e.report_name,
            &ws_name,
            &made,
            &result,
            e.include_conversations.then_some((rows.as_slice(), all)),
        ),
    };
    finish(state, e, &result, bytes).await
}

fn made_at(zone: &str, t: DateTime<Utc>) -> String {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    Timestamp::from_second(t.timestamp())
        .map(|ts| ts.to_zoned(tz).strftime("%b %-d, %Y %H:%M %Z").to_string())
        .unwrap_or_default()
}

/// Stores the file and emails it, in one transaction.
async fn finish(
    state: &AppState,
    e: &mut report_export::Model,
    result: &ReportResult,
    bytes: Vec<u8>,
) -> ServiceResult<()> {
    let scope = Scoped::new(e.workspace_id);
    let size = bytes.len();
    let recipients = split_recipients(&e.recipients);
    let mut uow = UnitOfWork::begin(state).await?;
    e.status = status::DONE.to_owned();
    e.rows_done = e.rows_total;
    scope
        .update_many::<report_export::Entity>()
        .col_expr(report_export::Column::Status, Expr::value(status::DONE))
        .col_expr(report_export::Column::RowsDone, Expr::value(e.rows_total))
        .col_expr(
            report_export::Column::SizeBytes,
            Expr::value(i64::try_from(size).unwrap_or(i64::MAX)),
        )
        .col_expr(report_export::Column::Error, Expr::value(None::<String>))
        .col_expr(report_export::Column::FinishedAt, Expr::value(Some(now())))
        .col_expr(
            report_export::Column::Content,
            Expr::value(Some(bytes.clone())),
        )
        .filter(report_export::Column::Id.eq(e.id))
        .exec(&*uow)
        .await?;
    if let Some(s) = e.schedule_id {
        scope
            .update_many::<report_schedule::Entity>()
            .col_expr(
                report_schedule::Column::LastError,
                Expr::value(None::<String>),
            )
            .filter(report_schedule::Column::Id.eq(s))
            .exec(&*uow)
            .await?;
    }
    let link = format!(
        "{}/app/reports/exports",
        state.config.public_url.trim_end_matches('/')
    );
    for to in &recipients {
        let mut mail = mail::templates::report_export(
            e.workspace_id,
            to,
            &e.report_name,
            &format!(
                "{} · {} · total {} over {} {}",
                result.title, result.period, result.total, result.total_count, result.population
            ),
            size <= ATTACH_LIMIT,
            &link,
        );
        if size <= ATTACH_LIMIT {
            mail.attachments.push(MailFile {
                filename: e.filename.clone(),
                content_type: e.content_type.clone(),
                content: bytes.clone(),
            });
        }
        mail::enqueue(&*uow, &state.config, mail).await?;
        uow.jobs_enqueued();
    }
    uow.emit(progress_event(e));
    uow.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn schedules_run_at_eight_in_the_owners_zone() {
        // Daily: before 08:00 it is today, after it tomorrow.
        assert_eq!(
            next_run(Frequency::Daily, "UTC", utc("2026-12-07T07:00:00Z")),
            utc("2026-12-07T08:00:00Z")
        );
        assert_eq!(
            next_run(Frequency::Daily, "UTC", utc("2026-12-07T08:00:00Z")),
            utc("2026-12-08T08:00:00Z")
        );
        // Berlin is UTC+1 in December.
        assert_eq!(
            next_run(
                Frequency::Daily,
                "Europe/Berlin",
                utc("2026-12-07T09:00:00Z")
            ),
            utc("2026-12-08T07:00:00Z")
        );
        // 2026-12-07 is a Monday: the next Monday after 08:00 is the 14th.
        assert_eq!(
            next_run(Frequency::Weekly, "UTC", utc("2026-12-07T09:00:00Z")),
            utc("2026-12-14T08:00:00Z")
        );
        assert_eq!(
            next_run(Frequency::Monthly, "UTC", utc("2026-12-07T09:00:00Z")),
            utc("2027-01-01T08:00:00Z")
        );
        // New York's 08:00 on the 1st of March 2027 is 13:00 UTC (EST).
        assert_eq!(
            next_run(
                Frequency::Monthly,
                "America/New_York",
                utc("2027-02-10T00:00:00Z")
            ),
            utc("2027-03-01T13:00:00Z")
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-12.5"), "-12.5");
    }

    #[test]
    fn file_names_are_plain() {
        assert_eq!(
            filename(
                "Tickets by channel / week!",
                "2026-12-07",
                ExportFormat::Csv
            ),
            "tickets-by-channel-week-2026-12-07.csv"
        );
        assert_eq!(
            filename("???", "2026-12-07", ExportFormat::Pdf),
            "report-2026-12-07.pdf"
        );
    }

    #[test]
    fn recipients_split_on_commas_spaces_and_lines() {
        assert_eq!(
            split_recipients("A@x.test, b@x.test;\nc@x.test  "),
            vec!["a@x.test", "b@x.test", "c@x.test"]
        );
    }
}
