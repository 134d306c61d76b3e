//! Procedures (SPEC C6.5): an admin's multi-step instructions, stored as the
//! structured steps the AI agent follows when a customer's message matches one.

use crate::schema::{a, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "procedures",
            &[
                Str("name"),
                Text("instructions"),
                Text("triggers"),
                Text("steps"),
                Bool("enabled"),
                StrNull("compiled_with"),
                Int("runs"),
                TimeNull("last_run_at"),
                Str("updated_by_label"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "procedures",
            "ux_procedures_name",
            &["workspace_id", "name"],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("procedures")).if_exists().to_owned())
            .await
    }
}
