//! View types and forms shared by the server and the browser. They compile without
//! the database: no entity `Model` ever crosses the wire.

use crate::permissions::Role;
use serde::{Deserialize, Serialize};

/// A workspace as shown in the switcher and header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    /// Workspace id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Your role there.
    pub role: Role,
    /// Whether a logo was uploaded.
    pub has_logo: bool,
}

/// The signed-in person and the workspace they are working in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// User id.
    pub user_id: i32,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Whether the address has been verified.
    pub email_verified: bool,
    /// IANA timezone, once known.
    pub timezone: Option<String>,
    /// That zone's offsets (UTC until the zone is known): every time in the app is
    /// shown in it, the same on the server and in the browser.
    pub zone: ZoneRules,
    /// The current workspace.
    pub workspace: WorkspaceSummary,
    /// Every workspace the user belongs to.
    pub workspaces: Vec<WorkspaceSummary>,
    /// Whether they take new tickets (online, away, offline) in this workspace.
    pub status: AgentStatus,
}

/// A time zone's UTC offsets over a window of years around now, from the server's
/// time-zone database (the browser needs no copy of it): enough to show any time
/// the app holds in the viewer's zone, identically when rendered on the server and
/// in the browser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneRules {
    /// IANA name (`America/Los_Angeles`).
    pub name: String,
    /// Offsets in force from each instant on, oldest first; the first one also
    /// applies before its start.
    pub spans: Vec<ZoneSpan>,
}

/// An offset in force from an instant on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneSpan {
    /// Unix seconds.
    pub from: i64,
    /// Seconds east of UTC.
    pub offset: i32,
    /// Its abbreviation (`PST`, `CEST`, `+0530`).
    pub abbr: String,
}

impl ZoneRules {
    /// Coordinated Universal Time.
    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            spans: vec![ZoneSpan {
                from: i64::MIN,
                offset: 0,
                abbr: "UTC".into(),
            }],
        }
    }

    /// The offset and abbreviation in force at `unix` seconds.
    pub fn at(&self, unix: i64) -> (i32, &str) {
        let i = self.spans.partition_point(|s| s.from <= unix);
        self.spans
            .get(i.saturating_sub(1))
            .map_or((0, "UTC"), |s| (s.offset, s.abbr.as_str()))
    }

    /// A time as the viewer reads it: `Dec 4, 2026, 3:05 PM PST`.
    pub fn format(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        let (offset, abbr) = self.at(t.timestamp());
        let Some(fixed) = chrono::FixedOffset::east_opt(offset) else {
            return t.format("%b %-d, %Y, %-I:%M %p UTC").to_string();
        };
        let zone = if abbr.starts_with(['+', '-']) {
            format!("UTC{abbr}")
        } else {
            abbr.to_owned()
        };
        format!(
            "{} {zone}",
            t.with_timezone(&fixed).format("%b %-d, %Y, %-I:%M %p")
        )
    }
}

impl Default for ZoneRules {
    fn default() -> Self {
        Self::utc()
    }
}

impl SessionView {
    /// The role in the current workspace.
    pub fn role(&self) -> Role {
        self.workspace.role
    }
}

/// A member on the team page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    /// Membership id (the handle for role changes and removal).
    pub membership_id: i32,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// When they joined, RFC 3339.
    pub joined_at: String,
    /// Whether this is the viewer.
    pub is_you: bool,
}

/// A pending invitation on the team page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    /// Invitation id.
    pub id: i32,
    /// Invited address.
    pub email: String,
    /// Role offered.
    pub role: Role,
    /// Expiry, RFC 3339.
    pub expires_at: String,
    /// Whether it has expired.
    pub expired: bool,
}

/// The team page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    /// Members.
    pub members: Vec<MemberView>,
    /// Open invitations.
    pub invitations: Vec<InvitationView>,
}

/// What the invitation page shows before accepting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationPreview {
    /// Workspace name.
    pub workspace_name: String,
    /// Invited address.
    pub email: String,
    /// Role offered.
    pub role: Role,
    /// Who invited.
    pub invited_by: String,
    /// Whether an account with this address exists already.
    pub account_exists: bool,
    /// Whether the viewer is signed in as the invited address.
    pub signed_in_as_invitee: bool,
}

/// An activity-log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityView {
    /// Entry id.
    pub id: i32,
    /// When, RFC 3339.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What (`auth.sign_in`, `team.role_changed`, ...).
    pub action: String,
    /// On what, e.g. `membership:12`.
    pub target: Option<String>,
    /// State before, JSON.
    pub before: Option<String>,
    /// State after, JSON.
    pub after: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

/// Filters for the activity log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityFilter {
    /// Actor name or email contains this.
    pub actor: Option<String>,
    /// Action equals (or starts with, when it ends in `.`).
    pub action: Option<String>,
    /// From date (inclusive), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// To date (inclusive), `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Show entries older than this id (cursor).
    pub before_id: Option<i32>,
}

/// One page of the activity log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityPage {
    /// Entries, newest first.
    pub items: Vec<ActivityView>,
    /// Cursor for the next page.
    pub next_before_id: Option<i32>,
}

/// An outbox email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailView {
    /// Id.
    pub id: i32,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Kind (invitation, ...).
    pub kind: String,
    /// queued, sent, unsent, failed.
    pub status: String,
    /// Why it was not sent.
    pub reason: Option<String>,
    /// Send attempts.
    pub attempts: i32,
    /// Created, RFC 3339.
    pub created_at: String,
    /// Sent, RFC 3339.
    pub sent_at: Option<String>,
    /// Whether archived.
    pub archived: bool,
    /// Plain-text body.
    pub body_text: String,
}

/// A background job (dead letters and recent failures).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    /// Id.
    pub id: i32,
    /// Handler name.
    pub kind: String,
    /// pending, running, succeeded, dead.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Last error.
    pub last_error: Option<String>,
    /// Next run, RFC 3339.
    pub run_at: String,
    /// Created, RFC 3339.
    pub created_at: String,
}

/// Job counts by status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobsOverview {
    /// Waiting to run.
    pub pending: u64,
    /// Running now.
    pub running: u64,
    /// Gave up after retries.
    pub dead: u64,
    /// Dead letters, newest first.
    pub dead_jobs: Vec<JobView>,
}

/// Workspace settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSettingsView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Whether a logo is set.
    pub has_logo: bool,
}

/// The home page summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    /// Members.
    pub members: u64,
    /// Open invitations.
    pub pending_invitations: u64,
    /// Emails not sent (unsent or failed).
    pub unsent_emails: u64,
    /// Dead-lettered jobs.
    pub dead_jobs: u64,
}

/// A validation rule shared by browser and server: minimum password length.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Percent-encodes a query-string value: RFC 3986 unreserved characters and `/`
/// stay as they are, every other byte becomes `%XX`.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in: `next` when it is a path on this site (never
/// another host: `//evil.test` or `https://…` fall back to `/app`).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with("/app")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local {
        next
    } else {
        "/app"
    }
}

/// Checks a password against the shared rule.
///
/// # Errors
/// A message a person can act on.
pub fn validate_password(p: &str) -> Result<(), String> {
    if p.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "Password is too short: use at least {MIN_PASSWORD_LEN} characters."
        ));
    }
    if p.chars().count() > 256 {
        return Err("Password is too long: use at most 256 characters.".into());
    }
    Ok(())
}

/// Checks an email address (shape only; ownership is proven by verification).
///
/// # Errors
/// A message a person can act on.
pub fn validate_email(e: &str) -> Result<String, String> {
    let e = e.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.contains(char::is_whitespace)
                && e.matches('@').count() == 1
        });
    if ok {
        Ok(e)
    } else {
        Err("Enter a valid email address, like name@example.com.".into())
    }
}

/// Checks a display name.
///
/// # Errors
/// A message a person can act on.
pub fn validate_name(n: &str, what: &str) -> Result<String, String> {
    let n = n.trim();
    if n.chars().count() < 2 {
        return Err(format!("{what} must be at least 2 characters."));
    }
    if n.chars().count() > 100 {
        return Err(format!("{what} must be at most 100 characters."));
    }
    Ok(n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            validate_email(" Ada@Example.COM ").as_deref(),
            Ok("ada@example.com")
        );
        for bad in [
            "", "ada", "ada@", "@x.io", "a@b", "a b@c.io", "a@@c.io", "a@.io",
        ] {
            assert!(validate_email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn next_after_sign_in_stays_on_this_site() {
        assert_eq!(safe_next("/app/inbox?view=3"), "/app/inbox?view=3");
        assert_eq!(safe_next("/app"), "/app");
        for bad in [
            "",
            "//evil.test/app",
            "https://evil.test/app",
            "/\\evil.test",
            "/sign-in",
            "/app\n",
        ] {
            assert_eq!(safe_next(bad), "/app", "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough pw").is_ok());
    }

    #[test]
    fn names() {
        assert!(validate_name("A", "Name").is_err());
        assert_eq!(validate_name("  Ada ", "Name").as_deref(), Ok("Ada"));
    }
}

mod inbox;
pub use inbox::*;

mod channels;
pub use channels::*;

mod kb;
pub use kb::*;

mod ai;
pub use ai::*;

mod actions;
pub use actions::*;

mod procedures;
pub use procedures::*;
mod rules;
pub use rules::*;
mod hours;
pub use hours::*;
mod routing;
pub use routing::*;
mod notifications;
pub use notifications::*;
mod flows;
pub use flows::*;
mod flow_run;
pub use flow_run::*;
mod segments;
pub use segments::*;
mod campaigns;
pub use campaigns::*;
mod targeted;
pub use targeted::*;
mod tours;
pub use tours::*;
mod commerce;
pub use commerce::*;
mod store;
pub use store::*;
mod quality;
pub use quality::*;
mod reports;
pub use reports::*;
mod sms;
pub use sms::*;
mod portal;
pub use portal::*;

pub use widget_protocol::*;
