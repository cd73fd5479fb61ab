//! A real SMTP server for integration tests (this crate's and the HTTP
//! suite's; feature `testing`): aiosmtpd, run by `testing/smtp_server.py`
//! from the workspace's `target/venv` (the virtualenv
//! `scripts/validate-openapi.sh` uses too).
//!
//! The first test that needs it installs aiosmtpd (pinned) into that venv,
//! under a file lock (`target/venv.lock`), so test binaries running at once
//! do not pip-install over each other. A machine without `python3` skips the
//! tests that need the server, saying so; a failing install fails them, since
//! a broken venv must not look like a pass.
//!
//! Each [`SmtpServer`] records what it accepts into its own temporary
//! directory and dies with its value (killed on drop) or, should the test
//! process die first, when its standard input closes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

/// The aiosmtpd release the tests run against.
pub const AIOSMTPD_VERSION: &str = "1.4.6";

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(manifest)
        .to_path_buf()
}

/// The venv's python with aiosmtpd installed, or `None` (with a message)
/// when this machine has no `python3`. Installs at most once per process.
pub fn python(test: &str) -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    let python = PYTHON.get_or_init(install).clone();
    if python.is_none() {
        eprintln!("SKIPPED {test}: python3 is not installed, and the real-SMTP tests need it");
    }
    python
}

fn install() -> Option<PathBuf> {
    match Command::new("python3").arg("--version").output() {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => panic!("cannot run python3: {error}"),
        Ok(output) => assert!(
            output.status.success(),
            "python3 --version failed: {output:?}"
        ),
    }
    let target = workspace_root().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(target.join("venv.lock"))
        .unwrap();
    // Released when `lock` is dropped (or the process ends).
    lock.lock().unwrap();
    let venv = target.join("venv");
    let python = venv.join("bin").join("python");
    if installed_version(&python).as_deref() != Some(AIOSMTPD_VERSION) {
        if !python.exists() {
            run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
        }
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("aiosmtpd=={AIOSMTPD_VERSION}"),
        ]));
        assert_eq!(
            installed_version(&python).as_deref(),
            Some(AIOSMTPD_VERSION),
            "aiosmtpd {AIOSMTPD_VERSION} is still not importable from {}",
            python.display()
        );
    }
    drop(lock);
    Some(python)
}

fn installed_version(python: &Path) -> Option<String> {
    let output = Command::new(python)
        .args([
            "-c",
            "import aiosmtpd, importlib.metadata as m; print(m.version('aiosmtpd'))",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// How the server behaves.
#[derive(Debug, Default, Clone)]
pub struct ServerOptions {
    /// 0: any free port.
    pub port: u16,
    /// AUTH required with this user and password.
    pub auth: Option<(String, String)>,
    /// Offer only this AUTH mechanism (`PLAIN` or `LOGIN`).
    pub auth_mechanism: Option<&'static str>,
    /// `RCPT TO:<address>` answered with the reply, e.g. `550 5.1.1 No such user`.
    pub refuse: Vec<(String, String)>,
    /// Certificate and key (PEM files) for TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// With `tls`: STARTTLS required (true) or implicit TLS (false).
    pub starttls: bool,
}

/// One message as the server accepted it.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub auth_login: Option<String>,
    pub auth_mechanism: Option<String>,
    pub encrypted: bool,
    pub raw: Vec<u8>,
}

/// A running aiosmtpd; killed on drop.
pub struct SmtpServer {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start(python: &Path, options: &ServerOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testing/smtp_server.py");
        let mut command = Command::new(python);
        command
            .arg(script)
            .arg("--dir")
            .arg(dir.path())
            .arg("--port")
            .arg(options.port.to_string());
        if let Some((user, password)) = &options.auth {
            command.arg("--auth").arg(format!("{user}:{password}"));
        }
        if let Some(mechanism) = options.auth_mechanism {
            command.arg("--auth-mechanism").arg(mechanism);
        }
        for (address, reply) in &options.refuse {
            command.arg("--refuse").arg(format!("{address}={reply}"));
        }
        if let Some((cert, key)) = &options.tls {
            command.arg("--cert").arg(cert).arg("--key").arg(key);
            command.arg(if options.starttls {
                "--starttls"
            } else {
                "--implicit-tls"
            });
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready, ready_line) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = ready.send(line);
        });
        let line = match ready_line.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the SMTP server did not say READY within 30 s");
            }
        };
        let Some(port) = line
            .strip_prefix("READY ")
            .and_then(|port| port.trim().parse().ok())
        else {
            let _ = child.kill();
            let status = child.wait();
            panic!("the SMTP server did not start: {line:?} ({status:?})");
        };
        Self {
            child,
            _stdin: stdin,
            port,
            dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut records: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        records.sort();
        records
            .iter()
            .map(|path| {
                let record: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
                let text = |key: &str| record[key].as_str().map(str::to_owned);
                Received {
                    mail_from: text("mail_from").unwrap(),
                    rcpt_tos: record["rcpt_tos"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|to| to.as_str().unwrap().to_owned())
                        .collect(),
                    auth_login: text("auth_login"),
                    auth_mechanism: text("auth_mechanism"),
                    encrypted: record["encrypted"].as_bool().unwrap(),
                    raw: std::fs::read(text("eml").unwrap()).unwrap(),
                }
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
