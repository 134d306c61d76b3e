//! Chatbot flows and visual workflows (SPEC C9, C7.5): each flow's editable draft
//! and its published versions (immutable; a conversation that started on a
//! version finishes on it).

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "flows",
            &[
                Str("name"),
                Str("kind"),
                Str("channels"),
                Text("draft"),
                IntNull("published_version"),
                Bool("enabled"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "flows",
            "ux_flows_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;
        let mut v = table(
            "flow_versions",
            &[
                Int("flow_id"),
                Int("version"),
                Text("graph"),
                IntNull("published_by"),
                Text("note"),
                Time("created_at"),
            ],
        );
        fk(&mut v, "flow_versions", "flow_id", "flows", true);
        fk(&mut v, "flow_versions", "published_by", "users", false);
        m.create_table(v).await?;
        m.create_index(index(
            "flow_versions",
            "ux_flow_versions",
            &["flow_id", "version"],
            true,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["flow_versions", "flows"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
