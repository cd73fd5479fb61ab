//! [`MemoryMailer`]: the outbound mail port over a list in memory, which
//! tests read the delivered messages from.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use domain::MailMessage;
use domain::ports::{MailError, Mailer};

/// How [`MemoryMailer::send`] fails while a failure is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFailure {
    /// As a mail server that cannot be reached: worth retrying.
    Transient,
    /// As a server that refuses the message for good.
    Permanent,
}

/// Keeps every message it is given, in order; or fails as told. Cheap to
/// clone: clones share the list.
#[derive(Debug, Clone, Default)]
pub struct MemoryMailer {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<MailMessage>,
    attempts: u64,
    failing: Option<MailFailure>,
}

impl MemoryMailer {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing under the lock can panic half-way through a change.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every message delivered so far, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<MailMessage> {
        self.state().sent.clone()
    }

    /// The messages delivered to `address` (compared exactly), oldest first.
    #[must_use]
    pub fn sent_to(&self, address: &str) -> Vec<MailMessage> {
        self.state()
            .sent
            .iter()
            .filter(|m| m.to.as_str() == address)
            .cloned()
            .collect()
    }

    /// Calls of `send`, failed ones included.
    #[must_use]
    pub fn attempts(&self) -> u64 {
        self.state().attempts
    }

    /// From now on every `send` fails this way (`None`: delivers again).
    pub fn set_failing(&self, failure: Option<MailFailure>) {
        self.state().failing = failure;
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let mut state = self.state();
        state.attempts += 1;
        match state.failing {
            None => {
                state.sent.push(message.clone());
                Ok(())
            }
            Some(MailFailure::Transient) => Err(MailError::Transient(anyhow::anyhow!(
                "the in-memory mailer is set to fail (transient)"
            ))),
            Some(MailFailure::Permanent) => Err(MailError::Permanent(anyhow::anyhow!(
                "the in-memory mailer is set to fail (permanent)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Email;

    fn message(to: &str) -> MailMessage {
        MailMessage {
            to: Email::parse(to).unwrap(),
            subject: "s".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
        }
    }

    #[tokio::test]
    async fn it_keeps_what_it_delivers_and_fails_as_told() {
        let mailer = MemoryMailer::new();
        mailer.send(&message("a@example.org")).await.unwrap();
        mailer.set_failing(Some(MailFailure::Transient));
        let err = mailer.send(&message("b@example.org")).await.unwrap_err();
        assert!(matches!(err, MailError::Transient(_)), "{err:?}");
        mailer.set_failing(Some(MailFailure::Permanent));
        let err = mailer.send(&message("b@example.org")).await.unwrap_err();
        assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
        mailer.set_failing(None);
        mailer.send(&message("b@example.org")).await.unwrap();
        assert_eq!(mailer.attempts(), 4);
        assert_eq!(mailer.sent().len(), 2);
        assert_eq!(mailer.sent_to("b@example.org").len(), 1);
    }
}
