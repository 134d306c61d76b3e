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
