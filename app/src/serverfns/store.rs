//! Store server functions: the store settings (the Stripe account) and the
//! orders desk (list, detail, pack, ship, deliver).

use crate::error::AppError;
use crate::types::{StoreSettingsForm, StoreSettingsView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The store settings.
#[server]
pub async fn get_store_settings() -> Result<StoreSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    crate::services::payments::settings_page(&state, &actor)
        .await
        .map_err(fail)
}

/// Connects the Stripe account.
#[server(input = Json)]
pub async fn save_store_settings(form: StoreSettingsForm) -> Result<StoreSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    let meta = meta().await;
    crate::services::payments::save_settings(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// The shipping settings (the tracking provider).
#[server]
pub async fn get_shipping_settings() -> Result<crate::types::ShippingSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    crate::services::shipping::settings::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Sets up the tracking provider (EasyPost or ShipEngine).
#[server(input = Json)]
pub async fn save_shipping_settings(
    form: crate::types::ShippingSettingsForm,
) -> Result<crate::types::ShippingSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    let meta = meta().await;
    crate::services::shipping::settings::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// The storefront's own pages (privacy, terms, contact, FAQ), written or not.
#[server]
pub async fn get_store_pages() -> Result<Vec<crate::types::StorePageEdit>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    crate::services::store_pages::list(&state, &actor)
        .await
        .map_err(fail)
}

/// Saves a store page (an empty text takes it down).
#[server(input = Json)]
pub async fn save_store_page(
    form: crate::types::StorePageForm,
) -> Result<Vec<crate::types::StorePageEdit>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    let meta = meta().await;
    crate::services::store_pages::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// A page of the workspace's orders (`status` empty for all; `query` an
/// order number or part of a customer's name or email).
#[server]
pub async fn list_store_orders(
    status: String,
    query: String,
    page: u64,
) -> Result<crate::types::OrdersPageView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    let status = match status.trim() {
        "" => None,
        s => Some(crate::types::OrderStatus::parse(s).ok_or_else(|| {
            fail(crate::services::ServiceError::invalid(
                "status",
                format!("No order status is called “{s}”."),
            ))
        })?),
    };
    crate::services::order_desk::list(&state, &actor, status, &query, page)
        .await
        .map_err(fail)
}

/// One order with its timeline.
#[server]
pub async fn get_store_order(number: String) -> Result<crate::types::OrderDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::order_desk::get(&state, &actor, &number)
        .await
        .map_err(fail)
}

/// One order with what may change on it and the choices of the change,
/// return and exchange forms.
#[server]
pub async fn get_order_options(number: String) -> Result<crate::types::OrderOptions, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::order_desk::options(&state, &actor, &number)
        .await
        .map_err(fail)
}

/// What returning some units (a SKU once per unit) would refund.
#[server(input = Json)]
pub async fn quote_order_return(
    number: String,
    skus: Vec<String>,
) -> Result<crate::types::ReturnQuote, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::order_desk::quote_return(&state, &actor, &number, &skus)
        .await
        .map_err(fail)
}

/// Marks a paid order packed.
#[server]
pub async fn pack_order(number: String) -> Result<crate::types::OrderDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageOrders).await?;
    crate::services::order_desk::pack(&state, &actor, &number)
        .await
        .map_err(fail)
}

/// Ships a packed order with a carrier's tracking number.
#[server(input = Json)]
pub async fn ship_order(
    form: crate::types::ShipForm,
) -> Result<crate::types::OrderDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageOrders).await?;
    crate::services::order_desk::ship(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Marks a shipped order delivered.
#[server]
pub async fn deliver_order(number: String) -> Result<crate::types::OrderDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageOrders).await?;
    crate::services::order_desk::deliver(&state, &actor, &number)
        .await
        .map_err(fail)
}
