//! The outbox worker: one per instance, on the server's main runtime. It
//! claims due messages from the outbox ([`Storage::outbox`], on PostgreSQL
//! a pool of one connection of its own), sends each through the
//! [`Mailer`], records the outcome (`domain::services::MailRelay`: sent,
//! retried with exponential backoff, or failed after `MAIL_MAX_ATTEMPTS`),
//! logs it with the recipient masked, and counts it in the metrics.
//!
//! Instances sharing a database share the outbox: a claim is atomic per
//! message (`FOR UPDATE SKIP LOCKED`), so each message is sent by one of
//! them. When the server stops, the worker finishes the message in flight,
//! gives the rest of its batch back (due at once, for the next instance or
//! start), and ends; a worker killed outright leaves its claimed messages to
//! come due again when their lease runs out.

use std::sync::Arc;
use std::time::Duration;

use domain::ClaimedMail;
use domain::ports::{Clock, Mailer};
use domain::services::{Delivery, MailRelay, Outcome, RelayPolicy};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::inbound::metrics::Metrics;
use crate::startup::storage::Storage;

/// How often an idle worker looks for due messages.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How often the outbox gauges are refreshed.
const STATS_INTERVAL: Duration = Duration::from_secs(10);

/// The worker's parts.
pub(crate) struct MailWorker {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: RelayPolicy,
    pub(crate) metrics: Option<Metrics>,
}

/// A started worker, to be stopped at shutdown.
pub(crate) struct RunningMailWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MailWorker {
    /// Starts the worker on the current runtime.
    pub(crate) fn spawn(self) -> RunningMailWorker {
        let (stop, stopping) = watch::channel(false);
        let task = tokio::spawn(self.run(stopping));
        RunningMailWorker { stop, task }
    }

    async fn run(self, mut stopping: watch::Receiver<bool>) {
        let mut relay: Option<MailRelay> = None;
        let mut stats_due = tokio::time::Instant::now();
        loop {
            if *stopping.borrow() {
                return;
            }
            if relay.is_none() {
                match self.storage.outbox().await {
                    Ok(outbox) => {
                        relay = Some(MailRelay::new(
                            outbox,
                            self.mailer.clone(),
                            self.clock.clone(),
                            self.policy,
                        ));
                    }
                    Err(error) => tracing::warn!(
                        error = format!("{error:#}"),
                        "mail: the outbox cannot be opened; retrying"
                    ),
                }
            }
            let mut full_batch = false;
            if let Some(relay) = &relay {
                match relay.claim().await {
                    Ok(batch) => {
                        full_batch = batch.len() >= self.policy.batch as usize;
                        deliver_batch(relay, batch, &stopping, self.metrics.as_ref()).await;
                    }
                    Err(error) => tracing::warn!(
                        error = format!("{error:#}"),
                        "mail: claiming due messages failed; retrying"
                    ),
                }
                if let Some(metrics) = &self.metrics
                    && tokio::time::Instant::now() >= stats_due
                {
                    stats_due = tokio::time::Instant::now() + STATS_INTERVAL;
                    if let Ok(stats) = relay.stats().await {
                        metrics.mail().outbox(&stats, self.clock.now());
                    }
                }
            }
            if !full_batch {
                tokio::select! {
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                    _ = stopping.changed() => {}
                }
            }
        }
    }
}

impl RunningMailWorker {
    /// Asks the worker to stop and waits up to `timeout` for the message in
    /// flight; past that the send is cut off, and its message comes due
    /// again when its lease runs out (delivery is at least once).
    pub(crate) async fn stop(self, timeout: Duration) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(timeout, &mut task).await.is_err() {
            tracing::warn!("mail: the send in flight did not finish in time; it is retried later");
            task.abort();
        }
    }
}

/// Delivers a claimed batch one message at a time; when stopping, gives
/// back what is left.
async fn deliver_batch(
    relay: &MailRelay,
    batch: Vec<ClaimedMail>,
    stopping: &watch::Receiver<bool>,
    metrics: Option<&Metrics>,
) {
    let mut rest = batch.into_iter();
    while let Some(mail) = rest.next() {
        if *stopping.borrow() {
            let unsent: Vec<ClaimedMail> = std::iter::once(mail).chain(rest).collect();
            if let Err(error) = relay.release(&unsent).await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    count = unsent.len(),
                    "mail: giving claimed messages back failed; they come due when their lease ends"
                );
            }
            return;
        }
        let id = mail.id.0;
        match relay.deliver(mail).await {
            Ok(delivery) => {
                log(&delivery);
                if let Some(metrics) = metrics {
                    metrics.mail().delivered(&delivery.outcome);
                }
            }
            Err(error) => tracing::warn!(
                outbox_id = id,
                error = format!("{error:#}"),
                "mail: recording a delivery failed; the message comes due again when its lease ends"
            ),
        }
    }
}

fn log(delivery: &Delivery) {
    let Delivery {
        id,
        recipient,
        attempt,
        outcome,
        error,
    } = delivery;
    let error = error.as_deref().unwrap_or_default();
    match outcome {
        Outcome::Sent => {
            tracing::info!(outbox_id = id.0, recipient, attempt, "mail sent");
        }
        Outcome::Retry(at) => tracing::warn!(
            outbox_id = id.0,
            recipient,
            attempt,
            error,
            retry_at = %at,
            "mail delivery failed; retrying later"
        ),
        Outcome::Failed => tracing::error!(
            outbox_id = id.0,
            recipient,
            attempt,
            error,
            "mail delivery failed for good; the message is marked failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use domain::ports::{MailError, Repositories};
    use domain::time::SystemClock;
    use domain::{Email, MailMessage};
    use infra_memory::MemoryStore;
    use tokio::sync::Notify;

    use super::*;
    use crate::startup::storage::PoolStats;

    /// The memory store as the worker's storage.
    struct Memory(MemoryStore);

    #[async_trait]
    impl Storage for Memory {
        async fn repositories_for_this_worker(&self) -> anyhow::Result<Repositories> {
            Ok(self.0.repositories())
        }
        fn pool_stats(&self) -> Option<PoolStats> {
            None
        }
        async fn close(&self) {}
        fn kind(&self) -> &'static str {
            "memory"
        }
    }

    /// A mailer whose every send waits until the test lets it finish.
    #[derive(Default)]
    struct HeldMailer {
        started: Notify,
        release: Notify,
        sent: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl Mailer for HeldMailer {
        async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
            self.started.notify_one();
            self.release.notified().await;
            self.sent.lock().unwrap().push(message.subject.clone());
            Ok(())
        }
    }

    fn message(n: u32) -> MailMessage {
        MailMessage {
            to: Email::parse("alice@example.org").unwrap(),
            subject: format!("message {n}"),
            text: "t".into(),
            html: "<p>t</p>".into(),
        }
    }

    #[tokio::test]
    async fn stopping_finishes_the_send_in_flight_and_gives_the_rest_back() {
        let store = MemoryStore::new(Arc::new(SystemClock));
        let outbox = store.repositories().outbox;
        for n in 1..=3 {
            outbox
                .enqueue(message(n), SystemClock::now())
                .await
                .unwrap();
        }
        let mailer = Arc::new(HeldMailer::default());
        let running = MailWorker {
            storage: Arc::new(Memory(store.clone())),
            mailer: mailer.clone(),
            clock: Arc::new(SystemClock),
            policy: RelayPolicy::default(),
            metrics: None,
        }
        .spawn();
        // The first message is being sent: ask the worker to stop now.
        mailer.started.notified().await;
        let stopping = tokio::spawn(running.stop(Duration::from_secs(10)));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!stopping.is_finished(), "stop waits for the send in flight");
        mailer.release.notify_one();
        stopping.await.unwrap();

        assert_eq!(*mailer.sent.lock().unwrap(), ["message 1"]);
        let stats = outbox.stats().await.unwrap();
        assert_eq!((stats.sent, stats.pending), (1, 2), "{stats:?}");
        // The other two are due at once, as never attempted.
        let again = outbox
            .claim(SystemClock::now(), Duration::from_secs(60), 10)
            .await
            .unwrap();
        let attempts: Vec<u32> = again.iter().map(|m| m.attempt).collect();
        assert_eq!(attempts, [1, 1]);
    }
}
