//! Text cut to what a column holds, alike on both backends.
//!
//! PostgreSQL refuses NUL in text and a value longer than its `VARCHAR(n)`
//! (which would fail the whole request); SQLite takes both silently. The
//! domain already strips NUL and cuts the user agent, so for well-formed
//! input this changes nothing; it keeps an odd client address or an
//! over-long throttle key from turning a login into an error, and makes both
//! backends store the same value.

/// `value` without NUL, cut to at most `max_chars` characters (as
/// PostgreSQL counts `VARCHAR` lengths).
pub(crate) fn storable(value: &str, max_chars: usize) -> String {
    value
        .chars()
        .filter(|c| *c != '\0')
        .take(max_chars)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_unchanged() {
        assert_eq!(
            storable("Mozilla/5.0 (Zoë 👩‍💻)", 512),
            "Mozilla/5.0 (Zoë 👩‍💻)"
        );
    }

    #[test]
    fn long_text_is_cut_in_characters_not_bytes() {
        let cut = storable(&"é".repeat(600), 512);
        assert_eq!(cut.chars().count(), 512);
        assert_eq!(cut, "é".repeat(512));
    }

    #[test]
    fn nul_is_dropped() {
        assert_eq!(storable("a\0b", 64), "ab");
    }
}
