//! The public REST API through the real router: keys (shown once, revocation,
//! scopes, a departed creator), tenancy, cursor pagination, filters, validation,
//! idempotent inbound messages, the per-key rate limit and the OpenAPI document.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::api_keys::{CreateApiKey, ListApiKeys, RevokeApiKey};
use app::serverfns::team::{ListTeam, RemoveMember};
use app::services::tenancy::System;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{add_member, fns::path, sign_up, Backend, Client, Res, TestApp};
use entity::{api_key, conversation, customer, message};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const ALL_SCOPES: &str = "conversations:read,conversations:write,customers:read,customers:write,messages:write,tags:read,tags:write,views:read,views:write";

/// Creates a key through the server function; returns (id, secret).
async fn create_key(owner: &mut Client, name: &str, scopes: &str) -> (i32, String) {
    let r = owner
        .call(
            path::<CreateApiKey>(),
            &[("name", name), ("scopes_csv", scopes)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "create_api_key: {}", r.body);
    let j = r.json();
    (
        j["key"]["id"].as_i64().unwrap() as i32,
        j["secret"].as_str().unwrap().to_owned(),
    )
}

/// A REST client: Bearer key, JSON bodies, no cookie and no `Origin` (as a script
/// calling the API would send).
struct Api {
    client: Client,
    auth: Option<String>,
}

impl Api {
    fn new(app: &TestApp, secret: &str) -> Self {
        Self::with_auth(app, Some(format!("Bearer {secret}")))
    }

    fn with_auth(app: &TestApp, auth: Option<String>) -> Self {
        let mut client = app.client();
        client.origin = None;
        Self { client, auth }
    }

    async fn send(&mut self, method: Method, uri: &str, body: Option<Value>) -> Res {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(a) = &self.auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .unwrap();
        let res = self.client.send(req).await;
        assert!(
            res.headers.get(header::SET_COOKIE).is_none(),
            "the API never sets cookies"
        );
        res
    }

    async fn get(&mut self, uri: &str) -> Res {
        self.send(Method::GET, uri, None).await
    }

    async fn post(&mut self, uri: &str, body: Value) -> Res {
        self.send(Method::POST, uri, Some(body)).await
    }

    async fn patch(&mut self, uri: &str, body: Value) -> Res {
        self.send(Method::PATCH, uri, Some(body)).await
    }

    /// Opens a conversation as a customer; returns its number.
    async fn conversation(&mut self, email: &str, subject: &str) -> i64 {
        let r = self
            .post(
                "/api/v1/conversations",
                json!({
                    "customer": {"identifier_kind": "email", "identifier_value": email},
                    "subject": subject,
                    "body": format!("Hello about {subject}"),
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["number"].as_i64().unwrap()
    }
}

fn assert_error(r: &Res, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"]["code"], code, "{}", r.body);
    assert!(
        j["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        r.body
    );
    assert!(j["error"]["details"].is_object(), "{}", r.body);
}

/// Walks a list to its end; returns every item, checking no page is empty but the
/// last and no item repeats.
async fn walk(api: &mut Api, first: &str, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut uri = first.to_owned();
    for _ in 0..100 {
        let r = api.get(&uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        let j = r.json();
        for item in j["data"].as_array().unwrap() {
            assert!(
                seen.insert(item[key].to_string()),
                "{uri}: {} repeated in {}",
                item[key],
                r.body
            );
            out.push(item.clone());
        }
        match j["next_cursor"].as_str() {
            None => return out,
            Some(c) => {
                let sep = if first.contains('?') { '&' } else { '?' };
                uri = format!("{first}{sep}cursor={c}");
            }
        }
    }
    panic!("no end to {first}");
}

async fn key_is_shown_once_and_works(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (id, secret) = create_key(&mut owner, "CRM sync", ALL_SCOPES).await;
    assert!(secret.starts_with("sbk_") && secret.len() == 36, "{secret}");

    // Only the hash is stored; the list never shows the secret.
    let row = System::new("test reads the key")
        .find::<api_key::Entity>()
        .filter(api_key::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(row.key_hash, secret);
    assert_eq!(
        row.key_hash,
        app::services::security::hash_token(&secret),
        "SHA-256 of the secret"
    );
    let listed = owner.call(path::<ListApiKeys>(), &[]).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(!listed.body.contains(&secret), "{}", listed.body);
    assert_eq!(listed.json()[0]["prefix"], &secret[..12]);
    assert!(listed.json()[0]["last_used_at"].is_null());

    // It works, without cookie or Origin (the CSRF check does not apply).
    let mut api = Api::new(&app, &secret);
    let r = api.get("/api/v1/customers").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), json!({"data": [], "next_cursor": null}));
    let r = api
        .post(
            "/api/v1/customers",
            json!({"identifier_kind": "email", "identifier_value": "Maria@Example.com", "name": "Maria"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let maria = r.json();
    assert_eq!(maria["email"], "maria@example.com");
    // Identity resolution: the same identifier finds the same customer.
    let r = api
        .post(
            "/api/v1/customers",
            json!({"identifier_kind": "email", "identifier_value": "maria@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["id"], maria["id"]);
    let r = api
        .patch(
            &format!("/api/v1/customers/{}", maria["id"]),
            json!({"company": "Initech"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["company"], "Initech");

    // Messages: an agent note as the key's member, named after the key in the log.
    let n = api
        .conversation("maria@example.com", "Printer on fire")
        .await;
    let r = api
        .post(
            &format!("/api/v1/conversations/TKT-{n:06}/messages"),
            json!({"kind": "note", "body_text": "Checked the logs."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["direction"], "internal");
    assert_eq!(r.json()["conversation_number"], n);
    let r = api.get(&format!("/api/v1/conversations/{n}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["customer"]["id"], maria["id"]);
    assert_eq!(r.json()["message_count"], 2);

    let listed = owner.call(path::<ListApiKeys>(), &[]).await.json();
    assert!(listed[0]["last_used_at"].is_string(), "{listed}");
    let log = owner
        .call(path::<app::serverfns::activity::ListActivity>(), &[])
        .await;
    assert!(log.body.contains("api_key.created"), "{}", log.body);
    assert!(log.body.contains("CRM sync (API key)"), "{}", log.body);

    // The settings page renders the list (never a secret).
    let page = owner.get("/app/settings/api-keys").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Create a key"), "{}", page.body);
    assert!(page.body.contains(&secret[..12]), "{}", page.body);
    assert!(!page.body.contains(&secret), "{}", page.body);

    // A session cookie is not an API credential.
    let mut browser = owner.clone();
    let r = browser
        .send(
            Request::get("/api/v1/customers")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    app.finish().await;
}

async fn bad_missing_and_revoked_keys_are_refused(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (id, secret) = create_key(&mut owner, "Zap", ALL_SCOPES).await;

    let r = Api::with_auth(&app, None).get("/api/v1/customers").await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Authorization: Bearer"));
    assert!(r.headers.get(header::WWW_AUTHENTICATE).is_some());
    for bad in [
        "Bearer sbk_wrongwrongwrongwrongwrongwrongwr",
        "Bearer nonsense",
        "Basic b2xpdmU6cGFzcw==",
    ] {
        let r = Api::with_auth(&app, Some(bad.into()))
            .get("/api/v1/customers")
            .await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // Without a Bearer header a write is a plain cross-origin POST: CSRF refuses it.
    let r = Api::with_auth(&app, None)
        .post("/api/v1/tags", json!({"name": "x"}))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");

    let mut api = Api::new(&app, &secret);
    assert_eq!(api.get("/api/v1/customers").await.status, StatusCode::OK);
    let r = owner
        .call(path::<RevokeApiKey>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api.get("/api/v1/customers").await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = owner
        .call(path::<RevokeApiKey>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // A key stops working when its creator leaves the workspace.
    let mut admin = add_member(&app, &mut owner, "adam@a.test", "admin").await;
    let (_, admins) = create_key(&mut admin, "Adam's script", "customers:read").await;
    let mut api = Api::new(&app, &admins);
    assert_eq!(api.get("/api/v1/customers").await.status, StatusCode::OK);
    let team = owner.call(path::<ListTeam>(), &[]).await.json();
    let mid = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "adam@a.test")
        .unwrap()["membership_id"]
        .to_string();
    let r = owner
        .call(path::<RemoveMember>(), &[("membership_id", &mid)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api.get("/api/v1/customers").await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");

    // Agents may not manage keys.
    let mut agent = add_member(&app, &mut owner, "amy@a.test", "agent").await;
    let r = agent
        .call(
            path::<CreateApiKey>(),
            &[("name", "mine"), ("scopes_csv", "customers:read")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    app.finish().await;
}

async fn missing_scope_is_403_naming_it(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (_, secret) = create_key(&mut owner, "Reader", "customers:read").await;
    let mut api = Api::new(&app, &secret);
    assert_eq!(api.get("/api/v1/customers").await.status, StatusCode::OK);
    let r = api
        .post(
            "/api/v1/customers",
            json!({"identifier_kind": "email", "identifier_value": "x@y.test"}),
        )
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    assert!(r.body.contains("customers:write"), "{}", r.body);
    for (uri, scope) in [
        ("/api/v1/conversations", "conversations:read"),
        ("/api/v1/tags", "tags:read"),
        ("/api/v1/views", "views:read"),
        ("/api/v1/search?q=hello&kind=message", "conversations:read"),
    ] {
        let r = api.get(uri).await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        assert!(r.body.contains(scope), "{uri}: {}", r.body);
    }
    // Unknown scopes are refused at creation.
    let r = owner
        .call(
            path::<CreateApiKey>(),
            &[("name", "x"), ("scopes_csv", "customers:read,admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("admin"), "{}", r.body);
    app.finish().await;
}

async fn keys_of_b_see_nothing_of_a(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = sign_up(&app, "Alice", "alice@a.test", "Workspace A").await;
    let mut bo = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let (_, a_secret) = create_key(&mut a, "A", ALL_SCOPES).await;
    let (_, b_secret) = create_key(&mut bo, "B", ALL_SCOPES).await;
    let mut a_api = Api::new(&app, &a_secret);
    let mut b_api = Api::new(&app, &b_secret);
    let n = a_api.conversation("carol@c.test", "A's secret").await;
    a_api.conversation("dave@c.test", "A's other").await;
    let a_conv = a_api
        .get(&format!("/api/v1/conversations/{n}"))
        .await
        .json();
    let a_customer = a_conv["customer"]["id"].clone();
    let r = a_api.post("/api/v1/tags", json!({"name": "a-only"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a_tag = r.json()["id"].clone();
    let r = a_api
        .post(
            "/api/v1/views",
            json!({"name": "A mine", "filter": {"statuses": ["new"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a_view = r.json()["id"].clone();

    for uri in [
        format!("/api/v1/conversations/{n}"),
        format!("/api/v1/conversations/{n}/messages"),
        format!("/api/v1/customers/{a_customer}"),
        format!("/api/v1/views/{a_view}"),
    ] {
        let r = b_api.get(&uri).await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    }
    for (uri, body) in [
        (
            format!("/api/v1/conversations/{n}"),
            json!({"status": "closed"}),
        ),
        (
            format!("/api/v1/customers/{a_customer}"),
            json!({"name": "Hacked"}),
        ),
        (format!("/api/v1/tags/{a_tag}"), json!({"name": "hacked"})),
        (format!("/api/v1/views/{a_view}"), json!({"name": "Hacked"})),
    ] {
        let r = b_api.patch(&uri, body).await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    }
    for (uri, body) in [
        (
            format!("/api/v1/conversations/{n}/messages"),
            json!({"body_text": "hi", "from_customer": true, "external_id": "x1"}),
        ),
        (
            format!("/api/v1/conversations/{n}/messages"),
            json!({"kind": "note", "body_text": "hi"}),
        ),
        (
            format!("/api/v1/conversations/{n}/tags"),
            json!({"add": ["x"]}),
        ),
        (
            "/api/v1/conversations".to_owned(),
            json!({"customer_id": a_customer, "subject": "s", "body": "b"}),
        ),
    ] {
        let r = b_api.post(&uri, body).await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    }
    for uri in [
        "/api/v1/conversations",
        "/api/v1/customers",
        "/api/v1/tags",
        "/api/v1/search?q=secret",
    ] {
        let r = b_api.get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        assert_eq!(r.json()["data"], json!([]), "{uri}: {}", r.body);
    }
    let views = b_api.get("/api/v1/views").await;
    assert!(!views.body.contains("A mine"), "{}", views.body);

    // A is unchanged.
    let again = a_api
        .get(&format!("/api/v1/conversations/{n}"))
        .await
        .json();
    assert_eq!(again["status"], a_conv["status"]);
    assert_eq!(again["message_count"], 1);
    assert_eq!(again["customer"]["name"], a_conv["customer"]["name"]);
    let tags = a_api.get("/api/v1/tags").await.json();
    assert_eq!(tags["data"][0]["name"], "a-only");
    app.finish().await;
}

async fn cursors_walk_every_row_once(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (_, secret) = create_key(&mut owner, "Sync", ALL_SCOPES).await;
    let mut api = Api::new(&app, &secret);
    for i in 0..7 {
        let r = api
            .post(
                "/api/v1/customers",
                json!({"identifier_kind": "email", "identifier_value": format!("c{i}@x.test")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let all = walk(&mut api, "/api/v1/customers?limit=3", "id").await;
    assert_eq!(all.len(), 7);
    let first = api.get("/api/v1/customers?limit=3").await.json();
    assert_eq!(first["data"].as_array().unwrap().len(), 3);
    assert!(first["next_cursor"].is_string());
    let exact = api.get("/api/v1/customers?limit=7").await.json();
    assert!(exact["next_cursor"].is_null(), "{exact}");

    let mut numbers = BTreeSet::new();
    for i in 0..5 {
        numbers.insert(
            api.conversation(&format!("c{i}@x.test"), &format!("Case {i}"))
                .await,
        );
    }
    for sort in ["created_asc", "created_desc", "updated_desc", "updated_asc"] {
        let rows = walk(
            &mut api,
            &format!("/api/v1/conversations?limit=2&sort={sort}"),
            "number",
        )
        .await;
        let got: BTreeSet<i64> = rows.iter().map(|r| r["number"].as_i64().unwrap()).collect();
        assert_eq!(got, numbers, "{sort}");
        assert_eq!(rows.len(), 5, "{sort}");
    }

    let n = *numbers.iter().next().unwrap();
    for i in 0..4 {
        let r = api
            .post(
                &format!("/api/v1/conversations/{n}/messages"),
                json!({"kind": "note", "body_text": format!("note {i}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let msgs = walk(
        &mut api,
        &format!("/api/v1/conversations/{n}/messages?limit=2"),
        "id",
    )
    .await;
    assert_eq!(msgs.len(), 5);
    assert_eq!(msgs[0]["author_kind"], "customer");
    assert_eq!(msgs[4]["body_text"], "note 3");

    for i in 0..3 {
        let r = api
            .post("/api/v1/tags", json!({"name": format!("t{i}")}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    assert_eq!(walk(&mut api, "/api/v1/tags?limit=2", "id").await.len(), 3);
    let views = walk(&mut api, "/api/v1/views?limit=1", "id").await;
    assert!(views.len() >= 4, "the default views: {views:?}");
    app.finish().await;
}

async fn filters_by_status_tag_and_assignee(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (_, secret) = create_key(&mut owner, "Sync", ALL_SCOPES).await;
    let mut api = Api::new(&app, &secret);
    // Tickets carry their SLA clock.
    let r = owner
        .call_json(
            path::<app::serverfns::hours::SaveSlaPolicy>(),
            &json!({"form": {
                "id": null, "name": "Urgent only", "priorities": ["urgent"], "tag": "",
                "schedule_id": null, "first_response_mins": 60, "next_response_mins": null,
                "resolution_mins": 480, "warn_mins": 15, "enabled": true,
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let one = api.conversation("a@x.test", "One").await;
    let two = api.conversation("b@x.test", "Two").await;
    let three = api.conversation("c@x.test", "Three").await;
    let r = api
        .patch(
            &format!("/api/v1/conversations/{two}"),
            json!({"status": "pending", "priority": "urgent"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "pending");
    // The answer shows what the pipeline made of the change (the SLA stage
    // picked the urgent policy).
    let sla = &r.json()["sla"];
    assert_eq!(
        (
            sla["metric"].clone(),
            sla["policy"].clone(),
            sla["paused"].clone()
        ),
        (json!("first_response"), json!("Urgent only"), json!(false)),
        "{sla}"
    );
    assert!(sla["due_at"].as_str().unwrap().contains('T'), "{sla}");
    let r = api.get(&format!("/api/v1/conversations/{one}")).await;
    assert_eq!(r.json()["sla"], Value::Null, "no policy for normal tickets");
    let r = api
        .post(
            &format!("/api/v1/conversations/{three}/tags"),
            json!({"add": ["VIP", "billing"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["tags"], json!(["billing", "vip"]));
    let numbers = |r: &Res| -> Vec<i64> {
        r.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_i64().unwrap())
            .collect()
    };
    let r = api.get("/api/v1/conversations?status=pending").await;
    assert_eq!(numbers(&r), vec![two], "{}", r.body);
    let r = api
        .get("/api/v1/conversations?status=new,pending&sort=created_asc")
        .await;
    assert_eq!(numbers(&r), vec![one, two, three], "{}", r.body);
    let r = api.get("/api/v1/conversations?tag=vip").await;
    assert_eq!(numbers(&r), vec![three], "{}", r.body);
    let r = api
        .get("/api/v1/conversations?tag=vip,billing&status=new")
        .await;
    assert_eq!(numbers(&r), vec![three], "{}", r.body);
    let r = api.get("/api/v1/conversations?priority=urgent").await;
    assert_eq!(numbers(&r), vec![two], "{}", r.body);
    let r = api
        .get("/api/v1/conversations?assignee=unassigned&sort=created_asc")
        .await;
    assert_eq!(numbers(&r), vec![one, two, three], "{}", r.body);
    let r = api
        .get("/api/v1/conversations?created_after=2000-01-01&channel=api")
        .await;
    assert_eq!(numbers(&r).len(), 3, "{}", r.body);
    let r = api
        .post(
            &format!("/api/v1/conversations/{three}/tags"),
            json!({"remove": ["vip"]}),
        )
        .await;
    assert_eq!(r.json()["tags"], json!(["billing"]), "{}", r.body);

    // Bad parameters name themselves.
    for (uri, field) in [
        ("/api/v1/conversations?status=bogus", "status"),
        ("/api/v1/conversations?stauts=open", "stauts"),
        ("/api/v1/conversations?limit=500", "limit"),
        ("/api/v1/conversations?sort=newest", "sort"),
        ("/api/v1/conversations?assignee=bob", "assignee"),
        (
            "/api/v1/conversations?created_after=yesterday",
            "created_after",
        ),
        ("/api/v1/conversations?cursor=garbage", "cursor"),
        ("/api/v1/customers?cursor=abc", "cursor"),
    ] {
        let r = api.get(uri).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            r.json()["error"]["details"]["field"],
            field,
            "{uri}: {}",
            r.body
        );
    }
    app.finish().await;
}

async fn validation_errors_are_422_and_write_nothing(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (_, secret) = create_key(&mut owner, "Sync", ALL_SCOPES).await;
    let mut api = Api::new(&app, &secret);
    let sys = System::new("test counts rows");
    let count = |e: &'static str| {
        let db = app.state.db.clone();
        async move {
            match e {
                "customers" => sys.find::<customer::Entity>().count(&db).await.unwrap(),
                "conversations" => sys.find::<conversation::Entity>().count(&db).await.unwrap(),
                _ => sys.find::<message::Entity>().count(&db).await.unwrap(),
            }
        }
    };

    let cases = [
        (
            json!({"customer": {"identifier_kind": "email", "identifier_value": "new@x.test"}, "subject": "  ", "body": "b"}),
            "subject",
        ),
        (
            json!({"customer": {"identifier_kind": "email", "identifier_value": "new@x.test"}, "subject": "s", "body": ""}),
            "body",
        ),
        (
            json!({"customer": {"identifier_kind": "email", "identifier_value": "not an email"}, "subject": "s", "body": "b"}),
            "customer.identifier_value",
        ),
        (
            json!({"customer": {"identifier_kind": "fax", "identifier_value": "1"}, "subject": "s", "body": "b"}),
            "customer.identifier_kind",
        ),
        (
            json!({"customer": {"identifier_kind": "email", "identifier_value": "new@x.test"}, "subject": "s", "body": "b", "tags": ["no spaces!"]}),
            "tags",
        ),
        (
            json!({"customer": {"identifier_kind": "email", "identifier_value": "new@x.test"}, "subject": "s", "body": "b", "priority": "asap"}),
            "priority",
        ),
        (
            json!({"customer": {"identifier_kind": "email", "identifier_value": "new@x.test"}, "subject": "s", "body": "b", "sender": "me"}),
            "sender",
        ),
        (json!({"subject": "s", "body": "b"}), "customer"),
        (
            json!({"customer": {"identifier_kind": "email", "identifier_value": "new@x.test"}, "body": "b"}),
            "subject",
        ),
    ];
    for (body, field) in cases {
        let r = api.post("/api/v1/conversations", body.clone()).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            r.json()["error"]["details"]["field"],
            field,
            "{body}: {}",
            r.body
        );
    }
    assert_eq!(count("customers").await, 0, "no customer half-created");
    assert_eq!(count("conversations").await, 0);
    assert_eq!(count("messages").await, 0);

    // Not JSON at all, or not declared as JSON.
    let r = api.send(Method::POST, "/api/v1/tags", None).await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut raw = Request::post("/api/v1/tags")
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": "))
        .unwrap();
    raw.headers_mut().remove(header::ORIGIN);
    let r = api.client.send(raw).await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(r.body.contains("not valid JSON"), "{}", r.body);

    // PATCH with an invalid value changes nothing.
    let n = api.conversation("kim@x.test", "Hello").await;
    let conv = api.get(&format!("/api/v1/conversations/{n}")).await.json();
    let cid = conv["customer"]["id"].clone();
    let r = api
        .patch(
            &format!("/api/v1/customers/{cid}"),
            json!({"name": " ", "company": "Globex"}),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json()["error"]["details"]["field"], "name");
    let c = api.get(&format!("/api/v1/customers/{cid}")).await.json();
    assert!(c["company"].is_null(), "{c}");
    let r = api
        .patch(
            &format!("/api/v1/conversations/{n}"),
            json!({"status": "pending", "subject": ""}),
        )
        .await;
    assert_eq!(
        r.json()["error"]["details"]["field"],
        "subject",
        "{}",
        r.body
    );
    let again = api.get(&format!("/api/v1/conversations/{n}")).await.json();
    assert_eq!(again["status"], conv["status"]);
    let r = api
        .patch(
            &format!("/api/v1/conversations/{n}"),
            json!({"status": "snoozed"}),
        )
        .await;
    assert_eq!(
        r.json()["error"]["details"]["field"],
        "status",
        "{}",
        r.body
    );
    let r = api
        .post("/api/v1/tags", json!({"name": "ok", "colour": "#fff"}))
        .await;
    assert_eq!(
        r.json()["error"]["details"]["field"],
        "colour",
        "{}",
        r.body
    );
    let r = api
        .post("/api/v1/tags", json!({"name": "ok", "color": "red"}))
        .await;
    assert_eq!(r.json()["error"]["details"]["field"], "color", "{}", r.body);
    let r = api.post("/api/v1/tags", json!({"name": "dup"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = api.post("/api/v1/tags", json!({"name": "DUP"})).await;
    assert_error(&r, StatusCode::CONFLICT, "conflict");
    assert_eq!(
        api.get("/api/v1/tags").await.json()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Ids that cannot exist are simply not found.
    let r = api.get("/api/v1/customers/abc").await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = api.get("/api/v1/conversations/TKT-999999").await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    app.finish().await;
}

async fn inbound_messages_are_idempotent(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (_, secret) = create_key(&mut owner, "Widget", ALL_SCOPES).await;
    let mut api = Api::new(&app, &secret);
    let n = api.conversation("zoe@x.test", "Order 42").await;
    let body = json!({
        "body_text": "Any news?",
        "from_customer": true,
        "external_id": "widget-msg-1",
    });
    let uri = format!("/api/v1/conversations/{n}/messages");
    let first = api.post(&uri, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.json()["author_kind"], "customer");
    assert_eq!(first.json()["direction"], "inbound");
    let retry = api.post(&uri, body).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    assert_eq!(retry.json()["id"], first.json()["id"]);
    let stored = System::new("test counts messages")
        .find::<message::Entity>()
        .filter(message::Column::ExternalId.eq("widget-msg-1"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let thread = api.get(&uri).await.json();
    assert_eq!(thread["data"].as_array().unwrap().len(), 2, "{thread}");
    // Customer messages are replies; external ids belong to customer messages.
    let r = api
        .post(
            &uri,
            json!({"kind": "note", "body_text": "x", "from_customer": true}),
        )
        .await;
    assert_eq!(r.json()["error"]["details"]["field"], "kind", "{}", r.body);
    let r = api
        .post(&uri, json!({"body_text": "x", "external_id": "e"}))
        .await;
    assert_eq!(
        r.json()["error"]["details"]["field"],
        "external_id",
        "{}",
        r.body
    );
    // An agent reply with this key's member as author.
    let r = api.post(&uri, json!({"body_text": "On its way."})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["author_kind"], "agent");
    assert_eq!(r.json()["author_name"], "Olive");
    app.finish().await;
}

async fn rate_limit_answers_429_with_retry_after(b: Backend) {
    let app = TestApp::with_config(b, |c| c.api_requests_per_minute = 3).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (_, one) = create_key(&mut owner, "One", "customers:read").await;
    let (_, two) = create_key(&mut owner, "Two", "customers:read").await;
    let mut api = Api::new(&app, &one);
    for _ in 0..3 {
        assert_eq!(api.get("/api/v1/customers").await.status, StatusCode::OK);
    }
    let r = api.get("/api/v1/customers").await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let wait: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(r.json()["error"]["details"]["retry_after_secs"], wait);
    // Each key has its own budget.
    let mut other = Api::new(&app, &two);
    assert_eq!(other.get("/api/v1/customers").await.status, StatusCode::OK);
    app.finish().await;
}

async fn openapi_lists_every_route(b: Backend) {
    let app = TestApp::new(b).await;
    let mut anon = Api::with_auth(&app, None);
    let r = anon.get("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "patch", "put", "delete"].contains(&m.as_str()))
                .map(|m| (m.clone(), p.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mounted: BTreeSet<(String, String)> = switchboard_server::api::ROUTES
        .iter()
        .map(|(m, p)| {
            (
                (*m).to_owned(),
                format!("{}{p}", switchboard_server::api::PREFIX),
            )
        })
        .collect();
    assert_eq!(documented, mounted);
    for (m, p) in &documented {
        let op = &doc["paths"][p][m];
        assert!(op["responses"]["401"].is_object(), "{m} {p}");
        assert!(op["responses"]["429"].is_object(), "{m} {p}");
        assert!(
            op["security"].is_array() || doc["security"].is_array(),
            "{m} {p}"
        );
    }

    // Every listed route is mounted: with a wrong key each answers 401 (not 404/405).
    let mut wrong = Api::with_auth(&app, Some("Bearer sbk_not_a_real_key_0000000000000".into()));
    for (m, p) in &mounted {
        let uri = p.replace("{id}", "1").replace("{number}", "1");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let r = wrong.send(method, &uri, body).await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let r = wrong.get("/api/v1/nothing-here").await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = wrong.send(Method::DELETE, "/api/v1/customers", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "method_not_allowed");
    app.finish().await;
}

/// Whole words are matched before the last word is taken as a prefix: the newest
/// whole-word hits come first, and the prefix fills in only when they are too few.
async fn search_prefers_whole_words(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "olive@a.test", "Acme").await;
    let (_, secret) = create_key(&mut owner, "Search", ALL_SCOPES).await;
    let mut api = Api::new(&app, &secret);
    for (email, subject) in [
        ("a@c.test", "Refund please"),
        ("b@c.test", "Refund again"),
        ("c@c.test", "Refunds overdue"),
        ("d@c.test", "Refunded twice"),
    ] {
        api.conversation(email, subject).await;
    }
    let titles = |r: Res| -> Vec<String> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                h["title"]
                    .as_str()
                    .unwrap()
                    .split(" · ")
                    .nth(1)
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    // Two whole-word hits fill a page of two, though newer prefix hits exist.
    let r = api
        .get("/api/v1/search?q=refund&kind=conversation&limit=2")
        .await;
    assert_eq!(titles(r), vec!["Refund again", "Refund please"]);
    // A page of three: whole words are too few, so the prefix answers (newest first).
    let r = api
        .get("/api/v1/search?q=refund&kind=conversation&limit=3")
        .await;
    assert_eq!(
        titles(r),
        vec!["Refunded twice", "Refunds overdue", "Refund again"]
    );
    // A partial word matches only as a prefix.
    let r = api
        .get("/api/v1/search?q=REFUN&kind=conversation&limit=10")
        .await;
    assert_eq!(titles(r).len(), 4);
    // Several words: all must match, the last as a prefix when needed.
    let r = api
        .get("/api/v1/search?q=refund%20agai&kind=conversation")
        .await;
    assert_eq!(titles(r), vec!["Refund again"]);
}

backend_tests!(
    key_is_shown_once_and_works,
    bad_missing_and_revoked_keys_are_refused,
    missing_scope_is_403_naming_it,
    keys_of_b_see_nothing_of_a,
    cursors_walk_every_row_once,
    filters_by_status_tag_and_assignee,
    validation_errors_are_422_and_write_nothing,
    inbound_messages_are_idempotent,
    rate_limit_answers_429_with_retry_after,
    openapi_lists_every_route,
    search_prefers_whole_words,
);
