//! Product tours (SPEC C10.5).
//!
//! - **Building** (`ManageCampaigns`): the admin app edits a tour's draft —
//!   its steps (recorded by pointing on the customer's own page through the
//!   builder overlay, `public/widget-tour-builder.js`, which hands each step to
//!   the editor window), their text, placement, what advances them and what a
//!   missing element does — and its rules (the targeted messages' page, time,
//!   audience and segment rules, and a frequency). **Publishing** copies the
//!   draft to the steps visitors get and makes the tour live; pausing stops it.
//! - **Running** ([`for_page`]): on each page view the widget reports, the
//!   oldest live tour whose rules hold and whose frequency allows it is
//!   answered with its published steps; the tour runtime
//!   (`public/widget-tour.js`) is fetched only then.
//! - **Counting** ([`record`]): per visitor, step and kind once (`shown`,
//!   `missing`, `dismissed`), and `completed` for the tour.

use super::activity::{self, Entry, Who};
use super::behaviour;
use super::channels::widget::{self, Visitor};
use super::context::{Actor, RequestMeta};
use super::segments;
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    ShownTour, TargetRules, TourForm, TourStep, TourStepStats, TourView, ToursPage,
};
use entity::{tour, tour_event};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet};

/// Tours a workspace can have.
pub const MAX_TOURS: usize = 100;
/// What a visitor's runtime reports.
pub const TOUR_EVENTS: &[&str] = &["shown", "missing", "dismissed", "completed"];

fn steps_of(json: &str) -> Vec<TourStep> {
    serde_json::from_str(json).unwrap_or_default()
}

fn rules_of(t: &tour::Model) -> TargetRules {
    serde_json::from_str(&t.rules).unwrap_or_default()
}

fn form_of(t: &tour::Model) -> TourForm {
    TourForm {
        id: Some(t.id),
        name: t.name.clone(),
        start_url: t.start_url.clone(),
        steps: steps_of(&t.steps),
        rules: rules_of(t),
        frequency: t.frequency.clone(),
    }
}

type Counts = BTreeMap<(i32, String, String), u64>;

async fn counts(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Counts> {
    use tour_event::Column as E;
    let rows: Vec<(i32, String, String, i64)> = scope
        .find::<tour_event::Entity>()
        .select_only()
        .column(E::TourId)
        .column(E::Step)
        .column(E::Event)
        .column_as(Expr::col(E::Id).count(), "n")
        .group_by(E::TourId)
        .group_by(E::Step)
        .group_by(E::Event)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(t, s, e, n)| ((t, s, e), u64::try_from(n).unwrap_or_default()))
        .collect())
}

fn view(t: &tour::Model, names: &BTreeMap<i32, String>, counts: &Counts) -> TourView {
    let form = form_of(t);
    let published = steps_of(&t.published_steps);
    let n = |step: &str, event: &str| {
        counts
            .get(&(t.id, step.to_owned(), event.to_owned()))
            .copied()
            .unwrap_or_default()
    };
    let seg = form
        .rules
        .segment_id
        .and_then(|s| names.get(&s))
        .map(String::as_str);
    TourView {
        summary: form.rules.summary(seg),
        status: t.status.clone(),
        unpublished_changes: t.published_at.is_none() || published != form.steps,
        published_steps: published.len(),
        started: published.first().map_or(0, |s| n(&s.id, "shown")),
        completed: n("", "completed"),
        steps: published
            .iter()
            .map(|s| TourStepStats {
                id: s.id.clone(),
                title: s.title.clone(),
                shown: n(&s.id, "shown"),
                missing: n(&s.id, "missing"),
                dismissed: n(&s.id, "dismissed"),
            })
            .collect(),
        updated_at: t.updated_at.to_rfc3339(),
        form,
    }
}

/// The workspace's tours (newest first) with their analytics.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<ToursPage> {
    actor.require(Action::ManageCampaigns)?;
    let db = &state.db;
    let rows = actor
        .scope
        .find::<tour::Entity>()
        .order_by_desc(tour::Column::Id)
        .all(db)
        .await?;
    let segments = segments::names(db, actor.scope).await?;
    let names: BTreeMap<i32, String> = segments.iter().cloned().collect();
    let counts = counts(db, actor.scope).await?;
    Ok(ToursPage {
        tours: rows.iter().map(|t| view(t, &names, &counts)).collect(),
        segments,
    })
}

async fn find(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<tour::Model> {
    scope
        .find::<tour::Entity>()
        .filter(tour::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Tour"))
}

async fn finish(
    uow: UnitOfWork,
    actor: &Actor,
    meta: &RequestMeta,
    action: &str,
    before: Option<serde_json::Value>,
    row: &tour::Model,
) -> ServiceResult<TourView> {
    let scope = actor.scope;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new(action).target("tour", row.id).diff(
            before,
            serde_json::to_value(form_of(row)).ok().map(|mut v| {
                v["status"] = serde_json::json!(row.status);
                v
            }),
        ),
    )
    .await?;
    let names: BTreeMap<i32, String> = segments::names(&*uow, scope).await?.into_iter().collect();
    let counts = counts(&*uow, scope).await?;
    let v = view(row, &names, &counts);
    uow.commit().await?;
    Ok(v)
}

fn json<T: serde::Serialize>(v: &T) -> ServiceResult<String> {
    serde_json::to_string(v).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Creates a tour (a draft) or saves a tour's draft and rules.
///
/// # Errors
/// Permission; `Invalid` naming the field (a segment not the workspace's
/// too); `NotFound`; `Conflict` at the limit.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    form: &TourForm,
    meta: &RequestMeta,
) -> ServiceResult<TourView> {
    actor.require(Action::ManageCampaigns)?;
    if let Some((field, message)) = form.problem() {
        return Err(ServiceError::invalid(field, message));
    }
    let scope = actor.scope;
    let uow = UnitOfWork::begin(state).await?;
    segments::require_own(&*uow, scope, form.rules.segment_id).await?;
    let t = now();
    let (before, mut am) = match form.id {
        Some(id) => {
            let row = find(&*uow, scope, id).await?;
            (
                serde_json::to_value(form_of(&row)).ok(),
                row.into_active_model(),
            )
        }
        None => {
            let count = scope
                .find::<tour::Entity>()
                .select_only()
                .column(tour::Column::Id)
                .into_tuple::<i32>()
                .all(&*uow)
                .await?
                .len();
            if count >= MAX_TOURS {
                return Err(ServiceError::conflict(
                    "name",
                    "A workspace can have 100 tours; delete old ones first.",
                ));
            }
            (
                None,
                tour::ActiveModel {
                    workspace_id: Set(scope.workspace_id()),
                    status: Set("draft".into()),
                    published_steps: Set("[]".into()),
                    published_at: Set(None),
                    created_at: Set(t),
                    ..Default::default()
                },
            )
        }
    };
    let steps: Vec<TourStep> = form
        .steps
        .iter()
        .map(|s| TourStep {
            title: s.title.trim().to_owned(),
            body: s.body.trim().to_owned(),
            ..s.clone()
        })
        .collect();
    am.name = Set(form.name.trim().to_owned());
    am.start_url = Set(form.start_url.trim().to_owned());
    am.steps = Set(json(&steps)?);
    am.rules = Set(json(&TargetRules {
        page_value: form.rules.page_value.trim().to_owned(),
        ..form.rules.clone()
    })?);
    am.frequency = Set(form.frequency.clone());
    am.updated_at = Set(t);
    let row = if before.is_some() {
        am.update(&*uow).await?
    } else {
        am.insert(&*uow).await?
    };
    let action = if before.is_some() {
        "tour.updated"
    } else {
        "tour.created"
    };
    finish(uow, actor, meta, action, before, &row).await
}

/// Publishes a tour's draft steps and makes it live (`live`), or pauses it
/// (`paused`).
///
/// # Errors
/// Permission; `NotFound`; `Invalid` (no steps, or another status).
pub async fn set_status(
    state: &AppState,
    actor: &Actor,
    id: i32,
    status: &str,
    meta: &RequestMeta,
) -> ServiceResult<TourView> {
    actor.require(Action::ManageCampaigns)?;
    let uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor.scope, id).await?;
    let before = Some(
        serde_json::json!({ "status": row.status, "published_steps": steps_of(&row.published_steps).len() }),
    );
    let steps = steps_of(&row.steps);
    let mut am = row.into_active_model();
    let t = now();
    let action = match status {
        "live" => {
            if steps.is_empty() {
                return Err(ServiceError::invalid(
                    "steps",
                    "Record at least one step on your page before publishing.",
                ));
            }
            am.published_steps = Set(json(&steps)?);
            am.published_at = Set(Some(t));
            "tour.published"
        }
        "paused" => "tour.paused",
        _ => {
            return Err(ServiceError::invalid(
                "status",
                "A tour is published (live) or paused.",
            ))
        }
    };
    am.status = Set(status.to_owned());
    am.updated_at = Set(t);
    let row = am.update(&*uow).await?;
    finish(uow, actor, meta, action, before, &row).await
}

/// Deletes a tour and its analytics.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageCampaigns)?;
    let uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor.scope, id).await?;
    actor
        .scope
        .delete_many::<tour_event::Entity>()
        .filter(tour_event::Column::TourId.eq(row.id))
        .exec(&*uow)
        .await?;
    actor
        .scope
        .delete_many::<tour::Entity>()
        .filter(tour::Column::Id.eq(row.id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("tour.deleted")
            .target("tour", row.id)
            .diff(serde_json::to_value(form_of(&row)).ok(), None),
    )
    .await?;
    uow.commit().await
}

/// The names of the tours that target segment `id`.
///
/// # Errors
/// Database errors.
pub async fn using_segment(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<Vec<String>> {
    Ok(scope
        .find::<tour::Entity>()
        .order_by_asc(tour::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|t| rules_of(t).segment_id == Some(id))
        .map(|t| t.name)
        .collect())
}

/// The tour to run for a visitor on the page at `url` (checked by
/// `behaviour::check_page`), if any: the oldest live one whose rules hold
/// and whose frequency allows it (`once`: never started; `until_dismissed`:
/// neither closed nor finished; `every_page`).
///
/// # Errors
/// Database errors.
pub async fn for_page(
    state: &AppState,
    v: &Visitor,
    url: &str,
) -> ServiceResult<Option<ShownTour>> {
    let db = &state.db;
    let live: Vec<(tour::Model, TargetRules)> = v
        .scope
        .find::<tour::Entity>()
        .filter(tour::Column::Status.eq("live"))
        .order_by_asc(tour::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            let r = rules_of(&t);
            (t, r)
        })
        .filter(|(_, r)| r.matches_url(url) && r.admits(v.customer_id.is_some()))
        .collect();
    if live.is_empty() {
        return Ok(None);
    }
    let mine: BTreeSet<(i32, String)> = v
        .scope
        .find::<tour_event::Entity>()
        .filter(tour_event::Column::VisitorId.eq(&v.visitor_id))
        .filter(tour_event::Column::TourId.is_in(live.iter().map(|(t, _)| t.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.tour_id, e.event))
        .collect();
    let wanted: BTreeSet<i32> = live.iter().filter_map(|(_, r)| r.segment_id).collect();
    let members = widget::in_segments(db, v, &wanted).await?;
    let color = widget::accent(&v.settings);
    for (t, r) in live {
        let has = |e: &str| mine.contains(&(t.id, e.to_owned()));
        let allowed = match t.frequency.as_str() {
            "every_page" => true,
            "until_dismissed" => !has("dismissed") && !has("completed"),
            _ => !has("shown"),
        };
        let in_segment = r
            .segment_id
            .is_none_or(|s| members.get(&s).copied().unwrap_or(false));
        let steps = steps_of(&t.published_steps);
        if allowed && in_segment && !steps.is_empty() {
            return Ok(Some(ShownTour {
                id: t.id,
                steps,
                delay_seconds: r.seconds_on_page,
                color,
            }));
        }
    }
    Ok(None)
}

/// Counts what a visitor's runtime reports: `shown`, `missing`, `dismissed`
/// at a step, or `completed` (step `""`). Once per visitor, step and kind.
///
/// # Errors
/// `Invalid` (event or a step the published tour lacks); `NotFound` (not this
/// workspace's tour); `RateLimited`.
pub async fn record(
    state: &AppState,
    v: &Visitor,
    tour_id: i32,
    step: &str,
    event: &str,
) -> ServiceResult<()> {
    if !TOUR_EVENTS.contains(&event) {
        return Err(ServiceError::invalid(
            "event",
            "The event is shown, missing, dismissed or completed.",
        ));
    }
    behaviour::limited(state, v)?;
    let t = find(&state.db, v.scope, tour_id).await?;
    let step = if event == "completed" { "" } else { step };
    if event != "completed" && !steps_of(&t.published_steps).iter().any(|s| s.id == step) {
        return Err(ServiceError::invalid("step", "The tour has no such step."));
    }
    use tour_event::Column as E;
    tour_event::Entity::insert(tour_event::ActiveModel {
        workspace_id: Set(v.scope.workspace_id()),
        tour_id: Set(t.id),
        visitor_id: Set(v.visitor_id.clone()),
        step: Set(step.to_owned()),
        event: Set(event.to_owned()),
        created_at: Set(now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([E::TourId, E::VisitorId, E::Step, E::Event])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(())
}
