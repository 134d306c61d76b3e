//! The storefront lists a category's products on sale by name, a page at a
//! time (SPEC C11.1): one index serves that at any catalog size.

use crate::schema::{a, index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "products",
            "ix_products_listing",
            &["workspace_id", "category_id", "status", "name"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_products_listing")
                .table(a("products"))
                .to_owned(),
        )
        .await
    }
}
