//! List cursors: sealed by one instance, opened by any sharing the signing
//! key, and refused when modified in any way or sealed under another key.

// Helpers outside #[test] functions fail the test the same way.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use auth::HmacCursorSeal;
use auth::keys::parse_private_key_pem;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use common::{keys, other_keys, service};
use domain::ports::CursorSeal;
use domain::{CursorList, ListCursor, TodoId, TodoPosition, UserId};

fn todo_cursor(completed: Option<bool>) -> ListCursor {
    ListCursor {
        list: CursorList::Todos {
            completed,
            after: TodoPosition {
                // Nanoseconds, which no store keeps, survive too.
                created_at: DateTime::from_timestamp(1_750_000_000, 123_456_789).unwrap(),
                id: TodoId(4_242),
            },
        },
        caller: UserId(7),
        page: 12,
        page_size: 20,
    }
}

fn users_cursor() -> ListCursor {
    ListCursor {
        list: CursorList::Users {
            after: UserId(i64::MAX),
        },
        caller: UserId(1),
        page: u64::MAX,
        page_size: 100,
    }
}

fn seal_of(pem: &str) -> HmacCursorSeal {
    HmacCursorSeal::from_private_key(&parse_private_key_pem(pem.as_bytes(), None, "test").unwrap())
        .unwrap()
}

fn cursors() -> Vec<ListCursor> {
    vec![
        todo_cursor(None),
        todo_cursor(Some(false)),
        todo_cursor(Some(true)),
        users_cursor(),
    ]
}

#[test]
fn a_sealed_cursor_opens_to_itself_and_is_short_and_url_safe() {
    let seal = service().cursor_seal();
    for cursor in cursors() {
        let sealed = seal.seal(&cursor);
        assert_eq!(seal.open(&sealed), Some(cursor), "{sealed}");
        assert!(sealed.len() <= 200, "{sealed}");
        assert!(
            sealed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{sealed}"
        );
    }
}

#[test]
fn instances_sharing_the_signing_key_open_each_others_cursors() {
    let sealed = service().cursor_seal().seal(&todo_cursor(None));
    let other_instance = seal_of(keys().private_key_pem());
    assert_eq!(other_instance.open(&sealed), Some(todo_cursor(None)));
}

#[test]
fn a_cursor_sealed_under_another_key_is_refused() {
    let forged = seal_of(other_keys().private_key_pem()).seal(&todo_cursor(None));
    assert_eq!(service().cursor_seal().open(&forged), None);
}

#[test]
fn every_change_to_a_sealed_cursor_is_refused() {
    let seal = service().cursor_seal();
    for cursor in cursors() {
        let sealed = seal.seal(&cursor);
        let bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        // Each bit of each byte flipped, payload and tag alike.
        for index in 0..bytes.len() {
            for bit in 0..8 {
                let mut changed = bytes.clone();
                changed[index] ^= 1 << bit;
                let text = URL_SAFE_NO_PAD.encode(&changed);
                assert_eq!(seal.open(&text), None, "byte {index} bit {bit}");
            }
        }
        // Cut short, lengthened, or the text itself edited.
        for cut in 0..sealed.len() {
            assert_eq!(seal.open(&sealed[..cut]), None, "cut at {cut}");
        }
        assert_eq!(seal.open(&format!("{sealed}A")), None);
        assert_eq!(seal.open(&format!("A{sealed}")), None);
        let mut padded = sealed.clone();
        padded.push('=');
        assert_eq!(seal.open(&padded), None);
    }
}

#[test]
fn garbage_never_opens_and_never_panics() {
    let seal = service().cursor_seal();
    let long = "A".repeat(100_000);
    for text in [
        "",
        "=",
        "not a cursor",
        "%00",
        "AAAA",
        "////",
        "++++",
        "🦀🦀🦀",
        long.as_str(),
    ] {
        assert_eq!(seal.open(text), None, "{text:.20}");
    }
    // Authentic tags over payloads of every length up to well past a real one.
    let bytes: Vec<u8> = (0..80).collect();
    for len in 0..bytes.len() {
        assert_eq!(seal.open(&URL_SAFE_NO_PAD.encode(&bytes[..len])), None);
    }
}

#[test]
fn debug_does_not_show_the_key() {
    let text = format!("{:?}", service().cursor_seal());
    assert_eq!(text, "HmacCursorSeal { key: \"<redacted>\" }");
}
