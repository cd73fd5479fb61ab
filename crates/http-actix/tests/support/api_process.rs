//! The real `api` binary as a child process on a free port, the way an
//! operator runs it (as `Served` in `tests/cli.rs` does): a clean
//! environment, logs in a file, killed on drop. Shared by the test binaries
//! that need the process itself (`faults`, `edge`), each using a part of it.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Settings every fault test wants: PostgreSQL with migrations at start,
/// generated development keys, cheap bcrypt, and throttling out of the way
/// of bursts from one address.
const BASE_ENV: &[(&str, &str)] = &[
    ("ENVIRONMENT", "test"),
    ("AUTO_MIGRATE", "true"),
    ("BCRYPT_COST", "4"),
    ("LOG_LEVEL", "info"),
    ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "10000"),
    ("LOGIN_MAX_FAILURES_PER_IP", "10000"),
    ("REGISTER_MAX_PER_IP", "10000"),
];

/// How long the binary may take to answer its first health check.
const START_LIMIT: Duration = Duration::from_secs(60);

pub struct ApiProcess {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl ApiProcess {
    /// Starts the binary in `dir` (keys are generated there on the first
    /// start and reused by later ones) against `database_url`, and waits
    /// until `/v1/health` answers 200. Its output goes to `dir/<name>.log`.
    pub async fn start(dir: &Path, name: &str, database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("the server log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(BASE_ENV.iter().copied())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATABASE_URL", database_url)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("a second handle on the log"))
            .stderr(file);
        let mut api = Self {
            child: command.spawn().expect("the api binary starts"),
            port,
            log,
        };
        api.wait_until_healthy().await;
        api
    }

    /// The process id, e.g. to read `/proc/<pid>/status`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything the server printed so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL (what `kill -KILL` sends): no drain, no pool close, nothing.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the api");
        self.child.wait().expect("reap the api");
    }

    async fn wait_until_healthy(&mut self) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        let started = Instant::now();
        loop {
            if let Ok(response) = client.get(self.url("/v1/health")).send().await {
                assert_eq!(response.status(), 200, "first health check\n{}", self.log());
                return;
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "the api never answered\n{}",
                self.log()
            );
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("the api exited early: {status}\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ApiProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            drop(self.child.kill());
            drop(self.child.wait());
        }
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("binding port 0")
        .local_addr()
        .expect("a local address")
        .port()
}
