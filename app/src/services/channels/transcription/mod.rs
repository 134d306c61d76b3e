//! Transcription (SPEC C16) through an AssemblyAI-compatible speech-to-text
//! API.
//!
//! - **What is transcribed**: a customer's audio and video attachments (on
//!   any channel: a WhatsApp voice note, an emailed recording), and call
//!   recordings that come without a transcript — each as the workspace's
//!   settings say. A [`transcript`] row per file or call carries its status
//!   (`queued` → `processing` → `completed` or `error`), shown on the
//!   attachment in the inbox.
//! - **How**: the [`TranscribeStage`] notes the request inside the unit of
//!   work that stored the message (so it survives a crash with it); the
//!   submit job ([`SUBMIT_JOB`]) uploads the file and submits it with our
//!   webhook; the provider posts to `/hooks/transcripts/{token}` with the
//!   secret header it was given (403 and nothing done otherwise), and the
//!   fetch job ([`FETCH_JOB`]) reads the finished transcript. Without a
//!   webhook (a server the provider cannot reach) the fetch job polls with
//!   backoff, and gives up after a day.
//! - A call's transcript goes into the call's conversation and feeds the
//!   built-in call summary.

pub mod client;
pub mod settings;

use super::super::bus::Event;
use super::super::inbox::{conversations, messages};
use super::super::jobs::{self, NewJob};
use super::super::stages::{Stage, StageEvent};
use super::super::tenancy::Scoped;
use super::super::uow::UnitOfWork;
use super::super::{now, AppState, ServiceError, ServiceResult};
use super::provider;
use crate::types::TranscriptView;
use entity::{attachment, phone_call, transcript, transcription_account};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use std::collections::HashMap;

/// Upload and submit one file or recording.
pub const SUBMIT_JOB: &str = "transcription.submit";
/// Read a transcript back (after the webhook, or polling without one).
pub const FETCH_JOB: &str = "transcription.fetch";
/// The header the provider's webhook must carry.
pub const HOOK_HEADER: &str = "X-Switchboard-Webhook-Secret";
/// Largest file sent for transcription.
pub const MAX_BYTES: i64 = 200 * 1024 * 1024;
/// Polls before giving up on a transcript the provider never finishes.
const MAX_POLLS: u32 = 26;

/// Transcript states.
pub mod status {
    /// Waiting to be submitted.
    pub const QUEUED: &str = "queued";
    /// Submitted; the provider is working on it.
    pub const PROCESSING: &str = "processing";
    /// Done, with the text.
    pub const COMPLETED: &str = "completed";
    /// Failed, with why.
    pub const ERROR: &str = "error";
}

/// A workspace's transcription account, opened.
#[derive(Clone)]
pub struct Account {
    /// The stored row (its secrets sealed).
    pub row: transcription_account::Model,
    /// The webhook's secret header value, opened.
    pub hook_secret: String,
    /// The API key, opened (for its hint).
    pub api_key: String,
    /// The provider's API.
    pub client: client::Client,
}

fn key_aad(workspace_id: i32) -> Vec<u8> {
    format!("transcription:{workspace_id}:api_key").into_bytes()
}

fn hook_aad(workspace_id: i32) -> Vec<u8> {
    format!("transcription:{workspace_id}:hook_secret").into_bytes()
}

/// Opens a stored account.
///
/// # Errors
/// `Internal` when its secrets cannot be opened.
pub fn open(state: &AppState, row: transcription_account::Model) -> ServiceResult<Account> {
    let w = row.workspace_id;
    let api_key = provider::open(state, &row.api_key, &key_aad(w), "A transcription API key")?;
    let hook_secret = provider::open(
        state,
        &row.hook_secret,
        &hook_aad(w),
        "A transcription webhook secret",
    )?;
    let client = client::Client::new(
        row.api_base.as_deref().unwrap_or(client::DEFAULT_BASE),
        &api_key,
    )
    .map_err(ServiceError::Internal)?;
    Ok(Account {
        row,
        hook_secret,
        api_key,
        client,
    })
}

impl provider::Opened for Account {
    type Entity = transcription_account::Entity;

    fn open(state: &AppState, row: transcription_account::Model) -> ServiceResult<Self> {
        open(state, row)
    }
}

/// The workspace's account, if set up.
///
/// # Errors
/// As [`open`]; database errors.
pub async fn account(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Option<Account>> {
    provider::find(state, db, scope).await
}

/// The account whose webhook uses `token`.
///
/// # Errors
/// As [`open`]; database errors.
pub async fn by_hook_token(state: &AppState, token: &str) -> ServiceResult<Option<Account>> {
    provider::by_token(
        state,
        token,
        super::super::tenancy::transcription_account_by_hook_token,
    )
    .await
}

/// The public URL the provider posts to when a transcript is done.
pub fn webhook_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/hooks/transcripts/{token}",
        state.config.base_url().trim_end_matches('/')
    )
}

/// Whether a file of this type is speech to transcribe.
pub fn is_media(content_type: &str) -> bool {
    let t = content_type.trim().to_ascii_lowercase();
    t.starts_with("audio/") || t.starts_with("video/")
}

/// Queues a transcript (row and submit job) in `db`'s transaction, once per
/// attachment or call.
async fn request(
    db: &impl ConnectionTrait,
    state: &AppState,
    scope: Scoped,
    conversation_id: i32,
    target: Target,
) -> ServiceResult<()> {
    let t = now();
    let (attachment_id, phone_call_id, conflict) = match target {
        Target::Attachment(id) => (Some(id), None, transcript::Column::AttachmentId),
        Target::Call(id) => (None, Some(id), transcript::Column::PhoneCallId),
    };
    let inserted = transcript::Entity::insert(transcript::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        conversation_id: Set(conversation_id),
        attachment_id: Set(attachment_id),
        phone_call_id: Set(phone_call_id),
        provider_id: Set(None),
        status: Set(status::QUEUED.into()),
        text: Set(None),
        error: Set(None),
        audio_seconds: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        completed_at: Set(None),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(conflict).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(());
    }
    let key = match target {
        Target::Attachment(id) => format!("transcribe:attachment:{id}"),
        Target::Call(id) => format!("transcribe:call:{id}"),
    };
    jobs::enqueue(
        db,
        &state.config.jobs,
        NewJob {
            workspace_id: Some(scope.workspace_id()),
            idempotency_key: Some(key),
            ..NewJob::new(SUBMIT_JOB, target.payload(scope))
        },
    )
    .await?;
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Target {
    Attachment(i32),
    Call(i32),
}

impl Target {
    fn payload(self, scope: Scoped) -> serde_json::Value {
        match self {
            Target::Attachment(id) => {
                serde_json::json!({"workspace_id": scope.workspace_id(), "attachment_id": id})
            }
            Target::Call(id) => {
                serde_json::json!({"workspace_id": scope.workspace_id(), "phone_call_id": id})
            }
        }
    }
}

/// Queues the transcript of a call's recording when the workspace
/// transcribes calls; returns whether it did (the summary then waits for it).
///
/// # Errors
/// Database errors.
pub async fn request_for_call(
    state: &AppState,
    scope: Scoped,
    call: &phone_call::Model,
) -> ServiceResult<bool> {
    let wants = scope
        .find::<transcription_account::Entity>()
        .filter(transcription_account::Column::Calls.eq(true))
        .one(&state.db)
        .await?
        .is_some();
    if !wants || call.recording_url.as_deref().unwrap_or_default().is_empty() {
        return Ok(false);
    }
    let uow = UnitOfWork::begin(state).await?;
    request(
        &*uow,
        state,
        scope,
        call.conversation_id,
        Target::Call(call.id),
    )
    .await?;
    let pending = scope
        .find::<transcript::Entity>()
        .filter(transcript::Column::PhoneCallId.eq(call.id))
        .filter(transcript::Column::Status.is_in([status::QUEUED, status::PROCESSING]))
        .one(&*uow)
        .await?
        .is_some();
    let mut uow = uow;
    uow.jobs_enqueued();
    uow.commit().await?;
    Ok(pending)
}

/// The pipeline stage: a customer's message with audio or video attachments
/// queues their transcripts, in the message's own unit of work.
#[derive(Debug, Default)]
pub struct TranscribeStage;

#[async_trait::async_trait]
impl Stage for TranscribeStage {
    fn name(&self) -> &'static str {
        "transcribe"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let StageEvent::MessageReceived {
            workspace_id,
            conversation_id,
            message_id,
            media: true,
            ..
        } = event
        else {
            return Ok(());
        };
        let scope = Scoped::new(*workspace_id);
        let media: Vec<i32> = scope
            .find::<attachment::Entity>()
            .filter(attachment::Column::MessageId.eq(*message_id))
            .all(&**uow)
            .await?
            .into_iter()
            .filter(|a| is_media(&a.content_type) && a.size_bytes <= MAX_BYTES)
            .map(|a| a.id)
            .collect();
        if media.is_empty() {
            return Ok(());
        }
        let wants = scope
            .find::<transcription_account::Entity>()
            .filter(transcription_account::Column::Attachments.eq(true))
            .one(&**uow)
            .await?
            .is_some();
        if !wants {
            return Ok(());
        }
        let state = uow.state().clone();
        for id in media {
            request(
                &**uow,
                &state,
                scope,
                *conversation_id,
                Target::Attachment(id),
            )
            .await?;
        }
        uow.jobs_enqueued();
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct JobPayload {
    workspace_id: i32,
    #[serde(default)]
    attachment_id: Option<i32>,
    #[serde(default)]
    phone_call_id: Option<i32>,
    #[serde(default)]
    transcript_id: Option<i32>,
    #[serde(default)]
    poll: u32,
}

async fn row_for(
    state: &AppState,
    scope: Scoped,
    p: &JobPayload,
) -> ServiceResult<Option<transcript::Model>> {
    let q = scope.find::<transcript::Entity>();
    let q = match (p.transcript_id, p.attachment_id, p.phone_call_id) {
        (Some(id), _, _) => q.filter(transcript::Column::Id.eq(id)),
        (None, Some(id), _) => q.filter(transcript::Column::AttachmentId.eq(id)),
        (None, None, Some(id)) => q.filter(transcript::Column::PhoneCallId.eq(id)),
        _ => return Ok(None),
    };
    Ok(q.one(&state.db).await?)
}

/// Records a failure, only if the transcript is still where the job found
/// it (a job running alongside may have settled it); a call then gets its
/// summary from what it has.
async fn fail(state: &AppState, row: &transcript::Model, why: String) -> Result<(), String> {
    let t = now();
    let changed = Scoped::new(row.workspace_id)
        .update_many::<transcript::Entity>()
        .col_expr(transcript::Column::Status, Expr::value(status::ERROR))
        .col_expr(transcript::Column::Error, Expr::value(why))
        .col_expr(transcript::Column::UpdatedAt, Expr::value(t))
        .col_expr(transcript::Column::CompletedAt, Expr::value(t))
        .filter(transcript::Column::Id.eq(row.id))
        .filter(transcript::Column::Status.eq(row.status.as_str()))
        .exec(&state.db)
        .await
        .map_err(|e| e.to_string())?
        .rows_affected;
    if changed == 1 {
        announce(state, row);
    }
    finish_call(state, row).await.map_err(|e| e.to_string())
}

/// A call's summary, once its transcript is settled (done or failed): the
/// built-in one, unless the voice agent's own summary is still to come with
/// `call_analyzed`. Safe to repeat: a call is summarised once.
async fn finish_call(state: &AppState, row: &transcript::Model) -> ServiceResult<()> {
    let Some(call_id) = row.phone_call_id else {
        return Ok(());
    };
    let scope = Scoped::new(row.workspace_id);
    let Some(call) = scope
        .find::<phone_call::Entity>()
        .filter(phone_call::Column::Id.eq(call_id))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    if call.summary.is_some() {
        return Ok(());
    }
    let provider_summary = scope
        .find::<entity::voice_account::Entity>()
        .one(&state.db)
        .await?
        .is_some_and(|a| a.provider_summary);
    if provider_summary && call.status != super::voice::calls::AWAITING_TRANSCRIPT {
        return Ok(());
    }
    let sentiment = call.sentiment.clone();
    super::voice::calls::summarize(state, scope, call, None, sentiment).await
}

fn announce(state: &AppState, row: &transcript::Model) {
    state.bus.publish(Event::new(
        row.workspace_id,
        "message.transcript",
        serde_json::json!({"conversation_id": row.conversation_id, "transcript_id": row.id}),
    ));
}

/// Runs [`SUBMIT_JOB`]: uploads the file (or hands over the recording's
/// URL) and submits it with the webhook. A refusal is recorded on the
/// transcript; an outage is retried.
///
/// # Errors
/// A message for the job log (retried).
pub async fn run_submit_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let p: JobPayload =
        serde_json::from_value(payload.clone()).map_err(|e| format!("bad payload: {e}"))?;
    let scope = Scoped::new(p.workspace_id);
    let Some(row) = row_for(state, scope, &p).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if row.status != status::QUEUED {
        return Ok(());
    }
    let Some(a) = account(state, &state.db, scope)
        .await
        .map_err(|e| e.to_string())?
    else {
        return fail(
            state,
            &row,
            "Transcription was turned off before this file was sent.".into(),
        )
        .await;
    };
    let audio_url = match (row.attachment_id, row.phone_call_id) {
        (Some(id), _) => {
            let bytes = match super::super::inbox::attachments::read_scoped(state, scope, id).await
            {
                Ok((_, b)) => b,
                // Gone from the database or the disk: retrying cannot help.
                Err(e @ (ServiceError::NotFound(_) | ServiceError::Internal(_))) => {
                    return fail(state, &row, format!("The file could not be read: {e}")).await
                }
                Err(e) => return Err(e.to_string()),
            };
            match a.client.upload(bytes).await {
                Ok(url) => url,
                Err(e) if e.permanent => return fail(state, &row, e.message).await,
                Err(e) => return Err(e.message),
            }
        }
        (None, Some(id)) => {
            let call = scope
                .find::<phone_call::Entity>()
                .filter(phone_call::Column::Id.eq(id))
                .one(&state.db)
                .await
                .map_err(|e| e.to_string())?;
            match call.and_then(|c| c.recording_url) {
                Some(u) if !u.is_empty() => u,
                _ => {
                    return fail(
                        state,
                        &row,
                        "The call's recording is gone (deleted after the retention period).".into(),
                    )
                    .await
                }
            }
        }
        (None, None) => return Ok(()),
    };
    let hook = webhook_url(state, &a.row.hook_token);
    let submitted = a
        .client
        .submit(&client::Submission {
            audio_url: &audio_url,
            webhook_url: &hook,
            webhook_header: (HOOK_HEADER, &a.hook_secret),
            language_code: a.row.language_code.as_deref(),
        })
        .await;
    let id = match submitted {
        Ok(id) => id,
        Err(e) if e.permanent => return fail(state, &row, e.message).await,
        Err(e) => return Err(e.message),
    };
    let uow = UnitOfWork::begin(state).await.map_err(|e| e.to_string())?;
    scope
        .update_many::<transcript::Entity>()
        .col_expr(transcript::Column::ProviderId, Expr::value(id))
        .col_expr(transcript::Column::Status, Expr::value(status::PROCESSING))
        .col_expr(transcript::Column::UpdatedAt, Expr::value(now()))
        .filter(transcript::Column::Id.eq(row.id))
        .exec(&*uow)
        .await
        .map_err(|e| e.to_string())?;
    // Should the webhook never come, the fetch job asks.
    enqueue_fetch(&*uow, state, scope, row.id, 1)
        .await
        .map_err(|e| e.to_string())?;
    let mut uow = uow;
    uow.jobs_enqueued();
    uow.commit().await.map_err(|e| e.to_string())?;
    announce(state, &row);
    Ok(())
}

/// Seconds before poll `n` (1, 2 …): a minute, doubling, at most an hour.
fn poll_delay(n: u32) -> i64 {
    (60_i64 << n.saturating_sub(1).min(6)).min(3600)
}

async fn enqueue_fetch(
    db: &impl ConnectionTrait,
    state: &AppState,
    scope: Scoped,
    transcript_id: i32,
    poll: u32,
) -> ServiceResult<()> {
    jobs::enqueue(
        db,
        &state.config.jobs,
        NewJob {
            workspace_id: Some(scope.workspace_id()),
            run_at: (poll > 0).then(|| now() + chrono::Duration::seconds(poll_delay(poll))),
            idempotency_key: Some(format!("transcribe:fetch:{transcript_id}:{poll}")),
            ..NewJob::new(
                FETCH_JOB,
                serde_json::json!({
                    "workspace_id": scope.workspace_id(),
                    "transcript_id": transcript_id,
                    "poll": poll,
                }),
            )
        },
    )
    .await?;
    Ok(())
}

/// What the provider's webhook says.
#[derive(Debug, Deserialize)]
struct HookBody {
    transcript_id: String,
    #[serde(default)]
    status: String,
}

/// What became of a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookOutcome {
    /// The transcript will be read now.
    Fetching,
    /// Not one of ours (or not finished): nothing to do.
    Ignored(String),
}

/// Handles the provider's webhook (its secret header already checked):
/// queues the fetch of the finished transcript.
///
/// # Errors
/// `Invalid` for a body that is not a transcript notice; database errors.
pub async fn on_webhook(state: &AppState, a: &Account, body: &[u8]) -> ServiceResult<HookOutcome> {
    let b: HookBody = serde_json::from_slice(body).map_err(|e| {
        ServiceError::invalid(
            "body",
            format!("The body is not a transcript notice ({e}): expected {{\"transcript_id\": …, \"status\": \"completed\"}}."),
        )
    })?;
    if !matches!(b.status.as_str(), "completed" | "error") {
        return Ok(HookOutcome::Ignored(format!("status `{}`", b.status)));
    }
    let scope = Scoped::new(a.row.workspace_id);
    let Some(row) = scope
        .find::<transcript::Entity>()
        .filter(transcript::Column::ProviderId.eq(b.transcript_id.as_str()))
        .one(&state.db)
        .await?
    else {
        return Ok(HookOutcome::Ignored("an unknown transcript".into()));
    };
    if row.status != status::PROCESSING {
        return Ok(HookOutcome::Ignored("already settled".into()));
    }
    let uow = UnitOfWork::begin(state).await?;
    enqueue_fetch(&*uow, state, scope, row.id, 0).await?;
    let mut uow = uow;
    uow.jobs_enqueued();
    uow.commit().await?;
    Ok(HookOutcome::Fetching)
}

/// Runs [`FETCH_JOB`]: reads the transcript; stores the text (and, for a
/// call, writes it into the conversation and summarises it), records a
/// failure, or asks again later.
///
/// # Errors
/// A message for the job log (retried).
pub async fn run_fetch_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let p: JobPayload =
        serde_json::from_value(payload.clone()).map_err(|e| format!("bad payload: {e}"))?;
    let scope = Scoped::new(p.workspace_id);
    let Some(row) = row_for(state, scope, &p).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let Some(provider_id) = row.provider_id.clone() else {
        return Ok(());
    };
    if row.status != status::PROCESSING {
        // Settled, perhaps by an earlier try that stopped before the call's
        // summary: finish that (once).
        return finish_call(state, &row).await.map_err(|e| e.to_string());
    }
    let Some(a) = account(state, &state.db, scope)
        .await
        .map_err(|e| e.to_string())?
    else {
        return fail(
            state,
            &row,
            "Transcription was turned off before the transcript was read.".into(),
        )
        .await;
    };
    let remote = match a.client.get(&provider_id).await {
        Ok(r) => r,
        Err(e) if e.permanent => return fail(state, &row, e.message).await,
        Err(e) => return Err(e.message),
    };
    match remote.status.as_str() {
        "completed" => complete(state, scope, row, &remote)
            .await
            .map_err(|e| e.to_string()),
        "error" => {
            let why = remote
                .error
                .unwrap_or_else(|| "The provider could not transcribe it.".into());
            fail(state, &row, why).await
        }
        _ if p.poll >= MAX_POLLS => {
            fail(
                state,
                &row,
                "The provider did not finish the transcript within a day.".into(),
            )
            .await
        }
        _ => {
            let next = p.poll.max(1) + 1;
            enqueue_fetch(&state.db, state, scope, row.id, next)
                .await
                .map_err(|e| e.to_string())?;
            state.wake_workers();
            Ok(())
        }
    }
}

async fn complete(
    state: &AppState,
    scope: Scoped,
    row: transcript::Model,
    remote: &client::Remote,
) -> ServiceResult<()> {
    let text = remote.text.clone().unwrap_or_default().trim().to_owned();
    let seconds = remote
        .audio_duration
        .map(|s| s.round().clamp(0.0, f64::from(i32::MAX)) as i32);
    let mut uow = UnitOfWork::begin(state).await?;
    let claimed = scope
        .update_many::<transcript::Entity>()
        .col_expr(transcript::Column::Status, Expr::value(status::COMPLETED))
        .col_expr(transcript::Column::Text, Expr::value(text.clone()))
        .col_expr(transcript::Column::AudioSeconds, Expr::value(seconds))
        .col_expr(transcript::Column::UpdatedAt, Expr::value(now()))
        .col_expr(transcript::Column::CompletedAt, Expr::value(now()))
        .filter(transcript::Column::Id.eq(row.id))
        .filter(transcript::Column::Status.eq(status::PROCESSING))
        .exec(&*uow)
        .await?
        .rows_affected;
    if claimed != 1 {
        return Ok(());
    }
    if let Some(call_id) = row.phone_call_id {
        if let Some(c) = scope
            .find::<phone_call::Entity>()
            .filter(phone_call::Column::Id.eq(call_id))
            .one(&*uow)
            .await?
        {
            let mut am: phone_call::ActiveModel = c.clone().into();
            am.transcript = Set(Some(text.clone()));
            am.updated_at = Set(now());
            let c = am.update(&*uow).await?;
            let conv = conversations::find(&*uow, scope, c.conversation_id).await?;
            let body = if text.is_empty() {
                "The recording was transcribed, but nothing was said in it.".to_owned()
            } else {
                format!("Transcript (from the recording):\n{text}")
            };
            messages::insert_automated_note(&mut uow, scope, &conv, &body, "Call transcript")
                .await?;
        }
    }
    uow.commit().await?;
    announce(state, &row);
    finish_call(state, &row).await
}

/// Transcripts of these attachments, for the thread.
///
/// # Errors
/// Database errors.
pub async fn of_attachments(
    db: &impl ConnectionTrait,
    scope: Scoped,
    ids: &[i32],
) -> ServiceResult<HashMap<i32, TranscriptView>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(scope
        .find::<transcript::Entity>()
        .filter(transcript::Column::AttachmentId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|t| {
            Some((
                t.attachment_id?,
                TranscriptView {
                    status: t.status,
                    text: t.text,
                    error: t.error,
                },
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_is_audio_or_video() {
        assert!(is_media("audio/ogg"));
        assert!(is_media("Video/MP4"));
        assert!(!is_media("image/png"));
        assert!(!is_media("application/pdf"));
    }

    #[test]
    fn polls_back_off_to_an_hour() {
        assert_eq!(poll_delay(1), 60);
        assert_eq!(poll_delay(2), 120);
        assert_eq!(poll_delay(6), 1920);
        assert_eq!(poll_delay(7), 3600);
        assert_eq!(poll_delay(40), 3600);
    }
}
