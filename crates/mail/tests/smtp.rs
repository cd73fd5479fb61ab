//! `SmtpMailer` against a real SMTP server (aiosmtpd, see `harness`): what
//! arrives, AUTH, TLS, and how refusals and outages are sorted into
//! transient and permanent failures.

// Helpers outside #[test] functions fail loudly too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use domain::ports::{AccountMail, MailComposer, MailError, Mailer};
use domain::{AccountToken, Email, MailMessage, Username};
use mail::testing::{ServerOptions, SmtpServer, closed_port};
use mail::{Mailbox, SmtpMailer, SmtpSettings, TemplateSettings, Templates};

const TOKEN: &str = "Zm9vYmFyLXRva2VuLXRoYXQtaXMtdXJsLXNhZmVfLQ";
const RESET_URL: &str = "https://todo.example.org/account/reset?token=";

fn sender() -> Mailbox {
    "Todo API <no-reply@todo.example.org>".parse().unwrap()
}

fn reset_mail(to: &str) -> MailMessage {
    let templates = Templates::new(TemplateSettings {
        app_name: "Todo API".into(),
        password_reset_url: format!("{RESET_URL}{{token}}"),
        email_verify_url: "https://todo.example.org/account/verify?token={token}".into(),
    })
    .unwrap();
    templates.compose(&AccountMail::PasswordReset {
        to: Email::parse(to).unwrap(),
        username: Username::parse("alice").unwrap(),
        token: AccountToken::new(TOKEN.into()),
        valid_for: Duration::from_secs(30 * 60),
    })
}

fn mailer(url: &str) -> SmtpMailer {
    mailer_with(SmtpSettings::from_url(url).unwrap())
}

fn mailer_with(settings: SmtpSettings) -> SmtpMailer {
    SmtpMailer::new(&settings, sender()).unwrap()
}

fn transient(result: Result<(), MailError>) -> String {
    match result {
        Err(MailError::Transient(error)) => {
            eprintln!("transient: {error:#}");
            format!("{error:#}")
        }
        other => panic!("expected a transient failure, got {other:?}"),
    }
}

fn permanent(result: Result<(), MailError>) -> String {
    match result {
        Err(MailError::Permanent(error)) => {
            eprintln!("permanent: {error:#}");
            format!("{error:#}")
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
}

/// Neither the token nor the whole recipient address in an error's text.
fn assert_discreet(error: &str, recipient: &str) {
    assert!(!error.contains(TOKEN), "the token leaked: {error}");
    assert!(!error.contains(recipient), "the address leaked: {error}");
}

#[tokio::test]
async fn a_message_arrives_with_its_envelope_headers_both_parts_and_the_link() {
    let Some(python) = mail::testing::python("a_message_arrives") else {
        return;
    };
    let server = SmtpServer::start(&python, &ServerOptions::default());
    let mailer = mailer(&format!("smtp://127.0.0.1:{}?tls=none", server.port()));

    mailer.send(&reset_mail("alice@example.org")).await.unwrap();

    let received = server.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.mail_from, "no-reply@todo.example.org");
    assert_eq!(mail.rcpt_tos, ["alice@example.org"]);
    assert!(!mail.encrypted);

    let raw = String::from_utf8(mail.raw.clone()).unwrap();
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.raw)
        .unwrap();
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("no-reply@todo.example.org"));
    assert_eq!(from.name(), Some("Todo API"));
    assert_eq!(
        parsed.to().unwrap().first().unwrap().address(),
        Some("alice@example.org")
    );
    assert_eq!(parsed.subject(), Some("Reset your Todo API password"));
    assert!(parsed.date().is_some(), "no Date: {raw}");
    let message_id = parsed.message_id().unwrap();
    assert!(message_id.ends_with("@todo.example.org"), "{message_id}");
    let content_type = parsed.header_raw("Content-Type").unwrap();
    assert!(
        content_type.contains("multipart/alternative"),
        "{content_type}"
    );
    // The text part first, the HTML part last.
    let text_at = raw.find("Content-Type: text/plain").unwrap();
    let html_at = raw.find("Content-Type: text/html").unwrap();
    assert!(text_at < html_at, "{raw}");

    let link = format!("{RESET_URL}{TOKEN}");
    assert_eq!((parsed.text_body_count(), parsed.html_body_count()), (1, 1));
    let text = parsed.body_text(0).unwrap();
    let html = parsed.body_html(0).unwrap();
    assert!(text.contains(&link), "{text}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
}

#[tokio::test]
async fn auth_plain_logs_in_with_the_decoded_user_and_password() {
    let Some(python) = mail::testing::python("auth_plain") else {
        return;
    };
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            auth: Some(("mailer@todo.example.org".into(), "p@ss:w/rd %é".into())),
            auth_mechanism: Some("PLAIN"),
            ..ServerOptions::default()
        },
    );
    let url = format!(
        "smtp://mailer%40todo.example.org:p%40ss%3Aw%2Frd%20%25%C3%A9@127.0.0.1:{}?tls=none",
        server.port()
    );
    mailer(&url)
        .send(&reset_mail("alice@example.org"))
        .await
        .unwrap();

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].auth_login.as_deref(),
        Some("mailer@todo.example.org")
    );
    assert_eq!(received[0].auth_mechanism.as_deref(), Some("PLAIN"));
}

#[tokio::test]
async fn auth_login_works_when_it_is_the_only_mechanism() {
    let Some(python) = mail::testing::python("auth_login") else {
        return;
    };
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            auth: Some(("mailer".into(), "secret-pw".into())),
            auth_mechanism: Some("LOGIN"),
            ..ServerOptions::default()
        },
    );
    let url = format!(
        "smtp://mailer:secret-pw@127.0.0.1:{}?tls=none",
        server.port()
    );
    mailer(&url)
        .send(&reset_mail("alice@example.org"))
        .await
        .unwrap();

    let received = server.received();
    assert_eq!(received[0].auth_login.as_deref(), Some("mailer"));
    assert_eq!(received[0].auth_mechanism.as_deref(), Some("LOGIN"));
}

#[tokio::test]
async fn a_refused_password_is_transient_and_not_in_the_error() {
    let Some(python) = mail::testing::python("a_refused_password") else {
        return;
    };
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            auth: Some(("mailer".into(), "right-password".into())),
            ..ServerOptions::default()
        },
    );
    let url = format!(
        "smtp://mailer:wrong-password@127.0.0.1:{}?tls=none",
        server.port()
    );
    let error = transient(mailer(&url).send(&reset_mail("alice@example.org")).await);
    assert!(error.contains("535"), "{error}");
    assert!(!error.contains("wrong-password"), "{error}");
    assert_discreet(&error, "alice@example.org");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_server_that_is_not_listening_is_transient_within_the_timeout() {
    let settings = SmtpSettings::from_url(&format!("smtp://127.0.0.1:{}?tls=none", closed_port()))
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    let started = Instant::now();
    let error = transient(
        mailer_with(settings)
            .send(&reset_mail("alice@example.org"))
            .await,
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_discreet(&error, "alice@example.org");
}

/// Accepts connections and never says a word: lettre's own timeout covers
/// only the TCP connect, the mailer's covers the rest.
#[tokio::test]
async fn a_silent_server_is_transient_within_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let settings = SmtpSettings::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"))
        .unwrap()
        .with_timeout(Duration::from_secs(1));
    let started = Instant::now();
    let error = transient(
        mailer_with(settings)
            .send(&reset_mail("alice@example.org"))
            .await,
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert!(error.contains("within 1s"), "{error}");
    silent.abort();
}

#[tokio::test]
async fn a_550_for_the_recipient_is_permanent() {
    let Some(python) = mail::testing::python("a_550") else {
        return;
    };
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            refuse: vec![(
                "gone@example.org".into(),
                "550 5.1.1 <gone@example.org>: Recipient address rejected".into(),
            )],
            ..ServerOptions::default()
        },
    );
    let mailer = mailer(&format!("smtp://127.0.0.1:{}?tls=none", server.port()));
    let error = permanent(mailer.send(&reset_mail("gone@example.org")).await);
    assert!(error.contains("550"), "{error}");
    assert!(error.contains("g***@example.org"), "{error}");
    assert_discreet(&error, "gone@example.org");
    // Another recipient on the same server is fine.
    mailer.send(&reset_mail("alice@example.org")).await.unwrap();
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_451_for_the_recipient_is_transient() {
    let Some(python) = mail::testing::python("a_451") else {
        return;
    };
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            refuse: vec![(
                "busy@example.org".into(),
                "451 4.3.0 <busy@example.org>: Temporary lookup failure".into(),
            )],
            ..ServerOptions::default()
        },
    );
    let mailer = mailer(&format!("smtp://127.0.0.1:{}?tls=none", server.port()));
    let error = transient(mailer.send(&reset_mail("busy@example.org")).await);
    assert!(error.contains("451"), "{error}");
    assert_discreet(&error, "busy@example.org");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn an_outage_fails_transiently_and_the_next_send_after_it_succeeds() {
    let Some(python) = mail::testing::python("an_outage") else {
        return;
    };
    let first = SmtpServer::start(&python, &ServerOptions::default());
    let port = first.port();
    let settings = SmtpSettings::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"))
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    let mailer = mailer_with(settings);
    mailer.send(&reset_mail("alice@example.org")).await.unwrap();
    assert_eq!(first.received().len(), 1);

    drop(first);
    transient(mailer.send(&reset_mail("alice@example.org")).await);

    let again = SmtpServer::start(
        &python,
        &ServerOptions {
            port,
            ..ServerOptions::default()
        },
    );
    mailer.send(&reset_mail("alice@example.org")).await.unwrap();
    assert_eq!(again.received().len(), 1);
}

/// A certificate for `localhost` and `127.0.0.1`, signed by a CA of its own.
struct TestCertificate {
    dir: tempfile::TempDir,
    ca_pem: String,
}

impl TestCertificate {
    fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
        Self {
            ca_pem: ca.pem(),
            dir,
        }
    }

    fn files(&self) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
        Some((
            self.dir.path().join("cert.pem"),
            self.dir.path().join("key.pem"),
        ))
    }
}

#[tokio::test]
async fn starttls_with_a_trusted_certificate_encrypts_the_session() {
    let Some(python) = mail::testing::python("starttls") else {
        return;
    };
    let certificate = TestCertificate::new();
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            tls: certificate.files(),
            starttls: true,
            auth: Some(("mailer".into(), "pw".into())),
            ..ServerOptions::default()
        },
    );
    let url = format!("smtp://mailer:pw@localhost:{}", server.port());

    // Without the CA, the certificate is not trusted: nothing is sent.
    let error = transient(mailer(&url).send(&reset_mail("alice@example.org")).await);
    assert_discreet(&error, "alice@example.org");
    assert!(server.received().is_empty());

    let settings = SmtpSettings::from_url(&url)
        .unwrap()
        .with_root_certificate_pem(certificate.ca_pem.clone());
    mailer_with(settings)
        .send(&reset_mail("alice@example.org"))
        .await
        .unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].encrypted);
    assert_eq!(received[0].auth_login.as_deref(), Some("mailer"));
}

#[tokio::test]
async fn starttls_is_required_a_server_without_it_gets_nothing() {
    let Some(python) = mail::testing::python("starttls_required") else {
        return;
    };
    let server = SmtpServer::start(&python, &ServerOptions::default());
    let error = transient(
        mailer(&format!("smtp://127.0.0.1:{}", server.port()))
            .send(&reset_mail("alice@example.org"))
            .await,
    );
    assert_discreet(&error, "alice@example.org");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn smtps_speaks_tls_from_the_first_byte() {
    let Some(python) = mail::testing::python("smtps") else {
        return;
    };
    let certificate = TestCertificate::new();
    let server = SmtpServer::start(
        &python,
        &ServerOptions {
            tls: certificate.files(),
            starttls: false,
            ..ServerOptions::default()
        },
    );
    let settings = SmtpSettings::from_url(&format!("smtps://localhost:{}", server.port()))
        .unwrap()
        .with_root_certificate_pem(certificate.ca_pem.clone());
    mailer_with(settings)
        .send(&reset_mail("alice@example.org"))
        .await
        .unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].encrypted);
}
