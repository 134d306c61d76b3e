//! Campaign sending (SPEC C10.2–C10.3): the workspace's sending settings, its
//! suppression list and each campaign's per-step funnel, as the admin app
//! shows them. Wasm-safe.

use serde::{Deserialize, Serialize};

/// Hours of the day, for the quiet-hours pickers.
pub const HOURS: std::ops::RangeInclusive<i32> = 0..=23;

/// How a workspace's campaigns send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingSettings {
    /// At most this many campaign emails to one customer …
    pub cap_count: i32,
    /// … in this many days (0: no cap).
    pub cap_days: i32,
    /// Quiet hours: none from this hour (the customer's local time) …
    pub quiet_start: Option<i32>,
    /// … until this hour (none: no quiet hours).
    pub quiet_end: Option<i32>,
    /// The zone of customers whose own is not known (IANA: `Europe/Berlin`).
    pub default_timezone: String,
    /// At most this many campaign emails a minute for the workspace.
    pub per_minute: i32,
}

impl Default for MarketingSettings {
    fn default() -> Self {
        Self {
            cap_count: 3,
            cap_days: 7,
            quiet_start: Some(21),
            quiet_end: Some(8),
            default_timezone: "UTC".into(),
            per_minute: 600,
        }
    }
}

impl MarketingSettings {
    /// Whether `hour` (0–23, local) falls in the quiet hours (which may span
    /// midnight: 21 → 8).
    pub fn is_quiet(&self, hour: i32) -> bool {
        match (self.quiet_start, self.quiet_end) {
            (Some(s), Some(e)) if s < e => hour >= s && hour < e,
            (Some(s), Some(e)) if s > e => hour >= s || hour < e,
            _ => false,
        }
    }

    /// What is wrong with the settings, for a person (none: fine).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(1..=1_000).contains(&self.cap_count) {
            return Some((
                "cap_count",
                "The cap is 1 to 1,000 emails (set the days to 0 for no cap).".into(),
            ));
        }
        if !(0..=365).contains(&self.cap_days) {
            return Some(("cap_days", "The cap's period is 0 to 365 days.".into()));
        }
        match (self.quiet_start, self.quiet_end) {
            (None, None) => {}
            (Some(s), Some(e)) if HOURS.contains(&s) && HOURS.contains(&e) && s != e => {}
            (Some(s), Some(e)) if s == e => {
                return Some((
                    "quiet_end",
                    "Quiet hours must end at another hour than they start.".into(),
                ))
            }
            _ => {
                return Some((
                    "quiet_start",
                    "Give quiet hours a start and an end (0–23), or neither.".into(),
                ))
            }
        }
        if !(1..=100_000).contains(&self.per_minute) {
            return Some((
                "per_minute",
                "The sending rate is 1 to 100,000 emails a minute.".into(),
            ));
        }
        None
    }
}

/// An address campaigns never write to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionView {
    /// Id.
    pub id: i32,
    /// The address.
    pub email: String,
    /// `unsubscribed`, `bounced`, `complained`.
    pub reason: String,
    /// Where it came from.
    pub note: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// Why an address is suppressed, with labels.
pub const SUPPRESSION_REASONS: &[(&str, &str)] = &[
    ("unsubscribed", "Unsubscribed"),
    ("bounced", "Bounced"),
    ("complained", "Marked as spam"),
];

/// The sending page: settings and the suppression list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingPage {
    /// Settings.
    pub settings: MarketingSettings,
    /// The newest suppressions (at most [`SUPPRESSIONS_SHOWN`]).
    pub suppressions: Vec<SuppressionView>,
    /// How many there are in all.
    pub suppressed: u64,
    /// Campaign emails waiting to go (queued; quiet hours or the rate hold
    /// some back).
    pub queued: u64,
}

/// Suppressions listed on the page.
pub const SUPPRESSIONS_SHOWN: u64 = 200;

/// How one Send email step did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignStepStats {
    /// The step's id.
    pub node: String,
    /// Its subject (an in-app step: the message's name).
    pub subject: String,
    /// An in-app message step: `sent` and `opened` count customers who saw
    /// it, `queued` those whose visit it waits for, `failed` those it lapsed
    /// for (or whose message was deleted).
    #[serde(default)]
    pub in_app: bool,
    /// Written and waiting (quiet hours, the rate; an in-app message: the
    /// customer's next visit).
    pub queued: u64,
    /// Handed to the mail server.
    pub sent: u64,
    /// Not sent: the address is suppressed.
    pub suppressed: u64,
    /// Not sent: the customer had the capped number of emails already.
    pub capped: u64,
    /// Not sent: no address, or the send failed.
    pub failed: u64,
    /// Opened (the tracking image loaded, or a link clicked).
    pub opened: u64,
    /// A link clicked.
    pub clicked: u64,
    /// Reached the campaign's goal segment within its window.
    pub converted: u64,
    /// Unsubscribed from this email.
    pub unsubscribed: u64,
}

/// How a campaign's runs went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignStats {
    /// Customers who entered.
    pub entered: u64,
    /// Runs still going (waiting).
    pub active: u64,
    /// Runs finished.
    pub done: u64,
    /// Members when it was first published, left out (new members only).
    pub skipped: u64,
    /// Per Send email step, in the graph's order.
    pub steps: Vec<CampaignStepStats>,
}

/// What the unsubscribe and preferences page shows a recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionView {
    /// The workspace's name.
    pub workspace: String,
    /// The address.
    pub email: String,
    /// Whether campaigns still write to it.
    pub subscribed: bool,
    /// The email it came from (subject).
    pub subject: String,
}
