//! CSRF defence, cookie flags, security headers, request ids.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::workspace::RenameWorkspace;
use axum::http::StatusCode;
use common::{fns::path, sign_up, Backend, TestApp};

async fn cross_origin_writes_are_refused(b: Backend) {
    let app = TestApp::new(b).await;
    let mut c = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let mut evil = c.clone();
    evil.origin = Some("https://evil.example".into());
    let r = evil
        .call(path::<RenameWorkspace>(), &[("name", "Pwned")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["code"], "forbidden");
    let mut bare = c.clone();
    bare.origin = None;
    assert_eq!(
        bare.call(path::<RenameWorkspace>(), &[("name", "Pwned")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Same origin works, and the name was not changed by the refused calls.
    let s = c.call(path::<GetSession>(), &[]).await.json();
    assert_eq!(s["workspace"]["name"], "Acme");
    assert_eq!(
        c.call(path::<RenameWorkspace>(), &[("name", "Acme Two")])
            .await
            .status,
        StatusCode::OK
    );
    app.finish().await;
}

async fn cookies_are_http_only_lax_and_secure_on_https(b: Backend) {
    let app = TestApp::with_config(b, |c| c.public_url = "https://help.example.com".into()).await;
    let mut c = app.client();
    c.origin = Some("https://help.example.com".into());
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let r = c.sign_in("ada@example.com", "correct horse battery").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("sb_session="));
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    app.finish().await;
}

async fn headers_and_request_ids(b: Backend) {
    let app = TestApp::new(b).await;
    let r = app.client().get("/sign-in").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["x-frame-options"], "SAMEORIGIN");
    assert!(r.headers.contains_key("x-request-id"));
    assert!(r.body.contains("<form"), "server-rendered sign-in form");
    app.finish().await;
}

/// Admin pages without a session answer 303 to `/sign-in?next=…` (a redirect browsers
/// follow); with a session they render.
async fn admin_pages_redirect_to_sign_in_with_next(b: Backend) {
    let app = TestApp::new(b).await;
    let mut anon = app.client();
    for (page, location) in [
        ("/app", "/sign-in?next=/app"),
        (
            "/app/inbox?view=3&q=a%20b",
            "/sign-in?next=/app/inbox%3Fview%3D3%26q%3Da%2520b",
        ),
        ("/app/settings/inbox", "/sign-in?next=/app/settings/inbox"),
    ] {
        let r = anon.get(page).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(r.headers["location"].to_str().unwrap(), location, "{page}");
    }
    // The plain handlers keep their JSON 401.
    let logo = anon.get("/app/logo").await;
    assert_eq!(logo.status, StatusCode::UNAUTHORIZED);
    let mut c = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let home = c.get("/app").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.headers.get("location").is_none());
    app.finish().await;
}

/// A server function called with arguments it cannot read (a missing field, a
/// value of the wrong type) answers 422 with a message, never 500; a failure
/// inside one keeps its own status.
async fn malformed_server_fn_input_is_422(b: Backend) {
    use app::serverfns::procedures::SaveProcedure;
    let app = TestApp::new(b).await;
    let mut c = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let r = c.call(path::<RenameWorkspace>(), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.error_kind(), "Validation", "{}", r.body);
    assert!(r.body.contains("The request was malformed"), "{}", r.body);
    let r = c
        .call_json(
            path::<SaveProcedure>(),
            &serde_json::json!({"form": {"name": 5}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = c.call(path::<RenameWorkspace>(), &[("name", "  ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let s = c.call(path::<GetSession>(), &[]).await.json();
    assert_eq!(s["workspace"]["name"], "Acme", "nothing written");
    app.finish().await;
}

backend_tests!(
    malformed_server_fn_input_is_422,
    admin_pages_redirect_to_sign_in_with_next,
    cross_origin_writes_are_refused,
    cookies_are_http_only_lax_and_secure_on_https,
    headers_and_request_ids
);
