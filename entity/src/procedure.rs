//! A procedure: multi-step instructions the AI agent follows when a customer's
//! message matches one of its trigger phrases.

use sea_orm::entity::prelude::*;

/// A `procedures` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "procedures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    /// The admin's words ("when a customer asks … : do …").
    pub instructions: String,
    /// Trigger phrases, one per line.
    pub triggers: String,
    /// The steps, as JSON (`Vec<ProcStep>`).
    pub steps: String,
    pub enabled: bool,
    /// The provider that compiled the steps, when one did.
    pub compiled_with: Option<String>,
    /// How often the agent followed it.
    pub runs: i32,
    pub last_run_at: Option<DateTimeUtc>,
    pub updated_by_label: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
