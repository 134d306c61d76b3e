//! Campaigns (SPEC C10.2–C10.3): a campaign is a flow of kind `campaign` (the
//! same canvas, versions and checks); its runs go through customers rather than
//! conversations, so they have their own table. Every email a campaign sends is
//! a `campaign_sends` row (one per run and step, so a retry never sends twice),
//! with its tracking token; suppressions (unsubscribed, bounced, complained) and
//! the workspace's sending settings (frequency cap, quiet hours, throttle)
//! decide whether and when it goes. Emails gain extra headers
//! (`List-Unsubscribe`), customers a time zone (quiet hours are theirs).

use crate::schema::{a, col, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        let mut runs = table(
            "campaign_runs",
            &[
                Int("flow_id"),
                Int("version"),
                Int("customer_id"),
                Str("node"),
                Str("status"),
                Text("vars"),
                Int("steps"),
                Int("timer_seq"),
                TimeNull("wake_at"),
                Time("started_at"),
                Time("updated_at"),
                TimeNull("ended_at"),
            ],
        );
        fk(&mut runs, "campaign_runs", "flow_id", "flows", true);
        fk(&mut runs, "campaign_runs", "customer_id", "customers", true);
        m.create_table(runs).await?;
        // A customer goes through a campaign once.
        m.create_index(index(
            "campaign_runs",
            "ux_campaign_runs_customer",
            &["flow_id", "customer_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "campaign_runs",
            "ix_campaign_runs_status",
            &["workspace_id", "flow_id", "status"],
            false,
        ))
        .await?;
        // The tick takes the runs whose Wait is over, oldest first.
        m.create_index(index(
            "campaign_runs",
            "ix_campaign_runs_due",
            &["status", "wake_at"],
            false,
        ))
        .await?;

        let mut sends = table(
            "campaign_sends",
            &[
                Int("flow_id"),
                Int("run_id"),
                Str("node"),
                Int("customer_id"),
                Str("to_address"),
                Text("subject"),
                Text("body"),
                Str("status"),
                TextNull("reason"),
                Str("token"),
                Text("links"),
                IntNull("email_id"),
                Time("queued_at"),
                TimeNull("sent_at"),
                TimeNull("opened_at"),
                TimeNull("clicked_at"),
                TimeNull("converted_at"),
                TimeNull("unsubscribed_at"),
            ],
        );
        fk(&mut sends, "campaign_sends", "flow_id", "flows", true);
        fk(
            &mut sends,
            "campaign_sends",
            "run_id",
            "campaign_runs",
            true,
        );
        fk(
            &mut sends,
            "campaign_sends",
            "customer_id",
            "customers",
            true,
        );
        m.create_table(sends).await?;
        // One email per run and step: a step carried out again finds its row.
        m.create_index(index(
            "campaign_sends",
            "ux_campaign_sends_step",
            &["run_id", "node"],
            true,
        ))
        .await?;
        m.create_index(index(
            "campaign_sends",
            "ux_campaign_sends_token",
            &["token"],
            true,
        ))
        .await?;
        // Frequency caps count a customer's recent sends.
        m.create_index(index(
            "campaign_sends",
            "ix_campaign_sends_customer",
            &["customer_id", "sent_at"],
            false,
        ))
        .await?;
        // The workspace's rate counts its sends of the last minute.
        m.create_index(index(
            "campaign_sends",
            "ix_campaign_sends_sent",
            &["workspace_id", "sent_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "campaign_sends",
            "ix_campaign_sends_flow",
            &["workspace_id", "flow_id", "node"],
            false,
        ))
        .await?;

        m.create_table(table(
            "suppressions",
            &[
                Str("email"),
                Str("reason"),
                Text("note"),
                Time("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "suppressions",
            "ux_suppressions_email",
            &["workspace_id", "email"],
            true,
        ))
        .await?;

        m.create_table(table(
            "marketing_settings",
            &[
                Int("cap_count"),
                Int("cap_days"),
                IntNull("quiet_start"),
                IntNull("quiet_end"),
                Str("default_timezone"),
                Int("per_minute"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "marketing_settings",
            "ux_marketing_settings_workspace",
            &["workspace_id"],
            true,
        ))
        .await?;

        for (t, c) in [
            ("emails", TextNull("headers")),
            ("customers", StrNull("timezone")),
        ] {
            m.alter_table(Table::alter().table(a(t)).add_column(col(&c)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, c) in [("emails", "headers"), ("customers", "timezone")] {
            m.alter_table(Table::alter().table(a(t)).drop_column(a(c)).to_owned())
                .await?;
        }
        for t in [
            "marketing_settings",
            "suppressions",
            "campaign_sends",
            "campaign_runs",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
