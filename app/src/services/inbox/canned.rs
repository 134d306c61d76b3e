//! Canned responses (personal or shared, with categories) and the template engine
//! for merge variables (`{{customer.name}}`, `{{ticket.number}}`, `{{agent.name}}` …),
//! rendered with minijinja. Unknown variables are reported before anything is sent.

use super::super::context::Actor;
use super::super::tenancy::global;
use super::super::{now, AppState, ServiceError, ServiceResult};
use super::{conversations, customers};
use crate::permissions::Action;
use crate::types::{ticket_ref, CannedResponseView, RenderedText};
use entity::{canned_response, workspace};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

/// Every variable a template may use.
pub const VARIABLES: &[&str] = &[
    "customer.name",
    "customer.first_name",
    "customer.email",
    "customer.company",
    "ticket.id",
    "ticket.number",
    "ticket.subject",
    "ticket.status",
    "agent.name",
    "agent.first_name",
    "agent.email",
    "workspace.name",
];

/// Renders `template` for a conversation as the actor.
///
/// # Errors
/// `Invalid` for template syntax errors; `NotFound`.
pub async fn render(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversation_id: i32,
    template: &str,
) -> ServiceResult<RenderedText> {
    let c = conversations::find(db, actor.scope, conversation_id).await?;
    let cust = customers::find(db, actor.scope, c.customer_id).await?;
    let ws = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(actor.scope.workspace_id()))
        .one(db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let first = |n: &str| n.split_whitespace().next().unwrap_or_default().to_owned();
    let ctx = serde_json::json!({
        "customer": {
            "name": cust.name, "first_name": first(&cust.name),
            "email": cust.email.clone().unwrap_or_default(),
            "company": cust.company.clone().unwrap_or_default(),
        },
        "ticket": {
            "id": ticket_ref(c.number), "number": ticket_ref(c.number),
            "subject": c.subject, "status": c.status,
        },
        "agent": { "name": actor.name, "first_name": first(&actor.name), "email": actor.email },
        "workspace": { "name": ws },
    });
    render_with(template, &ctx)
}

/// Renders with a context; variables outside [`VARIABLES`] are reported, not
/// rendered.
///
/// # Errors
/// `Invalid` with the template error.
pub fn render_with(template: &str, ctx: &serde_json::Value) -> ServiceResult<RenderedText> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let tmpl = env.template_from_str(template).map_err(|e| {
        ServiceError::invalid(
            "body",
            format!(
                "The template has an error: {}",
                e.detail().unwrap_or("check the {{ }} braces")
            ),
        )
    })?;
    let mut unknown: Vec<String> = tmpl
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| !VARIABLES.contains(&v.as_str()))
        .collect();
    unknown.sort();
    if !unknown.is_empty() {
        return Ok(RenderedText {
            text: template.to_owned(),
            unknown_variables: unknown,
        });
    }
    let text = tmpl.render(ctx).map_err(|e| {
        ServiceError::invalid(
            "body",
            format!(
                "The template could not be filled in: {}",
                e.detail().unwrap_or("unknown variable")
            ),
        )
    })?;
    Ok(RenderedText {
        text,
        unknown_variables: Vec::new(),
    })
}

/// A context with every known variable set, for checking templates.
pub fn sample_context() -> serde_json::Value {
    let mut root = serde_json::Map::new();
    for v in VARIABLES {
        if let Some((obj, field)) = v.split_once('.') {
            let entry = root
                .entry(obj.to_owned())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let Some(m) = entry.as_object_mut() {
                m.insert(field.to_owned(), serde_json::Value::String(String::new()));
            }
        }
    }
    serde_json::Value::Object(root)
}

fn view(r: canned_response::Model) -> CannedResponseView {
    CannedResponseView {
        id: r.id,
        shared: r.owner_user_id.is_none(),
        title: r.title,
        category: r.category,
        body: r.body,
    }
}

fn visible(actor: &Actor) -> Condition {
    Condition::any()
        .add(canned_response::Column::OwnerUserId.is_null())
        .add(canned_response::Column::OwnerUserId.eq(actor.user_id))
}

/// Shared and own responses matching `q` (title, category or body), by category.
///
/// # Errors
/// Permission; database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &str,
) -> ServiceResult<Vec<CannedResponseView>> {
    actor.require(Action::ViewInbox)?;
    let mut s = actor
        .scope
        .find::<canned_response::Entity>()
        .filter(visible(actor))
        .order_by_asc(canned_response::Column::Category)
        .order_by_asc(canned_response::Column::Title);
    let q = q.trim();
    if !q.is_empty() {
        use sea_orm::sea_query::{Expr, Func};
        let like = format!("%{}%", q.replace(['%', '_'], "").to_lowercase());
        let lower = |c: canned_response::Column| Expr::expr(Func::lower(Expr::col(c)));
        s = s.filter(
            Condition::any()
                .add(lower(canned_response::Column::Title).like(like.clone()))
                .add(lower(canned_response::Column::Category).like(like.clone()))
                .add(lower(canned_response::Column::Body).like(like)),
        );
    }
    Ok(s.all(db).await?.into_iter().map(view).collect())
}

fn validate(title: &str, category: &str, body: &str) -> ServiceResult<(String, String, String)> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 100 {
        return Err(ServiceError::invalid(
            "title",
            "A title must be 1 to 100 characters.",
        ));
    }
    let c = category.trim();
    if c.chars().count() > 60 {
        return Err(ServiceError::invalid(
            "category",
            "A category can be at most 60 characters.",
        ));
    }
    let b = body.trim();
    if b.is_empty() || b.chars().count() > 20_000 {
        return Err(ServiceError::invalid(
            "body",
            "The text must be 1 to 20,000 characters.",
        ));
    }
    let r = render_with(b, &sample_context());
    match r {
        Err(e) => return Err(e),
        Ok(r) if !r.unknown_variables.is_empty() => {
            return Err(ServiceError::invalid(
                "body",
                format!(
                    "Unknown variable(s): {}. Use one of: {}.",
                    r.unknown_variables.join(", "),
                    VARIABLES.join(", ")
                ),
            ))
        }
        Ok(_) => {}
    }
    Ok((
        t.to_owned(),
        if c.is_empty() {
            "General".into()
        } else {
            c.to_owned()
        },
        b.to_owned(),
    ))
}

/// Creates a response (shared needs `ManageInboxSettings`).
///
/// # Errors
/// Permission, validation (including unknown variables).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    title: &str,
    category: &str,
    body: &str,
    shared: bool,
) -> ServiceResult<CannedResponseView> {
    actor.require(if shared {
        Action::ManageInboxSettings
    } else {
        Action::ReplyToCustomers
    })?;
    let (title, category, body) = validate(title, category, body)?;
    let t = now();
    let r = canned_response::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        owner_user_id: Set((!shared).then_some(actor.user_id)),
        title: Set(title),
        category: Set(category),
        body: Set(body),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(view(r))
}

async fn editable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> ServiceResult<canned_response::Model> {
    let r = actor
        .scope
        .find::<canned_response::Entity>()
        .filter(canned_response::Column::Id.eq(id))
        .filter(visible(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Canned response"))?;
    if r.owner_user_id.is_none() {
        actor.require(Action::ManageInboxSettings)?;
    }
    Ok(r)
}

/// Edits a response.
///
/// # Errors
/// Permission, validation, `NotFound`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    title: &str,
    category: &str,
    body: &str,
) -> ServiceResult<CannedResponseView> {
    let r = editable(&state.db, actor, id).await?;
    let (title, category, body) = validate(title, category, body)?;
    let mut m = r.into_active_model();
    m.title = Set(title);
    m.category = Set(category);
    m.body = Set(body);
    m.updated_at = Set(now());
    Ok(view(m.update(&state.db).await?))
}

/// Deletes a response.
///
/// # Errors
/// Permission, `NotFound`.
pub async fn delete(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    editable(&state.db, actor, id).await?;
    actor
        .scope
        .delete_many::<canned_response::Entity>()
        .filter(canned_response::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_render_and_unknown_ones_are_reported() {
        let ctx =
            serde_json::json!({"customer": {"name": "Ana"}, "ticket": {"number": "TKT-000007"}});
        let r = render_with("Hi {{ customer.name }}, re {{ticket.number}}", &ctx).ok();
        assert_eq!(r.map(|r| r.text), Some("Hi Ana, re TKT-000007".to_owned()));
        let r = render_with("Hi {{ customer.nickname }} {{ order.id }}", &ctx).ok();
        assert_eq!(
            r.map(|r| r.unknown_variables),
            Some(vec!["customer.nickname".to_owned(), "order.id".to_owned()])
        );
        assert!(render_with("Hi {{ customer.name", &ctx).is_err());
    }
}
