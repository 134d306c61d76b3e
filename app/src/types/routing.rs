//! View types and forms of routing (SPEC C7.6): queues, agents' skills, capacity
//! and status, and the routing metrics. Wasm-safe; never entity rows.

use super::{AgentStatus, Channel};
use serde::{Deserialize, Serialize};

/// The capacity an agent has on a channel without a figure of their own.
pub fn default_capacity(channel: Channel) -> u32 {
    match channel {
        Channel::Chat | Channel::Phone | Channel::Whatsapp | Channel::Sms => 3,
        _ => 10,
    }
}

/// A routing queue as the editor sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueForm {
    /// None: a new queue.
    pub id: Option<i32>,
    /// "VIP chats".
    pub name: String,
    /// Channels it takes (empty: any).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Priorities it takes (empty: any).
    #[serde(default)]
    pub priorities: Vec<String>,
    /// Only tickets with this tag (empty: any).
    #[serde(default)]
    pub tag: String,
    /// Only tickets of this team; its members form the pool (none: any ticket,
    /// every agent).
    pub team_id: Option<i32>,
    /// Only tickets of this segment's customers (none: any customer).
    #[serde(default)]
    pub segment_id: Option<i32>,
    /// Skills every agent in the pool must have (`language:fr`).
    #[serde(default)]
    pub skills: Vec<String>,
    /// A [`super::RoutingStrategy`] name.
    pub strategy: String,
    /// Assign only while this schedule is open (none: any time).
    pub schedule_id: Option<i32>,
    /// Widen the pool after a ticket waited this many minutes (none: never).
    pub overflow_after_mins: Option<i32>,
    /// The wider pool (none: every agent, skills not required).
    pub overflow_team_id: Option<i32>,
    /// Routes when enabled.
    pub enabled: bool,
}

/// A queue with its figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    /// Id.
    pub id: i32,
    /// Matching order.
    pub position: i32,
    /// The queue.
    pub form: QueueForm,
    /// "Takes: chat, urgent, tagged vip".
    pub takes: String,
    /// "Support team, with language:fr" or "Every agent".
    pub pool: String,
    /// Schedule name, or "Any time".
    pub hours: String,
    /// Tickets waiting now.
    pub waiting: u64,
    /// The longest wait now, seconds.
    pub oldest_wait_secs: Option<i64>,
    /// Tickets it assigned in the last 24 hours.
    pub routed_24h: u64,
    /// Their average time to assign, seconds.
    pub avg_assign_secs: Option<i64>,
    /// A problem with the queue's place ("Never reached: …").
    pub note: Option<String>,
}

/// One channel's figure for an agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelLoad {
    /// Channel name.
    pub channel: String,
    /// Open tickets assigned.
    pub open: u32,
    /// Most at once.
    pub capacity: u32,
}

/// An agent as routing sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingAgentView {
    /// User id.
    pub user_id: i32,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Status.
    pub status: AgentStatus,
    /// Set automatically (idle or gone).
    pub status_auto: bool,
    /// Skills.
    pub skills: Vec<String>,
    /// Load and capacity per channel (every channel, defaults included).
    pub channels: Vec<ChannelLoad>,
    /// Open tickets over capacity on the channels they work, percent.
    pub utilisation_pct: u32,
    /// Last seen in the app, RFC 3339.
    pub last_seen: Option<String>,
}

/// An agent's skills and capacity as the editor sends them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRoutingForm {
    /// The member.
    pub user_id: i32,
    /// Skills (`language:fr`).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Capacity per channel name (channels left out use the default).
    #[serde(default)]
    pub capacity: Vec<(String, u32)>,
}

/// The workspace's routing figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingMetrics {
    /// Tickets waiting in a queue now.
    pub waiting: u64,
    /// Tickets routed in the last 24 hours.
    pub routed_24h: u64,
    /// Average time to assign over those, seconds.
    pub avg_assign_secs: Option<i64>,
    /// 90th percentile time to assign, seconds.
    pub p90_assign_secs: Option<i64>,
    /// Open assigned tickets over the online agents' capacity, percent.
    pub utilisation_pct: u32,
    /// Agents online now.
    pub online: u32,
    /// Agents away now.
    pub away: u32,
}

/// The routing page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingPage {
    /// Queues, in matching order.
    pub queues: Vec<QueueView>,
    /// The agents.
    pub agents: Vec<RoutingAgentView>,
    /// Figures.
    pub metrics: RoutingMetrics,
}

/// What the queue editor chooses from (id, name each), loaded once with the
/// page so the editor is not rebuilt while someone types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingLists {
    /// Teams.
    pub teams: Vec<(i32, String)>,
    /// Business-hours schedules.
    pub schedules: Vec<(i32, String)>,
    /// Customer segments.
    pub segments: Vec<(i32, String)>,
}

/// The signed-in member's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyStatus {
    /// Status.
    pub status: AgentStatus,
    /// Set automatically.
    pub auto: bool,
}
