//! The customer portal (issue 18 point 5): a customer signs in to the help
//! center by magic link — only with an address the workspace has verified as
//! theirs, the same answer either way — and sees their conversations on
//! every channel (email and SMS here, one person by the identifier rules),
//! public replies only; replies and new requests go through the inbound
//! path, a form sent twice adds one message; another customer's
//! conversation and another workspace's portal stay closed. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::channels::inbound::{self, InboundMessage, Sender, ThreadHint};
use app::services::context::RequestMeta;
use app::services::inbox::{customers, messages};
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind, MessageKind};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{form, latest_link_token, workspace, Backend, TestApp};
use entity::{conversation, email, message};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};

async fn slug_of(app: &TestApp, s: Scoped) -> String {
    app::services::kb::structure::default_brand(&app.state.db, s)
        .await
        .unwrap()
        .slug
}

fn post(path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(pairs)))
        .unwrap()
}

async fn write_in(
    app: &TestApp,
    s: Scoped,
    channel: Channel,
    from: (IdentifierKind, &str),
    id: &str,
    text: &str,
) -> inbound::Receipt {
    let mut m = InboundMessage::new(
        channel,
        id.into(),
        Sender {
            kind: from.0,
            value: from.1.into(),
            name: Some("Ann Lee".into()),
        },
        text.into(),
    );
    m.subject = text.into();
    if matches!(channel, Channel::Sms) {
        m.thread = ThreadHint {
            latest_on_channel: Some(Channel::Sms),
            ..ThreadHint::default()
        };
    }
    inbound::receive(&app.state, s, m).await.unwrap()
}

async fn text_subject(app: &TestApp, s: Scoped, id: i32) -> String {
    s.find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .subject
}

async fn links_sent(app: &TestApp, to: &str) -> u64 {
    System::new("tests read the outbox")
        .find::<email::Entity>()
        .filter(email::Column::ToAddress.eq(to))
        .filter(email::Column::Kind.eq("portal_sign_in"))
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn customer_replies(app: &TestApp, s: Scoped, conversation_id: i32) -> u64 {
    s.find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::AuthorCustomerId.is_not_null())
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn customers_see_every_channel_and_answer_from_the_portal(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@help.test", "Help").await;
    let other = workspace(&app, "owner@other.test", "Other").await;
    let s = ws.scope;
    let slug = slug_of(&app, s).await;
    let other_slug = slug_of(&app, other.scope).await;
    let meta = RequestMeta::default();

    // Ann writes by email, then texts from a number the agent put on her
    // profile: one customer, two channels. Ben writes too; a chat visitor
    // typed an address without proving it.
    let mail = write_in(
        &app,
        s,
        Channel::Email,
        (IdentifierKind::Email, "ann@example.com"),
        "email:a1",
        "Where is my parcel?",
    )
    .await;
    customers::add_identifier(
        &app.state,
        &ws.actor,
        mail.customer_id,
        IdentifierKind::Phone,
        "+15551230001",
        &meta,
    )
    .await
    .unwrap();
    let text = write_in(
        &app,
        s,
        Channel::Sms,
        (IdentifierKind::Phone, "+15551230001"),
        "sms:SM1",
        "Also: can I change the address?",
    )
    .await;
    assert_eq!(text.customer_id, mail.customer_id);
    assert_ne!(text.conversation_id, mail.conversation_id);
    let bens = write_in(
        &app,
        s,
        Channel::Email,
        (IdentifierKind::Email, "ben@example.com"),
        "email:b1",
        "Ben's secret order",
    )
    .await;
    let visitor = write_in(
        &app,
        s,
        Channel::Chat,
        (IdentifierKind::Chat, "visitor-1"),
        "chat:v1:1",
        "hello",
    )
    .await;
    customers::claim_identifier(
        &app.state.db,
        s,
        visitor.customer_id,
        IdentifierKind::Email,
        "cat@example.com",
    )
    .await
    .unwrap();
    // The agent answers Ann by email and leaves a note she must not see.
    for (kind, body) in [
        (MessageKind::Reply, "It left our warehouse today."),
        (MessageKind::Note, "Internal: courier is slow this week"),
    ] {
        messages::add(
            &app.state,
            &ws.actor,
            mail.conversation_id,
            messages::NewMessage {
                kind,
                body_text: body.into(),
                ..Default::default()
            },
            None,
            true,
        )
        .await
        .unwrap();
    }

    let base = format!("/help/{slug}/portal");
    let mut ann = app.client();
    let r = ann.get(&base).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("data-testid=\"portal-sign-in\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("noindex"));
    let r = ann
        .send(post(
            &format!("{base}/sign-in"),
            &[("email", "not an address")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("valid email address"), "{}", r.body);

    // Unknown, unverified and known addresses read the same; only the
    // verified one gets a link.
    for who in ["nobody@example.com", "cat@example.com", "Ann@Example.com"] {
        let r = ann
            .send(post(&format!("{base}/sign-in"), &[("email", who)]))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
        assert!(r.body.contains("data-testid=\"portal-link-sent\""), "{who}");
    }
    assert_eq!(links_sent(&app, "nobody@example.com").await, 0);
    assert_eq!(links_sent(&app, "cat@example.com").await, 0);
    assert_eq!(links_sent(&app, "ann@example.com").await, 1);
    let token = latest_link_token(&app, "ann@example.com", "verify?token=").await;

    // Opening the link signs nobody in; another workspace does not take it.
    // The help center embeds the chat widget, the link's page does not (the
    // widget reports page addresses, and this one carries the token).
    s.update_many::<entity::kb_brand::Entity>()
        .col_expr(
            entity::kb_brand::Column::WidgetKey,
            sea_orm::sea_query::Expr::value("pk_portal_test"),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
    assert!(ann
        .get(&format!("/help/{slug}/en"))
        .await
        .body
        .contains("/widget.js"));
    let r = ann.get(&format!("{base}/verify?token={token}")).await;
    assert!(r.body.contains("data-testid=\"portal-use-link\""));
    assert!(!r.body.contains("/widget.js"), "{}", r.body);
    assert!(ann.get(&base).await.body.contains("portal-sign-in"));
    let r = ann
        .send(post(
            &format!("/help/{other_slug}/portal/verify"),
            &[("token", &token)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = ann
        .send(post(&format!("{base}/verify"), &[("token", &token)]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains(&format!("Path=/help/{slug}/portal")),
        "{cookie}"
    );

    // Both of Ann's conversations, on their channels; not Ben's.
    let r = ann.get(&base).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CACHE_CONTROL).unwrap(),
        "private, no-store"
    );
    assert!(r.body.contains("ann@example.com"), "{}", r.body);
    assert!(r.body.contains("data-channel=\"email\""), "{}", r.body);
    assert!(r.body.contains("data-channel=\"sms\""), "{}", r.body);
    assert!(r.body.contains("Where is my parcel?"));
    assert!(!r.body.contains("Ben&#x27;s secret") && !r.body.contains("Ben's secret"));

    // The thread shows public replies only.
    let r = ann
        .get(&format!("{base}/c/{}", mail.conversation_number))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("It left our warehouse today."),
        "{}",
        r.body
    );
    assert!(!r.body.contains("courier is slow"));
    // Ben's conversation, or a made-up number, is not found.
    assert_eq!(
        ann.get(&format!("{base}/c/{}", bens.conversation_number))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ann.get(&format!("{base}/c/99999")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ann.get(&format!("{base}/c/nope")).await.status,
        StatusCode::NOT_FOUND
    );

    // A reply lands in the conversation once, however often the form is sent.
    let reply = format!("{base}/c/{}/reply", mail.conversation_number);
    let key = "k".repeat(24);
    let r = ann
        .send(post(&reply, &[("body", "  "), ("key", &key)]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Write a message first."), "{}", r.body);
    let before = customer_replies(&app, s, mail.conversation_id).await;
    for _ in 0..2 {
        let r = ann
            .send(post(
                &reply,
                &[("body", "Thanks! Please ring first."), ("key", &key)],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            r.headers.get(header::LOCATION).unwrap(),
            &format!("{base}/c/{}", mail.conversation_number)
        );
    }
    assert_eq!(
        customer_replies(&app, s, mail.conversation_id).await,
        before + 1
    );
    let r = ann
        .send(post(&reply, &[("body", "again"), ("key", "short")]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Replying to Ben's conversation is refused and writes nothing.
    let r = ann
        .send(post(
            &format!("{base}/c/{}/reply", bens.conversation_number),
            &[("body", "hi"), ("key", &"z".repeat(24))],
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(customer_replies(&app, s, bens.conversation_id).await, 1);

    // A new request opens a conversation of Ann's.
    let r = ann
        .send(post(
            &format!("{base}/new"),
            &[
                ("subject", "Invoice copy"),
                ("body", "Could you send my invoice?"),
                ("key", &"n".repeat(24)),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let opened = s
        .find::<conversation::Entity>()
        .filter(conversation::Column::Subject.eq("Invoice copy"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.customer_id, mail.customer_id);
    assert_eq!(opened.channel, "web_form");
    let r = ann
        .send(post(
            &format!("{base}/new"),
            &[("subject", ""), ("body", "x"), ("key", &"m".repeat(24))],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("subject"), "{}", r.body);

    // A reply on a closed conversation opens a new web-form request (the SMS
    // thread is not reopened from here).
    app::services::inbox::conversations::update(
        &app.state,
        &ws.actor,
        text.conversation_id,
        app::services::inbox::conversations::ConversationPatch {
            status: Some(app::types::Status::Closed),
            ..Default::default()
        },
        &meta,
    )
    .await
    .unwrap();
    let r = ann
        .send(post(
            &format!("{base}/c/{}/reply", text.conversation_number),
            &[
                ("body", "One more thing about the address."),
                ("key", &"c".repeat(24)),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let followed = s
        .find::<conversation::Entity>()
        .filter(conversation::Column::Subject.eq(text_subject(&app, s, text.conversation_id).await))
        .filter(conversation::Column::Id.ne(text.conversation_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a new conversation");
    assert_eq!(followed.channel, "web_form");
    assert_eq!(followed.customer_id, mail.customer_id);

    // The session does not open another workspace's portal.
    let session = ann.cookie.clone().unwrap();
    let mut elsewhere = app.client();
    elsewhere.cookie = Some(session.clone());
    assert!(elsewhere
        .get(&format!("/help/{other_slug}/portal"))
        .await
        .body
        .contains("portal-sign-in"));

    // A link works once; signing out ends the session.
    let mut again = app.client();
    let r = again
        .send(post(&format!("{base}/verify"), &[("token", &token)]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("already used"), "{}", r.body);
    let r = ann.send(post(&format!("{base}/sign-out"), &[])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    again.cookie = Some(session);
    assert!(again.get(&base).await.body.contains("portal-sign-in"));
    assert_eq!(
        again.get("/help/nowhere/portal").await.status,
        StatusCode::NOT_FOUND
    );
    app.finish().await;
}

backend_tests!(customers_see_every_channel_and_answer_from_the_portal);
