//! SeaORM entities for Switchboard. Server-only: the wasm build never reaches this
//! crate. Every entity is marked either [`TenantEntity`] (owned by one workspace and
//! reachable only through the workspace scope in `app::services::tenancy`) or
//! [`GlobalEntity`] (not owned by a workspace: users, sessions, jobs, ...).

use sea_orm::EntityTrait;

pub mod activity;
pub mod ai_action;
pub mod ai_loop_run;
pub mod ai_policy;
pub mod ai_run;
pub mod ai_setting;
pub mod api_key;
pub mod attachment;
pub mod auth_token;
pub mod business_schedule;
pub mod campaign_run;
pub mod campaign_send;
pub mod canned_response;
pub mod channel_setting;
pub mod conversation;
pub mod conversation_tag;
pub mod csat_response;
pub mod custom_field_def;
pub mod customer;
pub mod customer_identifier;
pub mod dashboard;
pub mod deflection_session;
pub mod digest;
pub mod email;
pub mod email_attachment;
pub mod expense;
pub mod flow;
pub mod flow_session;
pub mod flow_step;
pub mod flow_version;
pub mod follow_up;
pub mod inbox_macro;
pub mod invitation;
pub mod job;
pub mod kb_article;
pub mod kb_brand;
pub mod kb_category;
pub mod kb_chunk;
pub mod kb_collection;
pub mod kb_feedback;
pub mod kb_revision;
pub mod marketing_setting;
pub mod membership;
pub mod merge;
pub mod message;
pub mod notification;
pub mod notification_delivery;
pub mod notification_pref;
pub mod notification_template;
pub mod order;
pub mod order_event;
pub mod order_item;
pub mod outbound_part;
pub mod payment_method;
pub mod phone_call;
pub mod procedure;
pub mod product;
pub mod product_category;
pub mod product_variant;
pub mod qa_coaching;
pub mod qa_review;
pub mod qa_scorecard;
pub mod rate_limit_hit;
pub mod report;
pub mod report_export;
pub mod report_fact;
pub mod report_schedule;
pub mod routing_queue;
pub mod rule;
pub mod rule_firing;
pub mod rule_version;
pub mod saved_view;
pub mod segment;
pub mod session;
pub mod shipping_setting;
pub mod shopper_token;
pub mod side_conversation;
pub mod sla_policy;
pub mod slack_account;
pub mod slack_thread;
pub mod store_page;
pub mod store_setting;
pub mod stripe_event;
pub mod suppression;
pub mod tag;
pub mod targeted_message;
pub mod targeted_message_view;
pub mod task;
pub mod team;
pub mod team_member;
pub mod tour;
pub mod tour_event;
pub mod tracking_event;
pub mod transcript;
pub mod transcription_account;
pub mod twilio_account;
pub mod user;
pub mod visitor_event;
pub mod voice_account;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod workspace;

/// An entity whose rows belong to exactly one workspace.
///
/// Queries on these entities are built only through `Scoped` in
/// `app::services::tenancy`, which always adds the workspace filter.
pub trait TenantEntity: EntityTrait {
    /// The column holding the owning workspace's id.
    fn workspace_column() -> Self::Column;
}

/// An entity that no workspace owns (or that is the workspace itself).
pub trait GlobalEntity: EntityTrait {}

macro_rules! tenant {
    ($($m:ident),*) => {$(
        impl TenantEntity for $m::Entity {
            fn workspace_column() -> Self::Column {
                $m::Column::WorkspaceId
            }
        }
    )*};
}
tenant!(membership, invitation, activity, job, email);
tenant!(
    team,
    team_member,
    customer,
    customer_identifier,
    custom_field_def,
    conversation,
    tag,
    conversation_tag,
    side_conversation,
    message,
    attachment,
    saved_view,
    canned_response,
    inbox_macro,
    notification,
    notification_pref,
    notification_template,
    notification_delivery,
    merge,
    api_key
);
tenant!(
    channel_setting,
    csat_response,
    webhook_endpoint,
    webhook_delivery
);
tenant!(
    kb_brand,
    kb_collection,
    kb_category,
    kb_article,
    kb_revision,
    kb_chunk,
    kb_feedback,
    deflection_session,
    ai_setting,
    ai_run
);
tenant!(
    ai_action,
    ai_policy,
    task,
    expense,
    follow_up,
    ai_loop_run,
    procedure,
    flow,
    flow_version,
    flow_session,
    flow_step
);
tenant!(
    rule,
    rule_version,
    rule_firing,
    business_schedule,
    sla_policy,
    routing_queue,
    segment
);
tenant!(campaign_run, campaign_send, suppression, marketing_setting);
tenant!(
    visitor_event,
    targeted_message,
    targeted_message_view,
    tour,
    tour_event
);
tenant!(
    product_category,
    product,
    product_variant,
    order,
    order_item,
    order_event,
    store_setting,
    stripe_event,
    payment_method,
    shipping_setting,
    tracking_event,
    store_page,
    shopper_token
);
tenant!(
    report,
    dashboard,
    twilio_account,
    outbound_part,
    voice_account,
    phone_call,
    transcription_account,
    transcript,
    slack_account,
    slack_thread,
    digest,
    report_schedule,
    report_export,
    report_fact,
    email_attachment,
    qa_scorecard,
    qa_review,
    qa_coaching
);

impl GlobalEntity for user::Entity {}
impl GlobalEntity for workspace::Entity {}
impl GlobalEntity for auth_token::Entity {}
impl GlobalEntity for session::Entity {}
impl GlobalEntity for rate_limit_hit::Entity {}
// `email` and `job` rows may have no workspace (password resets, maintenance): such
// rows are reachable only through `tenancy::System` (workers), never through `Scoped`.
