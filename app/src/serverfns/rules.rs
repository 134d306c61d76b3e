//! Automation rule server functions: the page, save, switch on or off, reorder,
//! delete, versions and restore, the dry run, the firing log. Forms travel as
//! JSON (conditions nest).

use crate::error::AppError;
use crate::types::{DryRunResult, RuleFiringView, RuleForm, RuleVersionView, RuleView, RulesPage};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Every rule, what the editor offers, and the latest firings.
#[server]
pub async fn get_rules() -> Result<RulesPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::automation::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Creates (no id) or changes a rule (a new version).
#[server(input = Json)]
pub async fn save_rule(form: RuleForm) -> Result<RuleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::automation::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Switches a rule on or off.
#[server]
pub async fn set_rule_enabled(id: i32, enabled: bool) -> Result<RuleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::automation::set_enabled(&state, &actor, id, enabled, &meta)
        .await
        .map_err(fail)
}

/// Moves a rule one place up or down in the running order.
#[server]
pub async fn move_rule(id: i32, up: bool) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::automation::move_rule(&state, &actor, id, up)
        .await
        .map_err(fail)
}

/// Deletes a rule.
#[server]
pub async fn delete_rule(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::automation::delete(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}

/// A rule's versions, newest first.
#[server]
pub async fn rule_versions(id: i32) -> Result<Vec<RuleVersionView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::automation::versions(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Restores a version (saved as a new one).
#[server]
pub async fn restore_rule(id: i32, version: i32) -> Result<RuleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::automation::restore(&state, &actor, id, version, &meta)
        .await
        .map_err(fail)
}

/// What the editor's rule would change on the newest tickets (changes nothing).
#[server(input = Json)]
pub async fn dry_run_rule(form: RuleForm) -> Result<DryRunResult, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::automation::dry_run(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// One rule's latest firings.
#[server]
pub async fn rule_firings(id: i32) -> Result<Vec<RuleFiringView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::automation::rule_firings(&state, &actor, id)
        .await
        .map_err(fail)
}
