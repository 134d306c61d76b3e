//! The daily digest (SPEC C8.7): one stored digest per workspace and day, built
//! by the hourly job once the morning has come in the workspace's zone; the app
//! shows it and the notification points at it.

use crate::schema::{a, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "digests",
            &[
                Str("day"),
                Str("zone"),
                Time("period_start"),
                Time("period_end"),
                Text("body"),
                Time("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "digests",
            "ux_digests_workspace_day",
            &["workspace_id", "day"],
            true,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("digests")).to_owned())
            .await?;
        Ok(())
    }
}
