//! The real-time bus. Domain events are published once, after the transaction that
//! produced them commits (see [`super::uow::UnitOfWork`]). The in-process bus is the
//! embedded default; a Redis or NATS implementation of [`EventBus`] fans out across
//! instances.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// A domain event, always tied to one workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Owning workspace: subscribers deliver only to that workspace's members.
    pub workspace_id: i32,
    /// Dotted kind, e.g. `team.member_joined`.
    pub kind: String,
    /// Payload (view types only, never raw rows).
    pub data: serde_json::Value,
    /// When, RFC 3339.
    pub at: String,
}

impl Event {
    /// A new event stamped now.
    pub fn new(workspace_id: i32, kind: &str, data: serde_json::Value) -> Self {
        Self {
            workspace_id,
            kind: kind.to_owned(),
            data,
            at: super::now().to_rfc3339(),
        }
    }
}

/// Publish/subscribe for domain events.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes an event to every subscriber (best effort, never blocks).
    fn publish(&self, event: Event);
    /// A new subscription receiving events published from now on.
    fn subscribe(&self) -> broadcast::Receiver<Event>;
    /// Implementation name for `/readyz`.
    fn name(&self) -> &'static str;
    /// Whether the bus can deliver.
    ///
    /// # Errors
    /// What is wrong with the bus.
    fn health(&self) -> Result<(), String>;
}

/// Single-process bus over a tokio broadcast channel.
#[derive(Debug)]
pub struct InProcessBus {
    tx: broadcast::Sender<Event>,
}

impl InProcessBus {
    /// A bus buffering up to `capacity` events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Self { tx }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, event: Event) {
        // No subscribers is not an error: nobody is listening right now.
        let _ = self.tx.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    fn name(&self) -> &'static str {
        "in-process"
    }

    fn health(&self) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_published_events() {
        let bus = InProcessBus::default();
        let mut rx = bus.subscribe();
        bus.publish(Event::new(
            7,
            "team.member_joined",
            serde_json::json!({"id": 1}),
        ));
        let got = rx.recv().await;
        assert!(matches!(got, Ok(e) if e.workspace_id == 7 && e.kind == "team.member_joined"));
    }
}
