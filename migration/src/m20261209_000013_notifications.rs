//! Notification dispatch (SPEC C7.8): per-person preferences per kind and channel,
//! per-workspace templates, and one delivery row per notification, person and
//! channel (scheduled, batched, sent, failed). Notifications gain a subject, a
//! link and the moment they appear in the app (none: not in the app, or not yet).

use crate::schema::{a, col, fk, index, table, C};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NOTIFICATION_COLUMNS: [&str; 3] = ["subject", "link", "shown_at"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        let mut subject = col(&Str("subject"));
        subject.default("");
        for c in [subject, col(&TextNull("link")), col(&TimeNull("shown_at"))] {
            m.alter_table(
                Table::alter()
                    .table(a("notifications"))
                    .add_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.get_connection()
            .execute_unprepared("UPDATE notifications SET shown_at = created_at")
            .await?;

        let mut p = table(
            "notification_prefs",
            &[
                Int("user_id"),
                Str("kind"),
                Bool("in_app"),
                Str("email"),
                IntNull("webhook_endpoint_id"),
                Time("updated_at"),
            ],
        );
        fk(&mut p, "notification_prefs", "user_id", "users", true);
        fk(
            &mut p,
            "notification_prefs",
            "webhook_endpoint_id",
            "webhook_endpoints",
            false,
        );
        m.create_table(p).await?;
        m.create_index(index(
            "notification_prefs",
            "ux_notification_prefs",
            &["workspace_id", "user_id", "kind"],
            true,
        ))
        .await?;

        m.create_table(table(
            "notification_templates",
            &[
                Str("kind"),
                Str("subject"),
                Text("body"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "notification_templates",
            "ux_notification_templates",
            &["workspace_id", "kind"],
            true,
        ))
        .await?;

        let mut d = table(
            "notification_deliveries",
            &[
                Int("notification_id"),
                Int("user_id"),
                Str("channel"),
                Str("status"),
                Time("due_at"),
                Int("attempts"),
                TextNull("last_error"),
                IntNull("email_id"),
                IntNull("webhook_delivery_id"),
                IntNull("webhook_endpoint_id"),
                TimeNull("sent_at"),
                Time("created_at"),
            ],
        );
        fk(
            &mut d,
            "notification_deliveries",
            "notification_id",
            "notifications",
            true,
        );
        fk(&mut d, "notification_deliveries", "user_id", "users", true);
        m.create_table(d).await?;
        m.create_index(index(
            "notification_deliveries",
            "ix_notification_deliveries_due",
            &["user_id", "status", "due_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "notification_deliveries",
            "ix_notification_deliveries_ws",
            &["workspace_id", "id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "notification_deliveries",
            "notification_templates",
            "notification_prefs",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        for c in NOTIFICATION_COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(a("notifications"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
