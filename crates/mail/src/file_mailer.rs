//! The development [`Mailer`]: each message becomes an RFC 5322 `.eml`
//! file in a directory (`MAIL_DIR`), which any mail client opens. A
//! developer follows a reset link from the file instead of running an SMTP
//! server.
//!
//! A file is written under a hidden temporary name and then renamed, so a
//! reader watching the directory never sees half a message. The log line
//! names the file and the masked recipient; the token is in the file, never
//! in the log. (lettre's own file transport writes in place, hence this.)

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use domain::ports::{MailError, Mailer};
use domain::{MailMessage, mask_address};
use lettre::message::Mailbox;

use crate::message;

/// Writes each message to `<dir>/<UTC time>-<uuid>.eml`.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

/// The directory cannot be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot create the mail directory {}: {source}", dir.display())]
pub struct FileMailerError {
    dir: PathBuf,
    #[source]
    source: std::io::Error,
}

impl FileMailer {
    /// A mailer writing into `dir` as `from`; creates `dir` (and its
    /// parents) if missing.
    ///
    /// # Errors
    /// [`FileMailerError`] when the directory cannot be created.
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> Result<Self, FileMailerError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| FileMailerError {
            dir: dir.clone(),
            source,
        })?;
        Ok(Self { dir, from })
    }

    /// Where the `.eml` files go.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let masked = mask_address(message.to.as_str());
        let bytes = message::build(&self.from, message)?.formatted();
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            uuid::Uuid::new_v4().simple()
        );
        let path = self.dir.join(&name);
        let partial = self.dir.join(format!(".{name}.partial"));
        // A disk problem may pass (space freed, directory recreated): transient.
        let io_error = |what: &str, error: std::io::Error| {
            MailError::Transient(anyhow::anyhow!(
                "cannot {what} {} (mail to {masked}): {error}",
                path.display()
            ))
        };
        // The directory may have been removed since start-up.
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|error| io_error("create the directory of", error))?;
        if let Err(error) = tokio::fs::write(&partial, &bytes).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(io_error("write", error));
        }
        if let Err(error) = tokio::fs::rename(&partial, &path).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(io_error("rename into", error));
        }
        tracing::info!(path = %path.display(), to = %masked, "mail written to a file");
        Ok(())
    }
}
