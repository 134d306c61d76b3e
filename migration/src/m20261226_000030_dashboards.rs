//! Dashboards (SPEC C8.2): report widgets on a grid, as JSON, and the secret
//! token of a dashboard's share link (none while not shared).

use crate::schema::{index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "dashboards",
            &[
                Str("name"),
                Text("widgets"),
                StrNull("share_token"),
                IntNull("created_by"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "dashboards",
            "ux_dashboards_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;
        m.create_index(index(
            "dashboards",
            "ux_dashboards_share_token",
            &["share_token"],
            true,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(crate::schema::a("dashboards"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
