//! Pages by area.

pub mod activity;
pub mod admin;
pub mod auth;
pub mod ops;
pub mod settings;
pub mod team;
