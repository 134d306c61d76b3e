//! A private dovecot IMAP server for tests: one user, one Maildir, plain text on
//! 127.0.0.1, its own temporary directory and port, so tests can run in parallel.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers"
)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DOVECOT: &str = "/usr/sbin/dovecot";
/// How long `start` waits for the server to greet.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

static INSTANCES: AtomicU32 = AtomicU32::new(0);

/// A private dovecot on 127.0.0.1 with one user and a Maildir, stopped on drop.
pub struct Dovecot {
    pub port: u16,
    pub username: String,
    pub password: String,
    dir: PathBuf,
    child: Child,
    /// Owner of the mail files (dovecot never runs mail processes as root).
    mail_uid: u32,
    mail_gid: u32,
    /// Last (seconds, microseconds) used in a Maildir file name: strictly increasing,
    /// so dovecot assigns UIDs in delivery order.
    last_stamp: Mutex<(u64, u64)>,
    delivered: AtomicU32,
}

impl Dovecot {
    /// Starts it (None when dovecot is not installed — the caller then fails with a
    /// clear message telling to install dovecot-imapd). Panics, with dovecot's log,
    /// when it is installed but does not come up.
    pub fn start() -> Option<Self> {
        if !Path::new(DOVECOT).exists() {
            return None;
        }
        let version = dovecot_version();
        let mut last_error = String::new();
        // The port is picked by binding port 0 and released before dovecot binds it:
        // another process may take it in between, so retry a few times.
        for _ in 0..3 {
            match Self::try_start(&version) {
                Ok(d) => return Some(d),
                Err(e) => last_error = e,
            }
        }
        panic!("dovecot {version:?} did not start:\n{last_error}");
    }

    fn try_start(version: &(u32, u32)) -> Result<Self, String> {
        let n = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        // Short path under /tmp: dovecot's unix sockets live in base_dir and socket
        // paths are limited to ~108 bytes.
        let dir = PathBuf::from(format!(
            "/tmp/sb-dovecot-{}-{n}-{nanos:x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        // Login and auth processes run as other users and must reach base_dir.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let meta = std::fs::metadata(&dir).unwrap();
        let (my_uid, my_gid) = (meta.uid(), meta.gid());
        let root = my_uid == 0;

        let (mail_uid, mail_gid) = if root {
            user_ids("nobody").unwrap_or((65534, 65534))
        } else {
            (my_uid, my_gid)
        };
        let username = "support".to_string();
        let password = format!("pw-{n}-{nanos:x}");
        let maildir = dir.join("mail").join(&username);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        if root {
            for p in [dir.join("mail"), maildir.clone()]
                .into_iter()
                .chain(["cur", "new", "tmp"].map(|s| maildir.join(s)))
            {
                std::os::unix::fs::chown(&p, Some(mail_uid), Some(mail_gid)).unwrap();
            }
        }
        std::fs::write(
            dir.join("passwd"),
            format!("{username}:{{PLAIN}}{password}\n"),
        )
        .unwrap();

        let port = free_port();
        let (internal_user, login_user) = if root {
            ("dovecot".to_string(), "dovenull".to_string())
        } else {
            let me = current_user_name();
            (me.clone(), me)
        };
        let conf = config(
            version,
            &dir,
            port,
            mail_uid,
            mail_gid,
            &internal_user,
            &login_user,
            root,
        );
        let conf_path = dir.join("dovecot.conf");
        std::fs::write(&conf_path, conf).unwrap();

        let stderr = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut me = Self {
            port,
            username,
            password,
            dir,
            child,
            mail_uid,
            mail_gid,
            last_stamp: Mutex::new((0, 0)),
            delivered: AtomicU32::new(0),
        };
        match me.wait_ready() {
            Ok(()) => Ok(me),
            // Dropping `me` stops the child and removes the directory.
            Err(e) => Err(format!("{e}\n--- log ---\n{}", me.logs())),
        }
    }

    /// Waits until the server greets with "ready" (the first greeting after start
    /// can be "Waiting for authentication process to respond").
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("dovecot exited with {status}"));
            }
            if let Ok(sock) = TcpStream::connect(("127.0.0.1", self.port)) {
                sock.set_read_timeout(Some(Duration::from_millis(500)))
                    .unwrap();
                let mut reader = BufReader::new(sock.try_clone().unwrap());
                let mut line = String::new();
                while Instant::now() < deadline {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) => break,
                        Ok(_) if line.starts_with("* OK") && !line.contains("Waiting") => {
                            let _ = (&sock).write_all(b"x LOGOUT\r\n");
                            return Ok(());
                        }
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) => {}
                        Err(_) => break,
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "dovecot did not greet on 127.0.0.1:{} within {READY_TIMEOUT:?}",
            self.port
        ))
    }

    /// Delivers a raw message into INBOX (writes into Maildir/new atomically via
    /// tmp/ + rename).
    pub fn deliver(&self, raw: &[u8]) {
        let (secs, micros) = {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let mut last = self.last_stamp.lock().unwrap();
            let mut stamp = (now.as_secs(), u64::from(now.subsec_micros()));
            if stamp <= *last {
                stamp = if last.1 >= 999_999 {
                    (last.0 + 1, 0)
                } else {
                    (last.0, last.1 + 1)
                };
            }
            *last = stamp;
            stamp
        };
        let n = self.delivered.fetch_add(1, Ordering::Relaxed);
        let name = format!("{secs}.M{micros}P{}Q{n}.sbtest", std::process::id());
        let maildir = self.maildir();
        let tmp = maildir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        if std::fs::metadata(&tmp).unwrap().uid() != self.mail_uid {
            std::os::unix::fs::chown(&tmp, Some(self.mail_uid), Some(self.mail_gid)).unwrap();
        }
        std::fs::rename(&tmp, maildir.join("new").join(&name)).unwrap();
    }

    /// The user's Maildir (INBOX).
    pub fn maildir(&self) -> PathBuf {
        self.dir.join("mail").join(&self.username)
    }

    /// How many INBOX messages carry the \Seen flag (Maildir keeps flags in file
    /// names: `…:2,S`; messages still in new/ are unseen).
    pub fn seen_count(&self) -> usize {
        std::fs::read_dir(self.maildir().join("cur"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.rsplit_once(":2,")
                    .is_some_and(|(_, flags)| flags.contains('S'))
            })
            .count()
    }

    /// Dovecot's log (for failure messages).
    pub fn logs(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!("{}{}", read("dovecot.log"), read("stderr.log"))
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGKILL: the master's children (auth, imap-login, imap…) notice that it is
        // gone and exit by themselves; SIGTERM would wait about a second.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `dovecot --version` as (major, minor); (2, 3) when it cannot be read.
fn dovecot_version() -> (u32, u32) {
    let out = Command::new(DOVECOT).arg("--version").output();
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().and_then(|p| p.parse().ok()).unwrap_or(2);
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(3);
    (major, minor)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// uid and gid of a user from /etc/passwd.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == name {
            Some((f[2].parse().ok()?, f[3].parse().ok()?))
        } else {
            None
        }
    })
}

fn current_user_name() -> String {
    id_name("-un")
}

fn current_group_name() -> String {
    id_name("-gn")
}

fn id_name(flag: &str) -> String {
    Command::new("id")
        .arg(flag)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .expect("`id` cannot tell the current user or group name")
}

#[allow(clippy::too_many_arguments, reason = "one call site")]
fn config(
    version: &(u32, u32),
    dir: &Path,
    port: u16,
    mail_uid: u32,
    mail_gid: u32,
    internal_user: &str,
    login_user: &str,
    root: bool,
) -> String {
    let d = dir.display();
    // As root, dovecot drops privileges to these users (created by the Debian
    // package); as another user it cannot switch users nor chroot.
    let users = if root {
        format!(
            "default_internal_user = {internal_user}\ndefault_internal_group = dovecot\n\
             default_login_user = {login_user}\n"
        )
    } else {
        format!(
            "default_internal_user = {internal_user}\ndefault_internal_group = {}\n\
             default_login_user = {login_user}\n",
            current_group_name()
        )
    };
    let no_chroot = if root { "" } else { "  chroot =\n" };
    if *version >= (2, 4) {
        // Dovecot 2.4 renamed most settings (not verified here: Debian 12 ships 2.3).
        format!(
            "dovecot_config_version = 2.4.0\n\
             dovecot_storage_version = 2.4.0\n\
             protocols = imap\n\
             listen = 127.0.0.1\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             ssl = no\n\
             auth_allow_cleartext = yes\n\
             auth_mechanisms = plain login\n\
             {users}\
             first_valid_uid = 0\n\
             mail_driver = maildir\n\
             mail_path = {d}/mail/%{{user}}\n\
             passdb passwd-file {{\n  passwd_file_path = {d}/passwd\n}}\n\
             userdb static {{\n  fields {{\n    uid = {mail_uid}\n    gid = {mail_gid}\n    home = {d}/mail/%{{user}}\n  }}\n}}\n\
             service imap-login {{\n{no_chroot}  inet_listener imap {{\n    listen = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n{no_chroot}}}\n"
        )
    } else {
        format!(
            "protocols = imap\n\
             listen = 127.0.0.1\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             ssl = no\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login\n\
             auth_failure_delay = 0\n\
             {users}\
             first_valid_uid = 0\n\
             mail_location = maildir:{d}/mail/%u\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={mail_uid} gid={mail_gid} home={d}/mail/%u\n}}\n\
             service imap-login {{\n{no_chroot}  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n{no_chroot}  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n"
        )
    }
}
