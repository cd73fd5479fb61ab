//! The `migration` binary's command line (a module of the binary, not of the
//! library): SeaORM's migration CLI with the same subcommands and flags
//! (`up [-n N]`, `down [-n N]`, `status`, `fresh`, `refresh`, `reset`,
//! `generate NAME`, `-u`, `-s`, `-v`), run on [`MigratorTrait`] directly.
//!
//! It replaces `sea_orm_migration::cli::run_cli`, which `expect`s the
//! database URL and the connection: a missing `DATABASE_URL` or an
//! unreachable database was a panic with a backtrace. Here every failure is
//! a message and an exit code (2: the command cannot run as given, 1: it
//! failed). The commands that drop data (`fresh`, `refresh`, `reset`) need
//! `--yes`, and `--force-production` too where `ENVIRONMENT` is production.
//!
//! Like SeaORM's CLI it takes **no** migration lock (see `migration::lock`):
//! it is the tool for a migration that must run outside a transaction, and
//! must not be pointed at a database other migrators use at the same time.
//! `api migrate ...` is the locked one. SeaORM's `init` is left out: run in
//! this crate, it would overwrite `src/lib.rs`, `src/main.rs` and
//! `Cargo.toml` with its template.

use migration::report;
use std::fmt;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use migration::{Migrator, MigratorTrait, SchemaState, schema_state};
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DatabaseConnection};

const AFTER_HELP: &str = "\
The database comes from -u or DATABASE_URL (the environment, or .env in the current \
directory or a parent), e.g. sqlite://data/app.db?mode=rwc or \
postgres://user:password@127.0.0.1:5432/todo_api. `api migrate` does the same with the \
service's settings, under the migration lock; this tool takes no lock.

fresh, refresh and reset drop data: they need --yes, and with ENVIRONMENT=production also \
--force-production.

Exit status: 0 done, 1 failed, 2 refused or nothing to run it on (no database URL, \
no --yes).";

/// The command line, as SeaORM's migration CLI spells it.
#[derive(Debug, Parser)]
#[command(
    name = "migration",
    version,
    about = "Apply, revert or inspect the schema migrations (no migration lock)",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Show debug messages (SQL included) on stderr.
    #[arg(short = 'v', long, global = true)]
    verbose: bool,

    /// PostgreSQL schema (search path); default `public`. Ignored for SQLite.
    #[arg(short = 's', long, global = true, env = "DATABASE_SCHEMA")]
    database_schema: Option<String>,

    /// Database URL.
    #[arg(
        short = 'u',
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,

    /// What to do; `up` when omitted.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a new, empty migration (run it in migration/: it writes
    /// src/m<timestamp>_<name>.rs and adds it to src/lib.rs).
    Generate {
        /// Name of the new migration.
        migration_name: String,
        /// Timestamp the file name in UTC (the default).
        #[arg(long, conflicts_with = "local_time")]
        universal_time: bool,
        /// Timestamp the file name in local time.
        #[arg(long)]
        local_time: bool,
    },
    /// Drop all tables from the database, then reapply all migrations (needs
    /// --yes).
    Fresh(Confirm),
    /// Roll back all applied migrations, then reapply all migrations (needs
    /// --yes).
    Refresh(Confirm),
    /// Roll back all applied migrations (needs --yes).
    Reset(Confirm),
    /// List the migrations and whether each is applied.
    Status,
    /// Apply pending migrations.
    Up {
        /// Number of pending migrations to apply (default: all).
        #[arg(short, long)]
        num: Option<u32>,
    },
    /// Roll back applied migrations.
    Down {
        /// Number of applied migrations to roll back.
        #[arg(short, long, default_value_t = 1)]
        num: u32,
    },
}

/// The confirmation a command that drops data needs.
#[derive(Debug, Args)]
struct Confirm {
    /// Confirm that the data may be dropped.
    #[arg(long)]
    yes: bool,
    /// Allow it where ENVIRONMENT is production too.
    #[arg(long)]
    force_production: bool,
}

/// Why the command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// It cannot run as given (no database URL, no confirmation): exit 2.
    Refused(String),
    /// It ran and failed (connection, migration): exit 1.
    Failed(String),
}

impl Failure {
    #[must_use]
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Refused(_) => ExitCode::from(2),
            Self::Failed(_) => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(message) | Self::Failed(message) => f.write_str(message),
        }
    }
}

/// Loads `.env` as the service does, before the command line is parsed so
/// that `DATABASE_URL` from it is the default of `-u` (an explicit `-u`
/// still wins; variables already set are kept). A malformed file is
/// reported and the rest of it ignored: a user of `-u` must not be stopped
/// by it.
pub fn load_dotenv() {
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("warning: .env: {error}; the rest of the file is ignored");
    }
}

/// Runs the parsed command.
///
/// # Errors
/// [`Failure::Refused`] without a database URL, or without the confirmation
/// a command that drops data needs; [`Failure::Failed`] when connecting,
/// migrating or generating fails.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    if cli.verbose {
        // Only fails when a subscriber is already set, which none is.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(std::io::stderr)
            .try_init();
    }
    let command = cli.command.unwrap_or(Command::Up { num: None });
    if let Command::Generate {
        migration_name,
        local_time,
        ..
    } = &command
    {
        return sea_orm_cli::run_migrate_generate("./", migration_name, !local_time)
            .map_err(|e| Failure::Failed(format!("generating the migration: {e}")));
    }
    let url = cli
        .database_url
        .filter(|url| !url.trim().is_empty())
        .ok_or_else(no_database_url)?;
    // Checked before connecting: a refused command touches nothing (not
    // even creating a missing SQLite file).
    match &command {
        Command::Fresh(confirm) => confirmed(confirm, "fresh", FRESH)?,
        Command::Refresh(confirm) => confirmed(confirm, "refresh", REFRESH)?,
        Command::Reset(confirm) => confirmed(confirm, "reset", RESET)?,
        _ => {}
    }
    let db = connect(url, cli.database_schema).await?;
    match command {
        Command::Status => print!("{}", report::status(&state(&db).await?)),
        Command::Up { num } => {
            let before = state(&db).await?;
            Migrator::up(&db, num).await.map_err(failed("applying"))?;
            print!("{}", report::applied_between(&before, &state(&db).await?));
        }
        Command::Down { num } => {
            let before = state(&db).await?;
            Migrator::down(&db, Some(num))
                .await
                .map_err(failed("reverting"))?;
            print!("{}", report::reverted_between(&before, &state(&db).await?));
        }
        Command::Fresh(_) => {
            Migrator::fresh(&db).await.map_err(failed("fresh"))?;
            println!("dropped every table");
            print!(
                "{}",
                report::applied_between(&report::every_pending(), &state(&db).await?)
            );
        }
        Command::Refresh(_) => {
            let before = state(&db).await?;
            Migrator::refresh(&db).await.map_err(failed("refresh"))?;
            print!(
                "{}",
                report::reverted_between(&before, &report::every_pending())
            );
            print!(
                "{}",
                report::applied_between(&report::every_pending(), &state(&db).await?)
            );
        }
        Command::Reset(_) => {
            let before = state(&db).await?;
            Migrator::reset(&db).await.map_err(failed("reset"))?;
            print!("{}", report::reverted_between(&before, &state(&db).await?));
        }
        Command::Generate { .. } => {}
    }
    Ok(())
}

const FRESH: &str = "drops every table of the database (all users, todos and sessions, and any table \
     the migrations do not know), then applies every migration again";
const REFRESH: &str = "reverts every applied migration, dropping their tables and all their data, then \
     applies every migration again";
const RESET: &str = "reverts every applied migration, dropping their tables and all their data";

fn no_database_url() -> Failure {
    Failure::Refused(
        "no database to migrate: DATABASE_URL is not set (nor in .env) and no -u/--database-url \
         was given. Set DATABASE_URL, e.g. `DATABASE_URL='sqlite://data/app.db?mode=rwc'` (the \
         service's default SQLite file) or `DATABASE_URL=postgres://user:password@127.0.0.1:5432/todo_api`, \
         or pass `-u <URL>`; or run `api migrate <command>`, which reads the same settings as \
         the service."
            .to_owned(),
    )
}

/// `Ok` when the command that `does` what it says may run.
fn confirmed(confirm: &Confirm, command: &str, does: &str) -> Result<(), Failure> {
    if !confirm.yes {
        return Err(Failure::Refused(format!(
            "`{command}` {does}; nothing was done. Run `migration {command} --yes` to confirm."
        )));
    }
    if let Some(environment) = production_environment()
        && !confirm.force_production
    {
        return Err(Failure::Refused(format!(
            "ENVIRONMENT is {environment}: refusing `{command}` even with --yes, it {does}; \
             nothing was done. Add --force-production if this really is the database to wipe."
        )));
    }
    Ok(())
}

/// `ENVIRONMENT` when it names anything but development or test (the
/// service refuses other values; here they count as production, to be safe).
fn production_environment() -> Option<String> {
    let value = std::env::var("ENVIRONMENT").ok()?;
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "development" | "dev" | "test" => None,
        _ => Some(value),
    }
}

async fn connect(url: String, schema: Option<String>) -> Result<DatabaseConnection, Failure> {
    // SQLite creates the file (with `mode=rwc`), not its directory.
    let hint = if url.starts_with("sqlite:") {
        "; for SQLite, the file's directory must exist"
    } else {
        ""
    };
    let mut options = ConnectOptions::new(url);
    options.set_schema_search_path(schema.unwrap_or_else(|| "public".to_owned()));
    Database::connect(options).await.map_err(|e| {
        Failure::Failed(format!(
            "cannot connect to the database (check DATABASE_URL or -u{hint}): {e}"
        ))
    })
}

fn failed(what: &'static str) -> impl Fn(sea_orm_migration::DbErr) -> Failure {
    move |e| Failure::Failed(format!("{what}: {e}"))
}

async fn state(db: &DatabaseConnection) -> Result<SchemaState, Failure> {
    schema_state(db)
        .await
        .map_err(|e| Failure::Failed(format!("reading the applied migrations: {e}")))
}
