//! Page requests and pages of results.

use crate::text::InvalidValue;

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

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: 10,
        }
    }
}

/// One page of results and the total across all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub request: PageRequest,
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
