//! Tags as things of their own (the REST API and settings): list, create with a
//! colour, rename or recolour. Names follow [`conversations::normalize_tag`] and are
//! unique per workspace; tagging a conversation creates missing tags on the fly.

use super::super::activity::{self, Entry, Who};
use super::super::context::{Actor, RequestMeta};
use super::super::tenancy::Scoped;
use super::super::uow::UnitOfWork;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use super::conversations::normalize_tag;
use crate::permissions::Action;
use crate::types::TagView;
use entity::tag;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// The colour of a tag created without one.
pub const DEFAULT_COLOR: &str = "#64748b";

fn view(t: tag::Model) -> TagView {
    TagView {
        id: t.id,
        name: t.name,
        color: t.color,
    }
}

/// Checks a CSS hex colour (`#rgb` or `#rrggbb`), lower-cased.
///
/// # Errors
/// `Invalid` on anything else.
pub fn normalize_color(c: &str) -> ServiceResult<String> {
    let c = c.trim().to_lowercase();
    let hex = c.strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|x| x.is_ascii_hexdigit()) {
        Ok(c)
    } else {
        Err(ServiceError::invalid(
            "color",
            format!("`{c}` is not a colour: use #rrggbb, e.g. #2563eb."),
        ))
    }
}

/// Tags by id, ascending, after `after_id`, at most `limit`.
///
/// # Errors
/// `Forbidden` without `ViewInbox`; database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    after_id: Option<i32>,
    limit: u64,
) -> ServiceResult<Vec<TagView>> {
    actor.require(Action::ViewInbox)?;
    let mut q = actor
        .scope
        .find::<tag::Entity>()
        .order_by_asc(tag::Column::Id)
        .limit(limit);
    if let Some(a) = after_id {
        q = q.filter(tag::Column::Id.gt(a));
    }
    Ok(q.all(db).await?.into_iter().map(view).collect())
}

async fn find(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<tag::Model> {
    scope
        .find::<tag::Entity>()
        .filter(tag::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Tag"))
}

async fn name_taken(
    db: &impl ConnectionTrait,
    scope: Scoped,
    name: &str,
    except: Option<i32>,
) -> ServiceResult<bool> {
    let mut q = scope
        .find::<tag::Entity>()
        .filter(tag::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(tag::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

/// Creates a tag.
///
/// # Errors
/// `Forbidden` without `ManageInboxSettings`; `Invalid` name or colour; `Conflict`
/// when the name exists.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    name: &str,
    color: Option<&str>,
    meta: &RequestMeta,
) -> ServiceResult<TagView> {
    actor.require(Action::ManageInboxSettings)?;
    let name = normalize_tag(name).map_err(|e| rename_field(e, "name"))?;
    let color = color.map_or_else(|| Ok(DEFAULT_COLOR.to_owned()), normalize_color)?;
    let mut uow = UnitOfWork::begin(state).await?;
    if name_taken(&*uow, actor.scope, &name, None).await? {
        return Err(ServiceError::conflict(
            "name",
            format!("A tag named `{name}` already exists."),
        ));
    }
    let t = tag::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        name: Set(name),
        color: Set(color),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("tag.created").target("tag", t.id).diff(
            None,
            Some(serde_json::json!({"name": t.name, "color": t.color})),
        ),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "tag.changed",
        serde_json::json!({"id": t.id}),
    ));
    uow.commit().await?;
    Ok(view(t))
}

/// Renames and/or recolours a tag (conversations keep it: they link by id).
///
/// # Errors
/// `Forbidden` without `ManageInboxSettings`; `NotFound`; `Invalid`; `Conflict`
/// when the new name exists.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    name: Option<&str>,
    color: Option<&str>,
    meta: &RequestMeta,
) -> ServiceResult<TagView> {
    actor.require(Action::ManageInboxSettings)?;
    if name.is_none() && color.is_none() {
        return Err(ServiceError::Invalid {
            field: None,
            message: "Nothing to change: give a name or a color.".into(),
        });
    }
    let name = name
        .map(|n| normalize_tag(n).map_err(|e| rename_field(e, "name")))
        .transpose()?;
    let color = color.map(normalize_color).transpose()?;
    let mut uow = UnitOfWork::begin(state).await?;
    let t = find(&*uow, actor.scope, id).await?;
    if let Some(n) = &name {
        if name_taken(&*uow, actor.scope, n, Some(id)).await? {
            return Err(ServiceError::conflict(
                "name",
                format!("A tag named `{n}` already exists."),
            ));
        }
    }
    let before = serde_json::json!({"name": t.name, "color": t.color});
    let mut m = t.into_active_model();
    if let Some(n) = name {
        m.name = Set(n);
    }
    if let Some(c) = color {
        m.color = Set(c);
    }
    let t = m.update(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("tag.updated").target("tag", id).diff(
            Some(before),
            Some(serde_json::json!({"name": t.name, "color": t.color})),
        ),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "tag.changed",
        serde_json::json!({"id": id}),
    ));
    uow.commit().await?;
    Ok(view(t))
}

/// `normalize_tag` names its field `tags` (it is shared with tag lists); here the
/// field is the tag's `name`.
fn rename_field(e: ServiceError, field: &'static str) -> ServiceError {
    match e {
        ServiceError::Invalid { message, .. } => ServiceError::invalid(field, message),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_checked() {
        assert!(matches!(normalize_color("#2563EB"), Ok(c) if c == "#2563eb"));
        assert!(normalize_color("#abc").is_ok());
        assert!(normalize_color("blue").is_err());
        assert!(normalize_color("#12345").is_err());
    }
}
