//! `/app/team`: members, roles, invitations. Updates live when someone joins.

use super::admin::{use_live, use_session};
use crate::components::{action_error, fmt_time, ErrorBox, Field, FormError, Loading};
use crate::permissions::{can, Action, Role};
use crate::serverfns::team::{list_team, ChangeRole, InviteMember, RemoveMember, RevokeInvitation};
use crate::types::{InvitationView, MemberView};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// The team page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let live = use_live();
    let role = use_session().map_or(Role::Collaborator, |s| s.role());
    let invite = ServerAction::<InviteMember>::new();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let team = Resource::new(
        move || {
            (
                live.team.get(),
                invite.version().get(),
                change.version().get(),
                remove.version().get(),
                revoke.version().get(),
            )
        },
        |_| list_team(),
    );
    let invite_error = action_error(invite.value());
    let change_error = action_error(change.value());
    let remove_error = action_error(remove.value());
    let may_invite = can(role, Action::InviteMembers);
    let may_manage = can(role, Action::ManageMembers);
    let may_owners = can(role, Action::ManageOwners);
    let offered: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Owner || may_owners)
        .collect();
    let confirm = RwSignal::new(None::<i32>);
    view! {
        <Title text="Team"/>
        <header class="page-head">
            <h1>"Team"</h1>
            <p class="muted">"People who work in this workspace, and their roles."</p>
        </header>
        {may_invite.then(|| {
            let offered = offered.clone();
            view! {
                <section class="card">
                    <h2>"Invite a teammate"</h2>
                    <ActionForm action=invite attr:class="form form-inline">
                        <Field label="Email" name="email" kind="email" error=invite_error/>
                        <div class="field">
                            <label for="invite-role">"Role"</label>
                            <select id="invite-role" name="role">
                                {offered.iter().map(|r| view! {
                                    <option value=r.as_str() selected=*r == Role::Agent>{r.label()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <button class="btn btn-primary" type="submit" disabled=move || invite.pending().get()>"Send invitation"</button>
                    </ActionForm>
                    <FormError error=invite_error fields=&["email"]/>
                    {move || matches!(invite.value().get(), Some(Ok(()))).then(|| view! {
                        <p class="alert alert-success" role="status">"Invitation sent."</p>
                    })}
                </section>
            }
        })}
        <FormError error=change_error/>
        <FormError error=remove_error/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || {
                let offered = offered.clone();
                Suspend::new(async move {
                match team.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(t) => {
                        let invitations = t.invitations.clone();
                        view! {
                            <section class="card">
                                <h2>"Members " <span class="count" data-testid="member-count">{t.members.len()}</span></h2>
                                <table class="table" data-testid="members">
                                    <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th><th></th></tr></thead>
                                    <tbody>
                                        {t.members.into_iter().map(|m| member_row(m, may_manage, may_owners, &offered, change, remove, confirm)).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <section class="card">
                                <h2>"Pending invitations"</h2>
                                {if invitations.is_empty() {
                                    view! { <p class="muted">"No pending invitations."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="table" data-testid="invitations">
                                            <thead><tr><th>"Email"</th><th>"Role"</th><th>"Expires"</th><th></th></tr></thead>
                                            <tbody>{invitations.into_iter().map(|i| invitation_row(i, may_invite, revoke)).collect_view()}</tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                }
            })}}
        </Transition>
    }
}

fn member_row(
    m: MemberView,
    may_manage: bool,
    may_owners: bool,
    offered: &[Role],
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
    confirm: RwSignal<Option<i32>>,
) -> impl IntoView {
    let id = m.membership_id;
    let editable = may_manage && (m.role != Role::Owner || may_owners);
    let role_cell = if editable {
        let offered = offered.to_vec();
        view! {
            <select aria-label=format!("Role of {}", m.name) on:change=move |ev| {
                change.dispatch(ChangeRole { membership_id: id, role: event_target_value(&ev) });
            }>
                {offered.into_iter().map(|r| view! { <option value=r.as_str() selected=r == m.role>{r.label()}</option> }).collect_view()}
            </select>
        }
        .into_any()
    } else {
        view! { <span class="badge">{m.role.label()}</span> }.into_any()
    };
    view! {
        <tr>
            <td>{m.name.clone()} {m.is_you.then(|| view! { <span class="badge badge-muted">"you"</span> })}</td>
            <td>{m.email.clone()}</td>
            <td>{role_cell}</td>
            <td class="muted">{fmt_time(&m.joined_at)}</td>
            <td class="actions">
                {(editable && !m.is_you).then(|| view! {
                    {move || if confirm.get() == Some(id) {
                        view! {
                            <button class="btn btn-danger btn-small" on:click=move |_| { remove.dispatch(RemoveMember { membership_id: id }); confirm.set(None); }>"Confirm removal"</button>
                            <button class="btn btn-ghost btn-small" on:click=move |_| confirm.set(None)>"Cancel"</button>
                        }.into_any()
                    } else {
                        view! { <button class="btn btn-ghost btn-small" on:click=move |_| confirm.set(Some(id))>"Remove"</button> }.into_any()
                    }}
                })}
            </td>
        </tr>
    }
}

fn invitation_row(
    i: InvitationView,
    may_invite: bool,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let id = i.id;
    view! {
        <tr>
            <td>{i.email.clone()}</td>
            <td>{i.role.label()}</td>
            <td class:expired=i.expired>{if i.expired { "expired".to_owned() } else { fmt_time(&i.expires_at) }}</td>
            <td class="actions">
                {may_invite.then(|| view! {
                    <button class="btn btn-ghost btn-small" on:click=move |_| { revoke.dispatch(RevokeInvitation { invitation_id: id }); }>"Revoke"</button>
                })}
            </td>
        </tr>
    }
}
