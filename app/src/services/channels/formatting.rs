//! Channel-appropriate replies (SPEC C4.9): each channel stores a tone, a length
//! limit, a greeting and a sign-off (templates with the canned-response variables)
//! and whether the ticket reference is added. Automatic messages are formatted with
//! them; agents are offered the same formatting in the composer.

use super::super::context::Actor;
use super::super::inbox::canned::render_with;
use super::super::inbox::{conversations, customers};
use super::super::tenancy::global;
use super::super::AppState;
use super::super::ServiceResult;
use crate::types::{ticket_ref, Channel, FormatRules, FormattedView as Formatted};
use sea_orm::{ColumnTrait, QueryFilter};

/// Who and what a formatted message is about (fills the templates).
#[derive(Clone, Debug, Default)]
pub struct FormatContext {
    /// Customer's display name.
    pub customer_name: String,
    /// Customer's email, if known.
    pub customer_email: String,
    /// Agent's name ("" for automatic messages: the workspace signs).
    pub agent_name: String,
    /// Workspace name.
    pub workspace_name: String,
    /// `TKT-000123`.
    pub reference: String,
    /// Conversation subject.
    pub subject: String,
}

impl FormatContext {
    /// The template variables (the same names canned responses use).
    pub fn variables(&self) -> serde_json::Value {
        let first = |n: &str| n.split_whitespace().next().unwrap_or_default().to_owned();
        let agent = if self.agent_name.is_empty() {
            format!("The {} team", self.workspace_name)
        } else {
            self.agent_name.clone()
        };
        serde_json::json!({
            "customer": { "name": self.customer_name, "first_name": first(&self.customer_name),
                          "email": self.customer_email, "company": "" },
            "ticket": { "id": self.reference, "number": self.reference, "subject": self.subject, "status": "" },
            "agent": { "name": agent, "first_name": first(&agent), "email": "" },
            "workspace": { "name": self.workspace_name },
        })
    }
}

/// Words in a text.
pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Wraps `body` in the channel's greeting, sign-off and reference. A greeting or
/// sign-off already present in the body is not added twice.
///
/// # Errors
/// `Invalid` when a stored template does not render.
pub fn apply(rules: &FormatRules, body: &str, ctx: &FormatContext) -> ServiceResult<Formatted> {
    let vars = ctx.variables();
    let body = body.trim();
    let mut parts: Vec<String> = Vec::new();
    if let Some(g) = rules.greeting.as_deref().filter(|g| !g.trim().is_empty()) {
        let g = render_with(g, &vars)?.text;
        if !body.starts_with(g.trim()) {
            parts.push(g.trim().to_owned());
        }
    }
    parts.push(body.to_owned());
    if let Some(s) = rules.signoff.as_deref().filter(|s| !s.trim().is_empty()) {
        let s = render_with(s, &vars)?.text;
        if !body.contains(s.trim()) {
            parts.push(s.trim().to_owned());
        }
    }
    if rules.include_reference && !ctx.reference.is_empty() && !body.contains(&ctx.reference) {
        parts.push(format!("Ref: {}", ctx.reference));
    }
    let text = parts.join("\n\n");
    let words = word_count(&text);
    let warning = if rules.max_words > 0 && words > usize::try_from(rules.max_words).unwrap_or(0) {
        Some(format!(
            "This reply has {words} words; {} replies should stay under {} words.",
            tone_label(&rules.tone),
            rules.max_words
        ))
    } else {
        rules
            .max_chars
            .filter(|m| *m > 0 && text.chars().count() > usize::try_from(*m).unwrap_or(0))
            .map(|m| {
                format!(
                    "This reply has {} characters; keep it under {m} on this channel.",
                    text.chars().count()
                )
            })
    };
    Ok(Formatted {
        text,
        words,
        warning,
        tone: tone_label(&rules.tone).to_owned(),
    })
}

/// Formats an agent's draft for the conversation's channel (offered in the composer).
///
/// # Errors
/// Permission; `NotFound`; a stored template that no longer renders.
pub async fn for_conversation(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    body: &str,
) -> ServiceResult<Formatted> {
    actor.require(crate::permissions::Action::ReplyToCustomers)?;
    let c = conversations::find(&state.db, actor.scope, conversation_id).await?;
    let cust = customers::find(&state.db, actor.scope, c.customer_id).await?;
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Api);
    let rules = super::settings::rules(
        &super::settings::get_or_create(&state.db, actor.scope, channel).await?,
    );
    let workspace_name = global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(actor.scope.workspace_id()))
        .one(&state.db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let ctx = FormatContext {
        customer_name: cust.name,
        customer_email: cust.email.unwrap_or_default(),
        agent_name: actor.name.clone(),
        workspace_name,
        reference: ticket_ref(c.number),
        subject: c.subject,
    };
    apply(&rules, body, &ctx)
}

/// The tone as words.
pub fn tone_label(tone: &str) -> &'static str {
    match tone {
        "formal" => "formal",
        "conversational" => "conversational",
        _ => "semi-formal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FormatContext {
        FormatContext {
            customer_name: "Dana Park".into(),
            customer_email: "dana@example.com".into(),
            agent_name: "Sam Lee".into(),
            workspace_name: "Acme".into(),
            reference: "TKT-000042".into(),
            subject: "Zip".into(),
        }
    }

    #[test]
    fn email_rules_add_greeting_signoff_and_reference() {
        let rules = FormatRules {
            tone: "formal".into(),
            max_words: 500,
            max_chars: None,
            greeting: Some("Hi {{ customer.first_name }},".into()),
            signoff: Some("Best regards,\n{{ agent.name }}\n{{ workspace.name }}".into()),
            include_reference: true,
        };
        let f = apply(&rules, "Your parcel left today.", &ctx()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            f.text,
            "Hi Dana,\n\nYour parcel left today.\n\nBest regards,\nSam Lee\nAcme\n\nRef: TKT-000042"
        );
        assert!(f.warning.is_none());
        // Applying twice does not double anything.
        let again = apply(&rules, &f.text, &ctx()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.text, f.text);
    }

    #[test]
    fn long_replies_are_flagged() {
        let rules = FormatRules {
            tone: "semi_formal".into(),
            max_words: 5,
            ..FormatRules::default()
        };
        let f =
            apply(&rules, "one two three four five six", &ctx()).unwrap_or_else(|e| panic!("{e}"));
        assert!(f.warning.as_deref().unwrap_or_default().contains("6 words"));
    }
}
