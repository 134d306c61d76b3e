//! The public help center: complete, server-rendered HTML documents.
//!
//! These pages carry no hydration and no wasm. The `<body>` is built with
//! Leptos `view!` and rendered once with [`RenderHtml::to_html`]; the `<head>`
//! is assembled by hand, and every value interpolated into it goes through
//! [`esc`] (or, inside `<style>`/`<script>`, through a raw-text-safe encoder).

use leptos::either::Either;
use leptos::prelude::*;
use serde_json::{json, Value};

use crate::types::{
    locale_name, ArticleSummaryView, CategoryView, HelpArticleView, HelpCategoryView, HelpHomeView,
    HelpSearchView, HelpShell, KbHitView,
};

/// Fallback primary colour when the brand's is missing or malformed.
const DEFAULT_PRIMARY: &str = "#1f4fd1";
/// Fallback accent colour when the brand's is missing or malformed.
const DEFAULT_ACCENT: &str = "#0b7a5c";

// ---------------------------------------------------------------------------
// Escaping and small helpers
// ---------------------------------------------------------------------------

/// Escapes text for HTML text and quoted attribute values (`& < > " '`).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes a JSON text safe inside `<script>`: no `<` can open `</script` or
/// `<!--` (`<` only occurs inside JSON strings, where `\u003c` means the same).
pub(crate) fn script_json(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "{}".to_owned())
        .replace('<', "\\u003c")
}

/// Makes CSS safe inside `<style>`: `</` becomes `<\/` (the same in CSS).
pub(crate) fn style_text(css: &str) -> String {
    css.replace("</", "<\\/")
}

/// `#rrggbb` or the fallback: colours go into a `<style>`, where HTML escaping
/// would not stop a `;}` from ending the rule.
pub(crate) fn color_or<'a>(c: &'a str, fallback: &'a str) -> &'a str {
    let b = c.as_bytes();
    if b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit) {
        c
    } else {
        fallback
    }
}

/// Text colour readable on a `#rrggbb` background: white or near-black,
/// whichever contrasts more (WCAG relative luminance).
pub(crate) fn on_color(bg: &str) -> &'static str {
    let channel = |i: usize| {
        let v = bg
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.0, |v| f64::from(v) / 255.0);
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // #111111 has a luminance of about 0.0056.
    if 1.05 / (l + 0.05) >= (l + 0.05) / 0.0556 {
        "#fff"
    } else {
        "#111"
    }
}

/// Percent-encodes a query-string value (`application/x-www-form-urlencoded`).
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `base` + `path`, unless `path` is already absolute.
pub(crate) fn absolute(base: &str, path: &str) -> String {
    if path.starts_with("https://") || path.starts_with("http://") {
        path.to_owned()
    } else {
        format!("{}{}", base.trim_end_matches('/'), path)
    }
}

/// The UI strings in en/de/fr/es (English for any other locale or key).
pub(crate) fn t(locale: &str, key: &'static str) -> &'static str {
    let lang = locale.split(['-', '_']).next().unwrap_or(locale);
    match lang {
        "de" => match key {
            "How can we help?" => "Wie können wir helfen?",
            "Search articles" => "Artikel durchsuchen",
            "Search" => "Suchen",
            "Popular articles" => "Beliebte Artikel",
            "Was this article helpful?" => "War dieser Artikel hilfreich?",
            "Yes" => "Ja",
            "No" => "Nein",
            "Thanks for your feedback!" => "Danke für Ihr Feedback!",
            "Tell us what was missing (optional)" => "Was hat gefehlt? (optional)",
            "Send" => "Senden",
            "Related articles" => "Ähnliche Artikel",
            "No articles match" => "Keine passenden Artikel für",
            "Results for" => "Ergebnisse für",
            "articles" => "Artikel",
            "article" => "Artikel",
            "Back to" => "Zurück zum",
            "Page not found" => "Seite nicht gefunden",
            "Help Center" => "Hilfe-Center",
            "Language" => "Sprache",
            "Breadcrumb" => "Navigationspfad",
            "Your requests" => "Ihre Anfragen",
            _ => key,
        },
        "fr" => match key {
            "How can we help?" => "Comment pouvons-nous vous aider ?",
            "Search articles" => "Rechercher des articles",
            "Search" => "Rechercher",
            "Popular articles" => "Articles populaires",
            "Was this article helpful?" => "Cet article vous a-t-il aidé ?",
            "Yes" => "Oui",
            "No" => "Non",
            "Thanks for your feedback!" => "Merci pour votre avis !",
            "Tell us what was missing (optional)" => "Dites-nous ce qui manquait (facultatif)",
            "Send" => "Envoyer",
            "Related articles" => "Articles associés",
            "No articles match" => "Aucun article ne correspond à",
            "Results for" => "Résultats pour",
            "articles" => "articles",
            "article" => "article",
            "Back to" => "Retour au",
            "Page not found" => "Page introuvable",
            "Help Center" => "Centre d’aide",
            "Language" => "Langue",
            "Breadcrumb" => "Fil d’Ariane",
            "Your requests" => "Vos demandes",
            _ => key,
        },
        "es" => match key {
            "How can we help?" => "¿Cómo podemos ayudarte?",
            "Search articles" => "Buscar artículos",
            "Search" => "Buscar",
            "Popular articles" => "Artículos populares",
            "Was this article helpful?" => "¿Te resultó útil este artículo?",
            "Yes" => "Sí",
            "No" => "No",
            "Thanks for your feedback!" => "¡Gracias por tus comentarios!",
            "Tell us what was missing (optional)" => "Cuéntanos qué faltaba (opcional)",
            "Send" => "Enviar",
            "Related articles" => "Artículos relacionados",
            "No articles match" => "Ningún artículo coincide con",
            "Results for" => "Resultados para",
            "articles" => "artículos",
            "article" => "artículo",
            "Back to" => "Volver al",
            "Page not found" => "Página no encontrada",
            "Help Center" => "Centro de ayuda",
            "Language" => "Idioma",
            "Breadcrumb" => "Ruta de navegación",
            "Your requests" => "Tus solicitudes",
            _ => key,
        },
        _ => key,
    }
}

/// "1 article" / "N articles".
fn count_label(locale: &str, n: u64) -> String {
    let word = if n == 1 {
        t(locale, "article")
    } else {
        t(locale, "articles")
    };
    format!("{n} {word}")
}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

pub(crate) fn home_path(s: &HelpShell, locale: &str) -> String {
    format!("/help/{}/{}", s.brand.slug, locale)
}

/// The customer portal's home.
pub(crate) fn portal_path(s: &HelpShell) -> String {
    format!("/help/{}/portal", s.brand.slug)
}

fn category_path(s: &HelpShell, c: &CategoryView) -> String {
    format!("/help/{}/{}/categories/{}", s.brand.slug, s.locale, c.slug)
}

fn article_path(s: &HelpShell, a: &ArticleSummaryView) -> String {
    let locale = if a.locale.is_empty() {
        &s.locale
    } else {
        &a.locale
    };
    format!("/help/{}/{}/articles/{}", s.brand.slug, locale, a.slug)
}

fn search_action(s: &HelpShell) -> String {
    format!("/help/{}/{}/search", s.brand.slug, s.locale)
}

fn feedback_action(s: &HelpShell) -> String {
    format!("/help/{}/feedback", s.brand.slug)
}

pub(crate) fn brand_name(s: &HelpShell) -> &str {
    if s.brand.name.is_empty() {
        &s.workspace
    } else {
        &s.brand.name
    }
}

// ---------------------------------------------------------------------------
// Document assembly
// ---------------------------------------------------------------------------

/// What goes into a page's `<head>`.
pub(crate) struct Head {
    /// The page's own title (`None`: the help center's name alone).
    pub(crate) title: Option<String>,
    pub(crate) description: String,
    /// Absolute canonical URL (`None`: no canonical, e.g. a 404).
    pub(crate) canonical: Option<String>,
    pub(crate) og_type: &'static str,
    /// `(hreflang, absolute URL)`, `x-default` included.
    pub(crate) alternates: Vec<(String, String)>,
    pub(crate) json_ld: Vec<Value>,
    pub(crate) noindex: bool,
}

/// Renders a view to an HTML string inside a fresh reactive owner.
pub(crate) fn render_body<F, V>(f: F) -> String
where
    F: FnOnce() -> V,
    V: IntoView,
{
    let owner = Owner::new();
    // `<!>` are hydration markers between text nodes and for empty options;
    // these pages never hydrate. Text and attributes are escaped, so a literal
    // `<!>` can only be a marker (or an empty comment in the sanitized body).
    owner.with(|| f().to_html()).replace("<!>", "")
}

/// Wraps a rendered body in the full document.
pub(crate) fn document(shell: Option<&HelpShell>, head: &Head, body: &str) -> String {
    let locale = shell.map_or("en", |s| s.locale.as_str());
    let hc = t(locale, "Help Center");
    let site = match shell {
        Some(s) => format!("{} {hc}", brand_name(s)),
        None => hc.to_owned(),
    };
    let full_title = match &head.title {
        Some(title) => format!("{title} · {site}"),
        None => site.clone(),
    };
    let mut h = String::with_capacity(4096 + body.len());
    h.push_str("<!doctype html>\n");
    h.push_str(&format!("<html lang=\"{}\">\n<head>\n", esc(locale)));
    h.push_str("<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Without it browsers ask for /favicon.ico, which is not there.
    h.push_str("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n");
    h.push_str(&format!("<title>{}</title>\n", esc(&full_title)));
    h.push_str(&format!(
        "<meta name=\"description\" content=\"{}\">\n",
        esc(&head.description)
    ));
    if head.noindex {
        h.push_str("<meta name=\"robots\" content=\"noindex\">\n");
    }
    if let Some(url) = &head.canonical {
        h.push_str(&format!("<link rel=\"canonical\" href=\"{}\">\n", esc(url)));
    }
    for (lang, url) in &head.alternates {
        h.push_str(&format!(
            "<link rel=\"alternate\" hreflang=\"{}\" href=\"{}\">\n",
            esc(lang),
            esc(url)
        ));
    }
    h.push_str(&format!(
        "<meta property=\"og:title\" content=\"{}\">\n",
        esc(head.title.as_deref().unwrap_or(&site))
    ));
    h.push_str(&format!(
        "<meta property=\"og:description\" content=\"{}\">\n",
        esc(&head.description)
    ));
    if let Some(url) = &head.canonical {
        h.push_str(&format!(
            "<meta property=\"og:url\" content=\"{}\">\n",
            esc(url)
        ));
    }
    h.push_str(&format!(
        "<meta property=\"og:type\" content=\"{}\">\n",
        esc(head.og_type)
    ));
    h.push_str(&format!(
        "<meta property=\"og:site_name\" content=\"{}\">\n",
        esc(&site)
    ));
    h.push_str(&format!(
        "<meta property=\"og:locale\" content=\"{}\">\n",
        esc(locale)
    ));
    if let Some(logo) = shell.and_then(|s| s.brand.logo_url.as_deref()) {
        let base = shell.map_or("", |s| s.base_url.as_str());
        h.push_str(&format!(
            "<meta property=\"og:image\" content=\"{}\">\n",
            esc(&absolute(base, logo))
        ));
    }
    h.push_str("<link rel=\"stylesheet\" href=\"/help-center.css\">\n");
    let (primary, accent) = shell.map_or((DEFAULT_PRIMARY, DEFAULT_ACCENT), |s| {
        (
            color_or(&s.brand.primary_color, DEFAULT_PRIMARY),
            color_or(&s.brand.accent_color, DEFAULT_ACCENT),
        )
    });
    h.push_str(&format!(
        "<style>:root{{--hc-primary:{};--hc-accent:{};--hc-on-primary:{};--hc-on-accent:{}}}</style>\n",
        esc(primary),
        esc(accent),
        on_color(primary),
        on_color(accent)
    ));
    if let Some(css) = shell.map(|s| s.brand.custom_css.trim()) {
        if !css.is_empty() {
            h.push_str(&format!("<style>{}</style>\n", style_text(css)));
        }
    }
    for ld in &head.json_ld {
        h.push_str(&format!(
            "<script type=\"application/ld+json\">{}</script>\n",
            script_json(ld)
        ));
    }
    h.push_str("</head>\n<body class=\"hc\">\n");
    h.push_str(body);
    h.push('\n');
    if let Some(key) = shell.and_then(|s| s.brand.widget_key.as_deref()) {
        h.push_str(&format!(
            "<script src=\"/widget.js\" data-key=\"{}\" async></script>\n",
            esc(key)
        ));
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// A `BreadcrumbList` from `(name, absolute URL)` items.
pub(crate) fn breadcrumb_ld(items: &[(String, String)]) -> Value {
    let list: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, (name, url))| {
            json!({"@type": "ListItem", "position": i + 1, "name": name, "item": url})
        })
        .collect();
    json!({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": list})
}

/// `(locale, href)` links of the locale switch: each offered locale's home,
/// or, on an article, its translation where one exists.
fn locale_links(s: &HelpShell, translations: &[(String, String)]) -> Vec<(String, String)> {
    s.brand
        .locales
        .iter()
        .map(|l| {
            let href = translations
                .iter()
                .find(|(tl, _)| tl == l)
                .map_or_else(|| home_path(s, l), |(_, url)| url.clone());
            (l.clone(), href)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Shared view parts
// ---------------------------------------------------------------------------

fn header_view(shell: Option<&HelpShell>, links: Vec<(String, String)>) -> impl IntoView {
    let locale = shell.map_or_else(|| "en".to_owned(), |s| s.locale.clone());
    let hc = t(&locale, "Help Center");
    let brand = shell.map(|s| {
        let name = brand_name(s).to_owned();
        let mark = match s.brand.logo_url.clone() {
            Some(src) => {
                Either::Left(view! { <img class="hc-logo" src=src alt=name height="32"/> })
            }
            None => Either::Right(view! { <span class="hc-brand-name">{name}</span> }),
        };
        view! {
            <a class="hc-brand" href=home_path(s, &s.locale)>
                {mark}
                <span class="hc-brand-sub">{hc}</span>
            </a>
        }
    });
    let fallback = shell
        .is_none()
        .then(|| view! { <span class="hc-brand"><span class="hc-brand-sub">{hc}</span></span> });
    let switch = (links.len() > 1).then(|| {
        let items = links
            .into_iter()
            .map(|(l, href)| {
                let current = (l == locale).then_some("true");
                let name = locale_name(&l).to_owned();
                view! {
                    <li>
                        <a href=href hreflang=l.clone() lang=l aria-current=current>
                            {name}
                        </a>
                    </li>
                }
            })
            .collect_view();
        view! {
            <nav class="hc-locales" aria-label=t(&locale, "Language")>
                <ul>{items}</ul>
            </nav>
        }
    });
    let portal = shell.map(|s| {
        view! {
            <a class="hc-portal-link" href=portal_path(s) data-testid="portal-link">
                {t(&locale, "Your requests")}
            </a>
        }
    });
    view! {
        <header class="hc-header">
            <div class="hc-wrap hc-header-in">
                {brand} {fallback} <div class="hc-header-end">{switch} {portal}</div>
            </div>
        </header>
    }
}

fn search_form(s: &HelpShell, query: &str) -> impl IntoView {
    let placeholder = t(&s.locale, "Search articles");
    view! {
        <form class="hc-search" role="search" method="get" action=search_action(s)>
            <label class="hc-sr-only" for="hc-q">
                {placeholder}
            </label>
            <input
                id="hc-q"
                type="search"
                name="q"
                value=query.to_owned()
                placeholder=placeholder
                autocomplete="off"
                maxlength="200"
            />
            <button type="submit">{t(&s.locale, "Search")}</button>
        </form>
    }
}

/// The big hero (home, search, 404) or a compact search band (other pages).
fn hero_view(s: &HelpShell, query: &str, big: bool) -> impl IntoView {
    let title =
        big.then(|| view! { <p class="hc-hero-title">{t(&s.locale, "How can we help?")}</p> });
    let class = if big {
        "hc-hero"
    } else {
        "hc-hero hc-hero-compact"
    };
    view! {
        <section class=class>
            <div class="hc-wrap">{title} {search_form(s, query)}</div>
        </section>
    }
}

fn footer_view() -> impl IntoView {
    view! {
        <footer class="hc-footer">
            <div class="hc-wrap">"Powered by Switchboard"</div>
        </footer>
    }
}

fn breadcrumb_view(locale: &str, items: Vec<(String, Option<String>)>) -> impl IntoView {
    let lis = items
        .into_iter()
        .map(|(name, href)| match href {
            Some(href) => Either::Left(view! { <li><a href=href>{name}</a></li> }),
            None => Either::Right(view! { <li aria-current="page">{name}</li> }),
        })
        .collect_view();
    view! {
        <nav class="hc-breadcrumb" aria-label=t(locale, "Breadcrumb")>
            <ol>{lis}</ol>
        </nav>
    }
}

fn article_list(s: &HelpShell, articles: &[ArticleSummaryView]) -> impl IntoView {
    let items = articles
        .iter()
        .map(|a| {
            let summary = (!a.summary.is_empty())
                .then(|| view! { <p class="hc-list-summary">{a.summary.clone()}</p> });
            view! {
                <li>
                    <a class="hc-list-title" href=article_path(s, a)>{a.title.clone()}</a>
                    {summary}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="hc-list">{items}</ul> }
}

/// The whole body: header, hero, main, footer.
pub(crate) fn page_body(
    shell: Option<&HelpShell>,
    links: Vec<(String, String)>,
    hero: Option<AnyView>,
    main_class: &'static str,
    main: AnyView,
) -> impl IntoView {
    view! {
        <a class="hc-skip" href="#hc-main">"Skip to content"</a>
        {header_view(shell, links)}
        {hero}
        <main id="hc-main" class=main_class>{main}</main>
        {footer_view()}
    }
}

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

/// Renders the help center home: hero search, collections with their category
/// cards, and popular articles.
pub fn render_home(v: &HelpHomeView) -> String {
    let s = &v.shell;
    let loc = s.locale.as_str();
    let path = home_path(s, loc);
    let url = absolute(&s.base_url, &path);
    let name = brand_name(s);
    let site_name = format!("{name} {}", t(loc, "Help Center"));
    let head = Head {
        title: None,
        description: format!("Answers and guides from {name}"),
        canonical: Some(url.clone()),
        og_type: "website",
        alternates: Vec::new(),
        json_ld: vec![json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site_name,
            "url": url,
            "inLanguage": loc,
            "potentialAction": {
                "@type": "SearchAction",
                "target": format!(
                    "{}/help/{}/{}/search?q={{search_term_string}}",
                    s.base_url.trim_end_matches('/'), s.brand.slug, loc
                ),
                "query-input": "required name=search_term_string",
            },
        })],
        noindex: false,
    };
    let body = render_body(|| {
        let collections = v
            .collections
            .iter()
            .filter(|c| !c.categories.is_empty())
            .map(|c| {
                let desc = (!c.description.is_empty())
                    .then(|| view! { <p class="hc-section-desc">{c.description.clone()}</p> });
                let cards = c
                    .categories
                    .iter()
                    .map(|cat| {
                        let cdesc = (!cat.description.is_empty())
                            .then(|| view! { <p>{cat.description.clone()}</p> });
                        view! {
                            <li>
                                <a class="hc-card" href=category_path(s, cat)>
                                    <h3>{cat.name.clone()}</h3>
                                    {cdesc}
                                    <span class="hc-card-count">{count_label(loc, cat.articles)}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <section class="hc-section">
                        <h2>{c.name.clone()}</h2>
                        {desc}
                        <ul class="hc-grid">{cards}</ul>
                    </section>
                }
            })
            .collect_view();
        let popular = (!v.popular.is_empty()).then(|| {
            view! {
                <section class="hc-section hc-popular">
                    <h2>{t(loc, "Popular articles")}</h2>
                    {article_list(s, &v.popular)}
                </section>
            }
        });
        let main = view! {
            <h1 class="hc-sr-only">{site_name.clone()}</h1>
            {collections}
            {popular}
        };
        page_body(
            Some(s),
            locale_links(s, &[]),
            Some(hero_view(s, "", true).into_any()),
            "hc-wrap hc-main-wide",
            main.into_any(),
        )
    });
    document(Some(s), &head, &body)
}

/// Renders a category page: breadcrumb, title, description and its articles.
pub fn render_category(v: &HelpCategoryView) -> String {
    let s = &v.shell;
    let loc = s.locale.as_str();
    let home = home_path(s, loc);
    let path = category_path(s, &v.category);
    let url = absolute(&s.base_url, &path);
    let hc = t(loc, "Help Center");
    let description = if v.category.description.is_empty() {
        format!("Answers and guides from {}", brand_name(s))
    } else {
        v.category.description.clone()
    };
    let head = Head {
        title: Some(v.category.name.clone()),
        description: description.clone(),
        canonical: Some(url.clone()),
        og_type: "website",
        alternates: Vec::new(),
        json_ld: vec![
            json!({
                "@context": "https://schema.org",
                "@type": "CollectionPage",
                "name": v.category.name,
                "description": description,
                "url": url,
                "inLanguage": loc,
            }),
            breadcrumb_ld(&[
                (hc.to_owned(), absolute(&s.base_url, &home)),
                (v.category.name.clone(), url.clone()),
            ]),
        ],
        noindex: false,
    };
    let body = render_body(|| {
        let desc = (!v.category.description.is_empty())
            .then(|| view! { <p class="hc-lead">{v.category.description.clone()}</p> });
        let main = view! {
            {breadcrumb_view(loc, vec![(hc.to_owned(), Some(home.clone())), (v.category.name.clone(), None)])}
            <h1>{v.category.name.clone()}</h1>
            {desc}
            <p class="hc-meta">{count_label(loc, v.articles.len() as u64)}</p>
            {article_list(s, &v.articles)}
        };
        page_body(
            Some(s),
            locale_links(s, &[]),
            Some(hero_view(s, "", false).into_any()),
            "hc-wrap",
            main.into_any(),
        )
    });
    document(Some(s), &head, &body)
}

/// Renders an article page: breadcrumb, the article, the feedback box and
/// related articles. `thanks` is `Some(helpful)` right after a vote.
pub fn render_article(v: &HelpArticleView, thanks: Option<bool>) -> String {
    let s = &v.shell;
    let a = &v.article;
    let loc = s.locale.as_str();
    let home = home_path(s, loc);
    let cat_path = category_path(s, &v.category);
    let own_path = article_path(s, a);
    let canonical = if v.canonical.is_empty() {
        absolute(&s.base_url, &own_path)
    } else {
        absolute(&s.base_url, &v.canonical)
    };
    let own_locale = if a.locale.is_empty() {
        s.locale.clone()
    } else {
        a.locale.clone()
    };
    // hreflang: this page, its translations, then x-default.
    let mut alternates: Vec<(String, String)> = vec![(own_locale.clone(), canonical.clone())];
    for (l, u) in &v.alternates {
        if !alternates.iter().any(|(al, _)| al == l) {
            alternates.push((l.clone(), absolute(&s.base_url, u)));
        }
    }
    let x_default = alternates
        .iter()
        .find(|(l, _)| *l == s.brand.default_locale)
        .map_or_else(|| canonical.clone(), |(_, u)| u.clone());
    alternates.push(("x-default".to_owned(), x_default));
    let name = brand_name(s);
    let description = if a.summary.is_empty() {
        format!("Answers and guides from {name}")
    } else {
        a.summary.clone()
    };
    let hc = t(loc, "Help Center");
    let mut publisher = json!({"@type": "Organization", "name": name});
    if let Some(logo) = &s.brand.logo_url {
        publisher["logo"] = json!({"@type": "ImageObject", "url": absolute(&s.base_url, logo)});
    }
    let head = Head {
        title: Some(a.title.clone()),
        description: description.clone(),
        canonical: Some(canonical.clone()),
        og_type: "article",
        alternates,
        json_ld: vec![
            json!({
                "@context": "https://schema.org",
                "@type": "Article",
                "headline": a.title,
                "description": description,
                "datePublished": v.published_at,
                "dateModified": v.published_at,
                "inLanguage": own_locale,
                "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
                "publisher": publisher,
            }),
            breadcrumb_ld(&[
                (hc.to_owned(), absolute(&s.base_url, &home)),
                (v.category.name.clone(), absolute(&s.base_url, &cat_path)),
                (a.title.clone(), canonical.clone()),
            ]),
        ],
        noindex: false,
    };
    let translations: Vec<(String, String)> = v.alternates.clone();
    let body = render_body(|| {
        let feedback = match thanks {
            Some(_) => Either::Left(view! {
                <p class="hc-feedback-thanks" role="status">
                    {t(loc, "Thanks for your feedback!")}
                </p>
            }),
            None => Either::Right(view! {
                <form class="hc-feedback-form" method="post" action=feedback_action(s)>
                    <input type="hidden" name="article_id" value=a.id.to_string()/>
                    <input type="hidden" name="locale" value=own_locale.clone()/>
                    <input type="hidden" name="article_slug" value=a.slug.clone()/>
                    <p class="hc-feedback-q" id="hc-feedback-q">{t(loc, "Was this article helpful?")}</p>
                    <div class="hc-feedback-buttons" role="group" aria-labelledby="hc-feedback-q">
                        <button type="submit" name="helpful" value="yes">{t(loc, "Yes")}</button>
                        <button type="submit" name="helpful" value="no">{t(loc, "No")}</button>
                    </div>
                    <details class="hc-feedback-more">
                        <summary>{t(loc, "Tell us what was missing (optional)")}</summary>
                        <label class="hc-sr-only" for="hc-comment">
                            {t(loc, "Tell us what was missing (optional)")}
                        </label>
                        <textarea id="hc-comment" name="comment" rows="3" maxlength="2000"></textarea>
                        <button type="submit" name="helpful" value="no">{t(loc, "Send")}</button>
                    </details>
                </form>
            }),
        };
        let related = (!v.related.is_empty()).then(|| {
            view! {
                <aside class="hc-related" aria-labelledby="hc-related-h">
                    <h2 id="hc-related-h">{t(loc, "Related articles")}</h2>
                    {article_list(s, &v.related)}
                </aside>
            }
        });
        let main = view! {
            {breadcrumb_view(
                loc,
                vec![
                    (hc.to_owned(), Some(home.clone())),
                    (v.category.name.clone(), Some(cat_path.clone())),
                    (a.title.clone(), None),
                ],
            )}
            <article class="hc-article" lang=own_locale.clone()>
                <h1>{a.title.clone()}</h1>
                <div class="hc-body" inner_html=v.body_html.clone()></div>
            </article>
            <section class="hc-feedback" aria-live="polite">{feedback}</section>
            {related}
        };
        page_body(
            Some(s),
            locale_links(s, &translations),
            Some(hero_view(s, "", false).into_any()),
            "hc-wrap",
            main.into_any(),
        )
    });
    document(Some(s), &head, &body)
}

fn hit_view(h: &KbHitView) -> impl IntoView {
    let heading = (!h.heading.is_empty() && h.heading != h.title)
        .then(|| view! { <span class="hc-hit-heading">{h.heading.clone()}</span> });
    let excerpt = (!h.excerpt.is_empty()).then(|| view! { <p>{h.excerpt.clone()}</p> });
    view! {
        <li>
            <a class="hc-list-title" href=h.url.clone()>{h.title.clone()}</a>
            {heading}
            {excerpt}
        </li>
    }
}

/// Renders search results (or "No articles match" with a link home).
pub fn render_search(v: &HelpSearchView) -> String {
    let s = &v.shell;
    let loc = s.locale.as_str();
    let query = v.query.trim();
    let path = format!("{}?q={}", search_action(s), url_encode(query));
    let title = if query.is_empty() {
        t(loc, "Search").to_owned()
    } else {
        format!("{} “{query}”", t(loc, "Results for"))
    };
    let head = Head {
        title: Some(title.clone()),
        description: format!("Answers and guides from {}", brand_name(s)),
        canonical: Some(absolute(&s.base_url, &path)),
        og_type: "website",
        alternates: Vec::new(),
        json_ld: Vec::new(),
        noindex: true,
    };
    let body = render_body(|| {
        let home = home_path(s, loc);
        let results = if v.hits.is_empty() {
            let msg = (!query.is_empty()).then(|| {
                view! {
                    <p class="hc-empty">
                        {format!("{} “{query}”.", t(loc, "No articles match"))}
                    </p>
                }
            });
            Either::Left(view! {
                {msg}
                <p>
                    <a href=home>{format!("{} {}", t(loc, "Back to"), t(loc, "Help Center"))}</a>
                </p>
            })
        } else {
            let items = v.hits.iter().map(hit_view).collect_view();
            Either::Right(view! {
                <p class="hc-meta">{count_label(loc, v.hits.len() as u64)}</p>
                <ul class="hc-list hc-hits">{items}</ul>
            })
        };
        let main = view! {
            <h1>{title.clone()}</h1>
            {results}
        };
        page_body(
            Some(s),
            locale_links(s, &[]),
            Some(hero_view(s, query, false).into_any()),
            "hc-wrap",
            main.into_any(),
        )
    });
    document(Some(s), &head, &body)
}

/// Renders the help center's 404 page; without a shell (unknown brand) a bare
/// one in English.
pub fn render_not_found(shell: Option<&HelpShell>, message: &str) -> String {
    let loc = shell.map_or("en", |s| s.locale.as_str());
    let title = t(loc, "Page not found").to_owned();
    let head = Head {
        title: Some(title.clone()),
        description: if message.is_empty() {
            title.clone()
        } else {
            message.to_owned()
        },
        canonical: None,
        og_type: "website",
        alternates: Vec::new(),
        json_ld: Vec::new(),
        noindex: true,
    };
    let body = render_body(|| {
        let back = shell.map(|s| {
            let label = format!(
                "{} {} {}",
                t(loc, "Back to"),
                brand_name(s),
                t(loc, "Help Center")
            );
            view! {
                <p>
                    <a class="hc-button" href=home_path(s, loc)>{label}</a>
                </p>
            }
        });
        let msg =
            (!message.is_empty()).then(|| view! { <p class="hc-lead">{message.to_owned()}</p> });
        let main = view! {
            <div class="hc-notfound">
                <h1>{title.clone()}</h1>
                {msg}
                {back}
            </div>
        };
        let hero = shell.map(|s| hero_view(s, "", false).into_any());
        let links = shell.map_or_else(Vec::new, |s| locale_links(s, &[]));
        page_body(shell, links, hero, "hc-wrap", main.into_any())
    });
    document(shell, &head, &body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::types::{BrandView, CollectionView};

    fn shell(widget: Option<&str>) -> HelpShell {
        HelpShell {
            workspace: "Acme Inc".into(),
            brand: BrandView {
                id: 1,
                name: "Acme <script>alert(1)</script>".into(),
                slug: "acme".into(),
                is_default: true,
                logo_url: Some("/logo.svg".into()),
                primary_color: "#112233".into(),
                accent_color: "#445566".into(),
                custom_css: ".x{color:red}</style><script>alert('css')</script>".into(),
                default_locale: "en".into(),
                locales: vec!["en".into(), "de".into(), "fr".into()],
                widget_key: widget.map(str::to_owned),
            },
            locale: "en".into(),
            base_url: "https://support.example.com/".into(),
        }
    }

    fn category() -> CategoryView {
        CategoryView {
            id: 7,
            collection_id: 3,
            name: "Billing".into(),
            slug: "billing".into(),
            description: "Invoices & payments".into(),
            articles: 2,
        }
    }

    fn summary(id: i32, title: &str, slug: &str) -> ArticleSummaryView {
        ArticleSummaryView {
            id,
            category_id: 7,
            category: "Billing".into(),
            title: title.into(),
            slug: slug.into(),
            locale: "en".into(),
            summary: "Summary <script>alert('sum')</script>".into(),
            status: "published".into(),
            internal: false,
            parent_id: None,
            locales: vec!["en".into(), "de".into()],
            revision: 1,
            helpful: 0,
            not_helpful: 0,
            views: 10,
            updated_at: "2024-05-01T10:00:00Z".into(),
        }
    }

    fn home() -> HelpHomeView {
        HelpHomeView {
            shell: shell(None),
            collections: vec![CollectionView {
                id: 3,
                brand_id: 1,
                name: "Getting started".into(),
                slug: "start".into(),
                description: "First steps".into(),
                categories: vec![category()],
            }],
            popular: vec![summary(42, "Pay an invoice", "pay-an-invoice")],
        }
    }

    fn article(widget: Option<&str>) -> HelpArticleView {
        HelpArticleView {
            shell: shell(widget),
            article: summary(42, "Pay <script>alert('t')</script>", "pay-an-invoice"),
            category: category(),
            body_html: "<h2 id=\"cards\">Cards</h2><p>We accept <strong>cards</strong>.</p>".into(),
            alternates: vec![
                (
                    "de".into(),
                    "/help/acme/de/articles/rechnung-bezahlen".into(),
                ),
                (
                    "fr".into(),
                    "https://support.example.com/help/acme/fr/articles/payer".into(),
                ),
            ],
            canonical: "/help/acme/en/articles/pay-an-invoice".into(),
            published_at: "2024-04-01T09:00:00Z".into(),
            related: vec![summary(43, "Refunds", "refunds")],
        }
    }

    fn search(query: &str, hits: Vec<KbHitView>) -> HelpSearchView {
        HelpSearchView {
            shell: shell(None),
            query: query.into(),
            hits,
        }
    }

    fn hit() -> KbHitView {
        KbHitView {
            article_id: 42,
            title: "Pay an invoice".into(),
            heading: "Cards".into(),
            excerpt: "We accept cards".into(),
            url: "/help/acme/en/articles/pay-an-invoice#cards".into(),
            internal: false,
            score: 0.9,
        }
    }

    /// Every JSON-LD block, parsed.
    fn json_ld(html: &str) -> Vec<Value> {
        let open = "<script type=\"application/ld+json\">";
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len()..];
            let end = after.find("</script>").expect("closing script tag");
            out.push(serde_json::from_str(&after[..end]).expect("valid JSON-LD"));
            rest = &after[end..];
        }
        out
    }

    fn types_of(html: &str) -> Vec<String> {
        json_ld(html)
            .iter()
            .map(|v| v["@type"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn canonicals(html: &str) -> Vec<&str> {
        html.match_indices("<link rel=\"canonical\" href=\"")
            .map(|(i, m)| {
                let s = &html[i + m.len()..];
                &s[..s.find('"').expect("end quote")]
            })
            .collect()
    }

    /// No `<script` other than JSON-LD blocks and the widget (outside the
    /// `<style>` raw text, where `<script>` is inert text).
    fn assert_no_raw_script(html: &str) {
        let mut outside = String::new();
        let mut rest = html;
        while let Some(i) = rest.find("<style>") {
            outside.push_str(&rest[..i]);
            let after = &rest[i..];
            let end = after.find("</style>").expect("closing style tag");
            rest = &after[end + "</style>".len()..];
        }
        outside.push_str(rest);
        let html = outside.as_str();
        for (i, _) in html.match_indices("<script") {
            let tail = &html[i..];
            assert!(
                tail.starts_with("<script type=\"application/ld+json\">")
                    || tail.starts_with("<script src=\"/widget.js\""),
                "unexpected script at {i}: {}",
                &tail[..tail.len().min(80)]
            );
        }
        assert!(!html.contains("<script>alert"), "raw injected code present");
    }

    fn all_pages() -> Vec<String> {
        vec![
            render_home(&home()),
            render_category(&HelpCategoryView {
                shell: shell(None),
                category: category(),
                articles: vec![summary(42, "Pay <b>now</b>", "pay-an-invoice")],
            }),
            render_article(&article(Some("pk_live")), None),
            render_search(&search("cards", vec![hit()])),
            render_not_found(Some(&shell(None)), "No such article"),
            render_not_found(None, "Unknown help center"),
        ]
    }

    #[test]
    fn every_page_is_a_complete_document() {
        for html in all_pages() {
            assert!(html.starts_with("<!doctype html>\n<html lang=\""));
            assert!(html.trim_end().ends_with("</html>"));
            assert_eq!(html.matches("<title>").count(), 1);
            assert!(html.contains("<meta charset=\"utf-8\">"));
            assert!(html.contains("name=\"viewport\""));
            assert!(html.contains("<link rel=\"stylesheet\" href=\"/help-center.css\">"));
            assert!(html.contains("Powered by Switchboard"));
            assert_no_raw_script(&html);
        }
    }

    #[test]
    fn home_has_canonical_website_ld_cards_and_popular() {
        let html = render_home(&home());
        assert_eq!(
            canonicals(&html),
            vec!["https://support.example.com/help/acme/en"]
        );
        assert!(
            html.contains("<title>Acme &lt;script&gt;alert(1)&lt;/script&gt; Help Center</title>")
        );
        assert!(html.contains(
            "<meta name=\"description\" content=\"Answers and guides from Acme &lt;script&gt;"
        ));
        let ld = json_ld(&html);
        assert_eq!(ld.len(), 1);
        assert_eq!(ld[0]["@type"], "WebSite");
        assert_eq!(ld[0]["potentialAction"]["@type"], "SearchAction");
        assert_eq!(
            ld[0]["potentialAction"]["target"],
            "https://support.example.com/help/acme/en/search?q={search_term_string}"
        );
        assert!(html.contains("href=\"/help/acme/en/categories/billing\""));
        assert!(html.contains("2 articles"));
        assert!(html.contains("Popular articles"));
        assert!(html.contains("href=\"/help/acme/en/articles/pay-an-invoice\""));
        assert!(html.contains("How can we help?"));
        assert!(
            html.contains("<form role=\"search\" method=\"get\" action=\"/help/acme/en/search\"")
        );
        assert!(html.contains("type=\"search\" name=\"q\""));
        assert!(html.contains("<img src=\"/logo.svg\""));
    }

    #[test]
    fn theme_and_custom_css_cannot_break_out() {
        let html = render_home(&home());
        assert!(html.contains(
            "<style>:root{--hc-primary:#112233;--hc-accent:#445566;--hc-on-primary:#fff;--hc-on-accent:#fff}</style>"
        ));
        assert!(html.contains("<style>.x{color:red}<\\/style><script>"));
        assert_eq!(html.matches("</style>").count(), 2);
        assert_no_raw_script(&html);

        let mut v = home();
        v.shell.brand.primary_color = "red}</style><script>x()</script>".into();
        let html = render_home(&v);
        assert!(html.contains("--hc-primary:#1f4fd1;"));
        assert!(!html.contains("x()</script>"));

        v.shell.brand.primary_color = "#ffd400".into();
        assert!(render_home(&v)
            .contains("--hc-primary:#ffd400;--hc-accent:#445566;--hc-on-primary:#111;"));
    }

    #[test]
    fn locale_switch_links_every_locale_and_marks_the_current_one() {
        let mut v = home();
        v.shell.locale = "de".into();
        let html = render_home(&v);
        assert!(html.starts_with("<!doctype html>\n<html lang=\"de\">"));
        assert!(html.contains("Wie können wir helfen?"));
        assert!(html.contains("<a href=\"/help/acme/en\" hreflang=\"en\" lang=\"en\">English</a>"));
        assert!(html.contains(
            "<a href=\"/help/acme/de\" hreflang=\"de\" lang=\"de\" aria-current=\"true\">Deutsch</a>"
        ));
        assert!(html.contains("<a href=\"/help/acme/fr\" hreflang=\"fr\" lang=\"fr\">Français</a>"));
        assert_eq!(html.matches("aria-current=\"true\"").count(), 1);
    }

    #[test]
    fn category_page_has_breadcrumb_collection_ld_and_articles() {
        let html = render_category(&HelpCategoryView {
            shell: shell(None),
            category: category(),
            articles: vec![summary(42, "Pay <b>now</b>", "pay-an-invoice")],
        });
        assert_eq!(
            canonicals(&html),
            vec!["https://support.example.com/help/acme/en/categories/billing"]
        );
        assert!(html.contains("<meta name=\"description\" content=\"Invoices &amp; payments\">"));
        assert_eq!(types_of(&html), vec!["CollectionPage", "BreadcrumbList"]);
        let crumbs = &json_ld(&html)[1]["itemListElement"];
        assert_eq!(
            crumbs[0]["item"],
            "https://support.example.com/help/acme/en"
        );
        assert_eq!(crumbs[1]["name"], "Billing");
        assert!(html.contains("<h1>Billing</h1>"));
        assert!(html.contains("Pay &lt;b&gt;now&lt;/b&gt;"));
        assert!(html.contains("aria-label=\"Breadcrumb\""));
    }

    #[test]
    fn article_page_has_hreflang_ld_body_and_feedback() {
        let html = render_article(&article(None), None);
        let canonical = "https://support.example.com/help/acme/en/articles/pay-an-invoice";
        assert_eq!(canonicals(&html), vec![canonical]);
        for (l, u) in [
            ("en", canonical),
            (
                "de",
                "https://support.example.com/help/acme/de/articles/rechnung-bezahlen",
            ),
            (
                "fr",
                "https://support.example.com/help/acme/fr/articles/payer",
            ),
            ("x-default", canonical),
        ] {
            let link = format!("<link rel=\"alternate\" hreflang=\"{l}\" href=\"{u}\">");
            assert_eq!(html.matches(&link).count(), 1, "{link}");
        }
        assert!(html.contains("<meta property=\"og:type\" content=\"article\">"));
        assert!(html.contains(&format!(
            "<meta property=\"og:url\" content=\"{canonical}\">"
        )));

        let ld = json_ld(&html);
        assert_eq!(types_of(&html), vec!["Article", "BreadcrumbList"]);
        assert_eq!(ld[0]["headline"], "Pay <script>alert('t')</script>");
        assert_eq!(ld[0]["datePublished"], "2024-04-01T09:00:00Z");
        assert_eq!(ld[0]["dateModified"], "2024-04-01T09:00:00Z");
        assert_eq!(ld[0]["inLanguage"], "en");
        assert_eq!(ld[0]["mainEntityOfPage"]["@id"], canonical);
        assert_eq!(ld[0]["publisher"]["@type"], "Organization");
        assert_eq!(
            ld[0]["publisher"]["logo"]["url"],
            "https://support.example.com/logo.svg"
        );
        assert_eq!(ld[1]["itemListElement"].as_array().map(Vec::len), Some(3));
        assert_eq!(ld[1]["itemListElement"][2]["item"], canonical);

        // Title and summary are escaped everywhere.
        assert!(html.contains("<title>Pay &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; · Acme"));
        assert!(html.contains("<h1>Pay &lt;script&gt;alert('t')&lt;/script&gt;</h1>"));
        assert!(html.contains("content=\"Summary &lt;script&gt;alert(&#39;sum&#39;)"));
        assert_no_raw_script(&html);

        // The sanitized body goes in as HTML.
        assert!(
            html.contains("<h2 id=\"cards\">Cards</h2><p>We accept <strong>cards</strong>.</p>")
        );

        // Feedback form.
        assert!(html.contains(
            "<form method=\"post\" action=\"/help/acme/feedback\" class=\"hc-feedback-form\">"
        ));
        assert!(html.contains("<input type=\"hidden\" name=\"article_id\" value=\"42\""));
        assert!(html.contains("name=\"article_slug\" value=\"pay-an-invoice\""));
        assert!(html.contains("name=\"locale\" value=\"en\""));
        assert!(html.contains("name=\"helpful\" value=\"yes\""));
        assert!(html.contains("name=\"helpful\" value=\"no\""));
        assert!(html.contains("<textarea id=\"hc-comment\" name=\"comment\""));
        assert!(!html.contains("Thanks for your feedback!"));

        // Related, and the locale switch points at translations.
        assert!(html.contains("Related articles"));
        assert!(html.contains("href=\"/help/acme/en/articles/refunds\""));
        assert!(
            html.contains("<a href=\"/help/acme/de/articles/rechnung-bezahlen\" hreflang=\"de\"")
        );
        assert!(html.contains("aria-current=\"true\">English</a>"));
    }

    #[test]
    fn x_default_is_the_default_locale_translation() {
        let mut v = article(None);
        v.shell.brand.default_locale = "de".into();
        let html = render_article(&v, None);
        assert!(html.contains("<link rel=\"alternate\" hreflang=\"x-default\" href=\"https://support.example.com/help/acme/de/articles/rechnung-bezahlen\">"));
    }

    #[test]
    fn thanks_replaces_the_buttons() {
        for vote in [true, false] {
            let html = render_article(&article(None), Some(vote));
            assert!(html.contains("Thanks for your feedback!"));
            assert!(!html.contains("name=\"helpful\""));
            assert!(!html.contains("/help/acme/feedback"));
        }
        let mut v = article(None);
        v.shell.locale = "fr".into();
        assert!(render_article(&v, Some(true)).contains("Merci pour votre avis !"));
    }

    #[test]
    fn widget_script_only_with_a_key() {
        let with = render_article(&article(Some("pk_\"x")), None);
        assert!(with.contains(
            "<script src=\"/widget.js\" data-key=\"pk_&quot;x\" async></script>\n</body>"
        ));
        let without = render_article(&article(None), None);
        assert!(!without.contains("/widget.js"));
        assert!(!render_home(&home()).contains("/widget.js"));
    }

    #[test]
    fn search_echoes_query_and_lists_hits() {
        let html = render_search(&search("cards \"<x>\"", vec![hit()]));
        assert_eq!(
            canonicals(&html),
            vec!["https://support.example.com/help/acme/en/search?q=cards+%22%3Cx%3E%22"]
        );
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(html.contains("value=\"cards &quot;&lt;x&gt;&quot;\""));
        assert!(html.contains("href=\"/help/acme/en/articles/pay-an-invoice#cards\""));
        assert!(html.contains("Cards"));
        assert!(html.contains("We accept cards"));
        assert!(!html.contains("<x>"));
        assert!(json_ld(&html).is_empty());
    }

    #[test]
    fn empty_search_says_no_articles_match_and_links_home() {
        let html = render_search(&search("zzz", vec![]));
        assert!(html.contains("No articles match “zzz”."));
        assert!(html.contains("<a href=\"/help/acme/en\">Back to Help Center</a>"));
    }

    #[test]
    fn not_found_pages() {
        let html = render_not_found(Some(&shell(None)), "No <such> article");
        assert!(canonicals(&html).is_empty());
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(html.contains("<h1>Page not found</h1>"));
        assert!(html.contains("No &lt;such&gt; article"));
        assert!(html.contains("href=\"/help/acme/en\""));

        let bare = render_not_found(None, "Unknown help center");
        assert!(bare.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert!(bare.contains("<title>Page not found · Help Center</title>"));
        assert!(bare.contains("--hc-primary:#1f4fd1"));
    }

    #[test]
    fn json_ld_cannot_close_its_script() {
        let mut v = article(None);
        v.article.title = "</script><script>alert('ld')</script><!--".into();
        let html = render_article(&v, None);
        assert_no_raw_script(&html);
        assert_eq!(
            json_ld(&html)[0]["headline"],
            "</script><script>alert('ld')</script><!--"
        );
    }

    #[test]
    fn esc_escapes_the_five() {
        assert_eq!(esc("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        assert_eq!(url_encode("a b/ü"), "a+b%2F%C3%BC");
        assert_eq!(t("es", "Yes"), "Sí");
        assert_eq!(t("de-AT", "Send"), "Senden");
        assert_eq!(t("ja", "Send"), "Send");
    }
}
