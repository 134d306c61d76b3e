//! Saved reports: personal (yours alone) or shared with the workspace (admins
//! save those). A report is a name and its definition, checked like a run.

use super::check;
use crate::permissions::Action;
use crate::services::context::Actor;
use crate::services::{now, ServiceError, ServiceResult};
use crate::types::{ReportSpec, SaveReportForm, SavedReport};
use entity::report;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, Set,
};

/// The longest report name.
pub const MAX_NAME: usize = 80;

fn visible(actor: &Actor) -> Condition {
    Condition::any()
        .add(report::Column::OwnerUserId.is_null())
        .add(report::Column::OwnerUserId.eq(actor.user_id))
}

fn view(actor: &Actor, r: report::Model) -> ServiceResult<SavedReport> {
    let spec: ReportSpec = serde_json::from_str(&r.spec)
        .map_err(|e| ServiceError::Internal(format!("report {} spec: {e}", r.id)))?;
    let shared = r.owner_user_id.is_none();
    Ok(SavedReport {
        id: r.id,
        name: r.name,
        spec,
        shared,
        editable: if shared {
            actor.can(Action::ManageReports)
        } else {
            true
        },
    })
}

/// The reports you can open: shared ones and yours, by name.
///
/// # Errors
/// Permission; database errors.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Vec<SavedReport>> {
    actor.require(Action::ViewReports)?;
    actor
        .scope
        .find::<report::Entity>()
        .filter(visible(actor))
        .order_by_asc(report::Column::Name)
        .order_by_asc(report::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| view(actor, r))
        .collect()
}

async fn find(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> ServiceResult<report::Model> {
    actor
        .scope
        .find::<report::Entity>()
        .filter(visible(actor))
        .filter(report::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("report"))
}

fn require_edit(actor: &Actor, shared: bool) -> ServiceResult<()> {
    if shared && !actor.can(Action::ManageReports) {
        return Err(ServiceError::Forbidden(
            "Only admins change reports shared with the workspace: save a copy of your own instead.".into(),
        ));
    }
    Ok(())
}

/// Saves a new report or changes one.
///
/// # Errors
/// Permission; `Invalid` name or definition; `Conflict` when a report you can
/// see has that name; `NotFound`; database errors.
pub async fn save(
    db: &impl ConnectionTrait,
    actor: &Actor,
    form: &SaveReportForm,
) -> ServiceResult<SavedReport> {
    actor.require(Action::ViewReports)?;
    let name = form.name.trim();
    if name.is_empty() {
        return Err(ServiceError::invalid("name", "Name the report."));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ServiceError::invalid(
            "name",
            "A report name can be at most 80 characters.",
        ));
    }
    check(&form.spec)?;
    require_edit(actor, form.shared)?;
    let existing = match form.id {
        Some(id) => {
            let r = find(db, actor, id).await?;
            require_edit(actor, r.owner_user_id.is_none())?;
            Some(r)
        }
        None => None,
    };
    let clash = actor
        .scope
        .find::<report::Entity>()
        .filter(visible(actor))
        .filter(report::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some_and(|r| Some(r.id) != form.id);
    if clash {
        return Err(ServiceError::conflict(
            "name",
            format!("A report named \u{201c}{name}\u{201d} exists: choose another name."),
        ));
    }
    let spec =
        serde_json::to_string(&form.spec).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let owner = (!form.shared).then_some(actor.user_id);
    let t = now();
    let row = match existing {
        Some(r) => {
            let mut a: report::ActiveModel = r.into();
            a.name = Set(name.to_owned());
            a.spec = Set(spec);
            a.owner_user_id = Set(owner);
            a.updated_at = Set(t);
            a.update(db).await?
        }
        None => {
            report::ActiveModel {
                workspace_id: Set(actor.scope.workspace_id()),
                owner_user_id: Set(owner),
                name: Set(name.to_owned()),
                spec: Set(spec),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    view(actor, row)
}

/// Deletes a report.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn delete(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ViewReports)?;
    let r = find(db, actor, id).await?;
    require_edit(actor, r.owner_user_id.is_none())?;
    actor
        .scope
        .delete_many::<report::Entity>()
        .filter(report::Column::Id.eq(r.id))
        .exec(db)
        .await?;
    Ok(())
}
