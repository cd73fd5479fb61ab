//! Reading typed values by name, collecting every problem instead of
//! stopping at the first; and [`Secret`], a value never printed.

use std::fmt;
use std::str::FromStr;

/// A secret read from the environment; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Reads typed values by name and collects every problem instead of stopping
/// at the first. Each problem is kept with the variable it is about, so that
/// they can be put in one order whatever order the groups are read in.
pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<(&'static str, String)>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            problems: Vec::new(),
        }
    }

    /// Records a problem with `name`, as "NAME: message".
    pub(super) fn problem(&mut self, name: &'static str, message: impl fmt::Display) {
        self.problems.push((name, format!("{name}: {message}")));
    }

    /// The problems, ordered by the position of their variable in `order`
    /// (a variable's own problems keep the order they were found in; a
    /// variable not in `order` comes last).
    pub(super) fn into_problems(self, order: &[&str]) -> Vec<String> {
        let mut problems = self.problems;
        problems.sort_by_key(|(name, _)| {
            order
                .iter()
                .position(|known| known == name)
                .unwrap_or(order.len())
        });
        problems.into_iter().map(|(_, problem)| problem).collect()
    }

    pub(super) fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    pub(super) fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_owned())
    }

    pub(super) fn parsed<T: FromStr>(&mut self, name: &'static str, default: T, expected: &str) -> T
    where
        T::Err: fmt::Display,
    {
        match self.raw(name) {
            None => default,
            Some(value) => match value.trim().parse::<T>() {
                Ok(v) => v,
                Err(e) => {
                    self.problem(name, format_args!("{expected}, got {value:?} ({e})"));
                    default
                }
            },
        }
    }

    /// A name carried in tokens: 1..=256 bytes, no control characters.
    pub(super) fn token_name(&mut self, name: &'static str, default: &str) -> String {
        let value = self.string(name, default);
        if value.len() > auth::jwt::MAX_NAME_BYTES || value.chars().any(char::is_control) {
            self.problem(
                name,
                format_args!(
                    "expected at most {} bytes without control characters",
                    auth::jwt::MAX_NAME_BYTES
                ),
            );
            return default.to_owned();
        }
        value
    }

    pub(super) fn bool(&mut self, name: &'static str, default: bool) -> bool {
        match self.raw(name) {
            None => default,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    self.problem(name, format_args!("expected true or false, got {value:?}"));
                    default
                }
            },
        }
    }

    pub(super) fn ranged<T>(
        &mut self,
        name: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> T
    where
        T: FromStr + PartialOrd + Copy + fmt::Display,
        T::Err: fmt::Display,
    {
        let expected = format!(
            "expected a whole number from {} to {}",
            range.start(),
            range.end()
        );
        let value = self.parsed(name, default, &expected);
        if range.contains(&value) {
            value
        } else {
            self.problem(name, format_args!("{expected}, got {value}"));
            default
        }
    }

    /// A comma-separated list, each item parsed by `parse`; empty items are
    /// skipped.
    pub(super) fn list<T>(
        &mut self,
        name: &'static str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Vec<T> {
        let Some(raw) = self.raw(name) else {
            return Vec::new();
        };
        let mut items = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match parse(item) {
                Some(value) => items.push(value),
                None => self.problem(name, format_args!("{expected}, got {item:?}")),
            }
        }
        items
    }
}
