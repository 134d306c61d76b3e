//! `/app/settings` (workspace name and logo) and `/app/profile` (name, password,
//! timezone).

use super::admin::{use_live, use_session};
use crate::components::{action_error, hard_navigate, ErrorBox, Field, FormError, Loading};
use crate::error::AppError;
use crate::serverfns::profile::{ChangePassword, SetTimezone, UpdateProfile};
use crate::serverfns::workspace::{get_workspace_settings, RenameWorkspace, SetWorkspaceLogo};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// Workspace settings.
#[component]
pub fn WorkspaceSettingsPage() -> impl IntoView {
    let live = use_live();
    let rename = ServerAction::<RenameWorkspace>::new();
    let logo = ServerAction::<SetWorkspaceLogo>::new();
    let settings = Resource::new(
        move || {
            (
                live.workspace.get(),
                rename.version().get(),
                logo.version().get(),
            )
        },
        |_| get_workspace_settings(),
    );
    let rename_error = action_error(rename.value());
    let logo_error = action_error(logo.value());
    let read_error = RwSignal::new(None::<AppError>);
    let any_logo_error = Signal::derive(move || read_error.get().or_else(|| logo_error.get()));
    Effect::new(move |_| {
        let renamed = matches!(rename.value().get(), Some(Ok(())));
        let new_logo = matches!(logo.value().get(), Some(Ok(())));
        if renamed || new_logo {
            // Name and logo show in the sidebar, rendered with the session.
            hard_navigate("/app/settings");
        }
    });
    view! {
        <Title text="Workspace settings"/>
        <header class="page-head"><h1>"Workspace settings"</h1></header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(s) => view! {
                        <section class="card">
                            <h2>"Name"</h2>
                            <ActionForm action=rename attr:class="form form-inline">
                                <Field label="Workspace name" name="name" value=s.name.clone() error=rename_error/>
                                <button class="btn btn-primary" type="submit">"Save"</button>
                            </ActionForm>
                            <FormError error=rename_error fields=&["name"]/>
                        </section>
                        <section class="card">
                            <h2>"Logo"</h2>
                            <div class="logo-row">
                                {if s.has_logo {
                                    view! { <img class="logo-preview" src=format!("/app/logo?w={}&v={}", s.id, logo.version().get_untracked()) alt="Workspace logo"/> }.into_any()
                                } else {
                                    view! { <span class="logo-preview logo-empty">"No logo"</span> }.into_any()
                                }}
                                <label class="btn">
                                    "Upload image…"
                                    <input class="sr-only" type="file" accept="image/png,image/jpeg,image/webp,image/gif"
                                        on:change=move |ev| upload_logo(ev, logo, read_error)/>
                                </label>
                                {s.has_logo.then(|| view! {
                                    <button class="btn btn-ghost" on:click=move |_| { logo.dispatch(SetWorkspaceLogo { data_url: String::new() }); }>"Remove"</button>
                                })}
                            </div>
                            <p class="field-hint">"PNG, JPEG, WebP or GIF, smaller than 512 KB."</p>
                            <FormError error=any_logo_error/>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Reads the chosen file as a data URL and uploads it (browser only).
fn upload_logo(
    ev: leptos::ev::Event,
    action: ServerAction<SetWorkspaceLogo>,
    error: RwSignal<Option<AppError>>,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        error.set(None);
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) else {
            return;
        };
        if file.size() > 512.0 * 1024.0 {
            error.set(Some(AppError::field(
                "logo",
                "The logo must be smaller than 512 KB.",
            )));
            return;
        }
        let Ok(reader) = web_sys::FileReader::new() else {
            return;
        };
        let r = reader.clone();
        let onload = Closure::<dyn FnMut()>::new(move || {
            if let Some(url) = r.result().ok().and_then(|v| v.as_string()) {
                action.dispatch(SetWorkspaceLogo { data_url: url });
            }
        });
        reader.set_onload(Some(onload.as_ref().unchecked_ref()));
        onload.forget();
        if reader.read_as_data_url(&file).is_err() {
            error.set(Some(AppError::field(
                "logo",
                "That file could not be read.",
            )));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, action, error);
}

/// The signed-in user's profile.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = use_session();
    let name = session.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let email = session
        .as_ref()
        .map(|s| s.email.clone())
        .unwrap_or_default();
    let tz = session
        .as_ref()
        .and_then(|s| s.timezone.clone())
        .unwrap_or_default();
    let update = ServerAction::<UpdateProfile>::new();
    let password = ServerAction::<ChangePassword>::new();
    let timezone = ServerAction::<SetTimezone>::new();
    let update_error = action_error(update.value());
    let password_error = action_error(password.value());
    let tz_error = action_error(timezone.value());
    view! {
        <Title text="Profile"/>
        <header class="page-head"><h1>"Your profile"</h1><p class="muted">{email}</p></header>
        <section class="card">
            <h2>"Name"</h2>
            <ActionForm action=update attr:class="form form-inline">
                <Field label="Your name" name="name" value=name error=update_error/>
                <button class="btn btn-primary" type="submit">"Save"</button>
            </ActionForm>
            <FormError error=update_error fields=&["name"]/>
            {move || matches!(update.value().get(), Some(Ok(()))).then(|| view! { <p class="alert alert-success">"Saved."</p> })}
        </section>
        <section class="card">
            <h2>"Password"</h2>
            <ActionForm action=password attr:class="form">
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=password_error/>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" hint="At least 10 characters." error=password_error/>
                <button class="btn btn-primary" type="submit">"Change password"</button>
            </ActionForm>
            <FormError error=password_error fields=&["current_password", "new_password"]/>
            {move || matches!(password.value().get(), Some(Ok(()))).then(|| view! { <p class="alert alert-success">"Password changed."</p> })}
        </section>
        <section class="card">
            <h2>"Timezone"</h2>
            <p class="muted">"Detected from your browser on your first visit. Every time in the app is shown in it, with the zone's abbreviation (3:05 PM PST)."</p>
            <ActionForm action=timezone attr:class="form form-inline">
                <Field label="Timezone" name="timezone" value=tz hint="An IANA name, e.g. Europe/Paris." error=tz_error/>
                <button class="btn" type="submit">"Save"</button>
            </ActionForm>
            {move || matches!(timezone.value().get(), Some(Ok(()))).then(|| view! { <p class="alert alert-success">"Saved: times show in this zone from the next page you open."</p> })}
        </section>
        <section class="card">
            <h2>"Notifications"</h2>
            <p class="muted">"Mentions, assignments, approvals and rule notifications: in the app, by email right away or as a digest, or to a webhook. "
                <a href="/app/profile/notifications" data-testid="my-notifications-link">"Choose what you get"</a></p>
        </section>
    }
}
