//! A quality review of a solved conversation: automatic (one per conversation)
//! or by a person (one per reviewer and conversation).

use sea_orm::entity::prelude::*;

/// A `qa_reviews` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub conversation_id: i32,
    /// The agent whose work is reviewed (the assignee when solved).
    pub agent_user_id: Option<i32>,
    /// The person who reviewed (None: AutoQA).
    pub reviewer_user_id: Option<i32>,
    /// `auto` or `user:<id>`: one review per conversation and key.
    pub reviewer_key: String,
    /// `provider`, `heuristics` or `manual`.
    pub source: String,
    /// Criterion key → score 0–100 (JSON object).
    #[sea_orm(column_type = "Text")]
    pub scores: String,
    /// The weighted total, 0–100.
    pub total: i32,
    /// Spotlight flags (JSON array of `negative_sentiment`, `compliance_risk`).
    #[sea_orm(column_type = "Text")]
    pub flags: String,
    /// The reviewer's notes, or what the automatic review noticed.
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
