//! Schema migrations: append-only, timestamped, each with `down`, identical for
//! SQLite and PostgreSQL. Applied on start-up and by `switchboard migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_session_user;
mod m20261122_000003_inbox;
mod m20261201_000004_channels;
mod m20261202_000005_knowledge_ai;
mod m20261204_000006_search_speed;
mod m20261204_000007_ai_actions;
mod m20261205_000008_procedures;
mod m20261206_000009_rules;
mod m20261207_000010_sla;
mod m20261208_000011_routing;
mod m20261208_000012_sla_pause;
mod m20261209_000013_notifications;
mod m20261210_000014_flows;
mod m20261211_000015_flow_sessions;
mod m20261212_000016_workflow_runs;
mod m20261213_000017_segments;
mod m20261214_000018_campaigns;
mod m20261215_000019_site_messages;
mod m20261216_000020_tours;
mod m20261217_000021_in_app_sends;
mod m20261218_000022_commerce;
mod m20261219_000023_segment_uses;
mod m20261220_000024_store_listing;
mod m20261221_000025_store_payments;
mod m20261222_000026_order_tools;
mod m20261223_000027_shipping;
mod m20261224_000028_store_accounts;
mod m20261225_000029_reports;
mod m20261226_000030_dashboards;
mod m20261227_000031_twilio;
mod m20261228_000032_voice;
mod m20261229_000033_transcription;
mod m20261230_000034_slack;
mod m20261231_000035_digests;
mod m20270101_000036_report_exports;
mod m20270102_000037_quality;
mod m20270103_000038_report_facts;
pub mod schema;

/// The ordered list of every migration Switchboard knows.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_session_user::Migration),
            Box::new(m20261122_000003_inbox::Migration),
            Box::new(m20261201_000004_channels::Migration),
            Box::new(m20261202_000005_knowledge_ai::Migration),
            Box::new(m20261204_000006_search_speed::Migration),
            Box::new(m20261204_000007_ai_actions::Migration),
            Box::new(m20261205_000008_procedures::Migration),
            Box::new(m20261206_000009_rules::Migration),
            Box::new(m20261207_000010_sla::Migration),
            Box::new(m20261208_000011_routing::Migration),
            Box::new(m20261208_000012_sla_pause::Migration),
            Box::new(m20261209_000013_notifications::Migration),
            Box::new(m20261210_000014_flows::Migration),
            Box::new(m20261211_000015_flow_sessions::Migration),
            Box::new(m20261212_000016_workflow_runs::Migration),
            Box::new(m20261213_000017_segments::Migration),
            Box::new(m20261214_000018_campaigns::Migration),
            Box::new(m20261215_000019_site_messages::Migration),
            Box::new(m20261216_000020_tours::Migration),
            Box::new(m20261217_000021_in_app_sends::Migration),
            Box::new(m20261218_000022_commerce::Migration),
            Box::new(m20261219_000023_segment_uses::Migration),
            Box::new(m20261220_000024_store_listing::Migration),
            Box::new(m20261221_000025_store_payments::Migration),
            Box::new(m20261222_000026_order_tools::Migration),
            Box::new(m20261223_000027_shipping::Migration),
            Box::new(m20261224_000028_store_accounts::Migration),
            Box::new(m20261225_000029_reports::Migration),
            Box::new(m20261226_000030_dashboards::Migration),
            Box::new(m20261227_000031_twilio::Migration),
            Box::new(m20261228_000032_voice::Migration),
            Box::new(m20261229_000033_transcription::Migration),
            Box::new(m20261230_000034_slack::Migration),
            Box::new(m20261231_000035_digests::Migration),
            Box::new(m20270101_000036_report_exports::Migration),
            Box::new(m20270102_000037_quality::Migration),
            Box::new(m20270103_000038_report_facts::Migration),
        ]
    }
}
