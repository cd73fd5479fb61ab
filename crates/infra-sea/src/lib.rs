//! SeaORM adapters.
