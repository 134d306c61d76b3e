//! Transcription (issue 18 point 4) through an AssemblyAI-compatible API,
//! against a local fake that checks the key in `Authorization`, the upload's
//! content type and the transcript request's shape: a customer's voice note
//! is uploaded and submitted with our webhook and its secret header; the
//! attachment shows "processing", then the text once the provider's webhook
//! (refused without the right secret) leads to the fetch; a failure shows
//! the provider's reason; without a webhook the fetch job polls; a call
//! recording without a transcript is transcribed into the call's
//! conversation and summarised; settings validate, test the key and stay
//! the caller's own; workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::channels::{
    GetTranscriptionSettings, SaveTranscriptionSettings, SaveVoiceSettings, SendTranscriptionTest,
};
use app::services::channels::inbound::{self, InboundFile, InboundMessage, Sender};
use app::services::inbox::messages;
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind, TranscriptView};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::assemblyai::{FakeAssembly, KEY};
use common::{fns::path, workspace, Backend, TestApp, Ws};
use entity::{job, message, transcript, transcription_account, voice_account};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

async fn connect(app: &TestApp, who: &str, fake: &FakeAssembly) -> (Ws, String) {
    let mut ws = workspace(app, &format!("owner@{who}.test"), &format!("Shop {who}")).await;
    let r = ws
        .owner
        .call_json(
            path::<SaveTranscriptionSettings>(),
            &json!({ "form": {
                "api_key": KEY, "api_base": fake.base, "language_code": "",
                "attachments": true, "calls": true,
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = ws
        .scope
        .find::<transcription_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hook_token;
    (ws, token)
}

async fn voice_note(app: &TestApp, s: Scoped, id: &str, bytes: &[u8]) -> inbound::Receipt {
    let mut m = InboundMessage::new(
        Channel::Whatsapp,
        id.into(),
        Sender {
            kind: IdentifierKind::Whatsapp,
            value: "+15552220001".into(),
            name: None,
        },
        String::new(),
    );
    m.files = vec![
        InboundFile {
            filename: "voice-note.ogg".into(),
            content_type: "audio/ogg".into(),
            content_id: None,
            data: bytes.to_vec(),
        },
        InboundFile {
            filename: "receipt.pdf".into(),
            content_type: "application/pdf".into(),
            content_id: None,
            data: b"%PDF-1.4 not speech".to_vec(),
        },
    ];
    inbound::receive(&app.state, s, m).await.unwrap()
}

/// The voice note's transcript as the inbox thread shows it.
async fn shown(app: &TestApp, s: Scoped, conv: i32) -> Option<TranscriptView> {
    let thread = messages::thread(&app.state.db, s, conv).await.unwrap();
    let files: Vec<_> = thread.iter().flat_map(|m| m.attachments.clone()).collect();
    assert!(files
        .iter()
        .any(|a| a.filename == "receipt.pdf" && a.transcript.is_none()));
    files
        .into_iter()
        .find(|a| a.filename == "voice-note.ogg")
        .and_then(|a| a.transcript)
}

async fn hook(app: &TestApp, path: &str, header: Option<(&str, &str)>, body: &str) -> common::Res {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    let mut c = app.client();
    c.origin = None;
    c.send(req.body(Body::from(body.to_owned())).unwrap()).await
}

/// The webhook as the fake would send it for its latest transcript.
async fn notify(app: &TestApp, fake: &FakeAssembly, id: &str) -> common::Res {
    let (at, name, value, body) = fake.webhook(id);
    hook(app, &at, Some((&name, &value)), &body).await
}

async fn voice_notes_are_transcribed_with_their_status(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeAssembly::start().await;
    let (mut a, token) = connect(&app, "ta", &fake).await;
    let (other, other_token) = connect(&app, "tb", &fake).await;
    let s = a.scope;

    // The note is uploaded and submitted with our webhook and its secret.
    let audio = b"OggS\x00fake voice note bytes".to_vec();
    let r = voice_note(&app, s, "whatsapp:SM1", &audio).await;
    assert_eq!(
        shown(&app, s, r.conversation_id).await.unwrap().status,
        "queued"
    );
    app.run_jobs().await;
    assert_eq!(
        fake.uploads(),
        vec![audio.clone()],
        "only the audio goes, once"
    );
    let subs = fake.submitted();
    assert_eq!(subs.len(), 1);
    let body = &subs[0].body;
    assert_eq!(body["audio_url"], "https://cdn.assemblyai.test/upload/1");
    assert_eq!(
        body["webhook_url"],
        format!("http://localhost/hooks/transcripts/{token}")
    );
    assert_eq!(
        body["webhook_auth_header_name"],
        "X-Switchboard-Webhook-Secret"
    );
    assert_eq!(body["language_detection"], true);
    let secret = body["webhook_auth_header_value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(
        shown(&app, s, r.conversation_id).await.unwrap().status,
        "processing"
    );

    // The webhook needs the secret; another workspace's secret and address
    // do not reach this transcript.
    fake.complete(
        "tr_0001",
        "Hi, the tent I got has a torn seam. Can I swap it?",
        12.4,
    );
    let (at, name, _, notice) = fake.webhook("tr_0001");
    assert_eq!(at, format!("/hooks/transcripts/{token}"));
    assert_eq!(
        hook(&app, &at, None, &notice).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hook(&app, &at, Some((&name, "guess")), &notice)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let other_secret = provider_secret(&app, other.scope).await;
    let r2 = hook(
        &app,
        &format!("/hooks/transcripts/{other_token}"),
        Some((&name, &other_secret)),
        &notice,
    )
    .await;
    assert_eq!(r2.status, StatusCode::OK);
    assert_eq!(r2.json()["status"], "ignored");
    assert_eq!(
        hook(
            &app,
            "/hooks/transcripts/nope-nope-nope-nope",
            Some((&name, &secret)),
            &notice
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let bad = hook(&app, &at, Some((&name, &secret)), "{\"nope\": 1}").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    app.run_jobs().await;
    assert_eq!(
        shown(&app, s, r.conversation_id).await.unwrap().status,
        "processing"
    );

    // The right secret: the text is fetched and shown; a retry changes nothing.
    let ok = notify(&app, &fake, "tr_0001").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["status"], "fetching");
    app.run_jobs().await;
    let t = shown(&app, s, r.conversation_id).await.unwrap();
    assert_eq!(t.status, "completed");
    assert_eq!(
        t.text.as_deref(),
        Some("Hi, the tent I got has a torn seam. Can I swap it?")
    );
    assert_eq!(
        notify(&app, &fake, "tr_0001").await.json()["status"],
        "ignored"
    );
    assert_eq!(fake.unauthorized(), 0);

    // A failure shows the provider's reason.
    let r3 = voice_note(&app, s, "whatsapp:SM2", b"not really audio").await;
    app.run_jobs().await;
    fake.fail("tr_0002", "File does not appear to contain audio.");
    notify(&app, &fake, "tr_0002").await;
    app.run_jobs().await;
    let t = shown(&app, s, r3.conversation_id).await.unwrap();
    assert_eq!(t.status, "error");
    assert_eq!(
        t.error.as_deref(),
        Some("File does not appear to contain audio.")
    );

    // No webhook (a server the provider cannot reach): the fetch job polls.
    let r4 = voice_note(&app, s, "whatsapp:SM3", b"OggS third").await;
    app.run_jobs().await;
    fake.complete("tr_0003", "Third note.", 2.0);
    due_now(&app).await;
    app.run_jobs().await;
    assert_eq!(
        shown(&app, s, r4.conversation_id)
            .await
            .unwrap()
            .text
            .as_deref(),
        Some("Third note.")
    );

    // The settings page counts them; a wrong key is refused with why.
    let page = a
        .owner
        .call(path::<GetTranscriptionSettings>(), &[])
        .await
        .json();
    assert_eq!(page["configured"], true);
    assert_eq!(page["completed_30d"], 2);
    assert_eq!(page["failed_30d"], 1);
    assert!(page["webhook_url"].as_str().unwrap().ends_with(&token));
    assert!(!page.to_string().contains(KEY), "the key is never shown");
    let test = a.owner.call(path::<SendTranscriptionTest>(), &[]).await;
    assert_eq!(test.status, StatusCode::OK, "{}", test.body);
    for (form, field) in [
        (
            json!({"api_key": "", "api_base": fake.base, "language_code": "english!", "attachments": true, "calls": true}),
            "language_code",
        ),
        (
            json!({"api_key": "short", "api_base": fake.base, "language_code": "", "attachments": true, "calls": true}),
            "api_key",
        ),
        (
            json!({"api_key": "", "api_base": "ftp://x", "language_code": "", "attachments": true, "calls": true}),
            "api_base",
        ),
    ] {
        let r = a
            .owner
            .call_json(
                path::<SaveTranscriptionSettings>(),
                &json!({ "form": form }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert!(r.body.contains(field), "{}", r.body);
    }
    // A new API base needs the key again: a stored key goes nowhere new.
    let r = a
        .owner
        .call_json(
            path::<SaveTranscriptionSettings>(),
            &json!({ "form": {"api_key": "", "api_base": "http://127.0.0.1:9/", "language_code": "", "attachments": true, "calls": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Paste the key again"), "{}", r.body);
    let r = a
        .owner
        .call_json(
            path::<SaveTranscriptionSettings>(),
            &json!({ "form": {"api_key": "aai_wrong_key_0123456789", "api_base": fake.base, "language_code": "de", "attachments": false, "calls": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let test = a.owner.call(path::<SendTranscriptionTest>(), &[]).await;
    assert_eq!(test.status, StatusCode::CONFLICT, "{}", test.body);
    assert!(test.body.contains("refused the API key"), "{}", test.body);

    // Attachments turned off: nothing new is queued.
    voice_note(&app, s, "whatsapp:SM4", b"OggS fourth").await;
    assert_eq!(
        s.find::<transcript::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        3
    );
    // B's page is B's own.
    let mut bo = other.owner;
    let page = bo
        .call(path::<GetTranscriptionSettings>(), &[])
        .await
        .json();
    assert_eq!(page["completed_30d"], 0);
    app.finish().await;
}

async fn provider_secret(app: &TestApp, s: Scoped) -> String {
    let row = s
        .find::<transcription_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    app::services::channels::transcription::open(&app.state, row)
        .unwrap()
        .hook_secret
}

/// Makes every waiting job due (the poll's backoff, without waiting).
async fn due_now(app: &TestApp) {
    System::new("tests bring jobs forward")
        .update_many::<job::Entity>()
        .col_expr(job::Column::RunAt, Expr::value(chrono::Utc::now()))
        .filter(job::Column::Status.eq("pending"))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn call_recordings_without_a_transcript_are_transcribed(b: Backend) {
    use common::retell::{sign, FakeRetell, KEY as RETELL_KEY};
    let app = TestApp::new(b).await;
    let fake = FakeAssembly::start().await;
    let retell = FakeRetell::start().await;
    let (mut a, _) = connect(&app, "tc", &fake).await;
    let r = a
        .owner
        .call_json(
            path::<SaveVoiceSettings>(),
            &json!({ "form": {
                "api_key": RETELL_KEY, "api_base": retell.base, "agent_id": "agent_123",
                "retention_days": 30, "provider_summary": false, "agent_config": "{}",
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = a.scope;
    let voice_token = s
        .find::<voice_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hook_token;
    let ended = json!({"event": "call_ended", "call": {
        "call_id": "call_77", "direction": "inbound", "from_number": "+15553330077",
        "to_number": "+15550009000", "start_timestamp": 1_765_000_000_000_i64,
        "end_timestamp": 1_765_000_090_000_i64, "transcript": "",
        "recording_url": "https://recordings.retell.test/call_77.wav",
    }})
    .to_string();
    let sig = sign(RETELL_KEY, &ended, chrono::Utc::now().timestamp_millis());
    let res = hook(
        &app,
        &format!("/hooks/retell/{voice_token}"),
        Some(("X-Retell-Signature", &sig)),
        &ended,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let conv = res.json()["conversation_id"].as_i64().unwrap() as i32;
    app.run_jobs().await;
    // The recording's own URL goes to the provider: nothing is uploaded.
    let subs = fake.submitted();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0].body["audio_url"],
        "https://recordings.retell.test/call_77.wav"
    );
    assert!(fake.uploads().is_empty());
    let labelled = |label: &'static str| {
        let db = app.state.db.clone();
        async move {
            s.find::<message::Entity>()
                .filter(message::Column::ConversationId.eq(conv))
                .filter(message::Column::AuthorLabel.eq(label))
                .count(&db)
                .await
                .unwrap()
        }
    };
    // The summary waits for the transcript.
    assert_eq!(labelled("Call summary (built-in)").await, 0);
    fake.complete("tr_0001", "Agent: Acme Outdoor, how can I help?\nUser: My stove will not light. I bought it last week.\nAgent: I will send a replacement valve today.", 31.0);
    notify(&app, &fake, "tr_0001").await;
    app.run_jobs().await;
    assert_eq!(labelled("Call transcript").await, 1);
    assert_eq!(labelled("Call summary (built-in)").await, 1);
    let call = s
        .find::<entity::phone_call::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(call.transcript.unwrap().contains("stove will not light"));
    assert!(call.summary.is_some());

    // A recording the service cannot transcribe still gets the built-in summary.
    let ended = ended.replace("call_77", "call_88");
    let sig = sign(RETELL_KEY, &ended, chrono::Utc::now().timestamp_millis());
    let res = hook(
        &app,
        &format!("/hooks/retell/{voice_token}"),
        Some(("X-Retell-Signature", &sig)),
        &ended,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    app.run_jobs().await;
    fake.fail("tr_0002", "Transcoding failed: the file is corrupt.");
    notify(&app, &fake, "tr_0002").await;
    app.run_jobs().await;
    let failed = s
        .find::<entity::phone_call::Entity>()
        .filter(entity::phone_call::Column::CallId.eq("call_88"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(failed.summary.is_some(), "summarised without a transcript");
    let t = s
        .find::<transcript::Entity>()
        .filter(transcript::Column::PhoneCallId.eq(failed.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.status, "error");
    assert_eq!(
        t.error.as_deref(),
        Some("Transcoding failed: the file is corrupt.")
    );
    app.finish().await;
}

backend_tests!(
    voice_notes_are_transcribed_with_their_status,
    call_recordings_without_a_transcript_are_transcribed,
);
