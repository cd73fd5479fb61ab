//! Building and running the application: load keys, open the storage, wire
//! adapters into use cases, bind, serve. Tests call [`Application::build`]
//! (or [`Application::build_with`] and storage of their own) with port 0 and
//! talk HTTP to it.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use anyhow::Context;
use auth::{BcryptHasher, JwtTokenService};
use auth::{RandomOneTimeTokens, RandomPersonalTokens};
use domain::ports::{Clock, CursorSeal, MailComposer, Repositories};
use domain::services::{
    AccountMailPorts, AuthPolicy, AuthPorts, AuthService, PasswordTokenRevocation,
    PersonalTokenPolicy, PersonalTokenService, RecoveryPolicy, RecoveryPorts, RecoveryService,
    SessionPorts, SessionService, TodoService, UserService,
};
use domain::time::SystemClock;

use crate::inbound;
use crate::inbound::app::ApiConfig;
use crate::inbound::client_addr::TrustedProxies;
use crate::inbound::dto::JwksResponse;
use crate::inbound::metrics::{Metrics, PoolStatsSource};
use crate::inbound::middleware::RequestTimeout;
use crate::inbound::routes::docs::ApiDocs;
use crate::inbound::routes::metrics::MetricsRoute;
use crate::inbound::state::AppState;
use crate::startup::config::{Environment, MAX_HEADER_WAIT, Settings};
use crate::startup::mail_worker::MailWorker;
use crate::startup::pruning::Housekeeping;
use crate::startup::shutdown::ShutdownSignals;
use crate::startup::storage::{Adapters, Storage};

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on its own listener (`METRICS_ADDR`), and its port.
    metrics_server: Option<(Server, u16)>,
    /// Kept to close it once the server has drained.
    storage: Arc<dyn Storage>,
    /// The background pruning, started with the server (`None` with
    /// `PRUNE_INTERVAL_SECONDS=0`).
    housekeeping: Option<Housekeeping>,
    /// The outbox worker, started with the server.
    mail_worker: MailWorker,
    shutdown_timeout: Duration,
}

impl Application {
    /// Loads (in development, creates) the RSA keys, connects to the
    /// database the settings name, applies migrations if `AUTO_MIGRATE`,
    /// makes the mailer the settings name, and builds the application over
    /// them ([`Self::build_with`]) with the system clock.
    ///
    /// # Errors
    /// Any start-up failure, with context saying which step failed.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        // Keys first: a missing key is the operator's first problem to hear
        // of, before anything about the database.
        let tokens = keys(settings)?;
        if let Some(problem) = settings.mail.start_problem(settings.environment) {
            anyhow::bail!("{problem}");
        }
        let mailer = crate::startup::mailer::from_settings(settings)?;
        let storage = crate::startup::sea_storage::open(settings).await?;
        Self::assemble(
            settings,
            tokens,
            Adapters {
                storage,
                clock: Arc::new(SystemClock),
                mailer,
            },
        )
    }

    /// Loads (in development, creates) the RSA keys and binds the listener,
    /// serving over `adapters`: everything [`Self::build`] does but opening
    /// the database.
    ///
    /// # Errors
    /// Any start-up failure, with context saying which step failed.
    pub async fn build_with(settings: &Settings, adapters: Adapters) -> anyhow::Result<Self> {
        let tokens = keys(settings)?;
        Self::assemble(settings, tokens, adapters)
    }

    /// Everything after the keys and the storage: the hasher, the metrics,
    /// the servers and the signal handlers.
    fn assemble(
        settings: &Settings,
        tokens: JwtTokenService,
        adapters: Adapters,
    ) -> anyhow::Result<Self> {
        let Adapters {
            storage,
            clock,
            mailer,
        } = adapters;
        let hasher = BcryptHasher::with_nice(
            settings.passwords.bcrypt_cost,
            settings.passwords.bcrypt_nice,
        )
        .context("setting up bcrypt")?;
        let metrics = if settings.metrics.enabled {
            Some(web::Data::new(
                Metrics::new(pool_stats(&storage)).context("registering the metrics")?,
            ))
        } else {
            None
        };
        let housekeeping = settings
            .database
            .prune_interval
            .map(|interval| Housekeeping {
                interval,
                policy: crate::startup::pruning::policy(settings),
                storage: storage.clone(),
                clock: clock.clone(),
                metrics: metrics.as_ref().map(|m| m.get_ref().clone()),
            });
        let mail_worker = MailWorker {
            storage: storage.clone(),
            mailer,
            clock: clock.clone(),
            policy: settings.mail.relay_policy(),
            metrics: metrics.as_ref().map(|m| m.get_ref().clone()),
        };
        let wiring = Arc::new(Wiring::new(
            Arc::new(tokens.with_clock(clock.clone())),
            Arc::new(hasher),
            crate::startup::mailer::templates(settings)?,
            clock,
            settings,
        )?);
        let shutdown = ShutdownSignals::install().context("installing the signal handlers")?;

        // Swagger UI and ReDoc only with DEBUG=true; the document always.
        let docs = ApiDocs::new(
            crate::inbound::openapi::to_json(false)?,
            settings.server.debug,
        );

        let listener = crate::startup::listener::bind(
            &settings.server.host,
            settings.server.port,
            settings.server.listen_backlog,
        )?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        // With METRICS_ADDR, `/metrics` is served there and the API's
        // listener does not know the route; the API still records into them.
        let metrics_server = match (&metrics, settings.metrics.addr) {
            (Some(metrics), Some(addr)) => Some(metrics_server(
                metrics.clone(),
                addr,
                settings.server.listen_backlog,
                settings.server.shutdown_timeout,
            )?),
            _ => None,
        };
        let metrics_route = if metrics_server.is_some() {
            MetricsRoute::Elsewhere
        } else {
            MetricsRoute::Here
        };
        let api = ApiConfig {
            body_limit: settings.server.max_body_bytes,
            trusted: web::Data::new(TrustedProxies(settings.server.trusted_proxies.clone())),
            timeout: RequestTimeout(settings.server.request_timeout),
            cors_origins: settings.server.cors_origins.clone(),
            docs,
            metrics,
            metrics_route,
        };
        let worker_storage = storage.clone();
        let server =
            HttpServer::new(move || {
                let (storage, wiring) = (worker_storage.clone(), wiring.clone());
                // Run on each worker as it starts, on the worker's runtime.
                inbound::app::api(api.clone(), move || {
                    let (storage, wiring) = (storage.clone(), wiring.clone());
                    async move {
                        anyhow::Ok(wiring.state(storage.repositories_for_this_worker().await?))
                    }
                })
            })
            .listen(listener)
            .context("starting the HTTP server")?
            .workers(settings.server.workers)
            // Slow headers (slowloris) are cut off by actix itself with a bare
            // 408; a slow body or handler by the request-context middleware.
            .client_request_timeout(settings.server.request_timeout.min(MAX_HEADER_WAIT))
            .shutdown_timeout(settings.server.shutdown_timeout.as_secs())
            // SIGTERM and SIGINT both drain (actix alone would force-stop on SIGINT).
            .shutdown_signal(shutdown.received(settings.server.shutdown_timeout))
            .run();
        tracing::info!(
            port,
            environment = settings.environment.as_str(),
            database = storage.kind(),
            "listening"
        );
        Ok(Self {
            port,
            server,
            metrics_server,
            storage,
            housekeeping,
            mail_worker,
            shutdown_timeout: settings.server.shutdown_timeout,
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
    /// `SHUTDOWN_TIMEOUT_SECONDS`, and closes the database pools. Runs the
    /// background pruning ([`crate::startup::pruning`]) and the outbox worker
    /// ([`crate::startup::mail_worker`]) meanwhile; the worker finishes the
    /// message in flight before the pools close.
    ///
    /// # Errors
    /// I/O errors of the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let housekeeping = self.housekeeping.map(|h| tokio::spawn(h.run()));
        let mail_worker = self.mail_worker.spawn();
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
        if let Some(task) = housekeeping {
            // A pass cut short rolls its batch back; the next start redoes it.
            task.abort();
        }
        mail_worker.stop(self.shutdown_timeout).await;
        // Closing waits for lent-out connections; after a forced drain none
        // should remain, but it never hangs the exit (a time limit per pool).
        self.storage.close().await;
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
    let listener = crate::startup::listener::listen_on(addr, backlog)
        .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
    let port = listener
        .local_addr()
        .context("reading the metrics address")?
        .port();
    let server = HttpServer::new(move || inbound::app::metrics(metrics.clone()))
        .listen(listener)
        .context("starting the metrics server")?
        .workers(1)
        .disable_signals()
        .shutdown_timeout(shutdown_timeout.as_secs())
        .run();
    tracing::info!(%addr, port, "serving /metrics on its own listener");
    Ok((server, port))
}

/// Checks (outside production, creates) the key pair and loads it.
fn keys(settings: &Settings) -> anyhow::Result<JwtTokenService> {
    ensure_keys(settings)?;
    load_tokens(settings)
}

/// Loads the signing key, its public key and the retired public keys.
///
/// # Errors
/// When a key cannot be read or parsed, or the token settings are refused.
pub fn load_tokens(settings: &Settings) -> anyhow::Result<JwtTokenService> {
    for (path, name) in [
        (&settings.tokens.private_key_path, "JWT_PRIVATE_KEY_PATH"),
        (&settings.tokens.public_key_path, "JWT_PUBLIC_KEY_PATH"),
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
        &settings.tokens.private_key_path,
        &settings.tokens.public_key_path,
        settings
            .tokens
            .private_key_password
            .as_ref()
            .map(|s| s.expose()),
        Some(&settings.tokens.verify_keys_dir),
        settings.tokens.jwt_settings(),
    )
    .context("loading the JWT keys")
}

/// The sessions and throttling rules the settings describe.
#[must_use]
pub fn auth_policy(settings: &Settings) -> AuthPolicy {
    AuthPolicy {
        refresh_lifetime: settings.tokens.refresh_lifetime(),
        reuse_grace: settings.tokens.reuse_grace(),
        throttle: settings.throttling.policy(),
        require_verified_email: settings.mail.require_verified_email,
    }
}

/// What every worker's [`AppState`] is built from, besides its
/// repositories: made once, at start-up, so that a key set the JWKS cannot
/// describe stops the start rather than a worker.
struct Wiring {
    tokens: Arc<JwtTokenService>,
    hasher: Arc<BcryptHasher>,
    composer: Arc<dyn MailComposer>,
    clock: Arc<dyn Clock>,
    policy: AuthPolicy,
    recovery: RecoveryPolicy,
    personal_tokens: PersonalTokenPolicy,
    verification_lifetime: Duration,
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
        composer: Arc<dyn MailComposer>,
        clock: Arc<dyn Clock>,
        settings: &Settings,
    ) -> anyhow::Result<Self> {
        // Only the public members the DTO names are ever served.
        let jwks: JwksResponse =
            serde_json::from_value(tokens.jwks()).context("reading the JSON Web Key Set")?;
        let jwks = serde_json::to_vec(&jwks).context("serializing the JSON Web Key Set")?;
        Ok(Self {
            tokens,
            hasher,
            composer,
            clock,
            policy: auth_policy(settings),
            recovery: settings.throttling.recovery_policy(&settings.mail),
            personal_tokens: settings.tokens.personal_token_policy(),
            verification_lifetime: settings.mail.email_verify_lifetime(),
            jwks: web::Bytes::from(jwks),
            environment: settings.environment,
            health_timeout: settings.database.health_timeout,
        })
    }

    /// The use cases over one worker's repositories.
    fn state(&self, repositories: Repositories) -> AppState {
        let Repositories {
            users,
            sessions,
            todos,
            attempts,
            probe,
            schema,
            // The background task prunes, over a pool of its own.
            pruner: _,
            account_tokens,
            outbox,
            personal_tokens,
            // No use case reads the second factor yet.
            second_factors: _,
        } = repositories;
        let hasher = self.hasher.clone();
        let clock = self.clock.clone();
        let cursors: Arc<dyn CursorSeal> = Arc::new(self.tokens.cursor_seal());
        let mail = AccountMailPorts {
            tokens: account_tokens,
            one_time_tokens: Arc::new(RandomOneTimeTokens),
            outbox,
            composer: self.composer.clone(),
            verification_lifetime: self.verification_lifetime,
        };
        let ports = AuthPorts {
            users: users.clone(),
            sessions: sessions.clone(),
            hasher: hasher.clone(),
            refresh_tokens: Arc::new(self.tokens.refresh_tokens()),
            tokens: self.tokens.clone(),
            attempts: attempts.clone(),
            mail: mail.clone(),
            clock: clock.clone(),
        };
        let token_revocation = PasswordTokenRevocation {
            tokens: personal_tokens.clone(),
            enabled: self.personal_tokens.revoke_on_password_change,
        };
        AppState {
            auth: AuthService::new(ports, self.policy),
            sessions: SessionService::new(
                SessionPorts {
                    users: users.clone(),
                    sessions: sessions.clone(),
                    hasher: hasher.clone(),
                    attempts: attempts.clone(),
                    mail: mail.clone(),
                    token_revocation: token_revocation.clone(),
                    clock: clock.clone(),
                },
                self.policy.throttle,
            ),
            recovery: RecoveryService::new(
                RecoveryPorts {
                    users: users.clone(),
                    hasher: hasher.clone(),
                    attempts,
                    mail: mail.clone(),
                    token_revocation,
                    clock: clock.clone(),
                },
                self.recovery,
            ),
            users: UserService::new(
                users,
                hasher,
                sessions.clone(),
                cursors.clone(),
                mail,
                clock.clone(),
            ),
            todos: TodoService::new(
                todos,
                sessions,
                personal_tokens.clone(),
                cursors,
                clock.clone(),
            ),
            personal_tokens: PersonalTokenService::new(
                personal_tokens,
                Arc::new(RandomPersonalTokens),
                clock.clone(),
                self.personal_tokens,
            ),
            probe,
            schema,
            clock,
            environment: self.environment,
            health_timeout: self.health_timeout,
            jwks: self.jwks.clone(),
        }
    }
}

/// Outside production, a fresh clone has no keys: make a pair, loudly.
fn ensure_keys(settings: &Settings) -> anyhow::Result<()> {
    let private = &settings.tokens.private_key_path;
    let public = &settings.tokens.public_key_path;
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

/// The storage's pool numbers, for the metrics.
fn pool_stats(storage: &Arc<dyn Storage>) -> PoolStatsSource {
    let storage = storage.clone();
    Arc::new(move || storage.pool_stats())
}
