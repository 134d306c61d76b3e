//! OpenAI-compatible client: Chat Completions and Embeddings.
//!
//! Works with OpenAI and with servers that implement the same API (vLLM,
//! llama.cpp server, Ollama's `/v1`). The request sends `max_tokens`, which
//! every such server accepts; OpenAI's reasoning models (o-series, gpt-5) only
//! accept `max_completion_tokens` and will answer 400 here.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde::{Deserialize, Serialize};

use super::{
    elapsed_ms, parse_json, send_with_retry, ChatRequest, ChatResponse, EmbeddingResponse,
    ModelProvider, ProviderConfig, ProviderError, Role, ToolCall, Usage,
};

const NAME: &str = "openai";

/// A client for one OpenAI-compatible endpoint.
#[derive(Debug)]
pub(super) struct OpenAiProvider {
    config: ProviderConfig,
    client: reqwest::Client,
    /// `Bearer <key>`, marked sensitive; `None` when the key is empty.
    auth: Option<HeaderValue>,
}

impl OpenAiProvider {
    /// `config.base_url` must already be normalised (no trailing slash).
    pub(super) fn new(
        config: ProviderConfig,
        client: reqwest::Client,
    ) -> Result<Self, ProviderError> {
        let auth = if config.api_key.is_empty() {
            None
        } else {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", config.api_key)).map_err(|_| {
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
            auth,
        })
    }

    fn post<B: Serialize>(&self, path: &str, body: &B) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(format!("{}{path}", self.config.base_url))
            .json(body);
        match &self.auth {
            Some(auth) => request.header(AUTHORIZATION, auth.clone()),
            None => request,
        }
    }
}

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'a Role,
    content: &'a str,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a serde_json::Value,
}

#[derive(Deserialize)]
struct ChatCompletion {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ResponseMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ResponseMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    function: WireCalledFunction,
}

#[derive(Deserialize)]
struct WireCalledFunction {
    name: String,
    /// A JSON-encoded string per the docs; some local servers send an object.
    #[serde(default)]
    arguments: serde_json::Value,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u32>,
    #[serde(default)]
    completion_tokens: Option<u32>,
}

#[derive(Serialize)]
struct EmbeddingsBody<'a> {
    model: &'a str,
    input: &'a [String],
}

#[derive(Deserialize)]
struct EmbeddingsList {
    #[serde(default)]
    data: Vec<EmbeddingItem>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f32>,
}

fn parse_arguments(name: &str, raw: serde_json::Value) -> Result<serde_json::Value, ProviderError> {
    match raw {
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(serde_json::json!({})),
        serde_json::Value::String(s) => serde_json::from_str(&s).map_err(|e| {
            ProviderError::InvalidResponse(format!(
                "arguments of tool call `{name}` are not valid JSON: {e}"
            ))
        }),
        serde_json::Value::Null => Ok(serde_json::json!({})),
        serde_json::Value::Object(map) => Ok(serde_json::Value::Object(map)),
        other => Err(ProviderError::InvalidResponse(format!(
            "arguments of tool call `{name}` should be a JSON string, got {other}"
        ))),
    }
}

#[async_trait]
impl ModelProvider for OpenAiProvider {
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
        let mut messages = Vec::with_capacity(req.messages.len() + 1);
        if let Some(system) = &req.system {
            messages.push(WireMessage {
                role: &Role::System,
                content: system,
            });
        }
        messages.extend(req.messages.iter().map(|m| WireMessage {
            role: &m.role,
            content: &m.content,
        }));
        let body = ChatBody {
            model,
            messages,
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            tools: req
                .tools
                .iter()
                .map(|t| WireTool {
                    kind: "function",
                    function: WireFunction {
                        name: &t.name,
                        description: &t.description,
                        parameters: &t.input_schema,
                    },
                })
                .collect(),
        };

        let (bytes, attempts) =
            send_with_retry(NAME, &self.config, || self.post("/chat/completions", &body)).await?;
        let completion: ChatCompletion = parse_json(&bytes)?;
        let choice =
            completion.choices.into_iter().next().ok_or_else(|| {
                ProviderError::InvalidResponse("no choices in response".to_string())
            })?;
        let tool_calls = choice
            .message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .map(|call| {
                let arguments = parse_arguments(&call.function.name, call.function.arguments)?;
                Ok(ToolCall {
                    id: call.id.unwrap_or_default(),
                    name: call.function.name,
                    arguments,
                })
            })
            .collect::<Result<Vec<_>, ProviderError>>()?;
        let usage = completion.usage.unwrap_or_default();
        let response = ChatResponse {
            text: choice.message.content.unwrap_or_default(),
            tool_calls,
            usage: Usage {
                input_tokens: usage.prompt_tokens.unwrap_or(0),
                output_tokens: usage.completion_tokens.unwrap_or(0),
            },
            model: completion.model.unwrap_or_else(|| model.to_string()),
            stop_reason: choice.finish_reason.unwrap_or_default(),
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
        model: &str,
        inputs: &[String],
    ) -> Result<EmbeddingResponse, ProviderError> {
        let start = Instant::now();
        let model = if model.is_empty() {
            self.config.embedding_model.as_deref().ok_or_else(|| {
                ProviderError::BadRequest("no embedding model configured".to_string())
            })?
        } else {
            model
        };
        if inputs.is_empty() {
            return Ok(EmbeddingResponse {
                vectors: Vec::new(),
                usage: Usage::default(),
                attempts: 0,
                elapsed_ms: 0,
            });
        }
        let body = EmbeddingsBody {
            model,
            input: inputs,
        };
        let (bytes, attempts) =
            send_with_retry(NAME, &self.config, || self.post("/embeddings", &body)).await?;
        let list: EmbeddingsList = parse_json(&bytes)?;
        if list.data.len() != inputs.len() {
            return Err(ProviderError::InvalidResponse(format!(
                "asked for {} embeddings, got {}",
                inputs.len(),
                list.data.len()
            )));
        }
        let mut slots: Vec<Option<Vec<f32>>> = vec![None; inputs.len()];
        for (position, item) in list.data.into_iter().enumerate() {
            let index = item.index.unwrap_or(position);
            match slots.get_mut(index) {
                Some(slot @ None) => *slot = Some(item.embedding),
                _ => {
                    return Err(ProviderError::InvalidResponse(format!(
                        "embedding index {index} is out of range or repeated"
                    )))
                }
            }
        }
        let vectors = slots.into_iter().flatten().collect();
        let usage = list.usage.unwrap_or_default();
        Ok(EmbeddingResponse {
            vectors,
            usage: Usage {
                input_tokens: usage.prompt_tokens.unwrap_or(0),
                output_tokens: 0,
            },
            attempts,
            elapsed_ms: elapsed_ms(start),
        })
    }
}
