//! Targeted messages (SPEC C10.4): banners, modals, tooltips and slide-ins the
//! widget script shows on the customer's own site, with the rules that pick the
//! page, the moment and the audience. Wasm-safe: the admin app's editor and the
//! server check forms with the same code.

use serde::{Deserialize, Serialize};

/// How a message looks, with labels.
pub const MESSAGE_STYLES: &[(&str, &str)] = &[
    ("banner", "Banner"),
    ("modal", "Modal"),
    ("slide_in", "Slide-in"),
    ("tooltip", "Tooltip"),
];

/// Where each style can sit, with labels (the first is the default).
pub fn placements(style: &str) -> &'static [(&'static str, &'static str)] {
    match style {
        "banner" => &[("top", "Top of the page"), ("bottom", "Bottom of the page")],
        "slide_in" => &[("right", "Bottom right"), ("left", "Bottom left")],
        "tooltip" => &[
            ("below", "Below the element"),
            ("above", "Above the element"),
        ],
        _ => &[("center", "Centre of the screen")],
    }
}

/// How often one visitor sees a message, with labels.
pub const MESSAGE_FREQUENCIES: &[(&str, &str)] = &[
    ("once", "Once"),
    (
        "until_dismissed",
        "On each matching page until they close it or click",
    ),
    ("every_page", "On every matching page"),
];

/// How the page's address is tested, with labels.
pub const PAGE_MATCHES: &[(&str, &str)] = &[
    ("any", "Any page"),
    ("contains", "Address contains"),
    ("is", "Address is"),
    ("starts_with", "Address starts with"),
];

/// Who may see a message, with labels.
pub const AUDIENCES: &[(&str, &str)] = &[
    ("everyone", "Everyone"),
    ("customers", "Known customers (they have written to us)"),
    ("visitors", "Visitors we do not know yet"),
    ("campaign", "Only customers a campaign sends it to"),
];

/// Where a message's status goes, with labels.
pub const MESSAGE_STATUSES: &[(&str, &str)] =
    &[("draft", "Draft"), ("live", "Live"), ("paused", "Paused")];

/// The label of `key` in a `(key, label)` list (the key itself when unknown).
pub fn label_of<'a>(list: &'a [(&'a str, &'a str)], key: &'a str) -> &'a str {
    list.iter().find(|(k, _)| *k == key).map_or(key, |(_, l)| l)
}

/// The longest time a message may wait on a page, in seconds.
pub const MAX_SECONDS_ON_PAGE: i32 = 3_600;

/// Which pages, when and for whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRules {
    /// `any`, `contains`, `is`, `starts_with`.
    pub page_match: String,
    /// The address or part of it: a path (`/pricing`) tests the path and
    /// query, anything else the whole address. Ignoring case.
    pub page_value: String,
    /// Shown after the visitor has been this long on the page.
    pub seconds_on_page: i32,
    /// Only customers in this segment (they must be known customers).
    pub segment_id: Option<i32>,
    /// `everyone`, `customers`, `visitors`.
    pub audience: String,
}

impl Default for TargetRules {
    fn default() -> Self {
        Self {
            page_match: "any".into(),
            page_value: String::new(),
            seconds_on_page: 0,
            segment_id: None,
            audience: "everyone".into(),
        }
    }
}

/// The path and query of an address (`https://a.test/p?q#f` → `/p?q`).
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let no_frag = rest.split('#').next().unwrap_or(rest);
    match no_frag.find(['/', '?']) {
        Some(i) => &no_frag[i..],
        None => "/",
    }
}

impl TargetRules {
    /// Whether the page at `url` is one of the message's pages.
    pub fn matches_url(&self, url: &str) -> bool {
        let want = self.page_value.trim().to_lowercase();
        let url = url.trim().to_lowercase();
        let have = if want.starts_with('/') {
            path_of(&url).to_owned()
        } else {
            url.split('#').next().unwrap_or_default().to_owned()
        };
        let trim = |s: &str| s.trim_end_matches('/').to_owned();
        match self.page_match.as_str() {
            "any" => true,
            "contains" => have.contains(&want),
            "is" => trim(&have) == trim(&want),
            "starts_with" => have.starts_with(&want),
            _ => false,
        }
    }

    /// Whether a visitor (a known customer or not) is in the audience; the
    /// segment is tested apart.
    pub fn admits(&self, known_customer: bool) -> bool {
        match self.audience.as_str() {
            "customers" => known_customer,
            "visitors" => !known_customer,
            // Campaigns send it (their in-app step); the rules alone never do.
            "campaign" => false,
            _ => true,
        }
    }

    /// What is wrong, naming the field (none: fine).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !PAGE_MATCHES.iter().any(|(k, _)| *k == self.page_match) {
            return Some((
                "page_match",
                "Choose which pages: any page, or an address test.".into(),
            ));
        }
        if self.page_match != "any" && self.page_value.trim().is_empty() {
            return Some((
                "page_value",
                "Give the address (or part of it) to test, such as /pricing.".into(),
            ));
        }
        if self.page_value.chars().count() > 500 {
            return Some((
                "page_value",
                "The address test can be at most 500 characters.".into(),
            ));
        }
        if !(0..=MAX_SECONDS_ON_PAGE).contains(&self.seconds_on_page) {
            return Some((
                "seconds_on_page",
                "The time on the page is 0 to 3,600 seconds.".into(),
            ));
        }
        if !AUDIENCES.iter().any(|(k, _)| *k == self.audience) {
            return Some(("audience", "Choose who sees it.".into()));
        }
        if self.segment_id.is_some() && self.audience == "campaign" {
            return Some((
                "segment_id",
                "A campaign chooses who sees it: leave the segment empty, or choose another audience."
                    .into(),
            ));
        }
        if self.segment_id.is_some() && self.audience == "visitors" {
            return Some((
                "segment_id",
                "Segments hold known customers: choose everyone or known customers to use one."
                    .into(),
            ));
        }
        None
    }

    /// The rules in words ("On pages whose address contains /pricing, after
    /// 10 s, to customers in Regulars").
    pub fn summary(&self, segment: Option<&str>) -> String {
        let page = match self.page_match.as_str() {
            "any" => "On any page".to_owned(),
            m => format!(
                "On pages whose address {} “{}”",
                match m {
                    "is" => "is",
                    "starts_with" => "starts with",
                    _ => "contains",
                },
                self.page_value.trim()
            ),
        };
        let when = if self.seconds_on_page > 0 {
            format!(", after {} s", self.seconds_on_page)
        } else {
            String::new()
        };
        let who = match (self.audience.as_str(), segment) {
            (_, Some(s)) => format!(", to customers in {s}"),
            ("customers", None) => ", to known customers".to_owned(),
            ("visitors", None) => ", to visitors we do not know yet".to_owned(),
            ("campaign", None) => ", to customers a campaign sends it to".to_owned(),
            _ => String::new(),
        };
        format!("{page}{when}{who}")
    }
}

/// A message as the editor saves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetedMessageForm {
    /// None: a new message.
    pub id: Option<i32>,
    /// The admins' name for it.
    pub name: String,
    /// `banner`, `modal`, `slide_in`, `tooltip`.
    pub style: String,
    /// `draft`, `live`, `paused`.
    pub status: String,
    /// Headline.
    pub title: String,
    /// Text (plain; links are not made).
    pub body: String,
    /// The button's words (none: no button).
    pub button_label: String,
    /// Where the button goes (`https://…` or a path on the site; empty: it
    /// only closes the message).
    pub button_url: String,
    /// A tooltip's element (CSS selector such as `#signup` or
    /// `[data-tour="plans"]`).
    pub anchor: String,
    /// See [`placements`].
    pub placement: String,
    /// Pages, time, audience.
    pub rules: TargetRules,
    /// `once`, `until_dismissed`, `every_page`.
    pub frequency: String,
}

impl Default for TargetedMessageForm {
    fn default() -> Self {
        Self {
            id: None,
            name: String::new(),
            style: "banner".into(),
            status: "draft".into(),
            title: String::new(),
            body: String::new(),
            button_label: String::new(),
            button_url: String::new(),
            anchor: String::new(),
            placement: "top".into(),
            rules: TargetRules::default(),
            frequency: "once".into(),
        }
    }
}

fn too_long(s: &str, n: usize) -> bool {
    s.chars().count() > n
}

impl TargetedMessageForm {
    /// What is wrong, naming the field (none: fine).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let name = self.name.trim();
        if name.is_empty() || too_long(name, 100) {
            return Some((
                "name",
                "Give the message a name of 1 to 100 characters.".into(),
            ));
        }
        if !MESSAGE_STYLES.iter().any(|(k, _)| *k == self.style) {
            return Some((
                "style",
                "Choose a banner, a modal, a slide-in or a tooltip.".into(),
            ));
        }
        if !MESSAGE_STATUSES.iter().any(|(k, _)| *k == self.status) {
            return Some(("status", "The status is draft, live or paused.".into()));
        }
        if !placements(&self.style)
            .iter()
            .any(|(k, _)| *k == self.placement)
        {
            return Some((
                "placement",
                format!(
                    "A {} sits at: {}.",
                    label_of(MESSAGE_STYLES, &self.style).to_lowercase(),
                    placements(&self.style)
                        .iter()
                        .map(|(_, l)| l.to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if self.title.trim().is_empty() || too_long(self.title.trim(), 120) {
            return Some(("title", "Write a headline of 1 to 120 characters.".into()));
        }
        if too_long(&self.body, 1_000) {
            return Some(("body", "The text can be at most 1,000 characters.".into()));
        }
        if too_long(self.button_label.trim(), 40) {
            return Some((
                "button_label",
                "The button's words can be at most 40 characters.".into(),
            ));
        }
        let url = self.button_url.trim();
        if !url.is_empty() {
            if self.button_label.trim().is_empty() {
                return Some((
                    "button_label",
                    "Give the button words, or leave its address empty.".into(),
                ));
            }
            let ok =
                (url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
                    && !url.starts_with("//")
                    && !url.chars().any(char::is_whitespace)
                    && !too_long(url, 2_000);
            if !ok {
                return Some((
                    "button_url",
                    "The button goes to an address starting with https:// or a path starting with /."
                        .into(),
                ));
            }
        }
        if self.style == "tooltip" {
            let a = self.anchor.trim();
            if a.is_empty() || too_long(a, 300) || a.contains(['{', '}', '<', '>']) {
                return Some((
                    "anchor",
                    "A tooltip points at an element: give its CSS selector, such as #signup or [data-tour=\"plans\"]."
                        .into(),
                ));
            }
        }
        if !MESSAGE_FREQUENCIES
            .iter()
            .any(|(k, _)| *k == self.frequency)
        {
            return Some(("frequency", "Choose how often a visitor sees it.".into()));
        }
        self.rules.problem()
    }
}

/// How a message has done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetedStats {
    /// Visitors it was shown to.
    pub visitors: u64,
    /// Times it was shown.
    pub shows: u64,
    /// Visitors who clicked its button.
    pub clicked: u64,
    /// Visitors who closed it.
    pub dismissed: u64,
}

/// A message in the admin app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetedMessageView {
    /// The saved form.
    pub form: TargetedMessageForm,
    /// The rules in words.
    pub summary: String,
    /// Counts.
    pub stats: TargetedStats,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// The targeted messages page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetedPage {
    /// Newest first.
    pub messages: Vec<TargetedMessageView>,
    /// The segments a message can target (id, name).
    pub segments: Vec<(i32, String)>,
    /// Whether the chat widget is switched on (messages need its script).
    pub widget_enabled: bool,
}

/// A message as the widget script shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownMessage {
    /// Id (reported back when shown, clicked, dismissed).
    pub id: i32,
    /// Style.
    pub style: String,
    /// Placement.
    pub placement: String,
    /// Headline.
    pub title: String,
    /// Text.
    pub body: String,
    /// Button words (empty: none).
    pub button_label: String,
    /// Button address (empty: it closes).
    pub button_url: String,
    /// A tooltip's element.
    pub anchor: String,
    /// Wait this long on the page first.
    pub delay_seconds: i32,
    /// The widget's accent colour.
    pub color: String,
    /// A campaign's in-app send: its token, reported back with the events
    /// (empty: the message's own rules chose it).
    #[serde(default)]
    pub send: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(m: &str, v: &str) -> TargetRules {
        TargetRules {
            page_match: m.into(),
            page_value: v.into(),
            ..TargetRules::default()
        }
    }

    #[test]
    fn addresses_match_by_path_or_whole_address() {
        let u = "https://Shop.test/Pricing/?plan=pro#faq";
        assert_eq!(path_of(u), "/Pricing/?plan=pro");
        assert_eq!(path_of("https://shop.test"), "/");
        assert!(rules("any", "").matches_url(u));
        assert!(rules("contains", "pricing").matches_url(u));
        assert!(rules("starts_with", "/pricing").matches_url(u));
        assert!(!rules("starts_with", "/pro").matches_url(u));
        assert!(rules("is", "/pricing").matches_url("https://shop.test/pricing/"));
        assert!(!rules("is", "/pricing").matches_url("https://shop.test/pricing/teams"));
        assert!(rules("starts_with", "https://shop.test/").matches_url(u));
        assert!(
            !rules("contains", "faq").matches_url(u),
            "the fragment is not the page"
        );
    }

    #[test]
    fn forms_name_what_is_wrong() {
        let ok = TargetedMessageForm {
            name: "Spring".into(),
            title: "20% off".into(),
            ..TargetedMessageForm::default()
        };
        assert_eq!(ok.problem(), None);
        let bad = |f: TargetedMessageForm| f.problem().map(|(k, _)| k);
        assert_eq!(
            bad(TargetedMessageForm {
                placement: "left".into(),
                ..ok.clone()
            }),
            Some("placement")
        );
        assert_eq!(
            bad(TargetedMessageForm {
                style: "tooltip".into(),
                placement: "below".into(),
                ..ok.clone()
            }),
            Some("anchor")
        );
        assert_eq!(
            bad(TargetedMessageForm {
                button_url: "javascript:alert(1)".into(),
                button_label: "Go".into(),
                ..ok.clone()
            }),
            Some("button_url")
        );
        assert_eq!(
            bad(TargetedMessageForm {
                button_url: "/sale".into(),
                ..ok.clone()
            }),
            Some("button_label")
        );
        let mut r = ok.clone();
        r.rules.page_match = "contains".into();
        assert_eq!(bad(r.clone()), Some("page_value"));
        r.rules = TargetRules {
            segment_id: Some(1),
            audience: "visitors".into(),
            ..TargetRules::default()
        };
        assert_eq!(bad(r), Some("segment_id"));
    }
}
