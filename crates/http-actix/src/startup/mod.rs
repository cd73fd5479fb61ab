//! Starting the process: the configuration and its report, the command
//! line, the telemetry, the listener and the shutdown signals, the driven
//! adapters the application runs on ([`storage::Storage`],
//! [`storage::Adapters`]; the SeaORM one in [`sea_storage`] over
//! [`db_pools`]), and [`application::Application`], the composition root
//! that wires them into the HTTP adapter ([`crate::inbound`]).

pub mod application;
pub mod cli;
pub mod config;
pub mod config_report;
pub mod db_pools;
pub mod listener;
pub mod mail_worker;
pub mod mailer;
pub mod pruning;
pub mod sea_storage;
pub mod shutdown;
pub mod storage;
pub mod telemetry;
