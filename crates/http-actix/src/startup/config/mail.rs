//! Outbound mail and the account links it carries: where mail goes (SMTP,
//! or `.eml` files), who sends it, the link templates, the one-time tokens'
//! lifetimes, and the outbox's retries.

use std::path::PathBuf;
use std::time::Duration;

use domain::services::RelayPolicy;

use super::Environment;
use super::reader::{Reader, Secret};

/// `MAIL_FROM`'s default.
pub const DEFAULT_MAIL_FROM: &str = "Todo API <no-reply@localhost>";

/// Where mail goes when `SMTP_URL` is unset, and `MAIL_DIR`'s default.
pub const DEFAULT_MAIL_DIR: &str = "data/mail";

pub use mail::TOKEN_PLACEHOLDER;

/// How messages leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// `SMTP_URL`: `smtp://[user:pass@]host[:port][?tls=starttls|none]` or
    /// `smtps://…`. Secret: it may hold a password.
    Smtp(Secret),
    /// Each message an RFC 5322 file (`.eml`) in this directory.
    Files(PathBuf),
}

/// The mail settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// `MAIL_DIR` was set (not the default): files are what the operator
    /// chose, also in production.
    pub files_on_purpose: bool,
    /// `MAIL_FROM`: the sender, e.g. `Todo API <no-reply@example.com>`.
    pub from: String,
    /// `PASSWORD_RESET_URL`: the reset link, `{token}` where the token goes.
    pub password_reset_url: String,
    /// `EMAIL_VERIFY_URL`: the verification link, with `{token}`.
    pub email_verify_url: String,
    /// `PASSWORD_RESET_TOKEN_MINUTES`: how long a reset link works.
    pub password_reset_token_minutes: u64,
    /// `EMAIL_VERIFY_TOKEN_HOURS`: how long a verification link works.
    pub email_verify_token_hours: u64,
    /// `MAIL_MAX_ATTEMPTS`: delivery attempts before a message fails.
    pub max_attempts: u32,
    /// `MAIL_RETRY_SECONDS`: the wait after the first failed attempt; it
    /// doubles with each further failure, up to 15 minutes.
    pub retry_seconds: u64,
    /// `MAIL_TIMEOUT_SECONDS`: the SMTP connection and command timeout.
    pub timeout_seconds: u64,
    /// `REQUIRE_VERIFIED_EMAIL`: a login with the right password by a user
    /// whose address is not verified is refused (403).
    pub require_verified_email: bool,
}

impl MailSettings {
    /// `SMTP_URL`, `MAIL_DIR`, `MAIL_FROM`, `PASSWORD_RESET_URL`,
    /// `EMAIL_VERIFY_URL`, `PASSWORD_RESET_TOKEN_MINUTES`,
    /// `EMAIL_VERIFY_TOKEN_HOURS`, `MAIL_MAX_ATTEMPTS`, `MAIL_RETRY_SECONDS`,
    /// `MAIL_TIMEOUT_SECONDS` and `REQUIRE_VERIFIED_EMAIL`. The links default to the pages this
    /// service serves itself, on `localhost` and the configured `port`.
    pub(super) fn read(r: &mut Reader<'_>, port: u16) -> Self {
        let smtp = r.raw("SMTP_URL");
        let mail_dir = r.raw("MAIL_DIR");
        if let Some(url) = &smtp
            && let Err(error) = mail::SmtpSettings::from_url(url)
        {
            // The parser's message never echoes the value (a password).
            r.problem("SMTP_URL", error);
        }
        if smtp.is_some() && mail_dir.is_some() {
            r.problem(
                "MAIL_DIR",
                "set together with SMTP_URL; mail goes to one of the two: unset one",
            );
        }
        let files_on_purpose = mail_dir.is_some();
        let transport = match smtp {
            Some(url) => MailTransport::Smtp(Secret::new(url)),
            None => MailTransport::Files(PathBuf::from(
                mail_dir.unwrap_or_else(|| DEFAULT_MAIL_DIR.to_owned()),
            )),
        };
        let from = r.string("MAIL_FROM", DEFAULT_MAIL_FROM);
        if from.parse::<mail::Mailbox>().is_err() {
            r.problem(
                "MAIL_FROM",
                format_args!(
                    "expected an address, or a name and an address such as \
                     \"Todo API <no-reply@example.com>\", got {from:?}"
                ),
            );
        }
        let password_reset_url = link(
            r,
            "PASSWORD_RESET_URL",
            &format!("http://localhost:{port}/account/reset?token={TOKEN_PLACEHOLDER}"),
        );
        let email_verify_url = link(
            r,
            "EMAIL_VERIFY_URL",
            &format!("http://localhost:{port}/account/verify?token={TOKEN_PLACEHOLDER}"),
        );
        Self {
            transport,
            files_on_purpose,
            from,
            password_reset_url,
            email_verify_url,
            password_reset_token_minutes: r.ranged("PASSWORD_RESET_TOKEN_MINUTES", 30, 1..=1440),
            email_verify_token_hours: r.ranged("EMAIL_VERIFY_TOKEN_HOURS", 48, 1..=720),
            max_attempts: r.ranged("MAIL_MAX_ATTEMPTS", 8, 1..=100),
            retry_seconds: r.ranged("MAIL_RETRY_SECONDS", 5, 1..=3600),
            timeout_seconds: r.ranged("MAIL_TIMEOUT_SECONDS", 10, 1..=300),
            require_verified_email: r.bool("REQUIRE_VERIFIED_EMAIL", false),
        }
    }

    /// Why the server must not start with these settings in
    /// `environment`: in production, mail to files only on purpose. Checked
    /// at start-up and by `check-config`, not by every command (`api
    /// migrate` sends no mail).
    #[must_use]
    pub fn start_problem(&self, environment: Environment) -> Option<String> {
        (environment == Environment::Production
            && matches!(self.transport, MailTransport::Files(_))
            && !self.files_on_purpose)
            .then(|| {
                "SMTP_URL: ENVIRONMENT=production needs an SMTP server for account mail: set \
                 SMTP_URL (or set MAIL_DIR to write mail to files on purpose)"
                    .to_owned()
            })
    }

    #[must_use]
    pub fn password_reset_lifetime(&self) -> Duration {
        Duration::from_secs(self.password_reset_token_minutes * 60)
    }

    #[must_use]
    pub fn email_verify_lifetime(&self) -> Duration {
        Duration::from_secs(self.email_verify_token_hours * 3600)
    }

    /// The outbox worker's retries. The lease is far beyond the longest a
    /// send can take (a connection and a few commands, each within the
    /// timeout), so no other worker claims a message that is being sent.
    #[must_use]
    pub fn relay_policy(&self) -> RelayPolicy {
        RelayPolicy {
            max_attempts: self.max_attempts,
            first_backoff: Duration::from_secs(self.retry_seconds),
            lease: Duration::from_secs(self.timeout_seconds * 20).max(Duration::from_secs(600)),
            ..RelayPolicy::default()
        }
    }
}

/// A link template: an `http(s)` URL containing `{token}`, as the mail
/// templates check it (`mail::check_link_template`), and no whitespace.
fn link(r: &mut Reader<'_>, name: &'static str, default: &str) -> String {
    let value = r.string(name, default);
    if mail::check_link_template(name, &value).is_err() || value.chars().any(char::is_whitespace) {
        r.problem(
            name,
            format_args!(
                "expected an http(s) URL containing {TOKEN_PLACEHOLDER}, such as \
                 https://app.example.com/reset?token={TOKEN_PLACEHOLDER}, got {value:?}"
            ),
        );
        return default.to_owned();
    }
    value
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as from;
    use super::*;

    #[test]
    fn by_default_mail_goes_to_files_and_links_to_this_service() {
        let s = from(&[("PORT", "8123")]).unwrap();
        assert_eq!(
            s.mail.transport,
            MailTransport::Files(PathBuf::from("data/mail"))
        );
        assert_eq!(
            s.mail.password_reset_url,
            "http://localhost:8123/account/reset?token={token}"
        );
        assert_eq!(
            s.mail.email_verify_url,
            "http://localhost:8123/account/verify?token={token}"
        );
        assert_eq!(s.mail.password_reset_lifetime(), Duration::from_secs(1800));
        assert_eq!(
            s.mail.email_verify_lifetime(),
            Duration::from_secs(48 * 3600)
        );
    }

    #[test]
    fn production_may_not_start_without_smtp_or_an_explicit_mail_dir() {
        let production = Environment::Production;
        let s = from(&[("ENVIRONMENT", "production")]).unwrap();
        let problem = s.mail.start_problem(production).unwrap();
        assert!(
            problem.starts_with("SMTP_URL: ENVIRONMENT=production"),
            "{problem}"
        );
        assert_eq!(s.mail.start_problem(Environment::Development), None);
        let s = from(&[("ENVIRONMENT", "production"), ("MAIL_DIR", "/var/mail/api")]).unwrap();
        let dir = PathBuf::from("/var/mail/api");
        assert_eq!(s.mail.transport, MailTransport::Files(dir));
        assert_eq!(s.mail.start_problem(production), None);
        let s = from(&[("SMTP_URL", "smtps://u:p@mx.example.com")]).unwrap();
        assert!(matches!(s.mail.transport, MailTransport::Smtp(_)));
        assert_eq!(s.mail.start_problem(production), None);
    }

    #[test]
    fn a_bad_smtp_url_is_reported_without_its_password() {
        let err = from(&[("SMTP_URL", "http://user:hunter2@mx.example.com")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("SMTP_URL: "), "{text}");
        assert!(
            text.contains("smtps://"),
            "the valid forms are named: {text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        let shown = format!(
            "{:?}",
            from(&[("SMTP_URL", "smtp://u:hunter2@mx")]).unwrap().mail
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_sender_that_is_not_a_mailbox_is_reported() {
        let err = from(&[("MAIL_FROM", "Todo API")]).unwrap_err();
        assert!(
            err.to_string().contains("MAIL_FROM: expected an address"),
            "{err}"
        );
        let s = from(&[("MAIL_FROM", "Ops <ops@example.com>")]).unwrap();
        assert_eq!(s.mail.from, "Ops <ops@example.com>");
    }

    #[test]
    fn smtp_and_a_mail_dir_together_are_a_mistake() {
        let err = from(&[("SMTP_URL", "smtp://mx.example.com"), ("MAIL_DIR", "mail")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("MAIL_DIR: set together with SMTP_URL"),
            "{err}"
        );
    }

    #[test]
    fn a_link_template_needs_the_token_placeholder_and_an_http_url() {
        for bad in [
            "https://app.example.com/reset",
            "ftp://x/{token}",
            "https://x/a b/{token}",
        ] {
            let err = from(&[("PASSWORD_RESET_URL", bad)]).unwrap_err();
            assert!(
                err.to_string()
                    .contains("PASSWORD_RESET_URL: expected an http(s) URL"),
                "{bad}: {err}"
            );
        }
        let s = from(&[("EMAIL_VERIFY_URL", "https://app.example.com/verify#{token}")]).unwrap();
        assert_eq!(
            s.mail.email_verify_url,
            "https://app.example.com/verify#{token}"
        );
    }

    #[test]
    fn the_retry_policy_follows_the_settings() {
        let s = from(&[("MAIL_MAX_ATTEMPTS", "3"), ("MAIL_RETRY_SECONDS", "1")]).unwrap();
        let policy = s.mail.relay_policy();
        assert_eq!(policy.max_attempts, 3);
        assert_eq!(policy.backoff(1), Duration::from_secs(1));
        assert_eq!(policy.backoff(2), Duration::from_secs(2));
        assert!(policy.lease >= Duration::from_secs(600));
    }
}
