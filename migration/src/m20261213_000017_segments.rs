//! Customer segments (SPEC C10.1): a named set of customers given by nested
//! AND/OR conditions over their attributes and ticket history, evaluated in the
//! database whenever it is asked (counts stay live; nothing to keep in step).

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        let mut t = table(
            "segments",
            &[
                Str("name"),
                Text("description"),
                Text("conditions"),
                IntNull("created_by"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut t, "segments", "created_by", "users", false);
        m.create_table(t).await?;
        m.create_index(index(
            "segments",
            "ux_segments_name",
            &["workspace_id", "name"],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("segments")).to_owned())
            .await
    }
}
