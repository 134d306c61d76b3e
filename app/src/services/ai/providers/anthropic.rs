//! Anthropic Messages API client (`POST /v1/messages`, `anthropic-version: 2023-06-01`).
//!
//! The conversation is adapted to the API's rules before sending:
//! system-role messages are moved into the top-level `system` field (joined
//! with blank lines, after [`ChatRequest::system`]), consecutive messages of the
//! same role are merged with a blank line, empty messages are dropped, and
//! assistant messages before the first user message are dropped (nothing is
//! invented in their place). A conversation without a user message is a
//! [`ProviderError::BadRequest`]. Anthropic has no embeddings API.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};

use super::{
    elapsed_ms, parse_json, send_with_retry, ChatRequest, ChatResponse, EmbeddingResponse,
    ModelProvider, ProviderConfig, ProviderError, Role, ToolCall, Usage,
};

const NAME: &str = "anthropic";
const API_VERSION: &str = "2023-06-01";

/// A client for the Anthropic Messages API.
#[derive(Debug)]
pub(super) struct AnthropicProvider {
    config: ProviderConfig,
    client: reqwest::Client,
    /// The `x-api-key` value, marked sensitive; `None` when the key is empty.
    api_key: Option<HeaderValue>,
}

impl AnthropicProvider {
    /// `config.base_url` must already be normalised (no trailing slash).
    pub(super) fn new(
        config: ProviderConfig,
        client: reqwest::Client,
    ) -> Result<Self, ProviderError> {
        let api_key = if config.api_key.is_empty() {
            None
        } else {
            let mut value = HeaderValue::from_str(&config.api_key).map_err(|_| {
                ProviderError::BadRequest(
                    "the API key contains characters that cannot be sent in an HTTP header"
                        .to_string(),
                )
            })?;
            value.set_sensitive(true);
            Some(value)
        };
        Ok(Self {
            config,
            client,
            api_key,
        })
    }
}

#[derive(Serialize)]
struct MessagesBody<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<WireMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
}

#[derive(Serialize, Debug, PartialEq)]
struct WireMessage {
    role: &'static str,
    content: String,
}

#[derive(Serialize)]
struct WireTool<'a> {
    name: &'a str,
    description: &'a str,
    input_schema: &'a serde_json::Value,
}

#[derive(Deserialize)]
struct MessagesResponse {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Vec<Block>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: serde_json::Value,
    },
    /// `thinking`, `redacted_thinking`, server-tool blocks, … — ignored.
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
}

/// Splits the request into Anthropic's `system` string and an alternating,
/// user-first message list.
fn normalize(req: &ChatRequest) -> Result<(Option<String>, Vec<WireMessage>), ProviderError> {
    let mut system: Vec<&str> = Vec::new();
    if let Some(s) = req.system.as_deref().filter(|s| !s.trim().is_empty()) {
        system.push(s);
    }
    let mut messages: Vec<WireMessage> = Vec::new();
    let mut dropped_leading = 0usize;
    for m in &req.messages {
        if m.content.trim().is_empty() {
            continue;
        }
        let role = match m.role {
            Role::System => {
                system.push(&m.content);
                continue;
            }
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        match messages.last_mut() {
            None if role == "assistant" => dropped_leading += 1,
            Some(last) if last.role == role => {
                last.content.push_str("\n\n");
                last.content.push_str(&m.content);
            }
            _ => messages.push(WireMessage {
                role,
                content: m.content.clone(),
            }),
        }
    }
    if messages.is_empty() {
        return Err(ProviderError::BadRequest(
            "Anthropic needs at least one non-empty user message".to_string(),
        ));
    }
    if dropped_leading > 0 {
        tracing::debug!(
            provider = NAME,
            dropped = dropped_leading,
            "dropped assistant messages before the first user message"
        );
    }
    // A final assistant turn is a prefill, which must not end in whitespace.
    if let Some(last) = messages.last_mut().filter(|m| m.role == "assistant") {
        let trimmed = last.content.trim_end().len();
        last.content.truncate(trimmed);
    }
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    Ok((system, messages))
}

#[async_trait]
impl ModelProvider for AnthropicProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn model(&self) -> &str {
        &self.config.chat_model
    }

    async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let start = Instant::now();
        let model = if req.model.is_empty() {
            self.config.chat_model.as_str()
        } else {
            req.model.as_str()
        };
        let (system, messages) = normalize(req)?;
        let body = MessagesBody {
            model,
            max_tokens: req.max_tokens,
            system,
            messages,
            temperature: req.temperature,
            tools: req
                .tools
                .iter()
                .map(|t| WireTool {
                    name: &t.name,
                    description: &t.description,
                    input_schema: &t.input_schema,
                })
                .collect(),
        };
        let url = format!("{}/v1/messages", self.config.base_url);
        let make = || {
            let request = self
                .client
                .post(&url)
                .header("anthropic-version", API_VERSION)
                .json(&body);
            match &self.api_key {
                Some(key) => request.header("x-api-key", key.clone()),
                None => request,
            }
        };
        let (bytes, attempts) = send_with_retry(NAME, &self.config, make).await?;
        let parsed: MessagesResponse = parse_json(&bytes)?;
        let mut text = String::new();
        let mut tool_calls = Vec::new();
        for block in parsed.content {
            match block {
                Block::Text { text: t } => text.push_str(&t),
                Block::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                    id,
                    name,
                    arguments: if input.is_null() {
                        serde_json::json!({})
                    } else {
                        input
                    },
                }),
                Block::Other => {}
            }
        }
        let usage = parsed.usage.unwrap_or_default();
        let response = ChatResponse {
            text,
            tool_calls,
            usage: Usage {
                input_tokens: usage.input_tokens.unwrap_or(0),
                output_tokens: usage.output_tokens.unwrap_or(0),
            },
            model: parsed.model.unwrap_or_else(|| model.to_string()),
            stop_reason: parsed.stop_reason.unwrap_or_default(),
            attempts,
            elapsed_ms: elapsed_ms(start),
        };
        tracing::debug!(
            provider = NAME,
            model = %response.model,
            attempts,
            elapsed_ms = response.elapsed_ms,
            input_tokens = response.usage.input_tokens,
            output_tokens = response.usage.output_tokens,
            "chat completion done"
        );
        Ok(response)
    }

    async fn embed(
        &self,
        _model: &str,
        _inputs: &[String],
    ) -> Result<EmbeddingResponse, ProviderError> {
        Err(ProviderError::Unsupported(
            "Anthropic has no embeddings API; configure an OpenAI-compatible embeddings model",
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::ChatMessage;
    use super::*;

    fn request(system: Option<&str>, messages: Vec<ChatMessage>) -> ChatRequest {
        ChatRequest {
            model: String::new(),
            system: system.map(str::to_string),
            messages,
            tools: Vec::new(),
            max_tokens: 10,
            temperature: None,
        }
    }

    fn wire(role: &'static str, content: &str) -> WireMessage {
        WireMessage {
            role,
            content: content.to_string(),
        }
    }

    #[test]
    fn moves_system_merges_and_drops_leading_assistant() {
        let req = request(
            Some("Be brief."),
            vec![
                ChatMessage::assistant("Hi! How can I help?"),
                ChatMessage::system("Customer is on the Pro plan."),
                ChatMessage::user("My invoice"),
                ChatMessage::user("is wrong"),
                ChatMessage::user("   "),
                ChatMessage::assistant("Let me check. "),
            ],
        );
        let (system, messages) = normalize(&req).unwrap();
        assert_eq!(
            system.as_deref(),
            Some("Be brief.\n\nCustomer is on the Pro plan.")
        );
        assert_eq!(
            messages,
            vec![
                wire("user", "My invoice\n\nis wrong"),
                wire("assistant", "Let me check."),
            ]
        );
    }

    #[test]
    fn no_user_message_is_bad_request() {
        let req = request(
            None,
            vec![ChatMessage::system("x"), ChatMessage::assistant("hello")],
        );
        assert!(matches!(normalize(&req), Err(ProviderError::BadRequest(_))));
    }
}
