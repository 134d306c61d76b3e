//! The storefront's pages (`/store/{brand}/…`): complete, server-rendered
//! HTML documents for shoppers, with no hydration and no wasm. The cart is
//! plain forms that post and come back (`303`), so a page weighs its HTML and
//! one small stylesheet; the chat widget is the only script.
//!
//! Built like the help center's pages ([`super::helpcenter`]): the body with
//! `view!`, the head by hand with every value escaped; product pages carry
//! schema.org `Product` data, category pages a `BreadcrumbList`.

use super::helpcenter::{
    absolute, breadcrumb_ld, color_or, esc, on_color, render_body, script_json,
};
use crate::types::{
    money, AccountView, CartView, OrderStatus, PageBlock, ProductCard, StoreCategoryView,
    StoreHomeView, StoreOrderView, StorePageView, StoreProductView, StoreShell,
};
use leptos::either::Either;
use leptos::prelude::*;
use serde_json::{json, Value};

const DEFAULT_PRIMARY: &str = "#1f4fd1";
const DEFAULT_ACCENT: &str = "#0b7a5c";

/// `/store/{brand}`.
pub fn home_path(s: &StoreShell) -> String {
    format!("/store/{}", s.slug)
}

/// `/store/{brand}/c/{category}`.
pub fn category_path(s: &StoreShell, slug: &str) -> String {
    format!("/store/{}/c/{slug}", s.slug)
}

/// `/store/{brand}/p/{product}`.
pub fn product_path(s: &StoreShell, slug: &str) -> String {
    format!("/store/{}/p/{slug}", s.slug)
}

/// `/store/{brand}/cart`.
pub fn cart_path(s: &StoreShell) -> String {
    format!("/store/{}/cart", s.slug)
}

/// `/store/{brand}/account`.
pub fn account_path(s: &StoreShell) -> String {
    format!("/store/{}/account", s.slug)
}

struct Head {
    title: String,
    description: String,
    canonical: Option<String>,
    og_type: &'static str,
    image: Option<String>,
    json_ld: Vec<Value>,
    noindex: bool,
    /// `(rel, absolute URL)`: pagination.
    links: Vec<(&'static str, String)>,
}

fn document(s: &StoreShell, head: &Head, body: &str) -> String {
    let title = if head.title == s.name {
        s.name.clone()
    } else {
        format!("{} · {}", head.title, s.name)
    };
    let mut h = String::with_capacity(2048 + body.len());
    h.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n");
    h.push_str(&format!("<title>{}</title>\n", esc(&title)));
    h.push_str(&format!(
        "<meta name=\"description\" content=\"{}\">\n",
        esc(&head.description)
    ));
    if head.noindex {
        h.push_str("<meta name=\"robots\" content=\"noindex\">\n");
    }
    if let Some(url) = &head.canonical {
        h.push_str(&format!("<link rel=\"canonical\" href=\"{}\">\n", esc(url)));
        h.push_str(&format!(
            "<meta property=\"og:url\" content=\"{}\">\n",
            esc(url)
        ));
    }
    for (rel, url) in &head.links {
        h.push_str(&format!("<link rel=\"{rel}\" href=\"{}\">\n", esc(url)));
    }
    h.push_str(&format!(
        "<meta property=\"og:title\" content=\"{}\">\n<meta property=\"og:description\" content=\"{}\">\n<meta property=\"og:type\" content=\"{}\">\n<meta property=\"og:site_name\" content=\"{}\">\n",
        esc(&head.title),
        esc(&head.description),
        head.og_type,
        esc(&s.name)
    ));
    if let Some(img) = &head.image {
        h.push_str(&format!(
            "<meta property=\"og:image\" content=\"{}\">\n",
            esc(&absolute(&s.base_url, img))
        ));
    }
    h.push_str("<link rel=\"stylesheet\" href=\"/store.css\">\n");
    let primary = color_or(&s.primary_color, DEFAULT_PRIMARY);
    let accent = color_or(&s.accent_color, DEFAULT_ACCENT);
    h.push_str(&format!(
        "<style>:root{{--st-primary:{primary};--st-on-primary:{};--st-accent:{accent}}}</style>\n",
        on_color(primary)
    ));
    for ld in &head.json_ld {
        h.push_str(&format!(
            "<script type=\"application/ld+json\">{}</script>\n",
            script_json(ld)
        ));
    }
    h.push_str("</head>\n<body class=\"st\">\n");
    h.push_str(body);
    h.push('\n');
    if let Some(key) = &s.widget_key {
        h.push_str(&format!(
            "<script src=\"/widget.js\" data-key=\"{}\" async></script>\n",
            esc(key)
        ));
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn header_view(s: &StoreShell) -> impl IntoView {
    let nav = s
        .categories
        .iter()
        .map(|c| view! { <li><a href=category_path(s, &c.slug)>{c.name.clone()}</a></li> })
        .collect_view();
    let cart = if s.cart_items > 0 {
        format!("Cart ({})", s.cart_items)
    } else {
        "Cart".to_owned()
    };
    view! {
        <a class="st-skip" href="#st-main">"Skip to content"</a>
        <header class="st-header">
            <div class="st-wrap st-header-in">
                <a class="st-brand" href=home_path(s)>{s.name.clone()}</a>
                <nav class="st-nav" aria-label="Categories"><ul>{nav}</ul></nav>
                <a class="st-account-link" href=account_path(s) data-testid="account-link">"Your orders"</a>
                <a class="st-cart-link" href=cart_path(s) data-testid="cart-link">{cart}</a>
            </div>
        </header>
    }
}

fn footer_view(s: &StoreShell) -> impl IntoView {
    let links = s
        .pages
        .iter()
        .map(|p| view! { <li><a href=format!("/store/{}/{}", s.slug, p.slug)>{p.name.clone()}</a></li> })
        .collect_view();
    view! {
        <footer class="st-footer">
            <div class="st-wrap">
                {format!("{} · Free shipping from €50", s.name)}
                {(!s.pages.is_empty()).then(|| view! { <nav aria-label="Store information"><ul class="st-footer-links" data-testid="footer-pages">{links}</ul></nav> })}
            </div>
        </footer>
    }
}

fn page(s: &StoreShell, main: AnyView) -> String {
    let s2 = s.clone();
    render_body(move || {
        view! {
            {header_view(&s2)}
            <main id="st-main" class="st-wrap st-main">{main}</main>
            {footer_view(&s2)}
        }
    })
}

fn breadcrumb(items: Vec<(String, Option<String>)>) -> impl IntoView {
    let lis = items
        .into_iter()
        .map(|(name, href)| match href {
            Some(href) => Either::Left(view! { <li><a href=href>{name}</a></li> }),
            None => Either::Right(view! { <li aria-current="page">{name}</li> }),
        })
        .collect_view();
    view! { <nav class="st-breadcrumb" aria-label="Breadcrumb"><ol>{lis}</ol></nav> }
}

fn price_text(c: &ProductCard) -> String {
    let m = money(c.price_from_minor, &c.currency);
    if c.prices_vary {
        format!("from {m}")
    } else {
        m
    }
}

/// Two letters on a coloured tile where a product has no image.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

fn picture(name: &str, image: Option<String>, class: &'static str) -> impl IntoView {
    match image {
        Some(src) => Either::Left(
            view! { <img class=class src=src alt=name.to_owned() loading="lazy" width="400" height="300"/> },
        ),
        None => Either::Right(
            view! { <div class=format!("{class} st-tile") aria-hidden="true">{initials(name)}</div> },
        ),
    }
}

fn grid(s: &StoreShell, cards: &[ProductCard]) -> impl IntoView {
    let items = cards
        .iter()
        .map(|c| {
            let stock = (c.stock == 0).then(|| view! { <span class="st-out">"Sold out"</span> });
            view! {
                <li class="st-card" data-testid="product-card">
                    <a href=product_path(s, &c.slug)>
                        {picture(&c.name, c.image.clone(), "st-card-img")}
                        <span class="st-card-name">{c.name.clone()}</span>
                    </a>
                    <span class="st-price">{price_text(c)}</span>
                    {stock}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="st-grid">{items}</ul> }
}

/// The store's home page.
pub fn render_home(v: &StoreHomeView) -> String {
    let s = &v.shell;
    let url = absolute(&s.base_url, &home_path(s));
    let sections = v
        .sections
        .iter()
        .map(|(c, cards)| {
            view! {
                <section class="st-section">
                    <div class="st-section-head">
                        <h2>{c.name.clone()}</h2>
                        <a href=category_path(s, &c.slug)>{format!("All {}", c.name.to_lowercase())}</a>
                    </div>
                    {grid(s, cards)}
                </section>
            }
        })
        .collect_view();
    let empty = v
        .sections
        .is_empty()
        .then(|| view! { <p class="st-muted">"Nothing on sale yet. Come back soon."</p> });
    let main = view! {
        <h1 class="st-hero">{s.name.clone()}</h1>
        {empty}
        {sections}
    }
    .into_any();
    let head = Head {
        title: s.name.clone(),
        description: format!(
            "Shop {} online: {}.",
            s.name,
            s.categories
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        canonical: Some(url.clone()),
        og_type: "website",
        image: None,
        json_ld: vec![
            json!({"@context": "https://schema.org", "@type": "WebSite", "name": s.name, "url": url}),
        ],
        noindex: false,
        links: Vec::new(),
    };
    document(s, &head, &page(s, main))
}

fn page_url(s: &StoreShell, slug: &str, page: u64) -> String {
    let path = category_path(s, slug);
    absolute(
        &s.base_url,
        &if page <= 1 {
            path
        } else {
            format!("{path}?page={page}")
        },
    )
}

/// A category page with its products and pages.
pub fn render_category(v: &StoreCategoryView) -> String {
    let s = &v.shell;
    let c = &v.category;
    let here = page_url(s, &c.slug, v.page);
    let prev = (v.page > 1).then(|| page_url(s, &c.slug, v.page - 1));
    let next = (v.page < v.pages).then(|| page_url(s, &c.slug, v.page + 1));
    let pager = (v.pages > 1).then(|| {
        let prev = prev
            .clone()
            .map(|u| view! { <a rel="prev" href=u>"← Previous"</a> });
        let next = next
            .clone()
            .map(|u| view! { <a rel="next" href=u>"Next →"</a> });
        view! {
            <nav class="st-pager" aria-label="Pages">
                {prev}
                <span>{format!("Page {} of {}", v.page, v.pages)}</span>
                {next}
            </nav>
        }
    });
    let empty = v
        .products
        .is_empty()
        .then(|| view! { <p class="st-muted">"Nothing here right now."</p> });
    let main = view! {
        {breadcrumb(vec![(s.name.clone(), Some(home_path(s))), (c.name.clone(), None)])}
        <h1>{c.name.clone()}</h1>
        <p class="st-muted">{format!("{} products", v.total)}</p>
        {empty}
        {grid(s, &v.products)}
        {pager}
    }
    .into_any();
    let mut links = Vec::new();
    if let Some(u) = prev {
        links.push(("prev", u));
    }
    if let Some(u) = next {
        links.push(("next", u));
    }
    let head = Head {
        title: if v.page > 1 {
            format!("{} (page {})", c.name, v.page)
        } else {
            c.name.clone()
        },
        description: format!("{} at {}: {} products.", c.name, s.name, v.total),
        canonical: Some(here.clone()),
        og_type: "website",
        image: v.products.iter().find_map(|p| p.image.clone()),
        json_ld: vec![breadcrumb_ld(&[
            (s.name.clone(), absolute(&s.base_url, &home_path(s))),
            (c.name.clone(), page_url(s, &c.slug, 1)),
        ])],
        noindex: false,
        links,
    };
    document(s, &head, &page(s, main))
}

/// The first sentence-or-so of a description, for `<meta name=description>`.
fn summary(text: &str, fallback: &str) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return fallback.to_owned();
    }
    if t.chars().count() <= 160 {
        return t;
    }
    let cut: String = t.chars().take(157).collect();
    format!("{}…", cut.trim_end())
}

fn product_ld(v: &StoreProductView, url: &str) -> Value {
    let s = &v.shell;
    let offers: Vec<Value> = v
        .variants
        .iter()
        .map(|x| {
            json!({
                "@type": "Offer",
                "sku": x.sku,
                "name": x.label,
                "price": format!("{}.{:02}", x.price_minor / 100, (x.price_minor % 100).abs()),
                "priceCurrency": v.currency.to_uppercase(),
                "availability": if x.stock > 0 { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
                "url": url,
            })
        })
        .collect();
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": v.name,
        "description": summary(&v.description, &v.name),
        "sku": v.variants.first().map(|x| x.sku.clone()),
        "brand": {"@type": "Brand", "name": s.name},
        "url": url,
        "offers": offers,
    });
    if !v.images.is_empty() {
        ld["image"] = json!(v
            .images
            .iter()
            .map(|i| absolute(&s.base_url, i))
            .collect::<Vec<_>>());
    }
    if let Some(c) = &v.category {
        ld["category"] = json!(c.name);
    }
    ld
}

/// A product page: pictures, description, the variants to choose from and
/// the add-to-cart form. `error`: why the last add was refused.
pub fn render_product(v: &StoreProductView, error: Option<&str>) -> String {
    let s = &v.shell;
    let url = absolute(&s.base_url, &product_path(s, &v.slug));
    let mut crumbs = vec![(s.name.clone(), Some(home_path(s)))];
    let mut ld_crumbs = vec![(s.name.clone(), absolute(&s.base_url, &home_path(s)))];
    if let Some(c) = &v.category {
        crumbs.push((c.name.clone(), Some(category_path(s, &c.slug))));
        ld_crumbs.push((
            c.name.clone(),
            absolute(&s.base_url, &category_path(s, &c.slug)),
        ));
    }
    crumbs.push((v.name.clone(), None));
    ld_crumbs.push((v.name.clone(), url.clone()));
    let first_in_stock = v.variants.iter().position(|x| x.stock > 0);
    let options = v
        .variants
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let stock = match x.stock {
                n if n <= 0 => "Sold out".to_owned(),
                n if n <= 5 => format!("Only {n} left"),
                _ => "In stock".to_owned(),
            };
            let label = if x.label.is_empty() {
                v.name.clone()
            } else {
                x.label.clone()
            };
            view! {
                <label class="st-variant">
                    <input type="radio" name="variant" value=x.id.to_string()
                        checked=first_in_stock == Some(i) disabled=x.stock <= 0 required=true/>
                    <span class="st-variant-label">{label}</span>
                    <span class="st-price">{money(x.price_minor, &v.currency)}</span>
                    <span class="st-muted st-small">{stock}</span>
                </label>
            }
        })
        .collect_view();
    let sold_out = first_in_stock.is_none();
    let err = error.map(|e| view! { <p class="st-error" role="alert">{e.to_owned()}</p> });
    let paragraphs = v
        .description
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| view! { <p>{p.trim().to_owned()}</p> })
        .collect_view();
    let main = view! {
        {breadcrumb(crumbs)}
        <div class="st-product">
            <div class="st-gallery">{picture(&v.name, v.images.first().cloned(), "st-product-img")}</div>
            <div class="st-buy">
                <h1>{v.name.clone()}</h1>
                <form method="post" action=format!("{}/add", cart_path(s)) data-testid="add-to-cart">
                    <input type="hidden" name="product" value=v.slug.clone()/>
                    <fieldset class="st-variants">
                        <legend>"Choose"</legend>
                        {options}
                    </fieldset>
                    <label class="st-qty">"Quantity "
                        <input type="number" name="quantity" value="1" min="1" max="99" required=true/>
                    </label>
                    {err}
                    <button class="st-button" type="submit" disabled=sold_out>
                        {if sold_out { "Sold out" } else { "Add to cart" }}
                    </button>
                </form>
                <div class="st-description">{paragraphs}</div>
            </div>
        </div>
    }
    .into_any();
    let head = Head {
        title: v.name.clone(),
        description: summary(&v.description, &v.name),
        canonical: Some(url.clone()),
        og_type: "product",
        image: v.images.first().cloned(),
        json_ld: vec![product_ld(v, &url), breadcrumb_ld(&ld_crumbs)],
        noindex: false,
        links: Vec::new(),
    };
    document(s, &head, &page(s, main))
}

/// What the shopper typed into the checkout form (shown again when refused).
#[derive(Clone, Debug, Default)]
pub struct CheckoutValues {
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Street.
    pub line1: String,
    /// More.
    pub line2: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// Country (two letters).
    pub country: String,
}

fn checkout_form(s: &StoreShell, f: &CheckoutValues) -> impl IntoView {
    let field = |name: &'static str,
                 label: &'static str,
                 value: String,
                 kind: &'static str,
                 auto: &'static str,
                 required: bool| {
        view! {
            <label class="st-field">
                <span>{label}</span>
                <input type=kind name=name value=value autocomplete=auto required=required maxlength="200"/>
            </label>
        }
    };
    view! {
        <form method="post" action=format!("/store/{}/checkout", s.slug) class="st-checkout" data-testid="checkout-form">
            <h2>"Checkout"</h2>
            {field("email", "Email (for the receipt)", f.email.clone(), "email", "email", true)}
            {field("name", "Full name", f.name.clone(), "text", "name", true)}
            {field("line1", "Street and number", f.line1.clone(), "text", "address-line1", true)}
            {field("line2", "Apartment, floor (optional)", f.line2.clone(), "text", "address-line2", false)}
            <div class="st-row">
                {field("postcode", "Postcode", f.postcode.clone(), "text", "postal-code", true)}
                {field("city", "City", f.city.clone(), "text", "address-level2", true)}
                {field("country", "Country (two letters)", if f.country.is_empty() { "DE".to_owned() } else { f.country.clone() }, "text", "country", true)}
            </div>
            <button class="st-button" type="submit">"Pay with Stripe"</button>
            <p class="st-muted st-small">"You pay on Stripe's secure page and come back here to your order."</p>
        </form>
    }
}

/// The cart: each line with its quantity form and any problem, the totals,
/// and the checkout form (when the cart can be bought as it is). `error`:
/// why the last change or checkout was refused.
pub fn render_cart(v: &CartView, error: Option<&str>) -> String {
    render_cart_with(v, error, &CheckoutValues::default())
}

/// [`render_cart`] with the checkout form filled in as it was sent.
pub fn render_cart_with(v: &CartView, error: Option<&str>, values: &CheckoutValues) -> String {
    let s = &v.shell;
    let action = format!("{}/set", cart_path(s));
    let rows = v
        .lines
        .iter()
        .map(|l| {
            let problem = l
                .problem
                .clone()
                .map(|p| view! { <p class="st-error st-small">{p}</p> });
            view! {
                <tr data-testid="cart-line">
                    <td>
                        <a href=product_path(s, &l.product_slug)>{l.product.clone()}</a>
                        <br/><span class="st-muted st-small">{l.label.clone()}</span>
                        {problem}
                    </td>
                    <td>{money(l.unit_minor, &v.currency)}</td>
                    <td>
                        <form method="post" action=action.clone() class="st-inline">
                            <input type="hidden" name="variant" value=l.variant_id.to_string()/>
                            <input type="number" name="quantity" value=l.quantity.to_string() min="0" max="99"
                                aria-label=format!("Quantity of {} {}", l.product, l.label)/>
                            <button class="st-link" type="submit">"Update"</button>
                        </form>
                    </td>
                    <td class="st-num">{money(l.line_minor, &v.currency)}</td>
                    <td>
                        <form method="post" action=action.clone() class="st-inline">
                            <input type="hidden" name="variant" value=l.variant_id.to_string()/>
                            <input type="hidden" name="quantity" value="0"/>
                            <button class="st-link" type="submit">"Remove"</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let dropped = (v.dropped > 0).then(|| {
        view! { <p class="st-muted">{format!("{} item(s) in your cart are no longer sold and were removed.", v.dropped)}</p> }
    });
    let err = error.map(|e| view! { <p class="st-error" role="alert">{e.to_owned()}</p> });
    let body = if v.lines.is_empty() {
        Either::Left(view! {
            <p class="st-muted" data-testid="cart-empty">"Your cart is empty."</p>
            <p><a href=home_path(s)>"Continue shopping"</a></p>
        })
    } else {
        let free = (v.shipping_minor > 0).then(|| {
            view! { <p class="st-muted st-small">{format!("Shipping is free from {}.", money(crate::types::FREE_SHIPPING_FROM, &v.currency))}</p> }
        });
        Either::Right(view! {
            <table class="st-cart">
                <thead><tr><th>"Item"</th><th>"Price"</th><th>"Quantity"</th><th class="st-num">"Total"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <dl class="st-totals" data-testid="cart-totals">
                <dt>"Subtotal"</dt><dd>{money(v.subtotal_minor, &v.currency)}</dd>
                <dt>"Shipping"</dt><dd>{if v.shipping_minor == 0 { "Free".to_owned() } else { money(v.shipping_minor, &v.currency) }}</dd>
                <dt>"Total"</dt><dd data-testid="cart-total"><strong>{money(v.total_minor, &v.currency)}</strong></dd>
            </dl>
            {free}
            {v.ready().then(|| checkout_form(s, values))}
        })
    };
    let main = view! {
        <h1>"Your cart"</h1>
        {err}
        {dropped}
        {body}
    }
    .into_any();
    let head = Head {
        title: "Your cart".to_owned(),
        description: format!("Your cart at {}.", s.name),
        canonical: None,
        og_type: "website",
        image: None,
        json_ld: Vec::new(),
        noindex: true,
        links: Vec::new(),
    };
    document(s, &head, &page(s, main))
}

pub(crate) fn time_view(rfc3339: &str) -> impl IntoView {
    // Without scripts the time reads in UTC; the small script at the end of
    // the page shows it in the viewer's own time zone.
    let shown = chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%-d %b %Y, %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default();
    view! { <time datetime=rfc3339.to_owned()>{shown}</time> }
}

/// Rewrites every `<time datetime>` in the viewer's time zone (a few hundred
/// bytes, inline; the pages carry no other script but the widget).
pub(crate) const LOCAL_TIMES: &str = "<script>document.querySelectorAll('time[datetime]').forEach(function(t){var d=new Date(t.getAttribute('datetime'));if(!isNaN(d))t.textContent=d.toLocaleString(undefined,{dateStyle:'medium',timeStyle:'short'})})</script>\n";

/// The shopper's order: confirmation, status, lines and amounts, where it
/// goes, tracking once shipped, and what happened.
pub fn render_order(v: &StoreOrderView) -> String {
    let s = &v.shell;
    let headline = match v.status {
        OrderStatus::Pending => "We are waiting for your payment.",
        OrderStatus::Paid => "Thank you! Your order is paid and we are preparing it.",
        OrderStatus::Fulfilled => "Your order is packed and leaves soon.",
        OrderStatus::Shipped => "Your order is on its way.",
        OrderStatus::Delivered => "Your order was delivered.",
        OrderStatus::Cancelled => "This order was cancelled.",
        OrderStatus::Refunded | OrderStatus::PartiallyRefunded => "This order was refunded.",
    };
    let items = v
        .items
        .iter()
        .map(|i| {
            view! {
                <tr>
                    <td>{i.product.clone()}<br/><span class="st-muted st-small">{i.label.clone()}</span></td>
                    <td>{i.quantity}</td>
                    <td class="st-num">{money(i.unit_minor * i64::from(i.quantity), &v.currency)}</td>
                </tr>
            }
        })
        .collect_view();
    let tracking = v.tracking_number.clone().map(|n| {
        let t = &v.tracking;
        let status = t.status.map(|st| {
            view! { <strong data-testid="tracking-status" data-status=st.as_str()>{st.label()}</strong> }
        });
        let eta = t
            .eta
            .as_deref()
            .filter(|_| t.status != Some(crate::types::TrackingStatus::Delivered))
            .map(|e| view! { " · expected "{time_view(e)} });
        let scans = t
            .events
            .iter()
            .map(|e| {
                view! {
                    <li>{time_view(&e.at)}" — "{e.description.clone()}
                        {(!e.location.is_empty()).then(|| format!(" ({})", e.location))}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="st-tracking" data-testid="order-tracking">
                <p>{format!("Tracking: {} {}", v.carrier.clone().unwrap_or_default(), n)}" "{status}{eta}</p>
                {(!t.events.is_empty()).then(|| view! { <ol class="st-timeline" data-testid="tracking-events">{scans}</ol> })}
            </section>
        }
    });
    let refunded = (v.refunded_minor > 0).then(|| {
        view! { <dt>"Refunded"</dt><dd>{money(v.refunded_minor, &v.currency)}</dd> }
    });
    let timeline = v
        .timeline
        .iter()
        .map(|e| view! { <li>{time_view(&e.at)}" — "{e.text.clone()}</li> })
        .collect_view();
    let main = view! {
        <h1>{format!("Order {}", v.number)}</h1>
        <p class="st-status" data-testid="order-status" data-status=v.status.as_str()>
            <strong>{v.status.label()}</strong>" · "{headline}
        </p>
        <p class="st-muted">"Placed "{time_view(&v.placed_at)}" · Ships to "{v.ship_to.clone()}</p>
        {tracking}
        <table class="st-cart">
            <thead><tr><th>"Item"</th><th>"Quantity"</th><th class="st-num">"Total"</th></tr></thead>
            <tbody>{items}</tbody>
        </table>
        <dl class="st-totals">
            <dt>"Subtotal"</dt><dd>{money(v.subtotal_minor, &v.currency)}</dd>
            <dt>"Shipping"</dt><dd>{if v.shipping_minor == 0 { "Free".to_owned() } else { money(v.shipping_minor, &v.currency) }}</dd>
            <dt>"Total"</dt><dd><strong>{money(v.total_minor, &v.currency)}</strong></dd>
            {refunded}
        </dl>
        <h2>"What happened"</h2>
        <ol class="st-timeline" data-testid="order-timeline">{timeline}</ol>
        <p class="st-muted st-small">"Questions about this order? Use the chat at the bottom of the page and mention the order number."</p>
    }
    .into_any();
    let head = Head {
        title: format!("Order {}", v.number),
        description: format!("Order {} at {}.", v.number, s.name),
        canonical: None,
        og_type: "website",
        image: None,
        json_ld: Vec::new(),
        noindex: true,
        links: Vec::new(),
    };
    let html = document(s, &head, &page(s, main));
    html.replacen("</body>", &format!("{LOCAL_TIMES}</body>"), 1)
}

fn private_head(title: String, description: String) -> Head {
    Head {
        title,
        description,
        canonical: None,
        og_type: "website",
        image: None,
        json_ld: Vec::new(),
        noindex: true,
        links: Vec::new(),
    }
}

/// A page the store wrote (privacy, terms, contact, FAQ).
pub fn render_store_page(v: &StorePageView) -> String {
    let s = &v.shell;
    let url = absolute(&s.base_url, &format!("/store/{}/{}", s.slug, v.slug));
    let blocks = v
        .blocks
        .iter()
        .map(|b| match b {
            PageBlock::Heading(h) => view! { <h2>{h.clone()}</h2> }.into_any(),
            PageBlock::Paragraph(p) => view! { <p>{p.clone()}</p> }.into_any(),
            PageBlock::List(items) => view! {
                <ul>{items.iter().map(|i| view! { <li>{i.clone()}</li> }).collect_view()}</ul>
            }
            .into_any(),
        })
        .collect_view();
    let description = v
        .blocks
        .iter()
        .find_map(|b| match b {
            PageBlock::Paragraph(p) => Some(p.chars().take(155).collect::<String>()),
            _ => None,
        })
        .unwrap_or_else(|| format!("{} — {}", v.title, s.name));
    let main = view! {
        <article class="st-page" data-testid="store-page" data-page=v.slug.clone()>
            <h1>{v.title.clone()}</h1>
            {blocks}
            <p class="st-muted st-small">"Last updated "{time_view(&v.updated_at)}</p>
        </article>
    }
    .into_any();
    let head = Head {
        title: format!("{} · {}", v.title, s.name),
        description,
        canonical: Some(url),
        og_type: "website",
        image: None,
        json_ld: Vec::new(),
        noindex: false,
        links: Vec::new(),
    };
    let html = document(s, &head, &page(s, main));
    html.replacen("</body>", &format!("{LOCAL_TIMES}</body>"), 1)
}

/// The sign-in page of the shopper's account: the email form, what was
/// sent, or why a link did not work.
pub fn render_sign_in(s: &StoreShell, sent_to: Option<&str>, error: Option<&str>) -> String {
    let action = format!("{}/sign-in", account_path(s));
    let sent = sent_to.map(|e| {
        view! {
            <p class="st-notice" role="status" data-testid="link-sent">
                {format!("If {e} has ordered here, a sign-in link is on its way. It works once, for 30 minutes.")}
            </p>
        }
    });
    let err = error.map(|e| view! { <p class="st-error" role="alert" data-testid="sign-in-error">{e.to_owned()}</p> });
    let main = view! {
        <h1>"Your orders"</h1>
        <p>"Sign in with the email address you ordered with: we send you a link, no password needed."</p>
        {sent}
        {err}
        <form class="st-form" method="post" action=action data-testid="sign-in-form">
            <label for="st-email">"Email"</label>
            <input id="st-email" name="email" type="email" required autocomplete="email" maxlength="254"/>
            <button class="st-button" type="submit">"Email me a sign-in link"</button>
        </form>
    }
    .into_any();
    // No chat widget on this page: it reports the page's address, which
    // carries the link's token.
    let mut bare = s.clone();
    bare.widget_key = None;
    document(
        &bare,
        &private_head(
            format!("Sign in · {}", s.name),
            format!("Sign in to your {} account.", s.name),
        ),
        &page(s, main),
    )
}

/// The page a sign-in link opens: one button that spends the link (so a
/// mail scanner opening the link signs nobody in).
pub fn render_use_link(s: &StoreShell, token: &str) -> String {
    let action = format!("{}/verify", account_path(s));
    let token = token.to_owned();
    let main = view! {
        <h1>"Sign in"</h1>
        <p>{format!("Press the button to sign in to your {} account.", s.name)}</p>
        <form class="st-form" method="post" action=action data-testid="use-link-form">
            <input type="hidden" name="token" value=token/>
            <button class="st-button" type="submit">"Sign in"</button>
        </form>
    }
    .into_any();
    // No chat widget on this page: it reports the page's address, which
    // carries the link's token.
    let mut bare = s.clone();
    bare.widget_key = None;
    document(
        &bare,
        &private_head(
            format!("Sign in · {}", s.name),
            format!("Sign in to your {} account.", s.name),
        ),
        &page(s, main),
    )
}

/// The shopper's account: their orders, newest first.
pub fn render_account(v: &AccountView) -> String {
    let s = &v.shell;
    let rows = v
        .orders
        .iter()
        .map(|o| {
            let number = format!("Order {}", o.number);
            let link = if o.url.is_empty() {
                view! { <span>{number}</span> }.into_any()
            } else {
                view! { <a href=o.url.clone()>{number}</a> }.into_any()
            };
            view! {
                <tr data-testid="account-order" data-number=o.number.clone()>
                    <td>{link}</td>
                    <td>{time_view(&o.placed_at)}</td>
                    <td><span class="st-badge">{o.status.label()}</span></td>
                    <td class="st-num">{money(o.total_minor, &o.currency)}</td>
                </tr>
            }
        })
        .collect_view();
    let body = if v.orders.is_empty() {
        view! { <p>"No orders yet."</p> }.into_any()
    } else {
        view! {
            <table class="st-cart">
                <thead><tr><th>"Order"</th><th>"Placed"</th><th>"Status"</th><th class="st-num">"Total"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let action = format!("{}/sign-out", account_path(s));
    let main = view! {
        <h1>"Your orders"</h1>
        <p class="st-muted" data-testid="account-who">{format!("Signed in as {} ({})", v.name, v.email)}</p>
        {body}
        <form method="post" action=action>
            <button class="st-link" type="submit" data-testid="sign-out">"Sign out"</button>
        </form>
    }
    .into_any();
    let html = document(
        s,
        &private_head(
            format!("Your orders · {}", s.name),
            format!("Your orders at {}.", s.name),
        ),
        &page(s, main),
    );
    html.replacen("</body>", &format!("{LOCAL_TIMES}</body>"), 1)
}

/// A "not found" page inside the store (or bare, when the store is unknown).
pub fn render_not_found(shell: Option<&StoreShell>, message: &str) -> String {
    let msg = message.to_owned();
    match shell {
        Some(s) => {
            let home = home_path(s);
            let main = view! {
                <h1>"Not found"</h1>
                <p>{msg}</p>
                <p><a href=home>"Back to the store"</a></p>
            }
            .into_any();
            let head = Head {
                title: "Not found".to_owned(),
                description: message.to_owned(),
                canonical: None,
                og_type: "website",
                image: None,
                json_ld: Vec::new(),
                noindex: true,
                links: Vec::new(),
            };
            document(s, &head, &page(s, main))
        }
        None => format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"robots\" content=\"noindex\">\n<title>Not found</title>\n<link rel=\"stylesheet\" href=\"/store.css\">\n</head>\n<body class=\"st\"><main class=\"st-wrap st-main\"><h1>Not found</h1><p>{}</p></main></body>\n</html>\n",
            esc(message)
        ),
    }
}

/// The store's `sitemap.xml`.
pub fn render_sitemap(urls: &[String]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for u in urls {
        x.push_str(&format!("<url><loc>{}</loc></url>\n", esc(u)));
    }
    x.push_str("</urlset>\n");
    x
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::types::{CartLineView, StoreCategoryLink, StoreVariant};

    fn shell() -> StoreShell {
        StoreShell {
            name: "Trail <Co>".into(),
            slug: "trail".into(),
            primary_color: "#123456".into(),
            accent_color: "red;}".into(),
            widget_key: Some("pk_1".into()),
            base_url: "https://shop.example.com".into(),
            categories: vec![StoreCategoryLink {
                name: "Tents".into(),
                slug: "tents".into(),
            }],
            cart_items: 2,
            pages: vec![StoreCategoryLink {
                name: "Privacy policy".into(),
                slug: "privacy".into(),
            }],
        }
    }

    fn product() -> StoreProductView {
        StoreProductView {
            shell: shell(),
            name: "Ridge Tent".into(),
            slug: "ridge-tent".into(),
            description: "Two people.\n\nThree seasons </script>".into(),
            images: vec![],
            currency: "eur".into(),
            category: Some(StoreCategoryLink {
                name: "Tents".into(),
                slug: "tents".into(),
            }),
            variants: vec![
                StoreVariant {
                    id: 7,
                    sku: "RT-2".into(),
                    label: "2P · Moss".into(),
                    price_minor: 24_900,
                    stock: 0,
                },
                StoreVariant {
                    id: 8,
                    sku: "RT-3".into(),
                    label: "3P · Moss".into(),
                    price_minor: 29_950,
                    stock: 3,
                },
            ],
        }
    }

    fn json_ld(html: &str) -> Vec<Value> {
        html.split("<script type=\"application/ld+json\">")
            .skip(1)
            .map(|p| serde_json::from_str(p.split("</script>").next().unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn product_pages_carry_seo_and_structured_data() {
        let html = render_product(&product(), None);
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<title>Ridge Tent · Trail &lt;Co&gt;</title>"));
        assert!(html.contains(
            "<link rel=\"canonical\" href=\"https://shop.example.com/store/trail/p/ridge-tent\">"
        ));
        let ld = json_ld(&html);
        assert_eq!(ld[0]["@type"], "Product");
        assert_eq!(ld[0]["offers"][1]["price"], "299.50");
        assert_eq!(ld[0]["offers"][1]["priceCurrency"], "EUR");
        assert_eq!(
            ld[0]["offers"][0]["availability"],
            "https://schema.org/OutOfStock"
        );
        assert_eq!(ld[1]["@type"], "BreadcrumbList");
        // The sold-out variant cannot be chosen; the one in stock is chosen.
        assert!(html.contains("value=\"7\" disabled"), "{html}");
        assert!(html.contains("value=\"8\" checked"), "{html}");
        assert!(html.contains("Only 3 left"));
        // Colours that are not #rrggbb fall back; no script but JSON-LD and the widget.
        assert!(html.contains("--st-accent:#0b7a5c"));
        assert!(!html.contains("</script>\"") && !html.contains("seasons </script>"));
        assert!(html.contains("<script src=\"/widget.js\" data-key=\"pk_1\" async>"));
        assert!(!html.contains(".wasm") && !html.contains("hydrate"));
    }

    #[test]
    fn a_sold_out_product_cannot_be_added() {
        let mut p = product();
        p.variants[1].stock = 0;
        let html = render_product(&p, Some("Choose a size."));
        let button = html
            .split("<button")
            .nth(1)
            .unwrap()
            .split('>')
            .next()
            .unwrap();
        assert!(button.contains("disabled"), "{button}");
        assert!(html.contains(">Sold out</button>"));
        assert!(html.contains("role=\"alert\" class=\"st-error\">Choose a size.</p>"));
    }

    #[test]
    fn categories_page_with_prev_and_next() {
        let v = StoreCategoryView {
            shell: shell(),
            category: StoreCategoryLink {
                name: "Tents".into(),
                slug: "tents".into(),
            },
            products: vec![ProductCard {
                name: "Ridge Tent".into(),
                slug: "ridge-tent".into(),
                price_from_minor: 24_900,
                prices_vary: true,
                currency: "eur".into(),
                stock: 3,
                image: None,
            }],
            page: 2,
            pages: 3,
            total: 50,
        };
        let html = render_category(&v);
        assert!(html.contains("href=\"https://shop.example.com/store/trail/c/tents?page=2\""));
        assert!(html
            .contains("<link rel=\"prev\" href=\"https://shop.example.com/store/trail/c/tents\">"));
        assert!(html.contains(
            "<link rel=\"next\" href=\"https://shop.example.com/store/trail/c/tents?page=3\">"
        ));
        assert!(html.contains("from €249.00"));
        assert!(html.contains("Page 2 of 3"));
    }

    #[test]
    fn the_cart_lists_lines_totals_and_problems() {
        let v = CartView {
            shell: shell(),
            lines: vec![CartLineView {
                variant_id: 8,
                product: "Ridge Tent".into(),
                product_slug: "ridge-tent".into(),
                label: "3P · Moss".into(),
                quantity: 4,
                unit_minor: 29_950,
                line_minor: 119_800,
                stock: 3,
                problem: Some("Only 3 left: lower the quantity to check out.".into()),
            }],
            currency: "eur".into(),
            subtotal_minor: 119_800,
            shipping_minor: 0,
            total_minor: 119_800,
            dropped: 1,
        };
        let html = render_cart(&v, None);
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(html.contains("€1198.00"));
        assert!(html.contains("Only 3 left"));
        assert!(html.contains("no longer sold"));
        assert!(html.contains(">Free<"));
        assert!(!v.ready());
    }

    #[test]
    fn sitemap_escapes() {
        let x = render_sitemap(&["https://s/store/a?b&c".into()]);
        assert!(x.contains("<loc>https://s/store/a?b&amp;c</loc>"));
    }
}
