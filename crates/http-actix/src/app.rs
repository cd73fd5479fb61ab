//! Building and running the application: connect, migrate, load keys, wire
//! adapters into use cases, bind, serve. Tests call [`Application::build`]
//! with port 0 and talk HTTP to it.

use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, NormalizePath, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use auth::{BcryptHasher, JwtSettings, JwtTokenService};
use domain::ports::{Clock, LoginAttempts};
use domain::services::{
    AuthPolicy, AuthPorts, AuthService, SessionService, ThrottlePolicy, TodoService, UserService,
};
use domain::time::SystemClock;
use infra_sea::{
    DatabaseSettings, SeaDatabaseProbe, SeaLoginAttempts, SeaSchemaStatus, SeaSessionRepository,
    SeaTodoRepository, SeaUserRepository,
};
use sea_orm::DatabaseConnection;

use crate::client_addr::TrustedProxies;
use crate::config::{Environment, MAX_HEADER_WAIT, Settings};
use crate::db_pools::DbPools;
use crate::dto::JwksResponse;
use crate::error::ApiError;
use crate::extract::body::BodyLimit;
use crate::metrics::Metrics;
use crate::middleware::content_coding::refuse_encoded_bodies;
use crate::middleware::head::head_as_get;
use crate::middleware::{RequestTimeout, request_context};
use crate::request_id;
use crate::routes::docs::ApiDocs;
use crate::routes::metrics::MetricsRoute;
use crate::shutdown::ShutdownSignals;
use crate::state::AppState;

/// The request body limit when none is configured (64 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on its own listener (`METRICS_ADDR`), and its port.
    metrics_server: Option<(Server, u16)>,
    /// Kept to close the pools once the server has drained.
    pools: DbPools,
}

impl Application {
    /// Connects to the database, applies migrations if `AUTO_MIGRATE`, loads
    /// (in development, creates) the RSA keys and binds the listener.
    ///
    /// # Errors
    /// Any start-up failure, with context saying which step failed.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        // Keys first: a missing key is the operator's first problem to hear
        // of, before anything about the database.
        ensure_keys(settings)?;
        let tokens = load_tokens(settings)?;
        if settings.environment == Environment::Production && settings.uses_sqlite() {
            tracing::warn!(
                database_url = %settings.database_url,
                "ENVIRONMENT=production on the embedded SQLite file: one instance only, no \
                 shared sessions or throttling; set DATABASE_URL to a PostgreSQL database"
            );
        }
        let db = connect(settings).await?;
        if settings.auto_migrate {
            // Under the migration lock: instances starting at once on one
            // database take turns, and the later ones find nothing pending.
            migration::up_locked(&db, None)
                .await
                .context("applying migrations")?;
        } else {
            // Read-only: never creates the migrations table, so it cannot
            // race a migrator creating it (nor needs the DDL privilege); and
            // a newer build's migrations (a rolling deploy) are no error.
            let state = migration::schema_state(&db)
                .await
                .context("reading migration status")?;
            if !state.pending.is_empty() {
                tracing::warn!(
                    pending = state.pending.len(),
                    "database has pending migrations; run `api migrate up`"
                );
            }
            if !state.unknown.is_empty() {
                tracing::info!(
                    unknown = state.unknown.len(),
                    "database has migrations this build does not know (a newer build's)"
                );
            }
        }
        let hasher = BcryptHasher::with_nice(settings.bcrypt_cost, settings.bcrypt_nice)
            .context("setting up bcrypt")?;
        let pools = if settings.uses_sqlite() {
            DbPools::shared(db)
        } else {
            // The start-up pool has done its work: each worker opens its own.
            db.close()
                .await
                .context("closing the start-up database pool")?;
            DbPools::per_worker(database_settings(settings), settings.workers)
        };
        let metrics = if settings.metrics_enabled {
            Some(web::Data::new(
                Metrics::new(pools.clone()).context("registering the metrics")?,
            ))
        } else {
            None
        };
        let wiring = Arc::new(Wiring::new(Arc::new(tokens), Arc::new(hasher), settings)?);
        let worker_pools = pools.clone();
        let trusted = web::Data::new(TrustedProxies(settings.trusted_proxies.clone()));
        let timeout = RequestTimeout(settings.request_timeout);
        let cors_origins = settings.cors_origins.clone();
        let shutdown = ShutdownSignals::install().context("installing the signal handlers")?;

        // Swagger UI and ReDoc only with DEBUG=true; the document always.
        let docs = ApiDocs::new(crate::openapi::to_json(false)?, settings.debug);

        let listener =
            crate::listener::bind(&settings.host, settings.port, settings.listen_backlog)?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        // With METRICS_ADDR, `/metrics` is served there and the API's
        // listener does not know the route; the API still records into them.
        let metrics_server = match (&metrics, settings.metrics_addr) {
            (Some(metrics), Some(addr)) => Some(metrics_server(
                metrics.clone(),
                addr,
                settings.listen_backlog,
                settings.shutdown_timeout,
            )?),
            _ => None,
        };
        let metrics_route = if metrics_server.is_some() {
            MetricsRoute::Elsewhere
        } else {
            MetricsRoute::Here
        };
        let body_limit = settings.max_body_bytes;
        let server = HttpServer::new(move || {
            let (pools, wiring) = (worker_pools.clone(), wiring.clone());
            App::new()
                // Run on each worker as it starts, on the worker's runtime.
                .data_factory(move || {
                    let (pools, wiring) = (pools.clone(), wiring.clone());
                    async move { anyhow::Ok(wiring.state(pools.for_this_worker().await?)) }
                })
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(BodyLimit(body_limit))
                .app_data(trusted.clone())
                .app_data(timeout)
                .wrap(NormalizePath::trim())
                .wrap(Condition::new(
                    !cors_origins.is_empty(),
                    cors(&cors_origins),
                ))
                // Before anything reads the body.
                .wrap(from_fn(refuse_encoded_bodies))
                // Before routing: HEAD is routed as GET.
                .wrap(from_fn(head_as_get))
                // Outermost: every response, errors included, gets the
                // request id and the security headers here.
                .wrap(from_fn(request_context))
                .configure(routes)
                .configure(|cfg| crate::routes::docs::configure(cfg, &docs))
                .configure(|cfg| {
                    crate::routes::metrics::configure(cfg, metrics.clone(), metrics_route);
                })
                .default_service(web::to(not_found))
        })
        .listen(listener)
        .context("starting the HTTP server")?
        .workers(settings.workers)
        // Slow headers (slowloris) are cut off by actix itself with a bare
        // 408; a slow body or handler by the request-context middleware.
        .client_request_timeout(settings.request_timeout.min(MAX_HEADER_WAIT))
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        // SIGTERM and SIGINT both drain (actix alone would force-stop on SIGINT).
        .shutdown_signal(shutdown.received(settings.shutdown_timeout))
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
        Ok(Self {
            port,
            server,
            metrics_server,
            pools,
        })
    }

    /// The port actually bound (useful with `PORT=0`).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when `METRICS_ADDR` is set.
    #[must_use]
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    /// A handle to stop the server (tests stop theirs when dropped); the
    /// metrics listener stops with it.
    #[must_use]
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the process receives SIGTERM or SIGINT (or the handle
    /// stops it): then stops accepting, lets in-flight requests finish within
    /// `SHUTDOWN_TIMEOUT_SECONDS`, and closes the database pools.
    ///
    /// # Errors
    /// I/O errors of the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = match self.metrics_server {
            None => self.server.await,
            Some((metrics, _)) => {
                let handle = metrics.handle();
                let api = async {
                    let served = self.server.await;
                    handle.stop(true).await;
                    served
                };
                let (served, metrics_served) = futures_util::future::join(api, metrics).await;
                served.and(metrics_served)
            }
        };
        // Closing waits for lent-out connections; after a forced drain none
        // should remain, but it never hangs the exit (a time limit per pool).
        self.pools.close().await;
        tracing::info!("stopped");
        served
    }
}

/// `/metrics` alone on `addr`, with one worker: the API's listener does not
/// serve it then. Stops when the API's server stops (no signals of its own).
fn metrics_server(
    metrics: web::Data<Metrics>,
    addr: std::net::SocketAddr,
    backlog: u32,
    shutdown_timeout: Duration,
) -> anyhow::Result<(Server, u16)> {
    let listener = crate::listener::listen_on(addr, backlog)
        .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
    let port = listener
        .local_addr()
        .context("reading the metrics address")?
        .port();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(head_as_get))
            .wrap(from_fn(request_context))
            .configure(|cfg| {
                crate::routes::metrics::configure(cfg, Some(metrics.clone()), MetricsRoute::Here);
            })
            .default_service(web::to(not_found))
    })
    .listen(listener)
    .context("starting the metrics server")?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(shutdown_timeout.as_secs())
    .run();
    tracing::info!(%addr, port, "serving /metrics on its own listener");
    Ok((server, port))
}

/// Opens the database pool described by the settings.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    infra_sea::connect(&database_settings(settings))
        .await
        .context("connecting to the database")
}

/// The pool the settings describe: `DB_POOL_SIZE` connections at most.
fn database_settings(settings: &Settings) -> DatabaseSettings {
    DatabaseSettings {
        url: settings.database_url.clone(),
        max_connections: settings.db_pool_size,
        min_connections: 1,
        acquire_timeout: settings.db_acquire_timeout,
        statement_timeout: settings.db_statement_timeout,
        log_statements: settings.db_echo,
    }
}

/// Loads the signing key, its public key and the retired public keys.
///
/// # Errors
/// When a key cannot be read or parsed, or the token settings are refused.
pub fn load_tokens(settings: &Settings) -> anyhow::Result<JwtTokenService> {
    for (path, name) in [
        (&settings.jwt_private_key_path, "JWT_PRIVATE_KEY_PATH"),
        (&settings.jwt_public_key_path, "JWT_PUBLIC_KEY_PATH"),
    ] {
        if !path.exists() {
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let dir = shown.parent().unwrap_or(std::path::Path::new("."));
            anyhow::bail!(
                "the JWT key file {} ({name}) does not exist: create a key pair with \
                 `api keygen --dir {}`, or point {name} at the existing file",
                shown.display(),
                dir.display()
            );
        }
    }
    // A missing directory of retired keys (before any rotation) holds none.
    JwtTokenService::from_files(
        &settings.jwt_private_key_path,
        &settings.jwt_public_key_path,
        settings
            .jwt_private_key_password
            .as_ref()
            .map(|s| s.expose()),
        Some(&settings.jwt_verify_keys_dir),
        JwtSettings {
            access_token_lifetime: Duration::from_secs(settings.access_token_expire_minutes * 60),
            leeway_seconds: settings.jwt_leeway_seconds,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            verified_cache_capacity: settings.jwt_verify_cache_size,
        },
    )
    .context("loading the JWT keys")
}

/// The sessions and throttling rules the settings describe.
#[must_use]
pub fn auth_policy(settings: &Settings) -> AuthPolicy {
    AuthPolicy {
        refresh_lifetime: Duration::from_secs(settings.refresh_token_expire_days * 86_400),
        reuse_grace: Duration::from_secs(settings.refresh_reuse_grace_seconds),
        throttle: ThrottlePolicy {
            max_failures_per_account: settings.login_max_failures_per_account,
            max_failures_per_ip: settings.login_max_failures_per_ip,
            failure_window: Duration::from_secs(settings.login_failure_window_seconds),
            max_registrations_per_ip: settings.register_max_per_ip,
            registration_window: Duration::from_secs(settings.register_window_seconds),
        },
    }
}

/// What every worker's [`AppState`] is built from, besides its database
/// pool: made once, at start-up, so that a key set the JWKS cannot describe
/// stops the start rather than a worker.
struct Wiring {
    tokens: Arc<JwtTokenService>,
    hasher: Arc<BcryptHasher>,
    policy: AuthPolicy,
    retention: Duration,
    jwks: web::Bytes,
    environment: Environment,
    health_timeout: Duration,
}

impl Wiring {
    /// # Errors
    /// When the key set cannot be published (a key the JWKS cannot describe).
    fn new(
        tokens: Arc<JwtTokenService>,
        hasher: Arc<BcryptHasher>,
        settings: &Settings,
    ) -> anyhow::Result<Self> {
        // Only the public members the DTO names are ever served.
        let jwks: JwksResponse =
            serde_json::from_value(tokens.jwks()).context("reading the JSON Web Key Set")?;
        let jwks = serde_json::to_vec(&jwks).context("serializing the JSON Web Key Set")?;
        // Events must outlive the longest window that counts them.
        let policy = auth_policy(settings);
        let retention = policy
            .throttle
            .failure_window
            .max(policy.throttle.registration_window)
            .max(Duration::from_secs(24 * 3600));
        Ok(Self {
            tokens,
            hasher,
            policy,
            retention,
            jwks: web::Bytes::from(jwks),
            environment: settings.environment,
            health_timeout: settings.health_timeout,
        })
    }

    /// The use cases over the SeaORM adapters on `db`.
    fn state(&self, db: DatabaseConnection) -> AppState {
        let users = Arc::new(SeaUserRepository::new(db.clone()));
        let sessions = Arc::new(SeaSessionRepository::new(db.clone()));
        let todos = Arc::new(SeaTodoRepository::new(db.clone()));
        let attempts: Arc<dyn LoginAttempts> =
            Arc::new(SeaLoginAttempts::with_retention(db.clone(), self.retention));
        let hasher = self.hasher.clone();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let ports = AuthPorts {
            users: users.clone(),
            sessions: sessions.clone(),
            hasher: hasher.clone(),
            refresh_tokens: Arc::new(self.tokens.refresh_tokens()),
            tokens: self.tokens.clone(),
            attempts: attempts.clone(),
            clock: clock.clone(),
        };
        AppState {
            auth: AuthService::new(ports, self.policy),
            sessions: SessionService::new(
                users.clone(),
                sessions.clone(),
                hasher.clone(),
                attempts,
                self.policy.throttle,
                clock.clone(),
            ),
            users: UserService::new(users, hasher, sessions.clone(), clock.clone()),
            todos: TodoService::new(todos, sessions, clock),
            probe: Arc::new(SeaDatabaseProbe::new(db.clone())),
            schema: Arc::new(SeaSchemaStatus::new(db)),
            environment: self.environment,
            health_timeout: self.health_timeout,
            jwks: self.jwks.clone(),
        }
    }
}

/// Cross-origin access for the configured origins only: each is answered
/// with itself in `Access-Control-Allow-Origin`; any other origin gets no
/// CORS header at all (never reflected, never `*`). Bearer tokens travel in
/// a header, not in cookies, so credentials are never allowed.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static(request_id::HEADER),
        ])
        .expose_headers([
            header::HeaderName::from_static(request_id::HEADER),
            header::HeaderName::from_static(crate::middleware::PROCESS_TIME_HEADER),
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
        ])
        .max_age(600)
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
    let dir_shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    tracing::warn!(dir = %dir_shown.display(), "no JWT keys found: generating a development key pair (never do this in production)");
    auth::keys::write_keypair(dir, 2048, false).context("generating development JWT keys")?;
    Ok(())
}

/// Every route of the API, as [`crate::routes::endpoints`] lists and
/// documents them (the OpenAPI document is built from the same list).
pub fn routes(cfg: &mut web::ServiceConfig) {
    crate::routes::register(cfg, &crate::routes::endpoints());
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("Not found"))
}
