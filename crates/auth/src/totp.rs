//! RFC 6238 time-based one-time passwords: the domain's `Totp` port.
//!
//! HMAC-SHA-1, 6 digits, 30-second steps, what every authenticator app
//! speaks. The code of a step comes from `totp-rs`; which steps are tried,
//! and how a presented code is compared with them, is decided here: the
//! codes of the previous, current and next step are all computed and each
//! compared in constant time (`subtle`), so neither the answer nor the time
//! it takes says which one matched.
//!
//! The provisioning URI follows Google's Key Uri Format:
//! `otpauth://totp/ISSUER:LABEL?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`,
//! issuer and label percent-encoded. The defaults are spelt out: an app that
//! assumes other ones then still reads the right parameters.

use chrono::{DateTime, Utc};
use domain::ports::Totp;
use domain::{TotpProvisioning, TotpSecret, TotpStep};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use subtle::{Choice, ConstantTimeEq};

use crate::refresh_tokens::fill_random;

/// Seconds in a step (RFC 6238's `X`).
pub const PERIOD_SECONDS: u64 = 30;
/// Digits in a code.
pub const DIGITS: usize = 6;
/// Bytes of a new secret: 160 bits, RFC 4226's recommendation.
pub const SECRET_BYTES: usize = 20;

/// What is percent-encoded in the label and the issuer: everything but
/// unreserved characters (RFC 3986), so a space is `%20`, never `+`.
const LABEL_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// TOTP with SHA-1, 6 digits and 30-second steps, accepting one step of
/// drift either way.
#[derive(Debug, Clone, Copy, Default)]
pub struct RfcTotp;

impl RfcTotp {
    /// The generator of `secret`'s codes. Its copy of the secret is wiped on
    /// drop (`totp-rs`'s `zeroize` feature).
    fn generator(secret: &TotpSecret) -> totp_rs::Totp {
        totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(PERIOD_SECONDS)
            .with_secret(totp_rs::Secret::new(secret.expose().into()))
            // `build` refuses secrets under 128 bits; ours are 160 (as is
            // the RFC's test secret), and the port has no error to report
            // a short one with: it just makes weak codes.
            .build_noncompliant()
    }

    /// The code of `step`.
    fn code(generator: &totp_rs::Totp, step: u64) -> String {
        generator
            .generate(step.saturating_mul(PERIOD_SECONDS))
            .to_string()
    }
}

impl Totp for RfcTotp {
    fn generate_secret(&self) -> TotpSecret {
        let mut bytes = vec![0_u8; SECRET_BYTES];
        fill_random(&mut bytes);
        TotpSecret::new(bytes)
    }

    fn provisioning(&self, secret: &TotpSecret, issuer: &str, label: &str) -> TotpProvisioning {
        let secret_base32 = totp_rs::Secret::new(secret.expose().into()).to_base32();
        let issuer = escape(issuer);
        let label = escape(label);
        let otpauth_uri = format!(
            "otpauth://totp/{issuer}:{label}?secret={secret_base32}&issuer={issuer}\
             &algorithm=SHA1&digits={DIGITS}&period={PERIOD_SECONDS}"
        );
        TotpProvisioning {
            secret_base32,
            otpauth_uri,
        }
    }

    fn verify(&self, secret: &TotpSecret, code: &str, at: DateTime<Utc>) -> Option<TotpStep> {
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = self.step_at(at).0;
        let candidates = [
            current.saturating_sub(1),
            current,
            current.saturating_add(1),
        ];
        let generator = Self::generator(secret);
        let mut matched: Option<TotpStep> = None;
        for step in candidates {
            let expected = Self::code(&generator, step);
            let equal: Choice = expected.as_bytes().ct_eq(code.as_bytes());
            // No early exit: every candidate is computed and compared; the
            // first match is kept.
            if bool::from(equal) && matched.is_none() {
                matched = Some(TotpStep(step));
            }
        }
        matched
    }

    fn step_at(&self, at: DateTime<Utc>) -> TotpStep {
        let seconds = u64::try_from(at.timestamp()).unwrap_or(0);
        TotpStep(seconds / PERIOD_SECONDS)
    }
}

/// Percent-encodes `text` for the URI, without the `:` that would split
/// the label anywhere else than between issuer and account.
fn escape(text: &str) -> String {
    let text: String = text.chars().filter(|c| *c != ':').collect();
    utf8_percent_encode(&text, LABEL_ESCAPED).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;

    /// The secret of RFC 6238 Appendix B (SHA-1).
    fn rfc_secret() -> TotpSecret {
        TotpSecret::new(b"12345678901234567890".to_vec())
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).unwrap()
    }

    #[test]
    fn codes_are_those_of_rfc_6238_appendix_b() {
        // The RFC's 8-digit values, of which a 6-digit code is the last 6.
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, eight) in vectors {
            let code = &eight[2..];
            let step = RfcTotp.step_at(at(time));
            assert_eq!(step, TotpStep(u64::try_from(time).unwrap() / 30));
            assert_eq!(
                RfcTotp::code(&RfcTotp::generator(&rfc_secret()), step.0),
                code,
                "T = {time}"
            );
            assert_eq!(
                RfcTotp.verify(&rfc_secret(), code, at(time)),
                Some(step),
                "T = {time}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_early_or_late_and_names_its_own_step() {
        let now = at(1_234_567_890);
        let current = RfcTotp.step_at(now).0;
        for offset in [-1_i64, 0, 1] {
            let step = current.checked_add_signed(offset).unwrap();
            let code = RfcTotp::code(&RfcTotp::generator(&rfc_secret()), step);
            assert_eq!(
                RfcTotp.verify(&rfc_secret(), &code, now),
                Some(TotpStep(step)),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn a_code_two_steps_away_is_refused() {
        let now = at(1_234_567_890);
        let current = RfcTotp.step_at(now).0;
        for step in [current - 2, current + 2] {
            let code = RfcTotp::code(&RfcTotp::generator(&rfc_secret()), step);
            assert_eq!(RfcTotp.verify(&rfc_secret(), &code, now), None);
        }
    }

    #[test]
    fn anything_but_six_ascii_digits_is_refused() {
        let now = at(59);
        // "287082" is the valid code at T = 59.
        for code in [
            "", "28708", "2870820", "287 82", "28708a", "+87082", "-87082", "２87082", " 287082",
            "287082 ",
        ] {
            assert_eq!(RfcTotp.verify(&rfc_secret(), code, now), None, "{code:?}");
        }
        assert!(RfcTotp.verify(&rfc_secret(), "287082", now).is_some());
    }

    #[test]
    fn another_secret_gives_other_codes() {
        let other = TotpSecret::new(b"09876543210987654321".to_vec());
        assert_eq!(RfcTotp.verify(&other, "287082", at(59)), None);
    }

    #[test]
    fn times_before_the_epoch_are_step_zero() {
        assert_eq!(RfcTotp.step_at(at(-1_000)), TotpStep(0));
        assert_eq!(RfcTotp.step_at(at(29)), TotpStep(0));
        assert_eq!(RfcTotp.step_at(at(30)), TotpStep(1));
    }

    #[test]
    fn new_secrets_are_20_random_bytes() {
        let a = RfcTotp.generate_secret();
        let b = RfcTotp.generate_secret();
        assert_eq!(a.expose().len(), 20);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn the_otpauth_uri_parses_back_to_the_key_uri_format() {
        let secret = RfcTotp.generate_secret();
        let provisioning = RfcTotp.provisioning(&secret, "Todo API", "ada_lovelace");
        let uri = url::Url::parse(&provisioning.otpauth_uri).unwrap();
        assert_eq!(uri.scheme(), "otpauth");
        assert_eq!(uri.host_str(), Some("totp"));
        let label = percent_encoding::percent_decode_str(uri.path())
            .decode_utf8()
            .unwrap();
        assert_eq!(label, "/Todo API:ada_lovelace");
        let query: std::collections::HashMap<String, String> =
            uri.query_pairs().into_owned().collect();
        assert_eq!(query.len(), 5, "{query:?}");
        assert_eq!(query["secret"], provisioning.secret_base32);
        assert_eq!(query["issuer"], "Todo API");
        assert_eq!(query["algorithm"], "SHA1");
        assert_eq!(query["digits"], "6");
        assert_eq!(query["period"], "30");
        // RFC 4648 base32, no padding, decodes to the raw secret.
        assert!(!provisioning.secret_base32.contains('='));
        let decoded = totp_rs::Secret::try_from_base32(&provisioning.secret_base32).unwrap();
        assert_eq!(decoded.as_bytes(), secret.expose());
        // A space is %20 (a `+` would be read literally by some apps).
        assert!(
            provisioning
                .otpauth_uri
                .starts_with("otpauth://totp/Todo%20API:ada_lovelace?"),
            "{}",
            provisioning.otpauth_uri
        );
    }

    #[test]
    fn the_rfc_secret_is_the_well_known_base32() {
        let provisioning = RfcTotp.provisioning(&rfc_secret(), "x", "y");
        assert_eq!(
            provisioning.secret_base32,
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn colons_never_reach_the_label() {
        let provisioning = RfcTotp.provisioning(&rfc_secret(), "Acme: Todos", "a:b");
        assert!(
            provisioning
                .otpauth_uri
                .starts_with("otpauth://totp/Acme%20Todos:ab?"),
            "{}",
            provisioning.otpauth_uri
        );
        assert!(provisioning.otpauth_uri.contains("&issuer=Acme%20Todos&"));
    }

    #[test]
    fn debug_of_the_provisioning_shows_no_secret() {
        let provisioning = RfcTotp.provisioning(&rfc_secret(), "x", "y");
        let shown = format!("{provisioning:?}");
        assert!(!shown.contains("GEZDGNBV"), "{shown}");
        assert!(!format!("{:?}", rfc_secret()).contains("1234"));
    }
}
