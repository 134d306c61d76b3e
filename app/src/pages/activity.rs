//! `/app/activity`: the activity log with filters (actor, action, dates) and CSV /
//! JSON export. Filters live in the URL, so a filtered view can be shared.

use crate::components::{fmt_time, Empty, ErrorBox, Loading};
use crate::serverfns::activity::list_activity;
use crate::types::ActivityFilter;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// Known actions for the filter.
const ACTIONS: &[(&str, &str)] = &[
    ("", "Any action"),
    ("auth.", "Sign-ins and sign-outs"),
    ("auth.signed_in", "Signed in"),
    ("team.", "Team changes"),
    ("team.invited", "Invited"),
    ("team.invitation_accepted", "Invitation accepted"),
    ("team.role_changed", "Role changed"),
    ("team.member_removed", "Member removed"),
    ("workspace.settings_changed", "Settings changed"),
    ("profile.", "Profile changes"),
    ("activity.exported", "Log exported"),
];

/// The activity log page.
#[component]
pub fn ActivityPage() -> impl IntoView {
    let q = use_query_map();
    let filter = Memo::new(move |_| {
        let q = q.read();
        let opt = |k: &str| q.get(k).filter(|v| !v.is_empty());
        ActivityFilter {
            actor: opt("actor"),
            action: opt("action"),
            from: opt("from"),
            to: opt("to"),
            before_id: opt("before").and_then(|v| v.parse().ok()),
        }
    });
    let page = Resource::new(
        move || filter.get(),
        |f| list_activity(f.actor, f.action, f.from, f.to, f.before_id),
    );
    let export = move |format: &str| {
        let f = filter.get();
        let mut url = format!("/app/activity/export?format={format}");
        for (k, v) in [
            ("actor", f.actor),
            ("action", f.action),
            ("from", f.from),
            ("to", f.to),
        ] {
            if let Some(v) = v {
                url.push_str(&format!("&{k}={}", crate::types::encode_query_value(&v)));
            }
        }
        url
    };
    view! {
        <Title text="Activity log"/>
        <header class="page-head row">
            <div>
                <h1>"Activity log"</h1>
                <p class="muted">"Sign-ins, role changes, invitations and settings changes, with IP and browser. Kept for one year."</p>
            </div>
            <div class="head-actions">
                <a class="btn" href=move || export("csv") download>"Export CSV"</a>
                <a class="btn" href=move || export("json") download>"Export JSON"</a>
            </div>
        </header>
        <Form method="GET" action="" attr:class="card filters">
            <div class="field">
                <label for="f-actor">"Actor"</label>
                <input id="f-actor" name="actor" placeholder="name or email" value=move || filter.get().actor.unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="f-action">"Action"</label>
                <select id="f-action" name="action">
                    {ACTIONS.iter().map(|(v, l)| view! {
                        <option value=*v selected=move || filter.get().action.as_deref().unwrap_or("") == *v>{*l}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-from">"From"</label>
                <input id="f-from" type="date" name="from" value=move || filter.get().from.unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="f-to">"To"</label>
                <input id="f-to" type="date" name="to" value=move || filter.get().to.unwrap_or_default()/>
            </div>
            <button class="btn btn-primary" type="submit">"Filter"</button>
            <A href="/app/activity" attr:class="btn btn-ghost">"Clear"</A>
        </Form>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) if p.items.is_empty() => view! {
                        <Empty title="No activity matches" hint="Try a wider date range or clear the filters."/>
                    }.into_any(),
                    Ok(p) => {
                        let next = p.next_before_id.map(|id| {
                            let f = filter.get_untracked();
                            let mut url = format!("/app/activity?before={id}");
                            for (k, v) in [("actor", f.actor), ("action", f.action), ("from", f.from), ("to", f.to)] {
                                if let Some(v) = v { url.push_str(&format!("&{k}={}", crate::types::encode_query_value(&v))); }
                            }
                            url
                        });
                        view! {
                            <section class="card">
                                <table class="table" data-testid="activity">
                                    <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Change"</th><th>"IP"</th><th>"Browser"</th></tr></thead>
                                    <tbody>
                                        {p.items.into_iter().map(|a| {
                                            let change = match (&a.before, &a.after) {
                                                (Some(b), Some(af)) => format!("{b} → {af}"),
                                                (None, Some(af)) => af.clone(),
                                                (Some(b), None) => format!("{b} → ∅"),
                                                (None, None) => String::new(),
                                            };
                                            view! {
                                                <tr>
                                                    <td class="nowrap">{fmt_time(&a.at)}</td>
                                                    <td>{a.actor}</td>
                                                    <td><code>{a.action}</code></td>
                                                    <td class="muted">{a.target.unwrap_or_default()}</td>
                                                    <td class="mono small">{change}</td>
                                                    <td class="mono small">{a.ip.unwrap_or_default()}</td>
                                                    <td class="small ua" title=a.user_agent.clone().unwrap_or_default()>{a.user_agent.clone().unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {next.map(|href| view! { <A href=href attr:class="btn">"Older entries"</A> })}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
