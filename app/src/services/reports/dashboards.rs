//! Dashboards (SPEC C8.2): report widgets on a 12-column grid, pre-built ones
//! to start from, and a secret share link (read-only, revocable) that opens
//! the dashboard signed out or embedded in another site.
//!
//! The share link carries a 256-bit random token, kept in the row so the link
//! can be shown again; turning sharing off clears it (the old link answers
//! 404), turning it on again makes a new one.

use super::{check, run_in, Context};
use crate::permissions::Action;
use crate::services::context::Actor;
use crate::services::tenancy::Scoped;
use crate::services::{now, ServiceError, ServiceResult};
use crate::types::{
    BoardView, ChartKind, DashboardSummary, DashboardTemplate, DashboardsPage, Group, Metric,
    ReportFilters, ReportSpec, SaveDashboardForm, Widget, WidgetView, GRID_COLUMNS, MAX_WIDGETS,
};
use entity::dashboard;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Set};

/// The longest dashboard or widget name.
pub const MAX_NAME: usize = 80;

fn w(
    title: &str,
    metric: Metric,
    group: Group,
    split: Group,
    days: i64,
    chart: ChartKind,
    at: (u8, u16, u8, u8),
) -> Widget {
    Widget {
        title: title.to_owned(),
        spec: ReportSpec {
            metric,
            group,
            split,
            days,
            filters: ReportFilters::default(),
            chart,
        },
        x: at.0,
        y: at.1,
        w: at.2,
        h: at.3,
    }
}

/// The pre-built dashboards: key, name, description, widgets.
#[allow(clippy::too_many_lines)]
pub fn templates() -> Vec<(&'static str, &'static str, &'static str, Vec<Widget>)> {
    use ChartKind::{Bar, Line, Number, Pie, Stacked, Table};
    use Group::{Agent, Channel, Day, Month, Nothing, Priority, Week};
    use Metric::{
        AiResolution, Backlog, Csat, FirstResponse, Replies, Resolution, SlaCompliance, Tickets,
    };
    vec![
        (
            "overview",
            "Overview",
            "Volume, speed, satisfaction and the open backlog at a glance (Home shows it).",
            vec![
                w(
                    "Tickets, 30 days",
                    Tickets,
                    Nothing,
                    Nothing,
                    30,
                    Number,
                    (0, 0, 3, 2),
                ),
                w(
                    "First response",
                    FirstResponse,
                    Nothing,
                    Nothing,
                    30,
                    Number,
                    (3, 0, 3, 2),
                ),
                w("CSAT", Csat, Nothing, Nothing, 30, Number, (6, 0, 3, 2)),
                w(
                    "Backlog",
                    Backlog,
                    Nothing,
                    Nothing,
                    30,
                    Number,
                    (9, 0, 3, 2),
                ),
                w(
                    "Tickets per day",
                    Tickets,
                    Day,
                    Channel,
                    30,
                    Stacked,
                    (0, 2, 8, 4),
                ),
                w(
                    "Backlog by priority",
                    Backlog,
                    Priority,
                    Nothing,
                    90,
                    Pie,
                    (8, 2, 4, 4),
                ),
            ],
        ),
        (
            "volume",
            "Volume",
            "How many tickets arrive, when and where.",
            vec![
                w(
                    "Tickets per day",
                    Tickets,
                    Day,
                    Nothing,
                    30,
                    Line,
                    (0, 0, 12, 4),
                ),
                w(
                    "By channel",
                    Tickets,
                    Channel,
                    Nothing,
                    30,
                    Pie,
                    (0, 4, 4, 4),
                ),
                w(
                    "By priority",
                    Tickets,
                    Priority,
                    Nothing,
                    30,
                    Bar,
                    (4, 4, 4, 4),
                ),
                w(
                    "Per week, by channel",
                    Tickets,
                    Week,
                    Channel,
                    90,
                    Stacked,
                    (8, 4, 4, 4),
                ),
            ],
        ),
        (
            "agents",
            "Agent performance",
            "Who handles what, how fast, and how customers rate it.",
            vec![
                w(
                    "Tickets by agent",
                    Tickets,
                    Agent,
                    Nothing,
                    30,
                    Bar,
                    (0, 0, 6, 4),
                ),
                w(
                    "First response by agent",
                    FirstResponse,
                    Agent,
                    Nothing,
                    30,
                    Bar,
                    (6, 0, 6, 4),
                ),
                w(
                    "Resolution time by agent",
                    Resolution,
                    Agent,
                    Nothing,
                    30,
                    Table,
                    (0, 4, 6, 4),
                ),
                w(
                    "CSAT by agent",
                    Csat,
                    Agent,
                    Nothing,
                    90,
                    Table,
                    (6, 4, 3, 4),
                ),
                w(
                    "Replies per ticket by agent",
                    Replies,
                    Agent,
                    Nothing,
                    30,
                    Table,
                    (9, 4, 3, 4),
                ),
            ],
        ),
        (
            "sla",
            "SLA",
            "Whether tickets under a policy meet their targets.",
            vec![
                w(
                    "SLA compliance",
                    SlaCompliance,
                    Nothing,
                    Nothing,
                    30,
                    Number,
                    (0, 0, 4, 2),
                ),
                w(
                    "Compliance per week",
                    SlaCompliance,
                    Week,
                    Nothing,
                    90,
                    Line,
                    (4, 0, 8, 4),
                ),
                w(
                    "By priority",
                    SlaCompliance,
                    Priority,
                    Nothing,
                    30,
                    Bar,
                    (0, 2, 4, 4),
                ),
                w(
                    "By channel",
                    SlaCompliance,
                    Channel,
                    Nothing,
                    30,
                    Table,
                    (4, 4, 8, 3),
                ),
            ],
        ),
        (
            "csat",
            "CSAT",
            "Survey answers: overall, over time, by channel and agent.",
            vec![
                w(
                    "CSAT, 90 days",
                    Csat,
                    Nothing,
                    Nothing,
                    90,
                    Number,
                    (0, 0, 4, 2),
                ),
                w("CSAT per week", Csat, Week, Nothing, 90, Line, (4, 0, 8, 4)),
                w("By channel", Csat, Channel, Nothing, 90, Bar, (0, 2, 4, 4)),
                w("By agent", Csat, Agent, Nothing, 90, Table, (4, 4, 8, 3)),
            ],
        ),
        (
            "channels",
            "Channels",
            "Each channel's volume, speed and satisfaction.",
            vec![
                w(
                    "Tickets per week by channel",
                    Tickets,
                    Week,
                    Channel,
                    90,
                    Line,
                    (0, 0, 12, 4),
                ),
                w(
                    "First response by channel",
                    FirstResponse,
                    Channel,
                    Nothing,
                    30,
                    Bar,
                    (0, 4, 4, 4),
                ),
                w(
                    "Resolution time by channel",
                    Resolution,
                    Channel,
                    Nothing,
                    30,
                    Bar,
                    (4, 4, 4, 4),
                ),
                w(
                    "CSAT by channel",
                    Csat,
                    Channel,
                    Nothing,
                    90,
                    Bar,
                    (8, 4, 4, 4),
                ),
            ],
        ),
        (
            "ai",
            "AI agent",
            "How much the AI agent resolves, where and over time.",
            vec![
                w(
                    "AI resolution rate",
                    AiResolution,
                    Nothing,
                    Nothing,
                    30,
                    Number,
                    (0, 0, 4, 2),
                ),
                w(
                    "Per week",
                    AiResolution,
                    Week,
                    Nothing,
                    90,
                    Line,
                    (4, 0, 8, 4),
                ),
                w(
                    "By channel",
                    AiResolution,
                    Channel,
                    Nothing,
                    30,
                    Bar,
                    (0, 2, 4, 4),
                ),
                w(
                    "By month",
                    AiResolution,
                    Month,
                    Nothing,
                    365,
                    Table,
                    (4, 4, 8, 3),
                ),
            ],
        ),
    ]
}

/// Refuses a layout that cannot be drawn, naming the widget.
///
/// # Errors
/// `Invalid` naming the field.
pub fn check_layout(name: &str, widgets: &[Widget]) -> ServiceResult<()> {
    if name.trim().is_empty() {
        return Err(ServiceError::invalid("name", "Name the dashboard."));
    }
    if name.trim().chars().count() > MAX_NAME {
        return Err(ServiceError::invalid(
            "name",
            "A dashboard name can be at most 80 characters.",
        ));
    }
    if widgets.len() > MAX_WIDGETS {
        return Err(ServiceError::invalid(
            "widgets",
            "A dashboard holds at most 24 widgets: make a second dashboard.",
        ));
    }
    for (i, wg) in widgets.iter().enumerate() {
        let n = i + 1;
        if wg.title.trim().is_empty() || wg.title.chars().count() > MAX_NAME {
            return Err(ServiceError::invalid(
                "widgets",
                format!("Widget {n}: give it a title of at most 80 characters."),
            ));
        }
        if !(2..=GRID_COLUMNS).contains(&wg.w) || wg.x + wg.w > GRID_COLUMNS {
            return Err(ServiceError::invalid("widgets", format!("Widget {n} (\u{201c}{}\u{201d}) does not fit the 12 columns: make it 2 to 12 wide, inside the grid.", wg.title)));
        }
        if !(2..=8).contains(&wg.h) || wg.y > 200 {
            return Err(ServiceError::invalid(
                "widgets",
                format!(
                    "Widget {n} (\u{201c}{}\u{201d}) must be 2 to 8 rows high.",
                    wg.title
                ),
            ));
        }
        if let Some((j, other)) = widgets[..i].iter().enumerate().find(|(_, o)| {
            o.x < wg.x + wg.w
                && wg.x < o.x + o.w
                && o.y < wg.y + u16::from(wg.h)
                && wg.y < o.y + u16::from(o.h)
        }) {
            return Err(ServiceError::invalid("widgets", format!("Widgets {} (\u{201c}{}\u{201d}) and {n} (\u{201c}{}\u{201d}) overlap: move one of them.", j + 1, other.title, wg.title)));
        }
        check(&wg.spec).map_err(|e| match e {
            ServiceError::Invalid { message, .. } => ServiceError::invalid(
                "widgets",
                format!("Widget {n} (\u{201c}{}\u{201d}): {message}", wg.title),
            ),
            other => other,
        })?;
    }
    Ok(())
}

fn widgets_of(d: &dashboard::Model) -> ServiceResult<Vec<Widget>> {
    serde_json::from_str(&d.widgets)
        .map_err(|e| ServiceError::Internal(format!("dashboard {} widgets: {e}", d.id)))
}

fn share_path(token: &str) -> String {
    format!("/share/dashboards/{token}")
}

/// The dashboards and templates.
///
/// # Errors
/// Permission; database errors.
pub async fn page(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<DashboardsPage> {
    actor.require(Action::ViewReports)?;
    let rows = actor
        .scope
        .find::<dashboard::Entity>()
        .order_by_asc(dashboard::Column::Name)
        .all(db)
        .await?;
    let mut dashboards = Vec::with_capacity(rows.len());
    for d in rows {
        dashboards.push(DashboardSummary {
            id: d.id,
            widgets: widgets_of(&d)?.len(),
            shared: d.share_token.is_some(),
            name: d.name,
        });
    }
    Ok(DashboardsPage {
        dashboards,
        templates: templates()
            .into_iter()
            .map(|(key, name, description, _)| DashboardTemplate {
                key: key.into(),
                name: name.into(),
                description: description.into(),
            })
            .collect(),
        can_manage: actor.can(Action::ManageReports),
    })
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<dashboard::Model> {
    scope
        .find::<dashboard::Entity>()
        .filter(dashboard::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("dashboard"))
}

async fn name_taken(
    db: &impl ConnectionTrait,
    scope: Scoped,
    name: &str,
    except: Option<i32>,
) -> ServiceResult<bool> {
    Ok(scope
        .find::<dashboard::Entity>()
        .filter(dashboard::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some_and(|d| Some(d.id) != except))
}

/// Creates a dashboard from a template (`None`: empty). Returns its id.
///
/// # Errors
/// Permission; `Invalid` name or template; `Conflict` on a taken name.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    name: &str,
    template: Option<&str>,
) -> ServiceResult<i32> {
    actor.require(Action::ManageReports)?;
    let widgets = match template.filter(|t| !t.is_empty()) {
        None => Vec::new(),
        Some(key) => templates()
            .into_iter()
            .find(|t| t.0 == key)
            .map(|t| t.3)
            .ok_or_else(|| {
                ServiceError::invalid("template", "Choose a dashboard from the list.")
            })?,
    };
    let name = name.trim();
    check_layout(name, &widgets)?;
    if name_taken(db, actor.scope, name, None).await? {
        return Err(ServiceError::conflict(
            "name",
            format!("A dashboard named \u{201c}{name}\u{201d} exists: choose another name."),
        ));
    }
    let t = now();
    let row = dashboard::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        name: Set(name.to_owned()),
        widgets: Set(
            serde_json::to_string(&widgets).map_err(|e| ServiceError::Internal(e.to_string()))?
        ),
        share_token: Set(None),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

async fn computed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    widgets: Vec<Widget>,
) -> ServiceResult<Vec<WidgetView>> {
    let cx = Context::load(db, actor).await?;
    let mut out = Vec::with_capacity(widgets.len());
    for widget in widgets {
        let result = match run_in(db, actor, &cx, &widget.spec).await {
            Ok(r) => Ok(r),
            Err(ServiceError::Invalid { message, .. }) => Err(message),
            Err(e) => return Err(e),
        };
        out.push(WidgetView { widget, result });
    }
    Ok(out)
}

/// A dashboard with every widget computed.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> ServiceResult<BoardView> {
    actor.require(Action::ViewReports)?;
    let d = find(db, actor.scope, id).await?;
    let widgets = computed(db, actor, widgets_of(&d)?).await?;
    let can_manage = actor.can(Action::ManageReports);
    Ok(BoardView {
        id: d.id,
        name: d.name,
        widgets,
        share_path: d
            .share_token
            .as_deref()
            .filter(|_| can_manage)
            .map(share_path),
        can_manage,
    })
}

/// The Overview dashboard for Home: the template's widgets, computed.
///
/// # Errors
/// Permission; database errors.
pub async fn home(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Vec<WidgetView>> {
    actor.require(Action::ViewReports)?;
    let widgets = templates()
        .into_iter()
        .next()
        .map(|t| t.3)
        .unwrap_or_default();
    computed(db, actor, widgets).await
}

/// Saves a dashboard's name and layout.
///
/// # Errors
/// Permission; `Invalid` layout; `Conflict` on a taken name; `NotFound`.
pub async fn save(
    db: &impl ConnectionTrait,
    actor: &Actor,
    form: &SaveDashboardForm,
) -> ServiceResult<()> {
    actor.require(Action::ManageReports)?;
    let d = find(db, actor.scope, form.id).await?;
    let name = form.name.trim();
    check_layout(name, &form.widgets)?;
    if name_taken(db, actor.scope, name, Some(d.id)).await? {
        return Err(ServiceError::conflict(
            "name",
            format!("A dashboard named \u{201c}{name}\u{201d} exists: choose another name."),
        ));
    }
    let mut a: dashboard::ActiveModel = d.into();
    a.name = Set(name.to_owned());
    a.widgets =
        Set(serde_json::to_string(&form.widgets)
            .map_err(|e| ServiceError::Internal(e.to_string()))?);
    a.updated_at = Set(now());
    a.update(db).await?;
    Ok(())
}

/// Deletes a dashboard (its share link stops working).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ManageReports)?;
    let d = find(db, actor.scope, id).await?;
    actor
        .scope
        .delete_many::<dashboard::Entity>()
        .filter(dashboard::Column::Id.eq(d.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Turns the share link on (a new secret link) or off (the old link stops
/// working). Returns the link's path while on.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn share(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
    on: bool,
) -> ServiceResult<Option<String>> {
    actor.require(Action::ManageReports)?;
    let d = find(db, actor.scope, id).await?;
    let token = on.then(|| crate::services::security::new_token().0);
    let mut a: dashboard::ActiveModel = d.into();
    a.share_token = Set(token.clone());
    a.updated_at = Set(now());
    a.update(db).await?;
    Ok(token.as_deref().map(share_path))
}

/// A shared dashboard, read-only, by its link's token: computed as its
/// workspace's owner would see it, through an actor limited to reports.
///
/// # Errors
/// `NotFound` for an unknown or revoked link; database errors.
pub async fn shared(
    db: &impl ConnectionTrait,
    token: &str,
) -> ServiceResult<(String, Vec<WidgetView>)> {
    if token.len() < 32
        || token.len() > 64
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ServiceError::NotFound("dashboard"));
    }
    let d = crate::services::tenancy::dashboard_by_share_token(token)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("dashboard"))?;
    let viewer = Actor {
        user_id: d.created_by.unwrap_or(0),
        name: "Shared link".into(),
        email: String::new(),
        role: crate::permissions::Role::Agent,
        scope: Scoped::new(d.workspace_id),
    };
    let widgets = computed(db, &viewer, widgets_of(&d)?).await?;
    Ok((d.name, widgets))
}
