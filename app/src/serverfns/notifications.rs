//! Notification server functions: each person's preferences (everyone), the
//! workspace's templates and the delivery log (admins).

use crate::error::AppError;
use crate::types::{
    MyNotificationsPage, NoticeKind, NoticePref, NoticeTemplateForm, NoticeTemplateView,
    NotificationAdminPage,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Your preferences, the endpoints you may pick and what waits to go out to you.
#[server]
pub async fn get_my_notifications() -> Result<MyNotificationsPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    crate::services::notify::my_page(&state, &actor)
        .await
        .map_err(fail)
}

/// Saves your preference for one kind of notification.
#[server(input = Json)]
pub async fn save_notification_pref(pref: NoticePref) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    crate::services::notify::save_pref(&state, &actor, &pref)
        .await
        .map_err(fail)
}

/// Templates and the newest deliveries.
#[server]
pub async fn get_notification_admin() -> Result<NotificationAdminPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    crate::services::notify::admin_page(&state, &actor)
        .await
        .map_err(fail)
}

/// Saves the workspace's wording for one kind.
#[server(input = Json)]
pub async fn save_notification_template(
    form: NoticeTemplateForm,
) -> Result<NoticeTemplateView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    crate::services::notify::save_template(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Goes back to the built-in wording for one kind.
#[server]
pub async fn reset_notification_template(kind: NoticeKind) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    crate::services::notify::reset_template(&state, &actor, kind)
        .await
        .map_err(fail)
}
