//! The real `switchboard` binary, for the `kill -9` tests: started on a free
//! loopback port against the test's database (job scheduler off, workers
//! polling fast), killed with SIGKILL when dropped.

#![allow(dead_code, clippy::unwrap_used, reason = "test helpers")]

use std::time::Duration;

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server; dropping it is `kill -9`.
pub struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The port.
    pub port: u16,
}

impl Drop for Server {
    // A failing assertion must not leave a server running (it would hold the
    // test's output open).
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

/// Spawns `switchboard ARGS` on a free loopback port with `env` on top of
/// the defaults (no scheduler, workers polling fast); does not wait.
pub fn spawn(args: &[&str], database_url: &str, data_dir: &str, env: &[(&str, String)]) -> Server {
    let port = free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.args(args)
        .env("SWITCHBOARD_DATABASE_URL", database_url)
        .env("SWITCHBOARD_BIND", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_JOBS__SCHEDULER", "false")
        .env("SWITCHBOARD_JOBS__POLL_INTERVAL_MS", "50")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Server {
        child: cmd.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
        port,
    }
}

/// Waits until the server's `/readyz` answers 200; returns its body.
pub async fn ready(server: &Server) -> serde_json::Value {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
            if r.status().is_success() {
                return r.json().await.unwrap_or_default();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never became ready", server.base);
}

/// Starts `switchboard serve` with `env` on top of the defaults and waits
/// until `/readyz` answers.
pub async fn start(database_url: &str, data_dir: &str, env: &[(&str, String)]) -> Server {
    let server = spawn(&["serve"], database_url, data_dir, env);
    ready(&server).await;
    server
}
