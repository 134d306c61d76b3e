//! Provider clients against local HTTP servers that record every request and
//! replay the documented response shapes; plus secret sealing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::services::ai::providers::{
    build, default_price, ChatMessage, ChatRequest, Price, ProviderConfig, ProviderError,
    ProviderKind, ToolSpec, Usage,
};
use app::services::ai::secrets::{hint, SecretBox, SecretError};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Mock server

#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Value,
}

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Clone)]
struct MockState {
    /// Served in order; the last one repeats forever.
    replies: Arc<Vec<Reply>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

struct Mock {
    /// `http://127.0.0.1:PORT`
    origin: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Mock {
    fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests.into_iter().next().unwrap()
    }
}

async fn handle(
    State(state): State<MockState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let index = {
        let mut log = state.log.lock().unwrap();
        log.push(Recorded {
            method: method.to_string(),
            path: uri.path().to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
                .collect(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        log.len() - 1
    };
    let reply = state.replies[index.min(state.replies.len() - 1)].clone();
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", "application/json");
    for (name, value) in &reply.headers {
        response = response.header(*name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

async fn mock(replies: Vec<Reply>) -> Mock {
    assert!(!replies.is_empty());
    let state = MockState {
        replies: Arc::new(replies),
        log: Arc::default(),
    };
    let log = state.log.clone();
    let app = Router::new().fallback(handle).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Mock {
        origin: format!("http://{addr}"),
        log,
    }
}

// ---------------------------------------------------------------------------
// Fixtures

fn openai_config(mock: &Mock, key: &str) -> ProviderConfig {
    // Trailing slash on purpose: it must be trimmed.
    let mut config = ProviderConfig::new(
        ProviderKind::OpenAiCompatible,
        format!("{}/v1/", mock.origin),
        key,
        "gpt-4o-mini",
    );
    config.backoff_base = Duration::from_millis(2);
    config
}

fn anthropic_config(mock: &Mock) -> ProviderConfig {
    let mut config = ProviderConfig::new(
        ProviderKind::Anthropic,
        format!("{}/", mock.origin),
        "sk-ant-test",
        "claude-3-5-haiku-latest",
    );
    config.backoff_base = Duration::from_millis(2);
    config
}

fn order_tool() -> ToolSpec {
    ToolSpec {
        name: "lookup_order".to_string(),
        description: "Look up an order by its number".to_string(),
        input_schema: json!({
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"]
        }),
    }
}

fn simple_request(text: &str) -> ChatRequest {
    ChatRequest {
        model: String::new(),
        system: None,
        messages: vec![ChatMessage::user(text)],
        tools: Vec::new(),
        max_tokens: 64,
        temperature: None,
    }
}

fn openai_completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1677652288,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
    })
}

fn openai_error(message: &str, kind: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

fn anthropic_message(content: Value, stop_reason: &str) -> Value {
    json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "content": content,
        "model": "claude-3-5-haiku-20241022",
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 25}
    })
}

fn anthropic_error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

// ---------------------------------------------------------------------------
// OpenAI-compatible

#[tokio::test]
async fn openai_chat_sends_documented_request_and_parses_completion() {
    let server = mock(vec![Reply::json(
        200,
        openai_completion("Hello there, how may I assist you today?"),
    )])
    .await;
    let mut config = openai_config(&server, "sk-test");
    config.price = Price {
        input_per_mtok_micros: 150_000,
        output_per_mtok_micros: 600_000,
    };
    let price = config.price;
    let provider = build(config).unwrap();
    assert_eq!(provider.name(), "openai");
    assert_eq!(provider.model(), "gpt-4o-mini");

    let req = ChatRequest {
        model: "gpt-4o-mini".to_string(),
        system: Some("You are a support assistant.".to_string()),
        messages: vec![
            ChatMessage::user("Where is my order?"),
            ChatMessage::assistant("Which order number?"),
            ChatMessage::user("A-42"),
        ],
        tools: vec![order_tool()],
        max_tokens: 256,
        temperature: Some(0.5),
    };
    let res = provider.chat(&req).await.unwrap();

    let sent = server.only_request();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.headers["authorization"], "Bearer sk-test");
    assert_eq!(sent.headers["content-type"], "application/json");
    assert_eq!(
        sent.body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You are a support assistant."},
                {"role": "user", "content": "Where is my order?"},
                {"role": "assistant", "content": "Which order number?"},
                {"role": "user", "content": "A-42"}
            ],
            "max_tokens": 256,
            "temperature": 0.5,
            "tools": [{
                "type": "function",
                "function": {
                    "name": "lookup_order",
                    "description": "Look up an order by its number",
                    "parameters": order_tool().input_schema
                }
            }]
        })
    );

    assert_eq!(res.text, "Hello there, how may I assist you today?");
    assert!(res.tool_calls.is_empty());
    assert_eq!(
        res.usage,
        Usage {
            input_tokens: 9,
            output_tokens: 12
        }
    );
    assert_eq!(res.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(res.stop_reason, "stop");
    assert_eq!(res.attempts, 1);
    // 9 × 0.15 + 12 × 0.60 = 8.55 µ$ → rounded up.
    assert_eq!(price.cost_micros(&res.usage), 9);
}

#[tokio::test]
async fn openai_tool_call_arguments_are_parsed() {
    let server = mock(vec![Reply::json(
        200,
        json!({
            "id": "chatcmpl-abc123",
            "object": "chat.completion",
            "created": 1699896916,
            "model": "gpt-4o-mini",
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [{
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                            "name": "lookup_order",
                            "arguments": "{\n\"order_id\": \"A-42\"\n}"
                        }
                    }]
                },
                "logprobs": null,
                "finish_reason": "tool_calls"
            }],
            "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}
        }),
    )])
    .await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let mut req = simple_request("Where is order A-42?");
    req.tools = vec![order_tool()];
    let res = provider.chat(&req).await.unwrap();
    assert_eq!(res.text, "");
    assert_eq!(res.stop_reason, "tool_calls");
    assert_eq!(res.tool_calls.len(), 1);
    assert_eq!(res.tool_calls[0].id, "call_abc123");
    assert_eq!(res.tool_calls[0].name, "lookup_order");
    assert_eq!(res.tool_calls[0].arguments, json!({"order_id": "A-42"}));
}

#[tokio::test]
async fn openai_tool_call_with_invalid_arguments_is_invalid_response() {
    let mut body = openai_completion("");
    body["choices"][0]["message"] = json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{"id": "call_1", "type": "function",
                        "function": {"name": "lookup_order", "arguments": "{\"order_id\": "}}]
    });
    let server = mock(vec![Reply::json(200, body)]).await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::InvalidResponse(m) if m.contains("lookup_order")),
        "{err:?}"
    );
}

#[tokio::test]
async fn openai_429_retry_after_then_success() {
    let limited = Reply::json(
        429,
        openai_error(
            "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
            "requests",
            "rate_limit_exceeded",
        ),
    )
    .header("retry-after", "0");
    let server = mock(vec![
        limited.clone(),
        limited,
        Reply::json(200, openai_completion("ok")),
    ])
    .await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let res = provider.chat(&simple_request("hi")).await.unwrap();
    assert_eq!(res.text, "ok");
    assert_eq!(res.attempts, 3);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn openai_429_forever_is_rate_limited_after_max_retries() {
    let server = mock(vec![Reply::json(
        429,
        openai_error(
            "Rate limit reached for gpt-4o-mini",
            "requests",
            "rate_limit_exceeded",
        ),
    )
    .header("retry-after", "0")])
    .await;
    let mut config = openai_config(&server, "sk-test");
    config.max_retries = 2;
    let provider = build(config).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    match err {
        ProviderError::RateLimited {
            message,
            retry_after_secs,
        } => {
            assert!(message.contains("Rate limit reached"), "{message}");
            assert_eq!(retry_after_secs, Some(0));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);

    // Default max_retries (3) → 4 attempts.
    let server = mock(vec![Reply::json(429, json!({})).header("retry-after", "0")]).await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    assert!(matches!(
        provider.chat(&simple_request("hi")).await,
        Err(ProviderError::RateLimited { .. })
    ));
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn openai_ratelimit_reset_header_is_honoured() {
    let server = mock(vec![
        Reply::json(
            429,
            openai_error("slow down", "requests", "rate_limit_exceeded"),
        )
        .header("x-ratelimit-reset-requests", "60ms"),
        Reply::json(200, openai_completion("ok")),
    ])
    .await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let res = provider.chat(&simple_request("hi")).await.unwrap();
    assert_eq!(res.attempts, 2);
    assert!(res.elapsed_ms >= 60, "waited only {} ms", res.elapsed_ms);
}

#[tokio::test]
async fn openai_insufficient_quota_is_not_retried() {
    let server = mock(vec![Reply::json(
        429,
        openai_error(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        ),
    )])
    .await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::RateLimited { message, retry_after_secs: None } if message.contains("quota")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn openai_401_is_auth_without_retry_and_hides_key() {
    let server = mock(vec![Reply::json(
        401,
        openai_error(
            "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        ),
    )])
    .await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    let ProviderError::Auth(message) = &err else {
        panic!("expected Auth, got {err:?}");
    };
    assert!(message.contains("Incorrect API key provided"), "{message}");
    assert!(!message.contains("sk-test"), "key leaked: {message}");
    let shown = err.to_string();
    assert!(shown.contains("Settings → AI"), "{shown}");
    assert!(shown.contains("Incorrect API key provided"), "{shown}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn openai_empty_key_sends_no_authorization_and_minimal_body() {
    // Shape of a local server's answer: no usage block.
    let server = mock(vec![Reply::json(
        200,
        json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "llama3.1:8b",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                         "finish_reason": "stop"}]
        }),
    )])
    .await;
    let mut config = openai_config(&server, "");
    config.chat_model = "llama3.1:8b".to_string();
    assert_eq!(
        default_price(ProviderKind::OpenAiCompatible, "llama3.1:8b"),
        Price::default()
    );
    let provider = build(config).unwrap();
    let res = provider.chat(&simple_request("hello")).await.unwrap();
    assert_eq!(res.text, "hi");
    assert_eq!(res.usage, Usage::default());
    let sent = server.only_request();
    assert!(
        !sent.headers.contains_key("authorization"),
        "{:?}",
        sent.headers
    );
    assert_eq!(
        sent.body,
        json!({
            "model": "llama3.1:8b",
            "messages": [{"role": "user", "content": "hello"}],
            "max_tokens": 64
        })
    );
}

#[tokio::test]
async fn openai_embeddings_are_returned_in_index_order() {
    let server = mock(vec![Reply::json(
        200,
        json!({
            "object": "list",
            "data": [
                {"object": "embedding", "index": 2, "embedding": [0.5, 0.6]},
                {"object": "embedding", "index": 0, "embedding": [0.1, 0.2]},
                {"object": "embedding", "index": 1, "embedding": [0.3, 0.4]}
            ],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 8, "total_tokens": 8}
        }),
    )])
    .await;
    let mut config = openai_config(&server, "sk-test");
    config.embedding_model = Some("text-embedding-3-small".to_string());
    let provider = build(config).unwrap();
    let inputs: Vec<String> = ["refund", "shipping", "password reset"]
        .map(String::from)
        .to_vec();
    // Empty model → the configured embedding model.
    let res = provider.embed("", &inputs).await.unwrap();
    assert_eq!(
        res.vectors,
        vec![vec![0.1, 0.2], vec![0.3, 0.4], vec![0.5, 0.6]]
    );
    assert_eq!(
        res.usage,
        Usage {
            input_tokens: 8,
            output_tokens: 0
        }
    );
    assert_eq!(res.attempts, 1);
    let sent = server.only_request();
    assert_eq!(sent.path, "/v1/embeddings");
    assert_eq!(sent.headers["authorization"], "Bearer sk-test");
    assert_eq!(
        sent.body,
        json!({"model": "text-embedding-3-small", "input": ["refund", "shipping", "password reset"]})
    );

    // No inputs → no request.
    let res = provider.embed("text-embedding-3-small", &[]).await.unwrap();
    assert!(res.vectors.is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn openai_500_then_200_is_retried() {
    let server = mock(vec![
        Reply::json(
            500,
            openai_error(
                "The server had an error while processing your request.",
                "server_error",
                "server_error",
            ),
        ),
        Reply::json(200, openai_completion("recovered")),
    ])
    .await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let res = provider.chat(&simple_request("hi")).await.unwrap();
    assert_eq!(res.text, "recovered");
    assert_eq!(res.attempts, 2);
}

#[tokio::test]
async fn openai_503_forever_is_unavailable() {
    let server = mock(vec![Reply::json(503, json!({"error": "loading model"}))]).await;
    let mut config = openai_config(&server, "");
    config.max_retries = 1;
    let provider = build(config).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Unavailable(m) if m == "loading model"),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn timeout_is_reported() {
    let server = mock(vec![
        Reply::json(200, openai_completion("late")).delay(Duration::from_secs(3))
    ])
    .await;
    let mut config = openai_config(&server, "sk-test");
    config.timeout = Duration::from_millis(300);
    config.max_retries = 0;
    let provider = build(config).unwrap();
    let started = std::time::Instant::now();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_transport() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = ProviderConfig::new(
        ProviderKind::OpenAiCompatible,
        format!("http://{addr}/v1"),
        "",
        "llama3.1:8b",
    );
    config.backoff_base = Duration::from_millis(1);
    config.max_retries = 2;
    let provider = build(config).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = mock(vec![Reply::json(301, json!({}))
        .header("location", "https://example.invalid/v1/chat/completions")])
    .await;
    let provider = build(openai_config(&server, "sk-test")).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::BadRequest(m) if m.contains("base URL")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn build_validates_config_and_debug_hides_key() {
    let config = ProviderConfig::new(
        ProviderKind::OpenAiCompatible,
        "api.openai.com/v1",
        "sk-live-very-secret-key",
        "gpt-4o-mini",
    );
    let shown = format!("{config:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert_eq!(config.timeout, Duration::from_secs(30));
    assert_eq!(config.max_retries, 3);
    assert_eq!(config.backoff_base, Duration::from_millis(250));
    assert_eq!(config.price.input_per_mtok_micros, 150_000);
    assert!(matches!(build(config), Err(ProviderError::BadRequest(_))));

    let empty = ProviderConfig::new(ProviderKind::Anthropic, "", "k", "claude-sonnet-4-20250514");
    assert_eq!(empty.price.output_per_mtok_micros, 15_000_000);
    let provider = build(empty).unwrap();
    assert_eq!(provider.name(), "anthropic");
}

// ---------------------------------------------------------------------------
// Anthropic

#[tokio::test]
async fn anthropic_messages_sends_documented_request_and_parses_reply() {
    let server = mock(vec![Reply::json(
        200,
        anthropic_message(
            json!([{"type": "text", "text": "Hi! I can help with order 42."}]),
            "end_turn",
        ),
    )])
    .await;
    let config = anthropic_config(&server);
    let price = config.price;
    assert_eq!(
        price,
        default_price(ProviderKind::Anthropic, "claude-3-5-haiku")
    );
    let provider = build(config).unwrap();
    assert_eq!(provider.name(), "anthropic");

    let req = ChatRequest {
        model: String::new(),
        system: None,
        messages: vec![
            ChatMessage::system("You are Switchboard's support assistant."),
            ChatMessage::user("Hi"),
            ChatMessage::user("My order is late"),
            ChatMessage::assistant("Sorry to hear that. Which order?"),
            ChatMessage::user("Order 42"),
        ],
        tools: vec![order_tool()],
        max_tokens: 512,
        temperature: Some(0.25),
    };
    let res = provider.chat(&req).await.unwrap();

    let sent = server.only_request();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.headers["x-api-key"], "sk-ant-test");
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(sent.headers["content-type"], "application/json");
    assert!(!sent.headers.contains_key("authorization"));
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 512,
            "system": "You are Switchboard's support assistant.",
            "messages": [
                {"role": "user", "content": "Hi\n\nMy order is late"},
                {"role": "assistant", "content": "Sorry to hear that. Which order?"},
                {"role": "user", "content": "Order 42"}
            ],
            "temperature": 0.25,
            "tools": [{
                "name": "lookup_order",
                "description": "Look up an order by its number",
                "input_schema": order_tool().input_schema
            }]
        })
    );

    assert_eq!(res.text, "Hi! I can help with order 42.");
    assert!(res.tool_calls.is_empty());
    assert_eq!(
        res.usage,
        Usage {
            input_tokens: 10,
            output_tokens: 25
        }
    );
    assert_eq!(res.model, "claude-3-5-haiku-20241022");
    assert_eq!(res.stop_reason, "end_turn");
    assert_eq!(res.attempts, 1);
    // 10 × 0.80 + 25 × 4.00 = 108 µ$.
    assert_eq!(price.cost_micros(&res.usage), 108);
}

#[tokio::test]
async fn anthropic_system_field_combines_request_system_and_omits_when_absent() {
    let server = mock(vec![Reply::json(
        200,
        anthropic_message(json!([{"type": "text", "text": "ok"}]), "end_turn"),
    )])
    .await;
    let provider = build(anthropic_config(&server)).unwrap();
    let mut req = simple_request("hello");
    provider.chat(&req).await.unwrap();
    req.system = Some("Be brief.".to_string());
    req.messages.insert(0, ChatMessage::system("Plan: Pro."));
    provider.chat(&req).await.unwrap();
    let sent = server.requests();
    assert_eq!(
        sent[0].body,
        json!({"model": "claude-3-5-haiku-latest", "max_tokens": 64,
               "messages": [{"role": "user", "content": "hello"}]})
    );
    assert_eq!(sent[1].body["system"], "Be brief.\n\nPlan: Pro.");
}

#[tokio::test]
async fn anthropic_tool_use_block_becomes_tool_call() {
    let server = mock(vec![Reply::json(
        200,
        anthropic_message(
            json!([
                {"type": "text", "text": "Let me look that up."},
                {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9",
                 "name": "lookup_order", "input": {"order_id": "A-42"}}
            ]),
            "tool_use",
        ),
    )])
    .await;
    let provider = build(anthropic_config(&server)).unwrap();
    let mut req = simple_request("Where is A-42?");
    req.tools = vec![order_tool()];
    let res = provider.chat(&req).await.unwrap();
    assert_eq!(res.text, "Let me look that up.");
    assert_eq!(res.stop_reason, "tool_use");
    assert_eq!(res.tool_calls.len(), 1);
    assert_eq!(res.tool_calls[0].id, "toolu_01A09q90qw90lq917835lq9");
    assert_eq!(res.tool_calls[0].name, "lookup_order");
    assert_eq!(res.tool_calls[0].arguments, json!({"order_id": "A-42"}));
}

#[tokio::test]
async fn anthropic_529_overloaded_then_success() {
    let server = mock(vec![
        Reply::json(529, anthropic_error("overloaded_error", "Overloaded")),
        Reply::json(
            200,
            anthropic_message(json!([{"type": "text", "text": "back"}]), "end_turn"),
        ),
    ])
    .await;
    let provider = build(anthropic_config(&server)).unwrap();
    let res = provider.chat(&simple_request("hi")).await.unwrap();
    assert_eq!(res.text, "back");
    assert_eq!(res.attempts, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn anthropic_429_honours_retry_after_and_reports_it() {
    let server = mock(vec![Reply::json(
        429,
        anthropic_error(
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
        ),
    )
    .header("retry-after", "0")])
    .await;
    let mut config = anthropic_config(&server);
    config.max_retries = 1;
    let provider = build(config).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::RateLimited { message, retry_after_secs: Some(0) }
            if message.contains("per-minute rate limit")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn anthropic_400_is_bad_request_with_message() {
    let server = mock(vec![Reply::json(
        400,
        anthropic_error("invalid_request_error", "max_tokens: Field required"),
    )])
    .await;
    let provider = build(anthropic_config(&server)).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::BadRequest(m) if m.contains("max_tokens: Field required")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn anthropic_401_is_auth() {
    let server = mock(vec![Reply::json(
        401,
        anthropic_error("authentication_error", "invalid x-api-key"),
    )])
    .await;
    let provider = build(anthropic_config(&server)).unwrap();
    let err = provider.chat(&simple_request("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::Auth(m) if m.contains("invalid x-api-key")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn anthropic_without_user_message_fails_before_sending() {
    let server = mock(vec![Reply::json(200, json!({}))]).await;
    let provider = build(anthropic_config(&server)).unwrap();
    let mut req = simple_request("unused");
    req.messages = vec![
        ChatMessage::system("You are helpful."),
        ChatMessage::assistant("Hello! How can I help?"),
    ];
    let err = provider.chat(&req).await.unwrap_err();
    assert!(matches!(err, ProviderError::BadRequest(_)), "{err:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn anthropic_embed_is_unsupported() {
    let server = mock(vec![Reply::json(200, json!({}))]).await;
    let provider = build(anthropic_config(&server)).unwrap();
    let err = provider
        .embed("voyage-3", &["hello".to_string()])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Unsupported(m) if m.contains("OpenAI-compatible")),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------
// Secrets

const AAD: &[u8] = b"workspace:42:ai_api_key";

#[test]
fn secret_roundtrip_and_fresh_nonces() {
    let secrets = SecretBox::from_base64_key(&SecretBox::generate_key_base64()).unwrap();
    let a = secrets.seal("sk-proj-1234567890abcdef", AAD);
    let b = secrets.seal("sk-proj-1234567890abcdef", AAD);
    assert!(a.starts_with("v1:"), "{a}");
    assert_ne!(a, b);
    assert!(!a.contains("sk-proj"));
    assert_eq!(secrets.open(&a, AAD).unwrap(), "sk-proj-1234567890abcdef");
    assert_eq!(secrets.open(&b, AAD).unwrap(), "sk-proj-1234567890abcdef");
    assert_eq!(secrets.open(&secrets.seal("", AAD), AAD).unwrap(), "");
}

#[test]
fn secret_wrong_aad_fails() {
    let secrets = SecretBox::from_base64_key(&SecretBox::generate_key_base64()).unwrap();
    let sealed = secrets.seal("sk-test", AAD);
    assert!(matches!(
        secrets.open(&sealed, b"workspace:43:ai_api_key"),
        Err(SecretError::Decrypt)
    ));
}

#[test]
fn secret_tampered_fails() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let secrets = SecretBox::from_base64_key(&SecretBox::generate_key_base64()).unwrap();
    let sealed = secrets.seal("sk-test-abcdef", AAD);
    let mut raw = engine.decode(sealed.strip_prefix("v1:").unwrap()).unwrap();
    for i in [0, 12, raw.len() - 1] {
        let mut bytes = raw.clone();
        bytes[i] ^= 0x01;
        let tampered = format!("v1:{}", engine.encode(&bytes));
        assert!(
            matches!(secrets.open(&tampered, AAD), Err(SecretError::Decrypt)),
            "byte {i}"
        );
    }
    raw.truncate(20);
    let short = format!("v1:{}", engine.encode(&raw));
    assert!(matches!(
        secrets.open(&short, AAD),
        Err(SecretError::Malformed(_))
    ));
    assert!(matches!(
        secrets.open("v2:AAAA", AAD),
        Err(SecretError::Malformed(_))
    ));
    assert!(matches!(
        secrets.open("v1:not base64!", AAD),
        Err(SecretError::Malformed(_))
    ));
}

#[test]
fn secret_wrong_key_fails() {
    let one = SecretBox::from_base64_key(&SecretBox::generate_key_base64()).unwrap();
    let two = SecretBox::from_base64_key(&SecretBox::generate_key_base64()).unwrap();
    let sealed = one.seal("sk-test", AAD);
    assert!(matches!(two.open(&sealed, AAD), Err(SecretError::Decrypt)));
}

#[test]
fn secret_key_must_be_32_bytes() {
    // 16 bytes of base64.
    let err = SecretBox::from_base64_key("AAAAAAAAAAAAAAAAAAAAAA==").unwrap_err();
    assert!(matches!(err, SecretError::InvalidKey(_)));
    let message = err.to_string();
    assert!(message.contains("32 bytes"), "{message}");
    assert!(message.contains("openssl rand -base64 32"), "{message}");
    let err = SecretBox::from_base64_key("not base64 at all").unwrap_err();
    assert!(err.to_string().contains("openssl rand -base64 32"));
    // Surrounding whitespace (a pasted env var) is fine.
    let key = format!("  {}\n", SecretBox::generate_key_base64());
    assert!(SecretBox::from_base64_key(&key).is_ok());
    assert_eq!(SecretBox::generate_key_base64().len(), 44);
}

#[test]
fn secret_debug_and_hint_do_not_leak() {
    let secrets = SecretBox::from_base64_key(&SecretBox::generate_key_base64()).unwrap();
    assert!(format!("{secrets:?}").contains("<redacted>"));
    assert_eq!(hint("sk-proj-abcdefghij-f3a9"), "sk-…f3a9");
    assert_eq!(hint("short-key"), "••••");
}
