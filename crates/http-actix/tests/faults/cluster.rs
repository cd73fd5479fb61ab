//! A throwaway PostgreSQL server for one test: `initdb` into a temporary
//! directory, `pg_ctl start` on a free port, and `pg_ctl stop -m immediate`
//! plus removal of the directory on drop, also when the test panics.
//!
//! The server binaries come from `PG_BIN_DIR`, else
//! `/usr/lib/postgresql/15/bin`, else `pg_config --bindir`. Without them
//! [`Cluster::start`] says why on standard error and returns `None`: the test
//! is skipped. `initdb` and `postgres` refuse to run as root, so as root
//! they run as the `postgres` user through `runuser`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use crate::api_process::free_port;

/// The database the service under test uses.
const APP_DATABASE: &str = "app";
/// The system user that owns the cluster when the tests run as root.
const SERVER_USER: &str = "postgres";
const DEFAULT_BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// A running (or deliberately stopped) PostgreSQL server of its own.
pub struct Cluster {
    bin: PathBuf,
    /// Run the server tools through `runuser -u postgres --`.
    as_server_user: bool,
    port: u16,
    running: bool,
    /// Holds `data/`, `socket/` and `postgres.log`; removed after the server
    /// is stopped in `drop`.
    dir: tempfile::TempDir,
}

impl Cluster {
    /// Creates a cluster with an empty `app` database and starts it, or says
    /// on standard error why the test is skipped and returns `None`.
    ///
    /// # Panics
    /// When the binaries are there but the cluster cannot be created or
    /// started (that is a failure, not a skip).
    pub async fn start() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            eprintln!(
                "skipped: no PostgreSQL server binaries (initdb/pg_ctl) found; set PG_BIN_DIR"
            );
            return None;
        };
        let as_server_user = running_as_root();
        if as_server_user && !server_user_available() {
            eprintln!(
                "skipped: running as root, and initdb/postgres refuse root, but there is no \
                 `{SERVER_USER}` user or no `runuser` to run them as that user"
            );
            return None;
        }
        // As root the directory is handed to the server user; it lives
        // under /tmp, which that user can traverse.
        let parent = if as_server_user {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("faults-pg-")
            .tempdir_in(parent)
            .expect("a temporary directory for the cluster");
        std::fs::create_dir(dir.path().join("socket")).expect("the socket directory");
        let mut cluster = Self {
            bin,
            as_server_user,
            port: 0,
            running: false,
            dir,
        };
        if as_server_user {
            let status = Command::new("chown")
                .args(["-R", SERVER_USER])
                .arg(cluster.dir.path())
                .status()
                .expect("chown runs");
            assert!(status.success(), "chown -R {SERVER_USER} failed");
        }
        cluster.initdb();
        cluster.start_on_a_free_port();
        cluster.create_app_database().await;
        Some(cluster)
    }

    /// `postgres://` URL of the `app` database.
    pub fn url(&self) -> String {
        self.url_of(APP_DATABASE)
    }

    fn url_of(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A small pool of the test's own on the `app` database.
    pub async fn connect(&self) -> DatabaseConnection {
        connect(&self.url()).await
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are disconnected,
    /// as in a planned restart or a failover).
    pub fn stop(&mut self) {
        self.pg_ctl_stop("fast");
    }

    /// Starts the stopped server again, on the same port and data.
    pub fn restart(&mut self) {
        let output = self.pg_ctl_start(self.port);
        assert!(
            output.status.success(),
            "pg_ctl start (again) failed: {}\n{}",
            describe(&output),
            self.log()
        );
        self.running = true;
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = if self.as_server_user {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVER_USER, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        // The server user may not be allowed into the test's directory.
        command.current_dir(self.dir.path()).stdin(Stdio::null());
        command
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn initdb(&self) {
        let output = self
            .tool("initdb")
            .arg("-D")
            .arg(self.data())
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                // Only initdb's own final flush; the server keeps fsync=on.
                "--no-sync",
            ])
            .output()
            .expect("initdb runs");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            describe(&output)
        );
    }

    /// A free port can be taken by someone else before the server binds it:
    /// try a few.
    fn start_on_a_free_port(&mut self) {
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let output = self.pg_ctl_start(port);
            if output.status.success() {
                self.port = port;
                self.running = true;
                return;
            }
            failures.push(format!("port {port}: {}", describe(&output)));
        }
        panic!(
            "pg_ctl start failed:\n{}\n{}",
            failures.join("\n"),
            self.log()
        );
    }

    fn pg_ctl_start(&self, port: u16) -> Output {
        let socket = self.dir.path().join("socket");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -k {} \
             -c shared_buffers=16MB -c max_connections=30",
            socket.display()
        );
        self.tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("postgres.log"))
            .args(["-w", "-t", "30", "-o", &options, "start"])
            .output()
            .expect("pg_ctl runs")
    }

    fn pg_ctl_stop(&mut self, mode: &str) {
        let output = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", mode, "-w", "-t", "30", "stop"])
            .output()
            .expect("pg_ctl runs");
        assert!(
            output.status.success(),
            "pg_ctl stop -m {mode} failed: {}",
            describe(&output)
        );
        self.running = false;
    }

    async fn create_app_database(&self) {
        let admin = connect(&self.url_of("postgres")).await;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {APP_DATABASE}"))
            .await
            .expect("CREATE DATABASE");
        admin.close().await.expect("closing the admin connection");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            // Never panic in drop (it may run during a panic): a failure
            // here leaves a server behind, which the log line names.
            let stopped = self
                .tool("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "-t", "30", "stop"])
                .output();
            if !stopped.is_ok_and(|o| o.status.success()) {
                eprintln!(
                    "could not stop the test PostgreSQL in {}",
                    self.dir.path().display()
                );
            }
        }
    }
}

async fn connect(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(2)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test cluster at {url}: {e}"))
}

fn describe(output: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `PG_BIN_DIR` when set (a wrong value is an error, not a skip), else the
/// Debian path of PostgreSQL 15, else what `pg_config` says.
fn bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            has_tools(&dir),
            "PG_BIN_DIR={} holds no initdb and pg_ctl",
            dir.display()
        );
        return Some(dir);
    }
    let default = PathBuf::from(DEFAULT_BIN_DIR);
    if has_tools(&default) {
        return Some(default);
    }
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    (output.status.success() && has_tools(&dir)).then_some(dir)
}

/// Whether the effective user is root, asked of `id -u` (no unsafe code).
fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}

fn server_user_available() -> bool {
    let user = Command::new("id")
        .arg("-u")
        .arg(SERVER_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let runuser = Command::new("runuser")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    user && runuser
}
