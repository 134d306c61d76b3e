//! What the storefront pages show (SPEC C11.1): server-rendered pages for
//! shoppers, with no wasm (the cart is plain forms).

use serde::{Deserialize, Serialize};

/// Products on one catalog page.
pub const STORE_PAGE_SIZE: u64 = 24;

/// The parts every storefront page shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreShell {
    /// The store's name (the brand's, else the workspace's).
    pub name: String,
    /// The brand's address segment (`/store/{slug}`).
    pub slug: String,
    /// `#rrggbb`.
    pub primary_color: String,
    /// `#rrggbb`.
    pub accent_color: String,
    /// The chat widget's key, when the brand has one.
    pub widget_key: Option<String>,
    /// Absolute base URL of the site, without a trailing slash.
    pub base_url: String,
    /// The categories, for the navigation.
    pub categories: Vec<StoreCategoryLink>,
    /// Items in the shopper's cart (quantities added up).
    pub cart_items: i64,
    /// The pages the store wrote (privacy, terms, contact, FAQ), for the
    /// footer.
    pub pages: Vec<StoreCategoryLink>,
}

/// A category in the navigation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCategoryLink {
    /// Name.
    pub name: String,
    /// Address segment.
    pub slug: String,
}

/// A product in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    /// Name.
    pub name: String,
    /// Address segment.
    pub slug: String,
    /// The lowest price of its variants (minor units).
    pub price_from_minor: i64,
    /// Whether the variants' prices differ ("from €12.00").
    pub prices_vary: bool,
    /// Currency.
    pub currency: String,
    /// Units in stock over all variants.
    pub stock: i64,
    /// The first image, if any.
    pub image: Option<String>,
}

/// The store's home page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHomeView {
    /// Shared parts.
    pub shell: StoreShell,
    /// A few products of each category (category, its first products).
    pub sections: Vec<(StoreCategoryLink, Vec<ProductCard>)>,
}

/// A category's page of products.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCategoryView {
    /// Shared parts.
    pub shell: StoreShell,
    /// The category.
    pub category: StoreCategoryLink,
    /// This page's products, by name.
    pub products: Vec<ProductCard>,
    /// 1-based page.
    pub page: u64,
    /// Pages in all.
    pub pages: u64,
    /// Products in the category.
    pub total: u64,
}

/// One variant on a product page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreVariant {
    /// Id (what the cart form sends).
    pub id: i32,
    /// SKU.
    pub sku: String,
    /// `M · Moss`.
    pub label: String,
    /// Price (minor units).
    pub price_minor: i64,
    /// In stock.
    pub stock: i32,
}

/// A product page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreProductView {
    /// Shared parts.
    pub shell: StoreShell,
    /// Name.
    pub name: String,
    /// Address segment.
    pub slug: String,
    /// Plain text, paragraphs split by blank lines.
    pub description: String,
    /// Image addresses.
    pub images: Vec<String>,
    /// Currency.
    pub currency: String,
    /// Its category, if any.
    pub category: Option<StoreCategoryLink>,
    /// The variants, in order.
    pub variants: Vec<StoreVariant>,
}

/// A line of the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLineView {
    /// The variant.
    pub variant_id: i32,
    /// The product's name.
    pub product: String,
    /// The product's address segment.
    pub product_slug: String,
    /// `M · Moss`.
    pub label: String,
    /// How many.
    pub quantity: i32,
    /// Price of one (minor units).
    pub unit_minor: i64,
    /// Quantity × price.
    pub line_minor: i64,
    /// In stock now.
    pub stock: i32,
    /// What stops this line from being bought as it is ("Only 2 left.").
    pub problem: Option<String>,
}

/// The cart page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    /// Shared parts.
    pub shell: StoreShell,
    /// The lines, in the order they were added.
    pub lines: Vec<CartLineView>,
    /// Currency.
    pub currency: String,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Shipping for this subtotal.
    pub shipping_minor: i64,
    /// What is charged.
    pub total_minor: i64,
    /// Lines that were in the cookie but are no longer sold (dropped).
    pub dropped: u32,
}

impl CartView {
    /// Whether the cart can go to checkout as it is.
    pub fn ready(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(|l| l.problem.is_none())
    }
}

/// A line of an order on the shopper's order page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOrderItem {
    /// Product name (as bought).
    pub product: String,
    /// `M · Moss`.
    pub label: String,
    /// How many.
    pub quantity: i32,
    /// Price of one.
    pub unit_minor: i64,
}

/// One entry of an order's timeline, for the shopper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOrderEvent {
    /// When (RFC 3339).
    pub at: String,
    /// What happened.
    pub text: String,
}

/// The storefront's own pages: (address segment, default title).
pub const STORE_PAGES: [(&str, &str); 4] = [
    ("privacy", "Privacy policy"),
    ("terms", "Terms of sale"),
    ("contact", "Contact us"),
    ("faq", "Frequently asked questions"),
];

/// A part of a store page's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageBlock {
    /// `## Returns`.
    Heading(String),
    /// Lines up to a blank line.
    Paragraph(String),
    /// Consecutive `- ` lines.
    List(Vec<String>),
}

/// A store page's text in blocks: blank lines part paragraphs, a line
/// starting `## ` is a heading, consecutive lines starting `- ` a list.
pub fn page_blocks(body: &str) -> Vec<PageBlock> {
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    fn flush(out: &mut Vec<PageBlock>, para: &mut Vec<&str>, list: &mut Vec<String>) {
        if !para.is_empty() {
            out.push(PageBlock::Paragraph(para.join(" ")));
            para.clear();
        }
        if !list.is_empty() {
            out.push(PageBlock::List(std::mem::take(list)));
        }
    }
    for line in body.lines() {
        let l = line.trim();
        if l.is_empty() {
            flush(&mut out, &mut para, &mut list);
        } else if let Some(h) = l.strip_prefix("## ") {
            flush(&mut out, &mut para, &mut list);
            out.push(PageBlock::Heading(h.trim().to_owned()));
        } else if let Some(item) = l.strip_prefix("- ") {
            if !para.is_empty() {
                out.push(PageBlock::Paragraph(para.join(" ")));
                para.clear();
            }
            list.push(item.trim().to_owned());
        } else {
            if !list.is_empty() {
                out.push(PageBlock::List(std::mem::take(&mut list)));
            }
            para.push(l);
        }
    }
    flush(&mut out, &mut para, &mut list);
    out
}

/// A store page as the shopper reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorePageView {
    /// Header, navigation, footer.
    pub shell: StoreShell,
    /// `privacy`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// The text.
    pub blocks: Vec<PageBlock>,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

/// A store page in the admin app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorePageEdit {
    /// `privacy`.
    pub slug: String,
    /// Its title (the default when not written).
    pub title: String,
    /// Its text (empty: not published).
    pub body: String,
    /// Whether shoppers can read it.
    pub published: bool,
    /// Who saved it last, and when (RFC 3339).
    pub updated: Option<(String, String)>,
    /// Its address.
    pub url: String,
}

/// A store page to save (an empty text takes it down).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorePageForm {
    /// One of [`STORE_PAGES`].
    pub slug: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Text.
    #[serde(default)]
    pub body: String,
}

/// An order in the shopper's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOrder {
    /// `1042`.
    pub number: String,
    /// When (RFC 3339).
    pub placed_at: String,
    /// Status.
    pub status: super::OrderStatus,
    /// Total (minor units).
    pub total_minor: i64,
    /// Currency.
    pub currency: String,
    /// The order page (with its private key).
    pub url: String,
}

/// The shopper's account: who, and their orders, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// Header, navigation, footer.
    pub shell: StoreShell,
    /// Their name.
    pub name: String,
    /// Their email.
    pub email: String,
    /// Their orders.
    pub orders: Vec<AccountOrder>,
}

/// The shopper's order page (confirmation and status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOrderView {
    /// Shared parts.
    pub shell: StoreShell,
    /// `1042`.
    pub number: String,
    /// Status.
    pub status: super::OrderStatus,
    /// When it was placed (RFC 3339).
    pub placed_at: String,
    /// The lines.
    pub items: Vec<StoreOrderItem>,
    /// Currency.
    pub currency: String,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Shipping.
    pub shipping_minor: i64,
    /// Charged.
    pub total_minor: i64,
    /// Refunded so far.
    pub refunded_minor: i64,
    /// Where it goes, on one line.
    pub ship_to: String,
    /// The carrier, once shipped.
    pub carrier: Option<String>,
    /// The tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// What the carrier reported.
    pub tracking: super::TrackingView,
    /// What happened, oldest first.
    pub timeline: Vec<StoreOrderEvent>,
}

/// The store settings page (admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSettingsView {
    /// The storefront's address.
    pub store_url: String,
    /// The address to register as the Stripe webhook endpoint.
    pub webhook_url: String,
    /// The Stripe events to send to it.
    pub webhook_events: Vec<String>,
    /// Whether Stripe keys are stored.
    pub connected: bool,
    /// The API base in use (empty: Stripe's own).
    pub api_base: String,
    /// `sk_…abcd`, when connected.
    pub secret_hint: Option<String>,
    /// Whether the server can store keys (it has a secrets key).
    pub can_store_keys: bool,
}

/// Stripe keys to store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSettingsForm {
    /// Empty: `https://api.stripe.com/`.
    #[serde(default)]
    pub api_base: String,
    /// `sk_…`.
    #[serde(default)]
    pub secret_key: String,
    /// `whsec_…`.
    #[serde(default)]
    pub webhook_secret: String,
}

/// The shopper's cart as the cookie keeps it: (variant, quantity), in the
/// order added. Written as `12:1.15:2`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CartCookie(pub Vec<(i32, i32)>);

impl CartCookie {
    /// Most lines kept.
    pub const MAX_LINES: usize = 50;
    /// Most of one variant.
    pub const MAX_QUANTITY: i32 = 99;

    /// Reads a cookie value; malformed parts are skipped (the cookie is the
    /// shopper's: anything in it is checked against the catalog anyway).
    pub fn parse(s: &str) -> Self {
        let mut out: Vec<(i32, i32)> = Vec::new();
        for part in s.split('.') {
            let Some((v, q)) = part.split_once(':') else {
                continue;
            };
            let (Ok(v), Ok(q)) = (v.trim().parse::<i32>(), q.trim().parse::<i32>()) else {
                continue;
            };
            if v <= 0 || !(1..=Self::MAX_QUANTITY).contains(&q) || out.iter().any(|(x, _)| *x == v)
            {
                continue;
            }
            out.push((v, q));
            if out.len() == Self::MAX_LINES {
                break;
            }
        }
        Self(out)
    }

    /// The cookie value.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(v, q)| format!("{v}:{q}"))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// Items in it (quantities added up).
    pub fn items(&self) -> i64 {
        self.0.iter().map(|(_, q)| i64::from(*q)).sum()
    }

    /// Sets a variant's quantity (0 removes it; a new variant goes last).
    ///
    /// # Errors
    /// A message for the shopper when the quantity is out of range or the
    /// cart is full.
    pub fn set(&mut self, variant: i32, quantity: i32) -> Result<(), String> {
        if !(0..=Self::MAX_QUANTITY).contains(&quantity) {
            return Err(format!(
                "Choose a quantity from 1 to {}.",
                Self::MAX_QUANTITY
            ));
        }
        if let Some(i) = self.0.iter().position(|(v, _)| *v == variant) {
            if quantity == 0 {
                self.0.remove(i);
            } else {
                self.0[i].1 = quantity;
            }
            return Ok(());
        }
        if quantity == 0 {
            return Ok(());
        }
        if self.0.len() >= Self::MAX_LINES {
            return Err(format!(
                "A cart holds at most {} different items.",
                Self::MAX_LINES
            ));
        }
        self.0.push((variant, quantity));
        Ok(())
    }

    /// Adds to a variant's quantity (up to the most allowed).
    ///
    /// # Errors
    /// As [`Self::set`].
    pub fn add(&mut self, variant: i32, quantity: i32) -> Result<(), String> {
        if !(1..=Self::MAX_QUANTITY).contains(&quantity) {
            return Err(format!(
                "Choose a quantity from 1 to {}.",
                Self::MAX_QUANTITY
            ));
        }
        let had = self
            .0
            .iter()
            .find(|(v, _)| *v == variant)
            .map_or(0, |(_, q)| *q);
        self.set(variant, (had + quantity).min(Self::MAX_QUANTITY))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_reads_back_and_skips_what_is_malformed() {
        let c = CartCookie::parse("12:1.15:2.x:3.16:0.17:100.12:5.-3:1.18");
        assert_eq!(c.0, vec![(12, 1), (15, 2)]);
        assert_eq!(CartCookie::parse(&c.encode()), c);
        assert_eq!(c.items(), 3);
        assert_eq!(CartCookie::parse("").0, vec![]);
    }

    #[test]
    fn adding_setting_and_removing() {
        let mut c = CartCookie::default();
        c.add(4, 2).unwrap();
        c.add(4, 98).unwrap();
        assert_eq!(c.0, vec![(4, 99)], "capped at the most allowed");
        c.add(5, 1).unwrap();
        c.set(4, 0).unwrap();
        assert_eq!(c.0, vec![(5, 1)]);
        assert!(c.add(5, 0).unwrap_err().contains("1 to 99"));
        assert!(c.set(5, 100).is_err());
        for v in 10..59 {
            c.add(v, 1).unwrap();
        }
        assert_eq!(c.0.len(), 50);
        assert!(c.add(99, 1).unwrap_err().contains("at most 50"));
        c.set(99, 0).unwrap();
    }
}
