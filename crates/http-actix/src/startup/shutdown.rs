//! The signals that stop the server gracefully: SIGTERM (what orchestrators
//! send) and SIGINT (Ctrl-C) alike. actix-web's own handling would treat
//! SIGINT as a forced stop, dropping in-flight requests; handing it this
//! future instead makes both drain.

use std::time::Duration;

#[cfg(unix)]
use tokio::signal::unix::{SignalKind, signal};

/// Listens for the stop signals from now on (so a signal that arrives before
/// the server is polled is not lost, nor fatal).
pub struct ShutdownSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Installs the handlers; must run inside the Tokio runtime.
    ///
    /// # Errors
    /// When the operating system refuses a signal handler.
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            #[cfg(unix)]
            terminate: signal(SignalKind::terminate())?,
            #[cfg(unix)]
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Resolves at the first SIGTERM or SIGINT, logging which and how long
    /// in-flight requests have to finish.
    pub async fn received(self, drain: Duration) {
        let name = self.wait().await;
        tracing::info!(
            signal = name,
            timeout_seconds = drain.as_secs(),
            "shutting down: no new connections, draining in-flight requests"
        );
    }

    #[cfg(unix)]
    async fn wait(mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) -> &'static str {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        "Ctrl-C"
    }
}
