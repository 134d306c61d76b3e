//! `/ws` over a real socket: authenticated, same-origin only, and each member
//! receives the events of their own workspace only.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{sign_up, Backend, TestApp};
use futures::StreamExt;
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

async fn connect(
    port: u16,
    cookie: Option<&str>,
    origin: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let mut req = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .unwrap();
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse().unwrap());
    }
    req.headers_mut().insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

/// The next text message's `kind`, or None after `ms` of silence.
async fn next_kind<S>(ws: &mut S, ms: u64) -> Option<String>
where
    S: futures::Stream<Item = Result<Message, WsError>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_millis(ms), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                return v["kind"].as_str().map(str::to_owned);
            }
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

async fn sockets_are_authenticated_and_tenant_scoped(b: Backend) {
    let app = TestApp::new(b).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .ok();
    });
    let origin = format!("http://127.0.0.1:{port}");
    let mut a = sign_up(&app, "Alice", "alice@a.test", "Workspace A").await;
    let mut bo = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let a_cookie = a.cookie.clone().unwrap();
    let b_cookie = bo.cookie.clone().unwrap();

    assert_eq!(connect(port, None, &origin).await.err(), Some(401));
    assert_eq!(
        connect(port, Some(&a_cookie), "https://evil.example")
            .await
            .err(),
        Some(403)
    );

    let mut ws_a = connect(port, Some(&a_cookie), &origin).await.unwrap();
    let mut ws_b = connect(port, Some(&b_cookie), &origin).await.unwrap();
    let r = bo.invite("x@b.test", "agent").await;
    assert_eq!(r.status, axum::http::StatusCode::OK);
    assert_eq!(
        next_kind(&mut ws_b, 3000).await.as_deref(),
        Some("team.invitation_created")
    );
    assert_eq!(
        next_kind(&mut ws_a, 500).await,
        None,
        "A must not see B's events"
    );
    let r = a.invite("y@a.test", "agent").await;
    assert_eq!(r.status, axum::http::StatusCode::OK);
    assert_eq!(
        next_kind(&mut ws_a, 3000).await.as_deref(),
        Some("team.invitation_created")
    );
    assert_eq!(
        next_kind(&mut ws_b, 500).await,
        None,
        "B must not see A's events"
    );
    app.finish().await;
}

backend_tests!(sockets_are_authenticated_and_tenant_scoped);
