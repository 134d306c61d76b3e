//! View types and forms of the knowledge base, the help center, deflection and
//! the AI agent.

use serde::{Deserialize, Serialize};

/// Draft or published.
pub const STATUS_DRAFT: &str = "draft";
/// Visible in the help center (public articles) or to agents (internal ones).
pub const STATUS_PUBLISHED: &str = "published";

/// Locales an article can be written in (BCP 47 primary tags) and their names.
pub const LOCALES: &[(&str, &str)] = &[
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("ja", "日本語"),
];

/// The display name of a locale code (the code itself when unknown).
pub fn locale_name(code: &str) -> &str {
    LOCALES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, n)| n)
}

/// A brand (one help center) as listed in settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BrandView {
    /// Brand id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// URL slug: the help center lives at `/help/<slug>`.
    pub slug: String,
    /// The workspace's default brand.
    pub is_default: bool,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Primary colour (`#rrggbb`).
    pub primary_color: String,
    /// Accent colour (`#rrggbb`).
    pub accent_color: String,
    /// Custom CSS added to the help center.
    pub custom_css: String,
    /// Locale used when the reader's language has no translation.
    pub default_locale: String,
    /// Locales offered in the locale switch.
    pub locales: Vec<String>,
    /// Public chat key embedded on the help center, if any.
    pub widget_key: Option<String>,
}

/// A brand's theme and settings as edited by an admin.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BrandForm {
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Logo URL (https or a path on this site).
    pub logo_url: String,
    /// Primary colour.
    pub primary_color: String,
    /// Accent colour.
    pub accent_color: String,
    /// Custom CSS.
    pub custom_css: String,
    /// Default locale.
    pub default_locale: String,
    /// Offered locales, comma separated.
    pub locales: String,
    /// Embed the chat widget on the help center.
    pub embed_widget: bool,
}

/// A category with its article count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryView {
    /// Category id.
    pub id: i32,
    /// Collection id.
    pub collection_id: i32,
    /// Name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Description.
    pub description: String,
    /// Articles in it (all locales for admins, published ones in the help center).
    pub articles: u64,
}

/// A collection with its categories.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionView {
    /// Collection id.
    pub id: i32,
    /// Brand id.
    pub brand_id: i32,
    /// Name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Description.
    pub description: String,
    /// Its categories, in order.
    pub categories: Vec<CategoryView>,
}

/// An article as listed (admin list, help center category page, search).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticleSummaryView {
    /// Article id.
    pub id: i32,
    /// Category id.
    pub category_id: i32,
    /// Category name.
    pub category: String,
    /// Title.
    pub title: String,
    /// URL slug.
    pub slug: String,
    /// Locale code.
    pub locale: String,
    /// Summary (meta description).
    pub summary: String,
    /// `draft` or `published`.
    pub status: String,
    /// Agent-only.
    pub internal: bool,
    /// The parent article when this is a translation.
    pub parent_id: Option<i32>,
    /// Locales of the translations (the parent's included).
    pub locales: Vec<String>,
    /// Current revision number.
    pub revision: i32,
    /// Helpful votes.
    pub helpful: i32,
    /// Not-helpful votes.
    pub not_helpful: i32,
    /// Views in the help center.
    pub views: i32,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// One article in full, for the editor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticleView {
    /// The listing fields.
    pub summary: ArticleSummaryView,
    /// Sanitized HTML body.
    pub body_html: String,
    /// Public URL (for published public articles).
    pub public_url: Option<String>,
    /// Other locales of the same article: (locale, article id).
    pub translations: Vec<(String, i32)>,
}

/// What an editor saves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArticleForm {
    /// Category id.
    pub category_id: i32,
    /// Title.
    pub title: String,
    /// URL slug (empty: made from the title).
    pub slug: String,
    /// Summary / meta description.
    pub summary: String,
    /// HTML body (sanitized on save).
    pub body_html: String,
    /// Agent-only.
    pub internal: bool,
    /// Publish on save (otherwise stays or becomes a draft).
    pub publish: bool,
    /// Locale code.
    pub locale: String,
    /// For a new translation: the article it translates.
    pub parent_id: Option<i32>,
    /// A note for the revision history.
    pub note: String,
}

/// One saved version of an article.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevisionView {
    /// Revision id.
    pub id: i32,
    /// Number (1, 2, ...).
    pub number: i32,
    /// Title at that version.
    pub title: String,
    /// Status at that version.
    pub status: String,
    /// Who saved it.
    pub author: String,
    /// Note.
    pub note: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// A line of a revision diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffLineView {
    /// `same`, `added` or `removed`.
    pub kind: String,
    /// The line's text.
    pub text: String,
}

/// A diff between two revisions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevisionDiffView {
    /// Older revision number.
    pub from: i32,
    /// Newer revision number.
    pub to: i32,
    /// Lines added.
    pub added: usize,
    /// Lines removed.
    pub removed: usize,
    /// The lines (unchanged runs longer than a few lines are elided).
    pub lines: Vec<DiffLineView>,
}

/// A help center page: what every public page needs (brand, locale, navigation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpShell {
    /// Workspace name.
    pub workspace: String,
    /// The brand.
    pub brand: BrandView,
    /// Locale the page is in.
    pub locale: String,
    /// Absolute base URL of the site (canonical links).
    pub base_url: String,
}

/// The help center home.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpHomeView {
    /// Shared parts.
    pub shell: HelpShell,
    /// Public collections and categories with published articles.
    pub collections: Vec<CollectionView>,
    /// Most viewed articles.
    pub popular: Vec<ArticleSummaryView>,
}

/// A help center category page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpCategoryView {
    /// Shared parts.
    pub shell: HelpShell,
    /// The category.
    pub category: CategoryView,
    /// Its published articles in the page's locale.
    pub articles: Vec<ArticleSummaryView>,
}

/// A help center article page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpArticleView {
    /// Shared parts.
    pub shell: HelpShell,
    /// The article.
    pub article: ArticleSummaryView,
    /// Its category.
    pub category: CategoryView,
    /// Sanitized HTML with heading ids.
    pub body_html: String,
    /// Other locales: (locale, URL).
    pub alternates: Vec<(String, String)>,
    /// Canonical URL.
    pub canonical: String,
    /// Published (RFC 3339).
    pub published_at: String,
    /// Related articles of the same category.
    pub related: Vec<ArticleSummaryView>,
}

/// A search hit in the help center, the widget or agent assist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KbHitView {
    /// Article id.
    pub article_id: i32,
    /// Article title.
    pub title: String,
    /// Section heading.
    pub heading: String,
    /// Excerpt of the matching section.
    pub excerpt: String,
    /// Link (with the section anchor).
    pub url: String,
    /// Agent-only article.
    pub internal: bool,
    /// Relevance 0–1.
    pub score: f64,
}

/// Help center search results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpSearchView {
    /// Shared parts.
    pub shell: HelpShell,
    /// The query.
    pub query: String,
    /// Hits.
    pub hits: Vec<KbHitView>,
}

/// Article suggestions while a customer writes (deflection).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SuggestionsView {
    /// Deflection session token (send it back with opens and the submission).
    pub session: String,
    /// Suggested articles.
    pub hits: Vec<KbHitView>,
}

/// Deflection figures for a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeflectionStats {
    /// Sessions in which articles were suggested.
    pub suggested: u64,
    /// Sessions in which a suggested article was opened.
    pub opened: u64,
    /// Sessions that ended with a ticket anyway.
    pub submitted: u64,
    /// Sessions that opened an article and never sent a ticket.
    pub deflected: u64,
    /// deflected / suggested.
    pub rate: f64,
}

/// Article feedback analytics row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRow {
    /// Article id.
    pub article_id: i32,
    /// Title.
    pub title: String,
    /// Helpful votes.
    pub helpful: i32,
    /// Not-helpful votes.
    pub not_helpful: i32,
    /// Latest comments.
    pub comments: Vec<String>,
}
