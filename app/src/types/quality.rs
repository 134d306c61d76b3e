//! AutoQA view types (SPEC C8.6): the scorecard, reviews (automatic and
//! manual), the calibration of the two, coaching assignments and spotlight flags.

use serde::{Deserialize, Serialize};

/// One thing a review scores (0–100).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Stable key (`tone`); letters, digits and `_` (made from the name when empty).
    #[serde(default)]
    pub key: String,
    /// Name shown.
    pub name: String,
    /// What a reviewer looks for.
    #[serde(default)]
    pub description: String,
    /// Weight in the total (0–100).
    #[serde(default)]
    pub weight: u32,
    /// Whether it is scored.
    #[serde(default)]
    pub enabled: bool,
}

impl Criterion {
    fn new(key: &str, name: &str, description: &str) -> Self {
        Self {
            key: key.into(),
            name: name.into(),
            description: description.into(),
            weight: 20,
            enabled: true,
        }
    }

    /// The scorecard a workspace starts with.
    pub fn defaults() -> Vec<Criterion> {
        vec![
            Criterion::new("tone", "Tone", "Friendly and professional; no shouting, blame or sarcasm."),
            Criterion::new("accuracy", "Accuracy", "The answer was right: the customer did not have to come back saying it still does not work."),
            Criterion::new("completeness", "Completeness", "Every question the customer asked got an answer."),
            Criterion::new("grammar", "Grammar", "Sentences start with a capital and end with punctuation; no doubled words or stray spaces."),
            Criterion::new("empathy", "Empathy", "When the customer is upset, the agent acknowledges it and apologises."),
        ]
    }
}

/// Flags that put a conversation in the spotlight.
pub const FLAGS: &[(&str, &str)] = &[
    ("negative_sentiment", "Negative sentiment"),
    ("compliance_risk", "Compliance risk"),
];

/// The label of a flag key.
pub fn flag_label(key: &str) -> &str {
    FLAGS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, l)| l)
}

/// A review as shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    /// Id.
    pub id: i32,
    /// Conversation number.
    pub number: i32,
    /// Subject.
    pub subject: String,
    /// The agent reviewed.
    pub agent: Option<String>,
    /// Who reviewed (None: AutoQA).
    pub reviewer: Option<String>,
    /// `provider`, `heuristics` or `manual`.
    pub source: String,
    /// Criterion key → score.
    pub scores: Vec<(String, u32)>,
    /// Weighted total (0–100).
    pub total: u32,
    /// Spotlight flags.
    pub flags: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// When (RFC 3339).
    pub created_at: String,
}

/// One conversation's automatic and manual reviews.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewRow {
    /// Conversation number.
    pub number: i32,
    /// Subject.
    pub subject: String,
    /// The agent reviewed.
    pub agent: Option<String>,
    /// The automatic review.
    pub auto: Option<ReviewView>,
    /// Reviews by people.
    pub manual: Vec<ReviewView>,
    /// Spotlight flags (of the automatic review).
    pub flags: Vec<String>,
}

/// Per criterion: the automatic and the manual scores on the same conversations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    /// Criterion key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Conversations scored both ways.
    pub pairs: u64,
    /// Mean automatic score.
    pub auto_mean: Option<f64>,
    /// Mean manual score.
    pub manual_mean: Option<f64>,
    /// Mean absolute difference.
    pub mean_gap: Option<f64>,
    /// Share of pairs within 20 points.
    pub agreement: Option<f64>,
}

/// A coaching assignment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoachingView {
    /// Id.
    pub id: i32,
    /// The conversation to go over.
    pub number: i32,
    /// Its subject.
    pub subject: String,
    /// The agent coached.
    pub agent: String,
    /// Who assigned it.
    pub assigned_by: String,
    /// What to look at.
    pub note: String,
    /// `open` or `done`.
    pub status: String,
    /// Whether you may mark it done (it is yours, or you manage quality).
    pub can_finish: bool,
    /// When (RFC 3339).
    pub created_at: String,
}

/// The quality page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityPage {
    /// The scorecard.
    pub criteria: Vec<Criterion>,
    /// Reviewed conversations, newest first (yours only unless you manage quality).
    pub rows: Vec<ReviewRow>,
    /// AutoQA against people.
    pub calibration: Vec<CalibrationRow>,
    /// Coaching assignments (yours only unless you manage quality).
    pub coaching: Vec<CoachingView>,
    /// Whether you review, coach and edit the scorecard.
    pub can_manage: bool,
    /// Which engine scores: `provider` or `heuristics`.
    pub engine: String,
    /// Only flagged conversations are listed.
    pub flagged_only: bool,
}

/// A person's review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualReviewForm {
    /// Conversation number.
    pub number: i32,
    /// Criterion key → score (0–100).
    #[serde(default)]
    pub scores: std::collections::BTreeMap<String, u32>,
    /// Notes.
    #[serde(default)]
    pub notes: String,
}

/// Assigning coaching from a review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoachingForm {
    /// The review it is about.
    pub review_id: i32,
    /// What to look at.
    pub note: String,
}

/// One conversation to review: its transcript and reviews.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewDetail {
    /// Conversation number.
    pub number: i32,
    /// Subject.
    pub subject: String,
    /// The agent reviewed.
    pub agent: Option<String>,
    /// Public replies, oldest first: (from the customer, text).
    pub lines: Vec<(bool, String)>,
    /// The scorecard.
    pub criteria: Vec<Criterion>,
    /// The automatic review.
    pub auto: Option<ReviewView>,
    /// Your review.
    pub mine: Option<ReviewView>,
    /// Every person's review.
    pub manual: Vec<ReviewView>,
    /// Whether you review and coach.
    pub can_manage: bool,
}
