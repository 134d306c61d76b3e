//! Report builder server functions. Definitions travel as JSON.

use crate::error::AppError;
use crate::types::{DrillDown, ReportResult, ReportSpec, ReportsPage, SaveReportForm, SavedReport};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Saved reports and the builder's choices (agents, teams, tags).
#[server]
pub async fn get_reports_page() -> Result<ReportsPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::page(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Runs a report.
#[server(input = Json)]
pub async fn run_report(spec: ReportSpec) -> Result<ReportResult, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::run(&state.db, &actor, &spec)
        .await
        .map_err(fail)
}

/// The conversations behind one point of a report (`key` `all`: the whole
/// period; `series` empty: every series).
#[server(input = Json)]
pub async fn drill_report(
    spec: ReportSpec,
    key: String,
    series: String,
) -> Result<DrillDown, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::drill(&state.db, &actor, &spec, &key, &series)
        .await
        .map_err(fail)
}

/// Saves a report (new without an id).
#[server(input = Json)]
pub async fn save_report(form: SaveReportForm) -> Result<SavedReport, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::saved::save(&state.db, &actor, &form)
        .await
        .map_err(fail)
}

/// Deletes a saved report.
#[server]
pub async fn delete_report(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::saved::delete(&state.db, &actor, id)
        .await
        .map_err(fail)
}

/// Dashboards and the pre-built ones to start from.
#[server]
pub async fn get_dashboards() -> Result<crate::types::DashboardsPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::dashboards::page(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Creates a dashboard from a template (empty `template`: a blank one); its id.
#[server]
pub async fn create_dashboard(name: String, template: String) -> Result<i32, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageReports).await?;
    crate::services::reports::dashboards::create(&state.db, &actor, &name, Some(&template))
        .await
        .map_err(fail)
}

/// A dashboard with every widget computed.
#[server]
pub async fn get_board(id: i32) -> Result<crate::types::BoardView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::dashboards::get(&state.db, &actor, id)
        .await
        .map_err(fail)
}

/// The live dashboard: queue depth, agents online, the longest wait, active chats.
#[server]
pub async fn get_live_board() -> Result<crate::types::LiveBoard, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::live::board(&state, &actor)
        .await
        .map_err(fail)
}

/// The daily digest of `day` (`YYYY-MM-DD`; empty: the newest) and the days that
/// have one.
#[server]
pub async fn get_digest(day: String) -> Result<crate::types::DigestPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::digest::page(&state, &actor, Some(&day))
        .await
        .map_err(fail)
}

/// Saves a dashboard's name and layout.
#[server(input = Json)]
pub async fn save_dashboard(form: crate::types::SaveDashboardForm) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageReports).await?;
    crate::services::reports::dashboards::save(&state.db, &actor, &form)
        .await
        .map_err(fail)
}

/// Deletes a dashboard.
#[server]
pub async fn delete_dashboard(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageReports).await?;
    crate::services::reports::dashboards::delete(&state.db, &actor, id)
        .await
        .map_err(fail)
}

/// Turns a dashboard's share link on (a new one) or off; the link's path.
#[server]
pub async fn share_dashboard(id: i32, on: bool) -> Result<Option<String>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageReports).await?;
    crate::services::reports::dashboards::share(&state.db, &actor, id, on)
        .await
        .map_err(fail)
}

/// Home's Overview widgets, computed.
#[server]
pub async fn get_home_widgets() -> Result<Vec<crate::types::WidgetView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::dashboards::home(&state.db, &actor)
        .await
        .map_err(fail)
}

/// The exports page: reports to export, schedules, your latest exports.
#[server]
pub async fn get_exports() -> Result<crate::types::ExportsPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::exports::page(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Exports a saved report now (a job builds the file; the page shows progress).
#[server]
pub async fn export_report(
    form: crate::types::ExportForm,
) -> Result<crate::types::ExportView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::exports::export_now(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Emails a saved report on a schedule.
#[server]
pub async fn schedule_report(
    form: crate::types::ExportForm,
) -> Result<crate::types::ExportSchedule, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::exports::schedule(&state.db, &actor, &form)
        .await
        .map_err(fail)
}

/// Removes a schedule.
#[server]
pub async fn unschedule_report(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::exports::unschedule(&state.db, &actor, id)
        .await
        .map_err(fail)
}

/// The satisfaction prediction and the customer's health beside a conversation.
#[server]
pub async fn get_customer_insights(
    number: i32,
) -> Result<crate::types::CustomerInsights, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::reports::predict::insights(&state.db, &actor, number)
        .await
        .map_err(fail)
}

/// The satisfaction prediction measured against the last `days` of survey answers.
#[server]
pub async fn get_prediction_check(days: i64) -> Result<crate::types::PredictionCheck, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::reports::predict::evaluate(&state.db, &actor, days)
        .await
        .map_err(fail)
}
