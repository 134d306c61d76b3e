//! Commerce (SPEC C11): the order state machine and money in minor units.
//! Wasm-safe: the admin app, the storefront and the server share the rules.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an order is.
///
/// ```text
/// pending → paid → fulfilled → shipped → delivered
///    ↓        ↘         ↘          ↘          ↓
/// cancelled    refunded (all of it) ← partially_refunded (some of it)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not paid yet: the only state in which it changes or cancels.
    Pending,
    /// Paid (Stripe said so).
    Paid,
    /// Packed: it waits for the carrier.
    Fulfilled,
    /// With the carrier (a tracking number).
    Shipped,
    /// The carrier delivered it: items may be returned or exchanged.
    Delivered,
    /// Cancelled before payment.
    Cancelled,
    /// Some of it refunded (a return of some items).
    PartiallyRefunded,
    /// All of it refunded.
    Refunded,
}

impl OrderStatus {
    /// Every status, in the order of the happy path, then the others.
    pub const ALL: [Self; 8] = [
        Self::Pending,
        Self::Paid,
        Self::Fulfilled,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::PartiallyRefunded,
        Self::Refunded,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Fulfilled => "fulfilled",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Awaiting payment",
            Self::Paid => "Paid",
            Self::Fulfilled => "Packed",
            Self::Shipped => "Shipped",
            Self::Delivered => "Delivered",
            Self::Cancelled => "Cancelled",
            Self::PartiallyRefunded => "Partially refunded",
            Self::Refunded => "Refunded",
        }
    }

    /// Whether the order is over (nothing more happens to it).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Cancelled | Self::Refunded)
    }

    /// Whether the move to `to` is allowed; if not, the rule that forbids it,
    /// in words for the person (or the AI) who asked.
    ///
    /// # Errors
    /// The rule, as a sentence.
    pub fn check_move(self, to: Self) -> Result<(), String> {
        use OrderStatus as S;
        let ok = match (self, to) {
            (S::Pending, S::Paid | S::Cancelled)
            | (S::Paid, S::Fulfilled)
            | (S::Fulfilled, S::Shipped)
            | (S::Shipped, S::Delivered) => true,
            // Money goes back once it was taken.
            (
                S::Paid | S::Fulfilled | S::Shipped | S::Delivered | S::PartiallyRefunded,
                S::Refunded,
            ) => true,
            // Part of it: items returned after delivery (again for more).
            (S::Delivered | S::PartiallyRefunded, S::PartiallyRefunded) => true,
            _ => false,
        };
        if ok {
            return Ok(());
        }
        Err(match (self, to) {
            (a, b) if a == b => format!("The order is {} already.", a.label().to_lowercase()),
            (a, _) if a.is_final() => format!(
                "The order is {}: nothing more can happen to it.",
                a.label().to_lowercase()
            ),
            (_, S::Cancelled) => {
                "Only an order awaiting payment can be cancelled; a paid order is refunded instead."
                    .to_owned()
            }
            (S::Pending, S::Refunded | S::PartiallyRefunded) => {
                "The order is not paid: there is nothing to refund; cancel it instead.".to_owned()
            }
            (_, S::PartiallyRefunded) => {
                "Only delivered items are returned for part of the money; refund the whole order before delivery."
                    .to_owned()
            }
            (a, b) => format!(
                "An order that is {} cannot become {}; it goes pending → paid → packed → shipped → delivered.",
                a.label().to_lowercase(),
                b.label().to_lowercase()
            ),
        })
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shipping on an order of `subtotal_minor`: free from
/// [`FREE_SHIPPING_FROM`], else [`SHIPPING_FEE`].
pub fn shipping_for(subtotal_minor: i64) -> i64 {
    if subtotal_minor >= FREE_SHIPPING_FROM {
        0
    } else {
        SHIPPING_FEE
    }
}

/// Orders from this subtotal (minor units) ship free.
pub const FREE_SHIPPING_FROM: i64 = 5_000;
/// Shipping below it (minor units).
pub const SHIPPING_FEE: i64 = 495;

/// Where an order goes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Who receives it.
    pub name: String,
    /// Street and number (and more lines).
    pub line1: String,
    /// More.
    #[serde(default)]
    pub line2: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// ISO 3166 alpha-2 (`DE`).
    pub country: String,
}

impl Address {
    /// What is missing, naming the field.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.name) {
            return Some(("name", "Say who receives the order."));
        }
        if blank(&self.line1) {
            return Some(("line1", "Give the street and number."));
        }
        if blank(&self.postcode) {
            return Some(("postcode", "Give the postcode."));
        }
        if blank(&self.city) {
            return Some(("city", "Give the city."));
        }
        let c = self.country.trim();
        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
            return Some((
                "country",
                "Give the country as two letters, such as DE or US.",
            ));
        }
        None
    }

    /// On one line (`Ann Example, 1 Main St, 10115 Berlin, DE`).
    pub fn one_line(&self) -> String {
        [
            self.name.trim(),
            self.line1.trim(),
            self.line2.trim(),
            &format!("{} {}", self.postcode.trim(), self.city.trim()),
            self.country.trim(),
        ]
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// An order as lists show it (the customer sidebar, segments' previews).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// Id.
    pub id: i32,
    /// What the customer quotes (`1042`).
    pub number: String,
    /// Status.
    pub status: OrderStatus,
    /// Total in minor units.
    pub total_minor: i64,
    /// Refunded so far.
    pub refunded_minor: i64,
    /// Currency (`eur`).
    pub currency: String,
    /// Items (quantities added up).
    pub items: i64,
    /// The carrier's tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// The carrier's latest word, once a tracking provider follows it.
    pub tracking_status: Option<TrackingStatus>,
    /// When it was placed (RFC 3339).
    pub placed_at: String,
}

/// A customer's saved way to pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethodView {
    /// Id (what `change_order_payment` and refunds to a gift card name).
    pub id: i32,
    /// `card`, `wallet`, `gift_card`.
    pub kind: String,
    /// `Visa ending 4242`.
    pub label: String,
    /// A gift card's balance (minor units; 0 for the others).
    pub balance_minor: i64,
    /// Currency.
    pub currency: String,
    /// The customer's default.
    pub is_default: bool,
}

/// A customer found by email, or by name and postcode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMatch {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
}

/// What the order tools know of a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerProfile {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Where orders go unless they say otherwise.
    pub default_address: Option<Address>,
    /// Saved payment methods.
    pub payment_methods: Vec<PaymentMethodView>,
    /// Their orders, newest first.
    pub orders: Vec<OrderSummary>,
}

/// A line of an order, as the order tools show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The SKU bought (what returns, exchanges and item changes name).
    pub sku: String,
    /// Product name.
    pub product: String,
    /// `M · Moss`.
    pub variant: String,
    /// Price of one (minor units).
    pub unit_price_minor: i64,
    /// How many.
    pub quantity: i32,
    /// How many came back (refunded).
    pub refunded_quantity: i32,
}

/// One entry of an order's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEventView {
    /// When (RFC 3339).
    pub at: String,
    /// `status`, `change`, `refund`, `exchange`.
    pub kind: String,
    /// The status it moved to, for a move.
    pub to: Option<OrderStatus>,
    /// What happened.
    pub note: String,
    /// Who did it.
    pub actor: String,
}

/// An order with its lines, amounts, address, payment and timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    /// Number, status, total, refunded …
    pub summary: OrderSummary,
    /// The customer.
    pub customer_id: i32,
    /// Their name.
    pub customer_name: String,
    /// Before shipping (minor units).
    pub subtotal_minor: i64,
    /// Shipping (minor units).
    pub shipping_minor: i64,
    /// Where it goes.
    pub address: Address,
    /// How it is paid (`Visa ending 4242`).
    pub payment: String,
    /// Paid through Stripe (refunds to the original method go back there).
    pub paid_through_stripe: bool,
    /// What was bought.
    pub lines: Vec<OrderLine>,
    /// What happened, oldest first.
    pub events: Vec<OrderEventView>,
    /// What the carrier reported, once shipped.
    pub tracking: TrackingView,
}

/// What a carrier says of a parcel (EasyPost's and ShipEngine's statuses,
/// mapped to one list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    /// The label exists; the carrier has not scanned the parcel yet.
    PreTransit,
    /// Moving through the carrier's network.
    InTransit,
    /// On the van today.
    OutForDelivery,
    /// Waiting at a pickup point.
    AvailableForPickup,
    /// Delivered: the order moves to delivered.
    Delivered,
    /// A problem (failed attempt, damaged, held at customs).
    Exception,
    /// On its way back to the store.
    ReturnToSender,
    /// The carrier has nothing yet.
    Unknown,
}

impl TrackingStatus {
    /// Every status.
    pub const ALL: [Self; 8] = [
        Self::PreTransit,
        Self::InTransit,
        Self::OutForDelivery,
        Self::AvailableForPickup,
        Self::Delivered,
        Self::Exception,
        Self::ReturnToSender,
        Self::Unknown,
    ];

    /// As stored (`in_transit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreTransit => "pre_transit",
            Self::InTransit => "in_transit",
            Self::OutForDelivery => "out_for_delivery",
            Self::AvailableForPickup => "available_for_pickup",
            Self::Delivered => "delivered",
            Self::Exception => "exception",
            Self::ReturnToSender => "return_to_sender",
            Self::Unknown => "unknown",
        }
    }

    /// From [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::PreTransit => "Label created",
            Self::InTransit => "In transit",
            Self::OutForDelivery => "Out for delivery",
            Self::AvailableForPickup => "Ready for pickup",
            Self::Delivered => "Delivered",
            Self::Exception => "Delivery problem",
            Self::ReturnToSender => "Returning to the store",
            Self::Unknown => "Waiting for the carrier's first scan",
        }
    }
}

/// One carrier scan or status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEventView {
    /// When the carrier says it happened (RFC 3339).
    pub at: String,
    /// Status.
    pub status: TrackingStatus,
    /// The carrier's words.
    pub description: String,
    /// Where ("Leeds, GB"); empty when unknown.
    pub location: String,
}

/// What the carrier reported of an order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingView {
    /// Who follows it (`EasyPost`, `ShipEngine`); None: nobody (no provider
    /// was set up when it shipped).
    pub provider: Option<String>,
    /// The latest status.
    pub status: Option<TrackingStatus>,
    /// When the carrier expects to deliver (RFC 3339).
    pub eta: Option<String>,
    /// When the provider was last asked (RFC 3339).
    pub checked_at: Option<String>,
    /// Newest first.
    pub events: Vec<TrackingEventView>,
}

/// The shipping settings (admins): the tracking provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingSettingsView {
    /// `easypost`, `shipengine`; None: not set up.
    pub provider: Option<String>,
    /// The API base in use (empty: the provider's own).
    pub api_base: String,
    /// `EZAK…abcd`, when set up.
    pub key_hint: Option<String>,
    /// Whether EasyPost's webhook secret is stored.
    pub has_webhook_secret: bool,
    /// The address to register for EasyPost's tracker webhooks.
    pub easypost_webhook_url: String,
    /// The address to register for ShipEngine's `track` webhooks.
    pub shipengine_webhook_url: String,
    /// Whether the server can store keys (it has a secrets key).
    pub can_store_keys: bool,
}

/// The tracking provider to use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingSettingsForm {
    /// `easypost` or `shipengine`.
    #[serde(default)]
    pub provider: String,
    /// Empty: the provider's own API.
    #[serde(default)]
    pub api_base: String,
    /// The API key.
    #[serde(default)]
    pub api_key: String,
    /// EasyPost's webhook secret (ShipEngine: leave empty).
    #[serde(default)]
    pub webhook_secret: String,
}

/// A product's variant with its stock (the order tools' product details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantStock {
    /// SKU.
    pub sku: String,
    /// `M · Moss`.
    pub label: String,
    /// Price (minor units).
    pub price_minor: i64,
    /// Currency.
    pub currency: String,
    /// In stock now.
    pub stock: i32,
}

/// A product with its variants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// `active`, `draft`, `archived`.
    pub status: String,
    /// Its variants.
    pub variants: Vec<VariantStock>,
}

/// One order with what a person may change on it and the choices each
/// change offers (the forms on the orders desk and the ticket's sidebar).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOptions {
    /// The order.
    pub detail: OrderDetail,
    /// Why its address, items and payment cannot change now (`None`: they
    /// can), as the rule says it.
    pub change_blocked: Option<String>,
    /// Why nothing can be returned or exchanged now (`None`: some can).
    pub return_blocked: Option<String>,
    /// For each line (as `detail.lines`), the other variants of its product
    /// that are on sale in the order's currency.
    pub alternatives: Vec<Vec<VariantStock>>,
    /// The customer's saved ways to pay.
    pub payment_methods: Vec<PaymentMethodView>,
}

/// What returning some units would refund, before anyone proposes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnQuote {
    /// The exact refund (minor units).
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Everything left comes back (the refund is what remains of the total,
    /// shipping included).
    pub everything: bool,
    /// The units quoted (a SKU once per unit, as asked).
    pub skus: Vec<String>,
}

/// What a return or refund moved, and where the money went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundDone {
    /// The order after it.
    pub order: OrderDetail,
    /// Refunded now (minor units).
    pub amount_minor: i64,
    /// Where the money went (`Visa ending 4242`, `Gift card …7731`).
    pub to: String,
    /// Who moved the money: `stripe` (a Stripe refund, `reference` is its
    /// id), `gift_card` (its balance grew) or `recorded` (the order was not
    /// paid through Switchboard; the refund is recorded for the processor
    /// that took the payment).
    pub issued_by: String,
    /// Stripe's refund id.
    pub reference: Option<String>,
}

/// Carriers an order ships with (the tracking number is the carrier's).
pub const CARRIERS: &[&str] = &[
    "DHL",
    "UPS",
    "FedEx",
    "USPS",
    "DPD",
    "GLS",
    "Royal Mail",
    "PostNL",
];

/// A row of the admin's order list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    /// Number, status, total …
    pub summary: OrderSummary,
    /// The customer's name.
    pub customer_name: String,
    /// Their email.
    pub customer_email: Option<String>,
}

/// The admin's order list: a page of rows and how many orders each status has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPageView {
    /// This page's orders, newest first.
    pub rows: Vec<OrderRow>,
    /// Orders per status (every status, zeros included), in the order of
    /// [`OrderStatus::ALL`].
    pub counts: Vec<(OrderStatus, u64)>,
    /// Orders matching the filter.
    pub total: u64,
    /// This page (1-based).
    pub page: u64,
    /// Pages.
    pub pages: u64,
    /// Whether the viewer may pack, ship and deliver.
    pub can_manage: bool,
}

/// Shipping an order: the carrier and its tracking number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipForm {
    /// The order's number.
    pub number: String,
    /// One of [`CARRIERS`].
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: String,
}

/// The money of a return of `units` (sku, how many) from an order whose
/// lines are `lines` (sku, unit price, quantity, refunded quantity), with
/// `total` and `refunded` so far: the items' prices, or, when the return
/// takes back everything not yet returned, what remains of the total
/// (shipping included). Returns (amount, everything returned).
///
/// # Errors
/// The rule a unit breaks, in words.
pub fn return_amount(
    lines: &[(String, i64, i32, i32)],
    units: &[(String, i32)],
    total: i64,
    refunded: i64,
) -> Result<(i64, bool), String> {
    let mut amount = 0;
    let mut left: i64 = lines.iter().map(|l| i64::from(l.2 - l.3)).sum();
    for (sku, n) in units {
        let Some(l) = lines.iter().find(|l| &l.0 == sku) else {
            return Err(format!("The order has no item {sku}."));
        };
        let open = l.2 - l.3;
        if *n > open {
            return Err(if open == 0 {
                format!("{sku} was returned already.")
            } else {
                format!("Only {open} of {sku} can be returned (asked for {n}).")
            });
        }
        amount += l.1 * i64::from(*n);
        left -= i64::from(*n);
    }
    if left == 0 {
        Ok(((total - refunded).max(0), true))
    } else {
        Ok((amount, false))
    }
}

/// Counts repeated SKUs (`["A", "B", "A"]` → `[("A", 2), ("B", 1)]`), in
/// first-seen order.
pub fn count_units(skus: &[String]) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = Vec::new();
    for s in skus {
        let s = s.trim();
        match out.iter_mut().find(|(k, _)| k == s) {
            Some((_, n)) => *n += 1,
            None => out.push((s.to_owned(), 1)),
        }
    }
    out
}

/// An amount in minor units (cents) with its currency, as people read it
/// (`$12.50`, `€12.50`, `12.50 SEK`).
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let amount = format!("{}.{:02}", abs / 100, abs % 100);
    match currency.to_ascii_lowercase().as_str() {
        "usd" => format!("{sign}${amount}"),
        "eur" => format!("{sign}€{amount}"),
        "gbp" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {}", other.to_ascii_uppercase()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn every_move_is_allowed_or_refused_with_its_rule() {
        use OrderStatus as S;
        let allowed = [
            (S::Pending, S::Paid),
            (S::Pending, S::Cancelled),
            (S::Paid, S::Fulfilled),
            (S::Fulfilled, S::Shipped),
            (S::Shipped, S::Delivered),
            (S::Paid, S::Refunded),
            (S::Fulfilled, S::Refunded),
            (S::Shipped, S::Refunded),
            (S::Delivered, S::Refunded),
            (S::PartiallyRefunded, S::Refunded),
            (S::Delivered, S::PartiallyRefunded),
            (S::PartiallyRefunded, S::PartiallyRefunded),
        ];
        for a in S::ALL {
            for b in S::ALL {
                let r = a.check_move(b);
                assert_eq!(r.is_ok(), allowed.contains(&(a, b)), "{a} → {b}: {r:?}");
                if let Err(why) = r {
                    assert!(why.ends_with('.') && why.len() > 20, "{a} → {b}: {why}");
                }
            }
        }
        assert!(S::Paid
            .check_move(S::Cancelled)
            .unwrap_err()
            .contains("refunded instead"));
        assert!(S::Refunded
            .check_move(S::Paid)
            .unwrap_err()
            .contains("nothing more"));
    }

    #[test]
    fn statuses_round_trip_and_money_reads_well() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("lost"), None);
        assert_eq!(money(1250, "usd"), "$12.50");
        assert_eq!(money(5, "EUR"), "€0.05");
        assert_eq!(money(-199, "gbp"), "-£1.99");
        assert_eq!(money(100_000, "sek"), "1000.00 SEK");
        assert_eq!(shipping_for(4_999), SHIPPING_FEE);
        assert_eq!(shipping_for(5_000), 0);
    }

    #[test]
    fn returns_refund_the_items_or_what_remains_of_the_total() {
        // Two socks at 12.00 and a mug at 18.50; shipping 4.95; total 47.45.
        let lines = vec![
            ("SOCK".to_owned(), 1_200, 2, 0),
            ("MUG".to_owned(), 1_850, 1, 0),
        ];
        let units = |v: &[(&str, i32)]| -> Vec<(String, i32)> {
            v.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
        };
        assert_eq!(
            return_amount(&lines, &units(&[("SOCK", 1)]), 4_745, 0),
            Ok((1_200, false))
        );
        // Everything: the whole total, shipping included.
        assert_eq!(
            return_amount(&lines, &units(&[("SOCK", 2), ("MUG", 1)]), 4_745, 0),
            Ok((4_745, true))
        );
        // The rest after an earlier return of one sock.
        let after = vec![
            ("SOCK".to_owned(), 1_200, 2, 1),
            ("MUG".to_owned(), 1_850, 1, 0),
        ];
        assert_eq!(
            return_amount(&after, &units(&[("SOCK", 1), ("MUG", 1)]), 4_745, 1_200),
            Ok((3_545, true))
        );
        assert!(return_amount(&after, &units(&[("SOCK", 2)]), 4_745, 1_200)
            .unwrap_err()
            .contains("Only 1 of SOCK"));
        assert!(return_amount(&lines, &units(&[("HAT", 1)]), 4_745, 0)
            .unwrap_err()
            .contains("no item HAT"));
        assert_eq!(
            count_units(&["A".into(), "B".into(), " A".into()]),
            vec![("A".to_owned(), 2), ("B".to_owned(), 1)]
        );
    }

    #[test]
    fn addresses_name_what_is_missing() {
        let a = Address {
            name: "Ann Example".into(),
            line1: "Hauptstr. 1".into(),
            line2: String::new(),
            postcode: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
        };
        assert_eq!(a.problem(), None);
        assert_eq!(a.one_line(), "Ann Example, Hauptstr. 1, 10115 Berlin, DE");
        let mut b = a.clone();
        b.country = "Germany".into();
        assert_eq!(b.problem().map(|p| p.0), Some("country"));
        b = a;
        b.postcode = " ".into();
        assert_eq!(b.problem().map(|p| p.0), Some("postcode"));
    }
}

/// A product in the admin's catalog list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogRow {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Its storefront address segment.
    pub slug: String,
    /// Its category's name.
    pub category: Option<String>,
    /// `active` (on sale) or `draft`.
    pub status: String,
    /// Variants.
    pub variants: u64,
    /// Units in stock, all variants.
    pub stock: i64,
    /// The cheapest variant's price (minor units).
    pub price_from_minor: Option<i64>,
    /// Currency.
    pub currency: String,
}

/// A category in the admin's catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRow {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Address segment.
    pub slug: String,
    /// Order in the storefront's navigation.
    pub position: i32,
    /// Products in it.
    pub products: u64,
}

/// The admin's catalog: a page of products and the categories.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogPageView {
    /// This page, by name.
    pub rows: Vec<CatalogRow>,
    /// Every category, in navigation order.
    pub categories: Vec<CategoryRow>,
    /// Products matching.
    pub total: u64,
    /// This page (1-based).
    pub page: u64,
    /// Pages.
    pub pages: u64,
    /// Whether the viewer may change the catalog.
    pub can_manage: bool,
}

/// A variant in the product editor (price as typed: `49.90`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantEdit {
    /// None: a new variant.
    pub id: Option<i32>,
    /// Unique in the workspace.
    pub sku: String,
    /// Size option (may be empty).
    #[serde(default)]
    pub size: String,
    /// Colour option (may be empty).
    #[serde(default)]
    pub colour: String,
    /// Price in the currency's units (`49.90`).
    pub price: String,
    /// Units in stock.
    pub stock: i32,
}

/// A product in the editor, and the form that saves it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEdit {
    /// None: a new product.
    pub id: Option<i32>,
    /// Name.
    pub name: String,
    /// Address segment (empty: made from the name).
    #[serde(default)]
    pub slug: String,
    /// Category.
    #[serde(default)]
    pub category_id: Option<i32>,
    /// Description (blank lines part paragraphs).
    #[serde(default)]
    pub description: String,
    /// Image addresses, one per line.
    #[serde(default)]
    pub images: String,
    /// `active` or `draft`.
    pub status: String,
    /// Its variants (at least one).
    pub variants: Vec<VariantEdit>,
    /// Its storefront page (read only).
    #[serde(default)]
    pub url: String,
}

/// A category to save.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryForm {
    /// None: a new category.
    pub id: Option<i32>,
    /// Name.
    pub name: String,
    /// Address segment (empty: made from the name).
    #[serde(default)]
    pub slug: String,
    /// Order in the navigation.
    #[serde(default)]
    pub position: i32,
}

/// `49.90` (or `49,90`, `49`) in minor units.
///
/// # Errors
/// A message a person can act on.
pub fn parse_price(s: &str) -> Result<i64, String> {
    let t = s.trim().replace(',', ".");
    let bad = || format!("“{}” is not a price: write it like 49.90.", s.trim());
    let (whole, frac) = t.split_once('.').unwrap_or((t.as_str(), ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 9
    {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    Ok(w * 100 + f)
}

/// Minor units as the editor shows them (`4990` → `49.90`).
pub fn price_text(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}
