//! Product tours (SPEC C10.5): steps pointing at elements of the customer's own
//! page (each with its selector and fallbacks), a draft and a published copy,
//! and the targeting rules of targeted messages. `tour_events` holds what each
//! visitor did at each step (shown, missing, dismissed) and whether they
//! finished: once per visitor, step and kind, so the counts are of people.

use crate::schema::{fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "tours",
            &[
                Str("name"),
                Str("status"),
                Text("start_url"),
                Text("steps"),
                Text("published_steps"),
                TimeNull("published_at"),
                Text("rules"),
                Str("frequency"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "tours",
            "ix_tours_status",
            &["workspace_id", "status"],
            false,
        ))
        .await?;
        let mut events = table(
            "tour_events",
            &[
                Int("tour_id"),
                Str("visitor_id"),
                Str("step"),
                Str("event"),
                Time("created_at"),
            ],
        );
        fk(&mut events, "tour_events", "tour_id", "tours", true);
        m.create_table(events).await?;
        m.create_index(index(
            "tour_events",
            "ux_tour_events",
            &["tour_id", "visitor_id", "step", "event"],
            true,
        ))
        .await?;
        m.create_index(index(
            "tour_events",
            "ix_tour_events_visitor",
            &["workspace_id", "visitor_id"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["tour_events", "tours"] {
            m.drop_table(Table::drop().table(crate::schema::a(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
