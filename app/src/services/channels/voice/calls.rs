//! Call events, the agent sync job and the recording retention sweep.

use super::super::super::ai::extractive::{self, ThreadLine};
use super::super::super::inbox::{conversations, messages};
use super::super::super::tenancy::{Scoped, System};
use super::super::super::uow::UnitOfWork;
use super::super::super::{now, AppState, ServiceError, ServiceResult};
use super::super::inbound::{self, InboundMessage, Sender};
use super::{account, webhook_url, Account};
use crate::types::{Channel, IdentifierKind};
use chrono::{DateTime, Utc};
use entity::{message, phone_call, voice_account};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QuerySelect, Set, SqlErr};
use serde::Deserialize;

/// Job: push the webhook address and agent settings to the provider.
pub const SYNC_JOB: &str = "voice.sync_agent";
/// Job (daily): delete recordings past the retention period.
pub const RETENTION_JOB: &str = "voice.retention";
/// A call's status while its summary waits for the transcription service.
pub const AWAITING_TRANSCRIPT: &str = "awaiting_transcript";

#[derive(Debug, Deserialize)]
struct Envelope {
    event: String,
    call: CallObject,
}

#[derive(Debug, Default, Deserialize)]
struct CallObject {
    call_id: String,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    from_number: Option<String>,
    #[serde(default)]
    to_number: Option<String>,
    #[serde(default)]
    start_timestamp: Option<i64>,
    #[serde(default)]
    end_timestamp: Option<i64>,
    #[serde(default)]
    duration_ms: Option<i64>,
    #[serde(default)]
    transcript: Option<String>,
    #[serde(default)]
    recording_url: Option<String>,
    #[serde(default)]
    disconnection_reason: Option<String>,
    #[serde(default)]
    call_analysis: Option<Analysis>,
}

#[derive(Debug, Default, Deserialize)]
struct Analysis {
    #[serde(default)]
    call_summary: Option<String>,
    #[serde(default)]
    user_sentiment: Option<String>,
}

/// What became of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded on the call's conversation.
    Recorded {
        /// The conversation.
        conversation_id: i32,
    },
    /// Nothing to record, and why.
    Ignored(String),
}

fn at_ms(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::<Utc>::from_timestamp_millis)
}

fn duration_text(ms: i64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Handles one signed webhook body.
///
/// # Errors
/// `Invalid` for a body that is not a call event; database errors.
pub async fn on_event(state: &AppState, a: &Account, body: &[u8]) -> ServiceResult<Outcome> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| {
        ServiceError::invalid(
            "body",
            format!("The body is not a call event ({e}): expected {{\"event\": \"call_ended\", \"call\": {{\"call_id\": …}}}}."),
        )
    })?;
    let event = env.event.replace('.', "_");
    if !matches!(
        event.as_str(),
        "call_started" | "call_ended" | "call_analyzed"
    ) {
        return Ok(Outcome::Ignored(format!(
            "event `{}` is not recorded",
            env.event
        )));
    }
    let call = env.call;
    if call.call_id.trim().is_empty() || call.call_id.len() > 200 {
        return Err(ServiceError::invalid(
            "call_id",
            "Each call event needs its call_id.",
        ));
    }
    let inbound_call = call.direction.as_deref() != Some("outbound");
    let number = if inbound_call {
        call.from_number.clone()
    } else {
        call.to_number.clone()
    };
    let Some(number) = number.filter(|n| !n.trim().is_empty()) else {
        return Ok(Outcome::Ignored(
            "a call without a phone number (a web call) is not recorded".into(),
        ));
    };
    let scope = Scoped::new(a.row.workspace_id);
    let row = ensure_call(state, scope, &call, &number, inbound_call).await?;
    let conversation_id = row.conversation_id;
    if event == "call_started" {
        return Ok(Outcome::Recorded { conversation_id });
    }
    let row = record_end(state, scope, row, &call).await?;
    let provider = call
        .call_analysis
        .as_ref()
        .and_then(|x| x.call_summary.clone())
        .filter(|s| !s.trim().is_empty() && a.row.provider_summary);
    // A call without a transcript is transcribed from its recording when the
    // workspace says so; the built-in summary then waits for that transcript.
    let awaiting = row
        .transcript
        .as_deref()
        .unwrap_or_default()
        .trim()
        .is_empty()
        && super::super::transcription::request_for_call(state, scope, &row).await?;
    // The provider's summary comes with `call_analyzed`; without one (or when the
    // workspace prefers its own), the built-in summary is written at once.
    if event == "call_analyzed" || !a.row.provider_summary {
        let sentiment = call.call_analysis.and_then(|x| x.user_sentiment);
        if awaiting && provider.is_none() {
            // The transcript's arrival writes the summary (with this sentiment).
            scope
                .update_many::<phone_call::Entity>()
                .col_expr(phone_call::Column::Status, Expr::value(AWAITING_TRANSCRIPT))
                .col_expr(phone_call::Column::Sentiment, Expr::value(sentiment))
                .col_expr(phone_call::Column::UpdatedAt, Expr::value(now()))
                .filter(phone_call::Column::Id.eq(row.id))
                .filter(phone_call::Column::Summary.is_null())
                .exec(&state.db)
                .await?;
        } else {
            summarize(state, scope, row, provider, sentiment).await?;
        }
    }
    Ok(Outcome::Recorded { conversation_id })
}

/// The call's row, created with its conversation on the first event.
async fn ensure_call(
    state: &AppState,
    scope: Scoped,
    call: &CallObject,
    number: &str,
    inbound_call: bool,
) -> ServiceResult<phone_call::Model> {
    if let Some(r) = find(state, scope, &call.call_id).await? {
        return Ok(r);
    }
    let direction = if inbound_call { "inbound" } else { "outbound" };
    let mut m = InboundMessage::new(
        Channel::Phone,
        format!("call:{}", call.call_id),
        Sender {
            kind: IdentifierKind::Phone,
            value: number.to_owned(),
            name: None,
        },
        format!(
            "Phone call ({direction}, {number}) answered by the voice agent. The transcript follows when it ends."
        ),
    );
    m.subject = if inbound_call {
        format!("Phone call from {number}")
    } else {
        format!("Phone call to {number}")
    };
    // A call record answers itself: no AI reply.
    m.automatic = true;
    let receipt = inbound::receive(state, scope, m).await?;
    let t = now();
    let inserted = phone_call::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        call_id: Set(call.call_id.clone()),
        conversation_id: Set(receipt.conversation_id),
        direction: Set(direction.to_owned()),
        from_number: Set(call.from_number.clone()),
        to_number: Set(call.to_number.clone()),
        status: Set("started".into()),
        started_at: Set(at_ms(call.start_timestamp).or(Some(t))),
        ended_at: Set(None),
        duration_ms: Set(0),
        recording_url: Set(None),
        recording_deleted_at: Set(None),
        transcript: Set(None),
        summary: Set(None),
        summary_source: Set(None),
        sentiment: Set(None),
        disconnection_reason: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&state.db)
    .await;
    match inserted {
        Ok(r) => Ok(r),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            find(state, scope, &call.call_id)
                .await?
                .ok_or(ServiceError::NotFound("Call"))
        }
        Err(e) => Err(e.into()),
    }
}

async fn find(
    state: &AppState,
    scope: Scoped,
    call_id: &str,
) -> ServiceResult<Option<phone_call::Model>> {
    Ok(scope
        .find::<phone_call::Entity>()
        .filter(phone_call::Column::CallId.eq(call_id))
        .one(&state.db)
        .await?)
}

/// The end of the call: transcript and recording on the conversation, once.
async fn record_end(
    state: &AppState,
    scope: Scoped,
    row: phone_call::Model,
    call: &CallObject,
) -> ServiceResult<phone_call::Model> {
    if row.ended_at.is_some() {
        return Ok(row);
    }
    let transcript = call.transcript.clone().unwrap_or_default();
    let duration =
        call.duration_ms
            .unwrap_or_else(|| match (call.start_timestamp, call.end_timestamp) {
                (Some(s), Some(e)) if e >= s => e - s,
                _ => 0,
            });
    let mut text = if transcript.trim().is_empty() {
        "The call ended without a transcript.".to_owned()
    } else {
        format!("Transcript:\n{}", transcript.trim())
    };
    text.push_str(&format!("\n\nDuration {}", duration_text(duration)));
    if let Some(r) = call
        .disconnection_reason
        .as_deref()
        .filter(|r| !r.is_empty())
    {
        text.push_str(&format!(" · ended: {}", r.replace('_', " ")));
    }
    if let Some(u) = call.recording_url.as_deref().filter(|u| !u.is_empty()) {
        text.push_str(&format!("\nRecording: {u}"));
    }
    let mut m = InboundMessage::new(
        Channel::Phone,
        format!("call:{}:transcript", row.call_id),
        Sender {
            kind: IdentifierKind::Phone,
            value: row
                .from_number
                .clone()
                .filter(|_| row.direction == "inbound")
                .or_else(|| row.to_number.clone())
                .unwrap_or_default(),
            name: None,
        },
        text,
    );
    m.thread.conversation_id = Some(row.conversation_id);
    m.automatic = true;
    inbound::receive(state, scope, m).await?;
    let mut am: phone_call::ActiveModel = row.into();
    am.status = Set("ended".into());
    am.ended_at = Set(at_ms(call.end_timestamp).or(Some(now())));
    am.duration_ms = Set(duration);
    am.transcript = Set(Some(transcript));
    am.recording_url = Set(call.recording_url.clone().filter(|u| !u.is_empty()));
    am.disconnection_reason = Set(call.disconnection_reason.clone());
    am.updated_at = Set(now());
    Ok(am.update(&state.db).await?)
}

/// The built-in summary of a transcript in the provider's `Agent: …` /
/// `User: …` lines.
pub fn builtin_summary(transcript: &str) -> String {
    let lines: Vec<ThreadLine> = transcript
        .lines()
        .filter_map(|l| {
            let (who, text) = l.split_once(':')?;
            let who = who.trim().to_ascii_lowercase();
            let from_customer = matches!(who.as_str(), "user" | "customer" | "caller");
            (from_customer || who == "agent").then(|| ThreadLine {
                from_customer,
                author: who,
                text: text.trim().to_owned(),
            })
        })
        .collect();
    let s = extractive::summarize(&lines);
    let mut out = Vec::new();
    if !s.key_points.is_empty() {
        out.push(
            s.key_points
                .iter()
                .map(|p| format!("• {p}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    if !s.open_questions.is_empty() {
        out.push(format!("Open questions: {}", s.open_questions.join(" ")));
    }
    if !s.action_items.is_empty() {
        out.push(format!("To do: {}", s.action_items.join(" ")));
    }
    if out.is_empty() {
        "Nothing to summarise: the caller said little.".to_owned()
    } else {
        out.join("\n")
    }
}

/// Writes the call's summary note, once.
pub(crate) async fn summarize(
    state: &AppState,
    scope: Scoped,
    row: phone_call::Model,
    provider: Option<String>,
    sentiment: Option<String>,
) -> ServiceResult<()> {
    if row.summary.is_some() {
        return Ok(());
    }
    let (summary, source) = match provider {
        Some(p) => (p.trim().to_owned(), "provider"),
        None => (
            builtin_summary(row.transcript.as_deref().unwrap_or_default()),
            "built-in",
        ),
    };
    let mut uow = UnitOfWork::begin(state).await?;
    let claimed = scope
        .update_many::<phone_call::Entity>()
        .col_expr(phone_call::Column::Summary, Expr::value(summary.clone()))
        .col_expr(phone_call::Column::SummarySource, Expr::value(source))
        .col_expr(phone_call::Column::Sentiment, Expr::value(sentiment))
        .col_expr(phone_call::Column::Status, Expr::value("analyzed"))
        .col_expr(phone_call::Column::UpdatedAt, Expr::value(now()))
        .filter(phone_call::Column::Id.eq(row.id))
        .filter(phone_call::Column::Summary.is_null())
        .exec(&*uow)
        .await?;
    if claimed.rows_affected == 1 {
        let c = conversations::find(&*uow, scope, row.conversation_id).await?;
        let label = if source == "provider" {
            "Call summary (voice agent)"
        } else {
            "Call summary (built-in)"
        };
        messages::insert_automated_note(&mut uow, scope, &c, &summary, label).await?;
    }
    uow.commit().await
}

/// Handler of [`SYNC_JOB`]: pushes the webhook address and the agent settings.
/// A refusal is recorded on the account (shown in settings) and not retried.
///
/// # Errors
/// Transient failures, for the queue to retry.
pub async fn run_sync_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let Some(ws) = payload
        .get("workspace_id")
        .and_then(serde_json::Value::as_i64)
        .and_then(|i| i32::try_from(i).ok())
    else {
        return Err("payload has no workspace_id".into());
    };
    let scope = Scoped::new(ws);
    let Some(a) = account(state, &state.db, scope)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let outcome = sync(state, &a).await;
    let (synced, error) = match outcome {
        Ok(()) => (Some(now()), None),
        Err(e) if e.permanent => (a.row.synced_at, Some(e.message)),
        Err(e) => return Err(e.message),
    };
    scope
        .update_many::<voice_account::Entity>()
        .col_expr(voice_account::Column::SyncedAt, Expr::value(synced))
        .col_expr(voice_account::Column::SyncError, Expr::value(error))
        .exec(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Pushes the agent settings now.
///
/// # Errors
/// The provider's refusal (permanent) or a transport failure.
pub async fn sync(state: &AppState, a: &Account) -> Result<(), super::client::ApiError> {
    let Some(agent) = a.row.agent_id.as_deref().filter(|x| !x.is_empty()) else {
        return Err(super::client::ApiError {
            message: "No agent id is set: calls still arrive if the provider posts to the webhook address, but nothing is synced.".into(),
            permanent: true,
        });
    };
    let mut settings: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&a.row.agent_config).unwrap_or_default();
    settings.insert(
        "webhook_url".into(),
        serde_json::Value::String(webhook_url(state, &a.row.hook_token)),
    );
    a.client
        .update_agent(agent, &serde_json::Value::Object(settings))
        .await
        .map(|_| ())
}

/// Handler of [`RETENTION_JOB`]: for every account, deletes the recordings of
/// calls that ended more than `retention_days` ago, at the provider and here
/// (the link in the call's message is replaced by a note).
///
/// # Errors
/// Database errors, or a provider that could not be reached (retried).
pub async fn run_retention(state: &AppState) -> Result<(), String> {
    let sys = System::new("the retention sweep visits every workspace's calls");
    let accounts = sys
        .find::<voice_account::Entity>()
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let mut failed = None;
    for row in accounts {
        let days = row.retention_days;
        let a = match super::open(state, row) {
            Ok(a) => a,
            Err(e) => {
                failed = Some(e.to_string());
                continue;
            }
        };
        let scope = Scoped::new(a.row.workspace_id);
        let cutoff = now() - chrono::Duration::days(i64::from(days));
        let due = scope
            .find::<phone_call::Entity>()
            .filter(phone_call::Column::RecordingUrl.is_not_null())
            .filter(phone_call::Column::RecordingDeletedAt.is_null())
            .filter(phone_call::Column::EndedAt.lt(cutoff))
            .limit(500)
            .all(&state.db)
            .await
            .map_err(|e| e.to_string())?;
        for c in due {
            if let Err(e) = a.client.delete_call(&c.call_id).await {
                tracing::warn!(call = %c.call_id, error = %e.message, "recording not deleted");
                failed = Some(e.message);
                continue;
            }
            forget_recording(state, scope, &c, days)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    failed.map_or(Ok(()), Err)
}

async fn forget_recording(
    state: &AppState,
    scope: Scoped,
    c: &phone_call::Model,
    days: i32,
) -> ServiceResult<()> {
    let uow = UnitOfWork::begin(state).await?;
    let url = c.recording_url.clone().unwrap_or_default();
    let note = format!("Recording: deleted after {days} days");
    if let Some(m) = scope
        .find::<message::Entity>()
        .filter(message::Column::ExternalId.eq(format!("call:{}:transcript", c.call_id)))
        .one(&*uow)
        .await?
    {
        let mut am: message::ActiveModel = m.clone().into();
        am.body_text = Set(m.body_text.replace(&format!("Recording: {url}"), &note));
        am.body_html = Set(m.body_html.replace(&url, "(deleted)"));
        am.update(&*uow).await?;
    }
    scope
        .update_many::<phone_call::Entity>()
        .col_expr(
            phone_call::Column::RecordingUrl,
            Expr::value(Option::<String>::None),
        )
        .col_expr(phone_call::Column::RecordingDeletedAt, Expr::value(now()))
        .filter(phone_call::Column::Id.eq(c.id))
        .exec(&*uow)
        .await?;
    uow.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_summary_of_a_transcript() {
        let t = "Agent: Thanks for calling Acme Outdoor, how can I help?\nUser: Hi, I ordered the Ridge Shell Jacket last week, order 1042, and it still has not arrived.\nAgent: I am sorry about that. I will check with the carrier and call you back tomorrow.\nUser: Can you also send me the tracking number by email?\n";
        let s = builtin_summary(t);
        assert!(s.contains("order 1042"), "{s}");
        assert!(s.contains("tracking number"), "{s}");
        assert_eq!(
            builtin_summary(""),
            "Nothing to summarise: the caller said little."
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration_text(0), "0:00");
        assert_eq!(duration_text(125_400), "2:05");
    }
}
