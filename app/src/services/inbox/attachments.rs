//! Attachments: bytes on disk under `<data_dir>/attachments/<workspace>/<sha256>`
//! (content-addressed, so a retried upload writes nothing new), metadata in the
//! database. Uploaded to a conversation first, then linked to the message that
//! carries them.

use super::super::channels::transcription;
use super::super::context::Actor;
use super::super::tenancy::Scoped;
use super::super::{now, AppState, ServiceError, ServiceResult};
use super::conversations;
use crate::permissions::Action;
use crate::types::AttachmentView;
use entity::attachment;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;

fn path_for(state: &AppState, workspace_id: i32, sha: &str) -> PathBuf {
    PathBuf::from(&state.config.data_dir)
        .join("attachments")
        .join(workspace_id.to_string())
        .join(sha)
}

/// The view of a row.
pub fn view(a: &attachment::Model) -> AttachmentView {
    AttachmentView {
        id: a.id,
        filename: a.filename.clone(),
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        url: format!("/app/attachments/{}", a.id),
        transcript: None,
    }
}

fn clean_filename(name: &str) -> ServiceResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .take(200)
        .collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        return Err(ServiceError::invalid("filename", "The file needs a name."));
    }
    Ok(cleaned)
}

/// Stores an uploaded file for a conversation.
///
/// # Errors
/// Permission, empty or oversized file, `NotFound` conversation, disk errors.
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> ServiceResult<AttachmentView> {
    actor.require(Action::AddNotes)?;
    let filename = clean_filename(filename)?;
    check_size(state, bytes)?;
    conversations::find(&state.db, actor.scope, conversation_id).await?;
    let sha = write_blob(state, actor.scope.workspace_id(), bytes).await?;
    let row = insert_row(
        &state.db,
        actor.scope,
        conversation_id,
        &filename,
        content_type,
        bytes.len(),
        sha,
        Some(actor.user_id),
    )
    .await?;
    Ok(view(&row))
}

/// Refuses empty and oversized files.
fn check_size(state: &AppState, bytes: &[u8]) -> ServiceResult<()> {
    if bytes.is_empty() {
        return Err(ServiceError::invalid("file", "The file is empty."));
    }
    if bytes.len() > state.config.max_attachment_bytes {
        return Err(ServiceError::invalid(
            "file",
            format!(
                "The file is larger than {} MB.",
                state.config.max_attachment_bytes / (1024 * 1024)
            ),
        ));
    }
    Ok(())
}

/// Writes bytes under their SHA-256 (write then rename, so a crash never leaves a
/// half file under the final name). Returns the hash.
async fn write_blob(state: &AppState, workspace_id: i32, bytes: &[u8]) -> ServiceResult<String> {
    let sha = hex::encode(Sha256::digest(bytes));
    let path = path_for(state, workspace_id, &sha);
    if tokio::fs::metadata(&path).await.is_err() {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| ServiceError::Internal(format!("attachment dir: {e}")))?;
        }
        let tmp = path.with_extension(format!("part-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| ServiceError::Internal(format!("attachment write: {e}")))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| ServiceError::Internal(format!("attachment rename: {e}")))?;
    }
    Ok(sha)
}

#[expect(clippy::too_many_arguments, reason = "one row's columns")]
async fn insert_row(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
    filename: &str,
    content_type: &str,
    size: usize,
    sha: String,
    uploaded_by: Option<i32>,
) -> ServiceResult<attachment::Model> {
    let content_type = if content_type.trim().is_empty() || content_type.len() > 100 {
        "application/octet-stream".to_owned()
    } else {
        content_type.trim().to_owned()
    };
    Ok(attachment::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        conversation_id: Set(conversation_id),
        message_id: Set(None),
        filename: Set(filename.to_owned()),
        content_type: Set(content_type),
        size_bytes: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        storage_key: Set(sha.clone()),
        sha256: Set(sha),
        uploaded_by: Set(uploaded_by),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Stores a file that arrived with a customer's message (email attachment, widget
/// upload), unlinked until the message that carries it is written with
/// [`attach`]. Oversized or empty files are refused with a message.
///
/// # Errors
/// `Invalid` for an empty or oversized file; disk and database errors.
pub async fn store_inbound(
    db: &impl ConnectionTrait,
    state: &AppState,
    scope: Scoped,
    conversation_id: i32,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> ServiceResult<attachment::Model> {
    let filename = clean_filename(filename).unwrap_or_else(|_| "attachment".to_owned());
    check_size(state, bytes)?;
    let sha = write_blob(state, scope.workspace_id(), bytes).await?;
    insert_row(
        db,
        scope,
        conversation_id,
        &filename,
        content_type,
        bytes.len(),
        sha,
        None,
    )
    .await
}

/// Bytes of an attachment of `scope` (for the customer-facing surfaces, which check
/// the conversation themselves).
///
/// # Errors
/// `NotFound`; disk errors.
pub async fn read_scoped(
    state: &AppState,
    scope: Scoped,
    id: i32,
) -> ServiceResult<(attachment::Model, Vec<u8>)> {
    let a = scope
        .find::<attachment::Entity>()
        .filter(attachment::Column::Id.eq(id))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Attachment"))?;
    let bytes = tokio::fs::read(path_for(state, a.workspace_id, &a.storage_key))
        .await
        .map_err(|e| ServiceError::Internal(format!("attachment read: {e}")))?;
    Ok((a, bytes))
}

/// Links uploaded attachments to a message (only this conversation's, not yet used).
///
/// # Errors
/// `Invalid` when an id is not an unused upload of this conversation.
pub async fn attach(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
    message_id: i32,
    ids: &[i32],
) -> ServiceResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let n = scope
        .update_many::<attachment::Entity>()
        .col_expr(attachment::Column::MessageId, Expr::value(message_id))
        .filter(attachment::Column::Id.is_in(ids.to_vec()))
        .filter(attachment::Column::ConversationId.eq(conversation_id))
        .filter(attachment::Column::MessageId.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if n as usize != ids.len() {
        return Err(ServiceError::invalid(
            "attachment_ids",
            "An attachment was not uploaded to this conversation (or was already sent). Upload it again.",
        ));
    }
    Ok(())
}

/// Attachments per message.
///
/// # Errors
/// Database errors.
pub async fn of_messages(
    db: &impl ConnectionTrait,
    scope: Scoped,
    message_ids: &[i32],
) -> ServiceResult<HashMap<i32, Vec<AttachmentView>>> {
    if message_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out: HashMap<i32, Vec<AttachmentView>> = HashMap::new();
    let rows = scope
        .find::<attachment::Entity>()
        .filter(attachment::Column::MessageId.is_in(message_ids.to_vec()))
        .all(db)
        .await?;
    // Audio and video may have a transcript (one more query, only then).
    let media: Vec<i32> = rows
        .iter()
        .filter(|a| transcription::is_media(&a.content_type))
        .map(|a| a.id)
        .collect();
    let mut transcripts = transcription::of_attachments(db, scope, &media).await?;
    for a in rows {
        if let Some(m) = a.message_id {
            let mut v = view(&a);
            v.transcript = transcripts.remove(&a.id);
            out.entry(m).or_default().push(v);
        }
    }
    Ok(out)
}

/// Metadata and bytes of one attachment, for download.
///
/// # Errors
/// Permission; `NotFound` (also another workspace's).
pub async fn read(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> ServiceResult<(AttachmentView, Vec<u8>)> {
    actor.require(Action::ViewInbox)?;
    let (a, bytes) = read_scoped(state, actor.scope, id).await?;
    Ok((view(&a), bytes))
}
