//! Roles and the permission matrix (SPEC C1.3, C14.1): one table, used by every
//! server function and route, and by the UI to show only what a role may use.

use serde::{Deserialize, Serialize};

/// A member's role in a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Created the workspace; full control including billing and other owners.
    Owner,
    /// Manages settings and the team.
    Admin,
    /// Works the inbox.
    Agent,
    /// Views and internal notes only.
    LightAgent,
    /// External; sees only what is shared with them.
    Collaborator,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Agent,
        Role::LightAgent,
        Role::Collaborator,
    ];

    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::LightAgent => "light_agent",
            Role::Collaborator => "collaborator",
        }
    }

    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Agent => "Agent",
            Role::LightAgent => "Light agent",
            Role::Collaborator => "Collaborator",
        }
    }
}

/// Something a member may or may not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// See the workspace home.
    ViewWorkspace,
    /// See the team page.
    ViewTeam,
    /// Invite people.
    InviteMembers,
    /// Change roles and remove members.
    ManageMembers,
    /// Grant or take away the owner role.
    ManageOwners,
    /// Change workspace name and logo.
    ManageWorkspaceSettings,
    /// Browse the activity log.
    ViewActivityLog,
    /// Export the activity log.
    ExportActivityLog,
    /// Browse the email outbox.
    ViewOutbox,
    /// Retry, archive and restore outbox emails.
    ManageOutbox,
    /// See background jobs and dead letters.
    ViewJobs,
    /// Retry dead-lettered jobs.
    RetryJobs,
    /// Read conversations and customers.
    ViewInbox,
    /// Send public replies to customers.
    ReplyToCustomers,
    /// Add internal notes.
    AddNotes,
    /// Change status, priority, assignee, team, tags and fields; create conversations.
    ManageConversations,
    /// Merge and split conversations.
    MergeConversations,
    /// Edit and merge customers.
    ManageCustomers,
    /// Create and reorder shared views.
    ManageSharedViews,
    /// Create shared canned responses and macros, tags and custom fields.
    ManageInboxSettings,
    /// Create and revoke API keys.
    ManageApiKeys,
    /// Configure channels (chat widget, email, web form) and their formatting rules.
    ManageChannels,
    /// Create, pause and replay outbound webhooks.
    ManageWebhooks,
    /// Read internal (agent-only) knowledge-base articles and use agent assist.
    ViewKnowledge,
    /// Write, publish and organise knowledge-base articles and help centers.
    ManageKnowledge,
    /// Configure the AI agent (provider, key, channels, thresholds).
    ManageAi,
    /// See the AI overview (resolutions, handoffs, deflections, cost).
    ViewAiReports,
    /// Approve or reject actions waiting for approval, and propose actions.
    ApproveActions,
    /// Edit the action policies (allow / deny / require approval).
    ManageAiPolicies,
    /// Create, assign and complete tasks.
    WorkTasks,
    /// Create, change, dry-run and switch automation rules (triggers, automations).
    ManageAutomation,
    /// Define customer segments (who a campaign, message, tour or flow reaches).
    ManageSegments,
    /// Campaign sending: frequency caps, quiet hours, throttle, the suppression
    /// list, and campaign reports.
    ManageCampaigns,
    /// Pack, ship (with a tracking number) and mark orders delivered.
    ManageOrders,
    /// Products, variants, prices, stock and categories of the store.
    ManageCatalog,
    /// Run reports, drill into them and save reports of your own.
    ViewReports,
    /// Save, change and delete reports shared with the workspace.
    ManageReports,
}

use Role::{Admin as A, Agent as G, Collaborator as C, LightAgent as L, Owner as O};

/// The permission matrix: for each action, the roles allowed to do it.
pub const MATRIX: &[(Action, &[Role])] = &[
    (Action::ViewWorkspace, &[O, A, G, L, C]),
    (Action::ViewTeam, &[O, A, G, L]),
    (Action::InviteMembers, &[O, A]),
    (Action::ManageMembers, &[O, A]),
    (Action::ManageOwners, &[O]),
    (Action::ManageWorkspaceSettings, &[O, A]),
    (Action::ViewActivityLog, &[O, A]),
    (Action::ExportActivityLog, &[O, A]),
    (Action::ViewOutbox, &[O, A]),
    (Action::ManageOutbox, &[O, A]),
    (Action::ViewJobs, &[O, A]),
    (Action::RetryJobs, &[O, A]),
    (Action::ViewInbox, &[O, A, G, L]),
    (Action::ReplyToCustomers, &[O, A, G]),
    (Action::AddNotes, &[O, A, G, L]),
    (Action::ManageConversations, &[O, A, G]),
    (Action::MergeConversations, &[O, A, G]),
    (Action::ManageCustomers, &[O, A, G]),
    (Action::ManageSharedViews, &[O, A]),
    (Action::ManageInboxSettings, &[O, A]),
    (Action::ManageApiKeys, &[O, A]),
    (Action::ManageChannels, &[O, A]),
    (Action::ManageWebhooks, &[O, A]),
    (Action::ViewKnowledge, &[O, A, G, L]),
    (Action::ManageKnowledge, &[O, A]),
    (Action::ManageAi, &[O, A]),
    (Action::ViewAiReports, &[O, A]),
    (Action::ApproveActions, &[O, A, G]),
    (Action::ManageAiPolicies, &[O, A]),
    (Action::WorkTasks, &[O, A, G]),
    (Action::ManageAutomation, &[O, A]),
    (Action::ManageSegments, &[O, A]),
    (Action::ManageCampaigns, &[O, A]),
    (Action::ManageOrders, &[O, A, G]),
    (Action::ManageCatalog, &[O, A]),
    (Action::ViewReports, &[O, A, G]),
    (Action::ManageReports, &[O, A]),
];

/// Whether `role` may perform `action`.
pub fn can(role: Role, action: Action) -> bool {
    MATRIX
        .iter()
        .find(|(a, _)| *a == action)
        .is_some_and(|(_, roles)| roles.contains(&role))
}

/// Every action, in matrix order.
pub fn all_actions() -> impl Iterator<Item = Action> {
    MATRIX.iter().map(|(a, _)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_the_matrix_once() {
        let mut seen = std::collections::HashSet::new();
        for (a, _) in MATRIX {
            assert!(seen.insert(*a), "{a:?} listed twice");
        }
        assert_eq!(seen.len(), 37);
    }

    #[test]
    fn owners_can_do_everything() {
        for a in all_actions() {
            assert!(can(Role::Owner, a), "owner cannot {a:?}");
        }
    }

    #[test]
    fn only_owners_manage_owners() {
        for r in Role::ALL {
            assert_eq!(can(r, Action::ManageOwners), r == Role::Owner);
        }
    }

    #[test]
    fn agents_cannot_administer() {
        for r in [Role::Agent, Role::LightAgent, Role::Collaborator] {
            for a in [
                Action::InviteMembers,
                Action::ManageMembers,
                Action::ManageWorkspaceSettings,
                Action::ViewActivityLog,
                Action::ViewOutbox,
                Action::RetryJobs,
            ] {
                assert!(!can(r, a), "{r:?} may {a:?}");
            }
        }
        assert!(can(Role::Agent, Action::ViewTeam));
        assert!(!can(Role::Collaborator, Action::ViewTeam));
    }

    #[test]
    fn light_agents_note_but_never_reply() {
        assert!(can(Role::LightAgent, Action::AddNotes));
        assert!(can(Role::LightAgent, Action::ViewInbox));
        assert!(!can(Role::LightAgent, Action::ReplyToCustomers));
        assert!(!can(Role::LightAgent, Action::ManageConversations));
        assert!(!can(Role::Collaborator, Action::ViewInbox));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}
