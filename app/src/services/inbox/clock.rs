//! Each ticket's SLA clock as the inbox shows it: the nearest target it has yet
//! to meet (first reply, next reply, resolution), from the due times the SLA
//! stage wrote on the conversation.

use super::super::tenancy::Scoped;
use super::super::ServiceResult;
use crate::types::{SlaClock, Status};
use chrono::{DateTime, Utc};
use entity::{conversation, sla_policy};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use std::collections::HashMap;

/// The nearest target the ticket has yet to meet: (metric, due). None for a
/// solved, closed or merged ticket, or one without targets.
pub fn nearest(c: &conversation::Model) -> Option<(&'static str, DateTime<Utc>)> {
    let st = Status::parse(&c.status).unwrap_or(Status::Open);
    if !st.is_open() || c.merged_into_id.is_some() {
        return None;
    }
    let mut out: Option<(&'static str, DateTime<Utc>)> = None;
    let mut consider = |m: &'static str, d: Option<DateTime<Utc>>| {
        if let Some(d) = d {
            if out.is_none_or(|(_, x)| d < x) {
                out = Some((m, d));
            }
        }
    };
    if c.first_response_at.is_none() {
        consider("first_response", c.first_response_due_at);
    }
    consider("next_response", c.next_response_due_at);
    if c.solved_at.is_none() && c.sla_paused_at.is_none() {
        consider("resolution", c.resolution_due_at);
    }
    out
}

/// The clocks of a list of tickets, by conversation id.
///
/// # Errors
/// Database errors.
pub async fn clocks(
    db: &impl ConnectionTrait,
    scope: Scoped,
    convs: &[conversation::Model],
) -> ServiceResult<HashMap<i32, SlaClock>> {
    let mut ids: Vec<i32> = convs.iter().filter_map(|c| c.sla_policy_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort_unstable();
    ids.dedup();
    let policies: HashMap<i32, sla_policy::Model> = scope
        .find::<sla_policy::Entity>()
        .filter(sla_policy::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(convs
        .iter()
        .filter_map(|c| {
            let p = policies.get(&c.sla_policy_id?);
            let policy = p.map(|p| p.name.clone()).unwrap_or_default();
            let Some((metric, due)) = nearest(c) else {
                // Waiting on the customer: the resolution clock stands still.
                let due = c.resolution_due_at.filter(|_| {
                    c.sla_paused_at.is_some() && c.solved_at.is_none() && c.merged_into_id.is_none()
                })?;
                return Some((
                    c.id,
                    SlaClock {
                        metric: "resolution".to_owned(),
                        due: due.timestamp(),
                        warn: due.timestamp(),
                        policy,
                        paused: true,
                    },
                ));
            };
            let warn = i64::from(p.map_or(0, |p| p.warn_mins)) * 60;
            Some((
                c.id,
                SlaClock {
                    metric: metric.to_owned(),
                    due: due.timestamp(),
                    warn: due.timestamp() - warn,
                    policy,
                    paused: false,
                },
            ))
        })
        .collect())
}
