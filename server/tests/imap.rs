//! IMAP polling against a real dovecot: new messages in UID order with their exact
//! bytes, the cursor, the batch limit, UIDVALIDITY, \Seen left alone, and the
//! errors an admin sees (login, mailbox, connect, TLS mode, timeout).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::channels::imap::{
    fetch_new, test_login, FetchedMail, ImapAccount, ImapCursor, ImapError, ImapSecurity,
};
use common::imap::Dovecot;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

fn dovecot() -> Dovecot {
    Dovecot::start().expect(
        "these tests need dovecot: apt-get install --no-install-recommends dovecot-imapd \
         (provides /usr/sbin/dovecot; the tests start their own instance)",
    )
}

fn account(d: &Dovecot) -> ImapAccount {
    ImapAccount {
        host: "127.0.0.1".into(),
        port: d.port,
        security: ImapSecurity::None,
        username: d.username.clone(),
        password: d.password.clone(),
        mailbox: "INBOX".into(),
    }
}

fn mail(n: u32) -> Vec<u8> {
    format!(
        "From: Customer {n} <c{n}@example.test>\r\nTo: support@example.test\r\n\
         Subject: Help {n}\r\nMessage-ID: <m{n}@example.test>\r\n\
         Date: Mon, 1 Dec 2025 10:00:0{n} +0000\r\n\r\nBody {n}\r\nwith two lines\r\n"
    )
    .into_bytes()
}

fn raws(mails: &[FetchedMail]) -> Vec<Vec<u8>> {
    mails.iter().map(|m| m.raw.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_new_messages_in_order_then_only_newer_ones_without_marking_seen() {
    let d = dovecot();
    let acc = account(&d);
    for n in 1..=3 {
        d.deliver(&mail(n));
    }

    let (first, cursor) = fetch_new(&acc, None, 100, T).await.unwrap();
    assert_eq!(raws(&first), vec![mail(1), mail(2), mail(3)]);
    assert!(first.windows(2).all(|w| w[0].uid < w[1].uid));
    assert_eq!(cursor.last_uid, first[2].uid);

    for n in 4..=5 {
        d.deliver(&mail(n));
    }
    let (second, cursor2) = fetch_new(&acc, Some(cursor), 100, T).await.unwrap();
    assert_eq!(raws(&second), vec![mail(4), mail(5)]);
    assert!(second[0].uid > cursor.last_uid);
    assert_eq!(cursor2.uid_validity, cursor.uid_validity);
    assert_eq!(cursor2.last_uid, second[1].uid);

    // Nothing new: nothing returned, cursor unchanged.
    let (third, cursor3) = fetch_new(&acc, Some(cursor2), 100, T).await.unwrap();
    assert!(third.is_empty());
    assert_eq!(cursor3, cursor2);

    // BODY.PEEK on an EXAMINEd mailbox: no message became \Seen.
    assert_eq!(d.seen_count(), 0, "{}", d.logs());
    // A poll from scratch still sees all five.
    let (all, _) = fetch_new(&acc, None, 100, T).await.unwrap();
    assert_eq!(all.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_limits_a_batch_and_the_next_poll_continues() {
    let d = dovecot();
    let acc = account(&d);
    for n in 1..=3 {
        d.deliver(&mail(n));
    }
    let (a, cursor) = fetch_new(&acc, None, 2, T).await.unwrap();
    assert_eq!(raws(&a), vec![mail(1), mail(2)]);
    let (b, cursor) = fetch_new(&acc, Some(cursor), 2, T).await.unwrap();
    assert_eq!(raws(&b), vec![mail(3)]);
    let (c, _) = fetch_new(&acc, Some(cursor), 2, T).await.unwrap();
    assert!(c.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_uidvalidity_fetches_everything_again() {
    let d = dovecot();
    let acc = account(&d);
    d.deliver(&mail(1));
    d.deliver(&mail(2));
    let (_, cursor) = fetch_new(&acc, None, 100, T).await.unwrap();
    let stale = ImapCursor {
        uid_validity: cursor.uid_validity.wrapping_add(1),
        last_uid: cursor.last_uid,
    };
    let (again, fresh) = fetch_new(&acc, Some(stale), 100, T).await.unwrap();
    assert_eq!(raws(&again), vec![mail(1), mail(2)]);
    assert_eq!(fresh, cursor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_login_accepts_good_and_rejects_wrong_credentials() {
    let d = dovecot();
    let acc = account(&d);
    test_login(&acc, T).await.unwrap();

    let wrong = ImapAccount {
        password: "not-the-password".into(),
        ..acc.clone()
    };
    let err = test_login(&wrong, T).await.unwrap_err();
    assert!(matches!(err, ImapError::Login(_)), "{err:?}");
    let err = fetch_new(&wrong, None, 10, T).await.unwrap_err();
    let ImapError::Login(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("check the username and password"), "{msg}");
    assert!(!msg.contains("not-the-password"), "{msg}");
    assert!(!format!("{wrong:?}").contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_mailbox_is_a_mailbox_error() {
    let d = dovecot();
    let acc = ImapAccount {
        mailbox: "Nope".into(),
        ..account(&d)
    };
    let err = fetch_new(&acc, None, 10, T).await.unwrap_err();
    let ImapError::Mailbox(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("mailbox Nope"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_port_is_a_connect_error() {
    // A socket bound but never listening holds the port for the whole test (no
    // other test's server can take it, as happened with a dropped listener), and
    // a connection to it is refused.
    let holder = tokio::net::TcpSocket::new_v4().unwrap();
    holder.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = holder.local_addr().unwrap().port();
    let acc = ImapAccount {
        host: "127.0.0.1".into(),
        port,
        security: ImapSecurity::None,
        username: "u".into(),
        password: "p".into(),
        mailbox: "INBOX".into(),
    };
    let err = fetch_new(&acc, None, 10, T).await.unwrap_err();
    let ImapError::Connect(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(
        msg.contains(&format!("could not connect to 127.0.0.1:{port}")),
        "{msg}"
    );
    assert!(matches!(
        test_login(&acc, T).await,
        Err(ImapError::Connect(_))
    ));
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tls_mode_is_a_tls_error() {
    // This dovecot speaks plain text only (ssl = no, no STARTTLS capability).
    let d = dovecot();
    for security in [ImapSecurity::Tls, ImapSecurity::Starttls] {
        let acc = ImapAccount {
            security,
            ..account(&d)
        };
        let err = test_login(&acc, T).await.unwrap_err();
        assert!(matches!(err, ImapError::Tls(_)), "{security:?}: {err:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(sock);
    });
    let acc = ImapAccount {
        host: "127.0.0.1".into(),
        port,
        security: ImapSecurity::None,
        username: "u".into(),
        password: "p".into(),
        mailbox: "INBOX".into(),
    };
    let started = std::time::Instant::now();
    let err = fetch_new(&acc, None, 10, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(err, ImapError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(5));
    hold.abort();
}
