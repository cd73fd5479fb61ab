//! `SMTP_URL` parsed: where the SMTP server is, how the connection is
//! secured, and who logs in. The URL is the one place an operator writes the
//! relay's password, so nothing here (errors, `Debug`) ever repeats it; an
//! error names what is wrong and shows the valid forms instead of the input.

use std::fmt;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use url::{Host, Url};

/// The forms an `SMTP_URL` may take, quoted in every parse error.
pub const SMTP_URL_FORMS: &str = "smtp://[user:pass@]host[:port][?tls=starttls|none] \
     (STARTTLS required unless tls=none; port 587, or 25 with tls=none) or \
     smtps://[user:pass@]host[:port] (implicit TLS, port 465)";

/// How the connection to the server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte (RFC 8314).
    ImplicitTls,
    /// `smtp://` (or `?tls=starttls`): plain TCP upgraded with STARTTLS; a
    /// server that does not offer it is an error, never a plain send.
    StartTls,
    /// `smtp://…?tls=none`: no encryption at all, for a relay on the same
    /// host or network (credentials, if any, travel in clear).
    None,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            Self::ImplicitTls => 465,
            Self::StartTls => 587,
            Self::None => 25,
        }
    }
}

/// A user name and password for SMTP AUTH. `Debug` shows the user only.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    user: String,
    password: String,
}

impl SmtpCredentials {
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password, for the transport and nothing else.
    #[must_use]
    pub fn expose_password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The SMTP adapter's configuration: server, port, security, credentials,
/// timeout and any extra trusted root certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    host: String,
    port: u16,
    security: SmtpSecurity,
    credentials: Option<SmtpCredentials>,
    timeout: Duration,
    extra_root_pem: Option<Vec<u8>>,
}

/// Why an `SMTP_URL` was refused. The text never holds the URL's password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SMTP_URL: {problem}; expected {SMTP_URL_FORMS}")]
pub struct SmtpSettingsError {
    problem: String,
}

impl SmtpSettingsError {
    fn new(problem: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
        }
    }
}

impl SmtpSettings {
    /// How long connecting may take, and also the whole exchange with the
    /// server (TLS, EHLO, AUTH, the message): the outbox waits no longer.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// Parses `smtp://[user:pass@]host[:port][?tls=starttls|none]` or
    /// `smtps://[user:pass@]host[:port]`; user and password are
    /// percent-decoded.
    ///
    /// # Errors
    /// [`SmtpSettingsError`] for another scheme, a missing host, a path or a
    /// fragment, a password without a user, an unknown `tls` value or query
    /// key, `tls` given twice or with `smtps`, or user/password that do not
    /// decode to UTF-8.
    pub fn from_url(input: &str) -> Result<Self, SmtpSettingsError> {
        // url's own error texts name the problem, never the input.
        let url = Url::parse(input.trim())
            .map_err(|error| SmtpSettingsError::new(format!("not a URL ({error})")))?;
        let implicit_tls = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => {
                return Err(SmtpSettingsError::new(format!(
                    "unsupported scheme `{other}`"
                )));
            }
        };
        let host = match url.host() {
            Some(Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(Host::Ipv4(address)) => address.to_string(),
            Some(Host::Ipv6(address)) => address.to_string(),
            _ => return Err(SmtpSettingsError::new("no host")),
        };
        if !matches!(url.path(), "" | "/") {
            return Err(SmtpSettingsError::new("a path is not allowed"));
        }
        if url.fragment().is_some() {
            return Err(SmtpSettingsError::new("a fragment (#…) is not allowed"));
        }
        let security = Self::security_from_query(&url, implicit_tls)?;
        let credentials = Self::credentials_from(&url)?;
        Ok(Self {
            host,
            port: url.port().unwrap_or_else(|| security.default_port()),
            security,
            credentials,
            timeout: Self::DEFAULT_TIMEOUT,
            extra_root_pem: None,
        })
    }

    fn security_from_query(
        url: &Url,
        implicit_tls: bool,
    ) -> Result<SmtpSecurity, SmtpSettingsError> {
        let mut security = None;
        for (key, value) in url.query_pairs() {
            if key != "tls" {
                return Err(SmtpSettingsError::new(format!(
                    "unknown query parameter `{key}` (only `tls` is known)"
                )));
            }
            if implicit_tls {
                return Err(SmtpSettingsError::new(
                    "`tls` is not allowed with smtps:// (always implicit TLS)",
                ));
            }
            if security.is_some() {
                return Err(SmtpSettingsError::new("`tls` is given more than once"));
            }
            security = Some(match value.as_ref() {
                "starttls" => SmtpSecurity::StartTls,
                "none" => SmtpSecurity::None,
                other => {
                    return Err(SmtpSettingsError::new(format!(
                        "unknown tls value `{other}` (starttls or none)"
                    )));
                }
            });
        }
        Ok(match security {
            Some(security) => security,
            None if implicit_tls => SmtpSecurity::ImplicitTls,
            None => SmtpSecurity::StartTls,
        })
    }

    fn credentials_from(url: &Url) -> Result<Option<SmtpCredentials>, SmtpSettingsError> {
        let user = percent_decode_str(url.username())
            .decode_utf8()
            .map_err(|_| SmtpSettingsError::new("the user name is not UTF-8 once decoded"))?;
        // The decoding error says nothing of the bytes: they are the password's.
        let password = match url.password() {
            Some(encoded) => Some(
                percent_decode_str(encoded)
                    .decode_utf8()
                    .map_err(|_| SmtpSettingsError::new("the password is not UTF-8 once decoded"))?
                    .into_owned(),
            ),
            None => None,
        };
        match (user.is_empty(), password) {
            (true, None) => Ok(None),
            (true, Some(_)) => Err(SmtpSettingsError::new("a password without a user name")),
            (false, password) => Ok(Some(SmtpCredentials {
                user: user.into_owned(),
                password: password.unwrap_or_default(),
            })),
        }
    }

    /// Overrides [`Self::DEFAULT_TIMEOUT`].
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trusts one more root certificate (PEM) besides Mozilla's roots: a
    /// relay with a private CA or a self-signed certificate. Checked when the
    /// mailer is built.
    #[must_use]
    pub fn with_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_root_pem = Some(pem.into());
        self
    }

    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    #[must_use]
    pub fn security(&self) -> SmtpSecurity {
        self.security
    }

    #[must_use]
    pub fn credentials(&self) -> Option<&SmtpCredentials> {
        self.credentials.as_ref()
    }

    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn extra_root_pem(&self) -> Option<&[u8]> {
        self.extra_root_pem.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-P4SS";

    fn parse(url: &str) -> SmtpSettings {
        SmtpSettings::from_url(url).unwrap()
    }

    fn refuse(url: &str) -> String {
        let error = SmtpSettings::from_url(url).unwrap_err().to_string();
        assert!(!error.contains(SECRET), "the password leaked: {error}");
        assert!(error.contains(SMTP_URL_FORMS), "no valid forms: {error}");
        error
    }

    #[test]
    fn smtp_defaults_to_required_starttls_on_587() {
        let settings = parse("smtp://mail.example.org");
        assert_eq!(settings.host(), "mail.example.org");
        assert_eq!(settings.port(), 587);
        assert_eq!(settings.security(), SmtpSecurity::StartTls);
        assert_eq!(settings.credentials(), None);
        assert_eq!(settings.timeout(), Duration::from_secs(10));
    }

    #[test]
    fn explicit_starttls_and_port() {
        let settings = parse("smtp://mail.example.org:2525?tls=starttls");
        assert_eq!(settings.port(), 2525);
        assert_eq!(settings.security(), SmtpSecurity::StartTls);
    }

    #[test]
    fn tls_none_defaults_to_port_25() {
        let settings = parse("smtp://localhost?tls=none");
        assert_eq!((settings.host(), settings.port()), ("localhost", 25));
        assert_eq!(settings.security(), SmtpSecurity::None);
        assert_eq!(parse("smtp://localhost:1025/?tls=none").port(), 1025);
    }

    #[test]
    fn smtps_is_implicit_tls_on_465() {
        let settings = parse("smtps://user:pw@smtp.example.org");
        assert_eq!(settings.port(), 465);
        assert_eq!(settings.security(), SmtpSecurity::ImplicitTls);
        assert_eq!(parse("smtps://smtp.example.org:4650").port(), 4650);
    }

    #[test]
    fn ip_hosts_are_accepted() {
        assert_eq!(parse("smtp://127.0.0.1:25?tls=none").host(), "127.0.0.1");
        assert_eq!(parse("smtp://[::1]:25?tls=none").host(), "::1");
    }

    #[test]
    fn user_and_password_are_percent_decoded() {
        let settings = parse("smtp://api%40example.org:p%3Ass%2Fw%40rd%20%C3%A9@mail.example.org");
        let credentials = settings.credentials().unwrap();
        assert_eq!(credentials.user(), "api@example.org");
        assert_eq!(credentials.expose_password(), "p:ss/w@rd é");
    }

    #[test]
    fn a_user_without_password_has_an_empty_password() {
        let settings = parse("smtp://apikey@mail.example.org");
        let credentials = settings.credentials().unwrap();
        assert_eq!(
            (credentials.user(), credentials.expose_password()),
            ("apikey", "")
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let settings = parse(&format!("smtp://user:{SECRET}@mail.example.org"));
        let shown = format!("{settings:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(
            shown.contains("user") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn the_timeout_and_a_root_certificate_can_be_set() {
        let settings = parse("smtp://mail.example.org")
            .with_timeout(Duration::from_millis(1500))
            .with_root_certificate_pem(b"PEM".to_vec());
        assert_eq!(settings.timeout(), Duration::from_millis(1500));
        assert_eq!(settings.extra_root_pem(), Some(&b"PEM"[..]));
    }

    #[test]
    fn other_schemes_are_refused() {
        for url in [
            format!("http://user:{SECRET}@mail.example.org"),
            format!("smtp+tls://user:{SECRET}@mail.example.org"),
            format!("submission://user:{SECRET}@mail.example.org"),
        ] {
            assert!(refuse(&url).contains("unsupported scheme"), "{url}");
        }
    }

    #[test]
    fn a_missing_host_is_refused() {
        assert!(refuse(&format!("smtp://user:{SECRET}@")).contains("host"));
        assert!(refuse("smtp://:25").contains("host"));
        assert!(refuse("smtp:").contains("no host"));
    }

    #[test]
    fn text_that_is_no_url_is_refused() {
        assert!(refuse("mail.example.org:25").contains("unsupported scheme")); // a scheme `mail.example.org`
        assert!(refuse("").contains("not a URL"));
        assert!(
            refuse(&format!("smtp://user:{SECRET}@mail.example.org:99999")).contains("not a URL")
        );
    }

    #[test]
    fn an_unknown_tls_value_is_refused() {
        let error = refuse(&format!("smtp://user:{SECRET}@mail.example.org?tls=ssl"));
        assert!(error.contains("unknown tls value `ssl`"), "{error}");
    }

    #[test]
    fn unknown_query_keys_are_refused() {
        let error = refuse(&format!(
            "smtp://user:{SECRET}@mail.example.org?tls=none&pool=4"
        ));
        assert!(error.contains("unknown query parameter `pool`"), "{error}");
    }

    #[test]
    fn tls_twice_is_refused() {
        let error = refuse("smtp://mail.example.org?tls=none&tls=starttls");
        assert!(error.contains("more than once"), "{error}");
    }

    #[test]
    fn tls_with_smtps_is_refused() {
        let error = refuse(&format!("smtps://user:{SECRET}@mail.example.org?tls=none"));
        assert!(error.contains("not allowed with smtps"), "{error}");
    }

    #[test]
    fn a_path_or_fragment_is_refused() {
        assert!(refuse(&format!("smtp://u:{SECRET}@mail.example.org/inbox")).contains("path"));
        assert!(refuse(&format!("smtp://u:{SECRET}@mail.example.org#x")).contains("fragment"));
    }

    #[test]
    fn a_password_without_user_is_refused() {
        let error = refuse(&format!("smtp://:{SECRET}@mail.example.org"));
        assert!(error.contains("without a user"), "{error}");
    }

    #[test]
    fn a_password_that_is_not_utf8_is_refused_without_showing_it() {
        let error = refuse(&format!("smtp://u:{SECRET}%FF@mail.example.org"));
        assert!(error.contains("password is not UTF-8"), "{error}");
    }
}
