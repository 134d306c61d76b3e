//! Accounts through the real router: sign-up, sign-in and its rate limit, sign-out,
//! password reset, email verification and its resend limit.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::{
    GetSession, RequestPasswordReset, ResendVerification, ResetPassword, SignOut, SignUp,
    VerifyEmail,
};
use axum::http::StatusCode;
use common::{fns::path, sign_up, Backend, TestApp};

async fn signup_creates_owner_workspace_and_verification_email(b: Backend) {
    let app = TestApp::new(b).await;
    let mut c = sign_up(
        &app,
        "Ada Lovelace",
        "Ada@Example.com",
        "Analytical Support",
    )
    .await;
    let s = c.call(path::<GetSession>(), &[]).await.json();
    assert_eq!(s["email"], "ada@example.com");
    assert_eq!(s["email_verified"], false);
    assert_eq!(s["workspace"]["name"], "Analytical Support");
    assert_eq!(s["workspace"]["role"], "Owner");
    // The verification email is in the outbox, with its send job, before any worker ran.
    let token = common::latest_link_token(&app, "ada@example.com", "verify-email?token=").await;
    assert!(token.len() > 30);
    assert_eq!(app.run_jobs().await, 1);
    app.finish().await;
}

async fn signup_rejects_bad_input_with_field_messages(b: Backend) {
    let app = TestApp::new(b).await;
    let mut c = app.client();
    let p = path::<SignUp>();
    let base = [
        ("name", "Ada"),
        ("email", "ada@example.com"),
        ("password", "correct horse battery"),
        ("workspace_name", "Acme"),
    ];
    let with = |k: &str, v: &'static str| {
        base.iter()
            .map(|(bk, bv)| if *bk == k { (*bk, v) } else { (*bk, *bv) })
            .collect::<Vec<_>>()
    };
    let r = c.call(p, &with("password", "short")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["Validation"]["field"], "password");
    assert!(r.body.contains("at least 10 characters"));
    let r = c.call(p, &with("email", "not-an-email")).await;
    assert_eq!(r.json()["Validation"]["field"], "email");
    let r = c.call(p, &with("name", "A")).await;
    assert_eq!(r.json()["Validation"]["field"], "name");
    // Nothing was half-written.
    assert!(!app::services::accounts::any_workspace(&app.state.db)
        .await
        .unwrap());
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let r = app.client().call(p, &base).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("already exists"), "{}", r.body);
    app.finish().await;
}

async fn sign_in_out_and_wrong_password(b: Backend) {
    let app = TestApp::new(b).await;
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let mut c = app.client();
    let r = c.sign_in("ada@example.com", "wrong password!").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Wrong email or password."));
    let r = c.sign_in("nobody@example.com", "wrong password!").await;
    assert!(
        r.body.contains("Wrong email or password."),
        "no account enumeration"
    );
    let r = c.sign_in("ADA@example.com", "correct horse battery").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(c.call(path::<GetSession>(), &[]).await.json()["user_id"].is_number());
    assert_eq!(c.call(path::<SignOut>(), &[]).await.status, StatusCode::OK);
    assert!(c.call(path::<GetSession>(), &[]).await.json().is_null());
    app.finish().await;
}

async fn sign_in_is_rate_limited_with_a_clear_message(b: Backend) {
    let app = TestApp::new(b).await;
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let mut c = app.client();
    for _ in 0..5 {
        let r = c.sign_in("ada@example.com", "wrong password!").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Even the right password is refused now.
    let r = c.sign_in("ada@example.com", "correct horse battery").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body.contains("Too many failed sign-in attempts"),
        "{}",
        r.body
    );
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    app.finish().await;
}

async fn password_reset_by_emailed_link(b: Backend) {
    let app = TestApp::new(b).await;
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let mut c = app.client();
    let r = c
        .call(
            path::<RequestPasswordReset>(),
            &[("email", "ada@example.com")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Unknown addresses get the same answer and no email.
    let r = c
        .call(
            path::<RequestPasswordReset>(),
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let token = common::latest_link_token(&app, "ada@example.com", "reset-password?token=").await;
    let r = c
        .call(
            path::<ResetPassword>(),
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(r.json()["Validation"]["field"], "password");
    let r = c
        .call(
            path::<ResetPassword>(),
            &[("token", &token), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Single use.
    let r = c
        .call(
            path::<ResetPassword>(),
            &[("token", &token), ("password", "a brand new password")],
        )
        .await;
    assert!(r.body.contains("expired or was already used"));
    let r = c
        .call(
            path::<ResetPassword>(),
            &[("token", "bogus"), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c.sign_in("ada@example.com", "a brand new password").await;
    assert_eq!(r.status, StatusCode::OK);
    app.finish().await;
}

async fn email_verification_expires_and_resend_is_limited(b: Backend) {
    let app = TestApp::new(b).await;
    let mut c = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let first = common::latest_link_token(&app, "ada@example.com", "verify-email?token=").await;
    // Expire the first token: 24 h validity.
    {
        use app::services::tenancy::global_update;
        use entity::auth_token;
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, QueryFilter};
        global_update::<auth_token::Entity>()
            .col_expr(
                auth_token::Column::ExpiresAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
            )
            .filter(auth_token::Column::TokenHash.eq(app::services::security::hash_token(&first)))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let r = c.call(path::<VerifyEmail>(), &[("token", &first)]).await;
    assert!(r.body.contains("expired"), "{}", r.body);
    for _ in 0..3 {
        assert_eq!(
            c.call(path::<ResendVerification>(), &[]).await.status,
            StatusCode::OK
        );
    }
    let r = c.call(path::<ResendVerification>(), &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("You can ask for another"));
    let token = common::latest_link_token(&app, "ada@example.com", "verify-email?token=").await;
    assert_eq!(
        c.call(path::<VerifyEmail>(), &[("token", &token)])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        c.call(path::<GetSession>(), &[]).await.json()["email_verified"],
        true
    );
    let r = c.call(path::<ResendVerification>(), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    app.finish().await;
}

async fn password_changes_end_other_sessions(b: Backend) {
    use app::serverfns::profile::ChangePassword;
    let app = TestApp::new(b).await;
    let mut laptop = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let mut phone = app.client();
    assert_eq!(
        phone
            .sign_in("ada@example.com", "correct horse battery")
            .await
            .status,
        StatusCode::OK
    );
    let mut tablet = app.client();
    assert_eq!(
        tablet
            .sign_in("ada@example.com", "correct horse battery")
            .await
            .status,
        StatusCode::OK
    );
    let r = laptop
        .call(
            path::<ChangePassword>(),
            &[
                ("current_password", "correct horse battery"),
                ("new_password", "an even better password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        laptop
            .call(path::<GetSession>(), &[])
            .await
            .json()
            .is_object(),
        "this session stays"
    );
    assert!(
        phone.call(path::<GetSession>(), &[]).await.json().is_null(),
        "other sessions end"
    );
    // A reset ends every session, including the one that asked.
    let r = laptop
        .call(
            path::<RequestPasswordReset>(),
            &[("email", "ada@example.com")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let token = common::latest_link_token(&app, "ada@example.com", "reset-password?token=").await;
    let r = app
        .client()
        .call(
            path::<ResetPassword>(),
            &[("token", &token), ("password", "the newest password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(laptop
        .call(path::<GetSession>(), &[])
        .await
        .json()
        .is_null());
    assert!(tablet
        .call(path::<GetSession>(), &[])
        .await
        .json()
        .is_null());
    app.finish().await;
}

backend_tests!(
    password_changes_end_other_sessions,
    signup_creates_owner_workspace_and_verification_email,
    signup_rejects_bad_input_with_field_messages,
    sign_in_out_and_wrong_password,
    sign_in_is_rate_limited_with_a_clear_message,
    password_reset_by_emailed_link,
    email_verification_expires_and_resend_is_limited,
);
