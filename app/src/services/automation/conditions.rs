//! Conditions: the fields a rule can test, the facts of one ticket, evaluation of
//! nested AND/OR groups, validation that names the condition at fault, and the
//! conditions in words.

use crate::types::{Channel, Cond, CondOp, FieldType, Priority, RuleField, Status};
use std::collections::HashMap;

/// One fact about a ticket.
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    /// Text.
    Text(String),
    /// A number.
    Num(f64),
    /// A set of names.
    List(Vec<String>),
    /// A member or team id; none when nobody.
    Ref(Option<i32>),
}

/// The facts about one ticket at one moment, by field name.
#[derive(Clone, Debug, Default)]
pub struct Facts(pub HashMap<String, Fact>);

impl Facts {
    /// Sets a fact.
    pub fn set(&mut self, name: &str, f: Fact) {
        self.0.insert(name.to_owned(), f);
    }

    /// A fact.
    pub fn get(&self, name: &str) -> Option<&Fact> {
        self.0.get(name)
    }
}

/// The fields whose facts need the clock of the ticket's business hours.
pub const CLOCK_FIELDS: [&str; 3] = ["time.business_hours", "time.weekday", "time.hour"];

/// The field holding the customer's segments (values: segment ids).
pub const SEGMENTS_FIELD: &str = "customer.segments";

/// The segments a condition tests (their facts are read only for these).
pub fn segments_tested(c: &Cond, out: &mut std::collections::BTreeSet<i32>) {
    match c {
        Cond::Test { field, value, .. } if field == SEGMENTS_FIELD => {
            if let Ok(id) = value.trim().parse() {
                out.insert(id);
            }
        }
        Cond::Test { .. } => {}
        Cond::Group { items, .. } => {
            for i in items {
                segments_tested(i, out);
            }
        }
    }
}

/// Whether a condition tests any of `names`.
pub fn uses(c: &Cond, names: &[&str]) -> bool {
    match c {
        Cond::Test { field, .. } => names.contains(&field.as_str()),
        Cond::Group { items, .. } => items.iter().any(|i| uses(i, names)),
    }
}

/// The built-in fields (custom fields are added per workspace as `field.<key>`).
pub fn builtin_fields(
    members: &[(i32, String)],
    teams: &[(i32, String)],
    segments: &[(i32, String)],
    custom: &[(String, String)],
) -> Vec<RuleField> {
    let f = |name: &str, label: &str, kind: FieldType, choices: Vec<(String, String)>| RuleField {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        choices,
    };
    let pairs = |v: &[(i32, String)]| -> Vec<(String, String)> {
        v.iter().map(|(i, n)| (i.to_string(), n.clone())).collect()
    };
    let mut out = vec![
        f("ticket.subject", "Ticket subject", FieldType::Text, vec![]),
        f(
            "ticket.status",
            "Ticket status",
            FieldType::Choice,
            Status::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
                .collect(),
        ),
        f(
            "ticket.priority",
            "Ticket priority",
            FieldType::Choice,
            Priority::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
                .collect(),
        ),
        f(
            "ticket.channel",
            "Ticket channel",
            FieldType::Choice,
            Channel::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
                .collect(),
        ),
        f("ticket.tags", "Ticket tags", FieldType::List, vec![]),
        f(
            "ticket.assignee",
            "Assignee",
            FieldType::Ref,
            pairs(members),
        ),
        f("ticket.team", "Team", FieldType::Ref, pairs(teams)),
        f(
            "ticket.changed",
            "What changed (ticket updated)",
            FieldType::List,
            ["status", "priority", "assignee", "team", "tags", "fields"]
                .iter()
                .map(|s| ((*s).to_owned(), (*s).to_owned()))
                .collect(),
        ),
        f(
            "message.text",
            "Customer's latest message",
            FieldType::Text,
            vec![],
        ),
        f("customer.name", "Customer name", FieldType::Text, vec![]),
        f("customer.email", "Customer email", FieldType::Text, vec![]),
        f(
            "customer.company",
            "Customer company",
            FieldType::Text,
            vec![],
        ),
        f(
            "customer.tickets",
            "Customer's tickets (all time)",
            FieldType::Number,
            vec![],
        ),
        f(
            SEGMENTS_FIELD,
            "Customer's segments",
            FieldType::List,
            pairs(segments),
        ),
        f(
            "time.hours_since_created",
            "Hours since the ticket was created",
            FieldType::Number,
            vec![],
        ),
        f(
            "time.hours_since_update",
            "Hours since the ticket last changed",
            FieldType::Number,
            vec![],
        ),
        f(
            "time.hours_since_customer_message",
            "Hours since the customer last wrote",
            FieldType::Number,
            vec![],
        ),
        f(
            "time.business_hours",
            "Business hours now (the ticket's SLA schedule)",
            FieldType::Choice,
            vec![
                ("open".to_owned(), "Open".to_owned()),
                ("closed".to_owned(), "Closed".to_owned()),
            ],
        ),
        f(
            "time.weekday",
            "Weekday now (in the schedule's zone)",
            FieldType::Choice,
            crate::types::WEEKDAYS
                .iter()
                .map(|d| (d.to_lowercase(), (*d).to_owned()))
                .collect(),
        ),
        f(
            "time.hour",
            "Hour of the day now, 0–23 (in the schedule's zone)",
            FieldType::Number,
            vec![],
        ),
    ];
    for (key, label) in custom {
        out.push(f(
            &format!("field.{key}"),
            &format!("Field: {label}"),
            FieldType::Text,
            vec![],
        ));
    }
    out
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Whether one test holds.
pub fn test(fact: Option<&Fact>, op: CondOp, value: &str) -> bool {
    let v = lower(value);
    match fact {
        None => matches!(op, CondOp::IsEmpty | CondOp::IsNot | CondOp::Excludes),
        Some(Fact::Text(t)) => {
            let t = lower(t);
            match op {
                CondOp::Is => t == v,
                CondOp::IsNot => t != v,
                CondOp::Contains => !v.is_empty() && t.contains(&v),
                CondOp::NotContains => v.is_empty() || !t.contains(&v),
                CondOp::StartsWith => t.starts_with(&v),
                CondOp::IsEmpty => t.is_empty(),
                CondOp::IsSet => !t.is_empty(),
                CondOp::Includes => t.split(',').any(|x| x.trim() == v),
                CondOp::Excludes => !t.split(',').any(|x| x.trim() == v),
                CondOp::Above | CondOp::Below => match (t.parse::<f64>(), v.parse::<f64>()) {
                    (Ok(a), Ok(b)) => {
                        if op == CondOp::Above {
                            a > b
                        } else {
                            a < b
                        }
                    }
                    _ => false,
                },
            }
        }
        Some(Fact::Num(n)) => {
            let Ok(b) = v.parse::<f64>() else {
                return false;
            };
            match op {
                CondOp::Is => (n - b).abs() < 1e-9,
                CondOp::IsNot => (n - b).abs() >= 1e-9,
                CondOp::Above => *n > b,
                CondOp::Below => *n < b,
                _ => false,
            }
        }
        Some(Fact::List(l)) => {
            let has = l.iter().any(|x| lower(x) == v);
            match op {
                CondOp::Includes | CondOp::Is | CondOp::Contains => has,
                CondOp::Excludes | CondOp::IsNot | CondOp::NotContains => !has,
                CondOp::IsEmpty => l.is_empty(),
                CondOp::IsSet => !l.is_empty(),
                _ => false,
            }
        }
        Some(Fact::Ref(r)) => match op {
            CondOp::Is => r.is_some_and(|x| x.to_string() == v),
            CondOp::IsNot => !r.is_some_and(|x| x.to_string() == v),
            CondOp::IsEmpty => r.is_none(),
            CondOp::IsSet => r.is_some(),
            _ => false,
        },
    }
}

/// Whether the conditions hold for these facts. An empty group holds.
pub fn holds(c: &Cond, facts: &Facts) -> bool {
    match c {
        Cond::Group { any, items } => {
            if items.is_empty() {
                true
            } else if *any {
                items.iter().any(|i| holds(i, facts))
            } else {
                items.iter().all(|i| holds(i, facts))
            }
        }
        Cond::Test { field, op, value } => test(facts.get(field), *op, value),
    }
}

/// Checks the conditions against the fields: every field known, every operator
/// fits its field, every value present and of the right kind. Names the
/// condition at fault ("Condition 2.1: …").
///
/// # Errors
/// A message for the `conditions` field.
pub fn validate(c: &Cond, fields: &[RuleField]) -> Result<(), String> {
    use crate::types::{MAX_CONDITIONS, MAX_GROUP_DEPTH};
    if c.count() > MAX_CONDITIONS {
        return Err(format!(
            "At most {MAX_CONDITIONS} conditions are allowed; split them into two rules or segments."
        ));
    }
    if c.depth() > MAX_GROUP_DEPTH {
        return Err(format!(
            "Groups can nest at most {MAX_GROUP_DEPTH} deep; flatten the conditions."
        ));
    }
    check(c, fields, "")
}

fn check(c: &Cond, fields: &[RuleField], at: &str) -> Result<(), String> {
    match c {
        Cond::Group { items, .. } => {
            for (i, it) in items.iter().enumerate() {
                let here = if at.is_empty() {
                    (i + 1).to_string()
                } else {
                    format!("{at}.{}", i + 1)
                };
                check(it, fields, &here)?;
            }
            Ok(())
        }
        Cond::Test { field, op, value } => {
            let Some(f) = fields.iter().find(|f| &f.name == field) else {
                return Err(format!(
                    "Condition {at}: there is no field named `{field}` here."
                ));
            };
            if !f.kind.ops().contains(op) {
                return Err(format!(
                    "Condition {at}: {} cannot be compared with “{}”.",
                    f.label,
                    op.label()
                ));
            }
            if op.takes_value() {
                if value.trim().is_empty() {
                    return Err(format!(
                        "Condition {at}: {} {} what? Give a value.",
                        f.label,
                        op.label()
                    ));
                }
                if f.kind == FieldType::Number && value.trim().parse::<f64>().is_err() {
                    return Err(format!(
                        "Condition {at}: {} needs a number, not “{}”.",
                        f.label,
                        value.trim()
                    ));
                }
                let chosen = matches!(f.kind, FieldType::Choice | FieldType::Ref)
                    || f.name == SEGMENTS_FIELD;
                if chosen && !f.choices.iter().any(|(v, _)| v == value.trim()) {
                    return Err(format!(
                        "Condition {at}: “{}” is not one of the values of {}.",
                        value.trim(),
                        f.label
                    ));
                }
            }
            Ok(())
        }
    }
}

/// The conditions in words: `Ticket priority is High AND (Ticket tags includes
/// vip OR …)`. An empty top group: "Always".
pub fn describe(c: &Cond, fields: &[RuleField]) -> String {
    match c {
        Cond::Group { items, .. } if items.is_empty() => "Always".to_owned(),
        // A lone group inside the top one reads as the top one.
        Cond::Group { items, .. } if items.len() == 1 && matches!(items[0], Cond::Group { .. }) => {
            describe(&items[0], fields)
        }
        _ => words(c, fields, true),
    }
}

fn words(c: &Cond, fields: &[RuleField], top: bool) -> String {
    match c {
        Cond::Group { any, items } => {
            if items.is_empty() {
                return "(always)".to_owned();
            }
            let join = if *any { " OR " } else { " AND " };
            let s = items
                .iter()
                .map(|i| words(i, fields, false))
                .collect::<Vec<_>>()
                .join(join);
            if top || items.len() == 1 {
                s
            } else {
                format!("({s})")
            }
        }
        Cond::Test { field, op, value } => {
            let f = fields.iter().find(|f| &f.name == field);
            let label = f.map_or(field.as_str(), |f| f.label.as_str());
            if !op.takes_value() {
                return format!("{label} {}", op.label());
            }
            let shown = f
                .and_then(|f| f.choices.iter().find(|(v, _)| v == value.trim()))
                .map_or_else(|| value.trim().to_owned(), |(_, l)| l.clone());
            format!("{label} {} {shown}", op.label())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn t(field: &str, op: CondOp, value: &str) -> Cond {
        Cond::Test {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.set("ticket.priority", Fact::Text("high".into()));
        f.set(
            "ticket.tags",
            Fact::List(vec!["vip".into(), "billing".into()]),
        );
        f.set("ticket.assignee", Fact::Ref(None));
        f.set("message.text", Fact::Text("My order arrived BROKEN".into()));
        f.set("time.hours_since_created", Fact::Num(49.5));
        f
    }

    #[test]
    fn clock_fields_are_found_at_any_depth() {
        let inner = Cond::Group {
            any: true,
            items: vec![t("time.weekday", CondOp::Is, "saturday")],
        };
        let c = Cond::Group {
            any: false,
            items: vec![t("ticket.priority", CondOp::Is, "high"), inner],
        };
        assert!(uses(&c, &CLOCK_FIELDS));
        assert!(!uses(
            &t("ticket.priority", CondOp::Is, "high"),
            &CLOCK_FIELDS
        ));
    }

    #[test]
    fn nested_groups_and_or() {
        let f = facts();
        let c = Cond::Group {
            any: false,
            items: vec![
                t("ticket.priority", CondOp::Is, "High"),
                Cond::Group {
                    any: true,
                    items: vec![
                        t("ticket.tags", CondOp::Includes, "enterprise"),
                        Cond::Group {
                            any: false,
                            items: vec![
                                t("message.text", CondOp::Contains, "broken"),
                                t("ticket.assignee", CondOp::IsEmpty, ""),
                            ],
                        },
                    ],
                },
            ],
        };
        assert!(holds(&c, &f));
        let Cond::Group { items, .. } = &c else {
            unreachable!()
        };
        let mut items = items.clone();
        items.push(t("time.hours_since_created", CondOp::Above, "50"));
        assert!(!holds(&Cond::Group { any: false, items }, &f));
        assert_eq!(c.depth(), 3);
        assert_eq!(c.count(), 7);
    }

    #[test]
    fn operators_fit_types() {
        let f = facts();
        assert!(test(f.get("time.hours_since_created"), CondOp::Above, "48"));
        assert!(!test(
            f.get("time.hours_since_created"),
            CondOp::Below,
            "48"
        ));
        assert!(test(f.get("ticket.tags"), CondOp::Excludes, "spam"));
        assert!(!test(f.get("ticket.tags"), CondOp::IsEmpty, ""));
        assert!(test(f.get("ticket.assignee"), CondOp::IsNot, "3"));
        assert!(test(f.get("message.text"), CondOp::StartsWith, "my order"));
        assert!(!test(f.get("message.text"), CondOp::Contains, ""));
        assert!(test(None, CondOp::IsEmpty, ""));
        assert!(!test(None, CondOp::Is, "x"));
    }

    #[test]
    fn validation_names_the_condition() {
        let fields = builtin_fields(&[(3, "Sam".into())], &[], &[], &[]);
        let bad = Cond::Group {
            any: false,
            items: vec![
                t("ticket.priority", CondOp::Is, "high"),
                Cond::Group {
                    any: true,
                    items: vec![t("time.hours_since_created", CondOp::Above, "soon")],
                },
            ],
        };
        let e = validate(&bad, &fields).unwrap_err();
        assert!(e.starts_with("Condition 2.1:"), "{e}");
        assert!(e.contains("needs a number"), "{e}");
        let unknown = Cond::Group {
            any: false,
            items: vec![t("ticket.nope", CondOp::Is, "x")],
        };
        let e = validate(&unknown, &fields).unwrap_err();
        assert!(e.starts_with("Condition 1: there is no field"), "{e}");
        let top = Cond::Group {
            any: false,
            items: vec![t("ticket.priority", CondOp::Contains, "hi")],
        };
        assert!(validate(&top, &fields)
            .unwrap_err()
            .contains("cannot be compared"));
        let top = Cond::Group {
            any: false,
            items: vec![t("ticket.assignee", CondOp::Is, "9")],
        };
        assert!(validate(&top, &fields).unwrap_err().contains("not one of"));
        let ok = Cond::Group {
            any: false,
            items: vec![t("ticket.assignee", CondOp::Is, "3")],
        };
        assert!(validate(&ok, &fields).is_ok());
        assert_eq!(describe(&ok, &fields), "Assignee is Sam");
    }

    #[test]
    fn segments_are_chosen_by_id_and_read_only_when_tested() {
        let fields = builtin_fields(&[], &[], &[(4, "VIP".into())], &[]);
        let vip = Cond::Group {
            any: true,
            items: vec![
                t(SEGMENTS_FIELD, CondOp::Includes, "4"),
                t("ticket.priority", CondOp::Is, "high"),
            ],
        };
        assert!(validate(&vip, &fields).is_ok());
        assert_eq!(
            describe(&vip, &fields),
            "Customer's segments includes VIP OR Ticket priority is High"
        );
        let gone = Cond::Group {
            any: false,
            items: vec![t(SEGMENTS_FIELD, CondOp::Includes, "5")],
        };
        assert!(validate(&gone, &fields).unwrap_err().contains("not one of"));
        let mut ids = std::collections::BTreeSet::new();
        segments_tested(&vip, &mut ids);
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec![4]);
        let mut f = Facts::default();
        f.set(SEGMENTS_FIELD, Fact::List(vec!["4".into()]));
        assert!(holds(&vip, &f));
        assert!(!holds(
            &Cond::Group {
                any: false,
                items: vec![t(SEGMENTS_FIELD, CondOp::Excludes, "4")]
            },
            &f
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let fields = builtin_fields(&[], &[], &[(4, "VIP".into())], &[]);
        let mut c = t("ticket.priority", CondOp::Is, "high");
        for _ in 0..8 {
            c = Cond::Group {
                any: false,
                items: vec![c],
            };
        }
        assert!(validate(&c, &fields).unwrap_err().contains("nest"));
    }
}
