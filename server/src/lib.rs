//! The `switchboard` process: configuration, database and migrations, the axum
//! router (Leptos pages and server functions, WebSocket, health, metrics, exports),
//! job workers and the scheduler, and the CLI. Business rules live in
//! `app::services`; this crate wires them to the outside world.

pub mod api;
pub mod backup;
pub mod bus;
pub mod campaigns;
pub mod channels;
pub mod config;
pub mod db;
pub mod errors;
pub mod helpcenter;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod portal;
pub mod runtime;
pub mod seed;
pub mod seed_history;
pub mod seed_store;
pub mod session_store;
pub mod share;
pub mod slack;
pub mod storefront;
pub mod telemetry;
pub mod transcription;
pub mod twilio;
pub mod voice;
pub mod ws;
