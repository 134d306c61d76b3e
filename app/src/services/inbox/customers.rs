//! Customers and identity resolution: an identifier (email, phone, WhatsApp number,
//! chat visitor id, social handle) belongs to at most one customer per workspace; a
//! known identifier resolves to its customer, a new one creates a customer. Merging
//! keeps every identifier and conversation of both, with an audit entry.

use super::super::activity::{self, Entry, Who};
use super::super::context::{Actor, RequestMeta};
use super::super::tenancy::Scoped;
use super::super::uow::UnitOfWork;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{validate_email, CustomerView, IdentifierKind, IdentifierView};
use entity::{conversation, customer, customer_identifier};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// Normalizes an identifier so the same person always yields the same value.
///
/// # Errors
/// `Invalid` with what is wrong with it.
pub fn normalize(kind: IdentifierKind, value: &str) -> ServiceResult<String> {
    let v = value.trim();
    match kind {
        IdentifierKind::Email => validate_email(v).map_err(|m| ServiceError::invalid("value", m)),
        IdentifierKind::Phone | IdentifierKind::Whatsapp => {
            let digits: String = v
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
                .collect();
            let body = digits.strip_prefix('+').unwrap_or(&digits);
            if !digits.starts_with('+')
                || body.len() < 7
                || body.len() > 15
                || !body.chars().all(|c| c.is_ascii_digit())
            {
                return Err(ServiceError::invalid(
                    "value",
                    format!(
                        "`{v}` is not a phone number in international form, such as +14155550100."
                    ),
                ));
            }
            Ok(digits)
        }
        IdentifierKind::Chat | IdentifierKind::Social => {
            if v.is_empty() || v.len() > 200 {
                return Err(ServiceError::invalid(
                    "value",
                    "An identifier must be 1 to 200 characters.",
                ));
            }
            Ok(if kind == IdentifierKind::Social {
                v.to_lowercase()
            } else {
                v.to_owned()
            })
        }
    }
}

/// Follows `merged_into_id` to the surviving customer.
pub(crate) async fn surviving(
    db: &impl ConnectionTrait,
    scope: Scoped,
    mut c: customer::Model,
) -> ServiceResult<customer::Model> {
    for _ in 0..8 {
        let Some(next) = c.merged_into_id else {
            return Ok(c);
        };
        c = scope
            .find::<customer::Entity>()
            .filter(customer::Column::Id.eq(next))
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound("Customer"))?;
    }
    Ok(c)
}

/// The customer an identifier belongs to, creating one (named `name`, or after the
/// identifier) when it is new. Returns the customer and whether it was created.
///
/// # Errors
/// Invalid identifiers; database errors.
pub async fn resolve(
    db: &impl ConnectionTrait,
    scope: Scoped,
    kind: IdentifierKind,
    value: &str,
    name: Option<&str>,
) -> ServiceResult<(customer::Model, bool)> {
    let value = normalize(kind, value)?;
    if let Some(ident) = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::Kind.eq(kind.as_str()))
        .filter(customer_identifier::Column::Value.eq(&value))
        .one(db)
        .await?
    {
        let c = scope
            .find::<customer::Entity>()
            .filter(customer::Column::Id.eq(ident.customer_id))
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound("Customer"))?;
        return Ok((surviving(db, scope, c).await?, false));
    }
    let display = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect::<String>())
        .unwrap_or_else(|| match kind {
            IdentifierKind::Email => value.split('@').next().unwrap_or(&value).to_owned(),
            _ => value.clone(),
        });
    let t = now();
    let c = customer::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        name: Set(display),
        email: Set((kind == IdentifierKind::Email).then(|| value.clone())),
        phone: Set(
            matches!(kind, IdentifierKind::Phone | IdentifierKind::Whatsapp).then(|| value.clone()),
        ),
        company: Set(None),
        notes: Set(None),
        merged_into_id: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?;
    insert_identifier(db, scope, c.id, kind, &value, kind == IdentifierKind::Email).await?;
    Ok((c, true))
}

/// Adds an identifier the customer gave themselves (unverified), e.g. the email a
/// chat visitor typed. Returns the customer that already holds it, if another does
/// (nothing is changed then: owning an address is not proven by typing it).
///
/// # Errors
/// Invalid value; database errors.
pub async fn claim_identifier(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
    kind: IdentifierKind,
    value: &str,
) -> ServiceResult<Option<i32>> {
    let value = normalize(kind, value)?;
    if let Some(existing) = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::Kind.eq(kind.as_str()))
        .filter(customer_identifier::Column::Value.eq(&value))
        .one(db)
        .await?
    {
        return Ok((existing.customer_id != customer_id).then_some(existing.customer_id));
    }
    insert_identifier(db, scope, customer_id, kind, &value, false).await?;
    let c = find(db, scope, customer_id).await?;
    if kind == IdentifierKind::Email && c.email.is_none() {
        let mut m = c.into_active_model();
        m.email = Set(Some(value));
        m.updated_at = Set(now());
        m.update(db).await?;
    }
    Ok(None)
}

/// The same number on SMS and on WhatsApp is one person (both are proven by the
/// phone network): when `value` arrives on one of the two and only the other
/// is known, the number is added to that customer for this channel too.
///
/// # Errors
/// Invalid number; database errors.
pub async fn link_phone_channels(
    db: &impl ConnectionTrait,
    scope: Scoped,
    kind: IdentifierKind,
    value: &str,
) -> ServiceResult<()> {
    let other = match kind {
        IdentifierKind::Phone => IdentifierKind::Whatsapp,
        IdentifierKind::Whatsapp => IdentifierKind::Phone,
        _ => return Ok(()),
    };
    let value = normalize(kind, value)?;
    let known = |k: IdentifierKind| {
        scope
            .find::<customer_identifier::Entity>()
            .filter(customer_identifier::Column::Kind.eq(k.as_str()))
            .filter(customer_identifier::Column::Value.eq(value.clone()))
            .one(db)
    };
    if known(kind).await?.is_some() {
        return Ok(());
    }
    if let Some(o) = known(other).await? {
        match insert_identifier(db, scope, o.customer_id, kind, &value, true).await {
            // Linked at the same instant by another delivery.
            Err(ServiceError::Db(e))
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) => {}
            other => other?,
        }
    }
    Ok(())
}

async fn insert_identifier(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
    kind: IdentifierKind,
    value: &str,
    verified: bool,
) -> ServiceResult<()> {
    customer_identifier::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        customer_id: Set(customer_id),
        kind: Set(kind.as_str().to_owned()),
        value: Set(value.to_owned()),
        verified: Set(verified),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// One customer, by id, with identifiers.
///
/// # Errors
/// `NotFound` (also for another workspace's customer).
pub async fn get(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<CustomerView> {
    let c = find(db, scope, id).await?;
    let idents = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::CustomerId.eq(c.id))
        .order_by_asc(customer_identifier::Column::Id)
        .all(db)
        .await?;
    Ok(view(c, idents))
}

/// The row, scoped.
///
/// # Errors
/// `NotFound`.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<customer::Model> {
    scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Customer"))
}

/// Builds the view.
pub fn view(c: customer::Model, idents: Vec<customer_identifier::Model>) -> CustomerView {
    CustomerView {
        id: c.id,
        name: c.name,
        email: c.email,
        phone: c.phone,
        company: c.company,
        notes: c.notes,
        identifiers: idents
            .into_iter()
            .filter_map(|i| {
                Some(IdentifierView {
                    kind: IdentifierKind::parse(&i.kind)?,
                    value: i.value,
                    verified: i.verified,
                })
            })
            .collect(),
        created_at: c.created_at.to_rfc3339(),
    }
}

/// Customers, newest first, after `after_id` (cursor), optionally matching `q` in
/// name or email (prefix).
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Scoped,
    q: Option<&str>,
    after_id: Option<i32>,
    limit: u64,
) -> ServiceResult<Vec<CustomerView>> {
    let mut s = scope
        .find::<customer::Entity>()
        .filter(customer::Column::MergedIntoId.is_null())
        .order_by_desc(customer::Column::Id)
        .limit(limit);
    if let Some(a) = after_id {
        s = s.filter(customer::Column::Id.lt(a));
    }
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        use sea_orm::sea_query::Func;
        let like = format!("{}%", q.replace(['%', '_'], "").to_lowercase());
        s = s.filter(
            sea_orm::Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(customer::Column::Name))).like(like.clone()))
                .add(customer::Column::Email.like(like)),
        );
    }
    let cs = s.all(db).await?;
    let ids: Vec<i32> = cs.iter().map(|c| c.id).collect();
    let mut idents = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::CustomerId.is_in(ids))
        .order_by_asc(customer_identifier::Column::Id)
        .all(db)
        .await?;
    Ok(cs
        .into_iter()
        .map(|c| {
            let mine: Vec<_> = idents
                .iter()
                .filter(|i| i.customer_id == c.id)
                .cloned()
                .collect();
            idents.retain(|i| i.customer_id != c.id);
            view(c, mine)
        })
        .collect())
}

/// Fields a person can edit on a customer.
#[derive(Clone, Debug, Default)]
pub struct CustomerPatch {
    /// Name.
    pub name: Option<String>,
    /// Company (empty clears).
    pub company: Option<String>,
    /// Notes (empty clears).
    pub notes: Option<String>,
}

/// Creates a customer from an identifier (or returns the existing one: resolution).
///
/// # Errors
/// Permission; invalid identifier.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    kind: IdentifierKind,
    value: &str,
    name: Option<&str>,
    meta: &RequestMeta,
) -> ServiceResult<(CustomerView, bool)> {
    actor.require(Action::ManageCustomers)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let (c, created) = resolve(&*uow, actor.scope, kind, value, name).await?;
    if created {
        activity::record(
            &*uow,
            actor.scope,
            &Who::from(actor),
            meta,
            Entry::new("customer.created").target("customer", c.id),
        )
        .await?;
        uow.emit(Event::new(
            actor.scope.workspace_id(),
            "customer.created",
            serde_json::json!({"customer_id": c.id}),
        ));
    }
    let id = c.id;
    let v = get(&*uow, actor.scope, id).await?;
    uow.commit().await?;
    Ok((v, created))
}

/// Updates name, company or notes.
///
/// # Errors
/// Permission, validation, `NotFound`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    patch: CustomerPatch,
    meta: &RequestMeta,
) -> ServiceResult<CustomerView> {
    actor.require(Action::ManageCustomers)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let c = find(&*uow, actor.scope, id).await?;
    let before = serde_json::json!({"name": c.name, "company": c.company, "notes": c.notes});
    let mut m = c.into_active_model();
    if let Some(n) = patch.name {
        let n = n.trim().to_owned();
        if n.is_empty() || n.chars().count() > 200 {
            return Err(ServiceError::invalid(
                "name",
                "A name must be 1 to 200 characters.",
            ));
        }
        m.name = Set(n);
    }
    if let Some(co) = patch.company {
        let co = co.trim().to_owned();
        m.company = Set((!co.is_empty()).then_some(co));
    }
    if let Some(n) = patch.notes {
        let n = n.trim().to_owned();
        m.notes = Set((!n.is_empty()).then_some(n));
    }
    m.updated_at = Set(now());
    let c = m.update(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("customer.updated").target("customer", id).diff(
            Some(before),
            Some(serde_json::json!({"name": c.name, "company": c.company, "notes": c.notes})),
        ),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "customer.updated",
        serde_json::json!({"customer_id": id}),
    ));
    let v = get(&*uow, actor.scope, id).await?;
    uow.commit().await?;
    Ok(v)
}

/// Adds an identifier to a customer. An identifier that already belongs to another
/// customer is refused with the way out (merge the two).
///
/// # Errors
/// Permission, invalid value, `Conflict`.
pub async fn add_identifier(
    state: &AppState,
    actor: &Actor,
    customer_id: i32,
    kind: IdentifierKind,
    value: &str,
    meta: &RequestMeta,
) -> ServiceResult<CustomerView> {
    actor.require(Action::ManageCustomers)?;
    let value = normalize(kind, value)?;
    let uow = UnitOfWork::begin(state).await?;
    let c = find(&*uow, actor.scope, customer_id).await?;
    if let Some(existing) = actor
        .scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::Kind.eq(kind.as_str()))
        .filter(customer_identifier::Column::Value.eq(&value))
        .one(&*uow)
        .await?
    {
        if existing.customer_id == c.id {
            return Err(ServiceError::conflict(
                "value",
                "This customer already has that identifier.",
            ));
        }
        return Err(ServiceError::conflict(
            "value",
            format!(
                "{value} belongs to another customer (#{}). Merge the two customers instead.",
                existing.customer_id
            ),
        ));
    }
    insert_identifier(&*uow, actor.scope, c.id, kind, &value, false).await?;
    if kind == IdentifierKind::Email && c.email.is_none() {
        let mut m = c.into_active_model();
        m.email = Set(Some(value.clone()));
        m.update(&*uow).await?;
    }
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("customer.identifier_added")
            .target("customer", customer_id)
            .diff(
                None,
                Some(serde_json::json!({"kind": kind.as_str(), "value": value})),
            ),
    )
    .await?;
    let v = get(&*uow, actor.scope, customer_id).await?;
    uow.commit().await?;
    Ok(v)
}

/// Merges `secondary` into `primary`: identifiers and conversations move, blank
/// fields are filled from the secondary, the secondary is marked merged. Audited.
///
/// # Errors
/// Permission, `NotFound`, `Invalid` when merging a customer into itself.
pub async fn merge(
    state: &AppState,
    actor: &Actor,
    primary_id: i32,
    secondary_id: i32,
    meta: &RequestMeta,
) -> ServiceResult<CustomerView> {
    actor.require(Action::ManageCustomers)?;
    if primary_id == secondary_id {
        return Err(ServiceError::invalid(
            "secondary_id",
            "Choose two different customers.",
        ));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let scope = actor.scope;
    let p = find(&*uow, scope, primary_id).await?;
    let s = find(&*uow, scope, secondary_id).await?;
    if s.merged_into_id.is_some() {
        return Err(ServiceError::conflict(
            "secondary_id",
            "That customer was already merged into another.",
        ));
    }
    let moved_identifiers = scope
        .update_many::<customer_identifier::Entity>()
        .col_expr(customer_identifier::Column::CustomerId, Expr::value(p.id))
        .filter(customer_identifier::Column::CustomerId.eq(s.id))
        .exec(&*uow)
        .await?
        .rows_affected;
    let moved_conversations = scope
        .update_many::<conversation::Entity>()
        .col_expr(conversation::Column::CustomerId, Expr::value(p.id))
        .filter(conversation::Column::CustomerId.eq(s.id))
        .exec(&*uow)
        .await?
        .rows_affected;
    // Their orders follow them (segments and campaigns read the kept one).
    scope
        .update_many::<entity::order::Entity>()
        .col_expr(entity::order::Column::CustomerId, Expr::value(p.id))
        .filter(entity::order::Column::CustomerId.eq(s.id))
        .exec(&*uow)
        .await?;
    let t = now();
    let (p_email, p_phone, p_company) = (p.email.clone(), p.phone.clone(), p.company.clone());
    let mut pm = p.into_active_model();
    if p_email.is_none() {
        pm.email = Set(s.email.clone());
    }
    if p_phone.is_none() {
        pm.phone = Set(s.phone.clone());
    }
    if p_company.is_none() {
        pm.company = Set(s.company.clone());
    }
    pm.updated_at = Set(t);
    pm.update(&*uow).await?;
    let s_name = s.name.clone();
    let mut sm = s.into_active_model();
    sm.merged_into_id = Set(Some(primary_id));
    sm.updated_at = Set(t);
    sm.update(&*uow).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("customer.merged")
            .target("customer", primary_id)
            .diff(
                Some(serde_json::json!({"secondary_id": secondary_id, "secondary_name": s_name})),
                Some(serde_json::json!({
                    "identifiers_moved": moved_identifiers,
                    "conversations_moved": moved_conversations,
                })),
            ),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "customer.merged",
        serde_json::json!({"customer_id": primary_id, "merged_id": secondary_id}),
    ));
    let v = get(&*uow, scope, primary_id).await?;
    uow.commit().await?;
    Ok(v)
}
