//! The error every validated value returns when its input breaks a rule.

use std::borrow::Cow;

/// Why an input value was refused. The HTTP layer attaches the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    message: Cow<'static, str>,
}

impl InvalidValue {
    #[must_use]
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            message: message.into(),
        }
    }

    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Checks shared by every stored text: a character count range and no NUL,
/// which PostgreSQL cannot store in a text column.
pub(crate) fn check_text(value: &str, min: usize, max: usize) -> Result<(), InvalidValue> {
    if value.contains('\0') {
        return Err(InvalidValue::new("must not contain NUL characters"));
    }
    let chars = value.chars().count();
    if chars < min || chars > max {
        return Err(if min == max {
            InvalidValue::new(format!("must be exactly {min} characters"))
        } else if chars < min && min == 1 {
            InvalidValue::new("must not be empty")
        } else {
            InvalidValue::new(format!("must be between {min} and {max} characters"))
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(check_text("ééé", 3, 3).is_ok());
        assert!(check_text("ab", 3, 10).is_err());
    }

    #[test]
    fn nul_is_refused() {
        assert_eq!(
            check_text("a\0b", 1, 10).unwrap_err().message(),
            "must not contain NUL characters"
        );
    }
}
