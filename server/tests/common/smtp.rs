//! A real SMTP server on loopback (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA with
//! dot-stuffing, RSET, NOOP, QUIT) that records delivered messages and refuses
//! mailboxes at `bounces.test` (550), and a "stalling" server that accepts
//! connections and never answers.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers"
)]

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One delivered message.
#[derive(Clone, Debug)]
pub struct Delivered {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

/// A recording SMTP server.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Delivered>>>,
    pub connections: Arc<Mutex<u32>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let (m, c) = (messages.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                *c.lock().unwrap() += 1;
                let m = m.clone();
                tokio::spawn(async move {
                    let _ = session(sock, m).await;
                });
            }
        });
        Self {
            port,
            messages,
            connections,
        }
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits until `n` messages arrived (up to `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Delivered> {
        for _ in 0..secs * 20 {
            let d = self.delivered();
            if d.len() >= n {
                return d;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.delivered()
    }
}

async fn session(
    sock: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Delivered>>>,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut rcpt = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-sink.test greets you\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            w.write_all(b"250 sink.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = cmd[10..]
                .trim()
                .trim_matches(|c| c == '<' || c == '>')
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches(|c| c == '<' || c == '>')
                .to_owned();
            rcpt.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            if from.is_empty() {
                w.write_all(b"503 need MAIL first\r\n").await?;
                continue;
            }
            let to = cmd[8..]
                .trim()
                .trim_matches(|c| c == '<' || c == '>')
                .to_owned();
            // Mailboxes at bounces.test do not exist (a hard bounce).
            if to.ends_with("@bounces.test") {
                w.write_all(b"550 5.1.1 No such user here\r\n").await?;
                continue;
            }
            rcpt.push(to);
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            if rcpt.is_empty() {
                w.write_all(b"503 need RCPT first\r\n").await?;
                continue;
            }
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            store.lock().unwrap().push(Delivered {
                mail_from: from.clone(),
                rcpt_to: rcpt.clone(),
                data,
            });
            w.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "RSET" || upper == "NOOP" {
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"500 5.5.1 unrecognized command\r\n").await?;
        }
    }
}

/// A server that accepts and greets, then never answers: sends hang until timeout.
pub async fn stalling_server() -> (u16, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            *c.lock().unwrap() += 1;
            let _ = sock.write_all(b"220 slow.test ESMTP\r\n").await;
            held.push(sock);
        }
    });
    (port, count)
}
