//! The account mails' words: [`Templates`] implements the domain's
//! [`MailComposer`] with askama templates kept as files in
//! `crates/mail/templates/` (a text and an HTML one per mail), checked and
//! compiled with the crate. The `.html` templates are HTML-escaped by askama
//! at every `{{ }}`, so no value (the product's name, a user name, an
//! address) can add markup; the `.txt` ones are written as is.
//!
//! The only secret in a mail is the token, inside its link; the link is
//! built from a configured URL template with the token percent-encoded.

use std::time::Duration;

use askama::Template;
use chrono::{DateTime, Utc};
use domain::MailMessage;
use domain::mask_address;
use domain::ports::{AccountMail, MailComposer};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The placeholder in a link template that the token replaces.
pub const TOKEN_PLACEHOLDER: &str = "{token}";

/// What the templates need from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSettings {
    /// The product's name as the mails show it (`APP_NAME`).
    pub app_name: String,
    /// `PASSWORD_RESET_URL`, e.g. `https://todo.example.org/account/reset?token={token}`.
    pub password_reset_url: String,
    /// `EMAIL_VERIFY_URL`, e.g. `https://todo.example.org/account/verify?token={token}`.
    pub email_verify_url: String,
}

/// A setting the templates cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "{setting} must contain {TOKEN_PLACEHOLDER}, where the token goes (e.g. https://todo.example.org/account/reset?token={TOKEN_PLACEHOLDER})"
    )]
    MissingToken { setting: &'static str },
    #[error(
        "{setting} must be an absolute http or https URL once {TOKEN_PLACEHOLDER} is replaced: {reason}"
    )]
    InvalidUrl {
        setting: &'static str,
        reason: String,
    },
    #[error("the application name must be 1 to 100 characters without control characters")]
    InvalidAppName,
}

/// The four account mails, in plain English.
#[derive(Debug, Clone)]
pub struct Templates {
    settings: TemplateSettings,
}

impl Templates {
    /// # Errors
    /// [`TemplateError::MissingToken`] when a link template lacks `{token}`;
    /// [`TemplateError::InvalidUrl`] when it is not an absolute http(s) URL;
    /// [`TemplateError::InvalidAppName`] for an empty, overlong or
    /// multi-line product name (it goes into the `Subject` header).
    pub fn new(settings: TemplateSettings) -> Result<Self, TemplateError> {
        let name = settings.app_name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(TemplateError::InvalidAppName);
        }
        check_link_template("PASSWORD_RESET_URL", &settings.password_reset_url)?;
        check_link_template("EMAIL_VERIFY_URL", &settings.email_verify_url)?;
        Ok(Self { settings })
    }

    #[must_use]
    pub fn settings(&self) -> &TemplateSettings {
        &self.settings
    }
}

/// Whether `template` (the value of `setting`) is a usable link template:
/// it contains [`TOKEN_PLACEHOLDER`] and, with a token in its place, is an
/// absolute `http(s)` URL with a host. What [`Templates::new`] checks, for
/// the settings to check it too, before anything starts.
///
/// # Errors
/// [`TemplateError::MissingToken`] or [`TemplateError::InvalidUrl`].
pub fn check_link_template(setting: &'static str, template: &str) -> Result<(), TemplateError> {
    if !template.contains(TOKEN_PLACEHOLDER) {
        return Err(TemplateError::MissingToken { setting });
    }
    let invalid = |reason: String| TemplateError::InvalidUrl { setting, reason };
    let url =
        url::Url::parse(&link(template, "TOKEN")).map_err(|error| invalid(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(format!("scheme `{}` without a host", url.scheme())));
    }
    Ok(())
}

/// Unreserved characters (RFC 3986) stay; everything else is encoded. The
/// token is URL-safe base64 today, so this changes nothing unless it changes.
const TOKEN_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn link(template: &str, token: &str) -> String {
    let encoded = utf8_percent_encode(token, TOKEN_ESCAPES).to_string();
    template.replace(TOKEN_PLACEHOLDER, &encoded)
}

/// "30 minutes", "48 hours", "1 hour", "90 seconds": the largest whole unit.
fn lifetime_words(lifetime: Duration) -> String {
    let seconds = lifetime.as_secs();
    let (count, unit) = if seconds >= 3600 && seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

/// "4 December 2026 at 19:25 UTC".
fn time_words(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y at %H:%M UTC").to_string()
}

// One struct per template file, its fields already written out as text; the
// HTML ones also take the subject (the page title of layout.html).
macro_rules! mail_template {
    ($name:ident, $path:tt, { $($field:ident),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            app_name: &'a str,
            username: &'a str,
            $($field: &'a str,)*
        }
    };
}

mail_template!(PasswordResetText, "password_reset.txt", { link, valid_for });
mail_template!(PasswordResetHtml, "password_reset.html", { subject, link, valid_for });
mail_template!(PasswordChangedText, "password_changed.txt", { at });
mail_template!(PasswordChangedHtml, "password_changed.html", { subject, at });
mail_template!(EmailVerificationText, "email_verification.txt", { link, valid_for });
mail_template!(EmailVerificationHtml, "email_verification.html", { subject, link, valid_for });
mail_template!(EmailChangedText, "email_changed.txt", { at, new_address });
mail_template!(EmailChangedHtml, "email_changed.html", { subject, at, new_address });

/// Renders a template. Rendering `&str` fields into a `String` cannot fail
/// (askama fails only when a value's `Display` does), so the error branch is
/// a logged empty part rather than a panic on a request's path.
fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|error| {
        tracing::error!(%error, "a mail template failed to render");
        String::new()
    })
}

impl MailComposer for Templates {
    fn compose(&self, mail: &AccountMail) -> MailMessage {
        let app_name = self.settings.app_name.trim();
        match mail {
            AccountMail::PasswordReset {
                to,
                username,
                token,
                valid_for,
            } => {
                let subject = format!("Reset your {app_name} password");
                let link = link(&self.settings.password_reset_url, token.expose());
                let valid_for = lifetime_words(*valid_for);
                let (subject, username) = (subject.as_str(), username.as_str());
                let (link, valid_for) = (link.as_str(), valid_for.as_str());
                MailMessage {
                    to: to.clone(),
                    subject: subject.to_owned(),
                    text: render(&PasswordResetText {
                        app_name,
                        username,
                        link,
                        valid_for,
                    }),
                    html: render(&PasswordResetHtml {
                        subject,
                        app_name,
                        username,
                        link,
                        valid_for,
                    }),
                }
            }
            AccountMail::PasswordChanged { to, username, at } => {
                let subject = format!("Your {app_name} password was changed");
                let at = time_words(*at);
                let (subject, username, at) = (subject.as_str(), username.as_str(), at.as_str());
                MailMessage {
                    to: to.clone(),
                    subject: subject.to_owned(),
                    text: render(&PasswordChangedText {
                        app_name,
                        username,
                        at,
                    }),
                    html: render(&PasswordChangedHtml {
                        subject,
                        app_name,
                        username,
                        at,
                    }),
                }
            }
            AccountMail::EmailVerification {
                to,
                username,
                token,
                valid_for,
            } => {
                let subject = format!("Confirm your email address for {app_name}");
                let link = link(&self.settings.email_verify_url, token.expose());
                let valid_for = lifetime_words(*valid_for);
                let (subject, username) = (subject.as_str(), username.as_str());
                let (link, valid_for) = (link.as_str(), valid_for.as_str());
                MailMessage {
                    to: to.clone(),
                    subject: subject.to_owned(),
                    text: render(&EmailVerificationText {
                        app_name,
                        username,
                        link,
                        valid_for,
                    }),
                    html: render(&EmailVerificationHtml {
                        subject,
                        app_name,
                        username,
                        link,
                        valid_for,
                    }),
                }
            }
            AccountMail::EmailChanged {
                to,
                username,
                new_address,
                at,
            } => {
                let subject = format!("Your {app_name} email address was changed");
                let at = time_words(*at);
                // The old mailbox may no longer be the user's (a recycled work
                // address): it learns that the address changed, not the new one.
                let new_address = mask_address(new_address.as_str());
                let (subject, username) = (subject.as_str(), username.as_str());
                let (at, new_address) = (at.as_str(), new_address.as_str());
                MailMessage {
                    to: to.clone(),
                    subject: subject.to_owned(),
                    text: render(&EmailChangedText {
                        app_name,
                        username,
                        at,
                        new_address,
                    }),
                    html: render(&EmailChangedHtml {
                        subject,
                        app_name,
                        username,
                        at,
                        new_address,
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
