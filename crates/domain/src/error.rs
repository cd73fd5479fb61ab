//! Errors the repository ports return.

/// Which unique field a write collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictField {
    Email,
    Username,
}

impl ConflictField {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Username => "username",
        }
    }
}

/// What a repository adapter may fail with.
///
/// Adapters MUST map a unique-constraint violation on a user's email or
/// username to [`RepositoryError::Conflict`], and a failure to reach the store
/// (no connection could be had in time, the server went away) to
/// [`RepositoryError::Unavailable`]. Anything else is `Unexpected`.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error("{} is already taken", .0.as_str())]
    Conflict(ConflictField),
    #[error("the data store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
