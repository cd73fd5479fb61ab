//! Building and running the application: connect, migrate, load keys, wire
//! adapters into use cases, bind, serve. Tests call [`Application::build`]
//! with port 0 and talk HTTP to it.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, NormalizePath, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use auth::{BcryptHasher, JwtSettings, JwtTokenService};
use domain::services::{AuthService, TodoService, UserService};
use infra_sea::{DatabaseSettings, SeaDatabaseProbe, SeaTodoRepository, SeaUserRepository};
use migration::MigratorTrait;
use sea_orm::DatabaseConnection;

use crate::config::{Environment, Settings};
use crate::error::ApiError;
use crate::extract::body::BodyLimit;
use crate::middleware::request_context;
use crate::routes::{auth as auth_routes, health, todos, users};
use crate::state::AppState;

/// The request body limit when none is configured (64 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects to the database, applies migrations if `AUTO_MIGRATE`, loads
    /// (in development, creates) the RSA keys and binds the listener.
    ///
    /// # Errors
    /// Any start-up failure, with context saying which step failed.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = connect(settings).await?;
        if settings.auto_migrate {
            migration::Migrator::up(&db, None)
                .await
                .context("applying migrations")?;
        } else {
            let pending = migration::Migrator::get_pending_migrations(&db)
                .await
                .context("reading migration status")?;
            if !pending.is_empty() {
                tracing::warn!(
                    pending = pending.len(),
                    "database has pending migrations; run `api migrate up`"
                );
            }
        }
        ensure_keys(settings)?;
        let tokens = JwtTokenService::from_files(
            &settings.jwt_private_key_path,
            &settings.jwt_public_key_path,
            settings
                .jwt_private_key_password
                .as_ref()
                .map(|s| s.expose()),
            JwtSettings {
                access_token_lifetime: std::time::Duration::from_secs(
                    settings.access_token_expire_minutes * 60,
                ),
                leeway_seconds: settings.jwt_leeway_seconds,
            },
        )
        .context("loading the JWT keys")?;
        let hasher = BcryptHasher::new(settings.bcrypt_cost).context("setting up bcrypt")?;
        let state = wire(db, Arc::new(tokens), Arc::new(hasher), settings);

        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let body_limit = settings.max_body_bytes;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(BodyLimit(body_limit))
                .wrap(NormalizePath::trim())
                .wrap(from_fn(request_context))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY")),
                )
                .configure(routes)
                .default_service(web::to(not_found))
        })
        .listen(listener)
        .context("starting the HTTP server")?
        .workers(settings.workers)
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .run();
        tracing::info!(
            port,
            environment = settings.environment.as_str(),
            database = if settings.uses_sqlite() {
                "sqlite"
            } else {
                "postgres"
            },
            "listening"
        );
        Ok(Self { port, server })
    }

    /// The port actually bound (useful with `PORT=0`).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server (tests stop theirs when dropped).
    #[must_use]
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the process receives SIGINT/SIGTERM (then drains).
    ///
    /// # Errors
    /// I/O errors of the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the database pool described by the settings.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    infra_sea::connect(&DatabaseSettings {
        url: settings.database_url.clone(),
        max_connections: settings.db_pool_size,
        min_connections: 1,
        acquire_timeout: settings.db_acquire_timeout,
        log_statements: settings.db_echo,
    })
    .await
    .context("connecting to the database")
}

/// Builds the use cases over the SeaORM adapters.
fn wire(
    db: DatabaseConnection,
    tokens: Arc<JwtTokenService>,
    hasher: Arc<BcryptHasher>,
    settings: &Settings,
) -> AppState {
    let users = Arc::new(SeaUserRepository::new(db.clone()));
    let todos = Arc::new(SeaTodoRepository::new(db.clone()));
    AppState {
        auth: AuthService::new(users.clone(), hasher.clone(), tokens),
        users: UserService::new(users, hasher),
        todos: TodoService::new(todos),
        probe: Arc::new(SeaDatabaseProbe::new(db)),
        environment: settings.environment,
        health_timeout: settings.health_timeout,
    }
}

/// Outside production, a fresh clone has no keys: make a pair, loudly.
fn ensure_keys(settings: &Settings) -> anyhow::Result<()> {
    let private = &settings.jwt_private_key_path;
    let public = &settings.jwt_public_key_path;
    if private.exists() || public.exists() || settings.environment == Environment::Production {
        return Ok(());
    }
    let dir = private
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if public.parent() != private.parent()
        || private.file_name() != Some("private_key.pem".as_ref())
        || public.file_name() != Some("public_key.pem".as_ref())
    {
        anyhow::bail!(
            "JWT keys {} and {} do not exist; create them with `api keygen`",
            private.display(),
            public.display()
        );
    }
    tracing::warn!(dir = %dir.display(), "no JWT keys found: generating a development key pair (never do this in production)");
    auth::keys::write_keypair(dir, 2048, false).context("generating development JWT keys")?;
    Ok(())
}

/// Every route of the API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(web::resource("/health").route(web::get().to(health::health)))
            .service(web::resource("/auth/register").route(web::post().to(auth_routes::register)))
            .service(web::resource("/auth/login").route(web::post().to(auth_routes::login)))
            .service(web::resource("/auth/me").route(web::get().to(auth_routes::me)))
            .service(
                web::resource("/users")
                    .route(web::get().to(users::list))
                    .route(web::post().to(users::create)),
            )
            .service(
                web::resource("/users/{id}")
                    .route(web::get().to(users::get))
                    .route(web::patch().to(users::update))
                    .route(web::delete().to(users::delete)),
            )
            .service(
                web::resource("/todos")
                    .route(web::get().to(todos::list))
                    .route(web::post().to(todos::create)),
            )
            .service(
                web::resource("/todos/{id}")
                    .route(web::get().to(todos::get))
                    .route(web::patch().to(todos::update))
                    .route(web::delete().to(todos::delete)),
            ),
    );
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("Not found"))
}
