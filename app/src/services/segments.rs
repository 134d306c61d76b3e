//! Customer segments (SPEC C10.1): a named set of customers given by nested
//! AND/OR conditions over their attributes and their ticket history.
//!
//! A segment is evaluated in the database, never copied: its conditions become
//! one SQL condition over `customers` (ticket history through correlated
//! subqueries on the customer's index), so counts are live, a preview is one
//! query, and "is this customer in it?" is the same query for one id. Flows
//! branch on it (`segment.<id> is yes`); campaigns, messages and tours will
//! reach it the same way.
//!
//! Not yet: behaviour (pages visited, events sent by the widget script) and
//! orders — those fields join [`fields`] when the widget records them and when
//! commerce lands.

use super::activity::{self, Entry, Who};
use super::automation::conditions::{describe, validate};
use super::context::{Actor, RequestMeta};
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    Channel, Cond, CondOp, FieldType, FlowGraph, IdentifierKind, OrderStatus, RuleField,
    SegmentForm, SegmentMember, SegmentPreview, SegmentView, SegmentsPage, Status,
};
use chrono::{DateTime, Duration, Utc};
use entity::{
    conversation, conversation_tag, customer, customer_identifier, order, segment, tag,
    visitor_event,
};
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet};

/// Segments per workspace.
pub const MAX_SEGMENTS: usize = 200;
/// Customers shown in a preview.
pub const SAMPLE: u64 = 8;

/// The fields a segment's conditions test. `tags`: the workspace's tag names;
/// `events`: the event names its sites have sent.
pub fn fields(tags: &[String], events: &[String]) -> Vec<RuleField> {
    let f = |name: &str, label: &str, kind: FieldType, choices: Vec<(String, String)>| RuleField {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        choices,
    };
    vec![
        f("customer.name", "Name", FieldType::Text, vec![]),
        f("customer.email", "Email", FieldType::Text, vec![]),
        f(
            "customer.email_domain",
            "Email domain (after the @)",
            FieldType::Text,
            vec![],
        ),
        f("customer.company", "Company", FieldType::Text, vec![]),
        f("customer.phone", "Phone", FieldType::Text, vec![]),
        f(
            "customer.days_since_created",
            "Days since they became a customer",
            FieldType::Number,
            vec![],
        ),
        f(
            "tickets.count",
            "Tickets, all time",
            FieldType::Number,
            vec![],
        ),
        f(
            "tickets.open",
            "Open tickets (new, open, pending, on hold)",
            FieldType::Number,
            vec![],
        ),
        f(
            "tickets.days_since_last",
            "Days since their last ticket",
            FieldType::Number,
            vec![],
        ),
        f(
            "tickets.channels",
            "Channels they have written on",
            FieldType::List,
            Channel::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), c.label().to_owned()))
                .collect(),
        ),
        f(
            "tickets.tags",
            "Tags on their tickets",
            FieldType::List,
            tags.iter().map(|t| (t.clone(), t.clone())).collect(),
        ),
        f(
            "site.pages",
            "Pages they have visited (address)",
            FieldType::Text,
            vec![],
        ),
        f(
            "site.page_views",
            "Page views on the site, all time",
            FieldType::Number,
            vec![],
        ),
        f(
            "site.days_since_seen",
            "Days since they were last on the site",
            FieldType::Number,
            vec![],
        ),
        f(
            "site.events",
            "Events the site has sent about them",
            FieldType::List,
            events.iter().map(|e| (e.clone(), e.clone())).collect(),
        ),
        f(
            "orders.count",
            "Orders, all time (not cancelled)",
            FieldType::Number,
            vec![],
        ),
        f(
            "orders.spent",
            "Spent, all time (after refunds; 49.90 is 49.90 in the store's currency)",
            FieldType::Number,
            vec![],
        ),
        f(
            "orders.days_since_last",
            "Days since their last order",
            FieldType::Number,
            vec![],
        ),
        f(
            "orders.statuses",
            "Has an order that is",
            FieldType::List,
            OrderStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
                .collect(),
        ),
    ]
}

/// The names a segment's fields offer: tags and site events.
async fn field_names(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<RuleField>> {
    Ok(fields(
        &tag_names(db, scope).await?,
        &super::behaviour::event_names(db, scope).await?,
    ))
}

async fn tag_names(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<String>> {
    Ok(scope
        .find::<tag::Entity>()
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

fn col(c: customer::Column) -> Expr {
    Expr::col((customer::Entity, c))
}

fn lower(c: customer::Column) -> SimpleExpr {
    Func::lower(col(c)).into()
}

/// `%` and `_` taken literally in a LIKE pattern (escape `\`).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn like(e: SimpleExpr, pattern: String) -> SimpleExpr {
    Expr::expr(e).like(LikeExpr::new(pattern).escape('\\'))
}

fn empty(c: customer::Column) -> Condition {
    Condition::any().add(col(c).is_null()).add(col(c).eq(""))
}

/// A text column compared as the rules compare text: trimmed, ignoring case.
fn text_test(c: customer::Column, op: CondOp, v: &str) -> Condition {
    let e = like_escape(v);
    let holds = match op {
        CondOp::Is | CondOp::IsNot => Expr::expr(lower(c)).eq(v),
        CondOp::Contains | CondOp::NotContains => like(lower(c), format!("%{e}%")),
        CondOp::StartsWith => like(lower(c), format!("{e}%")),
        CondOp::IsEmpty | CondOp::IsSet => return set_or_empty(empty(c), op),
        _ => return never(),
    };
    negatable(holds, c, op)
}

/// `is not` and `does not contain` also hold where there is no value at all.
fn negatable(holds: SimpleExpr, c: customer::Column, op: CondOp) -> Condition {
    if matches!(op, CondOp::IsNot | CondOp::NotContains) {
        Condition::any()
            .add(col(c).is_null())
            .add(Condition::all().add(holds).not())
    } else {
        Condition::all().add(holds)
    }
}

fn set_or_empty(is_empty: Condition, op: CondOp) -> Condition {
    if op == CondOp::IsEmpty {
        is_empty
    } else {
        is_empty.not()
    }
}

/// The domain of the email address, compared through LIKE patterns (the same
/// in SQLite and PostgreSQL).
fn domain_test(op: CondOp, v: &str) -> Condition {
    let e = like_escape(v);
    let c = customer::Column::Email;
    let holds = match op {
        CondOp::Is | CondOp::IsNot => like(lower(c), format!("%@{e}")),
        CondOp::Contains | CondOp::NotContains => like(lower(c), format!("%@%{e}%")),
        CondOp::StartsWith => like(lower(c), format!("%@{e}%")),
        CondOp::IsEmpty | CondOp::IsSet => {
            return set_or_empty(
                Condition::any()
                    .add(empty(c))
                    .add(like(lower(c), "%@".into()).not()),
                op,
            )
        }
        _ => return never(),
    };
    negatable(holds, c, op)
}

fn never() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

fn always() -> Condition {
    Condition::all().add(Expr::cust("1 = 1"))
}

fn days(n: f64) -> Duration {
    // Bounded: validation accepts any number; a century is "forever".
    #[allow(clippy::cast_possible_truncation)]
    Duration::seconds((n.clamp(-36_500.0, 36_500.0) * 86_400.0) as i64)
}

/// "Days since `at`" compared with `n`: `at` is a timestamp expression; none
/// (no ticket) compares as nothing.
fn days_since(at: SimpleExpr, op: CondOp, n: f64, t: DateTime<Utc>) -> Condition {
    let cut = t - days(n);
    match op {
        // More than n days ago.
        CondOp::Above => Condition::all().add(Expr::expr(at).lt(cut)),
        // Less than n days ago.
        CondOp::Below => Condition::all().add(Expr::expr(at).gt(cut)),
        // n whole days ago.
        CondOp::Is => Condition::all()
            .add(Expr::expr(at.clone()).lte(cut))
            .add(Expr::expr(at).gt(cut - Duration::days(1))),
        _ => never(),
    }
}

fn number(e: SimpleExpr, op: CondOp, n: f64) -> Condition {
    match op {
        CondOp::Is => Condition::all().add(Expr::expr(e).eq(n)),
        CondOp::Above => Condition::all().add(Expr::expr(e).gt(n)),
        CondOp::Below => Condition::all().add(Expr::expr(e).lt(n)),
        _ => never(),
    }
}

/// A column of `orders`.
fn ord(c: order::Column) -> Expr {
    Expr::col((order::Entity, c))
}

/// The customer's orders.
fn orders() -> SelectStatement {
    Query::select()
        .from(order::Entity)
        .and_where(ord(order::Column::CustomerId).equals((customer::Entity, customer::Column::Id)))
        .to_owned()
}

/// The customer's tickets (merged-away ones left out).
fn tickets() -> SelectStatement {
    Query::select()
        .from(conversation::Entity)
        .and_where(
            Expr::col((conversation::Entity, conversation::Column::CustomerId))
                .equals((customer::Entity, customer::Column::Id)),
        )
        .and_where(Expr::col((conversation::Entity, conversation::Column::MergedIntoId)).is_null())
        .to_owned()
}

fn scalar(q: SelectStatement) -> SimpleExpr {
    SimpleExpr::SubQuery(None, Box::new(q.into_sub_query_statement()))
}

fn exists(q: SelectStatement, holds: bool) -> Condition {
    let e = Expr::exists(q);
    if holds {
        Condition::all().add(e)
    } else {
        Condition::all().add(e).not()
    }
}

/// The customer's visitors' site events of `kind` (`page`, `event`): through
/// their chat identifiers, so merged customers keep their history.
fn site_events(kind: &str) -> SelectStatement {
    let ev = |c: visitor_event::Column| Expr::col((visitor_event::Entity, c));
    let id = |c: customer_identifier::Column| Expr::col((customer_identifier::Entity, c));
    Query::select()
        .from(visitor_event::Entity)
        .inner_join(
            customer_identifier::Entity,
            Condition::all()
                .add(
                    id(customer_identifier::Column::WorkspaceId)
                        .equals((visitor_event::Entity, visitor_event::Column::WorkspaceId)),
                )
                .add(
                    id(customer_identifier::Column::Value)
                        .equals((visitor_event::Entity, visitor_event::Column::VisitorId)),
                )
                .add(id(customer_identifier::Column::Kind).eq(IdentifierKind::Chat.as_str())),
        )
        .and_where(
            id(customer_identifier::Column::CustomerId)
                .equals((customer::Entity, customer::Column::Id)),
        )
        .and_where(ev(visitor_event::Column::Kind).eq(kind))
        .to_owned()
}

/// "Visited a page whose address …": a path (`/pricing`) tests the path, any
/// other value the whole address, ignoring case. `does not contain` / `is not`:
/// no visited page does.
fn pages_test(op: CondOp, v: &str) -> Condition {
    let e = like_escape(v);
    let path = v.starts_with('/');
    let column = if path {
        visitor_event::Column::Name
    } else {
        visitor_event::Column::Url
    };
    let low: SimpleExpr = Func::lower(Expr::col((visitor_event::Entity, column))).into();
    let holds = match op {
        CondOp::Is | CondOp::IsNot => {
            let bare = v.trim_end_matches('/');
            Expr::expr(low).is_in([bare.to_owned(), format!("{bare}/")])
        }
        CondOp::Contains | CondOp::NotContains => like(low, format!("%{e}%")),
        CondOp::StartsWith => like(low, format!("{e}%")),
        CondOp::IsEmpty | CondOp::IsSet => {
            return exists(
                site_events("page").expr(Expr::val(1)).to_owned(),
                op == CondOp::IsSet,
            )
        }
        _ => return never(),
    };
    let q = site_events("page")
        .expr(Expr::val(1))
        .and_where(holds)
        .to_owned();
    exists(q, !matches!(op, CondOp::IsNot | CondOp::NotContains))
}

/// One test as SQL.
fn test_sql(field: &str, op: CondOp, value: &str, t: DateTime<Utc>) -> Condition {
    let v = value.trim().to_lowercase();
    let n = v.parse::<f64>().unwrap_or_default();
    let conv = |c: conversation::Column| Expr::col((conversation::Entity, c));
    match field {
        "customer.name" => text_test(customer::Column::Name, op, &v),
        "customer.email" => text_test(customer::Column::Email, op, &v),
        "customer.email_domain" => domain_test(op, &v),
        "customer.company" => text_test(customer::Column::Company, op, &v),
        "customer.phone" => text_test(customer::Column::Phone, op, &v),
        "customer.days_since_created" => {
            days_since(col(customer::Column::CreatedAt).into(), op, n, t)
        }
        "tickets.count" => number(
            scalar(
                tickets()
                    .expr(conv(conversation::Column::Id).count())
                    .to_owned(),
            ),
            op,
            n,
        ),
        "tickets.open" => {
            let open: Vec<&str> = Status::ALL
                .iter()
                .filter(|s| s.is_open())
                .map(|s| s.as_str())
                .collect();
            number(
                scalar(
                    tickets()
                        .expr(conv(conversation::Column::Id).count())
                        .and_where(conv(conversation::Column::Status).is_in(open))
                        .to_owned(),
                ),
                op,
                n,
            )
        }
        // No ticket: no date, so no comparison holds ("Tickets, all time is 0").
        "tickets.days_since_last" => days_since(
            scalar(
                tickets()
                    .expr(conv(conversation::Column::CreatedAt).max())
                    .to_owned(),
            ),
            op,
            n,
            t,
        ),
        "tickets.channels" => {
            let mut q = tickets().expr(Expr::val(1)).to_owned();
            if op.takes_value() {
                q.and_where(conv(conversation::Column::Channel).eq(v.as_str()));
            }
            exists(q, matches!(op, CondOp::Includes | CondOp::IsSet))
        }
        "tickets.tags" => {
            let mut q = tickets()
                .expr(Expr::val(1))
                .inner_join(
                    conversation_tag::Entity,
                    Expr::col((
                        conversation_tag::Entity,
                        conversation_tag::Column::ConversationId,
                    ))
                    .equals((conversation::Entity, conversation::Column::Id)),
                )
                .to_owned();
            if op.takes_value() {
                q.inner_join(
                    tag::Entity,
                    Expr::col((tag::Entity, tag::Column::Id))
                        .equals((conversation_tag::Entity, conversation_tag::Column::TagId)),
                )
                .and_where(
                    Expr::expr(Func::lower(Expr::col((tag::Entity, tag::Column::Name))))
                        .eq(v.as_str()),
                );
            }
            exists(q, matches!(op, CondOp::Includes | CondOp::IsSet))
        }
        "orders.count" => number(
            scalar(
                orders()
                    .expr(ord(order::Column::Id).count())
                    .and_where(ord(order::Column::Status).ne(OrderStatus::Cancelled.as_str()))
                    .to_owned(),
            ),
            op,
            n,
        ),
        // In minor units, none spent as 0.
        "orders.spent" => number(
            Func::coalesce([
                scalar(
                    orders()
                        .expr(
                            Expr::expr(
                                ord(order::Column::TotalMinor)
                                    .sub(ord(order::Column::RefundedMinor)),
                            )
                            .sum(),
                        )
                        .and_where(ord(order::Column::Status).ne(OrderStatus::Cancelled.as_str()))
                        .to_owned(),
                ),
                Expr::val(0).into(),
            ])
            .into(),
            op,
            (n * 100.0).round(),
        ),
        // No order: no date, so no comparison holds.
        "orders.days_since_last" => days_since(
            scalar(
                orders()
                    .expr(ord(order::Column::PlacedAt).max())
                    .and_where(ord(order::Column::Status).ne(OrderStatus::Cancelled.as_str()))
                    .to_owned(),
            ),
            op,
            n,
            t,
        ),
        "orders.statuses" => {
            let mut q = orders().expr(Expr::val(1)).to_owned();
            if op.takes_value() {
                q.and_where(ord(order::Column::Status).eq(v.as_str()));
            }
            exists(q, matches!(op, CondOp::Includes | CondOp::IsSet))
        }
        "site.pages" => pages_test(op, &v),
        "site.page_views" => number(
            scalar(
                site_events("page")
                    .expr(Expr::col((visitor_event::Entity, visitor_event::Column::Id)).count())
                    .to_owned(),
            ),
            op,
            n,
        ),
        // Never on the site: no date, so no comparison holds.
        "site.days_since_seen" => days_since(
            scalar(
                site_events("page")
                    .expr(
                        Expr::col((visitor_event::Entity, visitor_event::Column::CreatedAt)).max(),
                    )
                    .to_owned(),
            ),
            op,
            n,
            t,
        ),
        "site.events" => {
            let mut q = site_events("event").expr(Expr::val(1)).to_owned();
            if op.takes_value() {
                q.and_where(
                    Expr::col((visitor_event::Entity, visitor_event::Column::Name)).eq(v.as_str()),
                );
            }
            exists(q, matches!(op, CondOp::Includes | CondOp::IsSet))
        }
        _ => never(),
    }
}

/// A (checked) condition tree as one SQL condition over `customers`, at time `t`.
pub fn to_sql(c: &Cond, t: DateTime<Utc>) -> Condition {
    match c {
        Cond::Group { items, .. } if items.is_empty() => always(),
        Cond::Group { any, items } => items.iter().fold(
            if *any {
                Condition::any()
            } else {
                Condition::all()
            },
            |acc, i| acc.add(to_sql(i, t)),
        ),
        Cond::Test { field, op, value } => test_sql(field, *op, value, t),
    }
}

/// The customers a condition selects (merged-away customers never count).
fn selected(scope: Scoped, c: &Cond, t: DateTime<Utc>) -> sea_orm::Select<customer::Entity> {
    scope
        .find::<customer::Entity>()
        .filter(customer::Column::MergedIntoId.is_null())
        .filter(to_sql(c, t))
}

/// The customers in segment `id` at time `t`, as a query to narrow further
/// (none: the segment no longer exists).
///
/// # Errors
/// Database errors.
pub async fn members(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
    t: DateTime<Utc>,
) -> ServiceResult<Option<sea_orm::Select<customer::Entity>>> {
    let Some(row) = scope
        .find::<segment::Entity>()
        .filter(segment::Column::Id.eq(id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(selected(scope, &parse(&row)?, t)))
}

fn parse(row: &segment::Model) -> ServiceResult<Cond> {
    serde_json::from_str(&row.conditions)
        .map_err(|e| ServiceError::Internal(format!("segment {} conditions: {e}", row.id)))
}

async fn total(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<u64> {
    Ok(scope
        .find::<customer::Entity>()
        .filter(customer::Column::MergedIntoId.is_null())
        .count(db)
        .await?)
}

/// Refuses (422, `segment_id`) a segment that is not the workspace's.
///
/// # Errors
/// `Invalid`; database errors.
pub async fn require_own(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: Option<i32>,
) -> ServiceResult<()> {
    let Some(id) = id else {
        return Ok(());
    };
    let known = scope
        .find::<segment::Entity>()
        .filter(segment::Column::Id.eq(id))
        .one(db)
        .await?
        .is_some();
    if known {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "segment_id",
            "That segment does not exist (any more): choose another.",
        ))
    }
}

/// Which of `ids` hold `customer_id` now: one query per segment asked about.
/// Segments that no longer exist are left out (a flow reads them as "no").
///
/// # Errors
/// Database errors.
pub async fn memberships(
    db: &impl ConnectionTrait,
    scope: Scoped,
    ids: &BTreeSet<i32>,
    customer_id: i32,
) -> ServiceResult<BTreeMap<i32, bool>> {
    let mut out = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = scope
        .find::<segment::Entity>()
        .filter(segment::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let t = now();
    for row in rows {
        let c = parse(&row)?;
        let hit = selected(scope, &c, t)
            .filter(customer::Column::Id.eq(customer_id))
            .select_only()
            .column(customer::Column::Id)
            .into_tuple::<i32>()
            .one(db)
            .await?
            .is_some();
        out.insert(row.id, hit);
    }
    Ok(out)
}

/// The facts a flow reads about segments: `segment.<id>` is `yes` or `no` for
/// each segment the graph tests.
///
/// # Errors
/// Database errors.
pub async fn flow_facts(
    db: &impl ConnectionTrait,
    scope: Scoped,
    graph: &FlowGraph,
    customer_id: i32,
) -> ServiceResult<BTreeMap<String, String>> {
    let ids: BTreeSet<i32> = graph
        .segments_used()
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    Ok(memberships(db, scope, &ids, customer_id)
        .await?
        .into_iter()
        .map(|(id, hit)| {
            (
                format!("segment.{id}"),
                if hit { "yes" } else { "no" }.to_owned(),
            )
        })
        .collect())
}

/// Refuses a graph that tests a segment the workspace does not have.
///
/// # Errors
/// `Invalid` (`graph`) naming the step and the segment.
pub async fn check_flow(
    db: &impl ConnectionTrait,
    scope: Scoped,
    graph: &FlowGraph,
) -> ServiceResult<()> {
    let used = graph.segments_used();
    if used.is_empty() {
        return Ok(());
    }
    let have: BTreeSet<i32> = scope
        .find::<segment::Entity>()
        .select_only()
        .column(segment::Column::Id)
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if let Some((step, id)) = used.iter().find(|(_, id)| !have.contains(id)) {
        let at = step
            .as_deref()
            .map_or_else(|| "The Start step".to_owned(), |s| format!("Step {s}"));
        return Err(ServiceError::invalid(
            "graph",
            format!("{at} tests segment.{id}, which this workspace does not have; pick one of its segments."),
        ));
    }
    Ok(())
}

/// The names of the flows whose draft or running version tests each segment.
async fn users_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<BTreeMap<i32, BTreeSet<String>>> {
    super::flows::referring_flows(db, scope, "segment", |g| {
        g.segments_used().into_iter().map(|(_, id)| id).collect()
    })
    .await
}

async fn view(
    db: &impl ConnectionTrait,
    scope: Scoped,
    row: &segment::Model,
    fields: &[RuleField],
    used: &BTreeMap<i32, BTreeSet<String>>,
) -> ServiceResult<SegmentView> {
    let conditions = parse(row)?;
    let count = selected(scope, &conditions, now()).count(db).await?;
    Ok(SegmentView {
        id: row.id,
        name: row.name.clone(),
        description: row.description.clone(),
        summary: summary(&conditions, fields),
        conditions,
        count,
        used_by: used
            .get(&row.id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default(),
        updated_at: row.updated_at.to_rfc3339(),
    })
}

fn summary(c: &Cond, fields: &[RuleField]) -> String {
    match c {
        Cond::Group { items, .. } if items.is_empty() => "Every customer".to_owned(),
        _ => describe(c, fields),
    }
}

/// The segments page: every segment with its live count, and the fields.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<SegmentsPage> {
    actor.require(Action::ManageSegments)?;
    let db = &state.db;
    let fields = field_names(db, actor.scope).await?;
    let used = users_of(db, actor.scope).await?;
    let rows = actor
        .scope
        .find::<segment::Entity>()
        .order_by_asc(segment::Column::Name)
        .all(db)
        .await?;
    let mut segments = Vec::with_capacity(rows.len());
    for r in &rows {
        segments.push(view(db, actor.scope, r, &fields, &used).await?);
    }
    Ok(SegmentsPage {
        segments,
        fields,
        total: total(db, actor.scope).await?,
    })
}

/// The segments (id, name) a picker offers.
///
/// # Errors
/// Database errors.
pub async fn names(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<(i32, String)>> {
    Ok(scope
        .find::<segment::Entity>()
        .order_by_asc(segment::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

fn check(c: &Cond, fields: &[RuleField]) -> ServiceResult<()> {
    validate(c, fields).map_err(|m| ServiceError::invalid("conditions", m))
}

/// A lone test as the one item of a group (how the editor holds it), so every
/// stored segment is a group and messages number its conditions.
fn grouped(c: &Cond) -> Cond {
    match c {
        Cond::Test { .. } => Cond::Group {
            any: false,
            items: vec![c.clone()],
        },
        Cond::Group { .. } => c.clone(),
    }
}

/// Who `conditions` select now, without saving anything.
///
/// # Errors
/// Permission; `Invalid` (`conditions`) naming the condition at fault.
pub async fn preview(
    state: &AppState,
    actor: &Actor,
    conditions: &Cond,
) -> ServiceResult<SegmentPreview> {
    actor.require(Action::ManageSegments)?;
    let db = &state.db;
    let conditions = &grouped(conditions);
    check(conditions, &field_names(db, actor.scope).await?)?;
    let t = now();
    let count = selected(actor.scope, conditions, t).count(db).await?;
    let sample = selected(actor.scope, conditions, t)
        .order_by_desc(customer::Column::Id)
        .limit(SAMPLE)
        .all(db)
        .await?
        .into_iter()
        .map(|c| SegmentMember {
            id: c.id,
            name: c.name,
            email: c.email,
            company: c.company,
        })
        .collect();
    Ok(SegmentPreview {
        count,
        total: total(db, actor.scope).await?,
        sample,
    })
}

/// Creates or changes a segment.
///
/// # Errors
/// Permission; `Invalid` naming the field (`name`, `description`, `conditions`);
/// `Conflict` (`name`) when another segment has the name; `NotFound`.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    form: &SegmentForm,
    meta: &RequestMeta,
) -> ServiceResult<SegmentView> {
    actor.require(Action::ManageSegments)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "A segment's name is 1 to 80 characters.",
        ));
    }
    if form.description.chars().count() > 500 {
        return Err(ServiceError::invalid(
            "description",
            "Keep the description under 500 characters.",
        ));
    }
    let uow = UnitOfWork::begin(state).await?;
    let fields = field_names(&*uow, actor.scope).await?;
    let conditions = grouped(&form.conditions);
    check(&conditions, &fields)?;
    let same_name = actor
        .scope
        .find::<segment::Entity>()
        .filter(Expr::expr(Func::lower(Expr::col(segment::Column::Name))).eq(name.to_lowercase()))
        .filter(segment::Column::Id.ne(form.id.unwrap_or(0)))
        .one(&*uow)
        .await?;
    if same_name.is_some() {
        return Err(ServiceError::conflict(
            "name",
            format!("There is already a segment called “{name}”."),
        ));
    }
    let conditions =
        serde_json::to_string(&conditions).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let t = now();
    let (row, before) = match form.id {
        Some(id) => {
            let row = find(&*uow, actor.scope, id).await?;
            let before = serde_json::json!({"name": row.name, "conditions": row.conditions});
            let mut am = row.into_active_model();
            am.name = Set(name.to_owned());
            am.description = Set(form.description.trim().to_owned());
            am.conditions = Set(conditions);
            am.updated_at = Set(t);
            (am.update(&*uow).await?, Some(before))
        }
        None => {
            let n = actor.scope.find::<segment::Entity>().count(&*uow).await?;
            if n >= MAX_SEGMENTS as u64 {
                return Err(ServiceError::invalid(
                    "name",
                    format!(
                        "A workspace can have at most {MAX_SEGMENTS} segments; delete one first."
                    ),
                ));
            }
            let row = segment::ActiveModel {
                workspace_id: Set(actor.scope.workspace_id()),
                name: Set(name.to_owned()),
                description: Set(form.description.trim().to_owned()),
                conditions: Set(conditions),
                created_by: Set(Some(actor.user_id)),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(&*uow)
            .await?;
            (row, None)
        }
    };
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new(if before.is_some() {
            "segment.updated"
        } else {
            "segment.created"
        })
        .target("segment", row.id)
        .diff(
            before,
            Some(serde_json::json!({"name": row.name, "conditions": row.conditions})),
        ),
    )
    .await?;
    let used = users_of(&*uow, actor.scope).await?;
    let out = view(&*uow, actor.scope, &row, &fields, &used).await?;
    uow.commit().await?;
    Ok(out)
}

async fn find(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<segment::Model> {
    scope
        .find::<segment::Entity>()
        .filter(segment::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Segment"))
}

/// Deletes a segment nothing uses (flows, messages, tours, rules, queues, AI
/// policy rules).
///
/// # Errors
/// Permission; `NotFound`; `Conflict` naming the flows that test it.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageSegments)?;
    let uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor.scope, id).await?;
    if let Some(flows) = users_of(&*uow, actor.scope).await?.get(&id) {
        return Err(ServiceError::conflict(
            "segment",
            format!(
                "“{}” is tested by {}; change {} first.",
                row.name,
                flows
                    .iter()
                    .map(|f| format!("the flow “{f}”"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if flows.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
    let mut messages: Vec<String> = super::targeted::using_segment(&*uow, actor.scope, id)
        .await?
        .into_iter()
        .map(|m| format!("the targeted message “{m}”"))
        .collect();
    messages.extend(
        super::tours::using_segment(&*uow, actor.scope, id)
            .await?
            .into_iter()
            .map(|t| format!("the tour “{t}”")),
    );
    messages.extend(
        super::automation::using_segment(&*uow, actor.scope, id)
            .await?
            .into_iter()
            .map(|r| format!("the rule “{r}”")),
    );
    messages.extend(
        super::routing::using_segment(&*uow, actor.scope, id)
            .await?
            .into_iter()
            .map(|q| format!("the routing queue “{q}”")),
    );
    messages.extend(
        super::actions::policy::using_segment(&*uow, actor.scope, id)
            .await?
            .into_iter()
            .map(|p| format!("the AI policy rule “{p}”")),
    );
    if !messages.is_empty() {
        return Err(ServiceError::conflict(
            "segment",
            format!(
                "“{}” is used by {}; change {} first.",
                row.name,
                messages.join(", "),
                if messages.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
    actor
        .scope
        .delete_many::<segment::Entity>()
        .filter(segment::Column::Id.eq(row.id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("segment.deleted")
            .target("segment", row.id)
            .diff(
                Some(serde_json::json!({"name": row.name, "conditions": row.conditions})),
                None,
            ),
    )
    .await?;
    uow.commit().await?;
    Ok(())
}
