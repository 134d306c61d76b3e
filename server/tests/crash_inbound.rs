//! A `kill -9` of the server while 1,000 inbound emails (or 1,000 SMS from 8
//! phones, through Twilio's signed webhook) are being posted loses none and
//! duplicates none: every message the server acknowledged is stored, and a sender
//! that retries everything it is unsure of (as mail providers and Twilio do) ends
//! with exactly 1,000 messages after the restart. Runs the real `switchboard`
//! binary.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::channels::settings;
use app::services::tenancy::{global, Scoped};
use app::types::Channel;
use common::{sign_up, Backend, TestApp};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MESSAGES: usize = 1000;
const SENDERS: usize = 8;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The secrets key the test harness seals with (tests/common), given to the
/// spawned server so it can open the Twilio auth token.
const SECRETS_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn spawn_server(database_url: &str, port: u16, data_dir: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .env("SWITCHBOARD_SECRETS_KEY", SECRETS_KEY)
        .args(["serve", "--no-workers"])
        .env("SWITCHBOARD_DATABASE_URL", database_url)
        .env("SWITCHBOARD_BIND", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_JOBS__SCHEDULER", "false")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(client: &reqwest::Client, port: u16) {
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server on {port} never became ready");
}

fn mail(n: usize) -> String {
    format!(
        "From: Customer {n} <crash{n}@example.test>\r\nTo: support@acme.test\r\nSubject: Order question {n}\r\nMessage-ID: <crash-{n}@example.test>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWhere is order {n}?\r\n"
    )
}

/// Posts `todo` with `SENDERS` concurrent senders; returns the acknowledged ones.
async fn post_all(
    client: &reqwest::Client,
    url: &str,
    todo: Vec<usize>,
    stop_after: Option<usize>,
) -> HashSet<usize> {
    let queue = Arc::new(Mutex::new(todo));
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = Vec::new();
    for _ in 0..SENDERS {
        let (queue, acked, client, url) =
            (queue.clone(), acked.clone(), client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            loop {
                if stop_after.is_some_and(|s| acked.lock().unwrap().len() >= s) {
                    break;
                }
                let Some(n) = queue.lock().unwrap().pop() else {
                    break;
                };
                let r = client
                    .post(&url)
                    .header("content-type", "message/rfc822")
                    .body(mail(n))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        acked.lock().unwrap().insert(n);
                    }
                    // The server died (or refused): the sender will retry it.
                    _ => {}
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let out = acked.lock().unwrap().clone();
    out
}

async fn kill_9_while_posting_loses_and_duplicates_nothing(b: Backend) {
    let app = TestApp::new(b).await;
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let ws = global::<entity::workspace::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let scope = Scoped::new(ws.id);
    let token = settings::get_or_create(&app.state.db, scope, Channel::Email)
        .await
        .unwrap()
        .inbound_token
        .unwrap();
    let data_dir =
        std::env::temp_dir().join(format!("sbt-crash-{}", uuid::Uuid::new_v4().simple()));
    let data_dir = data_dir.to_string_lossy().into_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let port = free_port();
    let mut server = spawn_server(&app.database_url, port, &data_dir);
    wait_ready(&client, port).await;
    let url = format!("http://127.0.0.1:{port}/hooks/email/{token}");
    // Kill the server once about 40 % are acknowledged, while senders are mid-request.
    let killer = {
        let url = url.clone();
        let client = client.clone();
        tokio::spawn(async move { post_all(&client, &url, (0..MESSAGES).collect(), None).await })
    };
    let count_stored = || async {
        scope
            .find::<entity::message::Entity>()
            .filter(entity::message::Column::ExternalId.like("mail:crash-%"))
            .count(&app.state.db)
            .await
            .unwrap()
    };
    let mut killed_at = 0;
    for _ in 0..6000 {
        killed_at = count_stored().await;
        if killed_at as usize >= MESSAGES * 2 / 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();
    let first_acked = killer.await.unwrap();
    assert!(
        first_acked.len() < MESSAGES,
        "the server was killed after everything was sent; the test proves nothing"
    );
    assert!(killed_at > 0, "nothing was stored before the kill");

    // Everything acknowledged before the crash is stored.
    let after_crash = count_stored().await as usize;
    assert!(
        after_crash >= first_acked.len(),
        "acknowledged {} but only {after_crash} stored",
        first_acked.len()
    );

    // Restart; the senders retry all they are unsure of, and (to prove idempotency)
    // a sample of what was acknowledged too.
    let port = free_port();
    let mut server = spawn_server(&app.database_url, port, &data_dir);
    wait_ready(&client, port).await;
    let url = format!("http://127.0.0.1:{port}/hooks/email/{token}");
    let mut retry: Vec<usize> = (0..MESSAGES).filter(|n| !first_acked.contains(n)).collect();
    retry.extend(first_acked.iter().copied().take(100));
    let second_acked = post_all(&client, &url, retry, None).await;
    server.kill().ok();
    server.wait().ok();
    let all: HashSet<usize> = first_acked.union(&second_acked).copied().collect();
    assert_eq!(all.len(), MESSAGES, "some messages were never acknowledged");
    assert_eq!(
        count_stored().await as usize,
        MESSAGES,
        "lost or duplicated messages"
    );
    let conversations = scope
        .find::<entity::conversation::Entity>()
        .filter(entity::conversation::Column::Subject.like("Order question %"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        conversations as usize, MESSAGES,
        "one conversation per email"
    );
    eprintln!(
        "crash test ({b:?}): {} acknowledged before kill -9 ({killed_at} stored when it was sent), {after_crash} stored after it, {} after restart + retries",
        first_acked.len(),
        MESSAGES
    );
    let _ = std::fs::remove_dir_all(&data_dir);
    app.finish().await;
}

const PHONES: usize = 8;

fn phone(k: usize) -> String {
    format!("+1555010{k:04}")
}

/// Texts `todo` through the Twilio webhook of the server on `port`, one task a
/// phone (each phone's texts in order, as a handset sends them), signed as
/// Twilio signs; returns the acknowledged ones.
async fn text_all(
    client: &reqwest::Client,
    port: u16,
    token: &str,
    todo: &[usize],
) -> HashSet<usize> {
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let url = format!("http://127.0.0.1:{port}/hooks/twilio/{token}");
    let mut tasks = Vec::new();
    for k in 0..PHONES {
        let mine: Vec<usize> = todo.iter().copied().filter(|n| n % PHONES == k).collect();
        let (acked, client, url) = (acked.clone(), client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            for n in mine {
                let sid = format!("SM{n:032}");
                let from = phone(k);
                let body = format!("Where is order {n}?");
                let params = [
                    ("AccountSid", common::twilio::ACCOUNT_SID),
                    ("MessageSid", sid.as_str()),
                    ("From", from.as_str()),
                    ("To", "+15550001111"),
                    ("Body", body.as_str()),
                    ("NumMedia", "0"),
                ];
                let sig = common::twilio::sign(common::twilio::AUTH_TOKEN, &url, &params);
                let r = client
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-twilio-signature", sig)
                    .body(common::form(&params))
                    .send()
                    .await;
                if matches!(&r, Ok(r) if r.status().is_success()) {
                    acked.lock().unwrap().insert(n);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let out = acked.lock().unwrap().clone();
    out
}

async fn kill_9_while_texting_loses_and_duplicates_nothing(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = common::twilio::FakeTwilio::start().await;
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let ws = global::<entity::workspace::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let scope = Scoped::new(ws.id);
    app::services::channels::twilio::settings::set(
        &app.state,
        &app.state.db,
        scope,
        &app::types::TwilioSettingsForm {
            account_sid: common::twilio::ACCOUNT_SID.into(),
            auth_token: common::twilio::AUTH_TOKEN.into(),
            api_base: fake.base.clone(),
            sms_from: "+15550001111".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = scope
        .find::<entity::twilio_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hook_token;
    let data_dir =
        std::env::temp_dir().join(format!("sbt-crash-{}", uuid::Uuid::new_v4().simple()));
    let data_dir = data_dir.to_string_lossy().into_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let count_stored = || async {
        scope
            .find::<entity::message::Entity>()
            .filter(entity::message::Column::ExternalId.like("sms:SM%"))
            .count(&app.state.db)
            .await
            .unwrap()
    };

    let port = free_port();
    let mut server = spawn_server(&app.database_url, port, &data_dir);
    wait_ready(&client, port).await;
    let killer = {
        let (client, token) = (client.clone(), token.clone());
        let all: Vec<usize> = (0..MESSAGES).collect();
        tokio::spawn(async move { text_all(&client, port, &token, &all).await })
    };
    let mut killed_at = 0;
    for _ in 0..6000 {
        killed_at = count_stored().await;
        if killed_at as usize >= MESSAGES * 2 / 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();
    let first_acked = killer.await.unwrap();
    assert!(
        first_acked.len() < MESSAGES,
        "the server was killed after everything was sent; the test proves nothing"
    );
    assert!(killed_at > 0, "nothing was stored before the kill");
    let after_crash = count_stored().await as usize;
    assert!(
        after_crash >= first_acked.len(),
        "acknowledged {} but only {after_crash} stored",
        first_acked.len()
    );

    // Restart: Twilio retries what was not acknowledged, and (idempotency) a
    // sample of what was.
    let port = free_port();
    let mut server = spawn_server(&app.database_url, port, &data_dir);
    wait_ready(&client, port).await;
    let mut retry: Vec<usize> = (0..MESSAGES).filter(|n| !first_acked.contains(n)).collect();
    retry.extend(first_acked.iter().copied().take(100));
    let second_acked = text_all(&client, port, &token, &retry).await;
    server.kill().ok();
    server.wait().ok();
    let all: HashSet<usize> = first_acked.union(&second_acked).copied().collect();
    assert_eq!(all.len(), MESSAGES, "some texts were never acknowledged");
    assert_eq!(
        count_stored().await as usize,
        MESSAGES,
        "lost or duplicated texts"
    );
    // Each phone's texts continue one conversation.
    let conversations = scope
        .find::<entity::conversation::Entity>()
        .filter(entity::conversation::Column::Channel.eq("sms"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(conversations as usize, PHONES, "one conversation per phone");
    eprintln!(
        "SMS crash test ({b:?}): {} acknowledged before kill -9 ({killed_at} stored when it was sent), {after_crash} stored after it, {} after restart + retries",
        first_acked.len(),
        MESSAGES
    );
    let _ = std::fs::remove_dir_all(&data_dir);
    app.finish().await;
}

backend_tests!(
    kill_9_while_posting_loses_and_duplicates_nothing,
    kill_9_while_texting_loses_and_duplicates_nothing
);
