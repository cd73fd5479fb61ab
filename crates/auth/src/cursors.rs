//! List cursors sealed with an HMAC: the domain's `CursorSeal` port.
//!
//! A sealed cursor is base64url (no padding) of a fixed binary layout
//! followed by the first 16 bytes of its HMAC-SHA256, under a key derived
//! from the signing private key (see [`derived_keys`](crate::derived_keys)):
//! every instance sharing the signing key opens every other's cursors, and
//! nobody without it can make or change one. Rotating the signing key
//! invalidates the cursors sealed before (clients start again from page 1).
//!
//! The layout, big-endian (version 1):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version, `1` |
//! | 8 | caller's user id |
//! | 8 | page number |
//! | 8 | page size |
//! | 1 | list: `1` todos, `2` users |
//! | todos: 1 + 8 + 4 + 8 | `completed` (`0` any, `1` false, `2` true), `created_at` seconds and nanoseconds, id |
//! | users: 8 | id |
//!
//! The cursor is not encrypted: it holds nothing its holder may not see.

use std::fmt;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use domain::ports::CursorSeal;
use domain::{CursorList, ListCursor, TodoId, TodoPosition, UserId};
use hmac::Mac;

use crate::derived_keys::{HmacSha256, derived_mac};
use crate::keys::PrivateKey;

const KEY_DERIVATION_LABEL: &[u8] = b"todo-api list-cursor key v1";
const VERSION: u8 = 1;
/// Bytes of the HMAC kept: 128 bits, beyond any online forgery.
const TAG_BYTES: usize = 16;
/// The longest payload (a todo list's) plus the tag, in base64 characters:
/// anything longer is refused before it is decoded.
const MAX_SEALED_CHARS: usize = (1 + 8 + 8 + 8 + 1 + 1 + 8 + 4 + 8 + TAG_BYTES).div_ceil(3) * 4;

const LIST_TODOS: u8 = 1;
const LIST_USERS: u8 = 2;

/// Seals and opens list cursors. Cheap to clone. `Debug` never shows the key.
#[derive(Clone)]
pub struct HmacCursorSeal {
    mac: HmacSha256,
}

impl HmacCursorSeal {
    /// Derives the sealing key from `private`, the key that signs access
    /// tokens.
    ///
    /// # Errors
    /// When the private key cannot be encoded as PKCS#8 (it always can once
    /// loaded).
    pub fn from_private_key(private: &PrivateKey) -> anyhow::Result<Self> {
        let mac = derived_mac(private, KEY_DERIVATION_LABEL)
            .context("deriving the list-cursor key failed")?;
        Ok(Self { mac })
    }

    fn tag(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(payload);
        mac
    }
}

impl CursorSeal for HmacCursorSeal {
    fn seal(&self, cursor: &ListCursor) -> String {
        let mut bytes = encode(cursor);
        let tag = self.tag(&bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn open(&self, sealed: &str) -> Option<ListCursor> {
        if sealed.len() > MAX_SEALED_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let split = bytes.len().checked_sub(TAG_BYTES)?;
        let (payload, tag) = bytes.split_at(split);
        // Constant-time comparison of the truncated tag.
        self.tag(payload).verify_truncated_left(tag).ok()?;
        decode(payload)
    }
}

impl fmt::Debug for HmacCursorSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacCursorSeal")
            .field("key", &"<redacted>")
            .finish()
    }
}

fn encode(cursor: &ListCursor) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(48);
    bytes.push(VERSION);
    bytes.extend_from_slice(&cursor.caller.0.to_be_bytes());
    bytes.extend_from_slice(&cursor.page.to_be_bytes());
    bytes.extend_from_slice(&cursor.page_size.to_be_bytes());
    match cursor.list {
        CursorList::Todos { completed, after } => {
            bytes.push(LIST_TODOS);
            bytes.push(match completed {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            });
            bytes.extend_from_slice(&after.created_at.timestamp().to_be_bytes());
            bytes.extend_from_slice(&after.created_at.timestamp_subsec_nanos().to_be_bytes());
            bytes.extend_from_slice(&after.id.0.to_be_bytes());
        }
        CursorList::Users { after } => {
            bytes.push(LIST_USERS);
            bytes.extend_from_slice(&after.0.to_be_bytes());
        }
    }
    bytes
}

/// Reads fixed-size fields off the front of a payload.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_be_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_be_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }
}

/// The cursor of an authentic payload; `None` for a layout this version
/// does not know (a payload is authentic only if we made it, so this is
/// defence in depth against our own future layouts).
fn decode(payload: &[u8]) -> Option<ListCursor> {
    let mut reader = Reader(payload);
    if reader.byte()? != VERSION {
        return None;
    }
    let caller = UserId(reader.i64()?);
    let page = reader.u64()?;
    let page_size = reader.u64()?;
    let list = match reader.byte()? {
        LIST_TODOS => {
            let completed = match reader.byte()? {
                0 => None,
                1 => Some(false),
                2 => Some(true),
                _ => return None,
            };
            let seconds = reader.i64()?;
            let nanos = reader.u32()?;
            let id = TodoId(reader.i64()?);
            CursorList::Todos {
                completed,
                after: TodoPosition {
                    created_at: DateTime::from_timestamp(seconds, nanos)?,
                    id,
                },
            }
        }
        LIST_USERS => CursorList::Users {
            after: UserId(reader.i64()?),
        },
        _ => return None,
    };
    reader.0.is_empty().then_some(ListCursor {
        list,
        caller,
        page,
        page_size,
    })
}
