//! Sealing list cursors into opaque, tamper-evident strings.

use crate::pagination::ListCursor;

/// Seals a [`ListCursor`] into the opaque string clients send back as
/// `cursor`, and opens such strings.
///
/// Implementations MUST make a sealed cursor tamper-evident: `open` returns
/// `None` for any string that `seal` of this implementation (with the same
/// key, across every instance that shares it) did not produce, including
/// one with any character changed, added or removed, and never panics,
/// whatever the input. `open(&seal(c)) == Some(c)` for every cursor, every
/// field exactly (timestamps to the nanosecond). A sealed cursor is at most
/// 200 characters, all URL-safe (`A-Z a-z 0-9 - _`), so it needs no
/// escaping in a query string or a `Link` header. Secrecy is not required:
/// a cursor holds nothing the caller may not see.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CursorSeal: Send + Sync {
    fn seal(&self, cursor: &ListCursor) -> String;

    fn open(&self, sealed: &str) -> Option<ListCursor>;
}
