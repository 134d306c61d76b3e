//! `/ticket Subject | details`: a teammate opens a ticket from Slack. The
//! ticket is theirs (a customer known by their Slack id, `slack:T…:U…`), it
//! comes in through the one inbound path (rules, routing, SLAs and the AI
//! agent apply), and the bot posts it in the channel the command was typed
//! in; that post's thread is the ticket's from then on.

use super::super::super::inbox::conversations;
use super::super::super::tenancy::Scoped;
use super::super::super::{AppState, ServiceResult};
use super::super::inbound::{self, InboundMessage, Sender};
use super::Account;
use crate::types::{ticket_ref, Channel, IdentifierKind};
use std::time::Duration;

/// Longest subject, in characters.
const MAX_SUBJECT: usize = 200;

/// A slash command as Slack posts it (form fields of the same names).
#[derive(Clone, Debug, Default)]
pub struct Command {
    /// The Slack team.
    pub team_id: String,
    /// Where it was typed.
    pub channel_id: String,
    /// Who typed it.
    pub user_id: String,
    /// Their handle.
    pub user_name: String,
    /// `/ticket` (or whatever the app named it).
    pub command: String,
    /// What followed the command.
    pub text: String,
    /// Slack's id for this invocation (the idempotency key).
    pub trigger_id: String,
}

impl Command {
    /// Reads the command from Slack's form fields.
    pub fn from_form(fields: &[(String, String)]) -> Self {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Self {
            team_id: get("team_id"),
            channel_id: get("channel_id"),
            user_id: get("user_id"),
            user_name: get("user_name"),
            command: get("command"),
            text: get("text"),
            trigger_id: get("trigger_id"),
        }
    }
}

/// Slack's answer shown only to the person who typed the command.
fn ephemeral(text: impl Into<String>) -> serde_json::Value {
    serde_json::json!({ "response_type": "ephemeral", "text": text.into() })
}

fn usage(command: &str) -> serde_json::Value {
    let c = if command.is_empty() {
        "/ticket"
    } else {
        command
    };
    ephemeral(format!(
        "Open a support ticket: `{c} Subject | details` (details are optional). The bot posts the ticket in this channel and the team answers in its thread."
    ))
}

/// Splits `Subject | details`.
fn parse(text: &str) -> (String, String) {
    let (subject, details) = text.split_once('|').unwrap_or((text, ""));
    (
        subject.split_whitespace().collect::<Vec<_>>().join(" "),
        details.trim().to_owned(),
    )
}

/// Runs a verified slash command; returns the JSON Slack shows its user.
/// Refusals (another team, no subject, too long) are answered the same
/// way, as Slack wants a 200 with a message rather than an error.
///
/// # Errors
/// Database errors.
pub async fn run(state: &AppState, a: &Account, cmd: &Command) -> ServiceResult<serde_json::Value> {
    if a.row.team_id.as_deref().is_some_and(|t| t != cmd.team_id) {
        return Ok(ephemeral(
            "This Slack workspace is not the one connected to Switchboard.",
        ));
    }
    if cmd.user_id.is_empty() || cmd.channel_id.is_empty() || cmd.trigger_id.is_empty() {
        return Ok(ephemeral(
            "Slack sent the command without its user, channel or trigger id.",
        ));
    }
    let (subject, details) = parse(&cmd.text);
    if subject.is_empty() || subject.eq_ignore_ascii_case("help") {
        return Ok(usage(&cmd.command));
    }
    if subject.chars().count() > MAX_SUBJECT {
        return Ok(ephemeral(format!(
            "The subject is {} characters; keep it to {MAX_SUBJECT} and put the rest after a `|`.",
            subject.chars().count()
        )));
    }
    let scope = Scoped::new(a.row.workspace_id);
    // Slack wants an answer within three seconds: the name is a nicety.
    let name = match a.client.within(Duration::from_millis(1500)) {
        Ok(c) => c.user_name(&cmd.user_id).await.ok(),
        Err(_) => None,
    }
    .or_else(|| (!cmd.user_name.is_empty()).then(|| cmd.user_name.clone()));
    let who = format!("{}:{}", cmd.team_id, cmd.user_id);
    let mut m = InboundMessage::new(
        Channel::Slack,
        super::command_message_id(&cmd.team_id, &cmd.user_id, &cmd.channel_id, &cmd.trigger_id),
        Sender {
            kind: IdentifierKind::Social,
            value: format!("slack:{who}"),
            name,
        },
        if details.is_empty() {
            subject.clone()
        } else {
            details
        },
    );
    m.subject.clone_from(&subject);
    // The slack stage gives the new ticket its thread in the same
    // transaction; Slack does not retry commands, and a repeated trigger id
    // finds the ticket it opened.
    let receipt = inbound::receive(state, scope, m).await?;
    let c = conversations::find(&state.db, scope, receipt.conversation_id).await?;
    Ok(ephemeral(format!(
        "Ticket {} opened: {}. The bot posts it in this channel; the team answers in its thread.",
        ticket_ref(c.number),
        super::client::escape(&subject)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_details_split_at_the_first_bar() {
        assert_eq!(
            parse("  VPN   down | since 9am | all of floor 3 "),
            ("VPN down".into(), "since 9am | all of floor 3".into())
        );
        assert_eq!(
            parse("Printer jammed"),
            ("Printer jammed".into(), String::new())
        );
        assert_eq!(
            parse(" | only details"),
            (String::new(), "only details".into())
        );
    }
}
