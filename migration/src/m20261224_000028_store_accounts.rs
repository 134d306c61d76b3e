//! The storefront's own pages and shopper accounts (SPEC C11.1): the static
//! pages a store writes in the admin app (privacy, terms, contact, FAQ), and
//! the tokens of shoppers' magic-link sign-in (a single-use link, then a
//! session), stored as hashes.

use crate::schema::{fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "store_pages",
            &[
                Str("slug"),
                Str("title"),
                Text("body"),
                Str("updated_by"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "store_pages",
            "ux_store_pages_slug",
            &["workspace_id", "slug"],
            true,
        ))
        .await?;
        let mut t = table(
            "shopper_tokens",
            &[
                Int("customer_id"),
                Str("purpose"),
                Str("token_hash"),
                Time("expires_at"),
                TimeNull("used_at"),
                Time("created_at"),
            ],
        );
        fk(&mut t, "shopper_tokens", "customer_id", "customers", true);
        m.create_table(t).await?;
        m.create_index(index(
            "shopper_tokens",
            "ux_shopper_tokens_hash",
            &["token_hash"],
            true,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(crate::schema::a("shopper_tokens"))
                .to_owned(),
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table(crate::schema::a("store_pages"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
