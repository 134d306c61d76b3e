//! Product tours (SPEC C10.5): steps that point at elements of the customer's
//! own page, recorded by pointing (the builder overlay) with a robust selector
//! and fallbacks, shown by the widget script's tour runtime. Wasm-safe: the
//! editor and the server check tours with the same code.

use super::targeted::{label_of, TargetRules, MESSAGE_FREQUENCIES, MESSAGE_STATUSES};
use serde::{Deserialize, Serialize};

/// Where a step's popover sits, with labels.
pub const TOUR_PLACEMENTS: &[(&str, &str)] = &[
    ("below", "Below the element"),
    ("above", "Above the element"),
    ("right", "Right of the element"),
    ("left", "Left of the element"),
];

/// What moves a tour on from a step, with labels.
pub const TOUR_ADVANCES: &[(&str, &str)] = &[
    ("next", "The Next button"),
    ("click", "A click on the element"),
];

/// What happens when a step's element is not on the page (after a short
/// wait), with labels.
pub const TOUR_ON_MISSING: &[(&str, &str)] = &[("skip", "Skip the step"), ("end", "End the tour")];

/// Steps a tour can have.
pub const MAX_TOUR_STEPS: usize = 20;

/// How a step finds its element: the selectors the builder recorded, most
/// robust first. Each is `css:<selector>` (stable data attributes, an id, or a
/// structural path) or `text:<tag>:<text>` (an element of that tag whose
/// accessible name or text is that text). The runtime takes the first that
/// finds exactly one element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourTarget {
    /// In order of preference.
    pub selectors: Vec<String>,
    /// The element's text when recorded (for people reading the step).
    #[serde(default)]
    pub label: String,
}

/// One step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourStep {
    /// Stable id (`s1`, `s2`, …): analytics are kept per step.
    pub id: String,
    /// Headline.
    pub title: String,
    /// Text.
    #[serde(default)]
    pub body: String,
    /// The element it points at.
    pub target: TourTarget,
    /// See [`TOUR_PLACEMENTS`].
    pub placement: String,
    /// See [`TOUR_ADVANCES`].
    pub advance: String,
    /// See [`TOUR_ON_MISSING`].
    pub on_missing: String,
}

impl TourStep {
    /// A step pointing at `selectors`, with the usual choices.
    pub fn new(id: &str, title: &str, selectors: &[&str]) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            body: String::new(),
            target: TourTarget {
                selectors: selectors.iter().map(|s| (*s).to_owned()).collect(),
                label: String::new(),
            },
            placement: "below".into(),
            advance: "next".into(),
            on_missing: "skip".into(),
        }
    }
}

/// Whether a recorded selector is well formed (`css:…` or `text:<tag>:…`,
/// at most 500 characters, no markup).
pub fn is_tour_selector(s: &str) -> bool {
    let ok_len = !s.is_empty() && s.chars().count() <= 500 && !s.contains(['<', '{', '}']);
    let shape = match s.split_once(':') {
        Some(("css", rest)) => !rest.trim().is_empty(),
        Some(("text", rest)) => rest.split_once(':').is_some_and(|(tag, text)| {
            !tag.is_empty()
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
                && !text.trim().is_empty()
        }),
        _ => false,
    };
    ok_len && shape
}

/// A tour as the editor saves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourForm {
    /// None: a new tour.
    pub id: Option<i32>,
    /// The admins' name for it.
    pub name: String,
    /// The page the tour starts on (the builder opens it): `https://…`.
    pub start_url: String,
    /// The steps (the draft).
    pub steps: Vec<TourStep>,
    /// Which pages, when, for whom (the start page's address is the usual
    /// page rule).
    pub rules: TargetRules,
    /// `once`, `until_dismissed`, `every_page`.
    pub frequency: String,
}

impl Default for TourForm {
    fn default() -> Self {
        Self {
            id: None,
            name: String::new(),
            start_url: String::new(),
            steps: Vec::new(),
            rules: TargetRules::default(),
            frequency: "once".into(),
        }
    }
}

impl TourForm {
    /// What is wrong, naming the field (none: fine).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Some((
                "name",
                "Give the tour a name of 1 to 100 characters.".into(),
            ));
        }
        let url = self.start_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.chars().count() > 2_000
            || url.chars().any(char::is_whitespace)
        {
            return Some((
                "start_url",
                "Give the page the tour starts on, as an address starting with https:// (or http://)."
                    .into(),
            ));
        }
        if self.steps.len() > MAX_TOUR_STEPS {
            return Some(("steps", "A tour can have at most 20 steps.".into()));
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            let bad = |m: &str| Some(("steps", format!("Step {n}: {m}")));
            if s.id.is_empty() || s.id.len() > 20 || !ids.insert(s.id.clone()) {
                return bad("its id is missing or repeated; record it again.");
            }
            if s.title.trim().is_empty() || s.title.chars().count() > 120 {
                return bad("give it a headline of 1 to 120 characters.");
            }
            if s.body.chars().count() > 1_000 {
                return bad("its text can be at most 1,000 characters.");
            }
            if s.target.selectors.is_empty() || s.target.selectors.len() > 6 {
                return bad("it points at nothing: record its element on your page.");
            }
            if let Some(sel) = s.target.selectors.iter().find(|x| !is_tour_selector(x)) {
                return bad(&format!(
                    "“{sel}” is not a selector the tour can use (css:… or text:tag:…)."
                ));
            }
            if !TOUR_PLACEMENTS.iter().any(|(k, _)| *k == s.placement) {
                return bad("choose where its popover sits.");
            }
            if !TOUR_ADVANCES.iter().any(|(k, _)| *k == s.advance) {
                return bad("choose what moves the tour on.");
            }
            if !TOUR_ON_MISSING.iter().any(|(k, _)| *k == s.on_missing) {
                return bad("choose what happens when its element is missing.");
            }
        }
        if !MESSAGE_FREQUENCIES
            .iter()
            .any(|(k, _)| *k == self.frequency)
        {
            return Some(("frequency", "Choose how often a visitor gets it.".into()));
        }
        self.rules.problem()
    }
}

/// Per step: visitors who saw it, whose page lacked its element, who closed
/// the tour there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourStepStats {
    /// The step's id.
    pub id: String,
    /// Its headline.
    pub title: String,
    /// Visitors shown it.
    pub shown: u64,
    /// Visitors whose page lacked its element (skipped or ended there).
    pub missing: u64,
    /// Visitors who closed the tour at it.
    pub dismissed: u64,
}

/// A tour in the admin app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourView {
    /// The draft.
    pub form: TourForm,
    /// `draft`, `live`, `paused`.
    pub status: String,
    /// The published steps differ from the draft (or it was never published).
    pub unpublished_changes: bool,
    /// Steps published (0: never).
    pub published_steps: usize,
    /// The rules in words.
    pub summary: String,
    /// Visitors who started it.
    pub started: u64,
    /// Visitors who finished it.
    pub completed: u64,
    /// Per published step.
    pub steps: Vec<TourStepStats>,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl TourView {
    /// The status's label.
    pub fn status_label(&self) -> &str {
        label_of(MESSAGE_STATUSES, &self.status)
    }
}

/// The tours page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToursPage {
    /// Newest first.
    pub tours: Vec<TourView>,
    /// Segments a tour can target (id, name).
    pub segments: Vec<(i32, String)>,
}

/// A tour as the widget script runs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownTour {
    /// Id (reported back per step).
    pub id: i32,
    /// Published steps.
    pub steps: Vec<TourStep>,
    /// Wait this long on the page first.
    pub delay_seconds: i32,
    /// The widget's accent colour.
    pub color: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_forms_are_checked() {
        assert!(is_tour_selector("css:[data-tour=\"plans\"]"));
        assert!(is_tour_selector("text:a:Contact us"));
        assert!(!is_tour_selector("xpath://a"));
        assert!(!is_tour_selector("text::Contact"));
        assert!(!is_tour_selector("css:<script>"));
        let ok = TourForm {
            name: "Welcome".into(),
            start_url: "https://shop.test/".into(),
            steps: vec![TourStep::new("s1", "Our products", &["css:#products"])],
            ..TourForm::default()
        };
        assert_eq!(ok.problem(), None);
        let bad = |f: TourForm| f.problem();
        let mut f = ok.clone();
        f.start_url = "shop.test".into();
        assert_eq!(bad(f).map(|p| p.0), Some("start_url"));
        let mut f = ok.clone();
        f.steps.push(TourStep::new("s1", "Again", &["css:#x"]));
        assert!(bad(f).is_some_and(|p| p.1.starts_with("Step 2: its id")));
        let mut f = ok.clone();
        f.steps[0].target.selectors.clear();
        assert!(bad(f).is_some_and(|p| p.1.contains("points at nothing")));
        let mut f = ok;
        f.steps[0].advance = "hover".into();
        assert!(bad(f).is_some_and(|p| p.1.contains("moves the tour on")));
    }
}
