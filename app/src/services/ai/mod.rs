//! The AI agent (SPEC C6): model providers behind one trait, the built-in
//! extractive engine, guardrails (escalation triggers, sentiment, PII), the
//! resolution pipeline that runs on inbound customer messages, agent assist, and
//! metering.
//!
//! Text utilities (`textutil`, `kbtext`), the guardrail scorers and the
//! extractive functions are pure and unit-tested on their own; the pipeline and
//! assist call them with what they retrieve from the database.

pub mod assist;
pub mod engine;
pub mod extractive;
pub mod guardrails;
pub mod intents;
pub mod kbtext;
pub mod metering;
pub mod pii;
pub mod pipeline;
pub mod providers;
pub mod ranking;
pub mod secrets;
pub mod sentiment;
pub mod settings;
pub mod textutil;
