//! View types and forms of the AI agent: settings, runs with their steps, agent
//! assist and the metering overview.

use serde::{Deserialize, Serialize};

/// The built-in extractive engine (no provider configured).
pub const PROVIDER_BUILTIN: &str = "builtin";
/// An OpenAI-compatible API (OpenAI, vLLM, llama.cpp, Ollama).
pub const PROVIDER_OPENAI: &str = "openai";
/// The Anthropic Messages API.
pub const PROVIDER_ANTHROPIC: &str = "anthropic";

/// Escalation reason codes and their labels.
pub const REASONS: &[(&str, &str)] = &[
    ("pricing", "Pricing question"),
    ("refund", "Refund request"),
    ("legal", "Legal matter"),
    ("human_request", "Asked for a person"),
    ("negative_sentiment", "Upset customer"),
    ("no_kb_match", "No knowledge-base answer"),
    ("pii_blocked", "Reply held: personal data"),
    ("low_confidence", "Not sure enough to send"),
    ("internal_error", "AI error"),
    ("action_denied", "Action not allowed"),
    ("procedure_escalated", "A procedure handed it over"),
];

/// The label of a reason code.
pub fn reason_label(code: &str) -> &str {
    REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| l)
}

/// A workspace's AI settings as shown (the key never leaves the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiSettingsView {
    /// The resolution pipeline runs on inbound messages.
    pub enabled: bool,
    /// Channels it runs on (`chat`, `email`, `web_form`, `api`).
    pub channels: Vec<String>,
    /// Confidence (0–100) at or above which answers are sent without an agent.
    pub auto_send_threshold: i32,
    /// `builtin`, `openai` or `anthropic`.
    pub provider: String,
    /// Provider base URL.
    pub base_url: String,
    /// Chat model.
    pub chat_model: String,
    /// Embedding model (OpenAI-compatible only; empty: full-text only).
    pub embedding_model: String,
    /// A hint of the stored key (`sk-…f3a9`), if one is stored.
    pub api_key_hint: Option<String>,
    /// Request timeout in seconds.
    pub timeout_secs: i32,
    /// Price per million input tokens, in micro-dollars.
    pub price_input_micros: i64,
    /// Price per million output tokens, in micro-dollars.
    pub price_output_micros: i64,
    /// Default tone of drafts (`friendly`, `formal`, `concise`).
    pub tone: String,
    /// The built-in engine's calibrated answer threshold (0–1).
    pub answer_threshold: f64,
    /// Whether a secrets key is configured (keys can be stored).
    pub can_store_keys: bool,
}

/// What an admin saves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiSettingsForm {
    /// Pipeline on.
    pub enabled: bool,
    /// Channels.
    pub channels: Vec<String>,
    /// Auto-send threshold 0–100.
    pub auto_send_threshold: i32,
    /// Provider.
    pub provider: String,
    /// Base URL.
    pub base_url: String,
    /// Chat model.
    pub chat_model: String,
    /// Embedding model.
    pub embedding_model: String,
    /// A new API key; empty keeps the stored one.
    pub api_key: String,
    /// Remove the stored key.
    pub clear_key: bool,
    /// Timeout seconds (1–120).
    pub timeout_secs: i32,
    /// Input price per million tokens (micro-dollars).
    pub price_input_micros: i64,
    /// Output price per million tokens (micro-dollars).
    pub price_output_micros: i64,
    /// Draft tone.
    pub tone: String,
}

/// One step of an AI run, as agents see it in the conversation pane.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiStep {
    /// Tool name: `ticket`, `customer_history`, `guardrails`, `knowledge_search`,
    /// `decide`, `respond`, `escalate`, `pii_check`.
    pub tool: String,
    /// One line for a person.
    pub summary: String,
    /// Details (retrieved passages, matched phrases, scores).
    pub details: Vec<String>,
    /// Microseconds it took.
    pub micros: u64,
}

/// One AI run on a conversation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiRunView {
    /// Run id.
    pub id: i32,
    /// `inbound`, `draft` or `summary`.
    pub purpose: String,
    /// `answer`, `clarify`, `escalate`, `draft`, `error`.
    pub decision: String,
    /// Reason code of an escalation or a held draft.
    pub reason: Option<String>,
    /// Its label.
    pub reason_label: Option<String>,
    /// Confidence 0–1.
    pub confidence: f64,
    /// Sentiment 0–1 of the customer message.
    pub sentiment: f64,
    /// The reply (sent or left as a draft).
    pub reply: Option<String>,
    /// Whether it was sent to the customer.
    pub sent: bool,
    /// `builtin`, `openai`, `anthropic`.
    pub engine: String,
    /// Steps in order.
    pub steps: Vec<AiStep>,
    /// Tokens in / out (providers only).
    pub tokens: (i32, i32),
    /// Cost in micro-dollars.
    pub cost_micros: i64,
    /// Time of the pipeline without provider calls (µs).
    pub duration_us: i64,
    /// When (RFC 3339).
    pub created_at: String,
}

/// The AI side of a conversation, for the pane.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationAiView {
    /// `answered`, `escalated`, `resolved` or none.
    pub state: Option<String>,
    /// Escalation reason code.
    pub reason: Option<String>,
    /// Its label.
    pub reason_label: Option<String>,
    /// Runs, newest first.
    pub runs: Vec<AiRunView>,
}

/// A draft reply from agent assist.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AssistDraftView {
    /// The draft text (goes into the composer).
    pub text: String,
    /// Where it came from (articles).
    pub sources: Vec<super::KbHitView>,
    /// `builtin` (extractive) or the provider.
    pub engine: String,
    /// A note for the agent ("Extractive: quoted from …").
    pub note: String,
}

/// A canned response suggested for the open conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CannedSuggestionView {
    /// The canned response.
    pub id: i32,
    /// Its title.
    pub title: String,
    /// Its text, filled in for this conversation.
    pub text: String,
    /// The customer's words it matched.
    pub matched: Vec<String>,
}

/// A translation from agent assist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TranslationView {
    /// The translated text.
    pub text: String,
    /// Target language code.
    pub language: String,
    /// The provider that translated it.
    pub engine: String,
}

/// Languages agent assist translates into: (code, name).
pub const TRANSLATE_LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("pt", "Portuguese"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("ja", "Japanese"),
];

/// A thread summary from agent assist.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AssistSummaryView {
    /// Key points.
    pub key_points: Vec<String>,
    /// Open questions.
    pub open_questions: Vec<String>,
    /// Action items.
    pub action_items: Vec<String>,
    /// Engine.
    pub engine: String,
    /// A note for the agent.
    pub note: String,
}

/// One day of AI metering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiDayRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// AI resolutions (the billable unit).
    pub resolutions: u64,
    /// Handoffs to people.
    pub handoffs: u64,
    /// Answers sent.
    pub answers: u64,
    /// Deflections (help articles instead of tickets).
    pub deflections: u64,
    /// Provider cost in micro-dollars.
    pub cost_micros: i64,
}

/// The AI overview page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiOverviewView {
    /// Days, oldest first.
    pub days: Vec<AiDayRow>,
    /// Totals over the period.
    pub total: AiDayRow,
    /// Resolution rate: resolutions / (resolutions + handoffs).
    pub resolution_rate: f64,
    /// Handoffs per reason: (code, label, count).
    pub reasons: Vec<(String, String, u64)>,
    /// Deflection figures.
    pub deflection: super::DeflectionStats,
    /// Average CSAT of AI-resolved conversations (none when unrated).
    pub ai_csat: Option<f64>,
    /// ECharts option JSON (built with charming) for the daily chart.
    pub daily_chart: String,
    /// ECharts option JSON for the reasons chart.
    pub reasons_chart: String,
    /// Article feedback (most "not helpful" first).
    pub feedback: Vec<super::FeedbackRow>,
    /// Content gaps: words of escalated `no_kb_match` messages, with counts.
    pub gaps: Vec<(String, u64)>,
}
