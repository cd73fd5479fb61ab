//! The `api` binary as an operator uses it: a fresh directory, keygen,
//! create-admin, migrations, and configuration errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use domain::ports::UserRepository;
use infra_sea::SeaUserRepository;
use infra_sea::testing::TestDatabase;
use migration::MigratorTrait;

/// The binary with a clean environment: only what the test sets.
fn api(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LOG_LEVEL", "warn")
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the api binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_fresh_directory_starts_on_sqlite_with_generated_keys() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = api(dir.path())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("BCRYPT_COST", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/v1/health");
    let started = Instant::now();
    let body: serde_json::Value = loop {
        if let Ok(response) = client.get(&url).send().await {
            assert_eq!(response.status(), 200);
            break response.json().await.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server never answered"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("server exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(body["status"], "healthy");
    assert_eq!(body["environment"], "development");
    assert_eq!(body["database"]["status"], "connected");
    assert!(
        dir.path().join("data/app.db").exists(),
        "the SQLite file is created"
    );
    let private = std::fs::metadata(dir.path().join("keys/private_key.pem")).unwrap();
    assert_eq!(private.permissions().mode() & 0o777, 0o600);
    assert!(dir.path().join("keys/public_key.pem").exists());
}

#[test]
fn keygen_writes_a_pair_and_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(api(dir.path()).args(["keygen", "--dir", "out"]));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let private = dir.path().join("out/private_key.pem");
    let original = std::fs::read(&private).unwrap();
    assert!(text(&original).starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(
        std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        text(&std::fs::read(dir.path().join("out/public_key.pem")).unwrap())
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );

    let again = run(api(dir.path()).args(["keygen", "--dir", "out"]));
    assert!(!again.status.success());
    // It names the file and both ways past it.
    for needle in ["private_key.pem", "--force", "--rotate"] {
        assert!(
            text(&again.stderr).contains(needle),
            "{needle} not in: {}",
            text(&again.stderr)
        );
    }
    assert_eq!(
        std::fs::read(&private).unwrap(),
        original,
        "nothing was overwritten"
    );

    let forced = run(api(dir.path()).args(["keygen", "--dir", "out", "--force"]));
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert_ne!(std::fs::read(&private).unwrap(), original);
}

#[test]
fn keygen_help_says_what_dir_and_bits_are() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(api(dir.path()).args(["keygen", "--help"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let help = text(&output.stdout);
    for needle in [
        "--dir <DIR>    Where the key files go",
        "2048, 3072 or 4096",
    ] {
        assert!(help.contains(needle), "{needle} not in: {help}");
    }
}

#[test]
fn help_says_where_the_settings_come_from() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["serve", "--help"]] {
        let output = run(api(dir.path()).args(args));
        assert!(output.status.success(), "{}", text(&output.stderr));
        let help = text(&output.stdout);
        for needle in [
            "environment variables",
            ".env file",
            ".env.example",
            "check-config",
        ] {
            assert!(help.contains(needle), "{args:?}: {needle} not in: {help}");
        }
    }
}

#[test]
fn a_malformed_dot_env_is_reported_by_its_line_number_without_the_value() {
    let dir = tempfile::tempdir().unwrap();
    for (contents, expected) in [
        // The same text on an earlier, valid line is not the one.
        (
            "# settings\nAPP_NAME=\"Todo Demo\"\nPORT=8000\nJWT_ISSUER=Todo Demo\n",
            ".env line 4: the value of JWT_ISSUER cannot be parsed at column 17",
        ),
        // A quoted value over two lines counts as two.
        (
            "APP_NAME=\"two\nlines\"\n\nnot a setting\n",
            ".env line 4: expected NAME=value",
        ),
        (
            "PORT=8000\nAPP_NAME=\"Todo\nDEBUG=true\n",
            ".env line 2: the value of APP_NAME opens a quote that is never closed",
        ),
    ] {
        std::fs::write(dir.path().join(".env"), contents).unwrap();
        let output = run(api(dir.path()).arg("check-config"));
        assert!(!output.status.success(), "{contents}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{expected} not in: {stderr}");
        assert!(
            !stderr.contains("Demo"),
            "the value is not repeated: {stderr}"
        );
        assert!(!stderr.contains("line index"), "{stderr}");
    }
}

#[test]
fn keygen_rotate_keeps_the_old_public_key_as_a_retired_one() {
    let dir = tempfile::tempdir().unwrap();
    let nothing = run(api(dir.path()).args(["keygen", "--dir", "out", "--rotate"]));
    assert!(!nothing.status.success(), "nothing to rotate yet");
    assert!(
        text(&nothing.stderr).contains("public_key.pem"),
        "{}",
        text(&nothing.stderr)
    );
    let first = run(api(dir.path()).args(["keygen", "--dir", "out"]));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let private = dir.path().join("out/private_key.pem");
    let public = dir.path().join("out/public_key.pem");
    let (old_private, old_public) = (
        std::fs::read(&private).unwrap(),
        std::fs::read(&public).unwrap(),
    );
    let rotated = run(api(dir.path()).args(["keygen", "--dir", "out", "--rotate"]));
    assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    assert_ne!(std::fs::read(&private).unwrap(), old_private);
    assert_ne!(std::fs::read(&public).unwrap(), old_public);
    assert_eq!(
        std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let retired: Vec<_> = std::fs::read_dir(dir.path().join("out/retired"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(retired.len(), 1, "{retired:?}");
    assert!(text(&std::fs::read(&retired[0]).unwrap()).starts_with("-----BEGIN PUBLIC KEY-----"));
    // --rotate and --force do not mix.
    let both = run(api(dir.path()).args(["keygen", "--dir", "out", "--rotate", "--force"]));
    assert!(!both.status.success());
}

#[test]
fn bad_configuration_exits_non_zero_naming_every_bad_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(api(dir.path())
        .env("PORT", "eighty")
        .env("BCRYPT_COST", "3")
        .env("ENVIRONMENT", "staging"));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    for name in ["PORT", "BCRYPT_COST", "ENVIRONMENT"] {
        assert!(stderr.contains(name), "{name} not named in: {stderr}");
    }
}

#[test]
fn production_refuses_to_start_without_keys() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(api(dir.path())
        .env("ENVIRONMENT", "production")
        .env("PORT", free_port().to_string()));
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("key"),
        "{}",
        text(&output.stderr)
    );
    assert!(
        !dir.path().join("keys/private_key.pem").exists(),
        "production never generates keys"
    );
}

#[test]
fn production_refuses_to_start_without_smtp_unless_mail_dir_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let keygen = run(api(dir.path()).args(["keygen", "--dir", "keys"]));
    assert!(keygen.status.success(), "{}", text(&keygen.stderr));
    let output = run(api(dir.path())
        .env("ENVIRONMENT", "production")
        .env("PORT", free_port().to_string()));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("SMTP_URL") && stderr.contains("MAIL_DIR"),
        "the message names both ways out: {stderr}"
    );
    // check-config says the same without starting anything.
    let check = run(api(dir.path())
        .env("ENVIRONMENT", "production")
        .arg("check-config"));
    assert!(!check.status.success());
    assert!(
        text(&check.stderr).contains("SMTP_URL"),
        "{}",
        text(&check.stderr)
    );
    let check = run(api(dir.path())
        .env("ENVIRONMENT", "production")
        .env("MAIL_DIR", dir.path().join("mail"))
        .arg("check-config"));
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[tokio::test]
async fn create_admin_creates_then_promotes_keeping_the_password() {
    let db = TestDatabase::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let admin = |username: &str, email: &str, password: &str| {
        run(api(dir.path())
            .env("DATABASE_URL", db.url())
            .env("BCRYPT_COST", "4")
            .env("ADMIN_PASSWORD", password)
            .args(["create-admin", "--username", username, "--email", email]))
    };
    let created = admin("root", "root@example.com", "first-password");
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("created admin root"));

    let users = SeaUserRepository::new(db.connection().clone());
    let root = users.find_by_login("root").await.unwrap().unwrap();
    assert!(root.is_admin && root.is_active);

    // Same user, named by email: promoted again, password untouched.
    let hash_before = root.password_hash.clone();
    let promoted = admin("root", "ROOT@example.com", "another-password");
    assert!(promoted.status.success(), "{}", text(&promoted.stderr));
    assert!(text(&promoted.stdout).contains("promoted root"));
    let root = users.find_by_login("root").await.unwrap().unwrap();
    assert_eq!(root.password_hash, hash_before);

    let weak = admin("other", "other@example.com", "short");
    assert!(
        !weak.status.success(),
        "a password breaking the policy is refused"
    );
    assert!(users.find_by_login("other").await.unwrap().is_none());
}

#[tokio::test]
async fn create_admin_without_a_terminal_or_admin_password_says_how_to_give_one() {
    let db = TestDatabase::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // stdin is /dev/null: no terminal to prompt on.
    let output = run(api(dir.path()).env("DATABASE_URL", db.url()).args([
        "create-admin",
        "--username",
        "root",
        "--email",
        "root@example.com",
    ]));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "no password: set ADMIN_PASSWORD, or run create-admin in a terminal to be prompted"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("os error"), "{stderr}");
    let users = SeaUserRepository::new(db.connection().clone());
    assert!(users.find_by_login("root").await.unwrap().is_none());
}

#[test]
fn create_admin_reports_every_invalid_argument_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(api(dir.path()).env("ADMIN_PASSWORD", "short").args([
        "create-admin",
        "--username",
        "no spaces allowed",
        "--email",
        "not-an-address",
        "--full-name",
        "",
    ]));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    for needle in [
        "4 problems",
        "--username: may contain only",
        "--email: value is not a valid email",
        "--full-name: must not be empty",
        "ADMIN_PASSWORD: must be between 8 and 100",
    ] {
        assert!(stderr.contains(needle), "{needle} not in: {stderr}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing is opened before the arguments are valid"
    );
}

#[tokio::test]
async fn migrate_down_up_and_status_say_what_they_did() {
    let db = TestDatabase::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let migrate = |action: &[&str]| {
        let mut command = api(dir.path());
        command
            .env("DATABASE_URL", db.url())
            .arg("migrate")
            .args(action);
        let output = run(&mut command);
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let names: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let users = SeaUserRepository::new(db.connection().clone());
    let status = migrate(&["status"]);
    for name in &names {
        assert!(status.contains(&format!("applied  {name}")), "{status}");
    }
    assert!(
        status.contains(&format!("{} applied, 0 pending", names.len())),
        "{status}"
    );
    assert!(migrate(&["up"]).contains("nothing to apply"));

    // Every migration, down to the empty schema, newest first.
    let all = names.len().to_string();
    let down = migrate(&["down", &all]);
    let reverted: Vec<String> = names
        .iter()
        .rev()
        .map(|n| format!("reverted {n}"))
        .collect();
    // The lines of the answer (sea-orm-migration's INFO logs are there too).
    let answer = |out: &str, prefix: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with(prefix))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(answer(&down, "reverted "), reverted, "{down}");
    assert!(
        users.find_by_login("anyone").await.is_err(),
        "tables are gone after down"
    );
    let status = migrate(&["status"]);
    assert!(
        status.contains(&format!("0 applied, {} pending", names.len())),
        "{status}"
    );
    assert!(migrate(&["down"]).contains("nothing to revert"));

    let up = migrate(&["up"]);
    let applied: Vec<String> = names.iter().map(|n| format!("applied  {n}")).collect();
    assert_eq!(answer(&up, "applied  "), applied, "{up}");
    assert!(
        users.find_by_login("anyone").await.unwrap().is_none(),
        "tables are back after up"
    );
}

#[tokio::test]
async fn migrate_fresh_needs_yes_and_in_production_force_production_too() {
    let db = TestDatabase::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let created = run(api(dir.path())
        .env("DATABASE_URL", db.url())
        .env("BCRYPT_COST", "4")
        .env("ADMIN_PASSWORD", "first-password")
        .args([
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.com",
        ]));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let users = SeaUserRepository::new(db.connection().clone());
    let fresh = |environment: &str, flags: &[&str]| {
        run(api(dir.path())
            .env("DATABASE_URL", db.url())
            .env("ENVIRONMENT", environment)
            .args(["migrate", "fresh"])
            .args(flags))
    };

    let refused = fresh("development", &[]);
    assert!(!refused.status.success());
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("drops every table"), "{stderr}");
    assert!(stderr.contains("api migrate fresh --yes"), "{stderr}");
    assert!(
        users.find_by_login("root").await.unwrap().is_some(),
        "nothing dropped"
    );

    for flags in [&["--yes"][..], &["--force-production"]] {
        let refused = fresh("production", flags);
        assert!(!refused.status.success(), "{flags:?}");
        assert!(
            text(&refused.stderr).contains(if flags == ["--yes"] {
                "--force-production"
            } else {
                "--yes"
            }),
            "{}",
            text(&refused.stderr)
        );
    }
    assert!(
        users.find_by_login("root").await.unwrap().is_some(),
        "nothing dropped"
    );

    let done = fresh("production", &["--yes", "--force-production"]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert!(text(&done.stdout).contains("dropped every table"));
    assert!(
        users.find_by_login("root").await.unwrap().is_none(),
        "fresh dropped the users and migrated again"
    );
}

#[test]
fn check_config_prints_every_variable_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: the command must not try to connect.
    let output = run(api(dir.path())
        .env(
            "DATABASE_URL",
            "postgres://app:db-pass-7f3a@127.0.0.1:1/todo_api",
        )
        .env("JWT_PRIVATE_KEY_PASSWORD", "key-pass-9c1e")
        .env("METRICS_ENABLED", "false")
        .env("BCRYPT_COST", "13")
        .arg("check-config"));
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for secret in ["db-pass-7f3a", "key-pass-9c1e"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} printed"
        );
    }
    let lines: Vec<&str> = stdout.lines().collect();
    for line in &lines {
        let (name, _) = line.split_once('=').expect("NAME=value");
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
            "{line}"
        );
    }
    for expected in [
        "DATABASE_URL=postgres://app:***@127.0.0.1:1/todo_api",
        "JWT_PRIVATE_KEY_PASSWORD=***",
        "METRICS_ENABLED=false",
        "BCRYPT_COST=13",
        "SHUTDOWN_TIMEOUT_SECONDS=30",
        "ENVIRONMENT=development",
    ] {
        assert!(
            lines.contains(&expected),
            "{expected} missing from:\n{stdout}"
        );
    }
    assert!(
        !dir.path().join("keys").exists() && !dir.path().join("data").exists(),
        "check-config creates nothing"
    );
}

#[test]
fn check_config_with_a_bad_value_exits_non_zero_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(api(dir.path())
        .env("METRICS_ENABLED", "sometimes")
        .env("SHUTDOWN_TIMEOUT_SECONDS", "-5")
        .arg("check-config"));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    for name in ["METRICS_ENABLED", "SHUTDOWN_TIMEOUT_SECONDS"] {
        assert!(stderr.contains(name), "{name} not named in: {stderr}");
    }
    assert!(
        text(&output.stdout).is_empty(),
        "no configuration is printed"
    );
}

/// A server started from the binary on a free port in `dir`, with its
/// output (logs go to stdout) in `dir/server.log`.
struct Served {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Served {
    async fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log = dir.join("server.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut command = api(dir);
        command
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("LOG_LEVEL", "info")
            .envs(env.iter().copied())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let mut served = Self {
            child: command.spawn().unwrap(),
            port,
            log,
        };
        served.wait_until_healthy().await;
        served
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_until_healthy(&mut self) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(response) = client.get(self.url("/v1/health")).send().await {
                assert_eq!(response.status(), 200);
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "server never answered"
            );
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("server exited early: {status}\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends a signal with the system's `kill` (no unsafe code here).
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// The exit status, waiting at most `limit`.
    async fn exit_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > limit {
                self.child.kill().unwrap();
                panic!("still running {limit:?} after the signal\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            drop(self.child.kill());
            drop(self.child.wait());
        }
    }
}

/// Starts a slow login (bcrypt cost 15, about two seconds), signals the
/// server while it is in flight, and checks the graceful drain.
async fn in_flight_request_survives(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Served::start(
        dir.path(),
        &[("BCRYPT_COST", "15"), ("SHUTDOWN_TIMEOUT_SECONDS", "20")],
    )
    .await;
    let client = reqwest::Client::new();
    let registered = client
        .post(server.url("/v1/auth/register"))
        .json(&serde_json::json!({
            "email": "slow@example.com", "username": "slow",
            "full_name": "Slow Poke", "password": "correct-horse-battery",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    let login = tokio::spawn(
        client
            .post(server.url("/v1/auth/login"))
            .json(&serde_json::json!({"username": "slow", "password": "correct-horse-battery"}))
            .send(),
    );
    // Let the request reach the server and start hashing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!login.is_finished(), "the login was not slow enough");
    server.signal(signal);
    let signalled = Instant::now();

    // The listener is closed while the login is still being served.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fresh = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let late = fresh.get(server.url("/v1/health")).send().await;
    assert!(
        late.is_err(),
        "a new connection was served after {signal}: {late:?}"
    );
    assert!(
        !login.is_finished(),
        "the login ended before the new connection was tried"
    );

    let response = login.await.unwrap().expect("the in-flight login completes");
    assert_eq!(response.status(), 200, "{}", server.log());
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    drop(client);

    let status = server.exit_within(Duration::from_secs(25)).await;
    assert!(
        status.success(),
        "exit after {signal}: {status}\n{}",
        server.log()
    );
    assert!(signalled.elapsed() < Duration::from_secs(25));
    let log = server.log();
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[tokio::test]
async fn sigterm_drains_the_in_flight_request_and_exits_zero() {
    in_flight_request_survives("TERM").await;
}

#[tokio::test]
async fn sigint_drains_the_in_flight_request_and_exits_zero() {
    in_flight_request_survives("INT").await;
}

#[test]
fn openapi_prints_the_document_with_no_configuration_database_or_keys() {
    let dir = tempfile::tempdir().unwrap();
    // A configuration that would stop any other command.
    std::fs::write(dir.path().join(".env"), "BCRYPT_COST=1\n").unwrap();
    let output = run(api(dir.path())
        .arg("openapi")
        .env("DATABASE_URL", "mysql://nowhere/db")
        .env("ENVIRONMENT", "production"));
    assert!(output.status.success(), "{}", text(&output.stderr));

    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{document}"
    );
    assert!(document["paths"]["/v1/todos"]["get"].is_object());
    let expected: serde_json::Value =
        serde_json::from_str(&http_actix::openapi::to_json(false).unwrap()).unwrap();
    assert_eq!(document, expected, "the binary prints the served document");
    // Nothing was created: no database file, no keys.
    let created: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(created, [std::ffi::OsString::from(".env")]);
}

#[test]
fn check_config_in_production_without_key_files_fails_naming_them_and_api_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(api(dir.path())
        .env("ENVIRONMENT", "production")
        .arg("check-config"));
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    let keys = dir.path().canonicalize().unwrap().join("keys");
    for name in ["JWT_PRIVATE_KEY_PATH", "JWT_PUBLIC_KEY_PATH"] {
        assert!(stderr.contains(name), "{name} not in: {stderr}");
    }
    assert!(
        stderr.contains(&format!("api keygen --dir {}", keys.display())),
        "{stderr}"
    );
    // In development the missing pair is only a note: the server makes one.
    let output = run(api(dir.path()).arg("check-config"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("note: JWT_PRIVATE_KEY_PATH"));
}

#[test]
fn production_without_key_files_stops_on_the_keys_before_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(api(dir.path())
        .env("ENVIRONMENT", "production")
        .env("LOG_LEVEL", "info")
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/todo_api"));
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!output.status.success(), "{all}");
    assert!(
        all.contains("does not exist: create a key pair with `api keygen --dir"),
        "{all}"
    );
    assert!(!all.contains("pending migrations"), "{all}");
    assert!(
        !all.contains("127.0.0.1:1"),
        "the database was not tried first: {all}"
    );
}

#[tokio::test]
async fn prune_deletes_ended_sessions_and_old_login_events_and_says_how_many() {
    use domain::ports::{LoginAttempts, SessionRepository, ThrottleKey};

    let db = TestDatabase::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let users = SeaUserRepository::new(db.connection().clone());
    let sessions = infra_sea::SeaSessionRepository::new(db.connection().clone());
    let attempts = infra_sea::SeaLoginAttempts::new(db.connection().clone());
    let now = chrono::Utc::now();
    let alice = users
        .create(domain::NewUser {
            email: domain::Email::parse("alice@example.com").unwrap(),
            username: domain::Username::parse("alice").unwrap(),
            full_name: domain::FullName::parse("Alice").unwrap(),
            password_hash: domain::PasswordHash::new("x"),
            is_active: true,
            is_admin: false,
            created_at: now - chrono::TimeDelta::days(40),
        })
        .await
        .unwrap();
    let session = |token: char, days_ago: i64, lifetime_days: i64| domain::NewSession {
        user_id: alice.id,
        first_token: domain::RefreshTokenHash::new(token.to_string().repeat(64)),
        created_at: now - chrono::TimeDelta::days(days_ago),
        expires_at: now - chrono::TimeDelta::days(days_ago)
            + chrono::TimeDelta::days(lifetime_days),
        client: domain::ClientInfo::default(),
    };
    // Expired ten days ago, and one still live for twenty days.
    sessions.create(session('a', 40, 30)).await.unwrap();
    sessions.create(session('b', 10, 30)).await.unwrap();
    // Two days old (past every window and the day kept), and a fresh one
    // of another key (recording a key drops that key's own old events).
    attempts
        .record(
            &[ThrottleKey::LoginIp("203.0.113.9".to_owned())],
            now - chrono::TimeDelta::days(2),
        )
        .await
        .unwrap();
    attempts
        .record(&[ThrottleKey::LoginIp("203.0.113.10".to_owned())], now)
        .await
        .unwrap();
    let prune = || run(api(dir.path()).env("DATABASE_URL", db.url()).arg("prune"));

    let first = prune();

    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout),
        "removed 1 ended sessions, 1 refresh tokens, 1 login attempts, 0 outbox messages and 0 \
         account tokens\n"
    );
    let again = prune();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout),
        "removed 0 ended sessions, 0 refresh tokens, 0 login attempts, 0 outbox messages and 0 \
         account tokens\n"
    );
    let live = domain::RefreshTokenHash::new("b".repeat(64));
    assert!(sessions.find_refresh_token(&live).await.unwrap().is_some());
}

#[tokio::test]
async fn prune_on_a_database_with_pending_migrations_says_to_migrate_first() {
    let db = TestDatabase::unmigrated().await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let output = run(api(dir.path()).env("DATABASE_URL", db.url()).arg("prune"));

    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("pending migration") && stderr.contains("api migrate up"),
        "{stderr}"
    );
}
