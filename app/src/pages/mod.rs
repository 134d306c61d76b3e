//! Pages by area.

pub mod actions;
pub mod activity;
pub mod admin;
pub mod ai;
pub mod ai_assist;
pub mod api_keys;
pub mod auth;
pub mod channels;
pub mod conversation;
pub mod flows;
#[cfg(feature = "ssr")]
pub mod helpcenter;
pub mod inbox;
pub mod inbox_settings;
pub mod kb;
pub mod notifications;
pub mod ops;
pub mod portal;
pub mod procedures;
pub mod routing;
pub mod rules;
pub mod settings;
pub mod sla;
pub mod support;
pub mod team;
pub mod webhooks;
