//! Voice calls (issue 18 point 3) through a Retell-compatible voice agent, with
//! a local fake of its API that checks the Bearer key, and call events signed
//! as Retell signs them: unsigned, wrongly signed or stale events are refused
//! and store nothing; a call becomes a phone conversation with its transcript,
//! recording link and one summary (the provider's, else the built-in one);
//! retried events change nothing; the agent sync pushes the webhook address
//! and the settings; recordings past the retention period are deleted at the
//! provider and their links removed; workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::channels::{GetVoiceSettings, SaveVoiceSettings};
use app::services::tenancy::Scoped;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::retell::{sign, FakeRetell, KEY};
use common::{fns::path, workspace, Backend, TestApp, Ws};
use entity::{conversation, message, phone_call, voice_account};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

async fn setup(
    app: &TestApp,
    who: &str,
    fake: &FakeRetell,
    key: &str,
    provider_summary: bool,
) -> (Ws, String) {
    let mut ws = workspace(app, &format!("owner@{who}.test"), &format!("Shop {who}")).await;
    let r = ws
        .owner
        .call_json(
            path::<SaveVoiceSettings>(),
            &json!({ "form": {
                "api_key": key,
                "api_base": fake.base,
                "agent_id": "agent_123",
                "retention_days": 30,
                "provider_summary": provider_summary,
                "agent_config": "{\"agent_name\": \"Acme support\", \"language\": \"en-US\"}",
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = ws
        .scope
        .find::<voice_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hook_token;
    (ws, token)
}

async fn post_event(app: &TestApp, token: &str, body: &str, sig: Option<String>) -> common::Res {
    let mut req = Request::post(format!("/hooks/retell/{token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = sig {
        req = req.header("X-Retell-Signature", s);
    }
    let mut c = app.client();
    c.origin = None;
    c.send(req.body(Body::from(body.to_owned())).unwrap()).await
}

async fn event(app: &TestApp, token: &str, key: &str, body: &serde_json::Value) -> common::Res {
    let body = body.to_string();
    let sig = sign(key, &body, chrono::Utc::now().timestamp_millis());
    post_event(app, token, &body, Some(sig)).await
}

fn call(id: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut c = json!({
        "call_id": id,
        "agent_id": "agent_123",
        "call_type": "phone_call",
        "direction": "inbound",
        "from_number": "+15553330001",
        "to_number": "+15550009000",
        "call_status": "ongoing",
        "start_timestamp": 1_765_000_000_000_i64,
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

const TRANSCRIPT: &str = "Agent: Thanks for calling Acme Outdoor, how can I help?\nUser: Hi, my Ridge Shell Jacket from order 1042 has a broken zip.\nAgent: I am sorry. I will open a warranty claim and email you a return label today.\nUser: Can I keep using it until the new one arrives?\n";

async fn notes(app: &TestApp, s: Scoped, conv: i32, label: &str) -> u64 {
    s.find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conv))
        .filter(message::Column::AuthorLabel.eq(label))
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn voice_calls_and_tenancy(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeRetell::start().await;
    let (mut a, token) = setup(&app, "va", &fake, KEY, true).await;
    let s = a.scope;

    // Saving queued the agent sync: webhook address and settings pushed.
    app.run_jobs().await;
    let updates = fake.updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].0, "agent_123");
    assert_eq!(
        updates[0].1["webhook_url"],
        format!("http://localhost/hooks/retell/{token}")
    );
    assert_eq!(updates[0].1["agent_name"], "Acme support");
    let page = a.owner.call(path::<GetVoiceSettings>(), &[]).await.json();
    assert!(page["synced_at"].is_string(), "{page}");
    assert!(!page.to_string().contains(KEY));

    // Refused: unsigned, another key, stale, or tampered.
    let started = json!({ "event": "call_started", "call": call("call_A1", json!({})) });
    let body = started.to_string();
    assert_eq!(
        post_event(&app, &token, &body, None).await.status,
        StatusCode::FORBIDDEN
    );
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        post_event(
            &app,
            &token,
            &body,
            Some(sign("key_other_0000000000", &body, now))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_event(
            &app,
            &token,
            &body,
            Some(sign(KEY, &body, now - 10 * 60 * 1000))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let tampered = body.replace("+15553330001", "+15553339999");
    assert_eq!(
        post_event(&app, &token, &tampered, Some(sign(KEY, &body, now)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.find::<message::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );

    // call_started opens a phone conversation for the caller.
    let r = event(&app, &token, KEY, &started).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = s
        .find::<conversation::Entity>()
        .filter(conversation::Column::Channel.eq("phone"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.subject, "Phone call from +15553330001");

    // call_ended (twice, as a retry): transcript and recording once.
    let ended = json!({ "event": "call_ended", "call": call("call_A1", json!({
        "call_status": "ended",
        "end_timestamp": 1_765_000_125_400_i64,
        "duration_ms": 125_400,
        "transcript": TRANSCRIPT,
        "recording_url": "https://recordings.example.net/call_A1.wav",
        "disconnection_reason": "user_hangup",
    })) });
    for _ in 0..2 {
        assert_eq!(
            event(&app, &token, KEY, &ended).await.status,
            StatusCode::OK
        );
    }
    let msgs = s
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .order_by_asc(message::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap();
    let transcripts: Vec<&message::Model> = msgs
        .iter()
        .filter(|m| m.body_text.starts_with("Transcript:"))
        .collect();
    assert_eq!(transcripts.len(), 1);
    let t = &transcripts[0].body_text;
    assert!(
        t.contains("broken zip") && t.contains("Duration 2:05") && t.contains("user hangup"),
        "{t}"
    );
    assert!(
        t.contains("Recording: https://recordings.example.net/call_A1.wav"),
        "{t}"
    );
    // The provider's summary is awaited: no note yet.
    assert_eq!(notes(&app, s, c.id, "Call summary (voice agent)").await, 0);
    assert_eq!(notes(&app, s, c.id, "Call summary (built-in)").await, 0);

    // call_analyzed: the provider's summary, once.
    let analyzed = json!({ "event": "call_analyzed", "call": call("call_A1", json!({
        "call_status": "ended",
        "transcript": TRANSCRIPT,
        "call_analysis": { "call_summary": "Caller reports a broken zip on order 1042; warranty claim and return label promised.", "user_sentiment": "Neutral" },
    })) });
    for _ in 0..2 {
        assert_eq!(
            event(&app, &token, KEY, &analyzed).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(notes(&app, s, c.id, "Call summary (voice agent)").await, 1);
    let row = s
        .find::<phone_call::Entity>()
        .filter(phone_call::Column::CallId.eq("call_A1"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.summary_source.as_deref(), Some("provider"));
    assert_eq!(row.sentiment.as_deref(), Some("Neutral"));
    assert_eq!(row.duration_ms, 125_400);

    // A call analysed without a provider summary (and whose call_ended never
    // came): recorded whole, with the built-in summary.
    let lone = json!({ "event": "call.analyzed", "call": call("call_A2", json!({
        "from_number": "+15553330002",
        "transcript": TRANSCRIPT,
        "recording_url": "https://recordings.example.net/call_A2.wav",
        "call_analysis": {},
    })) });
    assert_eq!(event(&app, &token, KEY, &lone).await.status, StatusCode::OK);
    let c2 = s
        .find::<phone_call::Entity>()
        .filter(phone_call::Column::CallId.eq("call_A2"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        notes(&app, s, c2.conversation_id, "Call summary (built-in)").await,
        1
    );
    let note = s
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c2.conversation_id))
        .filter(message::Column::AuthorLabel.eq("Call summary (built-in)"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(note.body_text.contains("order 1042"), "{}", note.body_text);

    // Events that are not calls' ends, or web calls without numbers: ignored.
    let r = event(
        &app,
        &token,
        KEY,
        &json!({ "event": "transcript_updated", "call": call("call_A1", json!({})) }),
    )
    .await;
    assert_eq!(r.json()["status"], "ignored");
    let r = post_event(
        &app,
        &token,
        "not json",
        Some(sign(KEY, "not json", chrono::Utc::now().timestamp_millis())),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Retention: call 1 ended 31 days ago; its recording goes, call 2's stays.
    s.update_many::<phone_call::Entity>()
        .col_expr(
            phone_call::Column::EndedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(31)),
        )
        .filter(phone_call::Column::CallId.eq("call_A1"))
        .exec(&app.state.db)
        .await
        .unwrap();
    app::services::channels::voice::calls::run_retention(&app.state)
        .await
        .unwrap();
    assert_eq!(fake.deleted(), vec!["call_A1".to_owned()]);
    let row = s
        .find::<phone_call::Entity>()
        .filter(phone_call::Column::CallId.eq("call_A1"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.recording_url.is_none() && row.recording_deleted_at.is_some());
    let t = s
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(transcripts[0].id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !t.body_text.contains("call_A1.wav") && !t.body_html.contains("call_A1.wav"),
        "{}",
        t.body_text
    );
    assert!(t.body_text.contains("Recording: deleted after 30 days"));
    // Run again: nothing more to delete.
    app::services::channels::voice::calls::run_retention(&app.state)
        .await
        .unwrap();
    assert_eq!(fake.deleted().len(), 1);
    assert_eq!(fake.unauthorized(), 0);

    // Settings are checked.
    let r = a
        .owner
        .call_json(
            path::<SaveVoiceSettings>(),
            &json!({ "form": { "api_key": "", "api_base": "", "agent_id": "agent_123", "retention_days": 0,
                "provider_summary": true, "agent_config": "{}" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = a
        .owner
        .call_json(
            path::<SaveVoiceSettings>(),
            &json!({ "form": { "api_key": "", "api_base": "", "agent_id": "agent_123", "retention_days": 30,
                "provider_summary": true, "agent_config": "[1, 2]" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Workspace B (its own key): A's events are refused on B's address, and
    // B's call with the same id is B's own.
    let (bws, token_b) = setup(&app, "vb", &fake, "key_of_b_0123456789", false).await;
    assert_eq!(
        event(&app, &token_b, KEY, &ended).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        event(&app, &token_b, "key_of_b_0123456789", &ended)
            .await
            .status,
        StatusCode::OK
    );
    let b_calls = bws
        .scope
        .find::<phone_call::Entity>()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(b_calls.len(), 1);
    assert_ne!(b_calls[0].conversation_id, c.id);
    // B wants the built-in summary: written at call_ended.
    assert_eq!(
        notes(
            &app,
            bws.scope,
            b_calls[0].conversation_id,
            "Call summary (built-in)"
        )
        .await,
        1
    );
    assert_eq!(
        s.find::<phone_call::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        2,
        "A's calls untouched"
    );
    app.finish().await;
}

backend_tests!(voice_calls_and_tenancy);
