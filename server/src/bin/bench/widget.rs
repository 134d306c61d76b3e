//! `switchboard-bench widget-latency`: chat message latency from a widget visitor to
//! an agent's browser socket, on a running server. One visitor socket
//! (`/widget/ws`) sends messages one at a time; a signed-in agent socket (`/ws`)
//! times each until its `message.created` event arrives. Optionally holds extra idle
//! visitor sockets open to measure under connection load. With `--widget-url`
//! the visitors talk to another instance than the agent (several instances on a
//! shared bus), and the idle sockets are spread over both. Prints p50/p95/p99.

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE, ORIGIN, SET_COOKIE};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Arguments of `widget-latency`.
#[derive(Debug, clap::Args)]
pub struct LatencyArgs {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Agent sign-in email (the demo owner by default).
    #[arg(long, default_value = "demo@switchboard.test")]
    pub email: String,
    /// Agent password.
    #[arg(long, default_value = "switchboard-demo")]
    pub password: String,
    /// Messages to time.
    #[arg(long, default_value_t = 1000)]
    pub messages: usize,
    /// Extra idle visitor sockets held open meanwhile.
    #[arg(long, default_value_t = 0)]
    pub idle_sockets: usize,
    /// Another instance for the timed visitor (the agent stays on `--url`); the
    /// idle sockets alternate between the two.
    #[arg(long)]
    pub widget_url: Option<String>,
}

fn ws_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.replacen("http", "ws", 1))
}

async fn widget_key(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let html = client
        .get(format!("{base}/demo/store"))
        .send()
        .await?
        .text()
        .await?;
    let start = html
        .find("data-key=\"")
        .context("no widget key on /demo/store")?
        + 10;
    Ok(html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned())
}

async fn sign_in(client: &reqwest::Client, a: &LatencyArgs) -> anyhow::Result<String> {
    use leptos::server_fn::ServerFn;
    let path = <app::serverfns::auth::SignIn as ServerFn>::PATH;
    let body = format!(
        "email={}&password={}",
        a.email.replace('@', "%40"),
        a.password
    );
    let r = client
        .post(format!("{}{path}", a.url))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header(ORIGIN, &a.url)
        .body(body)
        .send()
        .await?;
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("sb_session=") && !c.ends_with('='))
        .map(str::to_owned)
        .context("sign-in failed (is the demo workspace seeded?)")
}

async fn visitor(client: &reqwest::Client, base: &str, key: &str) -> anyhow::Result<String> {
    let v: serde_json::Value = client
        .post(format!("{base}/widget/api/session"))
        .header(ORIGIN, base)
        .json(&serde_json::json!({ "key": key }))
        .send()
        .await?
        .json()
        .await?;
    Ok(v["token"].as_str().context("no visitor token")?.to_owned())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Runs the measurement.
///
/// # Errors
/// Connection or protocol failures.
pub async fn run(a: LatencyArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let key = widget_key(&client, &a.url).await?;
    let cookie = sign_in(&client, &a).await?;
    let mut req = ws_url(&a.url, "/ws").into_client_request()?;
    req.headers_mut().insert("cookie", cookie.parse()?);
    req.headers_mut().insert("origin", a.url.parse()?);
    let (agent, _) = tokio_tungstenite::connect_async(req)
        .await
        .context("agent /ws")?;
    let (_agent_tx, mut agent_rx) = agent.split();

    let widget_base = a.widget_url.clone().unwrap_or_else(|| a.url.clone());
    let mut idle = Vec::new();
    for i in 0..a.idle_sockets {
        let base = if i % 2 == 0 { &widget_base } else { &a.url };
        let t = visitor(&client, base, &key).await?;
        let url = ws_url(base, &format!("/widget/ws?key={key}&token={t}"));
        idle.push(tokio_tungstenite::connect_async(url).await?.0);
    }
    let token = visitor(&client, &widget_base, &key).await?;
    let url = ws_url(&widget_base, &format!("/widget/ws?key={key}&token={token}"));
    let (w, _) = tokio_tungstenite::connect_async(url)
        .await
        .context("widget socket")?;
    let (mut wtx, mut wrx) = w.split();
    // Drain the visitor's own echoes in the background.
    tokio::spawn(async move { while wrx.next().await.is_some() {} });

    let mut lat = Vec::with_capacity(a.messages);
    let run = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..a.messages {
        let frame = serde_json::json!({
            "type": "send", "client_id": format!("b{run}{i}"), "body": format!("latency probe {i}"),
        });
        let t0 = Instant::now();
        wtx.send(Message::Text(frame.to_string().into())).await?;
        loop {
            let Ok(Some(msg)) =
                tokio::time::timeout(Duration::from_secs(10), agent_rx.next()).await
            else {
                bail!("no message.created within 10 s for message {i}");
            };
            if let Message::Text(t) = msg? {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
                if v["kind"] == "message.created" && v["data"]["direction"] == "inbound" {
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                    break;
                }
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "| widget → agent socket{} | {} messages | {} idle sockets | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms | max {:.2} ms |",
        if a.widget_url.is_some() { " (other instance)" } else { "" },
        lat.len(),
        idle.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.95),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
