//! Chat-completion and embedding clients for the AI features.
//!
//! One trait, [`ModelProvider`], with two HTTP implementations chosen by
//! [`ProviderKind`]:
//!
//! * [`ProviderKind::OpenAiCompatible`] — OpenAI's Chat Completions and
//!   Embeddings APIs, and servers that speak them (vLLM, llama.cpp server,
//!   Ollama's `/v1`).
//! * [`ProviderKind::Anthropic`] — Anthropic's Messages API (no embeddings).
//!
//! Construct a provider with [`build`]. Both clients share one retry policy:
//! HTTP 429, 500, 502, 503, 504 and 529 and connect/timeout errors are retried
//! up to [`ProviderConfig::max_retries`] times with exponential backoff and
//! jitter, honouring the server's `Retry-After`-style hints (capped at 30 s).
//!
//! The API key is never logged: [`ProviderConfig`]'s `Debug` redacts it, the
//! auth header is marked sensitive, and the key is scrubbed from any error
//! message a provider echoes back.

mod anthropic;
mod openai;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who wrote a chat message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions to the model. Anthropic has no system role: such messages
    /// are moved into its top-level `system` field.
    System,
    /// The human side of the conversation (customer or agent prompt).
    User,
    /// The model's earlier replies.
    Assistant,
}

/// One message of a conversation sent to the model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// Plain-text content.
    pub content: String,
}

impl ChatMessage {
    /// A message with [`Role::System`].
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    /// A message with [`Role::User`].
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// A message with [`Role::Assistant`].
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A tool (function) the model may ask to call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ToolSpec {
    /// Tool name, e.g. `lookup_order`.
    pub name: String,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema object describing the arguments.
    pub input_schema: serde_json::Value,
}

/// A tool call requested by the model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ToolCall {
    /// Provider-assigned call id.
    pub id: String,
    /// Name of the tool to call.
    pub name: String,
    /// Parsed arguments (a JSON object).
    pub arguments: serde_json::Value,
}

/// A chat-completion request.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// Model id; when empty the provider's configured chat model is used.
    pub model: String,
    /// System prompt, sent first.
    pub system: Option<String>,
    /// The conversation so far.
    pub messages: Vec<ChatMessage>,
    /// Tools the model may call; none when empty.
    pub tools: Vec<ToolSpec>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// Sampling temperature; the provider default when `None`.
    /// OpenAI accepts 0–2, Anthropic 0–1; it is passed through unchanged.
    pub temperature: Option<f32>,
}

/// Token usage reported by the provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Generated tokens (0 for embeddings).
    pub output_tokens: u32,
}

/// The result of [`ModelProvider::chat`].
#[derive(Debug, Clone)]
pub struct ChatResponse {
    /// Concatenated text output (empty when the model only called tools).
    pub text: String,
    /// Tool calls requested by the model.
    pub tool_calls: Vec<ToolCall>,
    /// Token usage (zero when the server does not report it).
    pub usage: Usage,
    /// Model that answered, as reported by the provider.
    pub model: String,
    /// Provider's stop reason as-is (`stop`, `tool_calls`, `end_turn`, `tool_use`,
    /// `length`, `max_tokens`, …); empty when not reported.
    pub stop_reason: String,
    /// HTTP requests sent, retries included.
    pub attempts: u32,
    /// Wall time from the first request to the parsed answer, retries included.
    pub elapsed_ms: u64,
}

/// The result of [`ModelProvider::embed`].
#[derive(Debug, Clone)]
pub struct EmbeddingResponse {
    /// One vector per input, in input order.
    pub vectors: Vec<Vec<f32>>,
    /// Token usage (`output_tokens` is always 0).
    pub usage: Usage,
    /// HTTP requests sent, retries included.
    pub attempts: u32,
    /// Wall time, retries included.
    pub elapsed_ms: u64,
}

/// Why a provider call failed. `Display` gives an operator-readable message.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// HTTP 401/403: the key is wrong, revoked or lacks access. Carries the
    /// provider's message.
    #[error("the AI provider rejected the credentials ({0}); check the API key in Settings → AI")]
    Auth(String),
    /// HTTP 400/404/422 (and other 4xx), or a request that cannot be sent as
    /// built. Carries the provider's error message.
    #[error("the AI provider rejected the request: {0}")]
    BadRequest(String),
    /// Still HTTP 429 after all retries (or a quota error, which is not retried).
    #[error("the AI provider is rate limiting requests: {message}")]
    RateLimited {
        /// The provider's message.
        message: String,
        /// The provider's last wait hint in whole seconds (rounded up, not capped).
        retry_after_secs: Option<u64>,
    },
    /// HTTP 5xx / 529 overloaded after all retries.
    #[error("the AI provider is unavailable: {0}")]
    Unavailable(String),
    /// The request timed out (after all retries).
    #[error("the request to the AI provider timed out")]
    Timeout,
    /// A network error (DNS, refused connection, TLS, reset).
    #[error("could not reach the AI provider: {0}")]
    Transport(String),
    /// The provider answered 2xx but the body did not have the documented shape.
    #[error("the AI provider sent an unexpected response: {0}")]
    InvalidResponse(String),
    /// The provider does not offer this operation.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
}

/// A chat/embedding backend.
#[async_trait]
pub trait ModelProvider: Send + Sync {
    /// Short provider id: `"openai"` or `"anthropic"`.
    fn name(&self) -> &'static str;
    /// The configured chat model.
    fn model(&self) -> &str;
    /// Runs one chat completion (with retries).
    async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError>;
    /// Embeds `inputs` with `model` (the configured embedding model when `model`
    /// is empty). Empty `inputs` returns no vectors without a request.
    async fn embed(
        &self,
        model: &str,
        inputs: &[String],
    ) -> Result<EmbeddingResponse, ProviderError>;
}

/// Which wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI Chat Completions / Embeddings (OpenAI, vLLM, llama.cpp, Ollama `/v1`).
    OpenAiCompatible,
    /// Anthropic Messages API.
    Anthropic,
}

impl ProviderKind {
    /// The public endpoint used when `base_url` is empty.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "https://api.openai.com/v1",
            ProviderKind::Anthropic => "https://api.anthropic.com",
        }
    }
}

/// Price in micro-dollars (1e-6 USD) per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Price {
    /// Micro-dollars per million input tokens.
    pub input_per_mtok_micros: u64,
    /// Micro-dollars per million output tokens.
    pub output_per_mtok_micros: u64,
}

impl Price {
    /// Cost of `u` in micro-dollars: integer math, total rounded up to the
    /// next micro-dollar, saturating at `u64::MAX`.
    pub fn cost_micros(&self, u: &Usage) -> u64 {
        let total = u128::from(u.input_tokens) * u128::from(self.input_per_mtok_micros)
            + u128::from(u.output_tokens) * u128::from(self.output_per_mtok_micros);
        u64::try_from(total.div_ceil(1_000_000)).unwrap_or(u64::MAX)
    }
}

/// Everything needed to talk to one provider.
///
/// `Debug` is implemented by hand and never prints the API key.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Wire protocol.
    pub kind: ProviderKind,
    /// API root: `https://api.openai.com/v1` (OpenAI-compatible servers include
    /// the `/v1`, e.g. `http://localhost:11434/v1`) or `https://api.anthropic.com`.
    /// A trailing slash is ignored; empty means [`ProviderKind::default_base_url`].
    pub base_url: String,
    /// API key; may be empty for local servers (then no auth header is sent).
    pub api_key: String,
    /// Default chat model.
    pub chat_model: String,
    /// Default embedding model (OpenAI-compatible only).
    pub embedding_model: Option<String>,
    /// Per-attempt timeout covering connect, request and reading the body.
    pub timeout: Duration,
    /// Retries after the first attempt (so at most `max_retries + 1` requests).
    pub max_retries: u32,
    /// Price used by callers for cost accounting.
    pub price: Price,
    /// First backoff delay; doubles per retry (capped at 8 s), with jitter.
    pub backoff_base: Duration,
}

impl ProviderConfig {
    /// A config with defaults: timeout 30 s, 3 retries, backoff base 250 ms,
    /// no embedding model, and [`default_price`] for `chat_model`.
    pub fn new(
        kind: ProviderKind,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        chat_model: impl Into<String>,
    ) -> Self {
        let chat_model = chat_model.into();
        Self {
            kind,
            base_url: base_url.into(),
            api_key: api_key.into(),
            price: default_price(kind, &chat_model),
            chat_model,
            embedding_model: None,
            timeout: Duration::from_secs(30),
            max_retries: 3,
            backoff_base: Duration::from_millis(250),
        }
    }
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = if self.api_key.is_empty() {
            "<empty>"
        } else {
            "<redacted>"
        };
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("api_key", &key)
            .field("chat_model", &self.chat_model)
            .field("embedding_model", &self.embedding_model)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("price", &self.price)
            .field("backoff_base", &self.backoff_base)
            .finish()
    }
}

/// Builds the provider for `config`, with a `reqwest::Client` that applies
/// `config.timeout` and follows no redirects.
///
/// Fails with [`ProviderError::BadRequest`] for an unusable base URL, an empty
/// chat model or an API key that cannot go in a header, and with
/// [`ProviderError::Transport`] if the HTTP client cannot be created.
pub fn build(config: ProviderConfig) -> Result<Box<dyn ModelProvider>, ProviderError> {
    let mut config = config;
    config.api_key = config.api_key.trim().to_string();
    config.base_url = normalize_base_url(config.kind, &config.base_url)?;
    if config.chat_model.trim().is_empty() {
        return Err(ProviderError::BadRequest(
            "no chat model configured".to_string(),
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Switchboard")
        .build()
        .map_err(|e| ProviderError::Transport(format!("could not create HTTP client: {e}")))?;
    Ok(match config.kind {
        ProviderKind::OpenAiCompatible => Box::new(openai::OpenAiProvider::new(config, client)?),
        ProviderKind::Anthropic => Box::new(anthropic::AnthropicProvider::new(config, client)?),
    })
}

/// Known list prices, for pre-filling the admin's price fields.
///
/// These are the providers' published list prices (standard tier, USD) at the
/// time of writing; they change, so treat them as defaults the admin can edit,
/// not as billing truth. A model id matches an entry exactly or with a date or
/// `-latest` suffix (`gpt-4o-mini-2024-07-18`, `claude-3-5-haiku-latest`).
/// Unknown models (including all local models) cost 0.
pub fn default_price(kind: ProviderKind, model: &str) -> Price {
    // (model, USD per MTok input, USD per MTok output) in micro-dollars.
    const OPENAI: &[(&str, u64, u64)] = &[
        ("gpt-4o-mini", 150_000, 600_000),
        ("gpt-4o", 2_500_000, 10_000_000),
        ("gpt-4.1-nano", 100_000, 400_000),
        ("gpt-4.1-mini", 400_000, 1_600_000),
        ("gpt-4.1", 2_000_000, 8_000_000),
        ("text-embedding-3-small", 20_000, 0),
        ("text-embedding-3-large", 130_000, 0),
    ];
    const ANTHROPIC: &[(&str, u64, u64)] = &[
        ("claude-3-haiku", 250_000, 1_250_000),
        ("claude-3-5-haiku", 800_000, 4_000_000),
        ("claude-haiku-4-5", 1_000_000, 5_000_000),
        ("claude-3-5-sonnet", 3_000_000, 15_000_000),
        ("claude-3-7-sonnet", 3_000_000, 15_000_000),
        ("claude-sonnet-4", 3_000_000, 15_000_000),
        ("claude-sonnet-4-5", 3_000_000, 15_000_000),
        ("claude-opus-4", 15_000_000, 75_000_000),
        ("claude-opus-4-1", 15_000_000, 75_000_000),
    ];
    let table = match kind {
        ProviderKind::OpenAiCompatible => OPENAI,
        ProviderKind::Anthropic => ANTHROPIC,
    };
    let model = model.trim();
    table
        .iter()
        .find(|(name, _, _)| model.strip_prefix(name).is_some_and(is_version_suffix))
        .map(|&(_, input, output)| Price {
            input_per_mtok_micros: input,
            output_per_mtok_micros: output,
        })
        .unwrap_or_default()
}

/// `""`, `-latest`, `-YYYYMMDD` or `-YYYY-MM-DD`.
fn is_version_suffix(rest: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match rest.strip_prefix('-') {
        None => rest.is_empty(),
        Some("latest") => true,
        Some(date) => {
            (date.len() == 8 && digits(date))
                || matches!(
                    date.split('-').collect::<Vec<_>>().as_slice(),
                    [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
                        && digits(y) && digits(m) && digits(d)
                )
        }
    }
}

fn normalize_base_url(kind: ProviderKind, base_url: &str) -> Result<String, ProviderError> {
    let trimmed = base_url.trim().trim_end_matches('/');
    let url = if trimmed.is_empty() {
        kind.default_base_url()
    } else {
        trimmed
    };
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
            Ok(url.to_string())
        }
        _ => Err(ProviderError::BadRequest(format!(
            "invalid base URL {url:?}: expected http(s)://host[/path]"
        ))),
    }
}

// ---------------------------------------------------------------------------
// Shared HTTP + retry machinery (private; used by the submodules via `super::`).

/// Longest backoff between attempts.
const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// Longest server-requested wait we honour before retrying.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(30);

/// Sends the request built by `make` until it succeeds, fails permanently or
/// runs out of retries; returns the 2xx body and the number of requests sent.
/// Non-2xx answers become [`ProviderError`]s with the provider's message
/// (`error.message` and a few local-server variants).
async fn send_with_retry<F>(
    provider: &'static str,
    config: &ProviderConfig,
    make: F,
) -> Result<(Vec<u8>, u32), ProviderError>
where
    F: Fn() -> reqwest::RequestBuilder + Sync,
{
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let can_retry = attempt <= config.max_retries;
        let outcome = async {
            let resp = make().send().await?;
            let (status, headers) = (resp.status(), resp.headers().clone());
            resp.bytes().await.map(|body| (status, headers, body))
        }
        .await;
        let (status, headers, body) = match outcome {
            Ok(parts) => parts,
            Err(e) => {
                let transient = e.is_timeout() || e.is_connect();
                if transient && can_retry {
                    let delay = backoff_delay(config.backoff_base, attempt);
                    tracing::warn!(
                        provider,
                        attempt,
                        delay_ms = millis(delay),
                        timeout = e.is_timeout(),
                        "AI provider request failed, retrying"
                    );
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(if e.is_timeout() {
                    ProviderError::Timeout
                } else {
                    ProviderError::Transport(redact(&error_chain(&e), &config.api_key))
                });
            }
        };
        if status.is_success() {
            return Ok((body.to_vec(), attempt));
        }
        let code = status.as_u16();
        let hint = retry_hint(&headers);
        let detail = parse_error_body(&body);
        let quota = detail.as_ref().is_some_and(|d| d.is_quota());
        if is_retryable_status(code) && !quota && can_retry {
            let delay = hint
                .map(|h| h.min(RETRY_AFTER_CAP))
                .unwrap_or_else(|| backoff_delay(config.backoff_base, attempt));
            tracing::warn!(
                provider,
                attempt,
                status = code,
                delay_ms = millis(delay),
                "AI provider returned a retryable status, retrying"
            );
            tokio::time::sleep(delay).await;
            continue;
        }
        let message = detail.and_then(|d| d.message).unwrap_or_else(|| {
            format!(
                "HTTP {code} {}",
                status.canonical_reason().unwrap_or_default()
            )
            .trim_end()
            .to_string()
        });
        let message = redact(&message, &config.api_key);
        tracing::warn!(
            provider,
            attempts = attempt,
            status = code,
            "AI provider request failed"
        );
        return Err(classify_status(code, message, hint, &headers));
    }
}

fn classify_status(
    code: u16,
    message: String,
    hint: Option<Duration>,
    headers: &reqwest::header::HeaderMap,
) -> ProviderError {
    match code {
        401 | 403 => ProviderError::Auth(message),
        429 => ProviderError::RateLimited {
            message,
            retry_after_secs: hint.map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0)),
        },
        300..=399 => {
            let location = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?");
            ProviderError::BadRequest(format!(
                "the server redirected (HTTP {code}) to {location}; check the base URL"
            ))
        }
        500..=599 => ProviderError::Unavailable(message),
        404 => ProviderError::BadRequest(format!("{message} (check the base URL and model name)")),
        _ => ProviderError::BadRequest(message),
    }
}

fn is_retryable_status(code: u16) -> bool {
    matches!(code, 429 | 500 | 502 | 503 | 504 | 529)
}

/// Error details pulled from a non-2xx body.
struct ErrorDetail {
    message: Option<String>,
    kind: Option<String>,
    code: Option<String>,
}

impl ErrorDetail {
    /// OpenAI's "you exceeded your current quota" 429 is not transient.
    fn is_quota(&self) -> bool {
        self.kind.as_deref() == Some("insufficient_quota")
            || self.code.as_deref() == Some("insufficient_quota")
    }
}

/// Understands `{"error":{"message","type","code"}}` (OpenAI, Anthropic),
/// `{"error":"…"}` (Ollama, llama.cpp), `{"message":"…"}` and `{"detail":…}` (vLLM).
fn parse_error_body(body: &[u8]) -> Option<ErrorDetail> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    };
    let err = v.get("error");
    let message = match err {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(e) => e.get("message").and_then(text),
        None => None,
    }
    .or_else(|| v.get("message").and_then(text))
    .or_else(|| v.get("detail").and_then(text));
    Some(ErrorDetail {
        message,
        kind: err.and_then(|e| e.get("type")).and_then(text),
        code: err.and_then(|e| e.get("code")).and_then(text),
    })
}

/// The server's wait hint: `retry-after-ms`, `retry-after` (seconds; dates are
/// ignored), then OpenAI's `x-ratelimit-reset-requests` / `-tokens` ("1s", "6m0s", "20ms").
fn retry_hint(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    get("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|ms| secs_f64(ms / 1000.0))
        .or_else(|| {
            get("retry-after")
                .and_then(|v| v.parse::<f64>().ok())
                .and_then(secs_f64)
        })
        .or_else(|| get("x-ratelimit-reset-requests").and_then(parse_reset_duration))
        .or_else(|| get("x-ratelimit-reset-tokens").and_then(parse_reset_duration))
}

fn secs_f64(secs: f64) -> Option<Duration> {
    (0.0..1e9)
        .contains(&secs)
        .then(|| Duration::from_secs_f64(secs))
}

/// Parses Go-style durations as sent by OpenAI: `"1s"`, `"6m0s"`, `"20ms"`,
/// `"2m59.56s"`, `"1h2m"`; a bare number is seconds.
fn parse_reset_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<f64>() {
        return secs_f64(secs);
    }
    let mut total = 0.0_f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    secs_f64(total)
}

/// `base * 2^(attempt-1)` capped at [`BACKOFF_CAP`], with "equal jitter":
/// a uniform delay in `[d/2, d]`.
fn backoff_delay(base: Duration, attempt: u32) -> Duration {
    use rand::Rng;
    let exp = attempt.saturating_sub(1).min(20);
    let full = base.saturating_mul(1u32 << exp).min(BACKOFF_CAP);
    let full_us = u64::try_from(full.as_micros()).unwrap_or(u64::MAX);
    let half = full_us / 2;
    let jitter = rand::thread_rng().gen_range(0..=full_us - half);
    Duration::from_micros(half + jitter)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Milliseconds since `start`.
fn elapsed_ms(start: Instant) -> u64 {
    millis(start.elapsed())
}

/// A reqwest error with its causes ("error sending request: connection refused").
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Removes the API key from text that came from the network.
fn redact(text: &str, api_key: &str) -> String {
    if api_key.len() >= 4 {
        text.replace(api_key, "[redacted]")
    } else {
        text.to_string()
    }
}

/// Deserializes a 2xx body, mapping failures to [`ProviderError::InvalidResponse`].
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| ProviderError::InvalidResponse(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reset_durations() {
        let d = |s| parse_reset_duration(s).map(|d| d.as_millis());
        assert_eq!(d("1s"), Some(1000));
        assert_eq!(d("6m0s"), Some(360_000));
        assert_eq!(d("20ms"), Some(20));
        assert_eq!(d("2m59.56s"), Some(179_560));
        assert_eq!(d("1h"), Some(3_600_000));
        assert_eq!(d("3"), Some(3000));
        assert_eq!(d(""), None);
        assert_eq!(d("soon"), None);
        assert_eq!(d("5x"), None);
    }

    #[test]
    fn hint_prefers_retry_after() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-ratelimit-reset-requests", "6m0s".parse().unwrap());
        assert_eq!(retry_hint(&h), Some(Duration::from_secs(360)));
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_hint(&h), Some(Duration::from_secs(2)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_hint(&h), Some(Duration::from_secs(360)));
    }

    #[test]
    fn backoff_grows_and_caps() {
        let base = Duration::from_millis(250);
        for attempt in 1..=10 {
            let d = backoff_delay(base, attempt);
            let full = base.saturating_mul(1 << (attempt - 1)).min(BACKOFF_CAP);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        assert!(backoff_delay(base, 1000) <= BACKOFF_CAP);
    }

    #[test]
    fn prices() {
        let p = default_price(ProviderKind::OpenAiCompatible, "gpt-4o-mini-2024-07-18");
        assert_eq!(p.input_per_mtok_micros, 150_000);
        assert_eq!(
            default_price(ProviderKind::OpenAiCompatible, "gpt-4o").input_per_mtok_micros,
            2_500_000
        );
        assert_eq!(
            default_price(ProviderKind::Anthropic, "claude-3-5-haiku-latest"),
            default_price(ProviderKind::Anthropic, "claude-3-5-haiku-20241022")
        );
        assert_eq!(
            default_price(ProviderKind::Anthropic, "claude-sonnet-4-20250514")
                .output_per_mtok_micros,
            15_000_000
        );
        // Not an exact/dated match → unknown.
        assert_eq!(
            default_price(ProviderKind::OpenAiCompatible, "gpt-4o-audio-preview"),
            Price::default()
        );
        assert_eq!(
            default_price(ProviderKind::Anthropic, "claude-opus-4-5-20251101"),
            Price::default()
        );
        assert_eq!(
            default_price(ProviderKind::Anthropic, "gpt-4o"),
            Price::default()
        );
        assert_eq!(
            default_price(ProviderKind::OpenAiCompatible, "llama3.1:8b"),
            Price::default()
        );
    }

    #[test]
    fn cost_rounds_up() {
        let p = Price {
            input_per_mtok_micros: 150_000,
            output_per_mtok_micros: 600_000,
        };
        let u = |i, o| Usage {
            input_tokens: i,
            output_tokens: o,
        };
        assert_eq!(p.cost_micros(&u(0, 0)), 0);
        assert_eq!(p.cost_micros(&u(1, 0)), 1); // 0.15 → 1
        assert_eq!(p.cost_micros(&u(1_000_000, 1_000_000)), 750_000);
        assert_eq!(p.cost_micros(&u(10, 20)), 14); // 1.5 + 12 = 13.5 → 14
        let huge = Price {
            input_per_mtok_micros: u64::MAX,
            output_per_mtok_micros: u64::MAX,
        };
        assert_eq!(huge.cost_micros(&u(u32::MAX, u32::MAX)), u64::MAX);
    }

    #[test]
    fn error_bodies() {
        let d = parse_error_body(
            br#"{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
        )
        .unwrap();
        assert!(d.is_quota());
        assert_eq!(d.message.as_deref(), Some("quota"));
        let d = parse_error_body(br#"{"error":"model 'x' not found"}"#).unwrap();
        assert_eq!(d.message.as_deref(), Some("model 'x' not found"));
        let d = parse_error_body(br#"{"detail":"bad"}"#).unwrap();
        assert_eq!(d.message.as_deref(), Some("bad"));
        assert!(parse_error_body(b"<html>502</html>").is_none());
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            normalize_base_url(ProviderKind::Anthropic, "").unwrap(),
            "https://api.anthropic.com"
        );
        assert_eq!(
            normalize_base_url(ProviderKind::OpenAiCompatible, "http://localhost:11434/v1/")
                .unwrap(),
            "http://localhost:11434/v1"
        );
        assert!(normalize_base_url(ProviderKind::OpenAiCompatible, "localhost:8080").is_err());
        assert!(normalize_base_url(ProviderKind::OpenAiCompatible, "ftp://x").is_err());
    }

    #[test]
    fn redacts_key() {
        assert_eq!(
            redact("Incorrect API key provided: sk-secret-123", "sk-secret-123"),
            "Incorrect API key provided: [redacted]"
        );
    }
}
