//! Small UI building blocks shared by the pages: form fields with inline errors,
//! alerts, loading and empty states, time formatting.

use crate::error::AppError;
use leptos::prelude::*;

/// The error of an action's last result, as a signal.
pub fn action_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// A labelled input with its inline error message.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional)] hint: &'static str,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let msg = move || {
        error
            .get()
            .filter(|e| e.field_name() == Some(name))
            .map(|e| e.to_string())
    };
    let id = format!("f-{name}");
    view! {
        <div class="field" class:invalid=move || msg().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type=kind
                name=name
                value=value
                autocomplete=autocomplete
                required=required
                aria-invalid=move || msg().is_some().to_string()
            />
            {move || msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
        </div>
    }
}

/// An error banner for errors not tied to one of `fields`.
#[component]
pub fn FormError(
    error: Signal<Option<AppError>>,
    #[prop(optional)] fields: &'static [&'static str],
) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field_name().is_none_or(|f| !fields.contains(&f)))
            .map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })
    }
}

/// An error box for a failed load.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! { <div class="alert alert-error" role="alert">{error.to_string()}</div> }
}

/// Loading placeholder.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-busy="true">"Loading…"</p> }
}

/// Empty state with a title and a hint.
#[component]
pub fn Empty(title: &'static str, hint: &'static str) -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">{title}</p>
            <p class="empty-hint">{hint}</p>
        </div>
    }
}

/// The signed-in viewer's time zone, in context for [`fmt_time`].
#[derive(Clone, Debug)]
pub struct ViewerZone(pub crate::types::ZoneRules);

/// `2026-11-22T04:10:00+00:00` → `Nov 21, 2026, 8:10 PM PST` in the viewer's zone
/// (UTC where no one is signed in).
pub fn fmt_time(rfc3339: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let t = t.with_timezone(&chrono::Utc);
    match use_context::<ViewerZone>() {
        Some(z) => z.0.format(t),
        None => crate::types::ZoneRules::utc().format(t),
    }
}

/// Full page load to `path` (after sign-in/out, so the server renders the new
/// session). No-op on the server.
pub fn hard_navigate(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The browser's clock in Unix seconds, ticking every 20 seconds once the page is
/// interactive; none while the server renders and while the page hydrates (so
/// both render the same text).
#[derive(Clone, Copy, Debug)]
pub struct Now(pub RwSignal<Option<i64>>);

impl Now {
    /// Provides the clock and starts it after hydration (call once, in the shell).
    pub fn provide() {
        let now = Now(RwSignal::new(None));
        provide_context(now);
        Effect::new(move |_| {
            let tick = move || now.0.set(Some(browser_now_secs()));
            tick();
            let h = set_interval_with_handle(tick, std::time::Duration::from_secs(20));
            on_cleanup(move || {
                if let Ok(h) = h {
                    h.clear();
                }
            });
        });
    }
}

fn browser_now_secs() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        #[allow(clippy::cast_possible_truncation)]
        let s = (js_sys::Date::now() / 1000.0) as i64;
        s
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// A ticket's SLA clock: "First reply in 1h 20m", amber from the warning time,
/// red and "overdue" past the target. Before the page is interactive it shows the
/// due time in the viewer's zone.
#[component]
pub fn SlaBadge(clock: crate::types::SlaClock) -> impl IntoView {
    let now = use_context::<Now>().map(|n| n.0);
    let (due, warn) = (clock.due, clock.warn);
    let label = clock.metric_label();
    let due_text = chrono::DateTime::from_timestamp(due, 0)
        .map(|t| fmt_time(&t.to_rfc3339()))
        .unwrap_or_default();
    if clock.paused {
        let title = format!(
            "{}: {label} paused while the ticket waits (was due {due_text})",
            clock.policy
        );
        return view! {
            <span class="sla sla-paused" data-testid="sla-clock" data-state="paused" data-metric=clock.metric.clone() title=title>
                {format!("{label} paused")}
            </span>
        }
        .into_any();
    }
    let title = format!("{}: {label} due {due_text}", clock.policy);
    let state = move || match now.and_then(|n| n.get()) {
        Some(t) if t >= due => "breached",
        Some(t) if t >= warn => "warning",
        _ => "ok",
    };
    view! {
        <span class=move || format!("sla sla-{}", state()) data-testid="sla-clock" data-state=state data-metric=clock.metric.clone() title=title>
            {move || match now.and_then(|n| n.get()) {
                None => format!("{label} due {due_text}"),
                Some(t) if t >= due => format!("{label} overdue {}", crate::types::duration_text(t - due)),
                Some(t) => format!("{label} in {}", crate::types::duration_text(due - t)),
            }}
        </span>
    }
    .into_any()
}
