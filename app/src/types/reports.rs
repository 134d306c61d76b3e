//! Report builder view types (SPEC C8.1): what a report measures, how it groups
//! and filters, how it is drawn; the computed result with its chart; saved
//! reports; the conversations behind a point (drill-down).

use serde::{Deserialize, Serialize};

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal : $label:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { #[default] $($(#[$vm])* #[serde(rename = $s)] $v),* }
        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// Stable name (URLs, saved specs).
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),* } }
            /// Parses a stable name.
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$v),)* _ => None } }
            /// Human label.
            pub fn label(self) -> &'static str { match self { $($name::$v => $label),* } }
        }
    };
}

choice!(
    /// What a report measures, over the conversations created in its period.
    Metric {
        /// Conversations created.
        Tickets = "tickets": "Tickets",
        /// Average time from creation to the first agent reply (those answered).
        FirstResponse = "first_response": "First response time",
        /// Average time from creation to solved (those solved).
        Resolution = "resolution": "Resolution time",
        /// Agent replies per conversation.
        Replies = "replies": "Replies per ticket",
        /// Share of survey answers rating 4 or 5 (those rated).
        Csat = "csat": "CSAT",
        /// Share of conversations under an SLA policy that never breached it.
        SlaCompliance = "sla": "SLA compliance",
        /// Share of conversations the AI agent resolved.
        AiResolution = "ai_resolution": "AI resolution rate",
        /// Conversations still open now.
        Backlog = "backlog": "Backlog (still open)",
    }
);

impl Metric {
    /// How values of this metric read.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Tickets | Metric::Backlog => Unit::Count,
            Metric::FirstResponse | Metric::Resolution => Unit::Seconds,
            Metric::Replies => Unit::Ratio,
            Metric::Csat | Metric::SlaCompliance | Metric::AiResolution => Unit::Percent,
        }
    }

    /// Which conversations a point of this metric is computed over: the ones
    /// its drill-down lists.
    pub fn population(self) -> &'static str {
        match self {
            Metric::Tickets | Metric::Replies | Metric::AiResolution => "conversations",
            Metric::FirstResponse => "conversations with a first reply",
            Metric::Resolution => "solved conversations",
            Metric::Csat => "conversations with a survey answer",
            Metric::SlaCompliance => "conversations under an SLA policy",
            Metric::Backlog => "conversations still open",
        }
    }
}

/// How a metric's values read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A whole number.
    Count,
    /// A duration in seconds.
    Seconds,
    /// A ratio (1.5 replies).
    Ratio,
    /// A percentage 0–100.
    Percent,
}

impl Unit {
    /// A value as people read it: `1,204`, `3h 20m`, `1.5`, `82.5%`.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Count => thousands(v.round() as i64),
            Unit::Ratio => format!("{v:.2}"),
            Unit::Percent => format!("{v:.1}%"),
            Unit::Seconds => {
                let s = v.round() as i64;
                if s < 60 {
                    format!("{s}s")
                } else if s < 3600 {
                    format!("{}m {}s", s / 60, s % 60)
                } else if s < 86_400 {
                    format!("{}h {}m", s / 3600, (s % 3600) / 60)
                } else {
                    format!("{}d {}h", s / 86_400, (s % 86_400) / 3600)
                }
            }
        }
    }
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

choice!(
    /// What points are grouped by.
    Group {
        /// One number for the whole period.
        Nothing = "none": "Nothing (one number)",
        /// Hour of creation, in the viewer's time zone.
        Hour = "hour": "Hour",
        /// Day.
        Day = "day": "Day",
        /// Week (starting Monday).
        Week = "week": "Week",
        /// Month.
        Month = "month": "Month",
        /// Assigned agent.
        Agent = "agent": "Agent",
        /// Team.
        Team = "team": "Team",
        /// Channel.
        Channel = "channel": "Channel",
        /// Priority.
        Priority = "priority": "Priority",
        /// Tag (a conversation with two tags counts under each).
        Tag = "tag": "Tag",
        /// Customer segment (a customer in two segments counts under each).
        Segment = "segment": "Customer segment",
    }
);

impl Group {
    /// Whether this groups by time.
    pub fn is_time(self) -> bool {
        matches!(self, Group::Hour | Group::Day | Group::Week | Group::Month)
    }
}

choice!(
    /// How a report is drawn.
    ChartKind {
        /// Bars.
        Bar = "bar": "Bar",
        /// Lines.
        Line = "line": "Line",
        /// Bars stacked by the second grouping.
        Stacked = "stacked": "Stacked bar",
        /// A pie.
        Pie = "pie": "Pie",
        /// A table.
        Table = "table": "Table",
        /// One big number.
        Number = "number": "Number card",
    }
);

/// Which conversations a report counts (all optional, combined with AND).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFilters {
    /// Channel (`email`, `chat`, …).
    #[serde(default)]
    pub channel: Option<String>,
    /// Priority.
    #[serde(default)]
    pub priority: Option<String>,
    /// Status now.
    #[serde(default)]
    pub status: Option<String>,
    /// Assigned agent (user id).
    #[serde(default)]
    pub assignee_id: Option<i32>,
    /// Team id.
    #[serde(default)]
    pub team_id: Option<i32>,
    /// Tag id.
    #[serde(default)]
    pub tag_id: Option<i32>,
}

/// A report's definition: saved as JSON, carried in the builder's URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSpec {
    /// What it measures.
    pub metric: Metric,
    /// The points.
    pub group: Group,
    /// A second grouping that splits each point into series (stacked, lines).
    #[serde(default)]
    pub split: Group,
    /// The last this many days, today included (1–366).
    pub days: i64,
    /// Which conversations.
    #[serde(default)]
    pub filters: ReportFilters,
    /// How it is drawn.
    pub chart: ChartKind,
}

impl Default for ReportSpec {
    fn default() -> Self {
        Self {
            metric: Metric::Tickets,
            group: Group::Day,
            split: Group::Nothing,
            days: 30,
            filters: ReportFilters::default(),
            chart: ChartKind::Bar,
        }
    }
}

/// One value of a report: a group (and series) with the conversations behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportPoint {
    /// The group's key, for drill-down (`2026-12-04`, an agent id, `email`).
    pub key: String,
    /// The group as shown.
    pub label: String,
    /// The series' key (`""` without a split).
    pub series: String,
    /// The series as shown.
    pub series_label: String,
    /// The value (`None` where nothing was there to measure, e.g. no replies yet).
    pub value: Option<f64>,
    /// The value as shown.
    pub shown: String,
    /// How many conversations the value is computed over.
    pub count: u64,
}

/// A computed report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportResult {
    /// What was asked.
    pub spec: ReportSpec,
    /// The metric's name.
    pub title: String,
    /// What a point counts (`solved conversations`).
    pub population: String,
    /// The whole period's value as shown.
    pub total: String,
    /// Conversations behind the total.
    pub total_count: u64,
    /// Every point, groups in order.
    pub points: Vec<ReportPoint>,
    /// ECharts option JSON (built with charming); empty for tables and numbers.
    pub chart: String,
    /// The period as shown (`Nov 5 – Dec 4, 2026`).
    pub period: String,
    /// The zone times are grouped in.
    pub zone: String,
}

/// A choice in a filter or grouping list (agents, teams, tags, segments).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOption {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
}

/// What the builder offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportsPage {
    /// Saved reports you can open.
    pub saved: Vec<SavedReport>,
    /// Agents.
    pub agents: Vec<ReportOption>,
    /// Teams.
    pub teams: Vec<ReportOption>,
    /// Tags.
    pub tags: Vec<ReportOption>,
    /// Whether you may save reports for the whole workspace.
    pub can_share: bool,
}

/// A saved report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedReport {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// The definition.
    pub spec: ReportSpec,
    /// Shared with the workspace (else yours alone).
    pub shared: bool,
    /// Whether you may change or delete it.
    pub editable: bool,
}

/// Saving a report: a new one (no id) or a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaveReportForm {
    /// The report to change.
    #[serde(default)]
    pub id: Option<i32>,
    /// Name.
    pub name: String,
    /// Definition.
    pub spec: ReportSpec,
    /// Share with the workspace.
    #[serde(default)]
    pub shared: bool,
}

/// A conversation behind a report point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillRow {
    /// Conversation number.
    pub number: i32,
    /// Subject.
    pub subject: String,
    /// Status.
    pub status: String,
    /// Channel.
    pub channel: String,
    /// Priority.
    pub priority: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// The metric's value for this conversation as shown (`2h 5m`, `rated 4`).
    pub value: String,
}

/// The conversations behind one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillDown {
    /// The point as shown (`Email · Dec 4`).
    pub label: String,
    /// How many conversations in all.
    pub total: u64,
    /// The first of them, newest first (at most [`DRILL_LIMIT`]).
    pub rows: Vec<DrillRow>,
}

/// The drill-down key of a report's whole period.
pub const REPORT_ALL: &str = "all";

/// How many conversations a drill-down lists.
pub const DRILL_LIMIT: u64 = 200;

/// Columns of a dashboard's grid.
pub const GRID_COLUMNS: u8 = 12;
/// The most widgets on one dashboard.
pub const MAX_WIDGETS: usize = 24;

/// A report placed on a dashboard's grid (12 columns; rows of a fixed height).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Widget {
    /// Title shown on the card.
    pub title: String,
    /// The report it shows.
    pub spec: ReportSpec,
    /// First column (0–11).
    pub x: u8,
    /// First row.
    pub y: u16,
    /// Width in columns (2–12).
    pub w: u8,
    /// Height in rows (2–8).
    pub h: u8,
}

/// A dashboard in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardSummary {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// How many widgets.
    pub widgets: usize,
    /// Whether a share link is live.
    pub shared: bool,
}

/// A pre-built dashboard to start from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardTemplate {
    /// Stable key (`volume`).
    pub key: String,
    /// Name.
    pub name: String,
    /// What it shows.
    pub description: String,
}

/// The dashboards page: yours to open and the templates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardsPage {
    /// Every dashboard of the workspace, by name.
    pub dashboards: Vec<DashboardSummary>,
    /// Pre-built dashboards.
    pub templates: Vec<DashboardTemplate>,
    /// Whether you may create, arrange, share and delete dashboards.
    pub can_manage: bool,
}

/// A widget with its computed report (or why it could not be computed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetView {
    /// Placement and definition.
    pub widget: Widget,
    /// The report.
    pub result: Result<ReportResult, String>,
}

/// A dashboard with every widget computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Widgets in grid order.
    pub widgets: Vec<WidgetView>,
    /// The share link's path (`/share/dashboards/…`) while sharing is on.
    pub share_path: Option<String>,
    /// Whether you may arrange, share and delete it.
    pub can_manage: bool,
}

/// Saving a dashboard's name and layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaveDashboardForm {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Every widget, placed.
    pub widgets: Vec<Widget>,
}

/// One channel's line on the live dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveChannel {
    /// `chat`, `email`…
    pub channel: String,
    /// Label.
    pub label: String,
    /// New or open conversations.
    pub open: u64,
    /// Of those, with no assignee.
    pub unassigned: u64,
    /// Of those, with no first reply yet.
    pub awaiting_first_reply: u64,
}

/// An agent on the live dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveAgent {
    /// User id.
    pub user_id: i32,
    /// Name.
    pub name: String,
    /// Online, away or offline.
    pub status: super::AgentStatus,
    /// New or open conversations assigned to them.
    pub open_assigned: u64,
}

/// The conversation that has waited longest for a first reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveWait {
    /// Number.
    pub number: i32,
    /// `TKT-000123`.
    pub reference: String,
    /// Subject.
    pub subject: String,
    /// Channel label.
    pub channel: String,
    /// Seconds it had waited when the snapshot was taken.
    pub waited_secs: i64,
}

/// The live dashboard: the support floor now (SPEC C8.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBoard {
    /// When the snapshot was taken, RFC 3339.
    pub at: String,
    /// Queue depth: new or open conversations with no assignee.
    pub unassigned: u64,
    /// Of those, waiting in a routing queue.
    pub in_routing_queues: u64,
    /// New or open conversations with no first reply yet.
    pub awaiting_first_reply: u64,
    /// The longest of those waits.
    pub longest_wait: Option<LiveWait>,
    /// Chats new or open with a message in the last hour.
    pub active_chats: u64,
    /// Conversations opened in the last hour.
    pub opened_last_hour: u64,
    /// Conversations solved in the last hour.
    pub solved_last_hour: u64,
    /// Agents online now.
    pub online: u32,
    /// Agents away now.
    pub away: u32,
    /// Per channel, busiest first (channels with nothing open are left out).
    pub channels: Vec<LiveChannel>,
    /// Members who answer customers: online first, then away, then offline.
    pub agents: Vec<LiveAgent>,
}

/// A conversation named in the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestTicket {
    /// Number.
    pub number: i32,
    /// `TKT-000123`.
    pub reference: String,
    /// Subject.
    pub subject: String,
}

/// One channel's day in the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestChannel {
    /// `chat`, `email`…
    pub channel: String,
    /// Label.
    pub label: String,
    /// Conversations opened that day.
    pub opened: u64,
    /// Conversations solved that day (opened any day).
    pub solved: u64,
    /// Of those opened that day, the share solved by its end, percent.
    pub resolved_same_day_pct: Option<u32>,
    /// Average time to the first reply over those opened that day and answered
    /// by its end, seconds.
    pub avg_first_reply_secs: Option<i64>,
}

/// A frequent issue of the day: a tag, or a word the subjects share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestIssue {
    /// The tag's name or the word.
    pub label: String,
    /// `tag` or `word`.
    pub kind: String,
    /// Conversations opened that day with it.
    pub count: u64,
}

/// How the day's customer messages read (the lexicon sentiment of the AI agent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSentiment {
    /// Customer messages read.
    pub messages: u64,
    /// Scored below 0.35.
    pub negative: u64,
    /// Between.
    pub neutral: u64,
    /// Scored above 0.65.
    pub positive: u64,
    /// The conversations whose messages read worst, worst first.
    pub most_negative: Vec<DigestTicket>,
}

/// One workspace's daily digest (SPEC C8.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestView {
    /// The day, `YYYY-MM-DD` in `zone`.
    pub day: String,
    /// The zone the day was cut in.
    pub zone: String,
    /// Conversations opened that day.
    pub opened: u64,
    /// Conversations solved that day.
    pub solved: u64,
    /// Average first reply over the day's conversations answered by its end, seconds.
    pub avg_first_reply_secs: Option<i64>,
    /// Per channel, busiest first.
    pub channels: Vec<DigestChannel>,
    /// The most frequent issues, most frequent first.
    pub top_issues: Vec<DigestIssue>,
    /// Customer sentiment.
    pub sentiment: DigestSentiment,
    /// Conversations solved that day whose question no article answers (closest
    /// article covers under half of its words): candidates for new articles.
    pub kb_candidates: Vec<DigestTicket>,
    /// How many solved conversations were checked for that.
    pub kb_checked: u64,
}

/// The digest page: one digest and the days that have one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestPage {
    /// The digest shown (the newest unless a day was asked for).
    pub digest: Option<DigestView>,
    /// Days with a digest, newest first (at most 30).
    pub days: Vec<String>,
}

choice!(
    /// The file a report is exported to.
    ExportFormat {
        /// A table: the report's points, and the conversations when asked.
        Csv = "csv": "CSV",
        /// A page with the chart and the table.
        Pdf = "pdf": "PDF",
    }
);

impl ExportFormat {
    /// MIME type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Pdf => "application/pdf",
        }
    }
}

choice!(
    /// How often a scheduled export is emailed (at 08:00 in its owner's zone).
    Frequency {
        /// Every day.
        Daily = "daily": "Daily",
        /// Mondays.
        Weekly = "weekly": "Weekly (Mondays)",
        /// The first of each month.
        Monthly = "monthly": "Monthly (on the 1st)",
    }
);

/// How many conversations an export lists at most.
pub const EXPORT_ROW_LIMIT: u64 = 100_000;

/// Recipients one schedule may email.
pub const MAX_RECIPIENTS: usize = 20;

/// A scheduled export as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSchedule {
    /// Id.
    pub id: i32,
    /// The saved report.
    pub report_id: i32,
    /// Its name.
    pub report_name: String,
    /// File kind.
    pub format: ExportFormat,
    /// How often.
    pub frequency: Frequency,
    /// Who gets it.
    pub recipients: Vec<String>,
    /// Whether every conversation counted is listed.
    pub include_conversations: bool,
    /// Next run (RFC 3339).
    pub next_run_at: String,
    /// Last run (RFC 3339).
    pub last_run_at: Option<String>,
    /// Why the last run failed.
    pub last_error: Option<String>,
    /// Who set it up.
    pub owner: String,
    /// Whether you may delete it (yours, or you manage reports).
    pub deletable: bool,
}

/// An export as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    /// Id.
    pub id: i32,
    /// The report's name when exported.
    pub report_name: String,
    /// File kind.
    pub format: ExportFormat,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Rows written.
    pub rows_done: i64,
    /// Rows to write (0 until counted).
    pub rows_total: i64,
    /// File name.
    pub filename: String,
    /// File size.
    pub size_bytes: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// Who it was emailed to (empty: download only).
    pub recipients: Vec<String>,
    /// Made by a schedule.
    pub scheduled: bool,
    /// Asked for (RFC 3339).
    pub created_at: String,
    /// Finished (RFC 3339).
    pub finished_at: Option<String>,
}

impl ExportView {
    /// Whether the job has not finished yet.
    pub fn pending(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "running")
    }

    /// Per cent written (0–100).
    pub fn percent(&self) -> i64 {
        if self.status == "done" {
            100
        } else if self.rows_total <= 0 {
            0
        } else {
            (self.rows_done.saturating_mul(100) / self.rows_total).clamp(0, 99)
        }
    }
}

/// The exports page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportsPage {
    /// Saved reports you can export.
    pub reports: Vec<SavedReport>,
    /// Schedules of the reports you can see.
    pub schedules: Vec<ExportSchedule>,
    /// Your latest exports and those of your schedules, newest first.
    pub exports: Vec<ExportView>,
    /// Your zone (times are shown in it; schedules run at 08:00 in it).
    pub zone: String,
}

/// Exporting a saved report now, or scheduling it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportForm {
    /// The saved report.
    pub report_id: i32,
    /// File kind (`csv`, `pdf`).
    pub format: String,
    /// List every conversation counted.
    #[serde(default)]
    pub include_conversations: bool,
    /// How often (`daily`, `weekly`, `monthly`); None: once, now.
    #[serde(default)]
    pub frequency: Option<String>,
    /// Addresses, separated by commas, spaces or lines (needed for a schedule;
    /// optional for now).
    #[serde(default)]
    pub recipients: String,
}

/// How satisfied the customer probably is with a conversation (before, or
/// instead of, their survey answer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionPrediction {
    /// The chance of a 4 or 5, in per cent.
    pub percent: i64,
    /// The predicted rating (1–5).
    pub rating: f64,
    /// `Likely satisfied`, `Uncertain` or `At risk`.
    pub label: String,
    /// What moved it most (`− first reply after 9 h`).
    pub reasons: Vec<String>,
}

/// A customer's health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerHealth {
    /// 0–100.
    pub score: i64,
    /// `low`, `medium` or `high`.
    pub churn_risk: String,
    /// Conversations in the last 90 days.
    pub conversations_90d: u64,
    /// Conversations open now.
    pub open_now: u64,
    /// Mean sentiment of their messages in the last 30 days (0–1).
    pub sentiment_recent: Option<f64>,
    /// Mean sentiment of their messages in the 60 days before.
    pub sentiment_before: Option<f64>,
    /// Mean of their last ten survey answers.
    pub csat_mean: Option<f64>,
    /// How many answers that mean is over.
    pub csat_answers: u64,
    /// What took points off, most first (`−24 survey answers average 2.0 of 5`).
    pub factors: Vec<String>,
}

/// The predictions shown beside a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerInsights {
    /// The satisfaction prediction.
    pub prediction: SatisfactionPrediction,
    /// The customer's real answer, when they gave one.
    pub rated: Option<i32>,
    /// The customer's health.
    pub health: CustomerHealth,
}

/// The satisfaction prediction measured against real survey answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictionCheck {
    /// The period, in days.
    pub days: i64,
    /// Survey answers compared.
    pub answers: u64,
    /// Share of answers whose side (4–5 or 1–3) was predicted right.
    pub accuracy: Option<f64>,
    /// The same for always guessing the commoner side.
    pub baseline_accuracy: Option<f64>,
    /// Mean absolute error of the predicted rating.
    pub mae: Option<f64>,
    /// The same for always guessing the mean rating.
    pub baseline_mae: Option<f64>,
    /// Chance a satisfied answer was predicted above an unsatisfied one.
    pub auc: Option<f64>,
}
