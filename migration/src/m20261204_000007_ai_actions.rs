//! The AI agent that acts (SPEC C6.4, C2.11): action records with their lifecycle
//! and audit, the workspace's action policies, tasks, locally stored expenses and
//! follow-ups; plus the default policy decision on the AI settings.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order (dropped in reverse).
const TABLES: &[&str] = &[
    "ai_policies",
    "ai_actions",
    "tasks",
    "expenses",
    "follow_ups",
    "ai_loop_runs",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.alter_table(
            Table::alter()
                .table(a("ai_settings"))
                .add_column(
                    ColumnDef::new(a("action_default"))
                        .string()
                        .not_null()
                        .default("approval"),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(table(
            "ai_policies",
            &[
                Int("position"),
                Str("name"),
                Str("effect"),
                StrNull("tool"),
                StrNull("min_risk"),
                BigInt("amount_over"),
                StrNull("segment_tag"),
                StrNull("channel"),
                Bool("enabled"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ai_policies",
            "ix_ai_policies_position",
            &["workspace_id", "position"],
            false,
        ))
        .await?;

        let mut t = table(
            "ai_actions",
            &[
                Str("tool"),
                Text("input"),
                Str("idempotency_key"),
                Str("risk"),
                BigInt("amount"),
                IntNull("conversation_id"),
                IntNull("customer_id"),
                StrNull("channel"),
                Str("proposed_by_kind"),
                IntNull("proposed_by_user_id"),
                Str("proposed_by_label"),
                TextNull("reasoning"),
                TextNull("customer_note"),
                Str("status"),
                Str("decision"),
                Text("decision_reason"),
                IntNull("policy_id"),
                IntNull("approver_user_id"),
                StrNull("approver_label"),
                TextNull("approval_comment"),
                TimeNull("decided_at"),
                TimeNull("started_at"),
                TimeNull("finished_at"),
                Int("attempts"),
                TextNull("output"),
                TextNull("error"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut t,
            "ai_actions",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "ai_actions",
            "ux_ai_actions_idempotency",
            &["workspace_id", "idempotency_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ai_actions",
            "ix_ai_actions_status",
            &["workspace_id", "status", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ai_actions",
            "ix_ai_actions_conversation",
            &["conversation_id"],
            false,
        ))
        .await?;

        let mut t = table(
            "tasks",
            &[
                Str("title"),
                TextNull("notes"),
                IntNull("conversation_id"),
                IntNull("customer_id"),
                IntNull("assignee_user_id"),
                TimeNull("due_at"),
                Str("priority"),
                Str("status"),
                Str("created_by_kind"),
                IntNull("created_by_user_id"),
                Str("created_by_label"),
                IntNull("action_id"),
                TimeNull("completed_at"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut t, "tasks", "conversation_id", "conversations", true);
        fk(&mut t, "tasks", "assignee_user_id", "users", false);
        m.create_table(t).await?;
        m.create_index(index(
            "tasks",
            "ix_tasks_status_due",
            &["workspace_id", "status", "due_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "tasks",
            "ix_tasks_conversation",
            &["conversation_id"],
            false,
        ))
        .await?;

        let mut t = table(
            "expenses",
            &[
                Str("description"),
                BigInt("amount"),
                Str("currency"),
                IntNull("conversation_id"),
                IntNull("customer_id"),
                IntNull("action_id"),
                Time("created_at"),
            ],
        );
        fk(
            &mut t,
            "expenses",
            "conversation_id",
            "conversations",
            false,
        );
        m.create_table(t).await?;

        let mut t = table(
            "follow_ups",
            &[
                Int("conversation_id"),
                Text("message"),
                Time("due_at"),
                Str("status"),
                Str("created_by_kind"),
                IntNull("created_by_user_id"),
                Str("created_by_label"),
                IntNull("action_id"),
                IntNull("sent_message_id"),
                TextNull("outcome"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut t,
            "follow_ups",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "follow_ups",
            "ix_follow_ups_conversation",
            &["conversation_id", "status"],
            false,
        ))
        .await?;

        m.create_table(table(
            "ai_loop_runs",
            &[
                Time("started_at"),
                TimeNull("finished_at"),
                Text("looked_at"),
                Text("did"),
                Int("proposals"),
                Int("errors"),
                Int("backoff_secs"),
                Time("next_run_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "ai_loop_runs",
            "ix_ai_loop_runs_ws",
            &["workspace_id", "id"],
            false,
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("ai_settings"))
                .add_column(
                    ColumnDef::new(a("loop_enabled"))
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned())
                .await?;
        }
        for c in ["action_default", "loop_enabled"] {
            m.alter_table(
                Table::alter()
                    .table(a("ai_settings"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
