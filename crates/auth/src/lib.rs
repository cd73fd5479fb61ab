//! Token and password adapters.
