//! A local OpenAI-compatible chat server that records what it is sent, and the
//! AI settings form pointing a workspace at it.

#![allow(clippy::unwrap_used, reason = "test helpers")]

use std::sync::{Arc, Mutex};

/// A local OpenAI-compatible server that records what it is sent.
pub async fn fake_openai(
    reply: serde_json::Value,
) -> (String, Arc<Mutex<Vec<(String, String, serde_json::Value)>>>) {
    use axum::routing::post;
    let seen: Arc<Mutex<Vec<(String, String, serde_json::Value)>>> = Arc::default();
    let s2 = seen.clone();
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
            let seen = s2.clone();
            let reply = reply.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                seen.lock().unwrap().push(("/v1/chat/completions".into(), auth, body.0));
                axum::Json(serde_json::json!({
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.to_string()}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    (format!("http://{addr}/v1"), seen)
}

/// The AI settings form with an OpenAI-compatible provider at `url`, on chat.
pub fn provider_form(url: &str, key: &str) -> Vec<(String, String)> {
    vec![
        ("form[enabled]".to_owned(), "true".to_owned()),
        ("form[channels][0]".to_owned(), "chat".to_owned()),
        ("form[auto_send_threshold]".to_owned(), "60".to_owned()),
        ("form[provider]".to_owned(), "openai".to_owned()),
        ("form[base_url]".to_owned(), url.to_owned()),
        ("form[chat_model]".to_owned(), "gpt-4o-mini".to_owned()),
        ("form[embedding_model]".to_owned(), String::new()),
        ("form[api_key]".to_owned(), key.to_owned()),
        ("form[clear_key]".to_owned(), "false".to_owned()),
        ("form[timeout_secs]".to_owned(), "5".to_owned()),
        ("form[price_input_micros]".to_owned(), "150000".to_owned()),
        ("form[price_output_micros]".to_owned(), "600000".to_owned()),
        ("form[tone]".to_owned(), "friendly".to_owned()),
    ]
}
