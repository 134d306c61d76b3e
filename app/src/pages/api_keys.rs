//! `/app/settings/api-keys`: create REST API keys with scopes (the secret is shown
//! once), see when each was last used, revoke them.

use crate::components::{action_error, fmt_time, Empty, ErrorBox, FormError, Loading};
use crate::serverfns::api_keys::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::types::{ApiKeyCreated, ApiKeyView};
use leptos::prelude::*;
use leptos_meta::Title;

/// Scopes offered on the form, with what each allows. Mirrors
/// `services::api_keys::SCOPES` (which the server checks).
const SCOPE_CHOICES: &[(&str, &str)] = &[
    ("conversations:read", "List and read conversations, search"),
    (
        "conversations:write",
        "Create conversations, change status, assignee, tags",
    ),
    ("customers:read", "List and read customers"),
    ("customers:write", "Create and edit customers"),
    ("messages:write", "Add replies, notes and customer messages"),
    ("tags:read", "List tags"),
    ("tags:write", "Create and rename tags"),
    ("views:read", "List saved views"),
    ("views:write", "Create and edit saved views"),
];

/// The API keys page.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let create_error = action_error(create.value());
    let revoke_error = action_error(revoke.value());
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![
        "conversations:read".to_owned(),
        "customers:read".to_owned(),
    ]);
    let confirm = RwSignal::new(None::<i32>);
    let name_msg = move || {
        create_error
            .get()
            .filter(|e| e.field_name() == Some("name"))
            .map(|e| e.to_string())
    };
    let scopes_msg = move || {
        create_error
            .get()
            .filter(|e| e.field_name() == Some("scopes"))
            .map(|e| e.to_string())
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateApiKey {
            name: name.get_untracked(),
            scopes_csv: chosen.get_untracked().join(","),
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
        }
    });
    view! {
        <Title text="API keys"/>
        <header class="page-head">
            <h1>"API keys"</h1>
            <p class="muted">
                "Keys let other tools use the Switchboard REST API on behalf of this workspace. "
                "A key acts as the admin who created it, limited to its scopes. See "
                <a href="/api/openapi.json">"the OpenAPI document"</a> "."
            </p>
        </header>
        {move || create.value().get().and_then(Result::ok).map(|created| view! { <NewSecret created/> })}
        <section class="card">
            <h2>"Create a key"</h2>
            <form class="form" on:submit=on_submit>
                <div class="field" class:invalid=move || name_msg().is_some()>
                    <label for="f-key-name">"Name"</label>
                    <input id="f-key-name" type="text" required=true placeholder="e.g. CRM sync"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        aria-invalid=move || name_msg().is_some().to_string()/>
                    {move || name_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <fieldset class="field" data-testid="scopes">
                    <legend>"Scopes"</legend>
                    {SCOPE_CHOICES.iter().map(|(scope, what)| {
                        let scope = *scope;
                        let checked = move || chosen.with(|c| c.iter().any(|s| s == scope));
                        view! {
                            <label class="nowrap">
                                <input type="checkbox" value=scope prop:checked=checked
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| {
                                            c.retain(|s| s != scope);
                                            if on { c.push(scope.to_owned()); }
                                        });
                                    }/>
                                " " <code>{scope}</code> " " <span class="muted small">{*what}</span>
                            </label>
                        }
                    }).collect_view()}
                    {move || scopes_msg().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </fieldset>
                <div>
                    <button class="btn btn-primary" type="submit" disabled=move || create.pending().get()>"Create key"</button>
                </div>
            </form>
            <FormError error=create_error fields=&["name", "scopes"]/>
        </section>
        <FormError error=revoke_error/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <Empty title="No API keys yet" hint="Create one above to connect another tool."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <section class="card">
                            <h2>"Keys " <span class="count">{list.len()}</span></h2>
                            <table class="table" data-testid="api-keys">
                                <thead><tr><th>"Name"</th><th>"Key"</th><th>"Scopes"</th><th>"Last used"</th><th>"Created"</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|k| key_row(k, revoke, confirm)).collect_view()}</tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The secret of a key just created, shown this once.
#[component]
fn NewSecret(created: ApiKeyCreated) -> impl IntoView {
    let secret = created.secret.clone();
    let copied = RwSignal::new(false);
    let to_copy = secret.clone();
    view! {
        <section class="card" data-testid="new-secret">
            <h2>"Key “" {created.key.name.clone()} "” created"</h2>
            <p class="alert alert-error" role="alert">
                "Copy this secret now and keep it somewhere safe: it is shown only this once. "
                "Anyone who has it can use the API with this key's scopes. If it leaks, revoke the key."
            </p>
            <div class="form form-inline">
                <div class="field">
                    <label for="f-new-secret">"Secret"</label>
                    <input id="f-new-secret" type="text" readonly=true value=secret size="44"
                        on:focus=move |ev| select_all(&ev)/>
                </div>
                <button class="btn" type="button" on:click=move |_| copied.set(copy_text(&to_copy))>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
            <p class="field-hint">"Send it as " <code>"Authorization: Bearer <secret>"</code> "."</p>
        </section>
    }
}

fn key_row(
    k: ApiKeyView,
    revoke: ServerAction<RevokeApiKey>,
    confirm: RwSignal<Option<i32>>,
) -> impl IntoView {
    let id = k.id;
    view! {
        <tr>
            <td>{k.name.clone()} {k.revoked.then(|| view! { <span class="badge badge-muted">"revoked"</span> })}</td>
            <td><code>{format!("{}…", k.prefix)}</code></td>
            <td>{k.scopes.iter().map(|s| view! { <span class="badge">{s.clone()}</span> " " }).collect_view()}</td>
            <td class="muted">{k.last_used_at.as_deref().map_or_else(|| "never".to_owned(), fmt_time)}</td>
            <td class="muted">{fmt_time(&k.created_at)}</td>
            <td class="actions">
                {(!k.revoked).then(|| view! {
                    {move || if confirm.get() == Some(id) {
                        view! {
                            <button class="btn btn-danger btn-small" on:click=move |_| { revoke.dispatch(RevokeApiKey { id }); confirm.set(None); }>"Confirm revoke"</button>
                            <button class="btn btn-ghost btn-small" on:click=move |_| confirm.set(None)>"Cancel"</button>
                        }.into_any()
                    } else {
                        view! { <button class="btn btn-ghost btn-small" on:click=move |_| confirm.set(Some(id))>"Revoke"</button> }.into_any()
                    }}
                })}
            </td>
        </tr>
    }
}

/// Selects the whole secret when the box gets focus, ready for Ctrl/Cmd+C.
fn select_all(ev: &leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

/// Writes `text` to the clipboard (`navigator.clipboard.writeText`); false where the
/// browser offers no clipboard (then the box is still selectable).
fn copy_text(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).ok();
        let Some(w) = web_sys::window() else {
            return false;
        };
        let w: JsValue = w.into();
        let Some(clipboard) = get(&w, "navigator")
            .and_then(|n| get(&n, "clipboard"))
            .filter(|c| !c.is_undefined())
        else {
            return false;
        };
        let Some(write) =
            get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        else {
            return false;
        };
        write.call1(&clipboard, &JsValue::from_str(text)).is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}
