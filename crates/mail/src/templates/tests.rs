use super::*;
use chrono::TimeZone;
use domain::{AccountToken, Email, Username};

const TOKEN: &str = "q7Jx-3_kZ0aB9cD8eF7gH6iJ5kL4mN3oP2qR1sT0uV";

fn settings() -> TemplateSettings {
    TemplateSettings {
        app_name: "Todo API".into(),
        password_reset_url: "https://todo.example.org/account/reset?token={token}".into(),
        email_verify_url: "https://todo.example.org/account/verify?token={token}&x=1".into(),
    }
}

fn templates(settings: TemplateSettings) -> Templates {
    Templates::new(settings).unwrap()
}

fn alice() -> (Email, Username) {
    (
        Email::parse("alice@example.org").unwrap(),
        Username::parse("alice_1").unwrap(),
    )
}

fn reset(token: &str) -> AccountMail {
    let (to, username) = alice();
    AccountMail::PasswordReset {
        to,
        username,
        token: AccountToken::new(token.into()),
        valid_for: Duration::from_secs(30 * 60),
    }
}

fn verification() -> AccountMail {
    let (to, username) = alice();
    AccountMail::EmailVerification {
        to,
        username,
        token: AccountToken::new(TOKEN.into()),
        valid_for: Duration::from_secs(48 * 3600),
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 19, 25, 7).unwrap()
}

fn password_changed() -> AccountMail {
    let (to, username) = alice();
    AccountMail::PasswordChanged {
        to,
        username,
        at: at(),
    }
}

fn email_changed() -> AccountMail {
    let (to, username) = alice();
    AccountMail::EmailChanged {
        to,
        username,
        new_address: Email::parse("new.address@example.net").unwrap(),
        at: at(),
    }
}

fn all_mails() -> Vec<AccountMail> {
    vec![
        reset(TOKEN),
        password_changed(),
        verification(),
        email_changed(),
    ]
}

#[test]
fn a_link_template_without_the_placeholder_is_refused() {
    let mut no_reset = settings();
    no_reset.password_reset_url = "https://todo.example.org/account/reset?token=".into();
    let error = Templates::new(no_reset).unwrap_err();
    assert_eq!(
        error,
        TemplateError::MissingToken {
            setting: "PASSWORD_RESET_URL"
        }
    );
    assert!(
        error
            .to_string()
            .contains("PASSWORD_RESET_URL must contain {token}"),
        "{error}"
    );

    let mut no_verify = settings();
    no_verify.email_verify_url = "https://todo.example.org/account/verify?token={TOKEN}".into();
    let error = Templates::new(no_verify).unwrap_err();
    assert_eq!(
        error,
        TemplateError::MissingToken {
            setting: "EMAIL_VERIFY_URL"
        }
    );
}

#[test]
fn a_link_template_must_be_an_absolute_http_url() {
    for bad in [
        "/account/reset?token={token}",
        "ftp://todo.example.org/{token}",
        "javascript:alert({token})",
    ] {
        let mut settings = settings();
        settings.password_reset_url = bad.into();
        let error = Templates::new(settings).unwrap_err();
        assert!(
            matches!(
                error,
                TemplateError::InvalidUrl {
                    setting: "PASSWORD_RESET_URL",
                    ..
                }
            ),
            "{bad}: {error}"
        );
    }
    let mut in_path = settings();
    in_path.email_verify_url = "http://localhost:8000/verify/{token}".into();
    assert!(Templates::new(in_path).is_ok());
}

#[test]
fn an_empty_or_multiline_app_name_is_refused() {
    for bad in ["", "   ", "Todo\r\nBcc: everyone@example.org"] {
        let mut settings = settings();
        settings.app_name = bad.into();
        assert_eq!(
            Templates::new(settings).unwrap_err(),
            TemplateError::InvalidAppName,
            "{bad:?}"
        );
    }
}

#[test]
fn the_reset_mail_has_the_link_in_both_parts() {
    let message = templates(settings()).compose(&reset(TOKEN));
    let link = format!("https://todo.example.org/account/reset?token={TOKEN}");
    assert_eq!(message.to.as_str(), "alice@example.org");
    assert_eq!(message.subject, "Reset your Todo API password");
    assert!(
        message.text.contains(&format!("\n{link}\n")),
        "{}",
        message.text
    );
    assert!(
        message.html.contains(&format!("href=\"{link}\"")),
        "{}",
        message.html
    );
    assert!(
        message.text.contains("within 30 minutes"),
        "{}",
        message.text
    );
    assert!(message.html.contains("within 30 minutes"));
    assert!(message.text.starts_with("Hello alice_1,"));
    assert!(message.html.contains("Hello alice_1,"));
}

#[test]
fn the_verification_mail_has_its_link_in_both_parts_html_escaped() {
    let message = templates(settings()).compose(&verification());
    let link = format!("https://todo.example.org/account/verify?token={TOKEN}&x=1");
    assert_eq!(message.subject, "Confirm your email address for Todo API");
    assert!(message.text.contains(&link), "{}", message.text);
    // askama writes `&` as `&#38;`; a browser reads the same URL.
    let escaped = link.replace('&', "&#38;");
    assert!(
        message.html.contains(&format!("href=\"{escaped}\"")),
        "{}",
        message.html
    );
    assert!(message.text.contains("within 48 hours"), "{}", message.text);
}

#[test]
fn the_token_is_percent_encoded_in_the_link() {
    let message = templates(settings()).compose(&reset("a+b/c=d é"));
    let link = "https://todo.example.org/account/reset?token=a%2Bb%2Fc%3Dd%20%C3%A9";
    assert!(message.text.contains(link), "{}", message.text);
    assert!(message.html.contains(link), "{}", message.html);
}

#[test]
fn no_placeholder_is_left_and_the_app_name_is_everywhere() {
    let templates = templates(settings());
    for mail in all_mails() {
        let message = templates.compose(&mail);
        for part in [&message.text, &message.html] {
            assert!(!part.contains("{token}") && !part.contains("{{"), "{part}");
            assert!(part.contains("Todo API"), "{part}");
        }
        assert!(message.subject.contains("Todo API"));
    }
}

#[test]
fn the_html_part_escapes_the_app_name() {
    let mut settings = settings();
    settings.app_name = "<script>alert(1)</script> & \"Co\" 'x'".into();
    let templates = templates(settings);
    for mail in all_mails() {
        let message = templates.compose(&mail);
        assert!(!message.html.contains("<script>"), "{}", message.html);
        assert!(!message.html.contains("\"Co\""), "{}", message.html);
        assert!(
            message
                .html
                .contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;Co&#34;"),
            "{}",
            message.html
        );
        // The text part and the subject are not HTML: written as they are.
        assert!(
            message
                .text
                .contains("<script>alert(1)</script> & \"Co\" 'x'"),
            "{}",
            message.text
        );
        assert!(message.subject.contains("<script>"));
    }
}

#[test]
fn the_password_changed_notice_says_when_and_what_to_do() {
    let message = templates(settings()).compose(&password_changed());
    assert_eq!(message.subject, "Your Todo API password was changed");
    for part in [&message.text, &message.html] {
        assert!(part.contains("on 4 December 2026 at 19:25 UTC"), "{part}");
        assert!(part.contains("If it was not you"), "{part}");
        assert!(part.contains("Forgot password"), "{part}");
        assert!(!part.contains("http"), "no link in a notice: {part}");
    }
}

#[test]
fn the_email_changed_notice_masks_the_new_address() {
    let message = templates(settings()).compose(&email_changed());
    assert_eq!(message.to.as_str(), "alice@example.org");
    assert_eq!(message.subject, "Your Todo API email address was changed");
    for part in [&message.text, &message.html] {
        assert!(part.contains("to n***@example.net"), "{part}");
        assert!(!part.contains("new.address@"), "{part}");
        assert!(part.contains("If it was not you"), "{part}");
        assert!(part.contains("4 December 2026 at 19:25 UTC"), "{part}");
    }
}

#[test]
fn lifetimes_are_written_in_words() {
    let words = |seconds| lifetime_words(Duration::from_secs(seconds));
    assert_eq!(words(30 * 60), "30 minutes");
    assert_eq!(words(48 * 3600), "48 hours");
    assert_eq!(words(3600), "1 hour");
    assert_eq!(words(60), "1 minute");
    assert_eq!(words(90 * 60), "90 minutes");
    assert_eq!(words(90), "90 seconds");
    assert_eq!(words(1), "1 second");
}
