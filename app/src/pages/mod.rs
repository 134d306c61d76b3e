//! Pages by area.

pub mod activity;
pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod conversation;
pub mod inbox;
pub mod ops;
pub mod settings;
pub mod team;
