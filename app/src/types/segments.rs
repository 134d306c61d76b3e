//! Customer segments (SPEC C10.1): view types and the editor's form.

use super::{Cond, RuleField};
use serde::{Deserialize, Serialize};

/// A segment as listed: its conditions, in words too, and how many customers are
/// in it now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The conditions its customers meet.
    pub conditions: Cond,
    /// The conditions in words.
    pub summary: String,
    /// Customers in it now.
    pub count: u64,
    /// The flows whose conditions use it (drafts or published versions).
    pub used_by: Vec<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// Creates (`id: None`) or changes a segment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentForm {
    /// The segment to change; none to create one.
    #[serde(default)]
    pub id: Option<i32>,
    /// Name, 1 to 80 characters, unique in the workspace.
    pub name: String,
    /// What it is for (optional).
    #[serde(default)]
    pub description: String,
    /// The conditions.
    #[serde(default)]
    pub conditions: Cond,
}

/// One customer in a segment's preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMember {
    /// Customer id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Email, when known.
    pub email: Option<String>,
    /// Company, when known.
    pub company: Option<String>,
}

/// Who a set of conditions selects now: the count and the first few.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentPreview {
    /// Customers selected.
    pub count: u64,
    /// Out of all the workspace's customers.
    pub total: u64,
    /// The first few, newest first.
    pub sample: Vec<SegmentMember>,
}

/// The segments page: every segment and the fields conditions can test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentsPage {
    /// Segments by name.
    pub segments: Vec<SegmentView>,
    /// The fields a segment's conditions can test.
    pub fields: Vec<RuleField>,
    /// All the workspace's customers.
    pub total: u64,
}
