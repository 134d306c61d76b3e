//! The knowledge base (SPEC C5): brands and their help centers, collections,
//! categories, articles with revisions and translations, the search index the AI
//! agent retrieves from, article feedback and deflection.

pub mod articles;
pub mod deflection;
pub mod helpcenter;
pub mod search;
pub mod structure;

use super::ai::kbtext;
use super::{ServiceError, ServiceResult};

/// Longest article body accepted (bytes of HTML).
pub const MAX_BODY: usize = 200_000;

/// Sanitizes article HTML: formatting, links, images and tables; nothing that
/// runs. Heading ids are added afterwards from the headings themselves.
pub fn sanitize(html: &str) -> String {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "h1",
        "h2",
        "h3",
        "h4",
        "pre",
        "code",
        "hr",
        "figure",
        "figcaption",
    ])
    .link_rel(Some("noopener noreferrer"))
    .url_schemes(["http", "https", "mailto"].into_iter().collect());
    kbtext::add_heading_ids(&b.clean(html).to_string())
}

/// A URL slug from `input` (or `fallback` when `input` is blank).
///
/// # Errors
/// `Invalid` when nothing usable remains.
pub fn slug_from(input: &str, fallback: &str, field: &'static str) -> ServiceResult<String> {
    let src = if input.trim().is_empty() {
        fallback
    } else {
        input
    };
    let s = kbtext::slugify(src);
    if s.is_empty() {
        return Err(ServiceError::invalid(
            field,
            "Use letters or digits in the URL slug (for example `track-your-order`).",
        ));
    }
    Ok(s)
}

/// Whether `code` is a locale articles can be written in.
pub fn valid_locale(code: &str) -> bool {
    crate::types::LOCALES.iter().any(|(c, _)| *c == code)
}
