//! Flows running (SPEC C9.3, C9.5): each conversation's place in the flow it is
//! in (pinned to the version it started on), every step it passed (the per-node
//! analytics), and the choices a bot's question offers on its message (buttons
//! in the widget, numbered lines on text-only channels).

use crate::schema::{a, col, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.alter_table(
            Table::alter()
                .table(a("messages"))
                .add_column(col(&TextNull("choices")))
                .to_owned(),
        )
        .await?;
        let mut s = table(
            "flow_sessions",
            &[
                Int("flow_id"),
                Int("version"),
                Int("conversation_id"),
                Str("channel"),
                Str("node"),
                Str("status"),
                Text("vars"),
                Int("steps"),
                Int("timer_seq"),
                TimeNull("wake_at"),
                Time("started_at"),
                Time("updated_at"),
                TimeNull("ended_at"),
            ],
        );
        fk(&mut s, "flow_sessions", "flow_id", "flows", true);
        fk(
            &mut s,
            "flow_sessions",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(s).await?;
        m.create_index(index(
            "flow_sessions",
            "ix_flow_sessions_conversation",
            &["conversation_id", "status"],
            false,
        ))
        .await?;
        m.create_index(index(
            "flow_sessions",
            "ix_flow_sessions_flow",
            &["flow_id", "version"],
            false,
        ))
        .await?;
        let mut p = table(
            "flow_steps",
            &[
                Int("flow_id"),
                Int("version"),
                Int("session_id"),
                Str("node"),
                StrNull("port"),
                Time("created_at"),
            ],
        );
        fk(&mut p, "flow_steps", "flow_id", "flows", true);
        fk(&mut p, "flow_steps", "session_id", "flow_sessions", true);
        m.create_table(p).await?;
        m.create_index(index(
            "flow_steps",
            "ix_flow_steps_flow",
            &["flow_id", "version", "node"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["flow_steps", "flow_sessions"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(a("messages"))
                .drop_column(a("choices"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
