//! Visual workflows running (SPEC C7.5): a flow run is a chatbot conversation or
//! a workflow's run on a ticket. Workflow runs wait for timers and ticket events
//! beside the chatbot's questions, so each run says which it is, and the
//! workflow stage finds a ticket's waiting runs by an index of their own.

use crate::schema::{a, index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("flow_sessions"))
                .add_column(
                    ColumnDef::new(a("kind"))
                        .string()
                        .not_null()
                        .default("chatbot"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "flow_sessions",
            "ix_flow_sessions_kind",
            &["conversation_id", "kind", "status"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_flow_sessions_kind")
                .table(a("flow_sessions"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("flow_sessions"))
                .drop_column(a("kind"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
