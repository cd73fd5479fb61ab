//! Page requests and pages of results, by number or by cursor.
//!
//! A list is read one page at a time in one of two ways:
//! - by number ([`PageRequest`]): page `n` skips `(n - 1) * page_size`
//!   rows, which costs the skipped rows too (SQL `OFFSET`), so deep pages
//!   grow linearly with their depth;
//! - after a position ([`Window::after`]): the page starts right after the
//!   last row of the previous one, by keyset (`WHERE (created_at, id) <
//!   (…)`), in time independent of the depth.
//!
//! Every page that has a successor comes back with a [`ListCursor`] naming
//! where the next one starts. Clients see it only sealed (see
//! [`CursorSeal`](crate::ports::CursorSeal)): an opaque string, bound to the
//! list, the filter, the caller and the page size it was issued for.

use chrono::{DateTime, Utc};

use crate::text::InvalidValue;
use crate::todo::TodoId;
use crate::user::UserId;

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated page request: `page >= 1` and `1 <= page_size <= 100`. Any
/// page is valid; one beyond the last row is simply empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u64,
    page_size: u64,
}

/// Which parameter of a page request was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct PageRequestError {
    pub field: &'static str,
    pub error: InvalidValue,
}

impl PageRequest {
    /// # Errors
    /// [`PageRequestError`] naming `page` or `page_size`.
    pub fn new(page: u64, page_size: u64) -> Result<Self, PageRequestError> {
        if page == 0 {
            return Err(PageRequestError {
                field: "page",
                error: InvalidValue::new("must be greater than or equal to 1"),
            });
        }
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(PageRequestError {
                field: "page_size",
                error: InvalidValue::new(format!("must be between 1 and {MAX_PAGE_SIZE}")),
            });
        }
        Ok(Self { page, page_size })
    }

    #[must_use]
    pub fn page(self) -> u64 {
        self.page
    }

    #[must_use]
    pub fn page_size(self) -> u64 {
        self.page_size
    }

    /// Rows to skip, saturating at `i64::MAX` (what SQL `OFFSET` takes): a
    /// page that far out is past every row, so it is empty either way.
    #[must_use]
    pub fn offset(self) -> u64 {
        (self.page - 1)
            .saturating_mul(self.page_size)
            .min(i64::MAX.unsigned_abs())
    }
}

impl PageRequest {
    /// How many rows a store reads for this page: one more than the page
    /// holds, so that [`Page::from_rows`] knows whether a next page exists.
    #[must_use]
    pub fn rows_to_read(self) -> u64 {
        self.page_size + 1
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: 10,
        }
    }
}

/// Which rows a list reads: `page.page_size()` of them, skipping
/// `page.offset()` rows when `after` is `None`, or the first ones strictly
/// after the position `after` in the list's order when it is `Some` (and
/// then `page.page()` is only the number the page is reported under).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window<K> {
    pub page: PageRequest,
    pub after: Option<K>,
}

impl<K> Window<K> {
    /// Page `page.page()` by number.
    #[must_use]
    pub fn numbered(page: PageRequest) -> Self {
        Self { page, after: None }
    }

    /// The page right after the position `after`, reported as `page`.
    #[must_use]
    pub fn after(page: PageRequest, after: K) -> Self {
        Self {
            page,
            after: Some(after),
        }
    }
}

impl<K> From<PageRequest> for Window<K> {
    fn from(page: PageRequest) -> Self {
        Self::numbered(page)
    }
}

/// One page of results and the total across all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Every matching row, on every page.
    pub total: u64,
    pub request: PageRequest,
    /// Whether at least one matching row follows the last of `items` (so
    /// there is a next page). A store learns it by reading one row more than
    /// the page size, never by comparing `total` with an offset.
    pub has_more: bool,
}

/// A todo's place in the order of a todo list: newest first, `created_at`
/// descending, then `id` descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TodoPosition {
    pub created_at: DateTime<Utc>,
    pub id: TodoId,
}

/// How a client asks for one page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListRequest {
    /// By number (`page`, `page_size`).
    Page(PageRequest),
    /// The page a sealed [`ListCursor`] names; `page_size`, when the client
    /// sent one, must be the cursor's.
    Cursor {
        sealed: String,
        page_size: Option<u64>,
    },
}

impl Default for ListRequest {
    fn default() -> Self {
        Self::Page(PageRequest::default())
    }
}

impl From<PageRequest> for ListRequest {
    fn from(page: PageRequest) -> Self {
        Self::Page(page)
    }
}

/// Which list, with which filter, a cursor continues, and after which row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorList {
    /// The caller's todos (`GET /v1/todos`).
    Todos {
        completed: Option<bool>,
        after: TodoPosition,
    },
    /// Every user, by id (`GET /v1/users`).
    Users { after: UserId },
}

/// Where the next page of a list starts, and the query it belongs to: the
/// content of a cursor before it is sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub list: CursorList,
    /// Who listed: a cursor is refused to anyone else.
    pub caller: UserId,
    /// The number of the page this cursor starts (as `page` reports it).
    pub page: u64,
    pub page_size: u64,
}

/// Why a cursor was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor this service sealed, or one modified since (or sealed
    /// under a signing key that has been rotated out).
    #[error(
        "is not a cursor this service issued, or it was modified; start again from the first page"
    )]
    Unreadable,
    /// A cursor of another list, filter, caller or page size.
    #[error(
        "was issued for another query: send it with the same filters and page_size as the request that returned it"
    )]
    OtherQuery,
}

/// A page of a list and the sealed cursor of the next one, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub page: Page<T>,
    pub next_cursor: Option<String>,
}

impl ListRequest {
    /// The window this request reads for `caller`. A cursor is opened with
    /// `seal` and accepted only if it is `caller`'s, has the request's page
    /// size (when the request names one), and `continues` takes its list
    /// (same list, same filter), answering the position to read after.
    ///
    /// # Errors
    /// [`CursorError`] for a cursor that is refused.
    pub(crate) fn window<K>(
        self,
        seal: &dyn crate::ports::CursorSeal,
        caller: UserId,
        continues: impl FnOnce(CursorList) -> Option<K>,
    ) -> Result<Window<K>, CursorError> {
        match self {
            Self::Page(page) => Ok(Window::numbered(page)),
            Self::Cursor { sealed, page_size } => {
                let cursor = seal.open(&sealed).ok_or(CursorError::Unreadable)?;
                if cursor.caller != caller || page_size.is_some_and(|s| s != cursor.page_size) {
                    return Err(CursorError::OtherQuery);
                }
                let after = continues(cursor.list).ok_or(CursorError::OtherQuery)?;
                // A sealed cursor was made from a valid page; one that is not
                // valid was not sealed by us.
                let page = PageRequest::new(cursor.page, cursor.page_size)
                    .map_err(|_| CursorError::Unreadable)?;
                Ok(Window::after(page, after))
            }
        }
    }
}

impl<T> Page<T> {
    /// The page a store makes of the rows it read for `request`: at most
    /// [`PageRequest::rows_to_read`] of them, the first `page_size` in the
    /// list's order; a row beyond those is dropped and sets
    /// [`Page::has_more`].
    #[must_use]
    pub fn from_rows(mut rows: Vec<T>, total: u64, request: PageRequest) -> Self {
        let size = usize::try_from(request.page_size()).unwrap_or(usize::MAX);
        let has_more = rows.len() > size;
        rows.truncate(size);
        Self {
            items: rows,
            total,
            request,
            has_more,
        }
    }

    /// This page with the sealed cursor of the next one, when there is a
    /// next one: after this page's last item, as `position` places it.
    pub(crate) fn with_next_cursor(
        self,
        seal: &dyn crate::ports::CursorSeal,
        caller: UserId,
        position: impl FnOnce(&T) -> CursorList,
    ) -> Listed<T> {
        let next_cursor = match self.items.last() {
            Some(last) if self.has_more => Some(seal.seal(&ListCursor {
                list: position(last),
                caller,
                page: self.request.page().saturating_add(1),
                page_size: self.request.page_size(),
            })),
            _ => None,
        };
        Listed {
            page: self,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_zero_based() {
        assert_eq!(PageRequest::new(1, 10).unwrap().offset(), 0);
        assert_eq!(PageRequest::new(3, 20).unwrap().offset(), 40);
    }

    #[test]
    fn page_zero_is_refused() {
        assert_eq!(PageRequest::new(0, 10).unwrap_err().field, "page");
    }

    #[test]
    fn page_size_bounds() {
        assert_eq!(PageRequest::new(1, 0).unwrap_err().field, "page_size");
        assert_eq!(PageRequest::new(1, 101).unwrap_err().field, "page_size");
        assert!(PageRequest::new(1, 100).is_ok());
    }

    #[test]
    fn huge_pages_are_valid_and_their_offset_saturates_instead_of_wrapping() {
        let huge = PageRequest::new(u64::MAX, 100).unwrap();
        assert_eq!(huge.offset(), i64::MAX.unsigned_abs());
        let near = PageRequest::new(i64::MAX.unsigned_abs(), 10).unwrap();
        assert_eq!(near.offset(), i64::MAX.unsigned_abs());
        assert_eq!(PageRequest::new(3, 100).unwrap().offset(), 200);
    }

    #[test]
    fn default_is_the_first_page_of_ten() {
        assert_eq!(PageRequest::default(), PageRequest::new(1, 10).unwrap());
        assert_eq!(PageRequest::default().offset(), 0);
    }

    #[test]
    fn smallest_page_size_is_one_and_the_largest_offset_is_i64_max() {
        let i64_max = u64::try_from(i64::MAX).unwrap();
        assert_eq!(PageRequest::new(i64_max + 1, 1).unwrap().offset(), i64_max);
        assert_eq!(PageRequest::new(i64_max + 2, 1).unwrap().offset(), i64_max);
    }
}
