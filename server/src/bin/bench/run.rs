//! `run`: drives a running server with concurrent clients and prints a markdown
//! table.
//!
//! Latencies are measured client-side on loopback, from sending the request to
//! reading the whole body. The server columns come from the server's own
//! `/metrics` latency histogram, read before and after each pass (the histogram
//! times every request of the window up to its response head; its buckets are
//! coarse, so the server p95 is given as a bucket bound).

use super::text::SEARCH_WORDS;
use anyhow::{bail, Context as _};
use leptos::server_fn::ServerFn;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to run.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Base URL of the running server (also sent as `Origin`).
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Sign-in email (the generated owner by default).
    #[arg(long, default_value = "bench-owner@example.com")]
    pub email: String,
    /// Sign-in password.
    #[arg(long, default_value = "bench-password-123")]
    pub password: String,
    /// API key secret printed by `generate`.
    #[arg(long, env = "SWITCHBOARD_BENCH_API_KEY")]
    pub api_key: String,
    /// Concurrent clients in the throughput pass.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Clients in the latency pass.
    #[arg(long, default_value_t = 1)]
    pub latency_concurrency: usize,
    /// Seconds per pass.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// The saved view rendered by the inbox scenario.
    #[arg(long, default_value = "All open")]
    pub view: String,
    /// Comma-separated search queries (common to rare).
    #[arg(long, value_delimiter = ',')]
    pub search: Vec<String>,
    /// Sequential requests per search query in the latency phase.
    #[arg(long, default_value_t = 20)]
    pub search_repeat: usize,
    /// Scenarios to run: inbox, counts, rest, create, sms, search (`sms` connects
    /// a Twilio account to the signed-in workspace, which needs the server's
    /// `secrets_key`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "inbox,counts,rest,create,sms,search"
    )]
    pub only: Vec<String>,
    /// Per-request timeout in seconds (a timed-out request counts as an error).
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// The server's database, to count the created messages afterwards.
    #[arg(long)]
    pub database_url: Option<String>,
    /// More instances of the same deployment (shared database and bus): the
    /// `create` pass spreads its clients over `--url` and these.
    #[arg(long, value_delimiter = ',')]
    pub also_url: Vec<String>,
}

/// Percent-encodes a form value or query parameter.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One finished request: latency and whether it succeeded.
struct Sample {
    micros: u64,
    ok: bool,
}

/// A pass's results.
struct Pass {
    scenario: String,
    clients: usize,
    samples: Vec<Sample>,
    secs: f64,
    first_error: Option<String>,
    server: Option<ServerWindow>,
}

/// One search query's sequential results.
struct WordRow {
    query: String,
    hits: String,
    micros: Vec<u64>,
    error: Option<String>,
}

/// Server-side histogram delta over a pass.
#[derive(Clone, Debug, Default)]
struct Histogram {
    buckets: Vec<(f64, f64)>,
    count: f64,
    sum: f64,
}

struct ServerWindow {
    mean_ms: f64,
    p95_le_ms: Option<f64>,
}

fn parse_metrics(text: &str) -> Histogram {
    let mut h = Histogram::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("http_request_duration_seconds_bucket{le=\"") {
            let Some((le, n)) = rest.split_once("\"} ") else {
                continue;
            };
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap_or(f64::INFINITY)
            };
            h.buckets.push((le, n.trim().parse().unwrap_or(0.0)));
        } else if let Some(n) = line.strip_prefix("http_request_duration_seconds_sum ") {
            h.sum = n.trim().parse().unwrap_or(0.0);
        } else if let Some(n) = line.strip_prefix("http_request_duration_seconds_count ") {
            h.count = n.trim().parse().unwrap_or(0.0);
        }
    }
    h
}

fn window(before: &Histogram, after: &Histogram) -> Option<ServerWindow> {
    let count = after.count - before.count;
    if count <= 0.0 {
        return None;
    }
    let mut p95 = None;
    for ((le, a), (_, b)) in after.buckets.iter().zip(&before.buckets) {
        if a - b >= 0.95 * count {
            p95 = Some(le * 1000.0);
            break;
        }
    }
    Some(ServerWindow {
        mean_ms: (after.sum - before.sum) / count * 1000.0,
        p95_le_ms: p95,
    })
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

struct Bench {
    args: RunArgs,
    client: Client,
    cookie: String,
}

impl Bench {
    async fn metrics(&self) -> Option<Histogram> {
        let r = self
            .client
            .get(format!("{}/metrics", self.args.url))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        Some(parse_metrics(&r.text().await.ok()?))
    }

    /// Runs `clients` loops of `request` for `secs` seconds.
    async fn pass<F, Fut>(&self, scenario: &str, clients: usize, secs: u64, request: F) -> Pass
    where
        F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let request = Arc::new(request);
        // Warm-up (connections, caches), not recorded.
        let warm = Instant::now() + Duration::from_secs((secs / 10).clamp(1, 3));
        let mut handles = Vec::new();
        for w in 0..clients {
            let request = request.clone();
            handles.push(tokio::spawn(async move {
                let mut i = 0;
                while Instant::now() < warm {
                    let _ = request(w, u64::MAX - i).await;
                    i += 1;
                }
            }));
        }
        for h in handles {
            let _ = h.await;
        }

        let before = self.metrics().await;
        let start = Instant::now();
        let deadline = start + Duration::from_secs(secs);
        let mut handles = Vec::new();
        for w in 0..clients {
            let request = request.clone();
            handles.push(tokio::spawn(async move {
                let mut out = Vec::new();
                let mut first_error = None;
                let mut i = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let r = request(w, i).await;
                    let micros = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                    if let Err(e) = &r {
                        first_error.get_or_insert_with(|| e.clone());
                    }
                    out.push(Sample {
                        micros,
                        ok: r.is_ok(),
                    });
                    i += 1;
                }
                (out, first_error)
            }));
        }
        let mut samples = Vec::new();
        let mut first_error = None;
        for h in handles {
            if let Ok((s, e)) = h.await {
                samples.extend(s);
                if first_error.is_none() {
                    first_error = e;
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let after = self.metrics().await;
        let server = match (before, after) {
            (Some(b), Some(a)) => window(&b, &a),
            _ => None,
        };
        Pass {
            scenario: scenario.to_owned(),
            clients,
            samples,
            secs,
            first_error,
            server,
        }
    }
}

/// Reads the whole body; an error unless the status is 2xx.
async fn check(r: reqwest::Result<reqwest::Response>) -> Result<(), String> {
    let r = r.map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ))
    }
}

async fn sign_in(client: &Client, a: &RunArgs) -> anyhow::Result<String> {
    let path = <app::serverfns::auth::SignIn as ServerFn>::PATH;
    let r = client
        .post(format!("{}{path}", a.url))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header(ORIGIN, &a.url)
        .body(format!(
            "email={}&password={}",
            enc(&a.email),
            enc(&a.password)
        ))
        .send()
        .await
        .with_context(|| format!("POST {path}"))?;
    let status = r.status();
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("sb_session=") && !c.ends_with('='))
        .map(str::to_owned);
    let body = r.text().await.unwrap_or_default();
    match (status, cookie) {
        (StatusCode::OK, Some(c)) => Ok(c),
        _ => bail!("sign-in through {path} failed: {status} {body}"),
    }
}

async fn view_id(client: &Client, a: &RunArgs, cookie: &str) -> anyhow::Result<i32> {
    let path = <app::serverfns::inbox::ListViews as ServerFn>::PATH;
    let r = client
        .post(format!("{}{path}", a.url))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header(ORIGIN, &a.url)
        .header(COOKIE, cookie)
        .body("")
        // Counting every view can take long on a cold cache.
        .timeout(Duration::from_secs(300))
        .send()
        .await?;
    let status = r.status();
    let views: serde_json::Value = r.json().await.context("list_views answer")?;
    let found = views.as_array().and_then(|vs| {
        vs.iter()
            .find(|v| v["name"].as_str() == Some(a.view.as_str()))
            .and_then(|v| v["id"].as_i64())
    });
    match found {
        Some(id) => Ok(i32::try_from(id)?),
        None => bail!("no view named {:?} ({status}: {views})", a.view),
    }
}

/// The Twilio account the `sms` scenario connects: a fixed auth token (the
/// bench signs with it), an API base nobody listens on (the scenario sends
/// nothing out).
const BENCH_SID: &str = "ACbe000000000000000000000000beac01";
const BENCH_TWILIO_TOKEN: &str = "be0c0000000000000000000000000001";
const BENCH_SMS_FROM: &str = "+15550009999";

/// Connects the bench Twilio account through `save_twilio_settings` (as an
/// admin would); returns the incoming-message URL Twilio signs.
async fn connect_twilio(client: &Client, a: &RunArgs, cookie: &str) -> anyhow::Result<String> {
    let path = <app::serverfns::channels::SaveTwilioSettings as ServerFn>::PATH;
    let r = client
        .post(format!("{}{path}", a.url))
        .header(ACCEPT, "application/json")
        .header(ORIGIN, &a.url)
        .header(COOKIE, cookie)
        .json(&serde_json::json!({ "form": {
            "account_sid": BENCH_SID, "auth_token": BENCH_TWILIO_TOKEN,
            "api_base": "http://127.0.0.1:9/", "sms_from": BENCH_SMS_FROM,
            "whatsapp_from": "", "segment_price": "0.0079", "help_reply": "",
            "templates": "",
        }}))
        .send()
        .await?;
    let status = r.status();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    match v["inbound_url"].as_str() {
        Some(u) if status.is_success() && !u.is_empty() => Ok(u.to_owned()),
        _ => bail!("connecting Twilio through {path} failed: {status} {v}"),
    }
}

/// An incoming SMS as Twilio posts it: the form body and its
/// `X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted parameters).
fn twilio_form(url: &str, params: &[(&str, String)]) -> (String, String) {
    use app::services::channels::verify::{sign, Algorithm};
    use base64::Engine as _;
    let mut sorted: Vec<&(&str, String)> = params.iter().collect();
    sorted.sort_unstable_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
    let mut signed = url.to_owned();
    for (k, v) in sorted {
        signed.push_str(k);
        signed.push_str(v);
    }
    let sig = base64::engine::general_purpose::STANDARD.encode(sign(
        Algorithm::Sha1,
        BENCH_TWILIO_TOKEN.as_bytes(),
        signed.as_bytes(),
    ));
    let body = params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    (body, sig)
}

/// Counts stored messages whose external id starts with `prefix` and whose
/// iteration (the last `-` part) is a measured one.
async fn stored_with(url: &str, prefix: &str) -> anyhow::Result<usize> {
    let db = switchboard_server::db::connect(url, None).await?;
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "SELECT external_id FROM messages WHERE external_id LIKE $1"
    } else {
        "SELECT external_id FROM messages WHERE external_id LIKE ?"
    };
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            sql,
            [format!("{prefix}%").into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .filter(|x| {
            x.rsplit('-')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n < u64::MAX / 2)
        })
        .count())
}

/// Open conversation numbers from the REST list (a few pages).
async fn open_numbers(client: &Client, a: &RunArgs) -> anyhow::Result<Vec<i64>> {
    let mut numbers = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut url = format!("{}/api/v1/conversations?limit=50&status=open", a.url);
        if let Some(c) = &cursor {
            url.push_str("&cursor=");
            url.push_str(&enc(c));
        }
        let r = client.get(url).bearer_auth(&a.api_key).send().await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("REST list: {status}: {body}");
        }
        let data = body["data"].as_array().cloned().unwrap_or_default();
        numbers.extend(data.iter().filter_map(|c| c["number"].as_i64()));
        cursor = body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() || data.is_empty() {
            break;
        }
    }
    if numbers.is_empty() {
        bail!("the REST list returned no open conversation");
    }
    Ok(numbers)
}

fn hits(body: &serde_json::Value) -> String {
    let arr = body["data"].as_array().or_else(|| body.as_array());
    arr.map_or_else(|| "?".to_owned(), |a| a.len().to_string())
}

/// Runs `run`.
pub async fn run(a: RunArgs) -> anyhow::Result<()> {
    let a = RunArgs {
        url: a.url.trim_end_matches('/').to_owned(),
        search: if a.search.is_empty() {
            SEARCH_WORDS.iter().map(|s| (*s).to_owned()).collect()
        } else {
            a.search
        },
        ..a
    };
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(a.concurrency.max(a.latency_concurrency) * 2)
        .timeout(Duration::from_secs(a.timeout))
        .build()?;
    let cookie = sign_in(&client, &a).await?;
    println!(
        "signed in as {} through the sign_in server function",
        a.email
    );
    let bench = Bench {
        args: a,
        client,
        cookie,
    };
    let a = &bench.args;
    let wants = |s: &str| a.only.iter().any(|o| o == s);
    let mut passes: Vec<Pass> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let levels = [a.latency_concurrency, a.concurrency];

    if wants("inbox") {
        let id = view_id(&bench.client, a, &bench.cookie).await?;
        let url = format!("{}/app/inbox?view={id}", a.url);
        let page = bench
            .client
            .get(&url)
            .header(COOKIE, &bench.cookie)
            .send()
            .await?;
        let status = page.status();
        let html = page.text().await?;
        if !status.is_success() {
            bail!("GET {url}: {status}");
        }
        notes.push(format!(
            "inbox page `/app/inbox?view={id}` ({}): {} bytes, {} conversation rows",
            a.view,
            html.len(),
            html.matches("data-testid=\"conversation-row\"").count()
        ));
        for clients in levels {
            let (client, cookie, url) = (bench.client.clone(), bench.cookie.clone(), url.clone());
            let p = bench
                .pass(
                    "inbox page (SSR, 50 rows)",
                    clients,
                    a.seconds,
                    move |_, _| {
                        let req = client.get(&url).header(COOKIE, &cookie).send();
                        async move { check(req.await).await }
                    },
                )
                .await;
            passes.push(p);
        }
    }

    if wants("counts") {
        // What the browser asks for right after an inbox page: the views with their
        // live counts (`list_views`), not part of the server-rendered page.
        let path = <app::serverfns::inbox::ListViews as ServerFn>::PATH;
        let url = format!("{}{path}", a.url);
        for clients in levels {
            let (client, cookie, url, origin) = (
                bench.client.clone(),
                bench.cookie.clone(),
                url.clone(),
                a.url.clone(),
            );
            let p = bench
                .pass(
                    "view counts (list_views)",
                    clients,
                    a.seconds,
                    move |_, _| {
                        let req = client
                            .post(&url)
                            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                            .header(ACCEPT, "application/json")
                            .header(ORIGIN, &origin)
                            .header(COOKIE, &cookie)
                            .body("")
                            .send();
                        async move { check(req.await).await }
                    },
                )
                .await;
            passes.push(p);
        }
    }

    if wants("rest") {
        let url = format!("{}/api/v1/conversations?limit=50&status=open", a.url);
        for clients in levels {
            let (client, key, url) = (bench.client.clone(), a.api_key.clone(), url.clone());
            let p = bench
                .pass(
                    "REST list conversations (50)",
                    clients,
                    a.seconds,
                    move |_, _| {
                        let req = client.get(&url).bearer_auth(&key).send();
                        async move { check(req.await).await }
                    },
                )
                .await;
            passes.push(p);
        }
    }

    if wants("create") {
        let numbers = Arc::new(open_numbers(&bench.client, a).await?);
        let run_id = chrono::Utc::now().timestamp_millis();
        let mut accepted = 0usize;
        for clients in levels {
            let bases: Arc<Vec<String>> = Arc::new(
                std::iter::once(a.url.clone())
                    .chain(a.also_url.iter().cloned())
                    .collect(),
            );
            let (client, key, numbers) = (bench.client.clone(), a.api_key.clone(), numbers.clone());
            let p = bench
                .pass(
                    "create inbound message",
                    clients,
                    a.seconds,
                    move |w, i| {
                        let n = numbers[(w * 7919 + usize::try_from(i % 1_000_000).unwrap_or(0))
                            % numbers.len()];
                        let body = serde_json::json!({
                            "kind": "reply",
                            "from_customer": true,
                            "body_text": format!("Benchmark follow-up {i} from client {w}: any news on my order?"),
                            "external_id": format!("bench-{run_id}-{clients}-{w}-{i}"),
                        });
                        let base = &bases[w % bases.len()];
                        let req = client
                            .post(format!("{base}/api/v1/conversations/{n}/messages"))
                            .bearer_auth(&key)
                            .json(&body)
                            .send();
                        async move { check(req.await).await }
                    },
                )
                .await;
            accepted += p.samples.iter().filter(|s| s.ok).count();
            passes.push(p);
        }
        // Warm-up requests are accepted too: count only the recorded ones, whose
        // iteration numbers are small (warm-up ones count down from u64::MAX).
        match &a.database_url {
            Some(url) => {
                let stored = stored_with(url, &format!("bench-{run_id}-")).await?;
                let db = switchboard_server::db::connect(url, None).await?;
                notes.push(format!(
                    "create inbound message: {accepted} accepted (2xx) in the measured windows, {stored} stored with those external ids{}",
                    if stored == accepted { " — nothing lost" } else { " — MISMATCH" }
                ));
                notes.push(ai_drain(&db, &passes).await?);
            }
            None => notes.push(format!(
                "create inbound message: {accepted} accepted; pass --database-url to check they are stored"
            )),
        }
    }

    if wants("sms") {
        let url = connect_twilio(&bench.client, a, &bench.cookie).await?;
        let run_id = chrono::Utc::now().timestamp_millis();
        let mut accepted = 0usize;
        for clients in levels {
            let (client, url) = (bench.client.clone(), url.clone());
            let p = bench
                .pass(
                    "inbound SMS (Twilio webhook)",
                    clients,
                    a.seconds,
                    move |w, i| {
                        // 500 senders: most messages continue a sender's open
                        // conversation, some open one.
                        let sender = (w * 7919 + usize::try_from(i % 1_000_000).unwrap_or(0)) % 500;
                        let sid = format!("SMbench-{run_id}-{clients}-{w}-{i}");
                        let params = [
                            ("AccountSid", BENCH_SID.to_owned()),
                            ("MessageSid", sid.clone()),
                            ("SmsMessageSid", sid),
                            ("From", format!("+1555{:07}", 2_000_000 + sender)),
                            ("To", BENCH_SMS_FROM.to_owned()),
                            (
                                "Body",
                                format!("Bench text {i} from phone {sender}: where is my order?"),
                            ),
                            ("NumMedia", "0".to_owned()),
                            ("NumSegments", "1".to_owned()),
                            ("SmsStatus", "received".to_owned()),
                            ("ApiVersion", "2010-04-01".to_owned()),
                        ];
                        let (body, sig) = twilio_form(&url, &params);
                        let req = client
                            .post(&url)
                            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                            .header("x-twilio-signature", sig)
                            .body(body)
                            .send();
                        async move { check(req.await).await }
                    },
                )
                .await;
            accepted += p.samples.iter().filter(|s| s.ok).count();
            passes.push(p);
        }
        match &a.database_url {
            Some(db) => {
                let stored = stored_with(db, &format!("sms:SMbench-{run_id}-")).await?;
                notes.push(format!(
                    "inbound SMS: {accepted} accepted (2xx) in the measured windows, {stored} stored with those message SIDs{}",
                    if stored == accepted { " — nothing lost" } else { " — MISMATCH" }
                ));
            }
            None => notes.push(format!(
                "inbound SMS: {accepted} accepted; pass --database-url to check they are stored"
            )),
        }
    }

    // Search runs last: on PostgreSQL a rare word can keep the database busy long
    // after the client gave up, which would disturb whatever ran next.
    let mut words: Vec<WordRow> = Vec::new();
    if wants("search") {
        // Latency per query: sequential requests, one client; a query stops at its
        // first error (a timed-out query may keep the database busy for a while).
        let before = bench.metrics().await;
        let start = Instant::now();
        let mut samples = Vec::new();
        let mut first_error = None;
        for q in &a.search {
            let url = format!("{}/api/v1/search?q={}", a.url, enc(q));
            let mut row = WordRow {
                query: q.clone(),
                hits: String::new(),
                micros: Vec::new(),
                error: None,
            };
            for i in 0..a.search_repeat {
                let t = Instant::now();
                let r = bench.client.get(&url).bearer_auth(&a.api_key).send().await;
                let outcome = match r {
                    Ok(r) if r.status().is_success() => {
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        if i == 0 {
                            row.hits = hits(&body);
                        }
                        Ok(())
                    }
                    Ok(r) => Err(r.status().to_string()),
                    Err(e) if e.is_timeout() => Err(format!("timeout ({} s)", a.timeout)),
                    Err(e) => Err(e.to_string()),
                };
                let micros = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                samples.push(Sample {
                    micros,
                    ok: outcome.is_ok(),
                });
                match outcome {
                    Ok(()) => row.micros.push(micros),
                    Err(e) => {
                        first_error.get_or_insert_with(|| format!("`{q}`: {e}"));
                        row.error = Some(e);
                        break;
                    }
                }
            }
            words.push(row);
        }
        let secs = start.elapsed().as_secs_f64();
        let server = match (before, bench.metrics().await) {
            (Some(b), Some(a)) => window(&b, &a),
            _ => None,
        };
        passes.push(Pass {
            scenario: "full-text search (each query in turn)".to_owned(),
            clients: 1,
            samples,
            secs,
            first_error,
            server,
        });

        let urls: Arc<Vec<String>> = Arc::new(
            a.search
                .iter()
                .map(|q| format!("{}/api/v1/search?q={}", a.url, enc(q)))
                .collect(),
        );
        let (client, key) = (bench.client.clone(), a.api_key.clone());
        let p = bench
            .pass(
                "full-text search (queries mixed)",
                a.concurrency,
                a.seconds,
                move |w, i| {
                    let tag = (w + usize::try_from(i % 1_000_000).unwrap_or(0)) % urls.len();
                    let req = client.get(&urls[tag]).bearer_auth(&key).send();
                    async move { check(req.await).await }
                },
            )
            .await;
        passes.push(p);
    }

    print_report(a, &passes, &words, &notes);
    Ok(())
}

fn print_report(a: &RunArgs, passes: &[Pass], words: &[WordRow], notes: &[String]) {
    println!();
    println!(
        "Client-side latency on loopback (request sent → full body read), {} s per pass; \
         server columns from the server's /metrics histogram (time to response head).",
        a.seconds
    );
    println!();
    println!("| scenario | clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | server mean ms | server p95 ≤ ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for p in passes {
        let mut lat: Vec<u64> = p
            .samples
            .iter()
            .filter(|s| s.ok)
            .map(|s| s.micros)
            .collect();
        lat.sort_unstable();
        let errors = p.samples.len() - lat.len();
        let (mean, p95) = p.server.as_ref().map_or(("–".into(), "–".into()), |s| {
            (
                format!("{:.1}", s.mean_ms),
                s.p95_le_ms
                    .map_or_else(|| ">5000".into(), |v| format!("{v}")),
            )
        });
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} |",
            p.scenario,
            p.clients,
            p.samples.len(),
            errors,
            lat.len() as f64 / p.secs,
            percentile(&lat, 0.50),
            percentile(&lat, 0.95),
            percentile(&lat, 0.99),
            mean,
            p95
        );
    }
    if !words.is_empty() {
        println!();
        println!(
            "Search, one client, up to {} requests per query in turn (stops at the first error):",
            a.search_repeat
        );
        println!();
        println!("| query | hits returned | requests | p50 ms | p95 ms | max ms | error |");
        println!("|---|---:|---:|---:|---:|---:|---|");
        for w in words {
            let mut lat = w.micros.clone();
            lat.sort_unstable();
            println!(
                "| `{}` | {} | {} | {:.1} | {:.1} | {:.1} | {} |",
                w.query,
                if w.hits.is_empty() {
                    "–"
                } else {
                    w.hits.as_str()
                },
                lat.len() + usize::from(w.error.is_some()),
                percentile(&lat, 0.50),
                percentile(&lat, 0.95),
                percentile(&lat, 1.0),
                w.error.as_deref().unwrap_or("")
            );
        }
    }
    println!();
    for n in notes {
        println!("- {n}");
    }
    for p in passes {
        if let Some(e) = &p.first_error {
            println!(
                "- first error in {} ({} clients): {e}",
                p.scenario, p.clients
            );
        }
    }
}

/// Waits for the AI pipeline to finish the inbound messages' jobs and says how
/// long that took: the sustained inbound rate counts that time too.
async fn ai_drain(db: &sea_orm::DatabaseConnection, passes: &[Pass]) -> anyhow::Result<String> {
    let backend = db.get_database_backend();
    let sql = "SELECT COUNT(*) FROM jobs WHERE kind = 'ai.resolve' \
               AND status IN ('pending', 'running')";
    let start = Instant::now();
    let limit = Duration::from_secs(600);
    loop {
        let left: i64 = db
            .query_one(Statement::from_string(backend, sql))
            .await?
            .map(|r| r.try_get_by_index(0))
            .transpose()?
            .unwrap_or(0);
        if left == 0 || start.elapsed() > limit {
            let drain = start.elapsed().as_secs_f64();
            let mine = passes
                .iter()
                .filter(|p| p.scenario == "create inbound message");
            let created: usize = mine
                .clone()
                .map(|p| p.samples.iter().filter(|s| s.ok).count())
                .sum();
            let windows: f64 = mine.map(|p| p.secs).sum();
            return Ok(format!(
                "AI pipeline: {} jobs left; queue drained {drain:.1} s after the last post; \
                 sustained through the pipeline: {created} messages in {:.1} s = {:.0} msg/s",
                left,
                windows + drain,
                created as f64 / (windows + drain).max(0.001)
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
