//! The web support form (`/support/<workspace>`) and the ticket status page: the form
//! is checked with the rules the browser uses ([`crate::types::validate_support_form`]),
//! then goes through the one inbound path as a `web_form` message (idempotent on the
//! form's submission id, so a double click opens one ticket). The status page shows
//! a ticket's status and public replies to whoever knows its number and the email
//! it was opened with; failed look-ups are rate limited per IP.

use super::super::inbox::conversations;
use super::super::inbox::messages::customer_visible_thread;
use super::super::rate_limit;
use super::super::tenancy::{global, Scoped};
use super::super::{AppState, ServiceError, ServiceResult};
use super::inbound::{self, InboundMessage, Sender};
use super::settings;
use crate::types::{
    ticket_ref, validate_email, validate_support_form, Channel, IdentifierKind, Priority,
    PublicMessageView, SupportForm, SupportPageView, SupportReceipt, TicketStatusView,
};
use entity::{customer_identifier, workspace};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

/// Form submissions per IP per hour.
pub const SUBMISSIONS_PER_IP_PER_HOUR: u64 = 20;
/// Failed status look-ups per IP per 15 minutes.
pub const LOOKUPS_PER_IP: u64 = 10;

async fn workspace_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> ServiceResult<workspace::Model> {
    let slug = slug.trim().to_lowercase();
    if slug.is_empty() || slug.len() > 60 {
        return Err(ServiceError::NotFound("Support page"));
    }
    global::<workspace::Entity>()
        .filter(workspace::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Support page"))
}

fn categories(cfg: &serde_json::Value) -> Vec<String> {
    cfg.get("categories")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(serde_json::Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// What the form page shows for a workspace.
///
/// # Errors
/// `NotFound` for an unknown slug.
pub async fn page(db: &impl ConnectionTrait, slug: &str) -> ServiceResult<SupportPageView> {
    let ws = workspace_by_slug(db, slug).await?;
    let s = settings::get_or_create(db, Scoped::new(ws.id), Channel::WebForm).await?;
    Ok(SupportPageView {
        workspace_name: ws.name,
        slug: ws.slug.unwrap_or_default(),
        categories: categories(&settings::config(&s)),
        enabled: s.enabled,
    })
}

/// Opens a ticket from the form. `submission_id` (made by the page) makes a
/// resubmission return the same ticket.
///
/// # Errors
/// `Invalid` with the field for each rule; `NotFound`; `RateLimited`.
pub async fn submit(
    state: &AppState,
    slug: &str,
    form: &SupportForm,
    submission_id: &str,
    ip: Option<&str>,
) -> ServiceResult<SupportReceipt> {
    submit_with_deflection(state, slug, form, submission_id, ip, None).await
}

/// The workspace scope of a support page slug.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn scope_for_slug(db: &impl ConnectionTrait, slug: &str) -> ServiceResult<Scoped> {
    Ok(Scoped::new(workspace_by_slug(db, slug).await?.id))
}

/// [`submit`], also closing the writer's deflection session (articles were
/// suggested, and a ticket was sent anyway).
///
/// # Errors
/// As [`submit`].
pub async fn submit_with_deflection(
    state: &AppState,
    slug: &str,
    form: &SupportForm,
    submission_id: &str,
    ip: Option<&str>,
    deflection: Option<&str>,
) -> ServiceResult<SupportReceipt> {
    let ws = workspace_by_slug(&state.db, slug).await?;
    let scope = Scoped::new(ws.id);
    let s = settings::get_or_create(&state.db, scope, Channel::WebForm).await?;
    if !s.enabled {
        return Err(ServiceError::forbidden(
            "This support form is not taking requests right now. Please email us instead.",
        ));
    }
    if let Some((field, message)) = validate_support_form(form, &categories(&settings::config(&s)))
        .into_iter()
        .next()
    {
        return Err(ServiceError::invalid(field, message));
    }
    let sub = super::clean_client_id(submission_id).ok_or_else(|| {
        ServiceError::invalid("submission_id", "Reload the page and send the form again.")
    })?;
    let key = format!("form:{}:{}", ws.id, ip.unwrap_or("-"));
    rate_limit::enforce(
        &state.db,
        &key,
        SUBMISSIONS_PER_IP_PER_HOUR,
        3600,
        "Too many requests from your network. Try again",
    )
    .await?;
    let email = validate_email(&form.email).map_err(|m| ServiceError::invalid("email", m))?;
    let mut m = InboundMessage::new(
        Channel::WebForm,
        format!("form:{sub}"),
        Sender {
            kind: IdentifierKind::Email,
            value: email,
            name: Some(form.name.trim().to_owned()),
        },
        form.message.trim().to_owned(),
    );
    m.subject = form.subject.trim().to_owned();
    m.priority = Priority::parse(form.priority.trim()).unwrap_or(Priority::Normal);
    if let Ok(tag) = conversations::normalize_tag(&form.category) {
        m.tags = vec![tag];
    }
    let r = inbound::receive(state, scope, m).await?;
    if r.new {
        rate_limit::hit(&state.db, &key).await?;
    }
    super::super::kb::deflection::submitted(&state.db, scope, deflection, r.conversation_id)
        .await?;
    let reference = ticket_ref(r.conversation_number);
    Ok(SupportReceipt {
        status_url: format!(
            "/support/{}/status?ticket={reference}",
            ws.slug.unwrap_or_default()
        ),
        reference,
    })
}

/// Parses `TKT-000123`, `tkt-123`, `#123` or `123`.
pub fn parse_ticket(s: &str) -> Option<i32> {
    let t = s.trim().trim_start_matches('#');
    let t = t
        .strip_prefix("TKT-")
        .or_else(|| t.strip_prefix("tkt-"))
        .unwrap_or(t);
    t.parse::<i32>().ok().filter(|n| *n > 0)
}

/// A ticket's status and public replies, for the person who opened it.
///
/// # Errors
/// `NotFound` when the number and email do not match (the same answer either way);
/// `RateLimited` after too many misses.
pub async fn status(
    state: &AppState,
    slug: &str,
    ticket: &str,
    email: &str,
    ip: Option<&str>,
) -> ServiceResult<TicketStatusView> {
    let ws = workspace_by_slug(&state.db, slug).await?;
    let scope = Scoped::new(ws.id);
    let key = format!("status:{}:{}", ws.id, ip.unwrap_or("-"));
    rate_limit::enforce(
        &state.db,
        &key,
        LOOKUPS_PER_IP,
        900,
        "Too many look-ups that did not match. Try again",
    )
    .await?;
    let miss = || ServiceError::NotFound("A ticket with that number and email");
    let number = parse_ticket(ticket).ok_or_else(|| {
        ServiceError::invalid("ticket", "Enter the ticket number, like TKT-000123.")
    })?;
    let email = validate_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    let found = match conversations::find_by_number(&state.db, scope, number).await {
        Ok(c) => {
            let owns = scope
                .find::<customer_identifier::Entity>()
                .filter(customer_identifier::Column::CustomerId.eq(c.customer_id))
                .filter(customer_identifier::Column::Kind.eq(IdentifierKind::Email.as_str()))
                .filter(customer_identifier::Column::Value.eq(&email))
                .one(&state.db)
                .await?
                .is_some();
            owns.then_some(c)
        }
        Err(_) => None,
    };
    let Some(c) = found else {
        rate_limit::hit(&state.db, &key).await?;
        return Err(miss());
    };
    let messages = customer_visible_thread(&state.db, scope, c.id)
        .await?
        .into_iter()
        .map(|m| PublicMessageView {
            id: m.id,
            from: if m.author_kind == "customer" {
                "customer".into()
            } else {
                "agent".into()
            },
            author_name: m.author_name,
            body_html: m.body_html,
            created_at: m.created_at,
        })
        .collect();
    Ok(TicketStatusView {
        reference: ticket_ref(c.number),
        subject: c.subject,
        status: crate::types::Status::parse(&c.status).unwrap_or(crate::types::Status::Open),
        created_at: c.created_at.to_rfc3339(),
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_parse() {
        assert_eq!(parse_ticket("TKT-000123"), Some(123));
        assert_eq!(parse_ticket(" #42 "), Some(42));
        assert_eq!(parse_ticket("7"), Some(7));
        assert_eq!(parse_ticket("TKT-"), None);
        assert_eq!(parse_ticket("-3"), None);
    }
}
