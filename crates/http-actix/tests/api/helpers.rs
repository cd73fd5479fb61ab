//! The test application: a real server on a random port over a fresh store
//! of the backend `TEST_BACKEND` names (see [`Store`]), on a [`ManualClock`]
//! the test moves ([`TestApp::clock`]) instead of sleeping.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use domain::ports::{Clock, PruneOutcome, Pruned, Repositories, UserRepository};
use domain::services::PruneService;
use domain::time::{ManualClock, SystemClock};
use domain::{UserChanges, UserId, UserPatch};
use http_actix::{Adapters, Application, PoolStats, Settings, Storage};
use infra_memory::{MemoryMailer, MemoryStore};
use infra_sea::testing::TestDatabase;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// One key pair per test process: RSA generation is not free.
fn test_keys() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static KEYS: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir for keys");
        let paths = auth::keys::write_keypair(dir.path(), 2048, false).expect("test keys");
        (dir, paths.private_key, paths.public_key)
    })
}

pub fn public_key_pem() -> Vec<u8> {
    std::fs::read(&test_keys().2).unwrap()
}

pub fn private_key_pem() -> Vec<u8> {
    std::fs::read(&test_keys().1).unwrap()
}

pub const PASSWORD: &str = "correct-horse-battery";

/// Which adapters a test application runs on, from `TEST_BACKEND`:
///
/// - `memory`: the in-memory adapters of `infra-memory`, handed to
///   [`Application::build_with`]; no database is opened at all;
/// - `sqlite`: a fresh SQLite database per test, opened by the `api`'s own
///   start-up (`startup::sea_storage::open`, as [`Application::build`]
///   does) and handed to [`Application::build_with`] with the test's clock;
/// - `postgres`: a fresh PostgreSQL database per test (`TEST_DATABASE_URL`,
///   or a container), likewise;
/// - unset: PostgreSQL when `TEST_DATABASE_URL` names one, else SQLite.
///
/// `TEST_BACKEND` wins over `TEST_DATABASE_URL`. Every test of this suite
/// runs unchanged on each of them.
#[derive(Clone)]
pub enum Store {
    Database(Arc<TestDatabase>),
    Memory(MemoryStore),
}

/// What a test application tells the time by.
#[derive(Clone)]
enum AppClock {
    /// The system's time when the application started (truncated to
    /// microseconds, as the domain keeps times), standing still until the
    /// test moves it: the clock of every test but a few.
    Manual(Arc<ManualClock>),
    /// The system clock, for the tests of real concurrency
    /// ([`TestApp::spawn_on_the_system_clock`]).
    System,
}

impl AppClock {
    fn manual() -> Self {
        Self::Manual(Arc::new(ManualClock::starting_now()))
    }

    fn port(&self) -> Arc<dyn Clock> {
        match self {
            Self::Manual(clock) => clock.clone(),
            Self::System => Arc::new(SystemClock),
        }
    }
}

impl Store {
    /// A fresh, empty store of the chosen backend; a memory store answers
    /// its "database time" from `clock`.
    async fn fresh(clock: &AppClock) -> Self {
        match std::env::var("TEST_BACKEND").ok().as_deref() {
            Some("memory") => Self::Memory(MemoryStore::new(clock.port())),
            Some("sqlite") => Self::Database(Arc::new(
                TestDatabase::sqlite()
                    .await
                    .expect("an SQLite test database"),
            )),
            Some("postgres") => Self::Database(Arc::new(
                TestDatabase::postgres()
                    .await
                    .expect("a PostgreSQL test database (set TEST_DATABASE_URL)"),
            )),
            None | Some("") => Self::database().await,
            Some(other) => panic!("TEST_BACKEND={other}: expected memory, sqlite or postgres"),
        }
    }

    /// A fresh database, as `TEST_DATABASE_URL` chooses (for the tests of
    /// what only a database has: migrations, pools).
    pub async fn database() -> Self {
        Self::Database(Arc::new(TestDatabase::new().await.expect("test database")))
    }

    /// The nine storage ports over this store, for reading and arranging
    /// state behind the API's back.
    pub fn repositories(&self) -> Repositories {
        match self {
            Self::Memory(store) => store.repositories(),
            Self::Database(db) => db.repositories(),
        }
    }

    /// The store's schema loses its newest migration: the readiness check
    /// then reports one pending (on the memory store, it is told so).
    pub async fn roll_back_last_migration(&self) {
        match self {
            Self::Memory(store) => store.set_pending_migrations(1),
            Self::Database(db) => {
                use migration::MigratorTrait;
                migration::Migrator::down(db.connection(), Some(1))
                    .await
                    .unwrap();
            }
        }
    }

    /// The database, for a test that needs one.
    #[allow(dead_code)] // tests/database.rs
    pub fn database_handle(&self) -> &Arc<TestDatabase> {
        match self {
            Self::Database(db) => db,
            Self::Memory(_) => panic!("this test needs a database, not TEST_BACKEND=memory"),
        }
    }
}

/// Repositories made beforehand (the memory store's, perhaps with a mock
/// among them) as the composition root's [`Storage`]: every worker shares
/// them; there is no pool.
struct FixedStorage(Repositories);

#[async_trait]
impl Storage for FixedStorage {
    async fn repositories_for_this_worker(&self) -> anyhow::Result<Repositories> {
        Ok(self.0.clone())
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }

    async fn close(&self) {}

    fn kind(&self) -> &'static str {
        "memory"
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// Shared with the other instances started on it ([`TestApp::spawn_beside`]).
    pub store: Store,
    /// See [`TestApp::clock`]. Shared with the instances started beside
    /// this one.
    clock: AppClock,
    /// What the application's outbox worker delivered (unless `SMTP_URL` is
    /// among the settings: then mail goes to that SMTP server). Each
    /// instance has its own.
    pub mail: MemoryMailer,
    server: actix_web::dev::ServerHandle,
    /// A pruning pass over the store, on the application's clock and with
    /// its policy: run before every request the helpers below send (unless
    /// `TEST_PRUNE=0`), so that every test of this suite also shows that
    /// pruning changes no answer; [`TestApp::prune`] runs one by hand.
    pruning: PruneService,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the database is dropped after this.
        drop(self.server.stop(false));
    }
}

/// Whether the helpers prune before each request (`TEST_PRUNE`, default on).
fn prune_before_requests() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("TEST_PRUNE").map_or(true, |v| v != "0"))
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the app with extra settings (name, value) over the defaults.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        let clock = AppClock::manual();
        Self::start(Store::fresh(&clock).await, clock, overrides).await
    }

    /// As [`Self::spawn_with`], but on the system clock, which moves by
    /// itself: for the races of many requests at once, where the clock must
    /// move between the attempts of a use case as a real one does (a todo's
    /// `updated_at` only ever increases: on a clock standing still, ten
    /// concurrent PATCHes of one todo contend for each next microsecond and
    /// some run out of attempts). [`Self::clock`] panics on it.
    pub async fn spawn_on_the_system_clock(overrides: &[(&str, &str)]) -> Self {
        let clock = AppClock::System;
        Self::start(Store::fresh(&clock).await, clock, overrides).await
    }

    /// The application's clock, on every backend (the SQL adapters take
    /// "now" from the use cases, never from the database): time passes for
    /// the application only when the test moves it (`app.clock().advance(..)`).
    ///
    /// # Panics
    /// For an application on the system clock.
    pub fn clock(&self) -> &ManualClock {
        match &self.clock {
            AppClock::Manual(clock) => clock,
            AppClock::System => panic!("this test application runs on the system clock"),
        }
    }

    /// The application over exactly these repositories, whatever
    /// `TEST_BACKEND` says: e.g. a memory store's with one port replaced by
    /// a mock that fails the way a test needs. `store` is what the helpers
    /// read and arrange state through.
    pub async fn spawn_over(store: MemoryStore, repositories: Repositories) -> Self {
        let storage: Arc<dyn Storage> = Arc::new(FixedStorage(repositories));
        Self::start_with(Store::Memory(store), AppClock::manual(), &[], Some(storage)).await
    }

    /// A second instance of the application on this one's store (as two
    /// replicas behind a load balancer), with its own settings, on the same
    /// clock.
    pub async fn spawn_beside(&self, overrides: &[(&str, &str)]) -> Self {
        Self::start(self.store.clone(), self.clock.clone(), overrides).await
    }

    /// An instance of the application on `store` (e.g. a
    /// [`TestDatabase::unmigrated`] one, with `AUTO_MIGRATE=true`).
    #[allow(dead_code)] // tests/database.rs
    pub async fn spawn_on(store: Store, overrides: &[(&str, &str)]) -> Self {
        Self::start(store, AppClock::manual(), overrides).await
    }

    /// `count` instances of the application on `store`, started at once,
    /// on one clock (as replicas on one host are): a token one issues is
    /// not "issued in the future" for another.
    #[allow(dead_code)] // tests/database.rs
    pub async fn spawn_many_on(
        store: Store,
        count: usize,
        overrides: &[(&str, &str)],
    ) -> Vec<Self> {
        let clock = AppClock::manual();
        futures_util::future::join_all(
            (0..count).map(|_| Self::start(store.clone(), clock.clone(), overrides)),
        )
        .await
    }

    async fn start(store: Store, clock: AppClock, overrides: &[(&str, &str)]) -> Self {
        let storage = match &store {
            Store::Database(_) => None,
            Store::Memory(memory) => {
                Some(Arc::new(FixedStorage(memory.repositories())) as Arc<dyn Storage>)
            }
        };
        Self::start_with(store, clock, overrides, storage).await
    }

    /// `storage`: `None` for the api's own storage on the store's database
    /// (connected, checked and migrated as [`Application::build`] does).
    /// Either way the application runs on `clock`.
    async fn start_with(
        store: Store,
        clock: AppClock,
        overrides: &[(&str, &str)],
        storage: Option<Arc<dyn Storage>>,
    ) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            http_actix::telemetry::init("debug", false);
        }
        let (_, private, public) = test_keys();
        let mut env: HashMap<String, String> = [
            ("ENVIRONMENT", "test"),
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("BCRYPT_COST", "4"),
            ("AUTO_MIGRATE", "false"),
            ("WORKERS", "1"),
            ("DB_POOL_SIZE", "3"),
            ("SHUTDOWN_TIMEOUT_SECONDS", "1"),
            // Every test logs in from 127.0.0.1, many times: throttling is
            // tested where a test lowers these.
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "10000"),
            ("LOGIN_MAX_FAILURES_PER_IP", "10000"),
            ("REGISTER_MAX_PER_IP", "10000"),
            ("RECOVERY_MAX_PER_IP", "10000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let database_url = match &store {
            Store::Database(db) => db.url().to_owned(),
            // Nothing may connect: a port nothing listens on says so loudly.
            Store::Memory(_) => "postgres://postgres@127.0.0.1:9/nothing-listens-here".to_owned(),
        };
        env.insert("DATABASE_URL".into(), database_url);
        env.insert("JWT_PRIVATE_KEY_PATH".into(), private.display().to_string());
        env.insert("JWT_PUBLIC_KEY_PATH".into(), public.display().to_string());
        for (k, v) in overrides {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("test settings");
        let storage = match storage {
            Some(storage) => storage,
            // The api's own storage: connect, check (or migrate) the schema,
            // SeaORM; `Application::build` but for the system clock.
            None => http_actix::startup::sea_storage::open(&settings)
                .await
                .expect("the database opens"),
        };
        let pruning = PruneService::new(
            store.repositories().pruner,
            http_actix::startup::pruning::policy(&settings),
            clock.port(),
        );
        let mail = MemoryMailer::new();
        let mailer: Arc<dyn domain::ports::Mailer> =
            if overrides.iter().any(|(k, _)| *k == "SMTP_URL") {
                // The real adapter, as `Application::build` makes it.
                http_actix::startup::mailer::from_settings(&settings).expect("the SMTP mailer")
            } else {
                Arc::new(mail.clone())
            };
        let adapters = Adapters {
            storage,
            clock: clock.port(),
            mailer,
        };
        let app = Application::build_with(&settings, adapters)
            .await
            .expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let server = app.handle();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            address,
            client,
            store,
            clock,
            mail,
            server,
            pruning,
        }
    }

    /// The `count`-th message delivered to `address` (1-based) whose
    /// subject contains `subject`, waiting up to 10 s for the outbox worker
    /// to deliver it (it polls every 500 ms).
    pub async fn wait_for_mail(
        &self,
        address: &str,
        subject: &str,
        count: usize,
    ) -> domain::MailMessage {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let sent: Vec<domain::MailMessage> = self
                .mail
                .sent_to(address)
                .into_iter()
                .filter(|m| m.subject.contains(subject))
                .collect();
            if sent.len() >= count {
                return sent[count - 1].clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {count} to {address} about {subject:?} never came; delivered: {:?}",
                self.mail.sent()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// One pruning pass over the store, now (on the application's clock):
    /// what it deleted. Panics if the store fails.
    pub async fn prune(&self) -> Pruned {
        match self.pruning.run_once().await.expect("a pruning pass") {
            PruneOutcome::Done(pruned) => pruned,
            busy @ PruneOutcome::Busy(_) => panic!("nothing else prunes a test store: {busy:?}"),
        }
    }

    /// The pass the helpers run before each request. Its outcome is not
    /// the test's business: a test of an outage makes it fail, and on a
    /// store several instances share another pass may be at work (`Busy`).
    async fn prune_first(&self) {
        if prune_before_requests() {
            let _ = self.pruning.run_once().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.prune_first().await;
        self.request(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.prune_first().await;
        self.request(Method::DELETE, path, token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.prune_first().await;
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.prune_first().await;
        self.request(Method::PATCH, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Registers `name` (email `name@example.com`) and returns the user body.
    pub async fn register(&self, name: &str) -> Value {
        let response = self
            .post_json("/v1/auth/register", &registration(name), None)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "registering {name}");
        response.json().await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/v1/auth/login",
            &json!({"username": username, "password": password}),
            None,
        )
        .await
    }

    pub async fn token_for(&self, username: &str) -> String {
        self.pair_for(username).await.0
    }

    /// Logs in with [`PASSWORD`]: (access token, refresh token).
    pub async fn pair_for(&self, username: &str) -> (String, String) {
        let response = self.login(username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "logging in {username}");
        let body: Value = response.json().await.unwrap();
        tokens_of(&body)
    }

    /// `POST /v1/auth/refresh` with `refresh_token`.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json(
            "/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
            None,
        )
        .await
    }

    /// `POST` without a body.
    pub async fn post(&self, path: &str, token: Option<&str>) -> Response {
        self.prune_first().await;
        self.request(Method::POST, path, token)
            .send()
            .await
            .unwrap()
    }

    /// A registered, logged-in user: (user body, token).
    pub async fn user(&self, name: &str) -> (Value, String) {
        let user = self.register(name).await;
        let token = self.token_for(name).await;
        (user, token)
    }

    /// A registered admin (made one directly in the database, as the
    /// `create-admin` command does): (user body, token).
    pub async fn admin(&self, name: &str) -> (Value, String) {
        let user = self.register(name).await;
        self.set_flags(id_of(&user), Some(true), None).await;
        let token = self.token_for(name).await;
        (user, token)
    }

    pub async fn set_flags(&self, id: i64, is_admin: Option<bool>, is_active: Option<bool>) {
        let repo: Arc<dyn UserRepository> = self.store.repositories().users;
        let changes = UserChanges {
            patch: UserPatch {
                is_admin,
                is_active,
                ..UserPatch::default()
            },
            // The application's time, so that its next change is later.
            updated_at: self.clock.port().now(),
            unverifies_email: false,
        };
        repo.update(UserId(id), changes)
            .await
            .unwrap()
            .expect("user exists");
    }

    pub async fn create_todo(&self, token: &str, title: &str) -> Value {
        let response = self
            .post_json("/v1/todos", &json!({"title": title}), Some(token))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }
}

pub fn registration(name: &str) -> Value {
    json!({
        "email": format!("{name}@example.com"),
        "username": name,
        "full_name": format!("{name} Example"),
        "password": PASSWORD,
    })
}

/// (access token, refresh token) of a login or refresh body.
pub fn tokens_of(body: &Value) -> (String, String) {
    (
        body["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned(),
        body["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned(),
    )
}

pub fn id_of(body: &Value) -> i64 {
    body["id"].as_i64().expect("an id")
}

/// Asserts the error envelope and returns its `error` object.
pub async fn assert_envelope(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let header_id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id header")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(response.headers().contains_key("x-process-time"));
    let body: Value = response.json().await.expect("a JSON body");
    let error = &body["error"];
    assert_eq!(error["status_code"], status, "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let kind = if status >= 500 {
        "server_error"
    } else {
        "client_error"
    };
    assert_eq!(error["type"], kind, "{body}");
    assert_eq!(body["request_id"], header_id, "{body}");
    error.clone()
}

/// The `field`s of a 422's `validation_errors`.
pub fn invalid_fields(error: &Value) -> Vec<String> {
    error["details"]["validation_errors"]
        .as_array()
        .expect("validation_errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

impl TestApp {
    /// A request with a raw body and an optional `Content-Type`.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
    ) -> Response {
        let mut builder = self.request(method, path, token).body(body);
        if let Some(content_type) = content_type {
            builder = builder.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        builder.send().await.unwrap()
    }

    /// `POST /v1/auth/register` with `body`.
    pub async fn register_with(&self, body: &Value) -> Response {
        self.post_json("/v1/auth/register", body, None).await
    }

    /// Whether the todo row still exists, read straight from the store.
    pub async fn todo_exists(&self, id: i64) -> bool {
        let repo = self.store.repositories().todos;
        repo.find_by_id(domain::TodoId(id)).await.unwrap().is_some()
    }
}

/// The JSON body of a response with the expected status.
pub async fn json_of(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    response.json().await.expect("a JSON body")
}

/// A header's value as text, if present.
pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// The headers every response carries.
pub fn assert_common_headers(response: &Response) {
    let request_id = header(response, "x-request-id").expect("x-request-id");
    assert!(!request_id.is_empty());
    let process_time = header(response, "x-process-time").expect("x-process-time");
    let ms: f64 = process_time
        .parse()
        .expect("x-process-time is a number of ms");
    assert!(ms >= 0.0, "{process_time}");
    assert_eq!(
        header(response, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
}

/// Asserts a 401 envelope with `WWW-Authenticate: Bearer`; returns the error.
pub async fn assert_unauthorized(response: Response) -> Value {
    let challenge = header(&response, "www-authenticate").expect("WWW-Authenticate on a 401");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert_envelope(response, 401).await
}

/// Asserts no key anywhere in `value` names a password or its hash.
pub fn assert_no_secrets(value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                assert!(
                    !key.to_ascii_lowercase().contains("password"),
                    "{key} in {value}"
                );
                assert_no_secrets(inner);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_no_secrets),
        Value::String(text) => assert!(!text.starts_with("$2"), "a bcrypt hash in {value}"),
        _ => {}
    }
}

/// The fields of a UserResponse, checked against what was registered.
pub fn assert_user_response(user: &Value, name: &str) {
    assert!(user["id"].as_i64().is_some_and(|id| id > 0), "{user}");
    assert_eq!(user["email"], format!("{name}@example.com"));
    assert_eq!(user["username"], name);
    assert_eq!(user["full_name"], format!("{name} Example"));
    assert_eq!(user["is_active"], true);
    timestamp(&user["created_at"]);
    timestamp(&user["updated_at"]);
    assert_no_secrets(user);
}

/// An RFC 3339 timestamp field.
pub fn timestamp(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a timestamp string, got {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
}

/// The decoded header and claims of a JWT (no signature check).
pub fn jwt_parts(token: &str) -> (Value, Value) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let mut decode = |what: &str| -> Value {
        let part = parts.next().unwrap_or_else(|| panic!("a JWT {what}"));
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let header = decode("header");
    let claims = decode("payload");
    assert_eq!(token.split('.').count(), 3, "a JWT has three parts");
    (header, claims)
}

/// Base64url without padding, as JWTs write it.
pub fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of the sample `name` whose labels include all of `labels`
/// (other labels may be present), from a text exposition.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(parse_line)
        .find(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, value)| value)
}

/// `name{k="v",...} value` (or `name value`).
pub fn parse_line(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let (series, value) = line.rsplit_once(' ')?;
    let value: f64 = value.parse().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => {
            let body = rest.strip_suffix('}')?;
            let labels = body
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    Some((k.to_owned(), v.trim_matches('"').to_owned()))
                })
                .collect();
            (name, labels)
        }
        None => (series, BTreeMap::new()),
    };
    Some((name.to_owned(), labels, value))
}

/// `GET /metrics`, checked to be the text exposition.
pub async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = header(&response, "content-type").unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert!(header(&response, "x-request-id").is_some());
    response.text().await.unwrap()
}
