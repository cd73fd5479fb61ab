//! A domain [`MailMessage`] as an RFC 5322 message, the same for every
//! transport: `From`, `To`, `Subject`, `Date`, a `Message-ID` under the
//! sender's domain, and a `multipart/alternative` body with the text part
//! first and the HTML part last (the part a client prefers comes last).
//!
//! A part that is plain ASCII with lines of at most 998 octets (RFC 5322's
//! limit) goes as `7bit`, unencoded: the link in it reads as it is in an
//! `.eml` file (`grep token=` finds it) and in any mail client. lettre alone
//! would quoted-printable-encode every line over 76 characters, which a link
//! with a 43-character token always is, turning `token=` into `token=3D`
//! and breaking the token across lines. Anything else (non-ASCII text, an
//! overlong line) is left to lettre's choice of quoted-printable or base64.

use domain::{MailMessage, mask_address};
use lettre::Message;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart};

use domain::ports::MailError;

/// Builds the message. Building fails only on what no retry can change, so
/// every error is [`MailError::Permanent`]; its text names the masked
/// recipient, never the parts.
pub(crate) fn build(from: &Mailbox, message: &MailMessage) -> Result<Message, MailError> {
    let masked = mask_address(message.to.as_str());
    let to: Mailbox = message.to.as_str().parse().map_err(|error| {
        MailError::Permanent(anyhow::anyhow!(
            "recipient {masked} is not a valid address for SMTP ({error})"
        ))
    })?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.as_str())
        .message_id(Some(message_id(from)))
        .multipart(MultiPart::alternative_plain_html(
            part(&message.text),
            part(&message.html),
        ))
        .map_err(|error| {
            MailError::Permanent(anyhow::anyhow!(
                "the message to {masked} cannot be built ({error})"
            ))
        })
}

/// The longest line `7bit` allows, without its CRLF (RFC 5322 §2.1.1).
const MAX_LINE_OCTETS: usize = 998;

/// `text` as a part's body: unencoded `7bit` when it is plain ASCII
/// without NUL or a bare CR, in lines of at most [`MAX_LINE_OCTETS`];
/// otherwise as lettre encodes it.
fn part(text: &str) -> Body {
    let seven_bit = text.bytes().all(|b| b.is_ascii() && b != 0 && b != b'\r')
        && text.split('\n').all(|line| line.len() <= MAX_LINE_OCTETS);
    if seven_bit {
        let crlf = text.replace('\n', "\r\n");
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text.to_owned())
    }
}

/// `<uuid@sender-domain>`: unique, and it names the service that sent the
/// mail rather than the machine lettre runs on.
fn message_id(from: &Mailbox) -> String {
    format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ascii_part_with_a_long_link_goes_unencoded_and_the_rest_as_lettre_chooses() {
        let link = format!(
            "https://todo.example.org/account/reset?token={}",
            "A".repeat(43)
        );
        let body = part(&format!("Hello,\n\n{link}\n"));
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        assert_eq!(
            String::from_utf8(body.into_vec()).unwrap(),
            format!("Hello,\r\n\r\n{link}\r\n")
        );
        for text in ["Grüße", &"x".repeat(999)] {
            assert_ne!(
                part(text).encoding(),
                ContentTransferEncoding::SevenBit,
                "{text:?}"
            );
        }
        assert_eq!(
            part(&"x".repeat(998)).encoding(),
            ContentTransferEncoding::SevenBit
        );
    }
}
