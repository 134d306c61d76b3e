//! The order tools (SPEC C11.3): a customer's saved payment methods (a card, a
//! wallet account, a gift card with its balance) and their default address.

use crate::schema::{a, col, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "payment_methods",
            &[
                Int("customer_id"),
                Str("kind"),
                Str("label"),
                BigInt("balance_minor"),
                Str("currency"),
                Bool("is_default"),
                Time("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "payment_methods",
            "ix_payment_methods_customer",
            &["workspace_id", "customer_id"],
            false,
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("customers"))
                .add_column(col(&TextNull("default_address")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("customers"))
                .drop_column(a("default_address"))
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(a("payment_methods")).to_owned())
            .await?;
        Ok(())
    }
}
