//! Buses shared between instances: NATS core subjects and Redis pub/sub.
//!
//! Every published event goes out on `{prefix}.ev.{workspace}` (NATS) or
//! `{prefix}:ev:{workspace}` (Redis) and comes back to every instance, this one
//! included, whose [`Hub`] hands it to the subscribers of that workspace only.
//! Publishing never blocks a request: events queue for one sender task, which
//! keeps their order; when the bus is down they wait there (up to
//! [`QUEUE`] events, then the oldest news is dropped and counted) and
//! `/readyz` reports the bus as failing.

use app::services::bus::{Event, EventBus, Hub};
use app::services::config::{BusConfig, BusKind};
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Events waiting for the sender task at most.
pub const QUEUE: usize = 65_536;

/// Builds the configured bus.
///
/// # Errors
/// A missing URL, or a NATS / Redis server that cannot be reached.
pub async fn from_config(cfg: &BusConfig) -> anyhow::Result<Arc<dyn EventBus>> {
    let url = || {
        cfg.url.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "bus.url is required for the {:?} bus (SWITCHBOARD_BUS__URL)",
                cfg.kind
            )
        })
    };
    Ok(match cfg.kind {
        BusKind::InProcess => Arc::new(app::services::bus::InProcessBus::default()),
        BusKind::Nats => Arc::new(NatsBus::connect(&url()?, &cfg.prefix).await?),
        BusKind::Redis => Arc::new(RedisBus::connect(&url()?, &cfg.prefix).await?),
    })
}

/// What both shared buses keep: the hub and the sender queue.
#[derive(Debug)]
struct Shared {
    hub: Arc<Hub>,
    queue: mpsc::Sender<Event>,
    dropped: AtomicU64,
}

impl Shared {
    fn new(hub: Arc<Hub>, queue: mpsc::Sender<Event>) -> Self {
        Self {
            hub,
            queue,
            dropped: AtomicU64::new(0),
        }
    }

    fn enqueue(&self, event: Event) {
        if let Err(e) = self.queue.try_send(event) {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, error = %e, "bus queue full: live events dropped (pages resync on reconnect)");
            }
        }
    }
}

fn decode(payload: &[u8]) -> Option<Event> {
    match serde_json::from_slice(payload) {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::warn!(error = %e, "ignoring a bus message that is not an event");
            None
        }
    }
}

/// A bus shared between instances: NATS core or Redis pub/sub. At most once,
/// like the in-process bus: durable work goes through the job queue in the
/// database, never through the bus.
#[derive(Debug)]
pub struct SharedBus {
    shared: Shared,
    link: Link,
}

/// What tells a shared bus's health.
#[derive(Debug)]
enum Link {
    Nats(async_nats::Client),
    Redis {
        subscribed: Arc<AtomicBool>,
        publishing: Arc<AtomicBool>,
    },
}

/// Events over NATS core subjects.
#[derive(Debug)]
pub struct NatsBus;

impl NatsBus {
    /// Connects, subscribes to every workspace's subject and starts the sender.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the subscription.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<SharedBus> {
        let client = async_nats::ConnectOptions::new()
            .name("switchboard")
            .connection_timeout(Duration::from_secs(5))
            .subscription_capacity(QUEUE)
            .connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to the NATS bus at {url}: {e}"))?;
        let hub = Arc::new(Hub::default());
        let mut sub = client
            .subscribe(format!("{prefix}.ev.>"))
            .await
            .map_err(|e| anyhow::anyhow!("subscribing on the NATS bus: {e}"))?;
        let inbound = hub.clone();
        tokio::spawn(async move {
            // Resubscribed by the client after a reconnect; ends when it closes.
            while let Some(m) = sub.next().await {
                if let Some(e) = decode(&m.payload) {
                    inbound.deliver(e);
                }
            }
        });
        let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
        let sender = client.clone();
        let prefix = prefix.to_owned();
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                let subject = format!("{prefix}.ev.{}", e.workspace_id);
                let Ok(body) = serde_json::to_vec(&e) else {
                    continue;
                };
                // The client buffers while reconnecting; an error means it closed.
                if let Err(err) = sender.publish(subject, body.into()).await {
                    tracing::warn!(error = %err, "NATS publish failed");
                }
            }
        });
        Ok(SharedBus {
            shared: Shared::new(hub, tx),
            link: Link::Nats(client),
        })
    }
}

/// Events over Redis pub/sub. The subscriber and the publisher each reconnect
/// on their own after a failure, backing off up to five seconds.
#[derive(Debug)]
pub struct RedisBus;

impl RedisBus {
    /// Connects both sides once (so a wrong URL fails at start-up) and starts
    /// the subscriber and the sender.
    ///
    /// # Errors
    /// The server cannot be reached.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<SharedBus> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("the Redis bus URL {url}: {e}"))?;
        let reach =
            |e: redis::RedisError| anyhow::anyhow!("connecting to the Redis bus at {url}: {e}");
        let mut pubsub = client.get_async_pubsub().await.map_err(reach)?;
        let pattern = format!("{prefix}:ev:*");
        pubsub.psubscribe(&pattern).await.map_err(reach)?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(reach)?;
        let hub = Arc::new(Hub::default());
        let subscribed = Arc::new(AtomicBool::new(true));
        let publishing = Arc::new(AtomicBool::new(true));
        tokio::spawn(subscribe_loop(
            client.clone(),
            pattern,
            pubsub,
            hub.clone(),
            subscribed.clone(),
        ));
        let (tx, rx) = mpsc::channel::<Event>(QUEUE);
        tokio::spawn(publish_loop(
            client,
            conn,
            prefix.to_owned(),
            rx,
            publishing.clone(),
        ));
        Ok(SharedBus {
            shared: Shared::new(hub, tx),
            link: Link::Redis {
                subscribed,
                publishing,
            },
        })
    }
}

async fn backoff(attempt: &mut u32) {
    let ms = 100u64.saturating_mul(1 << (*attempt).min(6)).min(5_000);
    *attempt += 1;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

async fn subscribe_loop(
    client: redis::Client,
    pattern: String,
    first: redis::aio::PubSub,
    hub: Arc<Hub>,
    up: Arc<AtomicBool>,
) {
    let mut pubsub = Some(first);
    let mut attempt = 0;
    loop {
        let current = match pubsub.take() {
            Some(p) => p,
            None => {
                let again = async {
                    let mut p = client.get_async_pubsub().await?;
                    p.psubscribe(&pattern).await?;
                    Ok::<_, redis::RedisError>(p)
                };
                match again.await {
                    Ok(p) => {
                        tracing::info!("Redis bus subscription restored");
                        p
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "Redis bus: resubscribing failed");
                        backoff(&mut attempt).await;
                        continue;
                    }
                }
            }
        };
        up.store(true, Ordering::Relaxed);
        attempt = 0;
        let mut stream = current.into_on_message();
        while let Some(m) = stream.next().await {
            if let Some(e) = decode(m.get_payload_bytes()) {
                hub.deliver(e);
            }
        }
        up.store(false, Ordering::Relaxed);
        tracing::warn!("Redis bus subscription lost; reconnecting");
        backoff(&mut attempt).await;
    }
}

async fn publish_loop(
    client: redis::Client,
    first: redis::aio::MultiplexedConnection,
    prefix: String,
    mut rx: mpsc::Receiver<Event>,
    up: Arc<AtomicBool>,
) {
    let mut conn = Some(first);
    let mut attempt = 0;
    while let Some(e) = rx.recv().await {
        let channel = format!("{prefix}:ev:{}", e.workspace_id);
        let Ok(body) = serde_json::to_vec(&e) else {
            continue;
        };
        // Retries this event until it is published: order is kept.
        loop {
            let c = match conn.as_mut() {
                Some(c) => c,
                None => match client.get_multiplexed_async_connection().await {
                    Ok(c) => conn.insert(c),
                    Err(err) => {
                        up.store(false, Ordering::Relaxed);
                        tracing::warn!(error = %err, "Redis bus: reconnecting the publisher failed");
                        backoff(&mut attempt).await;
                        continue;
                    }
                },
            };
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(body.as_slice())
                .query_async(c)
                .await;
            match sent {
                Ok(_) => {
                    up.store(true, Ordering::Relaxed);
                    attempt = 0;
                    break;
                }
                Err(err) => {
                    up.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %err, "Redis bus publish failed; reconnecting");
                    conn = None;
                    backoff(&mut attempt).await;
                }
            }
        }
    }
}

impl EventBus for SharedBus {
    fn publish(&self, event: Event) {
        self.shared.enqueue(event);
    }

    fn hub(&self) -> &Hub {
        &self.shared.hub
    }

    fn name(&self) -> &'static str {
        match self.link {
            Link::Nats(_) => "nats",
            Link::Redis { .. } => "redis",
        }
    }

    fn shared(&self) -> bool {
        true
    }

    fn health(&self) -> Result<(), String> {
        match &self.link {
            Link::Nats(client) => match client.connection_state() {
                async_nats::connection::State::Connected => Ok(()),
                other => Err(format!("NATS connection is {other:?}")),
            },
            Link::Redis {
                subscribed,
                publishing,
            } => match (
                subscribed.load(Ordering::Relaxed),
                publishing.load(Ordering::Relaxed),
            ) {
                (true, true) => Ok(()),
                (false, _) => Err("Redis subscription is down (reconnecting)".into()),
                (true, false) => Err("Redis publisher is down (reconnecting)".into()),
            },
        }
    }
}
