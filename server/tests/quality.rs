//! AutoQA (issue 16, SPEC C8.6): solved conversations reviewed by the
//! documented rules, or by the AI provider when one is configured (a local
//! OpenAI-compatible server checks what it is sent); spotlight flags; manual
//! reviews beside the automatic ones and their calibration; coaching; the
//! editable scorecard; bad input; workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::ai::SaveAiSettings;
use app::serverfns::quality::{
    AssignCoaching, FinishCoaching, GetQuality, GetReview, SaveReview, SaveScorecard,
};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::quality;
use app::services::tenancy::Scoped;
use app::types::{Channel, IdentifierKind};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::llm::{fake_openai, provider_form};
use common::{add_member, fns::path, workspace, Backend, Client, TestApp};
use entity::{conversation, message, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use serde_json::{json, Value};

/// A solved conversation: the customer's first message through the inbound
/// pipeline, then the rest of `lines` (customer or agent), assigned to `agent`.
async fn solved(app: &TestApp, scope: Scoped, agent: i32, i: usize, lines: &[(bool, &str)]) -> i32 {
    let db = &app.state.db;
    let mut m = InboundMessage::new(
        Channel::Email,
        format!("qa:{i}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: format!("c{i}@customer.test"),
            name: Some(format!("Customer {i}")),
        },
        lines[0].1.to_owned(),
    );
    m.subject = format!("Question {i}");
    let r = inbound::receive(&app.state, scope, m).await.unwrap();
    let t = Utc::now() - Duration::hours(2);
    scope
        .update_many::<message::Entity>()
        .filter(message::Column::ConversationId.eq(r.conversation_id))
        .col_expr(
            message::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(t),
        )
        .exec(db)
        .await
        .unwrap();
    for (k, (customer, text)) in lines.iter().enumerate().skip(1) {
        message::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            conversation_id: Set(r.conversation_id),
            kind: Set("reply".into()),
            direction: Set(if *customer { "inbound" } else { "outbound" }.into()),
            author_user_id: Set((!customer).then_some(agent)),
            author_customer_id: Set(customer.then_some(r.customer_id)),
            body_html: Set(format!("<p>{text}</p>")),
            body_text: Set((*text).to_owned()),
            delivery_status: Set(if *customer { "received" } else { "sent" }.into()),
            created_at: Set(t + Duration::minutes(i64::try_from(k).unwrap() * 10)),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    scope
        .update_many::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(r.conversation_id))
        .set(conversation::ActiveModel {
            status: Set("solved".into()),
            solved_at: Set(Some(Utc::now() - Duration::minutes(5))),
            assignee_id: Set(Some(agent)),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
    r.conversation_number
}

const CAREFUL: &[(bool, &str)] = &[
    (true, "My order arrived broken and I am really disappointed. Can you replace it?"),
    (false, "I'm so sorry the order arrived broken, I understand how frustrating that is. I have sent a replacement today and you will get the tracking number by email. Thank you for your patience."),
    (true, "Thanks, that's great."),
];

const CARELESS: &[(bool, &str)] = &[
    (
        true,
        "This is terrible, the app crashes every time. Why? How do I fix it?",
    ),
    (
        false,
        "just reinstall it the the app. READ the docs!! send me your password",
    ),
    (true, "It is still not working, this is awful."),
];

async fn quality_page(c: &mut Client, flagged: bool) -> Value {
    let r = c
        .call(
            path::<GetQuality>(),
            &[("flagged", if flagged { "true" } else { "false" })],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn row(page: &Value, number: i32) -> &Value {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == number)
        .unwrap_or_else(|| panic!("no row for {number} in {page}"))
}

fn score(review: &Value, key: &str) -> i64 {
    review["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == key)
        .map_or(-1, |p| p[1].as_i64().unwrap())
}

async fn review(c: &mut Client, number: i32, scores: &[(&str, &str)], notes: &str) -> common::Res {
    let n = number.to_string();
    let keys: Vec<String> = scores
        .iter()
        .map(|(k, _)| format!("form[scores][{k}]"))
        .collect();
    let mut pairs: Vec<(&str, &str)> = vec![("form[number]", &n), ("form[notes]", notes)];
    for (k, (_, v)) in keys.iter().zip(scores) {
        pairs.push((k, v));
    }
    c.call(path::<SaveReview>(), &pairs).await
}

#[allow(clippy::too_many_lines)]
async fn autoqa_reviews_flags_calibrates_and_coaches(b: Backend) {
    let app = TestApp::new(b).await;
    let db = &app.state.db;
    let mut ws = workspace(&app, "olga@qa.test", "QA A").await;
    let mut sam = add_member(&app, &mut ws.owner, "sam@qa.test", "agent").await;
    let sam_id = app::services::tenancy::global::<user::Entity>()
        .filter(user::Column::Email.eq("sam@qa.test"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let good = solved(&app, ws.scope, sam_id, 1, CAREFUL).await;
    let bad = solved(&app, ws.scope, sam_id, 2, CARELESS).await;

    // The sweep reviews both by the rules, once.
    quality::sweep(&app.state).await.unwrap();
    quality::sweep(&app.state).await.unwrap();
    let p = quality_page(&mut ws.owner, false).await;
    assert_eq!(p["engine"], "heuristics", "{p}");
    assert_eq!(p["rows"].as_array().unwrap().len(), 2, "{p}");
    let g = &row(&p, good)["auto"];
    assert_eq!(g["source"], "heuristics");
    assert!(g["total"].as_i64().unwrap() >= 85, "{g}");
    assert_eq!(score(g, "empathy"), 100, "{g}");
    assert_eq!(row(&p, good)["flags"], json!([]), "{p}");
    let w = &row(&p, bad)["auto"];
    assert!(w["total"].as_i64().unwrap() <= 60, "{w}");
    assert_eq!(score(w, "accuracy"), 70, "{w}");
    assert_eq!(score(w, "empathy"), 30, "{w}");
    assert_eq!(
        row(&p, bad)["flags"],
        json!(["negative_sentiment", "compliance_risk"])
    );
    assert!(
        w["notes"].as_str().unwrap().contains("asks for a password"),
        "{w}"
    );
    assert_eq!(row(&p, bad)["agent"], "New Member", "{p}");
    // The spotlight lists only the flagged one.
    let f = quality_page(&mut ws.owner, true).await;
    assert_eq!(f["rows"].as_array().unwrap().len(), 1, "{f}");
    assert_eq!(f["rows"][0]["number"], bad);

    // People review beside it; bad scores are refused.
    let all = [
        ("tone", "40"),
        ("accuracy", "20"),
        ("completeness", "60"),
        ("grammar", "30"),
        ("empathy", "30"),
    ];
    let r = review(&mut sam, bad, &all, "").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "agents do not review: {}",
        r.body
    );
    let mut wrong = all;
    wrong[0].1 = "150";
    let r = review(&mut ws.owner, bad, &wrong, "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Score Tone from 0 to 100."), "{}", r.body);
    let r = review(&mut ws.owner, bad, &all[..4], "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Score Empathy"), "{}", r.body);
    let r = review(&mut ws.owner, bad, &all, "Asked for a password: never.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let manual = r.json();
    assert_eq!(manual["source"], "manual");
    assert_eq!(manual["total"], 36, "(40+20+60+30+30)/5: {manual}");
    let d = ws
        .owner
        .call(path::<GetReview>(), &[("number", &bad.to_string())])
        .await
        .json();
    assert_eq!(d["mine"]["total"], 36, "{d}");
    assert_eq!(d["lines"].as_array().unwrap().len(), 3, "{d}");
    assert_eq!(d["auto"]["source"], "heuristics", "{d}");

    // Calibration: one pair per criterion; the gap is the difference.
    let p = quality_page(&mut ws.owner, false).await;
    let cal = p["calibration"].as_array().unwrap();
    let acc = cal.iter().find(|c| c["key"] == "accuracy").unwrap();
    assert_eq!(acc["pairs"], 1, "{acc}");
    assert!(
        (acc["mean_gap"].as_f64().unwrap() - 50.0).abs() < 1e-9,
        "70 against 20: {acc}"
    );
    assert!((acc["agreement"].as_f64().unwrap()).abs() < 1e-9, "{acc}");
    let emp = cal.iter().find(|c| c["key"] == "empathy").unwrap();
    assert!(
        (emp["agreement"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "30 and 30: {emp}"
    );

    // Coaching goes to the agent, who marks it done.
    let rid = manual["id"].as_i64().unwrap().to_string();
    let r = ws
        .owner
        .call(
            path::<AssignCoaching>(),
            &[("form[review_id]", &rid), ("form[note]", "  ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = ws
        .owner
        .call(
            path::<AssignCoaching>(),
            &[
                ("form[review_id]", &rid),
                ("form[note]", "Never ask for passwords; apologise first."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mine = quality_page(&mut sam, false).await;
    assert_eq!(mine["can_manage"], false);
    assert_eq!(mine["calibration"], json!([]));
    assert_eq!(
        mine["rows"].as_array().unwrap().len(),
        2,
        "his own conversations: {mine}"
    );
    let c = &mine["coaching"][0];
    assert_eq!(c["status"], "open", "{mine}");
    assert_eq!(c["number"], bad);
    assert_eq!(c["can_finish"], true);
    let cid = c["id"].as_i64().unwrap().to_string();
    let r = sam.call(path::<FinishCoaching>(), &[("id", &cid)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = sam.call(path::<FinishCoaching>(), &[("id", &cid)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(
        quality_page(&mut sam, false).await["coaching"][0]["status"],
        "done"
    );

    // The scorecard is checked, then edited: grammar off, a criterion added.
    let card = |grammar_on: &str, weight: &str| {
        vec![
            ("criteria[0][key]", "tone".to_owned()),
            ("criteria[0][name]", "Tone".to_owned()),
            ("criteria[0][description]", "Friendly.".to_owned()),
            ("criteria[0][weight]", weight.to_owned()),
            ("criteria[0][enabled]", "true".to_owned()),
            ("criteria[1][key]", "grammar".to_owned()),
            ("criteria[1][name]", "Grammar".to_owned()),
            ("criteria[1][description]", String::new()),
            ("criteria[1][weight]", "20".to_owned()),
            ("criteria[1][enabled]", grammar_on.to_owned()),
            ("criteria[2][key]", String::new()),
            ("criteria[2][name]", "Policy".to_owned()),
            (
                "criteria[2][description]",
                "Follows the refund policy.".to_owned(),
            ),
            ("criteria[2][weight]", "30".to_owned()),
            ("criteria[2][enabled]", "true".to_owned()),
        ]
    };
    let too_heavy = card("true", "101");
    let p: Vec<(&str, &str)> = too_heavy.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = ws.owner.call(path::<SaveScorecard>(), &p).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("The weight of Tone must be 0 to 100."),
        "{}",
        r.body
    );
    let none_on = [
        ("criteria[0][key]", "tone"),
        ("criteria[0][name]", "Tone"),
        ("criteria[0][weight]", "20"),
    ];
    let r = ws.owner.call(path::<SaveScorecard>(), &none_on).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Keep at least one criterion switched on"),
        "{}",
        r.body
    );
    let pairs = card("false", "40");
    let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = ws.owner.call(path::<SaveScorecard>(), &p).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let saved = r.json();
    assert_eq!(saved.as_array().unwrap().len(), 3, "{saved}");
    assert_eq!(saved[2]["key"], "policy", "{saved}");
    assert_eq!(saved[1]["enabled"], false, "{saved}");
    let r = sam.call(path::<SaveScorecard>(), &p).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // With a provider: it scores (the rules fill what it leaves out), and is
    // sent the scorecard and the transcript.
    let (base, seen) =
        fake_openai(json!({"scores": {"tone": 90, "policy": 55, "grammar": 10}})).await;
    let form = provider_form(&base, "sk-test-qa-1234567890");
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = ws.owner.call(path::<SaveAiSettings>(), &f).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let third = solved(&app, ws.scope, sam_id, 3, CAREFUL).await;
    quality::sweep(&app.state).await.unwrap();
    let p = quality_page(&mut ws.owner, false).await;
    assert_eq!(p["engine"], "provider");
    let a = &row(&p, third)["auto"];
    assert_eq!(a["source"], "provider", "{a}");
    assert_eq!(score(a, "tone"), 90, "{a}");
    assert_eq!(score(a, "policy"), 55, "{a}");
    assert_eq!(score(a, "grammar"), -1, "grammar is off: {a}");
    // (90·40 + 55·30) / 70 = 75.
    assert_eq!(a["total"], 75, "{a}");
    let sent = seen.lock().unwrap().clone();
    let body = sent.last().unwrap().2.to_string();
    assert!(
        body.contains("policy (Policy): Follows the refund policy."),
        "{body}"
    );
    assert!(body.contains("I have sent a replacement today"), "{body}");
    assert!(!body.contains("grammar (Grammar)"), "{body}");

    // Another workspace sees none of it.
    let mut other = workspace(&app, "otto@qa.test", "QA B").await;
    assert_eq!(
        quality_page(&mut other.owner, false).await["rows"],
        json!([])
    );
    let r = other
        .owner
        .call(path::<GetReview>(), &[("number", &bad.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = review(&mut other.owner, bad, &all, "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = other
        .owner
        .call(
            path::<AssignCoaching>(),
            &[("form[review_id]", &rid), ("form[note]", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = other
        .owner
        .call(path::<FinishCoaching>(), &[("id", &cid)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    app.finish().await;
}

backend_tests!(autoqa_reviews_flags_calibrates_and_coaches);
