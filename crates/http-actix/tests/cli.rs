//! The `api` binary as an operator uses it: a fresh directory, keygen,
//! create-admin, migrations, and configuration errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use domain::ports::UserRepository;
use infra_sea::SeaUserRepository;
use infra_sea::testing::TestDatabase;

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
    assert!(
        text(&again.stderr).contains("private_key.pem"),
        "{}",
        text(&again.stderr)
    );
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
async fn migrate_down_then_up_through_the_binary() {
    let db = TestDatabase::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let migrate = |action: &[&str]| {
        let mut command = api(dir.path());
        command
            .env("DATABASE_URL", db.url())
            .arg("migrate")
            .args(action);
        run(&mut command)
    };
    let users = SeaUserRepository::new(db.connection().clone());
    let down = migrate(&["down"]);
    assert!(down.status.success(), "{}", text(&down.stderr));
    assert!(
        users.find_by_login("anyone").await.is_err(),
        "tables are gone after down"
    );
    let up = migrate(&["up"]);
    assert!(up.status.success(), "{}", text(&up.stderr));
    assert!(
        users.find_by_login("anyone").await.unwrap().is_none(),
        "tables are back after up"
    );
    let status = migrate(&["status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
}
