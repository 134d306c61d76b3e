//! Segments where tickets are decided (SPEC C10.1): a routing queue can take
//! only the tickets of a segment's customers, and an AI policy rule can match
//! only them. Automation rules test segments in their conditions
//! (`customer.segments`), stored in the rule's JSON, so they need no column.

use crate::schema::{a, col, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["routing_queues", "ai_policies"] {
            m.alter_table(
                Table::alter()
                    .table(a(t))
                    .add_column(col(&C::IntNull("segment_id")))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["routing_queues", "ai_policies"] {
            m.alter_table(
                Table::alter()
                    .table(a(t))
                    .drop_column(a("segment_id"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
