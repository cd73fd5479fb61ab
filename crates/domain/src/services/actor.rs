//! Who is making a request.

use crate::user::{User, UserId};

/// The authenticated user on whose behalf a use case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub is_admin: bool,
}

impl Actor {
    /// Whether the actor may act on the user `id`: themselves, or anyone for an admin.
    #[must_use]
    pub fn may_manage(self, id: UserId) -> bool {
        self.is_admin || self.id == id
    }
}

impl From<&User> for Actor {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            is_admin: user.is_admin,
        }
    }
}
