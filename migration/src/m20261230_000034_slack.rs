//! Slack (SPEC C4.4, C2.4): the workspace's Slack app (bot token and signing
//! secret sealed at rest), and each Slack thread a conversation is mirrored
//! to — a ticket opened with `/ticket`, a new-conversation notification, or a
//! side conversation held in a Slack channel.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "slack_accounts",
            &[
                Text("bot_token"),
                Text("signing_secret"),
                StrNull("api_base"),
                Str("hook_token"),
                StrNull("notify_channel"),
                StrNull("team_id"),
                StrNull("team_name"),
                StrNull("bot_user_id"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "slack_accounts",
            "ux_slack_accounts_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "slack_accounts",
            "ux_slack_accounts_hook_token",
            &["hook_token"],
            true,
        ))
        .await?;
        let mut t = table(
            "slack_threads",
            &[
                Int("conversation_id"),
                IntNull("side_conversation_id"),
                Str("kind"),
                Str("channel"),
                StrNull("thread_ts"),
                StrNull("requester"),
                TextNull("error"),
                Time("created_at"),
            ],
        );
        fk(
            &mut t,
            "slack_threads",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "slack_threads",
            "ix_slack_threads_conversation",
            &["conversation_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "slack_threads",
            "ux_slack_threads_ts",
            &["workspace_id", "channel", "thread_ts"],
            true,
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("side_conversations"))
                .add_column(
                    ColumnDef::new(a("via"))
                        .string()
                        .not_null()
                        .default("email"),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("side_conversations"))
                .drop_column(a("via"))
                .to_owned(),
        )
        .await?;
        for t in ["slack_threads", "slack_accounts"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
