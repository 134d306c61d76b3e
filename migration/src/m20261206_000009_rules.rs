//! Automation rules (SPEC C7.1–C7.4): rules with their versions and the log of
//! every firing; messages written by a rule carry its name as their author.

use crate::schema::{a, col, fk, index, table, C};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.create_table(table(
            "rules",
            &[
                Str("name"),
                Text("description"),
                Str("kind"),
                Str("events"),
                Text("conditions"),
                Text("actions"),
                Bool("enabled"),
                Int("position"),
                Int("version"),
                Int("fired"),
                TimeNull("last_fired_at"),
                Str("updated_by_label"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "rules",
            "ux_rules_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;

        let mut v = table(
            "rule_versions",
            &[
                Int("rule_id"),
                Int("version"),
                Text("definition"),
                Str("created_by_label"),
                Time("created_at"),
            ],
        );
        fk(&mut v, "rule_versions", "rule_id", "rules", true);
        m.create_table(v).await?;
        m.create_index(index(
            "rule_versions",
            "ux_rule_versions",
            &["rule_id", "version"],
            true,
        ))
        .await?;

        let mut f = table(
            "rule_firings",
            &[
                Int("rule_id"),
                Int("rule_version"),
                Int("conversation_id"),
                Str("event"),
                Str("outcome"),
                Text("changes"),
                Text("before"),
                Text("after"),
                TextNull("error"),
                Time("created_at"),
            ],
        );
        fk(&mut f, "rule_firings", "rule_id", "rules", true);
        fk(
            &mut f,
            "rule_firings",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(f).await?;
        m.create_index(index(
            "rule_firings",
            "ix_rule_firings_rule",
            &["workspace_id", "rule_id", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "rule_firings",
            "ix_rule_firings_conversation",
            &["conversation_id", "rule_id"],
            false,
        ))
        .await?;

        m.alter_table(
            Table::alter()
                .table(a("messages"))
                .add_column(col(&StrNull("author_label")))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("messages"))
                .drop_column(a("author_label"))
                .to_owned(),
        )
        .await?;
        for t in ["rule_firings", "rule_versions", "rules"] {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
