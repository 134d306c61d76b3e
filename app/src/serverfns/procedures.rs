//! Procedure server functions: the page, save and delete, the preview and the
//! provider's compile. Forms travel as JSON (steps nest).

use crate::error::AppError;
use crate::types::{CompiledProcedure, ProcPreview, ProcedureForm, ProcedureView, ProceduresPage};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Every procedure, the tools a step can use and the provider that can compile.
#[server]
pub async fn get_procedures() -> Result<ProceduresPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    crate::services::actions::procedures::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Creates (no id) or changes a procedure.
#[server(input = Json)]
pub async fn save_procedure(form: ProcedureForm) -> Result<ProcedureView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    let meta = meta().await;
    crate::services::actions::procedures::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Deletes a procedure.
#[server]
pub async fn delete_procedure(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    let meta = meta().await;
    crate::services::actions::procedures::delete(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}

/// Follows the editor's steps against a sample ticket and message (changes
/// nothing).
#[server(input = Json)]
pub async fn preview_procedure(
    form: ProcedureForm,
    ticket: Option<i32>,
    message: String,
) -> Result<ProcPreview, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    crate::services::actions::procedures::preview(&state, &actor, &form, ticket, &message)
        .await
        .map_err(fail)
}

/// Asks the configured provider to turn the instructions into steps.
#[server]
pub async fn compile_procedure(
    name: String,
    instructions: String,
) -> Result<CompiledProcedure, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    crate::services::actions::procedures::compile(&state, &actor, &name, &instructions)
        .await
        .map_err(fail)
}
