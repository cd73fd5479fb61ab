//! A domain [`MailMessage`] as an RFC 5322 message, the same for every
//! transport: `From`, `To`, `Subject`, `Date`, a `Message-ID` under the
//! sender's domain, and a `multipart/alternative` body with the text part
//! first and the HTML part last (the part a client prefers comes last).

use domain::{MailMessage, mask_address};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

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
            message.text.clone(),
            message.html.clone(),
        ))
        .map_err(|error| {
            MailError::Permanent(anyhow::anyhow!(
                "the message to {masked} cannot be built ({error})"
            ))
        })
}

/// `<uuid@sender-domain>`: unique, and it names the service that sent the
/// mail rather than the machine lettre runs on.
fn message_id(from: &Mailbox) -> String {
    format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain())
}
