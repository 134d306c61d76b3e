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
    /// When it was placed (RFC 3339).
    pub placed_at: String,
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
