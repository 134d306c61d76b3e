//! The policy engine: workspace rules, tried in the order the admin set, each
//! matching on tool, risk, amount, a conversation tag, the customer's segment and
//! channel; the first enabled match decides allow / deny / require approval, and
//! the workspace default decides when none matches. `decide` is pure, so the page's
//! tester, the proposal and the re-check just before execution give the same answer
//! for the same facts.

use super::registry;
use crate::permissions::Action;
use crate::services::activity::{self, Entry, Who};
use crate::services::ai::settings;
use crate::services::bus::Event;
use crate::services::context::{Actor, RequestMeta};
use crate::services::tenancy::Scoped;
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{
    Channel, Effect, PoliciesView, PolicyForm, PolicyOutcome, PolicyProbe, PolicyView, Risk,
};
use entity::ai_policy;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TryIntoModel,
};

/// The facts a decision rests on.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    /// Tool name.
    pub tool: &'a str,
    /// The tool's risk.
    pub risk: Risk,
    /// Money involved (minor units).
    pub amount: i64,
    /// Tags on the conversation.
    pub tags: &'a [String],
    /// The conversation's channel.
    pub channel: Option<&'a str>,
    /// The segments the customer is in, of those the rules test (filled by
    /// [`decide_now`] from the customer it is given).
    pub segments: &'a [i32],
}

/// A decision and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// What happens.
    pub effect: Effect,
    /// Which rule, in words.
    pub reason: String,
    /// The rule.
    pub policy_id: Option<i32>,
}

fn matches(r: &ai_policy::Model, f: &Facts<'_>) -> bool {
    r.enabled
        && r.tool.as_deref().is_none_or(|t| t == f.tool)
        && r.min_risk
            .as_deref()
            .and_then(Risk::parse)
            .is_none_or(|min| f.risk >= min)
        && (r.amount_over <= 0 || f.amount > r.amount_over)
        && r.segment_tag
            .as_deref()
            .is_none_or(|t| f.tags.iter().any(|x| x == t))
        && r.channel.as_deref().is_none_or(|c| f.channel == Some(c))
        && r.segment_id.is_none_or(|s| f.segments.contains(&s))
}

/// Tools that give customers money back: whatever a rule or the default says,
/// they run only once a person approves (a rule may still deny them).
pub const ALWAYS_APPROVED: &[&str] = &["refund_order", "return_items", "exchange_items"];

/// The first enabled rule (by position) matching `f`, else `default`; a tool
/// in [`ALWAYS_APPROVED`] that would run at once waits for approval instead.
pub fn decide(rules: &[ai_policy::Model], default: Effect, f: &Facts<'_>) -> Decision {
    let d = first_match(rules, default, f);
    if d.effect == Effect::Allow && ALWAYS_APPROVED.contains(&f.tool) {
        return Decision {
            effect: Effect::Approval,
            reason: format!(
                "{}; money goes back to customers only with a person's approval",
                d.reason
            ),
            policy_id: d.policy_id,
        };
    }
    d
}

fn first_match(rules: &[ai_policy::Model], default: Effect, f: &Facts<'_>) -> Decision {
    let mut sorted: Vec<&ai_policy::Model> = rules.iter().collect();
    sorted.sort_by_key(|r| (r.position, r.id));
    for (i, r) in sorted.iter().enumerate() {
        if matches(r, f) {
            let effect = Effect::parse(&r.effect).unwrap_or(Effect::Approval);
            return Decision {
                effect,
                reason: format!(
                    "Rule {} “{}”: {}",
                    i + 1,
                    r.name,
                    effect.label().to_lowercase()
                ),
                policy_id: Some(r.id),
            };
        }
    }
    Decision {
        effect: default,
        reason: format!(
            "No rule matched; the workspace default: {}",
            default.label().to_lowercase()
        ),
        policy_id: None,
    }
}

/// The workspace's rules, in order.
///
/// # Errors
/// Database errors.
pub async fn rules(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<ai_policy::Model>> {
    Ok(scope
        .find::<ai_policy::Entity>()
        .order_by_asc(ai_policy::Column::Position)
        .order_by_asc(ai_policy::Column::Id)
        .all(db)
        .await?)
}

/// The workspace's default effect.
///
/// # Errors
/// Database errors.
pub async fn default_effect(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Effect> {
    let s = settings::load(db, scope).await?;
    Ok(s.row
        .as_ref()
        .and_then(|r| Effect::parse(&r.action_default))
        .unwrap_or(Effect::Approval))
}

/// Decides with the workspace's current rules. With `customer_id`, the
/// customer's membership of the segments that enabled rules test is read first
/// (one query per such segment; none when no rule tests a segment).
///
/// # Errors
/// Database errors.
pub async fn decide_now(
    db: &impl ConnectionTrait,
    scope: Scoped,
    f: &Facts<'_>,
    customer_id: Option<i32>,
) -> ServiceResult<Decision> {
    let r = rules(db, scope).await?;
    let d = default_effect(db, scope).await?;
    let tested: std::collections::BTreeSet<i32> = r
        .iter()
        .filter(|x| x.enabled)
        .filter_map(|x| x.segment_id)
        .collect();
    let (Some(customer), false) = (customer_id, tested.is_empty()) else {
        return Ok(decide(&r, d, f));
    };
    let member: Vec<i32> = crate::services::segments::memberships(db, scope, &tested, customer)
        .await?
        .into_iter()
        .filter_map(|(id, hit)| hit.then_some(id))
        .collect();
    Ok(decide(
        &r,
        d,
        &Facts {
            segments: &member,
            ..f.clone()
        },
    ))
}

/// The names of the workspace's policy rules that match only segment `id`'s
/// customers (a segment in use cannot be deleted).
///
/// # Errors
/// Database errors.
pub async fn using_segment(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<Vec<String>> {
    Ok(scope
        .find::<ai_policy::Entity>()
        .filter(ai_policy::Column::SegmentId.eq(id))
        .order_by_asc(ai_policy::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect())
}

/// Parses "100", "99.5" or "1,250.00" into minor units.
///
/// # Errors
/// `Invalid` naming `field`.
pub fn parse_amount(s: &str, field: &'static str) -> ServiceResult<i64> {
    let t = s.trim().replace(',', "");
    if t.is_empty() {
        return Ok(0);
    }
    let bad = || {
        ServiceError::invalid(
            field,
            format!("`{s}` is not an amount: write it like 100 or 99.50."),
        )
    };
    let v: f64 = t.parse().map_err(|_| bad())?;
    if !v.is_finite() || !(0.0..=1e12).contains(&v) {
        return Err(bad());
    }
    #[allow(clippy::cast_possible_truncation, reason = "bounded above")]
    Ok((v * 100.0).round() as i64)
}

/// Minor units as "1,250.00".
pub fn fmt_amount(minor: i64) -> String {
    let major = minor / 100;
    let cents = (minor % 100).abs();
    let digits = major.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}{out}.{cents:02}", if minor < 0 { "-" } else { "" })
}

fn summary(r: &ai_policy::Model, segments: &[(i32, String)]) -> String {
    let mut parts = Vec::new();
    parts.push(match &r.tool {
        Some(t) => format!("tool {t}"),
        None => "any tool".into(),
    });
    if let Some(m) = r.min_risk.as_deref().and_then(Risk::parse) {
        parts.push(format!("{} or higher", m.label().to_lowercase()));
    }
    if r.amount_over > 0 {
        parts.push(format!("amount over {}", fmt_amount(r.amount_over)));
    }
    if let Some(t) = &r.segment_tag {
        parts.push(format!("tagged {t}"));
    }
    if let Some(c) = &r.channel {
        parts.push(format!("on {c}"));
    }
    if let Some(s) = r.segment_id {
        parts.push(match segments.iter().find(|(i, _)| *i == s) {
            Some((_, n)) => format!("customer in “{n}”"),
            None => "customer in a deleted segment".to_owned(),
        });
    }
    parts.join(", ")
}

fn view(i: usize, r: &ai_policy::Model, segments: &[(i32, String)]) -> PolicyView {
    PolicyView {
        id: r.id,
        position: i32::try_from(i + 1).unwrap_or(i32::MAX),
        name: r.name.clone(),
        effect: Effect::parse(&r.effect).unwrap_or(Effect::Approval),
        tool: r.tool.clone(),
        min_risk: r.min_risk.as_deref().and_then(Risk::parse),
        amount_over: r.amount_over,
        segment_tag: r.segment_tag.clone(),
        channel: r.channel.clone(),
        segment_id: r.segment_id,
        enabled: r.enabled,
        summary: summary(r, segments),
    }
}

/// The policy page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<PoliciesView> {
    actor.require(Action::ManageAiPolicies)?;
    let r = rules(&state.db, actor.scope).await?;
    let segments = crate::services::segments::names(&state.db, actor.scope).await?;
    Ok(PoliciesView {
        rules: r
            .iter()
            .enumerate()
            .map(|(i, x)| view(i, x, &segments))
            .collect(),
        segments,
        default_effect: default_effect(&state.db, actor.scope).await?,
        tools: registry::get().views(),
    })
}

struct Checked {
    name: String,
    effect: Effect,
    tool: Option<String>,
    min_risk: Option<Risk>,
    amount_over: i64,
    segment_tag: Option<String>,
    channel: Option<String>,
}

fn check(f: &PolicyForm) -> ServiceResult<Checked> {
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "Give the rule a name of 1 to 80 characters.",
        ));
    }
    let effect = Effect::parse(f.effect.trim()).ok_or_else(|| {
        ServiceError::invalid("effect", "Choose allow, deny or require approval.")
    })?;
    let tool = match f.tool.trim() {
        "" => None,
        t if registry::get().tool(t).is_some() => Some(t.to_owned()),
        t => {
            return Err(ServiceError::invalid(
                "tool",
                format!("There is no tool named `{t}`."),
            ))
        }
    };
    let min_risk = match f.min_risk.trim() {
        "" => None,
        r => Some(Risk::parse(r).ok_or_else(|| {
            ServiceError::invalid("min_risk", "Choose low, medium or high (or any).")
        })?),
    };
    let amount_over = parse_amount(&f.amount_over, "amount_over")?;
    let segment_tag = match f.segment_tag.trim() {
        "" => None,
        t => Some(
            crate::services::inbox::conversations::normalize_tag(t).map_err(|_| {
                ServiceError::invalid(
                    "segment_tag",
                    "A tag is letters, digits, - _ / . (up to 50).",
                )
            })?,
        ),
    };
    let channel = match f.channel.trim() {
        "" => None,
        c => Some(
            Channel::parse(c)
                .ok_or_else(|| {
                    ServiceError::invalid("channel", format!("`{c}` is not a channel."))
                })?
                .as_str()
                .to_owned(),
        ),
    };
    Ok(Checked {
        name: name.to_owned(),
        effect,
        tool,
        min_risk,
        amount_over,
        segment_tag,
        channel,
    })
}

fn snapshot(r: &ai_policy::Model) -> serde_json::Value {
    serde_json::json!({
        "name": r.name, "effect": r.effect, "tool": r.tool, "min_risk": r.min_risk,
        "amount_over": r.amount_over, "segment_tag": r.segment_tag, "channel": r.channel,
        "segment_id": r.segment_id,
        "enabled": r.enabled, "position": r.position,
    })
}

/// Creates (`id` 0, appended last) or changes a rule.
///
/// # Errors
/// Permission; `Invalid` naming the field; `NotFound`.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: i32,
    f: &PolicyForm,
    meta: &RequestMeta,
) -> ServiceResult<PoliciesView> {
    actor.require(Action::ManageAiPolicies)?;
    let c = check(f)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    crate::services::segments::require_own(&*uow, scope, f.segment_id).await?;
    let t = now();
    let (before, mut am) = if id == 0 {
        let last = rules(&*uow, scope)
            .await?
            .iter()
            .map(|r| r.position)
            .max()
            .unwrap_or(0);
        (
            None,
            ai_policy::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                position: Set(last + 1),
                created_at: Set(t),
                ..Default::default()
            },
        )
    } else {
        let r = find(&*uow, scope, id).await?;
        (Some(snapshot(&r)), r.into_active_model())
    };
    am.name = Set(c.name);
    am.effect = Set(c.effect.as_str().to_owned());
    am.tool = Set(c.tool);
    am.min_risk = Set(c.min_risk.map(|r| r.as_str().to_owned()));
    am.amount_over = Set(c.amount_over);
    am.segment_tag = Set(c.segment_tag);
    am.channel = Set(c.channel);
    am.segment_id = Set(f.segment_id);
    am.enabled = Set(f.enabled);
    am.updated_at = Set(t);
    let saved = am.save(&*uow).await?.try_into_model()?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new(if id == 0 {
            "ai_policy.created"
        } else {
            "ai_policy.updated"
        })
        .target("ai_policy", saved.id)
        .diff(before, Some(snapshot(&saved))),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "action.policy_changed",
        serde_json::json!({"id": saved.id}),
    ));
    uow.commit().await?;
    page(state, actor).await
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<ai_policy::Model> {
    scope
        .find::<ai_policy::Entity>()
        .filter(ai_policy::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Policy rule"))
}

/// Deletes a rule.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<PoliciesView> {
    actor.require(Action::ManageAiPolicies)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let r = find(&*uow, scope, id).await?;
    scope
        .delete_many::<ai_policy::Entity>()
        .filter(ai_policy::Column::Id.eq(id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("ai_policy.deleted")
            .target("ai_policy", id)
            .diff(Some(snapshot(&r)), None),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "action.policy_changed",
        serde_json::json!({"id": id}),
    ));
    uow.commit().await?;
    page(state, actor).await
}

/// Moves a rule one place up or down (renumbering all rules 1..n).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn move_rule(
    state: &AppState,
    actor: &Actor,
    id: i32,
    up: bool,
    meta: &RequestMeta,
) -> ServiceResult<PoliciesView> {
    actor.require(Action::ManageAiPolicies)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let mut all = rules(&*uow, scope).await?;
    let i = all
        .iter()
        .position(|r| r.id == id)
        .ok_or(ServiceError::NotFound("Policy rule"))?;
    let j = if up {
        i.checked_sub(1)
    } else {
        (i + 1 < all.len()).then_some(i + 1)
    };
    if let Some(j) = j {
        all.swap(i, j);
        for (n, r) in all.into_iter().enumerate() {
            let pos = i32::try_from(n + 1).unwrap_or(i32::MAX);
            if r.position != pos {
                let mut am = r.into_active_model();
                am.position = Set(pos);
                am.update(&*uow).await?;
            }
        }
        activity::record(
            &*uow,
            scope,
            &Who::from(actor),
            meta,
            Entry::new("ai_policy.moved").target("ai_policy", id).diff(
                None,
                Some(serde_json::json!({"direction": if up { "up" } else { "down" }})),
            ),
        )
        .await?;
        uow.emit(Event::new(
            scope.workspace_id(),
            "action.policy_changed",
            serde_json::json!({"id": id}),
        ));
    }
    uow.commit().await?;
    page(state, actor).await
}

/// Sets what happens when no rule matches.
///
/// # Errors
/// Permission; `Invalid`.
pub async fn set_default(
    state: &AppState,
    actor: &Actor,
    effect: &str,
    meta: &RequestMeta,
) -> ServiceResult<PoliciesView> {
    actor.require(Action::ManageAiPolicies)?;
    let e = Effect::parse(effect.trim()).ok_or_else(|| {
        ServiceError::invalid("effect", "Choose allow, deny or require approval.")
    })?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let before = default_effect(&*uow, scope).await?;
    settings::set_action_default(&*uow, scope, e.as_str()).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("ai_policy.default_changed").diff(
            Some(serde_json::json!({"default": before.as_str()})),
            Some(serde_json::json!({"default": e.as_str()})),
        ),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "action.policy_changed",
        serde_json::json!({}),
    ));
    uow.commit().await?;
    page(state, actor).await
}

/// "What would happen": the decision for a tool, amount, tags and channel under the
/// current rules, changing nothing.
///
/// # Errors
/// Permission; `Invalid` naming the field.
pub async fn test(
    state: &AppState,
    actor: &Actor,
    p: &PolicyProbe,
) -> ServiceResult<PolicyOutcome> {
    actor.require(Action::ManageAiPolicies)?;
    let tool = registry::get()
        .tool(p.tool.trim())
        .ok_or_else(|| ServiceError::invalid("tool", "Choose a tool to test."))?;
    let amount = parse_amount(&p.amount, "amount")?;
    let tags: Vec<String> = p
        .tags
        .split(',')
        .map(|t| t.trim().to_lowercase().replace(' ', "-"))
        .filter(|t| !t.is_empty())
        .collect();
    let channel = match p.channel.trim() {
        "" => None,
        c => Some(
            Channel::parse(c)
                .ok_or_else(|| {
                    ServiceError::invalid("channel", format!("`{c}` is not a channel."))
                })?
                .as_str(),
        ),
    };
    let d = decide_now(
        &state.db,
        actor.scope,
        &Facts {
            tool: tool.name,
            risk: tool.risk,
            amount,
            tags: &tags,
            channel,
            segments: &p.segment_id.into_iter().collect::<Vec<_>>(),
        },
        None,
    )
    .await?;
    Ok(PolicyOutcome {
        effect: d.effect,
        reason: d.reason,
        policy_id: d.policy_id,
        risk: tool.risk,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rule(id: i32, pos: i32, effect: &str) -> ai_policy::Model {
        ai_policy::Model {
            id,
            workspace_id: 1,
            position: pos,
            name: format!("r{id}"),
            effect: effect.into(),
            tool: None,
            min_risk: None,
            amount_over: 0,
            segment_tag: None,
            segment_id: None,
            channel: None,
            enabled: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn first_match_wins_in_order_and_default_applies() {
        let mut big = rule(1, 2, "approval");
        big.amount_over = 10_000;
        let mut vip = rule(2, 1, "deny");
        vip.segment_tag = Some("vip".into());
        let mut low = rule(3, 3, "allow");
        low.min_risk = None;
        low.tool = Some("tag_ticket".into());
        let rules = vec![big, vip, low];
        let f = |tool, amount, tags: &'static [String]| Facts {
            tool,
            risk: Risk::High,
            amount,
            tags,
            channel: Some("chat"),
            segments: &[],
        };
        let vip_tags: &'static [String] = Box::leak(vec!["vip".to_owned()].into_boxed_slice());
        assert_eq!(
            decide(&rules, Effect::Deny, &f("create_expense", 20_000, vip_tags)).policy_id,
            Some(2)
        );
        assert_eq!(
            decide(&rules, Effect::Deny, &f("create_expense", 20_000, &[])).effect,
            Effect::Approval
        );
        assert_eq!(
            decide(&rules, Effect::Deny, &f("tag_ticket", 0, &[])).effect,
            Effect::Allow
        );
        let d = decide(&rules, Effect::Deny, &f("close_ticket", 0, &[]));
        assert_eq!((d.effect, d.policy_id), (Effect::Deny, None));
        assert!(d.reason.contains("default"));
    }

    #[test]
    fn money_going_back_always_waits_for_a_person() {
        let f = |tool| Facts {
            tool,
            risk: Risk::High,
            amount: 4_195,
            tags: &[],
            channel: Some("email"),
            segments: &[],
        };
        let allow_all = vec![rule(1, 1, "allow")];
        for tool in ALWAYS_APPROVED {
            let d = decide(&allow_all, Effect::Allow, &f(tool));
            assert_eq!(
                (d.effect, d.policy_id),
                (Effect::Approval, Some(1)),
                "{tool}"
            );
            assert!(d.reason.contains("approval"), "{}", d.reason);
            // The workspace default allowing everything changes nothing either.
            assert_eq!(
                decide(&[], Effect::Allow, &f(tool)).effect,
                Effect::Approval
            );
            // A rule may still deny it.
            assert_eq!(
                decide(&[rule(2, 1, "deny")], Effect::Allow, &f(tool)).effect,
                Effect::Deny
            );
        }
        assert_eq!(
            decide(&allow_all, Effect::Allow, &f("cancel_order")).effect,
            Effect::Allow
        );
    }

    #[test]
    fn risk_channel_and_disabled_rules() {
        let mut r = rule(1, 1, "allow");
        r.min_risk = Some("medium".into());
        r.channel = Some("email".into());
        let mut off = rule(2, 0, "deny");
        off.enabled = false;
        let rules = vec![r, off];
        let f = |risk, channel| Facts {
            tool: "x",
            risk,
            amount: 0,
            tags: &[],
            channel,
            segments: &[],
        };
        assert_eq!(
            decide(&rules, Effect::Approval, &f(Risk::High, Some("email"))).effect,
            Effect::Allow
        );
        assert_eq!(
            decide(&rules, Effect::Approval, &f(Risk::Low, Some("email"))).effect,
            Effect::Approval
        );
        assert_eq!(
            decide(&rules, Effect::Approval, &f(Risk::High, Some("chat"))).effect,
            Effect::Approval
        );
    }

    #[test]
    fn segment_rules_match_only_their_segments_customers() {
        let mut vip = rule(1, 1, "allow");
        vip.segment_id = Some(7);
        let rules = vec![vip];
        let f = |segments| Facts {
            tool: "x",
            risk: Risk::High,
            amount: 0,
            tags: &[],
            channel: None,
            segments,
        };
        assert_eq!(
            decide(&rules, Effect::Approval, &f(&[3, 7])).policy_id,
            Some(1)
        );
        assert_eq!(
            decide(&rules, Effect::Approval, &f(&[3])).effect,
            Effect::Approval
        );
        let mut v = rules[0].clone();
        assert!(summary(&v, &[(7, "VIP".into())]).contains("customer in “VIP”"));
        v.segment_id = Some(8);
        assert!(summary(&v, &[(7, "VIP".into())]).contains("deleted segment"));
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("99.5", "a").unwrap(), 9950);
        assert_eq!(parse_amount("1,250", "a").unwrap(), 125_000);
        assert_eq!(parse_amount("", "a").unwrap(), 0);
        assert!(parse_amount("ten", "a").is_err());
        assert!(parse_amount("-1", "a").is_err());
        assert_eq!(fmt_amount(125_000), "1,250.00");
        assert_eq!(fmt_amount(5), "0.05");
    }
}
