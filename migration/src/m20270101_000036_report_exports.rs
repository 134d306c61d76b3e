//! Report exports (SPEC C8.3): schedules that email a saved report as CSV or
//! PDF daily, weekly or monthly; the exports themselves (built by a job, with
//! their progress and the finished file); and files attached to outbox email.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{blob, blob_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        let mut t = table(
            "report_schedules",
            &[
                Int("report_id"),
                Int("user_id"),
                Str("format"),
                Str("frequency"),
                Text("recipients"),
                Bool("include_conversations"),
                Time("next_run_at"),
                TimeNull("last_run_at"),
                TextNull("last_error"),
                Time("created_at"),
            ],
        );
        fk(&mut t, "report_schedules", "report_id", "reports", true);
        fk(&mut t, "report_schedules", "user_id", "users", true);
        m.create_table(t).await?;
        m.create_index(index(
            "report_schedules",
            "ix_report_schedules_next_run",
            &["next_run_at"],
            false,
        ))
        .await?;

        let mut t = table(
            "report_exports",
            &[
                IntNull("report_id"),
                IntNull("schedule_id"),
                Int("user_id"),
                Str("report_name"),
                Text("spec"),
                Str("format"),
                Bool("include_conversations"),
                Text("recipients"),
                Str("status"),
                BigInt("rows_done"),
                BigInt("rows_total"),
                Str("filename"),
                Str("content_type"),
                BigInt("size_bytes"),
                TextNull("error"),
                Time("created_at"),
                TimeNull("finished_at"),
            ],
        );
        t.col(blob_null(a("content")));
        fk(&mut t, "report_exports", "report_id", "reports", false);
        fk(
            &mut t,
            "report_exports",
            "schedule_id",
            "report_schedules",
            false,
        );
        fk(&mut t, "report_exports", "user_id", "users", true);
        m.create_table(t).await?;
        m.create_index(index(
            "report_exports",
            "ix_report_exports_workspace_created",
            &["workspace_id", "created_at"],
            false,
        ))
        .await?;

        let mut t = table(
            "email_attachments",
            &[Int("email_id"), Str("filename"), Str("content_type")],
        );
        t.col(blob(a("content")));
        fk(&mut t, "email_attachments", "email_id", "emails", true);
        m.create_table(t).await?;
        m.create_index(index(
            "email_attachments",
            "ix_email_attachments_email",
            &["email_id"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["email_attachments", "report_exports", "report_schedules"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
