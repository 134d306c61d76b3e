//! Business hours and SLA policies (SPEC C7.7): schedules with their zone and
//! holidays, policies per priority and segment, and each ticket's SLA targets.

use crate::schema::{a, col, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "business_schedules",
            &[
                Str("name"),
                Str("time_zone"),
                Text("hours"),
                Text("holidays"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "business_schedules",
            "ux_business_schedules_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;
        let mut p = table(
            "sla_policies",
            &[
                Str("name"),
                Int("position"),
                Str("priorities"),
                Str("tag"),
                IntNull("schedule_id"),
                IntNull("first_response_mins"),
                IntNull("next_response_mins"),
                IntNull("resolution_mins"),
                Int("warn_mins"),
                Bool("enabled"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut p,
            "sla_policies",
            "schedule_id",
            "business_schedules",
            false,
        );
        m.create_table(p).await?;
        m.create_index(index(
            "sla_policies",
            "ux_sla_policies_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;
        for c in [
            IntNull("sla_policy_id"),
            TimeNull("first_response_due_at"),
            TimeNull("next_response_due_at"),
            TimeNull("resolution_due_at"),
            TimeNull("sla_warned_at"),
            TimeNull("sla_breached_at"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(a("conversations"))
                    .add_column(col(&c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [
            "sla_policy_id",
            "first_response_due_at",
            "next_response_due_at",
            "resolution_due_at",
            "sla_warned_at",
            "sla_breached_at",
        ] {
            m.alter_table(
                Table::alter()
                    .table(a("conversations"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        for t in ["sla_policies", "business_schedules"] {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
