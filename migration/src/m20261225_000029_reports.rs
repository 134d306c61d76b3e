//! Reports (SPEC C8.1): saved report definitions, and the index report queries
//! read conversations through (workspace, creation time).

use crate::schema::{index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "reports",
            &[
                IntNull("owner_user_id"),
                Str("name"),
                Text("spec"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "reports",
            "ix_reports_workspace",
            &["workspace_id", "name"],
            false,
        ))
        .await?;
        m.create_index(index(
            "conversations",
            "ix_conversations_created",
            &["workspace_id", "created_at"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_conversations_created")
                .table(crate::schema::a("conversations"))
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(crate::schema::a("reports")).to_owned())
            .await?;
        Ok(())
    }
}
