//! `switchboard-bench actions`: the AI agent that acts, on a running server with
//! the demo workspace.
//!
//! - **proposal → execution**: a member proposes `create_task` on a ticket (an
//!   allowed action: the workspace default is set to *allow* for the run, then put
//!   back); the clock runs from sending the proposal until the agent socket (`/ws`)
//!   receives `action.updated` with `completed` — through the durable job, its
//!   worker wake-up and the policy re-check;
//! - **MCP calls** over streamable HTTP with an API key: a read
//!   (`get_customer_history`) and an allowed write that runs inside the call
//!   (`tag_ticket`, a new tag each call so every call is a new action).
//!
//! Prints markdown rows with p50/p95/p99.

use anyhow::{bail, Context};
use futures::StreamExt;
use leptos::server_fn::ServerFn;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Arguments of `actions`.
#[derive(Debug, clap::Args)]
pub struct ActionsArgs {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Member email (the demo owner by default).
    #[arg(long, default_value = "demo@switchboard.test")]
    pub email: String,
    /// Password.
    #[arg(long, default_value = "switchboard-demo")]
    pub password: String,
    /// Proposals and MCP calls to time, each.
    #[arg(long, default_value_t = 300)]
    pub count: usize,
    /// The ticket number to work on.
    #[arg(long, default_value_t = 1)]
    pub ticket: i32,
}

struct Session {
    client: reqwest::Client,
    url: String,
    cookie: String,
}

impl Session {
    async fn call<S: ServerFn>(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Value> {
        let r = self
            .client
            .post(format!("{}{}", self.url, S::PATH))
            .header(ACCEPT, "application/json")
            .header(ORIGIN, &self.url)
            .header(COOKIE, &self.cookie)
            .form(pairs)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{}: {status} {v}", S::PATH);
        }
        Ok(v)
    }
}

async fn sign_in(client: &reqwest::Client, a: &ActionsArgs) -> anyhow::Result<String> {
    let path = <app::serverfns::auth::SignIn as ServerFn>::PATH;
    let r = client
        .post(format!("{}{path}", a.url))
        .header(ACCEPT, "application/json")
        .header(ORIGIN, &a.url)
        .form(&[
            ("email", a.email.as_str()),
            ("password", a.password.as_str()),
        ])
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

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index"
    )]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn row(what: &str, mut lat: Vec<f64>) {
    lat.sort_by(f64::total_cmp);
    println!(
        "| {what} | {} | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms |",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.95),
        pct(&lat, 0.99)
    );
}

/// Runs the measurement.
///
/// # Errors
/// Connection or protocol failures.
pub async fn run(a: ActionsArgs) -> anyhow::Result<()> {
    use app::serverfns::actions::{GetPolicies, SetPolicyDefault};
    let client = reqwest::Client::new();
    let cookie = sign_in(&client, &a).await?;
    let s = Session {
        client: client.clone(),
        url: a.url.clone(),
        cookie: cookie.clone(),
    };
    let before = s.call::<GetPolicies>(&[]).await?["default_effect"]
        .as_str()
        .unwrap_or("approval")
        .to_owned();
    s.call::<SetPolicyDefault>(&[("effect", "allow")]).await?;
    let result = measure(&a, &s).await;
    s.call::<SetPolicyDefault>(&[("effect", &before)]).await?;
    let (proposal, mcp_read, mcp_write) = result?;
    println!("| scenario | n | p50 | p95 | p99 |");
    println!("|---|---|---|---|---|");
    row(
        "proposal → execution (create_task, allowed; until `action.updated` completed on /ws)",
        proposal,
    );
    row("MCP tools/call, read (get_customer_history)", mcp_read);
    row(
        "MCP tools/call, allowed write run in the call (tag_ticket)",
        mcp_write,
    );
    Ok(())
}

async fn measure(a: &ActionsArgs, s: &Session) -> anyhow::Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    use app::serverfns::actions::ProposeAction;
    use app::serverfns::api_keys::CreateApiKey;
    let mut req = format!("{}/ws", a.url.replacen("http", "ws", 1)).into_client_request()?;
    req.headers_mut().insert("cookie", s.cookie.parse()?);
    req.headers_mut().insert("origin", a.url.parse()?);
    let (sock, _) = tokio_tungstenite::connect_async(req)
        .await
        .context("agent /ws")?;
    let (_tx, mut rx) = sock.split();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let ticket = a.ticket.to_string();
    let mut proposal = Vec::with_capacity(a.count);
    for i in 0..a.count {
        let input = json!({"title": format!("bench {run} {i}")}).to_string();
        let t0 = Instant::now();
        let v = s
            .call::<ProposeAction>(&[
                ("form[tool]", "create_task"),
                ("form[input_json]", &input),
                ("form[conversation_number]", &ticket),
                ("form[reasoning]", "benchmark"),
            ])
            .await?;
        let id = v["id"].as_i64().context("no action id")?;
        if v["status"] == "completed" {
            proposal.push(t0.elapsed().as_secs_f64() * 1000.0);
            continue;
        }
        loop {
            let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(10), rx.next()).await
            else {
                bail!("action {id} did not complete within 10 s");
            };
            if let Message::Text(t) = msg? {
                let e: Value = serde_json::from_str(&t).unwrap_or_default();
                if e["kind"] == "action.updated"
                    && e["data"]["id"] == id
                    && e["data"]["status"] == "completed"
                {
                    proposal.push(t0.elapsed().as_secs_f64() * 1000.0);
                    break;
                }
                if e["kind"] == "action.updated"
                    && e["data"]["id"] == id
                    && e["data"]["status"] == "failed"
                {
                    bail!("action {id} failed");
                }
            }
        }
    }
    let key = s
        .call::<CreateApiKey>(&[
            ("name", "bench (MCP)"),
            (
                "scopes_csv",
                "conversations:read,conversations:write,customers:read",
            ),
        ])
        .await?;
    let secret = key["secret"].as_str().context("no key secret")?.to_owned();
    let mcp = |id: usize, tool: &str, args: Value| json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}});
    let post = |body: Value| {
        s.client
            .post(format!("{}/mcp", a.url))
            .header(AUTHORIZATION, format!("Bearer {secret}"))
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .body(body.to_string())
            .send()
    };
    let init = post(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})).await?;
    if !init.status().is_success() {
        bail!("MCP initialize: {}", init.status());
    }
    let mut read = Vec::with_capacity(a.count);
    let mut write = Vec::with_capacity(a.count);
    for i in 0..a.count {
        let t0 = Instant::now();
        let r: Value = post(mcp(
            i,
            "get_customer_history",
            json!({"customer_email": "nobody@example.test"}),
        ))
        .await?
        .json()
        .await?;
        read.push(t0.elapsed().as_secs_f64() * 1000.0);
        if r["result"]["isError"] != false {
            bail!("MCP read failed: {r}");
        }
        let t0 = Instant::now();
        let r: Value = post(mcp(i, "tag_ticket", json!({"ticket": a.ticket, "add": [format!("b{}-{i}", &run[..8])], "remove": [format!("b{}-{}", &run[..8], i.saturating_sub(1))]}))).await?.json().await?;
        write.push(t0.elapsed().as_secs_f64() * 1000.0);
        if r["result"]["structuredContent"]["status"] != "completed" {
            bail!("MCP write did not complete: {r}");
        }
    }
    Ok((proposal, read, write))
}
