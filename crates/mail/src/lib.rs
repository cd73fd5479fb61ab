//! The mail adapters of the domain's two mail ports.
//!
//! - [`SmtpMailer`] and [`FileMailer`] implement
//!   [`Mailer`](domain::ports::Mailer): SMTP for production (`SMTP_URL`,
//!   parsed into [`SmtpSettings`]), `.eml` files in a directory for
//!   development (`MAIL_DIR`).
//! - [`Templates`] implements [`MailComposer`](domain::ports::MailComposer):
//!   the words of the four account mails, from the templates in
//!   `crates/mail/templates/`.
//!
//! Both mailers turn a [`MailMessage`](domain::MailMessage) into the same
//! RFC 5322 message (`message.rs`), so the file a developer opens is the mail
//! a user gets. Nothing here logs or returns a token, a body, a password or
//! a whole recipient address.

mod file_mailer;
mod message;
mod smtp_mailer;
mod smtp_settings;
mod templates;
#[cfg(feature = "testing")]
pub mod testing;

pub use file_mailer::{FileMailer, FileMailerError};
/// The sender (`MAIL_FROM`), e.g. `"Todo API <no-reply@example.org>".parse()`.
pub use lettre::message::Mailbox;
pub use smtp_mailer::{SmtpMailer, SmtpMailerError};
pub use smtp_settings::{
    SMTP_URL_FORMS, SmtpCredentials, SmtpSecurity, SmtpSettings, SmtpSettingsError,
};
pub use templates::{
    TOKEN_PLACEHOLDER, TemplateError, TemplateSettings, Templates, check_link_template,
};
