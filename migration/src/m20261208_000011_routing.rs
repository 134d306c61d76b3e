//! Routing (SPEC C7.6): routing queues in priority order; each member's skills,
//! per-channel capacity and presence; each ticket's queue and routing times.

use crate::schema::{a, col, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns added to `memberships` (name, definition).
fn member_columns() -> Vec<ColumnDef> {
    use C::*;
    let mut presence = col(&Str("presence"));
    presence.default("online");
    let mut auto = col(&Bool("presence_auto"));
    auto.default(false);
    let mut skills = col(&Str("skills"));
    skills.default("");
    let mut capacity = col(&Str("capacity"));
    capacity.default("");
    vec![
        skills,
        capacity,
        presence,
        auto,
        col(&TimeNull("last_active_at")),
        col(&TimeNull("last_seen_at")),
        col(&TimeNull("last_routed_at")),
    ]
}

const MEMBER_COLUMNS: [&str; 7] = [
    "skills",
    "capacity",
    "presence",
    "presence_auto",
    "last_active_at",
    "last_seen_at",
    "last_routed_at",
];

const TICKET_COLUMNS: [&str; 4] = ["queue_id", "queued_at", "routed_at", "overflowed_at"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        let mut q = table(
            "routing_queues",
            &[
                Str("name"),
                Int("position"),
                Str("channels"),
                Str("priorities"),
                Str("tag"),
                IntNull("team_id"),
                Str("skills"),
                Str("strategy"),
                IntNull("schedule_id"),
                IntNull("overflow_after_mins"),
                IntNull("overflow_team_id"),
                Bool("enabled"),
                IntNull("rotation_user_id"),
                BigInt("routed_count"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut q, "routing_queues", "team_id", "teams", false);
        fk(&mut q, "routing_queues", "overflow_team_id", "teams", false);
        fk(
            &mut q,
            "routing_queues",
            "schedule_id",
            "business_schedules",
            false,
        );
        m.create_table(q).await?;
        m.create_index(index(
            "routing_queues",
            "ux_routing_queues_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;
        for c in member_columns() {
            m.alter_table(
                Table::alter()
                    .table(a("memberships"))
                    .add_column(c)
                    .to_owned(),
            )
            .await?;
        }
        for c in [
            IntNull("queue_id"),
            TimeNull("queued_at"),
            TimeNull("routed_at"),
            TimeNull("overflowed_at"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(a("conversations"))
                    .add_column(col(&c))
                    .to_owned(),
            )
            .await?;
        }
        // Queue depth and the drain: waiting tickets of a workspace, oldest first.
        m.create_index(index(
            "conversations",
            "ix_conversations_queue",
            &["workspace_id", "queue_id", "queued_at"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_conversations_queue")
                .table(a("conversations"))
                .to_owned(),
        )
        .await?;
        for c in TICKET_COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(a("conversations"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        for c in MEMBER_COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(a("memberships"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(
            Table::drop()
                .table(a("routing_queues"))
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
