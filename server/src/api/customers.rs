//! `/customers`: list (prefix search), read, find-or-create by identifier, edit.

use super::auth::Caller;
use super::dto::{CreateCustomer, CustomerDto, ErrorBody, Page, UpdateCustomer};
use super::extract::{id_cursor, limit, renamed, ApiJson, ApiQuery, PathParam};
use super::scope;
use crate::http::{ApiError, ServerState};
use app::permissions::Action;
use app::services::inbox::customers::{self, CustomerPatch};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /customers`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Name or email prefix.
    q: Option<String>,
    /// Page size, 1–100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Customers, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    tag = "customers",
    params(CustomerListQuery),
    responses((status = 200, description = "A page of customers.", body = Page<CustomerDto>)),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<ServerState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CustomerListQuery>,
) -> Result<Json<Page<CustomerDto>>, ApiError> {
    let actor = caller.authorize(scope::CUSTOMERS_READ, Action::ViewInbox)?;
    let limit = limit(q.limit.as_deref())?;
    let after = id_cursor(q.cursor.as_deref())?;
    let mut rows =
        customers::list(&s.app.db, actor.scope, q.q.as_deref(), after, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more
        .then(|| rows.last().map(|c| c.id.to_string()))
        .flatten();
    Ok(Json(Page {
        data: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One customer.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = i32, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer.", body = CustomerDto),
        (status = 404, description = "No such customer in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<ServerState>,
    caller: Caller,
    id: PathParam,
) -> Result<Json<CustomerDto>, ApiError> {
    let actor = caller.authorize(scope::CUSTOMERS_READ, Action::ViewInbox)?;
    let id = id.id("Customer")?;
    Ok(Json(
        customers::get(&s.app.db, actor.scope, id).await?.into(),
    ))
}

/// Finds the customer an identifier belongs to (200), or creates one (201).
#[utoipa::path(
    post,
    path = "/api/v1/customers",
    tag = "customers",
    request_body = CreateCustomer,
    responses(
        (status = 200, description = "The identifier was known: the existing customer.", body = CustomerDto),
        (status = 201, description = "A new customer.", body = CustomerDto),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<ServerState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateCustomer>,
) -> Result<(StatusCode, Json<CustomerDto>), ApiError> {
    let actor = caller.authorize(scope::CUSTOMERS_WRITE, Action::ManageCustomers)?;
    let (customer, created) = customers::create(
        &s.app,
        actor,
        body.identifier_kind,
        &body.identifier_value,
        body.name.as_deref(),
        &caller.meta,
    )
    .await
    .map_err(|e| renamed(e, "value", "identifier_value"))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(customer.into())))
}

/// Changes name, company or notes.
#[utoipa::path(
    patch,
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = i32, Path, description = "Customer id")),
    request_body = UpdateCustomer,
    responses(
        (status = 200, description = "The customer as changed.", body = CustomerDto),
        (status = 404, description = "No such customer in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(s): State<ServerState>,
    caller: Caller,
    id: PathParam,
    ApiJson(body): ApiJson<UpdateCustomer>,
) -> Result<Json<CustomerDto>, ApiError> {
    let actor = caller.authorize(scope::CUSTOMERS_WRITE, Action::ManageCustomers)?;
    let id = id.id("Customer")?;
    let patch = CustomerPatch {
        name: body.name,
        company: body.company,
        notes: body.notes,
    };
    Ok(Json(
        customers::update(&s.app, actor, id, patch, &caller.meta)
            .await?
            .into(),
    ))
}
