//! Behaviour on the customer's own site and targeted messages (SPEC C10.1,
//! C10.4). The widget script reports page views and the site's own events
//! (`visitor_events`, keyed by the visitor: segments reach a customer's through
//! their chat identifiers, so merges carry them along). Targeted messages
//! (banner, modal, tooltip, slide-in) carry their page, time and segment rules;
//! `targeted_message_views` is one row per message and visitor: how often it was
//! shown, and whether it was clicked or dismissed.

use crate::schema::{fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "visitor_events",
            &[
                Str("visitor_id"),
                Str("kind"),
                Str("name"),
                Text("url"),
                Text("title"),
                Text("properties"),
                Time("created_at"),
            ],
        ))
        .await?;
        // A customer's behaviour: their visitors' events of a kind.
        m.create_index(index(
            "visitor_events",
            "ix_visitor_events_visitor",
            &["workspace_id", "visitor_id", "kind", "created_at"],
            false,
        ))
        .await?;
        // The event names a segment can choose from.
        m.create_index(index(
            "visitor_events",
            "ix_visitor_events_name",
            &["workspace_id", "kind", "name"],
            false,
        ))
        .await?;

        m.create_table(table(
            "targeted_messages",
            &[
                Str("name"),
                Str("style"),
                Str("status"),
                Str("title"),
                Text("body"),
                StrNull("button_label"),
                TextNull("button_url"),
                TextNull("anchor"),
                Str("placement"),
                Text("rules"),
                Str("frequency"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "targeted_messages",
            "ix_targeted_messages_status",
            &["workspace_id", "status"],
            false,
        ))
        .await?;

        let mut views = table(
            "targeted_message_views",
            &[
                Int("message_id"),
                Str("visitor_id"),
                Int("shows"),
                Time("first_shown_at"),
                Time("last_shown_at"),
                TimeNull("clicked_at"),
                TimeNull("dismissed_at"),
            ],
        );
        fk(
            &mut views,
            "targeted_message_views",
            "message_id",
            "targeted_messages",
            true,
        );
        m.create_table(views).await?;
        m.create_index(index(
            "targeted_message_views",
            "ux_targeted_message_views",
            &["message_id", "visitor_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "targeted_message_views",
            "ix_targeted_message_views_visitor",
            &["workspace_id", "visitor_id"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "targeted_message_views",
            "targeted_messages",
            "visitor_events",
        ] {
            m.drop_table(Table::drop().table(crate::schema::a(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
