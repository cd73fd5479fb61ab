//! The `migration` binary as a new user meets it: a clean environment in a
//! temporary directory, SQLite files there. No panics (so no backtraces),
//! messages that say what to do, and nothing dropped without `--yes`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

/// The binary with a clean environment (only what the test sets) and
/// backtraces on, so that a panic would show one.
fn migration(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migration"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the migration binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("app.db").display())
}

/// Neither a panic nor a backtrace in `stderr`.
fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

async fn open(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options).await.unwrap()
}

async fn has_table(db: &DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db).has_table(table).await.unwrap()
}

async fn keep_me_rows(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COUNT(*) AS n FROM keep_me",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// A migrated database in `dir` with a table of its own holding one row.
async fn migrated_with_keep_me(dir: &Path) -> DatabaseConnection {
    let url = sqlite_url(dir);
    let up = run(migration(dir).args(["-u", &url, "up"]));
    assert!(up.status.success(), "{}", text(&up.stderr));
    let db = open(&url).await;
    db.execute_unprepared(
        "CREATE TABLE keep_me (id INTEGER PRIMARY KEY); INSERT INTO keep_me VALUES (1)",
    )
    .await
    .unwrap();
    db
}

#[test]
fn without_database_url_it_exits_2_saying_what_to_set_without_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    for env in [None, Some("")] {
        let mut command = migration(dir.path());
        command.arg("status");
        if let Some(value) = env {
            command.env("DATABASE_URL", value);
        }
        let output = run(&mut command);
        assert_eq!(output.status.code(), Some(2), "DATABASE_URL={env:?}");
        let stderr = text(&output.stderr);
        assert_no_panic(&stderr);
        for needle in [
            "DATABASE_URL",
            "sqlite://",
            "postgres://",
            "-u",
            "api migrate",
        ] {
            assert!(stderr.contains(needle), "{needle} not in: {stderr}");
        }
        assert_eq!(stderr.trim().lines().count(), 1, "one paragraph: {stderr}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[test]
fn help_needs_no_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(migration(dir.path()).arg("--help"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for command in ["fresh", "refresh", "reset", "status", "up", "down", "--yes"] {
        assert!(stdout.contains(command), "{command} not in: {stdout}");
    }
}

#[test]
fn a_database_that_cannot_be_opened_is_a_message_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("no-such-dir/app.db").display()
    );
    for url in [missing_dir.as_str(), "nonsense"] {
        let output = run(migration(dir.path()).args(["-u", url, "status"]));
        assert_eq!(output.status.code(), Some(1), "{url}");
        let stderr = text(&output.stderr);
        assert_no_panic(&stderr);
        assert!(
            stderr.contains("cannot connect to the database"),
            "{stderr}"
        );
    }
}

#[test]
fn the_database_url_comes_from_dot_env_unless_u_names_another() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=sqlite://from-env.db?mode=rwc\n",
    )
    .unwrap();
    let output = run(migration(dir.path()).arg("up"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.path().join("from-env.db").exists());

    let output = run(migration(dir.path()).args(["-u", "sqlite://from-u.db?mode=rwc", "status"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.path().join("from-u.db").exists());
    let pending = Migrator::migrations().len();
    assert!(
        text(&output.stdout).contains(&format!("0 applied, {pending} pending")),
        "-u wins over .env: {}",
        text(&output.stdout)
    );
}

#[test]
fn status_up_and_down_say_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let all = names.len();
    let migrate = |args: &[&str]| {
        let output = run(migration(dir.path()).args(["-u", &url]).args(args));
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };

    let status = migrate(&["status"]);
    for name in &names {
        assert!(status.contains(&format!("pending  {name}")), "{status}");
    }
    assert!(
        status.contains(&format!("0 applied, {all} pending")),
        "{status}"
    );

    let up = migrate(&["up"]);
    for name in &names {
        assert!(up.contains(&format!("applied  {name}")), "{up}");
    }
    assert!(migrate(&["up"]).contains("nothing to apply"));
    assert!(migrate(&["status"]).contains(&format!("{all} applied, 0 pending")));

    let down = migrate(&["down"]);
    assert_eq!(down.trim(), format!("reverted {}", names[all - 1]));
    assert!(migrate(&["status"]).contains(&format!("{} applied, 1 pending", all - 1)));
    let num = all.to_string();
    migrate(&["down", "-n", &num]);
    assert!(migrate(&["down"]).contains("nothing to revert"));
}

#[tokio::test]
async fn fresh_reset_and_refresh_without_yes_refuse_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let db = migrated_with_keep_me(dir.path()).await;
    for command in ["fresh", "reset", "refresh"] {
        let output = run(migration(dir.path()).args(["-u", &url, command]));
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("{command} --yes")), "{stderr}");
        assert!(stderr.contains("nothing was done"), "{stderr}");
    }
    assert_eq!(keep_me_rows(&db).await, 1);
    assert!(has_table(&db, "users").await && has_table(&db, "sessions").await);

    let fresh = run(migration(dir.path()).args(["-u", &url, "fresh", "--yes"]));
    assert!(fresh.status.success(), "{}", text(&fresh.stderr));
    assert!(!has_table(&db, "keep_me").await, "fresh drops every table");
    assert!(has_table(&db, "users").await);
}

#[tokio::test]
async fn in_production_yes_is_not_enough_without_force_production() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let db = migrated_with_keep_me(dir.path()).await;
    // ENVIRONMENT from the process environment, then from .env.
    let refused = run(migration(dir.path())
        .env("ENVIRONMENT", "production")
        .args(["-u", &url, "fresh", "--yes"]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--force-production"),
        "{}",
        text(&refused.stderr)
    );
    std::fs::write(dir.path().join(".env"), "ENVIRONMENT=production\n").unwrap();
    let refused = run(migration(dir.path()).args(["-u", &url, "reset", "--yes"]));
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(keep_me_rows(&db).await, 1);
    assert!(has_table(&db, "users").await);

    let forced =
        run(migration(dir.path()).args(["-u", &url, "reset", "--yes", "--force-production"]));
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(
        !has_table(&db, "users").await,
        "reset reverted the migrations"
    );
}
