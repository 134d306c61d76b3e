//! Automation rules (issue 14): validation that names the part at fault, versions
//! with restore, triggers firing inside the inbound and update paths as a
//! pipeline stage, the firing log with before and after, loop prevention, a
//! failing action contained to its rule, the dry run changing nothing, scheduled
//! automations firing once per ticket, and workspace isolation. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::channels::{CreateWebhook, SetWebhookActive};
use app::serverfns::inbox::{GetConversation, UpdateConversation};
use app::serverfns::rules::{
    DeleteRule, DryRunRule, GetRules, MoveRule, RestoreRule, RuleFirings, RuleVersions, SaveRule,
    SetRuleEnabled,
};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind, RULE_REFIRE_BOUND};
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use entity::{conversation, conversation_tag, message, rule_firing};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

struct Ws {
    owner: Client,
    id: i32,
    user_id: i64,
}

async fn workspace(app: &TestApp, email: &str, name: &str) -> Ws {
    let mut owner = sign_up(app, "Olga Owner", email, name).await;
    let s = owner.call(path::<GetSession>(), &[]).await.json();
    Ws {
        owner,
        id: i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap(),
        user_id: s["user_id"].as_i64().unwrap(),
    }
}

/// A customer's email; returns (conversation id, number).
async fn email(app: &TestApp, ws: &Ws, who: &str, text: &str) -> (i32, i32) {
    let mut m = InboundMessage::new(
        Channel::Email,
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
    (r.conversation_id, r.conversation_number)
}

fn test(field: &str, op: &str, value: &str) -> Value {
    json!({"kind": "test", "field": field, "op": op, "value": value})
}

/// Priority is normal AND (the message mentions a refund OR the customer's email
/// says vip).
fn refund_rule(assignee: i64) -> Value {
    json!({
        "id": null,
        "name": "Refund requests",
        "description": "Refunds go to Olga, tagged and raised",
        "kind": "trigger",
        "events": ["ticket_created", "message_received"],
        "conditions": {"kind": "group", "any": false, "items": [
            test("ticket.priority", "is", "normal"),
            {"kind": "group", "any": true, "items": [
                test("message.text", "contains", "refund"),
                test("customer.email", "starts_with", "vip"),
            ]},
        ]},
        "actions": [
            {"kind": "add_tags", "tags": ["Refunds"]},
            {"kind": "assign", "user_id": assignee},
            {"kind": "set_priority", "priority": "high"},
            {"kind": "note", "text": "Refund asked by {{ customer.name }}"},
        ],
        "enabled": true,
    })
}

async fn save(ws: &mut Ws, form: &Value) -> common::Res {
    ws.owner
        .call_json(path::<SaveRule>(), &json!({ "form": form }))
        .await
}

async fn tags(app: &TestApp, conversation_id: i32) -> Vec<String> {
    let ids: Vec<i32> = System::new("t")
        .find::<conversation_tag::Entity>()
        .filter(conversation_tag::Column::ConversationId.eq(conversation_id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.tag_id)
        .collect();
    let mut names: Vec<String> = System::new("t")
        .find::<entity::tag::Entity>()
        .filter(entity::tag::Column::Id.is_in(ids))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    names
}

async fn conv(app: &TestApp, id: i32) -> conversation::Model {
    System::new("t")
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn firings(app: &TestApp, rule_id: i64) -> Vec<rule_firing::Model> {
    System::new("t")
        .find::<rule_firing::Entity>()
        .filter(rule_firing::Column::RuleId.eq(i32::try_from(rule_id).unwrap()))
        .order_by_asc(rule_firing::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn rules_are_checked_versioned_and_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;
    let me = a.user_id;

    // Bad input: a 422 naming the condition or action at fault, nothing saved.
    let mut bad = refund_rule(me);
    bad["conditions"]["items"][1]["items"][0] = test("time.hours_since_created", "above", "soon");
    let r = save(&mut a, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("Condition 2.1: Hours since the ticket was created needs a number"),
        "{}",
        r.body
    );
    let mut bad = refund_rule(me);
    bad["actions"][1] = json!({"kind": "assign", "user_id": 999_999});
    let r = save(&mut a, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Action 2 (Assign to)"), "{}", r.body);
    let mut bad = refund_rule(me);
    bad["events"] = json!([]);
    let r = save(&mut a, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut bad = refund_rule(me);
    bad["kind"] = json!("automation");
    let r = save(&mut a, &bad).await;
    assert!(r.body.contains("add a time condition"), "{}", r.body);
    let p = a.owner.call(path::<GetRules>(), &[]).await.json();
    assert_eq!(p["rules"], json!([]), "{p}");

    // Saved; a name taken twice is a 409.
    let r = save(&mut a, &refund_rule(me)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["version"], 1);
    assert_eq!(
        r.json()["summary"],
        "Ticket priority is Normal AND (Customer's latest message contains refund OR Customer email starts with vip)"
    );
    assert_eq!(r.json()["actions"][0]["tags"], json!(["refunds"]));
    let r = save(&mut a, &refund_rule(me)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // A change is a new version; the old one can be compared and restored.
    let mut changed = refund_rule(me);
    changed["id"] = json!(id);
    changed["actions"][2]["priority"] = json!("urgent");
    let r = save(&mut a, &changed).await;
    assert_eq!(r.json()["version"], 2, "{}", r.body);
    let v = a
        .owner
        .call(path::<RuleVersions>(), &[("id", &id.to_string())])
        .await
        .json();
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    assert!(v[0]["lines"]
        .as_array()
        .unwrap()
        .contains(&json!("Action 3: Set priority Urgent")));
    assert!(v[1]["lines"]
        .as_array()
        .unwrap()
        .contains(&json!("Action 3: Set priority High")));
    let r = a
        .owner
        .call(
            path::<RestoreRule>(),
            &[("id", &id.to_string()), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], 3);
    assert_eq!(r.json()["actions"][2]["priority"], "high");

    // Workspace B sees none of it and can change none of it.
    let p = bo.owner.call(path::<GetRules>(), &[]).await.json();
    assert_eq!(p["rules"], json!([]), "{p}");
    let mut steal = refund_rule(bo.user_id);
    steal["id"] = json!(id);
    let r = save(&mut bo, &steal).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for (fn_path, args) in [
        (
            path::<SetRuleEnabled>(),
            vec![("id", id.to_string()), ("enabled", "false".to_owned())],
        ),
        (path::<RuleVersions>(), vec![("id", id.to_string())]),
        (
            path::<MoveRule>(),
            vec![("id", id.to_string()), ("up", "true".to_owned())],
        ),
        (path::<RuleFirings>(), vec![("id", id.to_string())]),
        (
            path::<RestoreRule>(),
            vec![("id", id.to_string()), ("version", "1".to_owned())],
        ),
        (path::<DeleteRule>(), vec![("id", id.to_string())]),
    ] {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = bo.owner.call(fn_path, &args).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{fn_path}: {}", r.body);
    }
    // B's dry run never reads A's tickets.
    email(&app, &a, "carl", "I want a refund for my order").await;
    let mut mine = refund_rule(bo.user_id);
    mine["conditions"] = json!({"kind": "group", "any": false, "items": []});
    let r = bo
        .owner
        .call_json(path::<DryRunRule>(), &json!({ "form": mine }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["checked"], 0, "{}", r.body);
    // B's triggers never fire on A's messages.
    let b_form = refund_rule(bo.user_id);
    save(&mut bo, &b_form).await;
    let b_rule = bo.owner.call(path::<GetRules>(), &[]).await.json()["rules"][0]["id"]
        .as_i64()
        .unwrap();
    email(&app, &a, "dora", "refund please").await;
    assert!(firings(&app, b_rule).await.is_empty());

    // Agents cannot manage rules.
    let mut agent = add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    let r = agent.call(path::<GetRules>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    app.finish().await;
}

async fn triggers_fire_inside_the_inbound_and_update_paths(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let me = a.user_id;
    let r = save(&mut a, &refund_rule(me)).await;
    let id = r.json()["id"].as_i64().unwrap();
    // On an update: priority became urgent → note and tell the admins.
    let urgent = json!({
        "id": null, "name": "Urgent watch", "description": "", "kind": "trigger",
        "events": ["ticket_updated"],
        "conditions": {"kind": "group", "any": false, "items": [
            test("ticket.changed", "includes", "priority"),
            test("ticket.priority", "is", "urgent"),
        ]},
        "actions": [{"kind": "notify", "to": "admins", "text": "{{ ticket.number }} is urgent"}],
        "enabled": true,
    });
    let r = save(&mut a, &urgent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let urgent_id = r.json()["id"].as_i64().unwrap();

    // A matching message: the rule's changes commit with it.
    let (cid, number) = email(&app, &a, "carl", "Please refund my broken blender").await;
    assert_eq!(tags(&app, cid).await, vec!["refunds"]);
    let c = conv(&app, cid).await;
    assert_eq!(c.assignee_id, Some(i32::try_from(me).unwrap()));
    assert_eq!(c.priority, "high");
    let f = firings(&app, id).await;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].outcome, "applied");
    assert_eq!(f[0].event, "message_received");
    let before: Value = serde_json::from_str(&f[0].before).unwrap();
    let after: Value = serde_json::from_str(&f[0].after).unwrap();
    assert_eq!(before["priority"], "normal");
    assert_eq!(before["tags"], json!([]));
    assert_eq!(after["priority"], "high");
    assert_eq!(after["tags"], json!(["refunds"]));
    let changes: Vec<String> = serde_json::from_str(&f[0].changes).unwrap();
    assert!(
        changes.contains(&"Tagged refunds".to_owned()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"Priority Normal → High".to_owned()),
        "{changes:?}"
    );
    let d = a
        .owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await
        .json();
    let note = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "note")
        .expect("the rule's note");
    assert_eq!(note["author_name"], "Rule: Refund requests");
    assert_eq!(note["author_kind"], "rule");
    assert!(note["body_text"]
        .as_str()
        .unwrap()
        .contains("Refund asked by carl Customer"));
    // A message that matches no condition: no firing.
    let (other, _) = email(&app, &a, "dora", "Where is my parcel?").await;
    assert!(tags(&app, other).await.is_empty());
    assert_eq!(firings(&app, id).await.len(), 1);

    // The update path: an agent raises the priority, the update trigger fires.
    let r = a
        .owner
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &other.to_string()),
                ("field", "priority"),
                ("value", "urgent"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let f = firings(&app, urgent_id).await;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].event, "ticket_updated");
    let notes = System::new("t")
        .find::<entity::notification::Entity>()
        .filter(entity::notification::Column::Kind.eq("rule"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].body.contains("is urgent"), "{}", notes[0].body);
    // Switched off, it no longer fires.
    a.owner
        .call(
            path::<SetRuleEnabled>(),
            &[("id", &urgent_id.to_string()), ("enabled", "false")],
        )
        .await;
    a.owner
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &other.to_string()),
                ("field", "priority"),
                ("value", "low"),
            ],
        )
        .await;
    a.owner
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &other.to_string()),
                ("field", "priority"),
                ("value", "urgent"),
            ],
        )
        .await;
    assert_eq!(firings(&app, urgent_id).await.len(), 1);
    app.finish().await;
}

async fn a_rule_cannot_retrigger_itself_forever(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    // Two rules that undo each other on every update.
    let flip = |name: &str, from: &str, to: &str| {
        json!({
            "id": null, "name": name, "description": "", "kind": "trigger",
            "events": ["ticket_updated"],
            "conditions": {"kind": "group", "any": false, "items": [test("ticket.status", "is", from)]},
            "actions": [{"kind": "set_status", "status": to}],
            "enabled": true,
        })
    };
    let r1 = save(&mut a, &flip("Open to pending", "open", "pending"))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r2 = save(&mut a, &flip("Pending to open", "pending", "open"))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let (cid, _) = email(&app, &a, "carl", "Hello there").await;
    let r = a
        .owner
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &cid.to_string()),
                ("field", "status"),
                ("value", "open"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Each fired its bound and no more; the one whose turn came next was logged
    // as stopped instead of running a fourth time.
    let mut stopped = Vec::new();
    for rule in [r1, r2] {
        let f = firings(&app, rule).await;
        let applied = f.iter().filter(|x| x.outcome == "applied").count();
        assert_eq!(
            applied,
            usize::try_from(RULE_REFIRE_BOUND).unwrap(),
            "{f:?}"
        );
        stopped.extend(f.into_iter().filter(|x| x.outcome == "stopped"));
    }
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert!(stopped[0]
        .error
        .as_deref()
        .unwrap()
        .contains("already fired 3 times"));
    // The change and the bounded cascade committed: the status is one of the two.
    let s = conv(&app, cid).await.status;
    assert!(s == "open" || s == "pending", "{s}");
    app.finish().await;
}

async fn a_failing_action_is_contained_to_its_rule(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let r = a
        .owner
        .call(
            path::<CreateWebhook>(),
            &[
                ("form[url]", "http://127.0.0.1:9/hook"),
                ("form[description]", "ops"),
                ("form[events][0]", "conversation.created"),
                ("form[headers]", ""),
                ("form[allow_private]", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ep = r.json()["id"].as_i64().unwrap();
    let rule = json!({
        "id": null, "name": "Tell ops", "description": "", "kind": "trigger",
        "events": ["ticket_created"],
        "conditions": {"kind": "group", "any": false, "items": []},
        "actions": [
            {"kind": "add_tags", "tags": ["ops"]},
            {"kind": "webhook", "endpoint_id": ep},
        ],
        "enabled": true,
    });
    let id = save(&mut a, &rule).await.json()["id"].as_i64().unwrap();
    let (cid, _) = email(&app, &a, "carl", "First").await;
    assert_eq!(tags(&app, cid).await, vec!["ops"]);
    let f = firings(&app, id).await;
    assert_eq!(f[0].outcome, "applied");
    let deliveries = System::new("t")
        .find::<entity::webhook_delivery::Entity>()
        .filter(entity::webhook_delivery::Column::EventKind.eq("rule.fired"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(deliveries, 1);

    // Paused endpoint: the webhook action fails, the rule's tag is undone with
    // it, the message is still stored and the log says why.
    a.owner
        .call(
            path::<SetWebhookActive>(),
            &[("id", &ep.to_string()), ("active", "false")],
        )
        .await;
    let (cid2, _) = email(&app, &a, "dora", "Second").await;
    assert!(tags(&app, cid2).await.is_empty());
    let stored = System::new("t")
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(cid2))
        .filter(message::Column::Direction.eq("inbound"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let f = firings(&app, id).await;
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].outcome, "failed");
    assert!(
        f[1].error.as_deref().unwrap().contains("paused"),
        "{:?}",
        f[1].error
    );
    app.finish().await;
}

async fn dry_run_changes_nothing_and_automations_fire_once(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let (c1, n1) = email(&app, &a, "carl", "Refund for order 1").await;
    let (c2, _) = email(&app, &a, "dora", "Where is my parcel").await;
    let (c3, n3) = email(&app, &a, "vip.erin", "Hello").await;
    let snapshot = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            let sys = System::new("t");
            let convs = sys
                .find::<conversation::Entity>()
                .order_by_asc(conversation::Column::Id)
                .all(&db)
                .await
                .unwrap();
            let tags = sys
                .find::<conversation_tag::Entity>()
                .count(&db)
                .await
                .unwrap();
            let msgs = sys.find::<message::Entity>().count(&db).await.unwrap();
            let fired = sys.find::<rule_firing::Entity>().count(&db).await.unwrap();
            (convs, tags, msgs, fired)
        }
    };
    let before = snapshot(&app).await;
    let r = a
        .owner
        .call_json(
            path::<DryRunRule>(),
            &json!({ "form": refund_rule(a.user_id) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = r.json();
    assert_eq!(d["checked"], 3, "{d}");
    let hits: Vec<i64> = d["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["ticket"].as_i64().unwrap())
        .collect();
    assert_eq!(hits, vec![i64::from(n3), i64::from(n1)], "{d}");
    let changes = d["hits"][0]["changes"].as_array().unwrap();
    assert!(changes.contains(&json!("Tag refunds")), "{d}");
    assert!(changes.contains(&json!("Assign to Olga Owner")), "{d}");
    assert_eq!(
        snapshot(&app).await,
        before,
        "the dry run changed something"
    );

    // An automation: tickets still unassigned fire once, not on every pass.
    let auto = json!({
        "id": null, "name": "Nobody took it", "description": "", "kind": "automation",
        "events": [],
        "conditions": {"kind": "group", "any": false, "items": [
            test("ticket.assignee", "is_empty", ""),
            test("time.hours_since_created", "below", "1"),
        ]},
        "actions": [{"kind": "add_tags", "tags": ["waiting"]}],
        "enabled": true,
    });
    let id = save(&mut a, &auto).await.json()["id"].as_i64().unwrap();
    let scope = Scoped::new(a.id);
    let n = app::services::automation::engine::automations_for(&app.state, scope)
        .await
        .unwrap();
    assert_eq!(n, 3);
    let n = app::services::automation::engine::automations_for(&app.state, scope)
        .await
        .unwrap();
    assert_eq!(n, 0, "an automation fires on a ticket once");
    for c in [c1, c2, c3] {
        assert_eq!(tags(&app, c).await, vec!["waiting"]);
    }
    let f = firings(&app, id).await;
    assert!(f
        .iter()
        .all(|x| x.event == "schedule" && x.outcome == "applied"));
    app.finish().await;
}

/// A rule asks for approval of a tool action: it waits (even where a policy
/// would allow it), its text filled in for the ticket; a bad tool or input is
/// refused when the rule is saved.
async fn a_rule_asks_for_approval(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let rule = |tool: &str, input: &str| {
        json!({
            "id": null, "name": "Chargebacks need a task", "description": "", "kind": "trigger",
            "events": ["ticket_created"],
            "conditions": {"kind": "group", "any": false, "items": [
                test("message.text", "contains", "chargeback"),
            ]},
            "actions": [{"kind": "request_approval", "tool": tool, "input": input, "reason": "money at stake"}],
            "enabled": true,
        })
    };
    for (tool, input, says) in [
        (
            "refund_everything",
            "{}",
            "there is no tool named `refund_everything`",
        ),
        ("create_task", "{title", "the tool input is not JSON"),
        ("create_task", "{}", "title"),
    ] {
        let r = save(&mut a, &rule(tool, input)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    let r = save(
        &mut a,
        &rule(
            "create_task",
            r#"{"title": "Call the bank about {{ ticket.number }}"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let (cid, number) = email(&app, &a, "eve", "I filed a chargeback").await;
    let f = firings(&app, id).await;
    assert_eq!(f[0].outcome, "applied", "{:?}", f[0].error);
    let actions = System::new("t")
        .find::<entity::ai_action::Entity>()
        .filter(entity::ai_action::Column::ConversationId.eq(cid))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    let act = &actions[0];
    assert_eq!(
        (act.tool.as_str(), act.status.as_str()),
        ("create_task", "pending")
    );
    assert_eq!(act.proposed_by_kind, "rule");
    assert!(
        act.input.contains(&format!("TKT-{number:06}")),
        "{}",
        act.input
    );
    assert!(act.reasoning.as_deref().unwrap().contains("money at stake"));
    // Another message on a new ticket asks again; the same ticket does not.
    email(&app, &a, "eve", "Second chargeback").await;
    let n = System::new("t")
        .find::<entity::ai_action::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    app.finish().await;
}

backend_tests!(
    a_rule_asks_for_approval,
    rules_are_checked_versioned_and_kept_apart,
    triggers_fire_inside_the_inbound_and_update_paths,
    a_rule_cannot_retrigger_itself_forever,
    a_failing_action_is_contained_to_its_rule,
    dry_run_changes_nothing_and_automations_fire_once,
);
