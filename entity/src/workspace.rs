//! A workspace: the tenant that owns conversations, settings and members.

use sea_orm::entity::prelude::*;

/// A workspace row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub logo_content_type: Option<String>,
    pub logo: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Last conversation number handed out (`TKT-…`).
    pub ticket_seq: i32,
    /// The last order number handed out (the first order is 1001).
    pub order_seq: i32,
    /// Public URL name (support form, status page).
    pub slug: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Memberships,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
