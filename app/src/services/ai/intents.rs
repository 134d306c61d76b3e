//! How the AI agent turns a customer's request into a proposed action (SPEC C6.4).
//!
//! - With a configured provider: the answering request offers the registry's
//!   tools (OpenAI `tools` / Anthropic `tool_use`); when the model calls one
//!   instead of answering, each call becomes a proposal with the model's
//!   arguments (the registry validates them). No extra request per message.
//! - With the built-in engine: a deterministic parser for the common requests —
//!   "close my ticket", "please call me back tomorrow", "I need a copy of my
//!   invoice", "please cancel order 1042", "I want a refund for order #1043"
//!   (the pipeline adds the exact refund with [`price_refunds`]). It copies values only from the message (a date, a phone number, an
//!   invoice or order reference) and leaves out what it cannot read there.

use super::providers::{ToolCall, ToolSpec};
use crate::services::actions::registry;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use regex_lite::Regex;
use serde_json::{json, Map, Value};
use std::sync::LazyLock;

/// A request found in a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Intent {
    /// Tool name.
    pub tool: String,
    /// Its input.
    pub input: Value,
    /// Why, for the approver.
    pub why: String,
    /// What the customer asked for, in their terms ("a call back tomorrow").
    pub asked: String,
    /// What the customer is told once it is done.
    pub done: String,
}

fn re(p: &str) -> Option<Regex> {
    Regex::new(p).ok()
}

static NEGATED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"\b(don't|do not|dont|never|no need to|not)\s+(close|call|ring|phone|send|cancel|refund)\b")
});
static CLOSE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"\b(close|resolve)\s+(my|this|the|our)\s+(ticket|case|request|conversation|issue)\b|\bmark\s+(it|this|my ticket|the ticket)\s+(as\s+)?(solved|resolved|closed)\b|\b(you can|feel free to|please|go ahead and)\s+close\s+(it|this)\b",
    )
});
static CALL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"\b(call|ring|phone)\s+me(\s+back)?\b|\bcall\s?back\b|\bgive\s+me\s+a\s+(call|ring)\b")
});
static INVOICE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"\b(invoice|receipt)\s+copy\b|\bcopy\s+of\s+(my|the|an|our|that)\s+(invoice|receipt)\b|\b(re-?send|send\s+me)\s+(my|the|a|an|that)\s+(invoice|receipt)\b|\bduplicate\s+(invoice|receipt)\b|\b(need|want|get)\s+(a|an|my|the)\s+(invoice|receipt)\b",
    )
});
static REFERENCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"\b(invoice|order|receipt)\s*(number|no\.?|#)?\s*#?\s*([a-z]{0,4}-?\d[a-z0-9-]{2,})")
});
static ORDER_NUMBER: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\border\s*(number|no\.?|#)?\s*#?\s*(\d{3,10})\b"));
static CANCEL_ORDER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"\bcancel\s+(my\s+|the\s+|this\s+|that\s+)?order\b|\border\b.{0,40}\bcancel(l?ed)?\b")
});
static REFUND_ORDER: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\b(refund|money back|reimburse)\b"));
static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"\+?\d[\d ().-]{6,}\d"));
static ISO_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"\b(\d{4}-\d{2}-\d{2})\b"));
static IN_DAYS: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"\bin\s+(\d{1,2})\s+days?\b"));
static TIME: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\b(at|around|after|before)\s+(\d{1,2}(:\d{2})?\s*(am|pm)?|noon)\b"));

fn found(r: &LazyLock<Option<Regex>>, t: &str) -> bool {
    r.as_ref().is_some_and(|r| r.is_match(t))
}

fn quote(text: &str) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut q: String = t.chars().take(160).collect();
    if t.chars().count() > 160 {
        q.push('…');
    }
    format!("Customer asked: “{q}”")
}

/// The date a request names, read from the message only: `(due input, words)`.
fn when(t: &str, today: NaiveDate) -> Option<(String, String)> {
    if let Some(d) = ISO_DATE
        .as_ref()
        .and_then(|r| r.captures(t))
        .and_then(|c| c.get(1))
    {
        if NaiveDate::parse_from_str(d.as_str(), "%Y-%m-%d").is_ok() {
            return Some((d.as_str().to_owned(), format!("on {}", d.as_str())));
        }
    }
    if t.contains("tomorrow") {
        return Some(("tomorrow".into(), "tomorrow".into()));
    }
    if t.contains("today") || t.contains("this afternoon") || t.contains("this morning") {
        return Some(("today".into(), "today".into()));
    }
    if let Some(n) = IN_DAYS
        .as_ref()
        .and_then(|r| r.captures(t))
        .and_then(|c| c.get(1))
        .and_then(|n| n.as_str().parse::<i64>().ok())
    {
        return Some((format!("in {n} days"), format!("in {n} days")));
    }
    for (name, wd) in [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ] {
        if t.contains(name) {
            let ahead = (7 + i64::from(wd.num_days_from_monday())
                - i64::from(today.weekday().num_days_from_monday()))
                % 7;
            let d = today + Duration::days(if ahead == 0 { 7 } else { ahead });
            let s = d.format("%Y-%m-%d").to_string();
            return Some((s, format!("on {}", capitalize(name))));
        }
    }
    None
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The built-in parser. `today` is the customer's message date (UTC).
pub fn detect(text: &str, today: NaiveDate) -> Vec<Intent> {
    let t = text.to_lowercase().replace(['’', '‘'], "'");
    let t: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if found(&NEGATED, &t) {
        return Vec::new();
    }
    let mut out = Vec::new();
    // "Why did you close my ticket?" is a complaint, not a request.
    let questioning = ["why ", "who ", "did you ", "have you ", "what "]
        .iter()
        .any(|q| t.starts_with(q) || t.contains(&format!(" {q}")));
    if found(&CLOSE, &t) && !questioning {
        out.push(Intent {
            tool: "close_ticket".into(),
            input: json!({"note": quote(text)}),
            why: quote(text),
            asked: "closing your ticket".into(),
            done: "Your ticket is now closed. If you need anything else, just reply and it will reopen.".into(),
        });
    }
    if found(&CALL, &t) {
        let mut input = Map::new();
        input.insert("title".into(), json!("Call the customer back"));
        let mut notes = vec![quote(text)];
        if let Some(p) = PHONE.as_ref().and_then(|r| r.find(text)) {
            notes.push(format!("Phone: {}", p.as_str().trim()));
        }
        if let Some(tm) = TIME.as_ref().and_then(|r| r.find(&t)) {
            notes.push(format!(
                "Preferred time: {} (the customer's time)",
                tm.as_str()
            ));
        }
        input.insert("notes".into(), json!(notes.join("\n")));
        let w = when(&t, today);
        if let Some((due, _)) = &w {
            input.insert("due".into(), json!(due));
        }
        let words = w.map(|(_, words)| format!(" {words}")).unwrap_or_default();
        out.push(Intent {
            tool: "create_task".into(),
            input: Value::Object(input),
            why: quote(text),
            asked: format!("a call back{words}"),
            done: format!(
                "We've scheduled a call back{words}. A member of our team will phone you."
            ),
        });
    }
    let order = ORDER_NUMBER
        .as_ref()
        .and_then(|r| r.captures(&t))
        .and_then(|c| c.get(2))
        .map(|m| m.as_str().to_owned());
    if let Some(n) = order.as_ref().filter(|_| !questioning) {
        if found(&CANCEL_ORDER, &t) {
            out.push(Intent {
                tool: "cancel_order".into(),
                input: json!({"order": n, "reason": quote(text)}),
                why: quote(text),
                asked: format!("cancelling order {n}"),
                done: format!("Order {n} is cancelled; nothing will be charged for it."),
            });
        } else if found(&REFUND_ORDER, &t) {
            out.push(Intent {
                tool: "refund_order".into(),
                input: json!({"order": n, "reason": quote(text)}),
                why: quote(text),
                asked: format!("a refund of order {n}"),
                done: format!(
                    "Order {n} is refunded; the money goes back the way you paid (banks take a few days to show it)."
                ),
            });
        }
    }
    if found(&INVOICE, &t) {
        let reference = REFERENCE
            .as_ref()
            .and_then(|r| r.captures(&t))
            .and_then(|c| c.get(3))
            .map(|m| m.as_str().to_uppercase());
        let title = match &reference {
            Some(r) => format!("Send the customer a copy of invoice {r}"),
            None => "Send the customer a copy of their invoice".into(),
        };
        let of = reference.map(|r| format!(" {r}")).unwrap_or_default();
        out.push(Intent {
            tool: "create_task".into(),
            input: json!({"title": title, "notes": quote(text), "priority": "normal"}),
            why: quote(text),
            asked: format!("a copy of your invoice{of}"),
            done: format!("I've asked our billing team to send you a copy of your invoice{of}; it will arrive by email."),
        });
    }
    out
}

/// Adds the exact amount to each `refund_order` request, from the order as it
/// stands, when the order is the customer's and can be refunded; a request
/// for someone else's order or one that cannot be refunded keeps no amount
/// (its proposal is then refused, and the team follows up).
///
/// # Errors
/// Database errors.
pub async fn price_refunds(
    db: &impl sea_orm::ConnectionTrait,
    scope: crate::services::tenancy::Scoped,
    customer_id: i32,
    found: &mut [Intent],
) -> crate::services::ServiceResult<()> {
    use crate::services::{orders, ServiceError};
    for i in found.iter_mut().filter(|i| i.tool == "refund_order") {
        let reference = i.input["order"].as_str().unwrap_or_default().to_owned();
        let o = match orders::find_order(db, scope, &reference, Some(customer_id)).await {
            Ok(o) => o,
            Err(ServiceError::NotFound(_) | ServiceError::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        };
        if let Ok(minor) = orders::quote_refund(&o) {
            #[allow(
                clippy::cast_precision_loss,
                reason = "money amounts are far below 2^52"
            )]
            let major = minor as f64 / 100.0;
            i.input["amount"] = json!(major);
        }
    }
    Ok(())
}

/// Tools offered to a provider for customer requests (replies are the
/// pipeline's own; health checks and summaries are for the team).
pub fn offered() -> Vec<ToolSpec> {
    registry::get()
        .all()
        .iter()
        .filter(|t| {
            !matches!(
                t.name,
                "reply"
                    | "system_health_check"
                    | "summarize_thread"
                    | "create_ticket"
                    | "ticket_merge"
                    | "apply_macro"
            )
        })
        .map(|t| ToolSpec {
            name: t.name.to_owned(),
            description: t.description.to_owned(),
            input_schema: t.schema(),
        })
        .collect()
}

/// The provider's tool calls (offered in the answering request) as intents;
/// calls to tools the registry does not know are dropped.
pub fn from_tool_calls(calls: &[ToolCall], text: &str, provider: &str) -> Vec<Intent> {
    let reg = registry::get();
    calls
        .iter()
        .filter_map(|call| {
            let tool = reg.tool(&call.name)?;
            Some(Intent {
                asked: tool.label.to_lowercase(),
                done: format!("Done: {}.", (tool.describe)(&call.arguments)),
                why: format!("{} (proposed by {provider})", quote(text)),
                tool: call.name.clone(),
                input: call.arguments.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap() // a Friday
    }

    fn tools(text: &str) -> Vec<(String, Value)> {
        detect(text, day())
            .into_iter()
            .map(|i| (i.tool, i.input))
            .collect()
    }

    #[test]
    fn close_requests() {
        for t in [
            "Please close my ticket",
            "You can close this, thanks",
            "Go ahead and close it.",
            "Could you mark it as resolved?",
            "close the case please",
        ] {
            let f = tools(t);
            assert_eq!(f.len(), 1, "{t}");
            assert_eq!(f[0].0, "close_ticket", "{t}");
        }
        for t in [
            "Don't close my ticket yet",
            "Why did you close my ticket?!",
            "How do I close my account?",
        ] {
            assert!(tools(t).is_empty(), "{t}");
        }
    }

    #[test]
    fn call_backs_take_only_what_the_message_says() {
        let f = detect(
            "Please call me back tomorrow at 3pm on +44 20 7946 0958",
            day(),
        );
        assert_eq!(f[0].tool, "create_task");
        assert_eq!(f[0].input["due"], "tomorrow");
        let notes = f[0].input["notes"].as_str().unwrap();
        assert!(notes.contains("Phone: +44 20 7946 0958"), "{notes}");
        assert!(notes.contains("at 3pm"), "{notes}");
        assert_eq!(f[0].asked, "a call back tomorrow");
        // No date in the message: no due date invented.
        let f = detect("Can someone give me a call?", day());
        assert!(f[0].input.get("due").is_none(), "{}", f[0].input);
        assert!(!f[0].input["notes"].as_str().unwrap().contains("Phone"));
        // A weekday is the next one.
        let f = detect("ring me on monday", day());
        assert_eq!(f[0].input["due"], "2026-12-07");
        assert!(tools("Do not call me, email only").is_empty());
    }

    #[test]
    fn invoice_copies() {
        let f = detect(
            "Hi, I need a copy of my invoice INV-20931 for my records",
            day(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].input["title"],
            "Send the customer a copy of invoice INV-20931"
        );
        let f = detect("could you resend the receipt?", day());
        assert_eq!(
            f[0].input["title"],
            "Send the customer a copy of their invoice"
        );
        assert!(tools("What does an invoice cost?").is_empty());
        assert!(tools("Where is my order?").is_empty());
    }

    #[test]
    fn orders_named_in_a_message_are_cancelled_or_refunded() {
        let f = tools("Please cancel order 1042, I ordered it twice.");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, "cancel_order");
        assert_eq!(f[0].1["order"], "1042");
        assert!(f[0].1["reason"]
            .as_str()
            .unwrap()
            .contains("I ordered it twice"));
        assert_eq!(tools("Can you cancel my order #1043?")[0].0, "cancel_order");
        let f = detect(
            "The tent from order no. 1044 arrived broken, I want a refund",
            day(),
        );
        assert_eq!(f[0].tool, "refund_order");
        assert_eq!(f[0].input["order"], "1044");
        assert!(f[0].asked.contains("1044"));
        // No number, a negation or a question: nothing to act on.
        assert!(tools("Please cancel my order").is_empty());
        assert!(tools("Don't cancel order 1042!").is_empty());
        assert!(tools("Why did you cancel order 1042?").is_empty());
        assert!(tools("Where is order 1042?").is_empty());
    }

    #[test]
    fn intents_validate_against_the_registry() {
        for t in [
            "close my ticket",
            "call me back in 3 days",
            "invoice copy please, order #A1234",
            "please cancel order 1042",
        ] {
            for i in detect(t, day()) {
                let tool = registry::get().tool(&i.tool).unwrap();
                tool.validate(&i.input)
                    .unwrap_or_else(|e| panic!("{t}: {e}"));
            }
        }
    }
}
