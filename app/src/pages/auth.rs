//! Public account pages: sign in, sign up, password reset, email verification and
//! invitation acceptance.

use crate::components::{action_error, hard_navigate, ErrorBox, Field, FormError, Loading};
use crate::serverfns::auth::{RequestPasswordReset, ResetPassword, SignIn, SignUp, VerifyEmail};
use crate::serverfns::invitations::{get_invitation, AcceptInvitation};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main class="auth">
            <div class="auth-card">
                <a class="brand" href="/">
                    <span class="brand-mark">"S"</span>
                    "Switchboard"
                </a>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

fn query(key: &'static str) -> Memo<String> {
    let q = use_query_map();
    Memo::new(move |_| q.read().get(key).unwrap_or_default())
}

/// `/sign-in`.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action.value());
    // Back to the page that asked for a sign-in (`/sign-in?next=/app/inbox…`).
    let next = query("next");
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            hard_navigate(crate::types::safe_next(&next.get_untracked()));
        }
    });
    view! {
        <AuthCard title="Sign in">
            <ActionForm action=action attr:class="form">
                <FormError error fields=&["email", "password"]/>
                <Field label="Email" name="email" kind="email" autocomplete="email" error/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error/>
                <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="auth-links">
                <A href="/forgot-password">"Forgot your password?"</A>
                " · "
                <A href="/sign-up">"Create a workspace"</A>
            </p>
        </AuthCard>
    }
}

/// `/sign-up`.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            hard_navigate("/app");
        }
    });
    view! {
        <AuthCard title="Create your workspace">
            <ActionForm action=action attr:class="form">
                <FormError error fields=&["name", "email", "password", "workspace_name"]/>
                <Field label="Your name" name="name" autocomplete="name" error/>
                <Field label="Work email" name="email" kind="email" autocomplete="email" error/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint=const_format_hint()
                    error
                />
                <Field label="Workspace name" name="workspace_name" autocomplete="organization" error/>
                <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create workspace" }}
                </button>
            </ActionForm>
            <p class="auth-links">"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </AuthCard>
    }
}

const fn const_format_hint() -> &'static str {
    // Kept in step with types::MIN_PASSWORD_LEN (checked by a unit test below).
    "At least 10 characters."
}

/// `/forgot-password`.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(action.value());
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <AuthCard title="Reset your password">
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action=action attr:class="form">
                        <p class="muted">"Enter your account's email and we'll send you a link to choose a new password."</p>
                        <FormError error fields=&["email"]/>
                        <Field label="Email" name="email" kind="email" autocomplete="email" error/>
                        <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>"Send reset link"</button>
                    </ActionForm>
                }
            >
                <div class="alert alert-success" role="status">
                    "If an account exists for that address, a reset link is on its way. It expires in 1 hour."
                </div>
            </Show>
            <p class="auth-links"><A href="/sign-in">"Back to sign in"</A></p>
        </AuthCard>
    }
}

/// `/reset-password?token=…`.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = query("token");
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action.value());
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <AuthCard title="Choose a new password">
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action=action attr:class="form">
                        <FormError error fields=&["password"]/>
                        <input type="hidden" name="token" value=move || token.get()/>
                        <Field label="New password" name="password" kind="password" autocomplete="new-password" hint="At least 10 characters." error/>
                        <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>"Set password"</button>
                    </ActionForm>
                }
            >
                <div class="alert alert-success" role="status">"Your password was changed."</div>
                <A href="/sign-in" attr:class="btn btn-primary">"Sign in"</A>
            </Show>
        </AuthCard>
    }
}

/// `/verify-email?token=…`: verifies on load (in the browser).
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let token = query("token");
    let action = ServerAction::<VerifyEmail>::new();
    Effect::new(move |_| {
        action.dispatch(VerifyEmail { token: token.get() });
    });
    view! {
        <AuthCard title="Verify your email">
            {move || match action.value().get() {
                None => view! { <Loading/> }.into_any(),
                Some(Ok(())) => view! {
                    <div class="alert alert-success" role="status">"Your email address is verified. Thank you!"</div>
                    <a class="btn btn-primary" href="/app">"Open Switchboard"</a>
                }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorBox error=e/>
                    <a class="btn" href="/app">"Open Switchboard"</a>
                }.into_any(),
            }}
        </AuthCard>
    }
}

/// `/invitations/accept?token=…`.
#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let token = query("token");
    let preview = Resource::new(move || token.get(), get_invitation);
    let action = ServerAction::<AcceptInvitation>::new();
    let error = action_error(action.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            hard_navigate("/app/team");
        }
    });
    view! {
        <AuthCard title="Join your team">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(e) => view! {
                            <ErrorBox error=e/>
                            <p class="auth-links"><A href="/sign-in">"Sign in"</A></p>
                        }.into_any(),
                        Ok(p) => {
                            let intro = format!(
                                "{} invited {} to join {} as {}.",
                                p.invited_by, p.email, p.workspace_name, p.role.label()
                            );
                            let mode = if p.signed_in_as_invitee {
                                "signed-in"
                            } else if p.account_exists {
                                "existing"
                            } else {
                                "new"
                            };
                            view! {
                                <p class="lead">{intro}</p>
                                <ActionForm action=action attr:class="form">
                                    <FormError error fields=&["name", "password"]/>
                                    <input type="hidden" name="token" value=token.get_untracked()/>
                                    {match mode {
                                        "new" => view! {
                                            <Field label="Your name" name="name" autocomplete="name" error/>
                                            <Field label="Choose a password" name="password" kind="password" autocomplete="new-password" hint="At least 10 characters." error/>
                                        }.into_any(),
                                        "existing" => view! {
                                            <p class="muted">"You already have an account. Enter its password to accept."</p>
                                            <Field label="Password" name="password" kind="password" autocomplete="current-password" error/>
                                        }.into_any(),
                                        _ => ().into_any(),
                                    }}
                                    <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>
                                        "Accept invitation"
                                    </button>
                                </ActionForm>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn password_hint_matches_rule() {
        assert!(super::const_format_hint().contains(&crate::types::MIN_PASSWORD_LEN.to_string()));
    }
}
