//! The real-time bus. Domain events are published once, after the transaction that
//! produced them commits (see [`super::uow::UnitOfWork`]). The in-process bus is the
//! embedded default; the server's NATS and Redis implementations of [`EventBus`]
//! carry events between instances, and each instance's [`Hub`] routes them to
//! the subscribers of their workspace.

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
///
/// Events reach subscribers through this instance's [`Hub`], which routes each
/// one to the subscribers of its workspace only; a bus shared between instances
/// (NATS, Redis) carries every published event to every instance's hub.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes an event to every subscriber (best effort, never blocks).
    fn publish(&self, event: Event);
    /// This instance's hub, where subscriptions are made.
    fn hub(&self) -> &Hub;
    /// Every event delivered to this instance, of any workspace (presence,
    /// worker wake-ups, cache invalidation).
    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.hub().subscribe_all()
    }
    /// The events of one workspace only: other workspaces' events cost this
    /// subscriber nothing.
    fn subscribe_workspace(&self, workspace_id: i32) -> broadcast::Receiver<Event> {
        self.hub().subscribe_workspace(workspace_id)
    }
    /// Implementation name for `/readyz`.
    fn name(&self) -> &'static str;
    /// Whether events published here reach other processes (then wake-ups and
    /// shared counters travel on it too).
    fn shared(&self) -> bool {
        false
    }
    /// Whether the bus can deliver.
    ///
    /// # Errors
    /// What is wrong with the bus.
    fn health(&self) -> Result<(), String>;
}

/// Workspace id of events that belong to the deployment, not to a workspace
/// (worker wake-ups, shared rate-limit counts); never delivered to a socket.
pub const SYSTEM: i32 = 0;

/// A [`SYSTEM`] event: work was enqueued somewhere; workers look for it now.
pub const JOBS_WAKE: &str = "jobs.wake";

/// A [`SYSTEM`] event: rate-limit hits one instance counted, for the others.
pub const LIMIT_HITS: &str = "limits.hits";

/// What a [`Hub`] watcher follows inside its workspace: one conversation's
/// events, or those naming one customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Events whose `conversation_id` (or, for `conversation.*`, `id`) is this.
    Conversation(i32),
    /// Events whose `customer_id` is this.
    Customer(i32),
}

impl Topic {
    /// The topics an event belongs to.
    pub fn of(e: &Event) -> [Option<Topic>; 2] {
        let int = |k: &str| {
            e.data
                .get(k)
                .and_then(serde_json::Value::as_i64)
                .and_then(|x| i32::try_from(x).ok())
        };
        let conversation = int("conversation_id").or_else(|| {
            e.kind
                .starts_with("conversation.")
                .then(|| int("id"))
                .flatten()
        });
        [
            conversation.map(Topic::Conversation),
            int("customer_id").map(Topic::Customer),
        ]
    }
}

/// A watcher's handle (see [`Hub::watcher`]).
pub type WatcherId = u64;

#[derive(Debug, Default)]
struct Watchers {
    next: WatcherId,
    senders: std::collections::HashMap<
        WatcherId,
        (
            i32,
            tokio::sync::mpsc::Sender<Event>,
            std::collections::HashSet<Topic>,
        ),
    >,
    topics: std::collections::HashMap<(i32, Topic), Vec<WatcherId>>,
}

/// This instance's fan-out: one broadcast channel per workspace that has
/// subscribers, one for subscribers of everything, and watchers of single
/// conversations and customers (a visitor's widget socket), so that an event
/// costs work only for the sockets that care about it.
#[derive(Debug)]
pub struct Hub {
    capacity: usize,
    all: broadcast::Sender<Event>,
    workspaces: std::sync::RwLock<std::collections::HashMap<i32, broadcast::Sender<Event>>>,
    watchers: std::sync::Mutex<Watchers>,
}

impl Hub {
    /// A hub buffering up to `capacity` events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (all, _) = broadcast::channel(capacity);
        Self {
            capacity,
            all,
            workspaces: std::sync::RwLock::default(),
            watchers: std::sync::Mutex::default(),
        }
    }

    /// Hands an event to this instance's subscribers.
    pub fn deliver(&self, event: Event) {
        let ws = event.workspace_id;
        let mut gone = false;
        if ws != SYSTEM {
            let map = self
                .workspaces
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(tx) = map.get(&ws) {
                // No receiver left: the workspace's last socket closed.
                gone = tx.send(event.clone()).is_err();
            }
        }
        if gone {
            let mut map = self
                .workspaces
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.get(&ws).is_some_and(|tx| tx.receiver_count() == 0) {
                map.remove(&ws);
            }
        }
        if ws != SYSTEM {
            self.notify_watchers(&event);
        }
        // No subscribers is not an error: nobody is listening right now.
        let _ = self.all.send(event);
    }

    fn notify_watchers(&self, event: &Event) {
        let topics = Topic::of(event);
        if topics.iter().all(Option::is_none) {
            return;
        }
        let w = self
            .watchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut sent: Vec<WatcherId> = Vec::new();
        for t in topics.into_iter().flatten() {
            for id in w.topics.get(&(event.workspace_id, t)).into_iter().flatten() {
                if sent.contains(id) {
                    continue;
                }
                sent.push(*id);
                if let Some((_, tx, _)) = w.senders.get(id) {
                    // Full: a stuck socket misses live news, the page resyncs.
                    let _ = tx.try_send(event.clone());
                }
            }
        }
    }

    /// A new watcher for sockets that follow single conversations or
    /// customers of `workspace_id`: nothing arrives until it [`Self::watch`]es
    /// a topic. Call [`Self::unwatch_all`] when the socket closes.
    pub fn watcher(&self, workspace_id: i32) -> (WatcherId, tokio::sync::mpsc::Receiver<Event>) {
        let (tx, rx) = tokio::sync::mpsc::channel(self.capacity.min(256));
        let mut w = self
            .watchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        w.next += 1;
        let id = w.next;
        w.senders
            .insert(id, (workspace_id, tx, std::collections::HashSet::new()));
        (id, rx)
    }

    /// Adds a topic to a watcher (again is a no-op).
    pub fn watch(&self, id: WatcherId, topic: Topic) {
        let mut w = self
            .watchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((ws, _, topics)) = w.senders.get_mut(&id) else {
            return;
        };
        let ws = *ws;
        if topics.insert(topic) {
            w.topics.entry((ws, topic)).or_default().push(id);
        }
    }

    /// Forgets a watcher and its topics.
    pub fn unwatch_all(&self, id: WatcherId) {
        let mut w = self
            .watchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((ws, _, topics)) = w.senders.remove(&id) else {
            return;
        };
        for t in topics {
            if let Some(ids) = w.topics.get_mut(&(ws, t)) {
                ids.retain(|x| *x != id);
                if ids.is_empty() {
                    w.topics.remove(&(ws, t));
                }
            }
        }
    }

    /// Watchers registered on this instance.
    pub fn watchers(&self) -> usize {
        self.watchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .senders
            .len()
    }

    /// Every event.
    pub fn subscribe_all(&self) -> broadcast::Receiver<Event> {
        self.all.subscribe()
    }

    /// One workspace's events.
    pub fn subscribe_workspace(&self, workspace_id: i32) -> broadcast::Receiver<Event> {
        let mut map = self
            .workspaces
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(workspace_id)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    /// Workspaces with a live subscription on this instance.
    pub fn workspaces_watched(&self) -> usize {
        self.workspaces
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .filter(|tx| tx.receiver_count() > 0)
            .count()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::new(1024)
    }
}

/// Single-process bus: publishing is delivering.
#[derive(Debug, Default)]
pub struct InProcessBus {
    hub: Hub,
}

impl InProcessBus {
    /// A bus buffering up to `capacity` events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        Self {
            hub: Hub::new(capacity),
        }
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, event: Event) {
        self.hub.deliver(event);
    }

    fn hub(&self) -> &Hub {
        &self.hub
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

    #[tokio::test]
    async fn workspace_subscribers_get_only_their_workspace() {
        let bus = InProcessBus::default();
        let mut seven = bus.subscribe_workspace(7);
        let mut eight = bus.subscribe_workspace(8);
        bus.publish(Event::new(8, "a", serde_json::Value::Null));
        bus.publish(Event::new(SYSTEM, "jobs.wake", serde_json::Value::Null));
        bus.publish(Event::new(7, "b", serde_json::Value::Null));
        assert_eq!(
            seven.recv().await.map(|e| e.kind).ok().as_deref(),
            Some("b")
        );
        assert_eq!(
            eight.recv().await.map(|e| e.kind).ok().as_deref(),
            Some("a")
        );
        assert!(eight.try_recv().is_err(), "no system or other events");
        assert_eq!(bus.hub().workspaces_watched(), 2);
        drop(seven);
        bus.publish(Event::new(7, "c", serde_json::Value::Null));
        assert_eq!(
            bus.hub().workspaces_watched(),
            1,
            "closed subscriptions are dropped"
        );
    }

    #[tokio::test]
    async fn watchers_get_their_conversations_and_customers_once() {
        let bus = InProcessBus::default();
        let hub = bus.hub();
        let (id, mut rx) = hub.watcher(7);
        hub.watch(id, Topic::Conversation(70));
        hub.watch(id, Topic::Customer(700));
        let ev = |ws: i32, kind: &str, data: serde_json::Value| Event::new(ws, kind, data);
        bus.publish(ev(
            7,
            "presence.heartbeat",
            serde_json::json!({"conversation_id": 71}),
        ));
        bus.publish(ev(
            8,
            "presence.heartbeat",
            serde_json::json!({"conversation_id": 70}),
        ));
        bus.publish(ev(
            7,
            "message.created",
            serde_json::json!({"conversation_id": 70, "customer_id": 700}),
        ));
        bus.publish(ev(7, "conversation.updated", serde_json::json!({"id": 70})));
        bus.publish(ev(
            7,
            "message.created",
            serde_json::json!({"conversation_id": 72, "customer_id": 700}),
        ));
        let kinds: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|e| format!("{}:{}", e.kind, e.data))
            .collect();
        assert_eq!(
            kinds,
            vec![
                r#"message.created:{"conversation_id":70,"customer_id":700}"#,
                r#"conversation.updated:{"id":70}"#,
                r#"message.created:{"conversation_id":72,"customer_id":700}"#,
            ],
            "other conversations and workspaces stay out, and an event on two topics arrives once"
        );
        hub.unwatch_all(id);
        assert_eq!(hub.watchers(), 0);
        bus.publish(ev(7, "conversation.updated", serde_json::json!({"id": 70})));
        assert!(rx.try_recv().is_err());
    }
}
