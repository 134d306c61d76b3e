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
    }
}
