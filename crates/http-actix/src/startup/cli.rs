//! The `api` command line: serve (default), migrate, keygen, create-admin,
//! prune, check-config, openapi.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use auth::BcryptHasher;
use auth::keys::KeygenError;
use clap::{Parser, Subcommand};
use domain::ports::PruneOutcome;
use domain::services::{
    AccountMailPorts, CreateAdminError, PruneService, Registration, UserService,
};
use domain::{Email, FullName, Password, Username};
use infra_sea::{
    SeaAccountTokens, SeaOutbox, SeaSessionRepository, SeaStorePruner, SeaUserRepository,
};
use migration::SchemaState;
use sea_orm::DatabaseConnection;

use crate::startup::application::Application;
use crate::startup::config::{Environment, Settings};
use crate::startup::config_report::redact_database_url;
use crate::startup::sea_storage::connect;
use crate::startup::telemetry;
use migration::report;

/// Where the settings come from, for `api --help` and `api serve --help`.
const SETTINGS_HELP: &str = "Settings come from environment variables and from a .env file in \
the current directory (or the nearest parent holding one); a variable set in the environment \
wins over .env. .env.example lists every variable with its default; `api check-config` \
validates them and prints the result.";

#[derive(Debug, Parser)]
#[command(
    name = "api",
    version,
    about = "Async REST API with RS256 JWT auth: users and their todos",
    after_help = SETTINGS_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    #[command(after_help = SETTINGS_HELP)]
    Serve,
    /// Apply, revert or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Write a new RSA key pair (PKCS#8 private key, SPKI public key).
    Keygen {
        /// Where the key files go: private_key.pem and public_key.pem (the
        /// service's JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH default to
        /// keys/).
        #[arg(long, default_value = "keys")]
        dir: PathBuf,
        /// Size of the RSA key: 2048, 3072 or 4096 bits.
        #[arg(long, default_value_t = 2048)]
        bits: usize,
        /// Overwrite existing key files.
        #[arg(long, conflicts_with = "rotate")]
        force: bool,
        /// Make a new active key pair and keep the old public key as a
        /// retired verification key (published in the JWKS, still accepted)
        /// until it is removed by hand. Restart the servers to use it.
        #[arg(long)]
        rotate: bool,
    },
    /// Create an administrator, or promote an existing user to one. The
    /// password comes from ADMIN_PASSWORD or is prompted for.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Defaults to the username.
        #[arg(long)]
        full_name: Option<String>,
    },
    /// Delete ended sessions with their refresh tokens, and login events
    /// older than every throttling window, once (what the server does every
    /// PRUNE_INTERVAL_SECONDS), and print how many rows went.
    Prune,
    /// Validate the configuration and print it as NAME=value lines, secrets
    /// redacted; exits non-zero listing every bad value, and every key file
    /// that is missing or unreadable (in development a missing pair is only
    /// noted: the server generates it). Connects to nothing.
    CheckConfig,
    /// Print the OpenAPI 3.1 document (JSON) to stdout. Needs no
    /// configuration, database or keys.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (all, or the next N).
    Up { n: Option<u32> },
    /// Revert the last N applied migrations (default 1).
    Down { n: Option<u32> },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again (asks for --yes).
    Fresh {
        /// Confirm that every table, and all the data, may be dropped.
        #[arg(long)]
        yes: bool,
        /// Allow it with ENVIRONMENT=production too.
        #[arg(long)]
        force_production: bool,
    },
}

/// Runs the parsed command.
///
/// # Errors
/// Configuration errors and whatever the command failed with.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    // The document depends on no setting: print it even where the
    // environment is incomplete (a build step, CI).
    if matches!(command, Command::Openapi) {
        return print_openapi();
    }
    let settings = Settings::from_env()?;
    telemetry::init(&settings.logging.level, settings.logging.json);
    match command {
        Command::Serve => Application::build(&settings)
            .await?
            .run_until_stopped()
            .await
            .context("serving"),
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::Keygen {
            dir,
            bits,
            force,
            rotate,
        } => {
            let paths = if rotate {
                auth::keys::rotate_keypair(&dir, bits).context("rotating the key pair")?
            } else {
                auth::keys::write_keypair(&dir, bits, force).map_err(keygen_error)?
            };
            println!(
                "wrote {} and {}",
                paths.private_key.display(),
                paths.public_key.display()
            );
            Ok(())
        }
        Command::CreateAdmin {
            username,
            email,
            full_name,
        } => create_admin(&settings, username, email, full_name).await,
        Command::Prune => prune(&settings).await,
        Command::CheckConfig => {
            print!("{}", crate::startup::config_report::render(&settings));
            let files = crate::startup::config_report::check_files(&settings);
            for note in &files.notes {
                eprintln!("note: {note}");
            }
            if !files.problems.is_empty() {
                bail!(
                    "the configuration names files that are not usable:\n  {}",
                    files.problems.join("\n  ")
                )
            }
            if let Some(problem) = settings.mail.start_problem(settings.environment) {
                bail!("the server would not start: {problem}");
            }
            Ok(())
        }
        Command::Openapi => print_openapi(),
    }
}

fn print_openapi() -> anyhow::Result<()> {
    println!("{}", crate::inbound::openapi::to_json(true)?);
    Ok(())
}

/// An existing key pair names both ways past it.
fn keygen_error(error: KeygenError) -> anyhow::Error {
    match error {
        KeygenError::AlreadyExists { path } => anyhow!(
            "{} already exists; nothing was written. Pass --force to overwrite the key pair \
             (tokens signed with the old key stop verifying), or --rotate to make a new active \
             key and keep the old public key as a retired one (its tokens stay valid)",
            path.display()
        ),
        other => other.into(),
    }
}

async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    if let MigrateAction::Fresh {
        yes,
        force_production,
    } = action
    {
        // Before connecting: a refused fresh touches nothing, not even a
        // missing SQLite file.
        confirm_fresh(settings, yes, force_production)?;
    }
    let db = connect(settings).await?;
    // Each change under the migration lock: a concurrent `api migrate` or a
    // starting instance with AUTO_MIGRATE waits its turn. What is reported
    // compares the state read before and after, outside the lock, so a
    // migrator running at the same moment may have done part of it.
    match action {
        MigrateAction::Up { n } => {
            let before = schema_state(&db).await?;
            migration::up_locked(&db, n)
                .await
                .context("applying migrations")?;
            print!(
                "{}",
                report::applied_between(&before, &schema_state(&db).await?)
            );
        }
        MigrateAction::Down { n } => {
            let before = schema_state(&db).await?;
            migration::down_locked(&db, Some(n.unwrap_or(1)))
                .await
                .context("reverting migrations")?;
            print!(
                "{}",
                report::reverted_between(&before, &schema_state(&db).await?)
            );
        }
        // Read-only (and without the lock): it creates no table.
        MigrateAction::Status => print!("{}", report::status(&schema_state(&db).await?)),
        MigrateAction::Fresh { .. } => {
            migration::fresh_locked(&db)
                .await
                .context("dropping every table and migrating again")?;
            println!("dropped every table");
            print!(
                "{}",
                report::applied_between(&report::every_pending(), &schema_state(&db).await?)
            );
        }
    }
    Ok(())
}

fn confirm_fresh(settings: &Settings, yes: bool, force_production: bool) -> anyhow::Result<()> {
    let database = redact_database_url(&settings.database.url);
    if !yes {
        bail!(
            "`migrate fresh` drops every table of {database} (all users, todos and sessions) \
             and applies every migration again; nothing was done. Run `api migrate fresh --yes` \
             to confirm"
        );
    }
    if settings.environment == Environment::Production && !force_production {
        bail!(
            "ENVIRONMENT is production: refusing `migrate fresh` even with --yes (it drops every \
             table of {database}); nothing was done. Add --force-production if this really is \
             the database to wipe"
        );
    }
    Ok(())
}

async fn prune(settings: &Settings) -> anyhow::Result<()> {
    let db = connect(settings).await?;
    let state = schema_state(&db).await?;
    if !state.pending.is_empty() {
        bail!(
            "the database has {} pending migration(s); nothing was pruned. Run `api migrate up` \
             first",
            state.pending.len()
        );
    }
    let service = PruneService::new(
        Arc::new(SeaStorePruner::new(db.clone())),
        crate::startup::pruning::policy(settings),
        Arc::new(domain::time::SystemClock),
    );
    let outcome = crate::startup::pruning::pass(&service, None)
        .await
        .context("pruning")?;
    let pruned = outcome.pruned();
    println!(
        "removed {} ended sessions, {} refresh tokens, {} login attempts, {} outbox messages and {} \
         account tokens",
        pruned.sessions,
        pruned.refresh_tokens,
        pruned.login_attempts,
        pruned.outbox,
        pruned.account_tokens
    );
    if let PruneOutcome::Busy(_) = outcome {
        println!("another instance is pruning this database now: it removes the rest");
    }
    db.close().await.context("closing the database pool")?;
    Ok(())
}

async fn schema_state(db: &DatabaseConnection) -> anyhow::Result<SchemaState> {
    migration::schema_state(db)
        .await
        .context("reading the applied migrations")
}

async fn create_admin(
    settings: &Settings,
    username: String,
    email: String,
    full_name: Option<String>,
) -> anyhow::Result<()> {
    let registration = admin_registration(username, email, full_name)?;
    let db = connect(settings).await?;
    if settings.database.auto_migrate {
        migration::up_locked(&db, None)
            .await
            .context("applying migrations")?;
    }
    let hasher = BcryptHasher::new(settings.passwords.bcrypt_cost)?;
    // `create_admin` mails nothing; the ports are there for the service's
    // other use cases.
    let mail = AccountMailPorts {
        tokens: Arc::new(SeaAccountTokens::new(db.clone())),
        one_time_tokens: Arc::new(auth::RandomOneTimeTokens),
        outbox: Arc::new(SeaOutbox::new(db.clone())),
        composer: crate::startup::mailer::templates(settings)?,
        verification_lifetime: settings.mail.email_verify_lifetime(),
    };
    let service = UserService::new(
        Arc::new(SeaUserRepository::new(db.clone())),
        Arc::new(hasher),
        Arc::new(SeaSessionRepository::new(db)),
        Arc::new(NoListing),
        mail,
        Arc::new(domain::time::SystemClock),
    );
    match service.create_admin(registration).await {
        Ok((user, true)) => println!(
            "created admin {} (id {})",
            user.username.as_str(),
            user.id.0
        ),
        Ok((user, false)) => println!(
            "promoted {} (id {}) to admin",
            user.username.as_str(),
            user.id.0
        ),
        Err(CreateAdminError::Ambiguous) => {
            bail!("the username and the email belong to two different users")
        }
        Err(e) => return Err(e).context("creating the admin"),
    }
    Ok(())
}

const NO_PASSWORD: &str =
    "no password: set ADMIN_PASSWORD, or run create-admin in a terminal to be prompted";

/// The arguments and the password, every invalid one reported at once.
/// The password is prompted for only when the arguments are valid, and only
/// on a terminal (without one the prompt would fail with an obscure "No such
/// device or address").
fn admin_registration(
    username: String,
    email: String,
    full_name: Option<String>,
) -> anyhow::Result<Registration> {
    let mut problems = Vec::new();
    let full_name = full_name.unwrap_or_else(|| username.clone());
    let username = Username::parse(username)
        .map_err(|e| problems.push(format!("--username: {e}")))
        .ok();
    let email = Email::parse(email)
        .map_err(|e| problems.push(format!("--email: {e}")))
        .ok();
    let full_name = FullName::parse(full_name)
        .map_err(|e| problems.push(format!("--full-name: {e}")))
        .ok();
    let password = match std::env::var("ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => Some(("ADMIN_PASSWORD", p)),
        _ if !std::io::stdin().is_terminal() => {
            problems.push(NO_PASSWORD.to_owned());
            None
        }
        _ if problems.is_empty() => Some(("the password", prompt_password()?)),
        _ => None,
    };
    let password = password.and_then(|(source, p)| {
        Password::parse(p)
            .map_err(|e| problems.push(format!("{source}: {e}")))
            .ok()
    });
    match (username, email, full_name, password) {
        (Some(username), Some(email), Some(full_name), Some(password)) if problems.is_empty() => {
            Ok(Registration {
                username,
                email,
                full_name,
                password,
            })
        }
        _ if problems.len() == 1 => Err(anyhow!("{}", problems.remove(0))),
        _ => Err(anyhow!(
            "{} problems with create-admin:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )),
    }
}

fn prompt_password() -> anyhow::Result<String> {
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .with_context(|| format!("reading the password from the terminal ({NO_PASSWORD})"))
    };
    let first = read("Admin password: ")?;
    let second = read("Repeat it: ")?;
    if first != second {
        bail!("the passwords differ");
    }
    Ok(first)
}

/// The cursor seal of `create-admin`, which lists no users and so seals and
/// opens no cursors (and needs no signing key): every cursor is refused.
struct NoListing;

impl domain::ports::CursorSeal for NoListing {
    fn seal(&self, _: &domain::ListCursor) -> String {
        String::new()
    }

    fn open(&self, _: &str) -> Option<domain::ListCursor> {
        None
    }
}
