//! AutoQA (SPEC C8.6): each workspace's scorecard, the reviews of solved
//! conversations (automatic — by the provider or by the documented heuristics —
//! and manual, side by side), and coaching assignments made from reviews.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "qa_scorecards",
            &[Text("criteria"), Time("updated_at")],
        ))
        .await?;
        m.create_index(index(
            "qa_scorecards",
            "ux_qa_scorecards_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;

        let mut t = table(
            "qa_reviews",
            &[
                Int("conversation_id"),
                IntNull("agent_user_id"),
                IntNull("reviewer_user_id"),
                Str("reviewer_key"),
                Str("source"),
                Text("scores"),
                Int("total"),
                Text("flags"),
                TextNull("notes"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut t,
            "qa_reviews",
            "conversation_id",
            "conversations",
            true,
        );
        fk(&mut t, "qa_reviews", "agent_user_id", "users", false);
        fk(&mut t, "qa_reviews", "reviewer_user_id", "users", false);
        m.create_table(t).await?;
        m.create_index(index(
            "qa_reviews",
            "ux_qa_reviews_conversation_reviewer",
            &["conversation_id", "reviewer_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "qa_reviews",
            "ix_qa_reviews_workspace_created",
            &["workspace_id", "created_at"],
            false,
        ))
        .await?;

        let mut t = table(
            "qa_coaching",
            &[
                Int("review_id"),
                Int("agent_user_id"),
                Int("assigned_by"),
                Text("note"),
                Str("status"),
                Time("created_at"),
                TimeNull("done_at"),
            ],
        );
        fk(&mut t, "qa_coaching", "review_id", "qa_reviews", true);
        fk(&mut t, "qa_coaching", "agent_user_id", "users", true);
        fk(&mut t, "qa_coaching", "assigned_by", "users", true);
        m.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["qa_coaching", "qa_reviews", "qa_scorecards"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
