//! Ninety days of past conversations for the demo workspace, so reports have
//! something to show on a fresh install: solved and closed tickets across
//! channels, priorities, agents and tags, with first replies, resolutions,
//! survey answers, SLA outcomes and AI resolutions, plus a few still open.
//! Written as rows (nothing to send, route or answer: it all happened), with
//! their own customers so the demo inbox's fresh tickets stay on top.

use app::services::tenancy::Scoped;
use app::services::{now, ServiceResult};
use chrono::Duration;
use entity::{
    conversation, conversation_tag, csat_response, customer, customer_identifier, message, tag,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// How many past conversations the demo gets.
pub const HISTORY: u32 = 240;

const FIRST: &[&str] = &[
    "Avery", "Blake", "Camila", "Dmitri", "Elif", "Fatima", "Gabriel", "Hiro", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya",
];
const LAST: &[&str] = &[
    "Brooks", "Nakamura", "Rossi", "Ivanova", "Kaya", "Diallo", "Silva", "Tanaka", "Ferreira",
    "Berg", "Mensah", "Novak", "Ruiz", "Haddad", "Aziz", "Patel",
];
const TOPICS: &[(&str, &str, &[&str])] = &[
    (
        "Where is my parcel?",
        "Tracking has not moved for three days.",
        &["shipping"],
    ),
    (
        "Refund for a returned jacket",
        "I sent the jacket back two weeks ago, when do I get my money?",
        &["returns", "billing"],
    ),
    (
        "Charged twice",
        "My card shows two charges for one order.",
        &["billing"],
    ),
    (
        "Wrong size delivered",
        "I ordered boots in 42 and received 44.",
        &["returns", "shipping"],
    ),
    (
        "Tent zipper broke",
        "The zipper on the door came off after one trip.",
        &["warranty", "tents"],
    ),
    (
        "Change my delivery address",
        "Can you send my order to my office instead?",
        &["shipping"],
    ),
    (
        "Discount code not accepted",
        "The code from your newsletter says invalid.",
        &["billing"],
    ),
    (
        "Which sleeping bag for winter?",
        "I camp at -10°C, which bag do you recommend?",
        &[],
    ),
];

/// A small deterministic generator (the same history on every install).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Writes the history into the demo workspace.
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_lines)]
pub async fn seed_history(
    db: &impl ConnectionTrait,
    scope: Scoped,
    agents: &[i32],
    teams: &[i32],
    sla_policy: Option<i32>,
) -> ServiceResult<()> {
    let ws = scope.workspace_id();
    let t0 = now();
    let mut rng = Lcg(0x5eed_2026);
    let tags: Vec<tag::Model> = scope.find::<tag::Entity>().all(db).await?;
    let tag_id = |name: &str| tags.iter().find(|t| t.name == name).map(|t| t.id);
    let mut customers = Vec::new();
    for i in 0..24 {
        let name = format!(
            "{} {}",
            FIRST[i % FIRST.len()],
            LAST[(i * 7 + 3 + i / FIRST.len()) % LAST.len()]
        );
        let email = format!(
            "{}.{}@example.net",
            FIRST[i % FIRST.len()].to_lowercase(),
            LAST[(i * 7 + 3 + i / FIRST.len()) % LAST.len()].to_lowercase()
        );
        let created = t0 - Duration::days(120);
        let c = customer::ActiveModel {
            workspace_id: Set(ws),
            name: Set(name),
            email: Set(Some(email.clone())),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await?;
        customer_identifier::ActiveModel {
            workspace_id: Set(ws),
            customer_id: Set(c.id),
            kind: Set("email".into()),
            value: Set(email),
            verified: Set(true),
            created_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await?;
        customers.push(c.id);
    }
    for i in 0..HISTORY {
        // More tickets lately: the further back, the fewer.
        let back_hours = i64::try_from(rng.below(90 * 24)).unwrap_or(0);
        let back_hours = back_hours * i64::from(HISTORY - i) / i64::from(HISTORY) + 2;
        let created = t0
            - Duration::hours(back_hours)
            - Duration::minutes(i64::try_from(rng.below(60)).unwrap_or(0));
        let (subject, body, topic_tags) =
            TOPICS[usize::try_from(rng.below(TOPICS.len() as u64)).unwrap_or(0)];
        let channel = ["email", "email", "chat", "chat", "web_form", "api"]
            [usize::try_from(rng.below(6)).unwrap_or(0)];
        let priority = ["low", "normal", "normal", "normal", "high", "urgent"]
            [usize::try_from(rng.below(6)).unwrap_or(0)];
        let open_now = back_hours < 72 && rng.chance(40);
        let ai = channel == "chat" && rng.chance(35);
        let agent =
            (!ai).then(|| agents[usize::try_from(rng.below(agents.len() as u64)).unwrap_or(0)]);
        let first_reply = (!ai || rng.chance(20)).then(|| {
            let mins = match priority {
                "urgent" => 5 + rng.below(40),
                "high" => 10 + rng.below(120),
                _ => 20 + rng.below(600),
            };
            created + Duration::minutes(i64::try_from(mins).unwrap_or(0))
        });
        let solved = (!open_now).then(|| {
            let base = first_reply.unwrap_or(created);
            base + Duration::minutes(i64::try_from(15 + rng.below(60 * 30)).unwrap_or(0))
        });
        let status = match (open_now, rng.chance(50)) {
            (true, true) => "open",
            (true, false) => "pending",
            (false, true) => "closed",
            (false, false) => "solved",
        };
        let breached = sla_policy.is_some() && rng.chance(12);
        let number = app::services::inbox::conversations::next_number(db, scope).await?;
        let customer_id =
            customers[usize::try_from(rng.below(customers.len() as u64)).unwrap_or(0)];
        let last = solved.or(first_reply).unwrap_or(created);
        let c = conversation::ActiveModel {
            workspace_id: Set(ws),
            number: Set(number),
            subject: Set(subject.to_owned()),
            status: Set(status.to_owned()),
            priority: Set(priority.to_owned()),
            channel: Set(channel.to_owned()),
            customer_id: Set(customer_id),
            assignee_id: Set(agent),
            team_id: Set((!teams.is_empty())
                .then(|| teams[usize::try_from(rng.below(teams.len() as u64)).unwrap_or(0)])),
            custom_fields: Set("{}".into()),
            first_response_at: Set(first_reply),
            solved_at: Set(solved),
            preview: Set(body.to_owned()),
            public_token: Set(app::services::inbox::new_public_token()),
            message_count: Set(if first_reply.is_some() { 2 } else { 1 }),
            last_message_at: Set(last),
            created_at: Set(created),
            updated_at: Set(last),
            ai_state: Set(ai.then(|| "resolved".to_owned())),
            ai_resolved_at: Set(if ai { solved } else { None }),
            ai_kb_misses: Set(0),
            sla_policy_id: Set(sla_policy),
            sla_breached_at: Set(breached.then_some(created + Duration::hours(8))),
            ..Default::default()
        }
        .insert(db)
        .await?;
        message::ActiveModel {
            workspace_id: Set(ws),
            conversation_id: Set(c.id),
            kind: Set("reply".into()),
            direction: Set("inbound".into()),
            author_customer_id: Set(Some(customer_id)),
            body_html: Set(format!("<p>{body}</p>")),
            body_text: Set(body.to_owned()),
            delivery_status: Set("received".into()),
            created_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if let Some(at) = first_reply {
            // Replies of varying care, so AutoQA's demo has something to tell
            // apart (chosen by number: the random sequence stays as it was).
            let text = match number % 5 {
                1 => "Sorry about the trouble with this, I understand how annoying it is. I have fixed it on our side and you should see the change within the hour. Thanks for your patience.",
                3 => "done. reinstall the the app if it still fails",
                4 => "As I said, you should have checked the order page first. It is sorted now.",
                _ => "Thanks for getting in touch — this is sorted now. Let us know if anything else comes up.",
            };
            message::ActiveModel {
                workspace_id: Set(ws),
                conversation_id: Set(c.id),
                kind: Set("reply".into()),
                direction: Set("outbound".into()),
                author_user_id: Set(agent),
                author_label: Set(ai.then(|| "AI agent".to_owned())),
                body_html: Set(format!("<p>{text}</p>")),
                body_text: Set(text.to_owned()),
                delivery_status: Set("sent".into()),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        for t in topic_tags.iter().filter_map(|t| tag_id(t)) {
            conversation_tag::ActiveModel {
                workspace_id: Set(ws),
                conversation_id: Set(c.id),
                tag_id: Set(t),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        if let Some(at) = solved.filter(|_| rng.chance(55)) {
            // Fast, AI-resolved and unbreached tickets rate better.
            let slow = first_reply.is_some_and(|f| f - created > Duration::hours(4)) || breached;
            let rating = if slow {
                1 + rng.below(4)
            } else {
                3 + rng.below(3)
            };
            csat_response::ActiveModel {
                workspace_id: Set(ws),
                conversation_id: Set(c.id),
                customer_id: Set(customer_id),
                rating: Set(i32::try_from(rating).unwrap_or(3)),
                comment: Set(None),
                created_at: Set(at + Duration::hours(1)),
                updated_at: Set(at + Duration::hours(1)),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
