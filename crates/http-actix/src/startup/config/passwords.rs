//! The password hashing: how hard, and how politely.

use super::reader::Reader;

/// The password hasher's settings.
#[derive(Debug, Clone)]
pub struct PasswordSettings {
    pub bcrypt_cost: u32,
    /// The nice value (0..=19) of the password hashing threads: how far
    /// logins yield to other requests when the CPUs are saturated.
    pub bcrypt_nice: u8,
}

impl PasswordSettings {
    /// `BCRYPT_COST` and `BCRYPT_NICE`.
    pub(super) fn read(r: &mut Reader<'_>) -> Self {
        Self {
            bcrypt_cost: r.ranged("BCRYPT_COST", 12, 4..=31),
            bcrypt_nice: r.ranged(
                "BCRYPT_NICE",
                auth::password::DEFAULT_HASHING_NICE,
                0..=auth::password::MAX_HASHING_NICE,
            ),
        }
    }
}
