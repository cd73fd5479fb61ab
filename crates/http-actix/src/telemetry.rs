//! Logging: `tracing` to stdout, as one JSON object per line (`LOG_JSON=true`)
//! or a readable console format. See LOGGING.md for the fields.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. A second call (tests) is a no-op.
pub fn init(level: &str, json: bool) {
    // Our crates at the requested level; chatty dependencies no louder than warn
    // unless the filter names them.
    let directives = if level.contains('=') || level.contains(',') {
        level.to_owned()
    } else {
        format!("{level},sqlx=warn,sea_orm=warn,sea_orm_migration=info,actix_server=info")
    };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let result = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
    // Already installed (a test installed one first): keep that one.
    drop(result);
}
