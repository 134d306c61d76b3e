//! View types and forms of business hours and SLA policies (SPEC C7.7).
//! Wasm-safe; never entity rows.

use serde::{Deserialize, Serialize};

/// Day names, Monday first (the schedule's `day` index).
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One open interval on one weekday.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenHours {
    /// 0 = Monday … 6 = Sunday.
    pub day: u8,
    /// "09:00".
    pub open: String,
    /// "17:00" ("24:00": until midnight).
    pub close: String,
}

/// A day off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// "2026-12-25".
    pub date: String,
    /// "Christmas Day".
    pub name: String,
}

/// A business-hours schedule as the editor sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleForm {
    /// None: a new schedule.
    pub id: Option<i32>,
    /// "US support".
    pub name: String,
    /// IANA zone, e.g. "America/New_York".
    pub time_zone: String,
    /// Open intervals.
    pub hours: Vec<OpenHours>,
    /// Days off.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// A schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Zone.
    pub time_zone: String,
    /// Intervals.
    pub hours: Vec<OpenHours>,
    /// Holidays.
    pub holidays: Vec<Holiday>,
    /// "Mon–Fri 09:00–17:00".
    pub summary: String,
    /// Open right now.
    pub open_now: bool,
    /// When it next opens (closed now) or closes (open now), RFC 3339.
    pub next_change: Option<String>,
}

/// An SLA policy as the editor sends it. Targets are in minutes of the
/// schedule's business time (24/7 without one); none: not measured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicyForm {
    /// None: a new policy.
    pub id: Option<i32>,
    /// "Urgent".
    pub name: String,
    /// Priorities it applies to (empty: any).
    #[serde(default)]
    pub priorities: Vec<String>,
    /// Customer segment: tickets carrying this tag (empty: any).
    #[serde(default)]
    pub tag: String,
    /// Business-hours schedule (none: around the clock).
    pub schedule_id: Option<i32>,
    /// First reply within.
    pub first_response_mins: Option<i32>,
    /// Each later reply within (after the customer writes again).
    pub next_response_mins: Option<i32>,
    /// Solved within.
    pub resolution_mins: Option<i32>,
    /// Warn this many minutes before a target.
    pub warn_mins: i32,
    /// Applies when enabled.
    pub enabled: bool,
}

/// A policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicyView {
    /// Id.
    pub id: i32,
    /// Position (the first matching policy applies).
    pub position: i32,
    /// The policy.
    pub form: SlaPolicyForm,
    /// Schedule name ("Around the clock" without one).
    pub schedule: String,
}

/// The SLA page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPage {
    /// Schedules.
    pub schedules: Vec<ScheduleView>,
    /// Policies, in matching order.
    pub policies: Vec<SlaPolicyView>,
}

/// The clock of the next target a ticket must meet (short field names: it
/// travels with every inbox row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    /// `first_response`, `next_response` or `resolution`.
    #[serde(rename = "m")]
    pub metric: String,
    /// Due, Unix seconds.
    #[serde(rename = "d")]
    pub due: i64,
    /// Warn from, Unix seconds.
    #[serde(rename = "w")]
    pub warn: i64,
    /// The policy's name.
    #[serde(rename = "p")]
    pub policy: String,
    /// Stopped while the ticket waits on the customer (pending, on hold).
    #[serde(rename = "z", default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

impl SlaClock {
    /// "First reply", "Next reply", "Resolution".
    pub fn metric_label(&self) -> &'static str {
        match self.metric.as_str() {
            "first_response" => "First reply",
            "next_response" => "Next reply",
            _ => "Resolution",
        }
    }
}

/// "1h 20m", "3d 4h", "2h", "45m" for a number of seconds.
pub fn duration_text(secs: i64) -> String {
    let s = secs.abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    match (d, h, m) {
        (0, 0, m) => format!("{}m", m.max(i64::from(s > 0))),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::duration_text;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(30), "1m");
        assert_eq!(duration_text(0), "0m");
        assert_eq!(duration_text(45 * 60), "45m");
        assert_eq!(duration_text(3600), "1h");
        assert_eq!(duration_text(80 * 60), "1h 20m");
        assert_eq!(duration_text(86_400), "1d");
        assert_eq!(duration_text(-(3 * 86_400 + 4 * 3600 + 60)), "3d 4h");
    }
}
