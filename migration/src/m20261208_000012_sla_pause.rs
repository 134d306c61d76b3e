//! SLA clocks pause while a ticket waits on the customer or a third party.

use crate::schema::{a, col, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("conversations"))
                .add_column(col(&C::TimeNull("sla_paused_at")))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("conversations"))
                .drop_column(a("sla_paused_at"))
                .to_owned(),
        )
        .await
    }
}
