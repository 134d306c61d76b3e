//! Knowledge base, help center, deflection and the AI agent, on SQLite and
//! PostgreSQL: articles with revisions, diff, restore and translations; retrieval
//! (internal articles never reach customers); the public help center (locale
//! negotiation, SEO, sitemap, feedback); suggestions while writing; the
//! resolution pipeline (answers quoting the knowledge base with a link,
//! guardrail escalations with reason codes and assignment, clarify then
//! `no_kb_match`, PII blocking, sentiment priority, the polite apology on an
//! internal error); agent assist; AI settings with sealed keys and a provider
//! checked against a local OpenAI-compatible server; metering; workspace
//! isolation.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::ai::{AiOverview, AssistDraft, AssistSummary, ConversationAi, SaveAiSettings};
use app::serverfns::auth::GetSession;
use app::serverfns::kb::{
    ArticleDiff, ArticleRevisions, GetArticle, ListArticles, RestoreRevision, SaveArticle,
    SaveBrand, SupportSuggest, SupportSuggestOpen,
};
use app::services::ai::{extractive, pipeline, settings};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::context::{load_actor, Actor};
use app::services::kb::search::{self, Audience};
use app::services::kb::{deflection, structure};
use app::services::tenancy::Scoped;
use app::types::{Channel, IdentifierKind};
use axum::http::{header, Request, StatusCode};
use common::llm::{fake_openai, provider_form};
use common::{fns::path, sign_up, Backend, Client, TestApp};
use entity::{ai_run, conversation, job, message};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder};

struct Ws {
    c: Client,
    id: i32,
    actor: Actor,
}

async fn workspace(app: &TestApp, email: &str, name: &str) -> Ws {
    let mut c = sign_up(app, "Olga Owner", email, name).await;
    let s = c.call(path::<GetSession>(), &[]).await.json();
    let id = s["workspace"]["id"].as_i64().unwrap() as i32;
    let user_id = s["user_id"].as_i64().unwrap() as i32;
    let actor = load_actor(&app.state.db, user_id, id).await.unwrap();
    Ws { c, id, actor }
}

/// A workspace with the demo knowledge base and the AI agent on for chat and email.
async fn with_kb(app: &TestApp, email: &str, name: &str) -> Ws {
    let ws = workspace(app, email, name).await;
    switchboard_server::seed::seed_knowledge_base(&app.state, &ws.actor)
        .await
        .unwrap();
    settings::enable_builtin(&app.state.db, Scoped::new(ws.id), &["chat", "email"])
        .await
        .unwrap();
    ws
}

async fn brand_slug(app: &TestApp, ws: &Ws) -> String {
    structure::default_brand(&app.state.db, Scoped::new(ws.id))
        .await
        .unwrap()
        .slug
}

fn article_pairs<'a>(
    category: &'a str,
    title: &'a str,
    body: &'a str,
    publish: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", "0"),
        ("form[category_id]", category),
        ("form[title]", title),
        ("form[slug]", ""),
        ("form[summary]", "How to keep a tent dry."),
        ("form[body_html]", body),
        ("form[internal]", "false"),
        ("form[publish]", publish),
        ("form[locale]", "en"),
        ("form[note]", ""),
    ]
}

/// The same customer's next chat message in conversation `conversation_id`,
/// through the real inbound path, then the jobs.
async fn customer_follows_up(app: &TestApp, ws: &Ws, conversation_id: i32, who: &str, text: &str) {
    let mut m = InboundMessage::new(
        Channel::Chat,
        format!("test:{who}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: format!("{who}@customer.test"),
            name: None,
        },
        text.to_owned(),
    );
    m.thread.conversation_id = Some(conversation_id);
    inbound::receive(&app.state, Scoped::new(ws.id), m)
        .await
        .unwrap();
    app.run_jobs().await;
}

/// A customer message on `channel` through the real inbound path, then the jobs.
async fn customer_says(
    app: &TestApp,
    ws: &Ws,
    channel: Channel,
    who: &str,
    text: &str,
) -> inbound::Receipt {
    let mut m = InboundMessage::new(
        channel,
        format!("test:{who}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: format!("{who}@customer.test"),
            name: Some(format!("{who} Customer")),
        },
        text.to_owned(),
    );
    m.subject = text.chars().take(40).collect();
    let r = inbound::receive(&app.state, Scoped::new(ws.id), m)
        .await
        .unwrap();
    app.run_jobs().await;
    r
}

async fn last_run(app: &TestApp, ws: &Ws, conversation_id: i32) -> ai_run::Model {
    Scoped::new(ws.id)
        .find::<ai_run::Entity>()
        .filter(ai_run::Column::ConversationId.eq(conversation_id))
        .filter(ai_run::Column::Purpose.eq("inbound"))
        .order_by_desc(ai_run::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("an AI run")
}

async fn conv(app: &TestApp, ws: &Ws, id: i32) -> conversation::Model {
    Scoped::new(ws.id)
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn ai_messages(app: &TestApp, ws: &Ws, conversation_id: i32) -> Vec<message::Model> {
    Scoped::new(ws.id)
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Direction.eq("outbound"))
        .filter(message::Column::AuthorUserId.is_null())
        .order_by_asc(message::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

fn tools(run: &ai_run::Model) -> Vec<String> {
    let steps: Vec<serde_json::Value> = serde_json::from_str(&run.steps).unwrap();
    steps
        .iter()
        .map(|s| s["tool"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------

async fn articles_revise_translate_and_index(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@kb.test", "KB Co").await;
    let col = structure::create_collection(&app.state.db, &ws.actor, None, "Help", "")
        .await
        .unwrap();
    let cat = structure::create_category(&app.state.db, &ws.actor, col.id, "Tents", "")
        .await
        .unwrap();
    let cat_id = cat.id.to_string();

    // Bad input: 422 naming the field, nothing written.
    let r =
        ws.c.call(
            path::<SaveArticle>(),
            &article_pairs(&cat_id, "Hi", "<p>Some real text here.</p>", "true"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("title"), "{}", r.body);
    let r =
        ws.c.call(
            path::<SaveArticle>(),
            &article_pairs(&cat_id, "Dry tents", "<p></p>", "true"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        ws.c.call(path::<ListArticles>(), &[("query", ""), ("status", "")])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // A draft is not searchable; publishing indexes it (script tags are stripped).
    let body = "<p>Keep the tent dry.</p><h2>Seam sealing</h2><p>Seal the seams of the rainfly once a year with seam sealer.</p><script>alert(1)</script>";
    let r =
        ws.c.call(
            path::<SaveArticle>(),
            &article_pairs(&cat_id, "Waterproof your tent", body, "false"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = r.json();
    let id = a["summary"]["id"].as_i64().unwrap() as i32;
    assert!(!a["body_html"].as_str().unwrap().contains("script"));
    assert!(a["body_html"]
        .as_str()
        .unwrap()
        .contains("id=\"seam-sealing\""));
    let scope = Scoped::new(ws.id);
    let hits = search::retrieve(
        &app.state.db,
        scope,
        "how to seal tent seams",
        Audience::Customer,
        "en",
        5,
        None,
    )
    .await
    .unwrap();
    assert!(hits.is_empty(), "drafts are not retrieved");
    let pid = id.to_string();
    let mut publish = article_pairs(&cat_id, "Waterproof your tent", body, "true");
    publish[0] = ("id", &pid);
    assert_eq!(
        ws.c.call(path::<SaveArticle>(), &publish).await.status,
        StatusCode::OK
    );
    let hits = search::retrieve(
        &app.state.db,
        scope,
        "how to seal tent seams",
        Audience::Customer,
        "en",
        5,
        None,
    )
    .await
    .unwrap();
    assert_eq!(hits[0].article_id, id);
    assert_eq!(hits[0].heading, "Seam sealing");
    assert!(
        hits[0]
            .url
            .ends_with("/en/articles/waterproof-your-tent#seam-sealing"),
        "{}",
        hits[0].url
    );

    // Edit: revision 3; the diff names the changed line; restore brings revision 2 back.
    let edited = "<p>Keep the tent dry.</p><h2>Seam sealing</h2><p>Seal the seams twice a year with silicone sealer.</p>";
    let mut edit = article_pairs(&cat_id, "Waterproof your tent", edited, "true");
    edit[0] = ("id", &pid);
    assert_eq!(
        ws.c.call(path::<SaveArticle>(), &edit).await.status,
        StatusCode::OK
    );
    let revs =
        ws.c.call(path::<ArticleRevisions>(), &[("id", &pid)])
            .await
            .json();
    assert_eq!(revs.as_array().unwrap().len(), 3);
    let d =
        ws.c.call(
            path::<ArticleDiff>(),
            &[("id", &pid), ("from", "2"), ("to", "3")],
        )
        .await
        .json();
    assert_eq!(
        (d["added"].as_u64(), d["removed"].as_u64()),
        (Some(1), Some(1)),
        "{d}"
    );
    let lines = d["lines"].as_array().unwrap();
    assert!(lines
        .iter()
        .any(|l| l["kind"] == "removed" && l["text"].as_str().unwrap().contains("once a year")));
    assert!(lines
        .iter()
        .any(|l| l["kind"] == "added" && l["text"].as_str().unwrap().contains("twice a year")));
    let r =
        ws.c.call(path::<RestoreRevision>(), &[("id", &pid), ("number", "2")])
            .await
            .json();
    assert_eq!(r["summary"]["revision"], 4);
    assert!(r["body_html"].as_str().unwrap().contains("once a year"));
    let hits = search::retrieve(
        &app.state.db,
        scope,
        "silicone sealer",
        Audience::Customer,
        "en",
        5,
        None,
    )
    .await
    .unwrap();
    assert!(
        hits.iter().all(|h| !h.text.contains("silicone")),
        "the index follows the restore"
    );

    // A translation: same family, its own locale, one per language.
    let mut tr = article_pairs(
        &cat_id,
        "Zelt imprägnieren",
        "<p>Halten Sie das Zelt trocken und versiegeln Sie die Nähte einmal im Jahr.</p>",
        "true",
    );
    tr[8] = ("form[locale]", "de");
    tr.push(("form[parent_id]", &pid));
    let r = ws.c.call(path::<SaveArticle>(), &tr).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json()["summary"]["parent_id"].as_i64(),
        Some(i64::from(id))
    );
    let again = ws.c.call(path::<SaveArticle>(), &tr).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let orig =
        ws.c.call(path::<GetArticle>(), &[("id", &pid)])
            .await
            .json();
    assert_eq!(orig["summary"]["locales"], serde_json::json!(["de", "en"]));
    let de = search::retrieve(
        &app.state.db,
        scope,
        "Nähte versiegeln",
        Audience::Customer,
        "de",
        5,
        None,
    )
    .await
    .unwrap();
    assert_eq!(de.len(), 1);

    // Internal articles: agents retrieve them, customers never.
    let mut internal = article_pairs(
        &cat_id,
        "Refund approvals",
        "<p>Team leads approve refunds above the usual limit after checking the order.</p>",
        "true",
    );
    internal[6] = ("form[internal]", "true");
    assert_eq!(
        ws.c.call(path::<SaveArticle>(), &internal).await.status,
        StatusCode::OK
    );
    let q = "who approves refunds above the limit";
    assert!(
        search::retrieve(&app.state.db, scope, q, Audience::Customer, "en", 5, None)
            .await
            .unwrap()
            .is_empty()
    );
    let agent = search::retrieve(&app.state.db, scope, q, Audience::Agent, "en", 5, None)
        .await
        .unwrap();
    assert!(agent[0].internal && agent[0].url.contains("/app/kb/articles/"));

    // Brand theme: a bad colour is refused with the field.
    let r =
        ws.c.call(
            path::<SaveBrand>(),
            &[
                ("id", "0"),
                ("form[name]", "Second"),
                ("form[slug]", "second"),
                ("form[logo_url]", ""),
                ("form[primary_color]", "blue"),
                ("form[accent_color]", "#000000"),
                ("form[custom_css]", ""),
                ("form[default_locale]", "en"),
                ("form[locales]", "en"),
                ("form[embed_widget]", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("primary_color"), "{}", r.body);
    app.finish().await;
}

async fn help_center_is_public_seo_friendly_and_counts_feedback(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = with_kb(&app, "olga@hc.test", "Help Co").await;
    let slug = brand_slug(&app, &ws).await;
    let mut visitor = app.client();

    let r = visitor
        .send(
            Request::get(format!("/help/{slug}"))
                .header(header::ACCEPT_LANGUAGE, "de-CH,de;q=0.9,en;q=0.5")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        r.headers.get(header::LOCATION).unwrap(),
        &format!("/help/{slug}/de")
    );
    let r = visitor
        .send(
            Request::get(format!("/help/{slug}"))
                .header(header::ACCEPT_LANGUAGE, "ja")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.headers.get(header::LOCATION).unwrap(),
        &format!("/help/{slug}/en"),
        "falls back to the default"
    );

    let home = visitor.get(&format!("/help/{slug}/en")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("Orders &amp; shipping"),
        "categories listed"
    );
    assert!(home.body.contains("\"SearchAction\""));
    assert!(
        !home.body.contains("Agent handbook"),
        "internal collection hidden"
    );

    let page = visitor
        .get(&format!("/help/{slug}/en/articles/track-your-order"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("<link rel=\"canonical\" href=\"http://localhost/help/{slug}/en/articles/track-your-order\"")), "{}", &page.body[..page.body.len().min(1500)]);
    assert!(page.body.contains("hreflang=\"de\"") && page.body.contains("hreflang=\"fr\""));
    assert!(page.body.contains("\"@type\":\"Article\""));
    assert!(page.body.contains("<meta name=\"description\""));
    assert_eq!(
        visitor
            .get(&format!("/help/{slug}/de/articles/track-your-order"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        visitor
            .get(&format!("/help/{slug}/en/articles/refund-approval-process"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "internal article"
    );
    assert_eq!(
        visitor.get("/help/no-such-center/en").await.status,
        StatusCode::NOT_FOUND
    );

    let sitemap = visitor.get(&format!("/help/{slug}/sitemap.xml")).await;
    assert_eq!(sitemap.status, StatusCode::OK);
    assert!(sitemap.body.contains(&format!(
        "http://localhost/help/{slug}/en/articles/track-your-order"
    )));
    assert!(sitemap.body.contains("hreflang=\"fr\""));
    assert!(!sitemap.body.contains("refund-approval-process"));

    let search = visitor
        .get(&format!("/help/{slug}/en/search?q=where+is+my+package"))
        .await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(
        search.body.contains("Track your order") || search.body.contains("missing"),
        "search finds tracking"
    );

    // Feedback: a vote, a comment, then back to the article; bad votes are refused.
    let a = Scoped::new(ws.id)
        .find::<entity::kb_article::Entity>()
        .filter(entity::kb_article::Column::Slug.eq("track-your-order"))
        .filter(entity::kb_article::Column::Locale.eq("en"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let form = |helpful: &str| {
        format!("article_id={}&helpful={helpful}&comment=Needs+a+picture&locale=en&article_slug=track-your-order", a.id)
    };
    let post = |body: String| {
        Request::post(format!("/help/{slug}/feedback"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://localhost")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let r = visitor.send(post(form("no"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .ends_with("?feedback=no"));
    assert_eq!(
        visitor.send(post(form("maybe"))).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let after = Scoped::new(ws.id)
        .find::<entity::kb_article::Entity>()
        .filter(entity::kb_article::Column::Id.eq(a.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.helpful, after.not_helpful), (0, 1));
    assert_eq!(after.views, 1, "page views counted");
    app.finish().await;
}

async fn suggestions_while_writing_measure_deflection(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = with_kb(&app, "olga@defl.test", "Deflect Co").await;
    let ws_slug: String = app::services::tenancy::global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(ws.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .slug
        .unwrap();
    let mut visitor = app.client();
    let r = visitor
        .call(
            path::<SupportSuggest>(),
            &[
                ("slug", &ws_slug),
                ("text", "how do I reset my password"),
                ("deflection", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let session = v["session"].as_str().unwrap().to_owned();
    let hits = v["hits"].as_array().unwrap();
    assert!(
        hits[0]["url"]
            .as_str()
            .unwrap()
            .contains("reset-your-password"),
        "{v}"
    );
    assert!(hits.iter().all(|h| h["internal"] == false));
    let article = hits[0]["article_id"].as_i64().unwrap().to_string();
    let r = visitor
        .call(
            path::<SupportSuggestOpen>(),
            &[
                ("slug", &ws_slug),
                ("deflection", &session),
                ("article_id", &article),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Opening an article never suggested is refused.
    let r = visitor
        .call(
            path::<SupportSuggestOpen>(),
            &[
                ("slug", &ws_slug),
                ("deflection", &session),
                ("article_id", "999999"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A second writer is suggested articles and sends a ticket anyway.
    let scope = Scoped::new(ws.id);
    let s2 = deflection::suggest(
        &app.state.db,
        scope,
        "web_form",
        None,
        "where is my order, tracking has not moved",
        "en",
    )
    .await
    .unwrap();
    assert!(!s2.hits.is_empty());
    deflection::submitted(&app.state.db, scope, Some(&s2.session), 1)
        .await
        .unwrap();
    let stats = deflection::stats(
        &app.state.db,
        scope,
        chrono::Utc::now() - chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            stats.suggested,
            stats.opened,
            stats.submitted,
            stats.deflected
        ),
        (2, 1, 1, 1)
    );
    assert!((stats.rate - 0.5).abs() < 1e-9);
    let o =
        ws.c.call(path::<AiOverview>(), &[("days", "7")])
            .await
            .json();
    assert_eq!(o["total"]["deflections"], 1, "{o}");
    app.finish().await;
}

async fn pipeline_answers_from_the_kb_and_records_every_step(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = with_kb(&app, "olga@ai.test", "AI Co").await;
    let r = customer_says(
        &app,
        &ws,
        Channel::Chat,
        "ana",
        "How can I track my order? It shipped yesterday.",
    )
    .await;
    // The run was a durable job, enqueued with the message.
    let jobs = Scoped::new(ws.id)
        .find::<job::Entity>()
        .filter(job::Column::IdempotencyKey.eq(format!("ai:{}", r.message_id)))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(jobs, 1);
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(run.decision, "answer", "{}", run.steps);
    assert!(run.sent);
    assert_eq!(
        tools(&run),
        [
            "ticket",
            "customer_history",
            "guardrails",
            "knowledge_search",
            "decide",
            "pii_check",
            "respond"
        ]
    );
    let reply = ai_messages(&app, &ws, r.conversation_id)
        .await
        .pop()
        .unwrap();
    assert!(
        reply.body_text.contains("/articles/track-your-order"),
        "{}",
        reply.body_text
    );
    // Every quoted sentence is in the article.
    let art = Scoped::new(ws.id)
        .find::<entity::kb_article::Entity>()
        .filter(entity::kb_article::Column::Slug.eq("track-your-order"))
        .filter(entity::kb_article::Column::Locale.eq("en"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let quoted = reply.body_text.split("\n\n").nth(1).unwrap();
    let passage = extractive::Passage {
        title: art.title.clone(),
        heading: String::new(),
        text: art.body_text.clone(),
        url: String::new(),
        score: 1.0,
    };
    for s in app::services::ai::textutil::split_sentences(quoted) {
        assert!(
            extractive::is_supported(&s, std::slice::from_ref(&passage)),
            "not in the article: {s}"
        );
    }
    let c = conv(&app, &ws, r.conversation_id).await;
    assert_eq!(c.ai_state.as_deref(), Some("answered"));
    // The pane sees the run and its steps.
    let v =
        ws.c.call(
            path::<ConversationAi>(),
            &[("conversation_id", &r.conversation_id.to_string())],
        )
        .await
        .json();
    assert_eq!(v["state"], "answered");
    assert_eq!(v["runs"][0]["steps"].as_array().unwrap().len(), 7);
    // Running the job again changes nothing (idempotent).
    assert_eq!(
        pipeline::run(
            &app.state,
            Scoped::new(ws.id),
            r.conversation_id,
            r.message_id
        )
        .await
        .unwrap(),
        None
    );
    // "Thanks, that helped" confirms: an AI resolution.
    let mut m = InboundMessage::new(
        Channel::Chat,
        "test:ana:thanks".into(),
        Sender {
            kind: IdentifierKind::Email,
            value: "ana@customer.test".into(),
            name: None,
        },
        "Thanks, that helped!".into(),
    );
    m.thread.conversation_id = Some(r.conversation_id);
    inbound::receive(&app.state, Scoped::new(ws.id), m)
        .await
        .unwrap();
    app.run_jobs().await;
    let c = conv(&app, &ws, r.conversation_id).await;
    assert_eq!(c.ai_state.as_deref(), Some("resolved"));
    assert_eq!(c.status, "solved");
    let o =
        ws.c.call(path::<AiOverview>(), &[("days", "7")])
            .await
            .json();
    assert_eq!(o["total"]["resolutions"], 1, "{o}");
    assert_eq!(o["total"]["answers"], 1);
    assert!(o["daily_chart"]
        .as_str()
        .unwrap()
        .contains("AI resolutions"));
    app.finish().await;
}

async fn guardrails_escalate_with_reasons_and_assign(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = with_kb(&app, "olga@guard.test", "Guard Co").await;
    for (who, text, reason) in [
        (
            "r1",
            "The zipper broke after a week. I want my money back.",
            "refund",
        ),
        ("r2", "How much does shipping to Canada cost?", "pricing"),
        (
            "r3",
            "My lawyer will be in touch about this order.",
            "legal",
        ),
        ("r4", "Can I please talk to a real person?", "human_request"),
        (
            "r5",
            "This is the worst, most useless service ever. Absolutely furious and disgusted.",
            "negative_sentiment",
        ),
    ] {
        let r = customer_says(&app, &ws, Channel::Chat, who, text).await;
        let run = last_run(&app, &ws, r.conversation_id).await;
        assert_eq!(run.decision, "escalate", "{text}: {}", run.steps);
        assert_eq!(run.reason_code.as_deref(), Some(reason), "{text}");
        assert!(
            !tools(&run).contains(&"knowledge_search".to_owned()),
            "guardrails escalate before retrieval"
        );
        let c = conv(&app, &ws, r.conversation_id).await;
        assert_eq!(
            (c.ai_state.as_deref(), c.ai_reason.as_deref()),
            (Some("escalated"), Some(reason))
        );
        assert_eq!(
            c.assignee_id,
            Some(ws.actor.user_id),
            "assigned to the only agent"
        );
        let told = ai_messages(&app, &ws, r.conversation_id)
            .await
            .pop()
            .unwrap();
        assert!(
            told.body_text.contains("person") || told.body_text.contains("member of our team"),
            "{}",
            told.body_text
        );
        // Once handed off, the AI stays out.
        let mut m = InboundMessage::new(
            Channel::Chat,
            format!("test:{who}:again"),
            Sender {
                kind: IdentifierKind::Email,
                value: format!("{who}@customer.test"),
                name: None,
            },
            "How can I track my order?".into(),
        );
        m.thread.conversation_id = Some(r.conversation_id);
        inbound::receive(&app.state, Scoped::new(ws.id), m)
            .await
            .unwrap();
        app.run_jobs().await;
        assert_eq!(ai_messages(&app, &ws, r.conversation_id).await.len(), 1);
    }
    // Legal and upset customers get a higher priority.
    let upset = Scoped::new(ws.id)
        .find::<conversation::Entity>()
        .filter(conversation::Column::AiReason.eq("negative_sentiment"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(upset.priority, "high");
    // Mildly unhappy (0.3–0.5): answered, with the priority raised.
    let r = customer_says(
        &app,
        &ws,
        Channel::Chat,
        "m1",
        "My tent arrived with a broken pole, disappointed. How do I make a warranty claim?",
    )
    .await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert!(
        (0.3..0.5).contains(&run.sentiment),
        "sentiment {}",
        run.sentiment
    );
    assert_eq!(conv(&app, &ws, r.conversation_id).await.priority, "high");
    app.finish().await;
}

async fn a_clarifying_question_offers_articles_and_the_pick_answers(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = with_kb(&app, "pia@choices.test", "Choices Co").await;
    // Two articles match about equally: the engine asks, offering both.
    let r = customer_says(
        &app,
        &ws,
        Channel::Chat,
        "c1",
        "My return label expired before I could drop the box off",
    )
    .await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(run.decision, "clarify", "{}", run.steps);
    let asked = ai_messages(&app, &ws, r.conversation_id).await[0]
        .body_text
        .clone();
    let number = |title: &str| {
        asked
            .lines()
            .find_map(|l| l.strip_suffix(&format!(". {title}")))
            .map(str::to_owned)
    };
    let pick = number("Check your return status").expect(&asked);
    assert!(number("Return an item").is_some(), "{asked}");
    assert!(asked.ends_with('?'), "{asked}");

    // The customer picks it by number: the answer quotes that article.
    customer_follows_up(&app, &ws, r.conversation_id, "c1", &pick).await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(run.decision, "answer", "{}", run.steps);
    assert!(run.sent);
    assert!(
        run.steps.contains("picked “Check your return status”"),
        "{}",
        run.steps
    );
    let answer = ai_messages(&app, &ws, r.conversation_id)
        .await
        .pop()
        .unwrap()
        .body_text;
    assert!(answer.contains("check-your-return-status"), "{answer}");
    assert!(answer.contains("label"), "{answer}");
    app.finish().await;
}

async fn no_match_clarifies_then_escalates_and_errors_apologize(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = with_kb(&app, "olga@nomatch.test", "NoMatch Co").await;
    let r = customer_says(
        &app,
        &ws,
        Channel::Chat,
        "q1",
        "Do you sponsor climbing clubs in Alaska?",
    )
    .await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(run.decision, "clarify", "{}", run.steps);
    assert!(run.sent);
    assert!(ai_messages(&app, &ws, r.conversation_id).await[0]
        .body_text
        .ends_with('?'));
    customer_follows_up(
        &app,
        &ws,
        r.conversation_id,
        "q1",
        "A climbing club sponsorship for our youth team",
    )
    .await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(
        (run.decision.as_str(), run.reason_code.as_deref()),
        ("escalate", Some("no_kb_match")),
        "{}",
        run.steps
    );

    // An internal error (the index is gone) gives a polite apology, never the error.
    if b == Backend::Sqlite {
        use sea_orm::ConnectionTrait;
        app.state
            .db
            .execute_unprepared("DROP TABLE kb_chunks_fts")
            .await
            .unwrap();
    } else {
        use sea_orm::ConnectionTrait;
        app.state
            .db
            .execute_unprepared("ALTER TABLE kb_chunks RENAME TO kb_chunks_gone")
            .await
            .unwrap();
    }
    let r = customer_says(&app, &ws, Channel::Chat, "e1", "How do I wash my jacket?").await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(run.reason_code.as_deref(), Some("internal_error"));
    let told = ai_messages(&app, &ws, r.conversation_id)
        .await
        .pop()
        .unwrap();
    assert!(
        told.body_text
            .starts_with("Sorry, something went wrong on our side"),
        "{}",
        told.body_text
    );
    assert!(
        !told.body_text.to_lowercase().contains("sql") && !told.body_text.contains("kb_chunks")
    );
    app.finish().await;
}

/// A help-center article's own phone number goes out in an answer (it is the
/// workspace's, not personal data); a number or card the articles do not
/// publish holds the reply.
async fn published_details_go_out_and_personal_data_is_held(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@pii.test", "PII Co").await;
    let col = structure::create_collection(&app.state.db, &ws.actor, None, "Help", "")
        .await
        .unwrap();
    let cat = structure::create_category(&app.state.db, &ws.actor, col.id, "Contact", "")
        .await
        .unwrap();
    let cat_id = cat.id.to_string();
    let body =
        "<p>Call our warehouse manager directly on +1 (303) 555-0199 for pallet deliveries.</p>";
    let r =
        ws.c.call(
            path::<SaveArticle>(),
            &article_pairs(&cat_id, "Pallet deliveries", body, "true"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    settings::enable_builtin(&app.state.db, Scoped::new(ws.id), &["chat"])
        .await
        .unwrap();
    let r = customer_says(
        &app,
        &ws,
        Channel::Chat,
        "p1",
        "How do pallet deliveries work with your warehouse?",
    )
    .await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(run.reason_code, None, "{}", run.steps);
    assert!(
        run.steps.contains("1 published contact detail kept"),
        "{}",
        run.steps
    );
    let sent = ai_messages(&app, &ws, r.conversation_id).await;
    assert!(
        sent.iter().any(|m| m.body_text.contains("555-0199")),
        "the article's own number went out: {:?}",
        sent.iter().map(|m| &m.body_text).collect::<Vec<_>>()
    );

    // A provider's reply that adds a card number nobody published is held.
    let (base, _) = fake_openai(serde_json::json!({
        "decision": "answer",
        "reply": "Call +1 (303) 555-0199 for pallets; the card on file is 4111 1111 1111 1111.",
        "confidence": 0.9,
        "sources": [1]
    }))
    .await;
    let r =
        ws.c.call(
            path::<SaveAiSettings>(),
            &call(&provider_form(&base, "sk-test-1234567890abcd")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = customer_says(
        &app,
        &ws,
        Channel::Chat,
        "p2",
        "How do pallet deliveries work with your warehouse?",
    )
    .await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(
        run.reason_code.as_deref(),
        Some("pii_blocked"),
        "{}",
        run.steps
    );
    assert!(tools(&run).contains(&"pii_check".to_owned()));
    let sent = ai_messages(&app, &ws, r.conversation_id).await;
    assert!(
        sent.iter().all(|m| !m.body_text.contains("4111")),
        "the card number never went out"
    );
    assert!(run.reply_text.unwrap().contains("[redacted card number]"));
    app.finish().await;
}

async fn agent_assist_drafts_and_summarizes(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = with_kb(&app, "olga@assist.test", "Assist Co").await;
    settings::enable_builtin(&app.state.db, Scoped::new(ws.id), &[])
        .await
        .unwrap();
    let r = customer_says(&app, &ws, Channel::Email, "s1", "Hi, I need to change the shipping address on order #10023. Can you update it to 12 Pine Street? How long do I have to change it?").await;
    let id = r.conversation_id.to_string();
    let d =
        ws.c.call(
            path::<AssistDraft>(),
            &[("conversation_id", &id), ("tone", "formal")],
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let d = d.json();
    assert_eq!(d["engine"], "builtin");
    assert!(d["text"].as_str().unwrap().starts_with("Dear s1,"), "{d}");
    assert!(d["note"].as_str().unwrap().contains("Extractive"));
    assert!(!d["sources"].as_array().unwrap().is_empty());
    let bad =
        ws.c.call(
            path::<AssistDraft>(),
            &[("conversation_id", &id), ("tone", "sarcastic")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let s =
        ws.c.call(path::<AssistSummary>(), &[("conversation_id", &id)])
            .await
            .json();
    assert!(!s["key_points"].as_array().unwrap().is_empty(), "{s}");
    assert!(
        s["open_questions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q.as_str().unwrap().contains("How long")),
        "{s}"
    );
    assert!(
        s["action_items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q.as_str().unwrap().contains("update it")),
        "{s}"
    );
    app.finish().await;
}

async fn provider_settings_seal_the_key_and_answer_through_it(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = with_kb(&app, "olga@prov.test", "Provider Co").await;
    let (base, seen) = fake_openai(serde_json::json!({
        "decision": "answer",
        "reply": "You can track it from the shipping confirmation email: /help/x/en/articles/track-your-order",
        "confidence": 0.9,
        "sources": [1]
    }))
    .await;
    let form = provider_form;
    let bad = form("ftp://nope", "sk-test-1234567890");
    let r = ws.c.call(path::<SaveAiSettings>(), &call(&bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("base_url"));
    let good = form(&base, "sk-test-1234567890abcd");
    let r = ws.c.call(path::<SaveAiSettings>(), &call(&good)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["api_key_hint"], "sk-…abcd");
    assert!(!r.body.contains("1234567890"), "the key never comes back");
    let row = Scoped::new(ws.id)
        .find::<entity::ai_setting::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let sealed = row.api_key_sealed.unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains("sk-test"));

    let r = customer_says(&app, &ws, Channel::Chat, "pv", "How can I track my order?").await;
    let run = last_run(&app, &ws, r.conversation_id).await;
    assert_eq!(run.engine, "openai", "{}", run.steps);
    assert_eq!(run.decision, "answer");
    assert_eq!((run.tokens_in, run.tokens_out), (1200, 80));
    assert_eq!(
        run.cost_micros, 228,
        "1200 × $0.15/M + 80 × $0.60/M = $0.000228"
    );
    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, "Bearer sk-test-1234567890abcd");
    let body = &sent[0].2;
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(
        body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Track your order"),
        "passages in the prompt"
    );
    assert_eq!(
        body["messages"].as_array().unwrap().last().unwrap()["content"],
        "How can I track my order?"
    );
    app.finish().await;
}

async fn a_cannot_touch_b_knowledge_or_ai(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let bo = with_kb(&app, "bob@b.test", "Workspace B").await;
    let r = customer_says(&app, &bo, Channel::Chat, "bc", "How can I track my order?").await;
    let b_article = Scoped::new(bo.id)
        .find::<entity::kb_article::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    for (p, pairs) in [
        (path::<GetArticle>(), vec![("id", b_article.as_str())]),
        (path::<ArticleRevisions>(), vec![("id", b_article.as_str())]),
        (
            path::<ArticleDiff>(),
            vec![("id", b_article.as_str()), ("from", "1"), ("to", "1")],
        ),
        (
            path::<RestoreRevision>(),
            vec![("id", b_article.as_str()), ("number", "1")],
        ),
        (
            path::<app::serverfns::kb::PublishArticle>(),
            vec![("id", b_article.as_str()), ("publish", "false")],
        ),
        (
            path::<app::serverfns::kb::DeleteArticle>(),
            vec![("id", b_article.as_str())],
        ),
    ] {
        let res = a.c.call(p, &pairs).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{p}: {}", res.body);
    }
    let cid = r.conversation_id.to_string();
    for p in [path::<ConversationAi>(), path::<AssistSummary>()] {
        assert_eq!(
            a.c.call(p, &[("conversation_id", &cid)]).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
    assert_eq!(
        a.c.call(
            path::<AssistDraft>(),
            &[("conversation_id", &cid), ("tone", "friendly")]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let list =
        a.c.call(path::<ListArticles>(), &[("query", ""), ("status", "")])
            .await;
    assert_eq!(list.json().as_array().unwrap().len(), 0);
    assert!(!a
        .c
        .call(path::<app::serverfns::kb::KbTree>(), &[])
        .await
        .body
        .contains("Orders"));
    assert!(!a
        .c
        .call(path::<app::serverfns::kb::ListBrands>(), &[])
        .await
        .body
        .contains("Workspace B"));
    // A's retrieval never sees B's chunks; A's overview never counts B's runs.
    let hits = search::retrieve(
        &app.state.db,
        Scoped::new(a.id),
        "track my order",
        Audience::Agent,
        "en",
        5,
        None,
    )
    .await
    .unwrap();
    assert!(hits.is_empty());
    let o =
        a.c.call(path::<AiOverview>(), &[("days", "7")])
            .await
            .json();
    assert_eq!(o["total"]["answers"], 0);
    // Saving a category of B into A's article is refused.
    let b_cat = Scoped::new(bo.id)
        .find::<entity::kb_category::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let r =
        a.c.call(
            path::<SaveArticle>(),
            &article_pairs(
                &b_cat,
                "Sneaky article",
                "<p>Sneaky article text here.</p>",
                "true",
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // B's collection and brand cannot be written through A.
    let b_col = Scoped::new(bo.id)
        .find::<entity::kb_collection::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let r =
        a.c.call(
            path::<app::serverfns::kb::CreateKbCategory>(),
            &[
                ("collection_id", &b_col),
                ("name", "Sneaky"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let b_brand = structure::default_brand(&app.state.db, Scoped::new(bo.id))
        .await
        .unwrap();
    let r =
        a.c.call(
            path::<SaveBrand>(),
            &[
                ("id", &b_brand.id.to_string()),
                ("form[name]", "Taken over"),
                ("form[slug]", "taken-over"),
                ("form[logo_url]", ""),
                ("form[primary_color]", "#000000"),
                ("form[accent_color]", "#000000"),
                ("form[custom_css]", ""),
                ("form[default_locale]", "en"),
                ("form[locales]", "en"),
                ("form[embed_widget]", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r =
        a.c.call(
            path::<SaveBrand>(),
            &[
                ("id", "0"),
                ("form[name]", "Squatter"),
                ("form[slug]", &b_brand.slug),
                ("form[logo_url]", ""),
                ("form[primary_color]", "#000000"),
                ("form[accent_color]", "#000000"),
                ("form[custom_css]", ""),
                ("form[default_locale]", "en"),
                ("form[locales]", "en"),
                ("form[embed_widget]", "false"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "B's help center slug is taken: {}",
        r.body
    );
    // Settings and AI reports are admin-only: an agent of A is refused.
    let mut agent = common::add_member(&app, &mut a.c, "agent@a.test", "agent").await;
    assert_eq!(
        agent
            .call(path::<app::serverfns::ai::AiSettings>(), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    app.finish().await;
}

fn call(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

async fn assist_suggests_canned_and_translates_with_a_provider(b: Backend) {
    use app::serverfns::ai::{AssistCanned, AssistTranslate};
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@assist.test", "Assist Co").await;
    let canned = |t: &'static str, c: &'static str, body: &'static str| {
        let (state, actor) = (app.state.clone(), ws.actor.clone());
        async move {
            app::services::inbox::canned::create(&state, &actor, t, c, body, true)
                .await
                .unwrap();
        }
    };
    canned("Refund issued", "Billing", "Hi {{ customer.first_name }}, your refund has been issued and should arrive within 5 business days.").await;
    canned("Shipping times", "Orders", "Orders ship within 2 days.").await;
    canned("Greeting", "General", "Hello!").await;
    let r = customer_says(
        &app,
        &ws,
        Channel::Email,
        "rita",
        "My refund has not arrived yet",
    )
    .await;
    let cid = r.conversation_id.to_string();
    let s =
        ws.c.call(path::<AssistCanned>(), &[("conversation_id", &cid)])
            .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let list = s.json();
    assert_eq!(list[0]["title"], "Refund issued", "{list}");
    assert!(
        list[0]["text"].as_str().unwrap().starts_with("Hi rita,"),
        "{list}"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|x| x["title"] != "Greeting"),
        "{list}"
    );

    // No provider: it says plainly what is needed.
    let t =
        ws.c.call(
            path::<AssistTranslate>(),
            &[("text", "Your refund is on its way."), ("language", "de")],
        )
        .await;
    assert_eq!(t.status, StatusCode::CONFLICT, "{}", t.body);
    assert!(t.body.contains("needs a model provider"), "{}", t.body);
    let bad =
        ws.c.call(
            path::<AssistTranslate>(),
            &[("text", "x"), ("language", "xx")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // With a provider, through it.
    let (base, seen) = fake_openai(serde_json::json!("Ihre Rückerstattung ist unterwegs.")).await;
    let form = vec![
        ("form[enabled]".to_owned(), "false".to_owned()),
        ("form[channels][0]".to_owned(), "chat".to_owned()),
        ("form[auto_send_threshold]".to_owned(), "60".to_owned()),
        ("form[provider]".to_owned(), "openai".to_owned()),
        ("form[base_url]".to_owned(), base.clone()),
        ("form[chat_model]".to_owned(), "gpt-4o-mini".to_owned()),
        ("form[embedding_model]".to_owned(), String::new()),
        (
            "form[api_key]".to_owned(),
            "sk-test-1234567890abcd".to_owned(),
        ),
        ("form[clear_key]".to_owned(), "false".to_owned()),
        ("form[timeout_secs]".to_owned(), "5".to_owned()),
        ("form[price_input_micros]".to_owned(), "0".to_owned()),
        ("form[price_output_micros]".to_owned(), "0".to_owned()),
        ("form[tone]".to_owned(), "friendly".to_owned()),
    ];
    let r = ws.c.call(path::<SaveAiSettings>(), &call(&form)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t =
        ws.c.call(
            path::<AssistTranslate>(),
            &[("text", "Your refund is on its way."), ("language", "de")],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert!(
        t.json()["text"]
            .as_str()
            .unwrap()
            .contains("Rückerstattung"),
        "{}",
        t.body
    );
    let sent = seen.lock().unwrap().clone();
    assert!(sent[0].2["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("German"));

    // Another workspace's conversation is not found.
    let mut other = workspace(&app, "zed@other.test", "Other Co").await;
    let r = other
        .c
        .call(path::<AssistCanned>(), &[("conversation_id", &cid)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    app.finish().await;
}

backend_tests!(
    articles_revise_translate_and_index,
    help_center_is_public_seo_friendly_and_counts_feedback,
    suggestions_while_writing_measure_deflection,
    pipeline_answers_from_the_kb_and_records_every_step,
    guardrails_escalate_with_reasons_and_assign,
    no_match_clarifies_then_escalates_and_errors_apologize,
    a_clarifying_question_offers_articles_and_the_pick_answers,
    published_details_go_out_and_personal_data_is_held,
    agent_assist_drafts_and_summarizes,
    provider_settings_seal_the_key_and_answer_through_it,
    a_cannot_touch_b_knowledge_or_ai,
    assist_suggests_canned_and_translates_with_a_provider,
);
