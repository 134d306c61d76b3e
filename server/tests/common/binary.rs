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
}

impl Drop for Server {
    // A failing assertion must not leave a server running (it would hold the
    // test's output open).
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

/// Starts the server with `env` on top of the defaults and waits until
/// `/readyz` answers.
pub async fn start(database_url: &str, data_dir: &str, env: &[(&str, String)]) -> Server {
    let port = free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.args(["serve"])
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
    let server = Server {
        child: cmd.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server on {port} never became ready");
}
