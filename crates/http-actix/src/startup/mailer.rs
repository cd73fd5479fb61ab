//! The mail adapters the settings describe: the outbound mail port (SMTP
//! with `SMTP_URL`, else `.eml` files under `MAIL_DIR`) and the account
//! mails' templates.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::ports::{MailComposer, Mailer};
use mail::{FileMailer, Mailbox, SmtpMailer, SmtpSettings, TemplateSettings, Templates};

use crate::startup::config::{MailTransport, Settings};

/// The mailer `SMTP_URL` or `MAIL_DIR` names.
///
/// # Errors
/// When `MAIL_FROM` or `SMTP_URL` cannot be used (the settings checked
/// both already), or `MAIL_DIR` cannot be created.
pub fn from_settings(settings: &Settings) -> anyhow::Result<Arc<dyn Mailer>> {
    let mail = &settings.mail;
    let from: Mailbox = mail
        .from
        .parse()
        .with_context(|| format!("MAIL_FROM {:?} is not a mailbox", mail.from))?;
    match &mail.transport {
        MailTransport::Smtp(url) => {
            let smtp = SmtpSettings::from_url(url.expose())
                .context("SMTP_URL")?
                .with_timeout(Duration::from_secs(mail.timeout_seconds));
            tracing::info!(
                host = smtp.host(),
                port = smtp.port(),
                security = ?smtp.security(),
                "mail goes to the SMTP server"
            );
            Ok(Arc::new(SmtpMailer::new(&smtp, from).context("SMTP_URL")?))
        }
        MailTransport::Files(dir) => {
            let mailer = FileMailer::new(dir, from).with_context(|| {
                format!(
                    "MAIL_DIR: cannot create {}; point MAIL_DIR at a writable directory, or \
                     set SMTP_URL",
                    dir.display()
                )
            })?;
            let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            tracing::info!(
                dir = %shown.display(),
                "mail is written to files (.eml), not sent: set SMTP_URL to send it"
            );
            Ok(Arc::new(mailer))
        }
    }
}

/// The account mails' templates, with `APP_NAME` and the link templates.
///
/// # Errors
/// When `APP_NAME` cannot go in a subject, or a link template is unusable.
pub fn templates(settings: &Settings) -> anyhow::Result<Arc<dyn MailComposer>> {
    let templates = Templates::new(TemplateSettings {
        app_name: settings.server.app_name.clone(),
        password_reset_url: settings.mail.password_reset_url.clone(),
        email_verify_url: settings.mail.email_verify_url.clone(),
    })
    .context("the mail templates")?;
    Ok(Arc::new(templates))
}
