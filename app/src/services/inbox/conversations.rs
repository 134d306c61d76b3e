//! Conversations: numbering, creation, filtered lists with keyset pagination,
//! the thread view, field changes, tags and bulk actions.

use super::super::activity::{self, Entry, Who};
use super::super::context::{Actor, RequestMeta};
use super::super::stages::StageEvent;
use super::super::tenancy::{global, Scoped};
use super::super::uow::UnitOfWork;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use super::{customers, messages, rows};
use crate::permissions::Action;
use crate::types::{
    ticket_ref, AssigneeFilter, Channel, ConversationDetail, ConversationPage, ConversationRow,
    CustomFieldDef, FieldKind, IdentifierKind, MessageKind, Priority, SortOrder, Status,
    ViewFilter,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    conversation, conversation_tag, custom_field_def, membership, merge, side_conversation, tag,
    team, workspace,
};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
};

/// Largest page.
pub const MAX_PAGE: u64 = 100;

pub use crate::types::COUNT_CAP;

/// Hands out the next conversation number of the workspace (inside the caller's
/// transaction: the row lock / SQLite write lock serializes concurrent creators).
///
/// # Errors
/// Database errors.
pub async fn next_number(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<i32> {
    super::super::tenancy::global_update::<workspace::Entity>()
        .col_expr(
            workspace::Column::TicketSeq,
            Expr::col(workspace::Column::TicketSeq).add(1),
        )
        .filter(workspace::Column::Id.eq(scope.workspace_id()))
        .exec(db)
        .await?;
    let ws = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(scope.workspace_id()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Workspace"))?;
    Ok(ws.ticket_seq)
}

/// Who the conversation is with.
#[derive(Clone, Debug)]
pub enum CustomerRef {
    /// An existing customer.
    Id(i32),
    /// Resolve (or create) by identifier.
    Identifier {
        /// Kind.
        kind: IdentifierKind,
        /// Value.
        value: String,
        /// Name for a new customer.
        name: Option<String>,
    },
}

/// A new conversation.
#[derive(Clone, Debug)]
pub struct NewConversation {
    /// Customer.
    pub customer: CustomerRef,
    /// Subject.
    pub subject: String,
    /// Channel of origin.
    pub channel: Channel,
    /// Priority.
    pub priority: Priority,
    /// First message text.
    pub body: String,
    /// Whether the first message came from the customer (else an agent wrote it).
    pub from_customer: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// Assignee.
    pub assignee_id: Option<i32>,
    /// Team.
    pub team_id: Option<i32>,
}

fn validate_subject(s: &str) -> ServiceResult<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ServiceError::invalid(
            "subject",
            "Give the conversation a subject.",
        ));
    }
    if s.chars().count() > 250 {
        return Err(ServiceError::invalid(
            "subject",
            "A subject can be at most 250 characters.",
        ));
    }
    Ok(s.to_owned())
}

/// Checks an assignee is a member who can work conversations.
async fn check_assignee(
    db: &impl ConnectionTrait,
    scope: Scoped,
    user_id: i32,
) -> ServiceResult<()> {
    let m = scope
        .find::<membership::Entity>()
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    match m {
        Some(m)
            if crate::permissions::Role::parse(&m.role)
                .is_some_and(|r| crate::permissions::can(r, Action::ManageConversations)) =>
        {
            Ok(())
        }
        Some(_) => Err(ServiceError::invalid(
            "assignee_id",
            "That member's role cannot work conversations.",
        )),
        None => Err(ServiceError::invalid(
            "assignee_id",
            "The assignee is not a member of this workspace.",
        )),
    }
}

async fn check_team(db: &impl ConnectionTrait, scope: Scoped, team_id: i32) -> ServiceResult<()> {
    scope
        .find::<team::Entity>()
        .filter(team::Column::Id.eq(team_id))
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| ServiceError::invalid("team_id", "No such team in this workspace."))
}

/// Creates a conversation with its first message, in the caller's unit of work.
/// `actor` is the agent creating it (None for channels and the API on a
/// customer's behalf).
///
/// # Errors
/// Validation; database errors.
pub async fn create_in(
    uow: &mut UnitOfWork,
    scope: Scoped,
    actor: Option<&Actor>,
    n: NewConversation,
) -> ServiceResult<conversation::Model> {
    let subject = validate_subject(&n.subject)?;
    if n.body.trim().is_empty() {
        return Err(ServiceError::invalid("body", "Write the first message."));
    }
    let customer = match &n.customer {
        CustomerRef::Id(id) => customers::find(&**uow, scope, *id).await?,
        CustomerRef::Identifier { kind, value, name } => {
            customers::resolve(&**uow, scope, *kind, value, name.as_deref())
                .await?
                .0
        }
    };
    if let Some(a) = n.assignee_id {
        check_assignee(&**uow, scope, a).await?;
    }
    if let Some(t) = n.team_id {
        check_team(&**uow, scope, t).await?;
    }
    let number = next_number(&**uow, scope).await?;
    let t = now();
    let c = conversation::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        number: Set(number),
        subject: Set(subject),
        status: Set(if n.assignee_id.is_some() {
            Status::Open
        } else {
            Status::New
        }
        .as_str()
        .to_owned()),
        priority: Set(n.priority.as_str().to_owned()),
        channel: Set(n.channel.as_str().to_owned()),
        customer_id: Set(customer.id),
        assignee_id: Set(n.assignee_id),
        team_id: Set(n.team_id),
        custom_fields: Set("{}".into()),
        first_response_at: Set(None),
        solved_at: Set(None),
        merged_into_id: Set(None),
        split_from_id: Set(None),
        preview: Set(String::new()),
        public_token: Set(super::new_public_token()),
        message_count: Set(0),
        last_message_at: Set(t),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&**uow)
    .await?;
    set_tags_in(&**uow, scope, c.id, &n.tags, &[]).await?;
    let first = messages::NewMessage {
        kind: MessageKind::Reply,
        body_text: n.body.clone(),
        body_html: None,
        attachment_ids: Vec::new(),
        ..Default::default()
    };
    if n.from_customer {
        messages::insert_inbound(uow, scope, &c, customer.id, first).await?;
    } else {
        let a =
            actor.ok_or_else(|| ServiceError::Internal("agent message without agent".into()))?;
        messages::insert_agent(uow, a, &c, first).await?;
    }
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.created",
        serde_json::json!({"id": c.id, "number": number}),
    ));
    find(&**uow, scope, c.id).await
}

/// Creates a conversation as an agent (own transaction).
///
/// # Errors
/// Permission, validation.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    n: NewConversation,
    meta: &RequestMeta,
) -> ServiceResult<ConversationRow> {
    actor.require(Action::ManageConversations)?;
    let mut uow = UnitOfWork::begin(state).await?;
    uow.act_as(actor.user_id);
    let c = create_in(&mut uow, actor.scope, Some(actor), n).await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("conversation.created").target("conversation", ticket_ref(c.number)),
    )
    .await?;
    let row = rows(&*uow, actor.scope, vec![c]).await?.remove(0);
    uow.commit().await?;
    Ok(row)
}

/// A conversation row by id, scoped.
///
/// # Errors
/// `NotFound`.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<conversation::Model> {
    scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Conversation"))
}

/// The numbers of the conversations `ids` (one statement; none when `ids` is
/// empty), for views that show ticket references.
///
/// # Errors
/// Database errors.
pub async fn numbers(
    db: &impl ConnectionTrait,
    scope: Scoped,
    ids: Vec<i32>,
) -> ServiceResult<std::collections::HashMap<i32, i32>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(scope
        .find::<conversation::Entity>()
        .select_only()
        .column(conversation::Column::Id)
        .column(conversation::Column::Number)
        .filter(conversation::Column::Id.is_in(ids))
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// A conversation row by number, scoped.
///
/// # Errors
/// `NotFound`.
pub async fn find_by_number(
    db: &impl ConnectionTrait,
    scope: Scoped,
    number: i32,
) -> ServiceResult<conversation::Model> {
    scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Conversation"))
}

fn day(s: &str, field: &'static str) -> ServiceResult<DateTime<Utc>> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            ServiceError::invalid(field, format!("`{s}` is not a date: use YYYY-MM-DD."))
        })
}

/// Checks a custom field key so it can be used in a JSON path.
fn field_key(k: &str) -> ServiceResult<&str> {
    if !k.is_empty() && k.len() <= 64 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(k)
    } else {
        Err(ServiceError::invalid(
            "custom",
            format!("`{k}` is not a custom field key."),
        ))
    }
}

/// Applies a view filter to a select. `me` resolves [`AssigneeFilter::Me`].
///
/// # Errors
/// Invalid dates, keys or operators.
pub fn apply_filter(
    mut s: Select<conversation::Entity>,
    backend: DbBackend,
    scope: Scoped,
    me: i32,
    f: &ViewFilter,
) -> ServiceResult<Select<conversation::Entity>> {
    use conversation::Column as C;
    s = s.filter(C::MergedIntoId.is_null());
    if !f.statuses.is_empty() {
        s = s.filter(C::Status.is_in(f.statuses.iter().map(|x| x.as_str())));
    }
    if !f.priorities.is_empty() {
        s = s.filter(C::Priority.is_in(f.priorities.iter().map(|x| x.as_str())));
    }
    if !f.channels.is_empty() {
        s = s.filter(C::Channel.is_in(f.channels.iter().map(|x| x.as_str())));
    }
    match &f.assignee {
        None => {}
        Some(AssigneeFilter::Me) => s = s.filter(C::AssigneeId.eq(me)),
        Some(AssigneeFilter::Unassigned) => s = s.filter(C::AssigneeId.is_null()),
        Some(AssigneeFilter::User(u)) => s = s.filter(C::AssigneeId.eq(*u)),
    }
    if !f.team_ids.is_empty() {
        s = s.filter(C::TeamId.is_in(f.team_ids.clone()));
    }
    if let Some(c) = f.customer_id {
        s = s.filter(C::CustomerId.eq(c));
    }
    for t in &f.tags {
        let name = normalize_tag(t)?;
        // conversations carrying this tag: a sub-select on the link table joined to
        // the tag by name within the workspace.
        let mut sub = Query::select();
        sub.column(conversation_tag::Column::ConversationId)
            .from(conversation_tag::Entity)
            .inner_join(
                tag::Entity,
                Expr::col((tag::Entity, tag::Column::Id))
                    .equals((conversation_tag::Entity, conversation_tag::Column::TagId)),
            )
            .and_where(Expr::col((tag::Entity, tag::Column::Name)).eq(name))
            .and_where(Expr::col((tag::Entity, tag::Column::WorkspaceId)).eq(scope.workspace_id()));
        s = s.filter(C::Id.in_subquery(sub.to_owned()));
    }
    if let Some(d) = &f.created_after {
        s = s.filter(C::CreatedAt.gte(day(d, "created_after")?));
    }
    if let Some(d) = &f.created_before {
        s = s.filter(C::CreatedAt.lt(day(d, "created_before")?));
    }
    if let Some(d) = &f.updated_after {
        s = s.filter(C::UpdatedAt.gte(day(d, "updated_after")?));
    }
    if let Some(d) = &f.updated_before {
        s = s.filter(C::UpdatedAt.lt(day(d, "updated_before")?));
    }
    for cf in &f.custom {
        let key = field_key(&cf.key)?;
        let path = match backend {
            DbBackend::Postgres => format!("(custom_fields::jsonb ->> '{key}')"),
            _ => format!("json_extract(custom_fields, '$.{key}')"),
        };
        let expr = match cf.op.as_str() {
            "eq" => Expr::cust_with_values(format!("{path} = $1"), [cf.value.clone()]),
            "contains" => Expr::cust_with_values(
                format!("lower({path}) LIKE $1"),
                [format!("%{}%", cf.value.to_lowercase())],
            ),
            "gt" | "lt" => {
                let n: f64 = cf.value.trim().parse().map_err(|_| {
                    ServiceError::invalid("custom", format!("`{}` is not a number.", cf.value))
                })?;
                let cast = match backend {
                    DbBackend::Postgres => format!("CAST({path} AS DOUBLE PRECISION)"),
                    _ => format!("CAST({path} AS REAL)"),
                };
                let op = if cf.op == "gt" { ">" } else { "<" };
                Expr::cust_with_values(format!("{cast} {op} $1"), [n])
            }
            "set" => Expr::cust(format!("{path} IS NOT NULL AND {path} <> ''")),
            other => {
                return Err(ServiceError::invalid(
                    "custom",
                    format!("`{other}` is not a comparison: use eq, contains, gt, lt or set."),
                ))
            }
        };
        s = s.filter(expr);
    }
    Ok(s)
}

/// A cursor: the sort key and id of the last row of the previous page. Nanoseconds,
/// because SQLite keeps them (PostgreSQL keeps microseconds): a cursor rounded to
/// microseconds would repeat rows on SQLite (found by the REST API's paging test).
fn encode_cursor(at: &DateTime<Utc>, id: i32) -> String {
    let nanos = at
        .timestamp_nanos_opt()
        .unwrap_or_else(|| at.timestamp_micros().saturating_mul(1000));
    format!("{nanos}_{id}")
}

fn decode_cursor(c: &str) -> ServiceResult<(DateTime<Utc>, i32)> {
    let bad = || {
        ServiceError::invalid(
            "cursor",
            "This page link has expired: start from the first page.",
        )
    };
    let (t, id) = c.split_once('_').ok_or_else(bad)?;
    let t: i64 = t.parse().map_err(|_| bad())?;
    let id: i32 = id.parse().map_err(|_| bad())?;
    Ok((DateTime::from_timestamp_nanos(t), id))
}

/// A page of conversations matching `f`, in `sort` order, after `cursor`.
///
/// Keyset pagination over (sort column, id): page 1,000 costs what page 1 costs.
///
/// # Errors
/// Invalid filter or cursor; database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Scoped,
    me: i32,
    f: &ViewFilter,
    sort: SortOrder,
    cursor: Option<&str>,
    limit: u64,
) -> ServiceResult<ConversationPage> {
    use conversation::Column as C;
    let limit = limit.clamp(1, MAX_PAGE);
    let mut s = apply_filter(
        scope.find::<conversation::Entity>(),
        db.get_database_backend(),
        scope,
        me,
        f,
    )?;
    let (col, desc) = match sort {
        SortOrder::UpdatedDesc => (C::UpdatedAt, true),
        SortOrder::UpdatedAsc => (C::UpdatedAt, false),
        SortOrder::CreatedDesc => (C::CreatedAt, true),
        SortOrder::CreatedAsc => (C::CreatedAt, false),
    };
    if let Some(c) = cursor.filter(|c| !c.is_empty()) {
        let (at, id) = decode_cursor(c)?;
        s = s.filter(if desc {
            Condition::any()
                .add(col.lt(at))
                .add(Condition::all().add(col.eq(at)).add(C::Id.lt(id)))
        } else {
            Condition::any()
                .add(col.gt(at))
                .add(Condition::all().add(col.eq(at)).add(C::Id.gt(id)))
        });
    }
    s = if desc {
        s.order_by_desc(col).order_by_desc(C::Id)
    } else {
        s.order_by_asc(col).order_by_asc(C::Id)
    };
    let mut found = s.limit(limit + 1).all(db).await?;
    let more = found.len() as u64 > limit;
    found.truncate(limit as usize);
    let next_cursor = if more {
        found.last().map(|c| {
            let at = match sort {
                SortOrder::UpdatedDesc | SortOrder::UpdatedAsc => c.updated_at,
                _ => c.created_at,
            };
            encode_cursor(&at, c.id)
        })
    } else {
        None
    };
    Ok(ConversationPage {
        rows: rows(db, scope, found).await?,
        next_cursor,
    })
}

/// How many conversations match `f`.
///
/// # Errors
/// Invalid filter; database errors.
pub async fn count(
    db: &impl ConnectionTrait,
    scope: Scoped,
    me: i32,
    f: &ViewFilter,
) -> ServiceResult<u64> {
    count_up_to(db, scope, me, f, COUNT_CAP).await
}

/// Conversations matching a filter, counted up to `cap` + 1.
///
/// # Errors
/// Database errors.
pub async fn count_up_to(
    db: &impl ConnectionTrait,
    scope: Scoped,
    me: i32,
    f: &ViewFilter,
    cap: u64,
) -> ServiceResult<u64> {
    // Capped: `SELECT COUNT(*) FROM (SELECT 1 … LIMIT cap + 1)` reads at most
    // cap + 1 index entries, so a view over a million conversations costs what one
    // over a thousand does. Counts kept up to date per view were the other way;
    // views filter on anything (assignee "me", tags, custom fields), so every change
    // to a conversation would have to re-test every view of every member.
    let backend = db.get_database_backend();
    let capped = apply_filter(scope.find::<conversation::Entity>(), backend, scope, me, f)?
        .select_only()
        .expr(Expr::val(1))
        .limit(cap + 1)
        .into_query();
    let stmt = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(capped, sea_orm::sea_query::Alias::new("capped"))
        .to_owned();
    let n = db
        .query_one(backend.build(&stmt))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Custom field definitions, in order.
///
/// # Errors
/// Database errors.
pub async fn field_defs(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<CustomFieldDef>> {
    Ok(scope
        .find::<custom_field_def::Entity>()
        .order_by_asc(custom_field_def::Column::Position)
        .order_by_asc(custom_field_def::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|d| {
            Some(CustomFieldDef {
                id: d.id,
                kind: FieldKind::parse(&d.kind)?,
                options: serde_json::from_str(&d.options).unwrap_or_default(),
                key: d.key,
                label: d.label,
            })
        })
        .collect())
}

/// The conversation pane: thread, customer, side conversations, references.
///
/// # Errors
/// `NotFound`.
pub async fn detail(
    db: &impl ConnectionTrait,
    scope: Scoped,
    number: i32,
) -> ServiceResult<ConversationDetail> {
    let c = find_by_number(db, scope, number).await?;
    let messages = messages::thread(db, scope, c.id).await?;
    let customer = customers::get(db, scope, c.customer_id).await?;
    let others = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(c.customer_id))
        .filter(conversation::Column::Id.ne(c.id))
        .order_by_desc(conversation::Column::UpdatedAt)
        .limit(10)
        .all(db)
        .await?;
    let mut linked_ids: Vec<i32> = [c.merged_into_id, c.split_from_id]
        .into_iter()
        .flatten()
        .collect();
    let splits = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::SplitFromId.eq(c.id))
        .all(db)
        .await?;
    linked_ids.extend(splits.iter().map(|s| s.id));
    let linked: std::collections::HashMap<i32, i32> = if linked_ids.is_empty() {
        Default::default()
    } else {
        scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::Id.is_in(linked_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|x| (x.id, x.number))
            .collect()
    };
    let side = scope
        .find::<side_conversation::Entity>()
        .filter(side_conversation::Column::ConversationId.eq(c.id))
        .order_by_asc(side_conversation::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(super::side::view)
        .collect();
    let undo_window = now() - chrono::Duration::minutes(super::merge::UNDO_MINUTES);
    let undo_merge_id = scope
        .find::<merge::Entity>()
        .filter(merge::Column::PrimaryId.eq(c.id))
        .filter(merge::Column::UndoneAt.is_null())
        .filter(merge::Column::CreatedAt.gt(undo_window))
        .order_by_desc(merge::Column::Id)
        .one(db)
        .await?
        .map(|m| m.id);
    let custom: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&c.custom_fields).unwrap_or_default();
    let last_public_message_id = messages
        .iter()
        .rev()
        .find(|m| m.kind == MessageKind::Reply && m.side_conversation_id.is_none())
        .map(|m| m.id);
    let customer_url = format!("/portal/conversation?token={}", c.public_token);
    let csat = crate::services::csat::find(db, scope, c.id).await?;
    let customer_read_message_id = c.customer_read_message_id;
    let mut orders = crate::services::commerce::customer_orders(db, scope, c.customer_id).await?;
    orders.truncate(SIDEBAR_ORDERS);
    let reference = |id: Option<i32>| id.and_then(|i| linked.get(&i)).map(|n| ticket_ref(*n));
    Ok(ConversationDetail {
        first_response_at: c.first_response_at.map(|t| t.to_rfc3339()),
        solved_at: c.solved_at.map(|t| t.to_rfc3339()),
        merged_into: reference(c.merged_into_id),
        split_from: reference(c.split_from_id),
        split_into: splits.iter().map(|s| ticket_ref(s.number)).collect(),
        custom_fields: custom
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect(),
        row: rows(db, scope, vec![c]).await?.remove(0),
        messages,
        side_conversations: side,
        customer,
        other_conversations: rows(db, scope, others).await?,
        last_public_message_id,
        undo_merge_id,
        customer_url,
        customer_read_message_id,
        csat,
        orders,
    })
}

/// The customer's newest orders the conversation's sidebar lists.
const SIDEBAR_ORDERS: usize = 10;

/// Field changes. `Some(None)` clears an optional field.
#[derive(Clone, Debug, Default)]
pub struct ConversationPatch {
    /// Subject.
    pub subject: Option<String>,
    /// Status.
    pub status: Option<Status>,
    /// Priority.
    pub priority: Option<Priority>,
    /// Assignee.
    pub assignee_id: Option<Option<i32>>,
    /// Team.
    pub team_id: Option<Option<i32>>,
    /// Custom fields to set (empty value clears).
    pub fields: Vec<(String, String)>,
}

impl ConversationPatch {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.subject.is_none()
            && self.status.is_none()
            && self.priority.is_none()
            && self.assignee_id.is_none()
            && self.team_id.is_none()
            && self.fields.is_empty()
    }
}

fn check_field_value(def: &CustomFieldDef, value: &str) -> ServiceResult<serde_json::Value> {
    let v = value.trim();
    let bad = |m: String| ServiceError::invalid("fields", format!("{}: {m}", def.label));
    Ok(match def.kind {
        FieldKind::Text => {
            if v.chars().count() > 1000 {
                return Err(bad("at most 1,000 characters.".into()));
            }
            serde_json::Value::String(v.to_owned())
        }
        FieldKind::Number => {
            let n: f64 = v
                .parse()
                .map_err(|_| bad(format!("`{v}` is not a number.")))?;
            serde_json::json!(n)
        }
        FieldKind::Date => {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| bad(format!("`{v}` is not a date: use YYYY-MM-DD.")))?;
            serde_json::Value::String(v.to_owned())
        }
        FieldKind::Dropdown => {
            if !def.options.iter().any(|o| o == v) {
                return Err(bad(format!("choose one of: {}.", def.options.join(", "))));
            }
            serde_json::Value::String(v.to_owned())
        }
        FieldKind::Checkbox => match v {
            "true" | "yes" | "1" | "on" => serde_json::Value::Bool(true),
            "false" | "no" | "0" | "off" => serde_json::Value::Bool(false),
            _ => return Err(bad("use true or false.".into())),
        },
    })
}

/// Applies a patch inside a unit of work (no permission check: callers check).
///
/// # Errors
/// Validation; `NotFound`.
pub async fn apply_patch(
    uow: &mut UnitOfWork,
    actor: &Actor,
    id: i32,
    patch: &ConversationPatch,
    meta: &RequestMeta,
) -> ServiceResult<conversation::Model> {
    apply_patch_as(uow, actor.scope, &Who::from(actor), id, patch, meta).await
}

/// [`apply_patch`] on behalf of anyone (a member, the AI agent, a rule), recorded
/// in the activity log as `who`.
///
/// # Errors
/// Validation; `NotFound`.
pub async fn apply_patch_as(
    uow: &mut UnitOfWork,
    scope: Scoped,
    who: &Who,
    id: i32,
    patch: &ConversationPatch,
    meta: &RequestMeta,
) -> ServiceResult<conversation::Model> {
    let c = find(&**uow, scope, id).await?;
    if c.merged_into_id.is_some() {
        return Err(ServiceError::conflict(
            "id",
            "This conversation was merged into another; change that one instead.",
        ));
    }
    let before = serde_json::json!({
        "status": c.status, "priority": c.priority, "assignee_id": c.assignee_id,
        "team_id": c.team_id, "subject": c.subject, "custom_fields": c.custom_fields,
    });
    let mut m = c.clone().into_active_model();
    if let Some(s) = &patch.subject {
        m.subject = Set(validate_subject(s)?);
    }
    if let Some(st) = patch.status {
        m.status = Set(st.as_str().to_owned());
        if matches!(st, Status::Solved | Status::Closed) {
            if c.solved_at.is_none() {
                m.solved_at = Set(Some(now()));
            }
        } else {
            m.solved_at = Set(None);
        }
    }
    if let Some(p) = patch.priority {
        m.priority = Set(p.as_str().to_owned());
    }
    if let Some(a) = patch.assignee_id {
        if let Some(u) = a {
            check_assignee(&**uow, scope, u).await?;
        }
        m.assignee_id = Set(a);
        if a.is_some() && patch.status.is_none() && c.status == Status::New.as_str() {
            m.status = Set(Status::Open.as_str().to_owned());
        }
    }
    if let Some(t) = patch.team_id {
        if let Some(t) = t {
            check_team(&**uow, scope, t).await?;
        }
        m.team_id = Set(t);
    }
    if !patch.fields.is_empty() {
        let defs = field_defs(&**uow, scope).await?;
        let mut map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&c.custom_fields).unwrap_or_default();
        for (k, v) in &patch.fields {
            let def = defs.iter().find(|d| &d.key == k).ok_or_else(|| {
                ServiceError::invalid("fields", format!("`{k}` is not a custom field here."))
            })?;
            if v.trim().is_empty() {
                map.remove(k);
            } else {
                map.insert(k.clone(), check_field_value(def, v)?);
            }
        }
        m.custom_fields = Set(serde_json::Value::Object(map).to_string());
    }
    m.updated_at = Set(now());
    let was = c.status.clone();
    let prior = c.clone();
    let c = m.update(&**uow).await?;
    note_changes(uow, &prior, &c);
    if let Some(st) = patch.status.filter(|s| s.as_str() != was) {
        // Email and form customers hear when their request is solved or waits on them.
        let by_email = matches!(
            Channel::parse(&c.channel),
            Some(Channel::Email | Channel::WebForm)
        );
        if by_email && matches!(st, Status::Solved | Status::Pending) {
            let cust = customers::find(&**uow, scope, c.customer_id).await?;
            if let Some(to) = cust.email.clone() {
                super::super::channels::email_out::send_status_change(
                    uow, scope, &c, &cust.name, &to, st,
                )
                .await?;
            }
        }
    }
    activity::record(
        &**uow,
        scope,
        who,
        meta,
        Entry::new("conversation.updated")
            .target("conversation", ticket_ref(c.number))
            .diff(
                Some(before),
                Some(serde_json::json!({
                    "status": c.status, "priority": c.priority, "assignee_id": c.assignee_id,
                    "team_id": c.team_id, "subject": c.subject, "custom_fields": c.custom_fields,
                })),
            ),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": c.id, "number": c.number}),
    ));
    Ok(c)
}

/// Notes what changed between `before` and `after` for the registered stages
/// (rules react to `conversation.updated`).
fn note_changes(uow: &mut UnitOfWork, before: &conversation::Model, after: &conversation::Model) {
    let mut changed = Vec::new();
    if before.status != after.status {
        changed.push("status");
    }
    if before.priority != after.priority {
        changed.push("priority");
    }
    if before.assignee_id != after.assignee_id {
        changed.push("assignee");
    }
    if before.team_id != after.team_id {
        changed.push("team");
    }
    if before.custom_fields != after.custom_fields {
        changed.push("fields");
    }
    if before.subject != after.subject {
        changed.push("subject");
    }
    note_updated(uow, after, changed);
}

/// Notes a `conversation.updated` stage event naming what changed (nothing when
/// `changed` is empty).
pub fn note_updated(uow: &mut UnitOfWork, c: &conversation::Model, changed: Vec<&'static str>) {
    if changed.is_empty() {
        return;
    }
    let by_rule = uow.acting_rule();
    uow.note(StageEvent::ConversationUpdated {
        workspace_id: c.workspace_id,
        conversation_id: c.id,
        changed,
        by_rule,
    });
}

/// Changes fields of one conversation.
///
/// # Errors
/// Permission, validation, `NotFound`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    patch: ConversationPatch,
    meta: &RequestMeta,
) -> ServiceResult<ConversationRow> {
    actor.require(Action::ManageConversations)?;
    if patch.is_empty() {
        return Err(ServiceError::invalid("patch", "Nothing to change."));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    uow.act_as(actor.user_id);
    let c = apply_patch(&mut uow, actor, id, &patch, meta).await?;
    // The answer shows the ticket as the pipeline's stages leave it (rules,
    // SLA targets, routing).
    uow.settle().await?;
    let c = find(&*uow, actor.scope, c.id).await?;
    let row = rows(&*uow, actor.scope, vec![c]).await?.remove(0);
    uow.commit().await?;
    Ok(row)
}

/// Lower-cases and checks a tag name.
///
/// # Errors
/// `Invalid` for empty or odd names.
pub fn normalize_tag(t: &str) -> ServiceResult<String> {
    let t = t.trim().to_lowercase().replace(' ', "-");
    if t.is_empty()
        || t.chars().count() > 50
        || !t
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
    {
        return Err(ServiceError::invalid(
            "tags",
            format!("`{t}` is not a tag: use letters, digits, - _ / . (up to 50)."),
        ));
    }
    Ok(t)
}

/// Finds or creates tags by name; returns their ids.
///
/// # Errors
/// Invalid names; database errors.
pub async fn ensure_tags(
    db: &impl ConnectionTrait,
    scope: Scoped,
    names: &[String],
) -> ServiceResult<Vec<i32>> {
    let mut ids = Vec::new();
    for n in names {
        let n = normalize_tag(n)?;
        let existing = scope
            .find::<tag::Entity>()
            .filter(tag::Column::Name.eq(&n))
            .one(db)
            .await?;
        let id = match existing {
            Some(t) => t.id,
            None => {
                tag::ActiveModel {
                    workspace_id: Set(scope.workspace_id()),
                    name: Set(n),
                    color: Set("#64748b".into()),
                    created_at: Set(now()),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Adds and removes tags on a conversation; returns the ids of tags newly added.
///
/// # Errors
/// Invalid names; database errors.
pub async fn set_tags_in(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
    add: &[String],
    remove: &[String],
) -> ServiceResult<Vec<i32>> {
    let add_ids = ensure_tags(db, scope, add).await?;
    let present: Vec<i32> = scope
        .find::<conversation_tag::Entity>()
        .filter(conversation_tag::Column::ConversationId.eq(conversation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.tag_id)
        .collect();
    let mut added = Vec::new();
    for id in add_ids {
        if !present.contains(&id) {
            conversation_tag::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                conversation_id: Set(conversation_id),
                tag_id: Set(id),
                ..Default::default()
            }
            .insert(db)
            .await?;
            added.push(id);
        }
    }
    if !remove.is_empty() {
        let names: Vec<String> = remove
            .iter()
            .map(|r| normalize_tag(r))
            .collect::<Result<_, _>>()?;
        let rm: Vec<i32> = scope
            .find::<tag::Entity>()
            .filter(tag::Column::Name.is_in(names))
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        if !rm.is_empty() {
            scope
                .delete_many::<conversation_tag::Entity>()
                .filter(conversation_tag::Column::ConversationId.eq(conversation_id))
                .filter(conversation_tag::Column::TagId.is_in(rm))
                .exec(db)
                .await?;
        }
    }
    Ok(added)
}

/// The names of a conversation's tags, sorted.
///
/// # Errors
/// Database errors.
pub async fn tag_names(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Vec<String>> {
    let ids: Vec<i32> = scope
        .find::<conversation_tag::Entity>()
        .filter(conversation_tag::Column::ConversationId.eq(conversation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.tag_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = scope
        .find::<tag::Entity>()
        .filter(tag::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    Ok(names)
}

/// Adds/removes tags on one conversation.
///
/// # Errors
/// Permission, invalid tags, `NotFound`.
pub async fn tag(
    state: &AppState,
    actor: &Actor,
    id: i32,
    add: Vec<String>,
    remove: Vec<String>,
    meta: &RequestMeta,
) -> ServiceResult<ConversationRow> {
    actor.require(Action::ManageConversations)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let c = find(&*uow, actor.scope, id).await?;
    let added = set_tags_in(&*uow, actor.scope, id, &add, &remove).await?;
    let c = touch(&*uow, c).await?;
    if !added.is_empty() || !remove.is_empty() {
        note_updated(&mut uow, &c, vec!["tags"]);
    }
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("conversation.tagged")
            .target("conversation", ticket_ref(c.number))
            .diff(
                None,
                Some(serde_json::json!({"add": add, "remove": remove})),
            ),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": c.id, "number": c.number}),
    ));
    let row = rows(&*uow, actor.scope, vec![c]).await?.remove(0);
    uow.commit().await?;
    Ok(row)
}

/// Bumps `updated_at`.
///
/// # Errors
/// Database errors.
pub async fn touch(
    db: &impl ConnectionTrait,
    c: conversation::Model,
) -> ServiceResult<conversation::Model> {
    let mut m = c.into_active_model();
    m.updated_at = Set(now());
    Ok(m.update(db).await?)
}

/// A bulk action from the list.
#[derive(Clone, Debug)]
pub enum Bulk {
    /// Assign (None: unassign).
    Assign(Option<i32>),
    /// Set status.
    Status(Status),
    /// Add tags.
    Tag(Vec<String>),
}

/// Applies one action to many conversations in one transaction (all or nothing).
///
/// # Errors
/// Permission; any conversation missing or invalid (nothing changes then).
pub async fn bulk(
    state: &AppState,
    actor: &Actor,
    ids: &[i32],
    action: Bulk,
    meta: &RequestMeta,
) -> ServiceResult<u64> {
    actor.require(Action::ManageConversations)?;
    if ids.is_empty() {
        return Err(ServiceError::invalid(
            "ids",
            "Select at least one conversation.",
        ));
    }
    if ids.len() > 500 {
        return Err(ServiceError::invalid(
            "ids",
            "Select at most 500 conversations at a time.",
        ));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    uow.act_as(actor.user_id);
    for id in ids {
        match &action {
            Bulk::Assign(a) => {
                let p = ConversationPatch {
                    assignee_id: Some(*a),
                    ..Default::default()
                };
                apply_patch(&mut uow, actor, *id, &p, meta).await?;
            }
            Bulk::Status(s) => {
                let p = ConversationPatch {
                    status: Some(*s),
                    ..Default::default()
                };
                apply_patch(&mut uow, actor, *id, &p, meta).await?;
            }
            Bulk::Tag(tags) => {
                let c = find(&*uow, actor.scope, *id).await?;
                let added = set_tags_in(&*uow, actor.scope, *id, tags, &[]).await?;
                let c = touch(&*uow, c).await?;
                if !added.is_empty() {
                    note_updated(&mut uow, &c, vec!["tags"]);
                }
                uow.emit(Event::new(
                    actor.scope.workspace_id(),
                    "conversation.updated",
                    serde_json::json!({"id": c.id, "number": c.number}),
                ));
            }
        }
    }
    uow.commit().await?;
    Ok(ids.len() as u64)
}
