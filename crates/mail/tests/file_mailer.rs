//! `FileMailer`: each message is an `.eml` file a mail client can read.

// Helpers outside #[test] functions fail loudly too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use domain::ports::{AccountMail, MailComposer, MailError, Mailer};
use domain::{AccountToken, Email, Username};
use mail::{FileMailer, Mailbox, TemplateSettings, Templates};

const TOKEN: &str = "dG9rZW4tZm9yLXRoZS1maWxlLW1haWxlcl8tdGVzdA";

fn sender() -> Mailbox {
    "Todo API <no-reply@todo.example.org>".parse().unwrap()
}

fn verification_mail() -> domain::MailMessage {
    Templates::new(TemplateSettings {
        app_name: "Todo API".into(),
        password_reset_url: "http://localhost:8000/account/reset?token={token}".into(),
        email_verify_url: "http://localhost:8000/account/verify?token={token}".into(),
    })
    .unwrap()
    .compose(&AccountMail::EmailVerification {
        to: Email::parse("bob@example.org").unwrap(),
        username: Username::parse("bob").unwrap(),
        token: AccountToken::new(TOKEN.into()),
        valid_for: Duration::from_secs(48 * 3600),
    })
}

fn eml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn each_message_is_an_eml_file_that_parses_back_with_both_parts() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data/mail");
    let mailer = FileMailer::new(&dir, sender()).unwrap();
    assert_eq!(mailer.dir(), dir);
    assert!(dir.is_dir(), "the directory is created");

    mailer.send(&verification_mail()).await.unwrap();
    mailer.send(&verification_mail()).await.unwrap();

    let files = eml_files(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        assert_eq!(
            file.extension().unwrap(),
            "eml",
            "no temporary file is left: {files:?}"
        );
        let raw = std::fs::read(file).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            parsed.subject(),
            Some("Confirm your email address for Todo API")
        );
        assert_eq!(
            parsed.to().unwrap().first().unwrap().address(),
            Some("bob@example.org")
        );
        assert_eq!(
            parsed.from().unwrap().first().unwrap().address(),
            Some("no-reply@todo.example.org")
        );
        assert!(parsed.date().is_some() && parsed.message_id().is_some());
        assert!(
            parsed
                .header_raw("Content-Type")
                .unwrap()
                .contains("multipart/alternative")
        );
        assert_eq!((parsed.text_body_count(), parsed.html_body_count()), (1, 1));
        let link = format!("http://localhost:8000/account/verify?token={TOKEN}");
        assert!(parsed.body_text(0).unwrap().contains(&link));
        assert!(
            parsed
                .body_html(0)
                .unwrap()
                .contains(&format!("href=\"{link}\""))
        );
    }
    assert_ne!(files[0], files[1]);
}

#[tokio::test]
async fn a_directory_that_cannot_be_created_is_a_clear_error() {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("not-a-directory");
    std::fs::write(&file, b"").unwrap();
    let error = FileMailer::new(file.join("mail"), sender())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cannot create the mail directory"),
        "{error}"
    );
    assert!(error.contains("not-a-directory"), "{error}");
}

#[tokio::test]
async fn a_directory_that_vanished_is_made_again_and_an_unwritable_one_is_transient() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mail");
    let mailer = FileMailer::new(&dir, sender()).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    mailer.send(&verification_mail()).await.unwrap();
    assert_eq!(eml_files(&dir).len(), 1);

    // A file where the directory should be: nothing can be written there.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, b"").unwrap();
    match mailer.send(&verification_mail()).await {
        Err(MailError::Transient(error)) => {
            let error = format!("{error:#}");
            assert!(error.contains("b***@example.org"), "{error}");
            assert!(!error.contains("bob@") && !error.contains(TOKEN), "{error}");
        }
        other => panic!("expected a transient failure, got {other:?}"),
    }
}
