//! The HTTP edge of the real `api` binary, as an attacker or an operator
//! meets it (issue 13): decompression bombs, the listen backlog, what a
//! malformed request head leaves in the log, and `/metrics` on a listener of
//! its own. Each test starts the binary on an SQLite file of its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/api_process.rs"]
mod api_process;

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use api_process::ApiProcess;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What each bomb inflates to: 1 GiB of zeros.
const BOMB_SIZE: u64 = 1 << 30;
/// How much the process may grow while the bombs are refused. Decoding just
/// one of them would grow it by the whole gigabyte.
const GROWTH_LIMIT_KIB: u64 = 32 * 1024;

async fn start(dir: &Path, env: &[(&str, &str)]) -> ApiProcess {
    let url = format!("sqlite://{}/app.db?mode=rwc", dir.display());
    ApiProcess::start(dir, "api", &url, env).await
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// 1 GiB of zeros as gzip: 1,024 members of 1 MiB each (a gzip stream may
/// hold several members, and a decoder inflates them all).
fn gzip_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&[0; 1 << 20]).unwrap();
    let member = encoder.finish().unwrap();
    member.repeat((BOMB_SIZE >> 20) as usize)
}

/// 1 GiB of zeros as zstd: 1,024 frames of 1 MiB each.
fn zstd_bomb() -> Vec<u8> {
    let frame = zstd::bulk::compress(&[0; 1 << 20], 19).unwrap();
    frame.repeat((BOMB_SIZE >> 20) as usize)
}

/// 1 GiB of zeros as one brotli stream.
fn brotli_bomb() -> Vec<u8> {
    let zeros = std::io::repeat(0).take(BOMB_SIZE);
    let mut compressed = Vec::new();
    brotli::CompressorReader::new(zeros, 1 << 16, 1, 22)
        .read_to_end(&mut compressed)
        .unwrap();
    compressed
}

#[tokio::test]
async fn compressed_request_bodies_are_refused_unread_and_memory_stays_flat() {
    let made = Instant::now();
    let bombs = [
        ("gzip", gzip_bomb()),
        ("zstd", zstd_bomb()),
        ("br", brotli_bomb()),
    ];
    eprintln!(
        "bombs made in {:?}: {}",
        made.elapsed(),
        bombs
            .iter()
            .map(|(coding, body)| format!("{coding} {} bytes", body.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The bombs are real: each inflates to the whole gigabyte.
    let mut inflated = 0;
    let mut decoder = flate2::read::MultiGzDecoder::new(&bombs[0].1[..]);
    let mut chunk = vec![0; 1 << 20];
    loop {
        let n = decoder.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        inflated += n as u64;
    }
    assert_eq!(inflated, BOMB_SIZE);

    let dir = tempfile::tempdir().unwrap();
    let api = start(dir.path(), &[]).await;
    let client = reqwest::Client::new();
    // Warm up every path the test takes, so that what grows is the bombs'.
    for _ in 0..3 {
        let response = client
            .post(api.url("/v1/auth/login"))
            .header("content-type", "application/json")
            .body(r#"{"username":"nobody","password":"wrong-password"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{}", api.log());
    }
    let before = status_kib(api.pid(), "VmHWM");

    // Every bomb twice, all at once, while a probe times /v1/health.
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..2 {
        for (coding, body) in &bombs {
            let (client, url, coding, body) = (
                client.clone(),
                api.url("/v1/auth/login"),
                *coding,
                body.clone(),
            );
            sends.spawn(async move {
                let response = client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("content-encoding", coding)
                    .body(body)
                    .send()
                    .await;
                (coding, response)
            });
        }
    }
    let probe = {
        let (client, url) = (client.clone(), api.url("/v1/health"));
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            for _ in 0..20 {
                let started = Instant::now();
                let response = client.get(&url).send().await.unwrap();
                assert_eq!(response.status(), 200);
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            slowest
        })
    };
    let mut answers = Vec::new();
    while let Some(sent) = sends.join_next().await {
        let (coding, response) = sent.unwrap();
        // The server may close before it has read the whole body; reqwest
        // then reports the write error rather than the answer. Either way
        // the body was not decoded, which the memory figures below show.
        let Ok(response) = response else { continue };
        let status = response.status().as_u16();
        let accepted = response
            .headers()
            .get("accept-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        answers.push((coding, status, accepted, body));
    }
    let slowest_health = probe.await.unwrap();
    let after = status_kib(api.pid(), "VmHWM");
    let rss = status_kib(api.pid(), "VmRSS");
    eprintln!(
        "peak RSS {before} KiB before the bombs, {after} KiB after (RSS now {rss} KiB); \
         slowest /v1/health meanwhile {slowest_health:?}; answers: {:?}",
        answers
            .iter()
            .map(|(coding, status, ..)| (coding, status))
            .collect::<Vec<_>>()
    );
    for (coding, status, accepted, body) in &answers {
        assert_eq!(*status, 415, "{coding}: {body}");
        assert_eq!(accepted.as_deref(), Some("identity"), "{coding}");
        assert_eq!(body["error"]["status_code"], 415, "{coding}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Content-Encoding"),
            "{body}"
        );
    }
    assert!(
        after < before + GROWTH_LIMIT_KIB,
        "peak RSS grew from {before} to {after} KiB"
    );
    assert!(
        slowest_health < Duration::from_millis(500),
        "/v1/health took {slowest_health:?} while the bombs were refused"
    );
}

#[tokio::test]
async fn identity_is_the_one_content_encoding_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let api = start(dir.path(), &[]).await;
    let client = reqwest::Client::new();
    for coding in ["identity", "IDENTITY", "identity, identity"] {
        let response = client
            .post(api.url("/v1/auth/login"))
            .header("content-type", "application/json")
            .header("content-encoding", coding)
            .body(r#"{"username":"nobody","password":"wrong-password"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{coding}");
    }
    // A coding named on a body that is not compressed at all is still
    // refused: the server never guesses.
    for coding in ["gzip", "deflate", "compress", "identity, gzip", "x-unknown"] {
        let response = client
            .post(api.url("/v1/auth/register"))
            .header("content-type", "application/json")
            .header("content-encoding", coding)
            .body(r#"{"email":"a@example.com","username":"abc","full_name":"A","password":"password-1"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{coding}");
        assert!(response.headers().contains_key("x-request-id"));
    }
}

#[tokio::test]
async fn the_listener_queues_the_configured_backlog() {
    let dir = tempfile::tempdir().unwrap();
    for (env, expected) in [(&[][..], 1024), (&[("LISTEN_BACKLOG", "2048")][..], 2048)] {
        let api = start(dir.path(), env).await;
        // For a listening socket, `ss` reports the backlog as Send-Q.
        let output = std::process::Command::new("ss")
            .args(["-ltnH", &format!("sport = :{}", api.port())])
            .output()
            .expect("ss (iproute2) runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let send_q: u32 = text
            .split_whitespace()
            .nth(2)
            .unwrap_or_else(|| panic!("ss printed {text:?}"))
            .parse()
            .unwrap();
        let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(send_q, expected.min(somaxconn), "{text}");
    }
}

/// Sends `head` on a fresh connection and reads the answer.
async fn raw_exchange(port: u16, head: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(head).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn malformed_request_heads_leave_no_error_lines_and_few_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let api = start(dir.path(), &[("LOG_JSON", "true")]).await;
    let heads: [&[u8]; 4] = [
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"NOT A REQUEST\r\n\r\n",
    ];
    for _ in 0..25 {
        for head in heads {
            let answer = raw_exchange(api.port(), head).await;
            assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
                "{answer:?}"
            );
        }
    }
    // The server is still fine, and says so.
    let response = reqwest::get(api.url("/v1/health")).await.unwrap();
    assert_eq!(response.status(), 200);

    let log = api.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let errors: Vec<_> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert!(errors.is_empty(), "ERROR lines: {errors:?}");
    let reports: Vec<_> = lines
        .iter()
        .filter(|l| l["target"] == "http_actix::connections")
        .collect();
    assert!(
        !reports.is_empty() && reports.len() <= 2,
        "{} reports of 100 malformed requests in a few seconds:\n{log}",
        reports.len()
    );
    for report in reports {
        assert_eq!(report["level"], "WARN");
        assert!(report["error"].as_str().is_some(), "{report}");
    }
}

#[tokio::test]
async fn metrics_addr_serves_metrics_there_and_not_on_the_api_listener() {
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = api_process::free_port();
    let addr = format!("127.0.0.1:{metrics_port}");
    let api = start(dir.path(), &[("METRICS_ADDR", &addr)]).await;
    let on_api = reqwest::get(api.url("/metrics")).await.unwrap();
    assert_eq!(on_api.status(), 404);
    let scraped = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    // The API's own requests are counted there, the 404 above included.
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("status=\"404\""), "{text}");
    // The metrics listener serves nothing else.
    let elsewhere = reqwest::get(format!("http://{addr}/v1/health"))
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);
}

/// The token of the link in the newest `.eml` under `dir` whose text has
/// `marker` (quoted-printable soft breaks undone), waiting for the outbox
/// worker to write it.
async fn token_from_mail(dir: &Path, marker: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for file in files.iter().rev() {
            let text = std::fs::read_to_string(file)
                .unwrap()
                .replace("=\r\n", "")
                .replace("=3D", "=");
            if text.contains(marker)
                && let Some(start) = text.find("token=")
            {
                return text[start + "token=".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no mail with {marker:?} in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn no_token_or_password_of_the_account_flows_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("mail");
    let mail_dir = mail.display().to_string();
    let api = start(
        dir.path(),
        &[("LOG_LEVEL", "debug"), ("MAIL_DIR", &mail_dir)],
    )
    .await;
    let client = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value, token: Option<&str>| {
        let mut request = client.post(api.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let first_password = "first-secret-passphrase-1";
    let second_password = "second-secret-passphrase-2";
    let third_password = "third-secret-passphrase-3";
    let response = post(
        "/v1/auth/register",
        serde_json::json!({"email": "leak@example.com", "username": "leak",
            "full_name": "Leak Test", "password": first_password}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let verify = token_from_mail(&mail, "/account/verify?token=").await;
    let response = post(
        "/v1/auth/verify-email",
        serde_json::json!({"token": verify}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let response = post(
        "/v1/auth/password/forgot",
        serde_json::json!({"email": "leak@example.com"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 202);
    let reset = token_from_mail(&mail, "/account/reset?token=").await;
    let response = post(
        "/v1/auth/password/reset",
        serde_json::json!({"token": reset, "new_password": second_password}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 204);
    let login: serde_json::Value = post(
        "/v1/auth/login",
        serde_json::json!({"username": "leak", "password": second_password}),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let response = post(
        "/v1/auth/password",
        serde_json::json!({"current_password": second_password, "new_password": third_password}),
        Some(&access),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 204);
    // The notice of the change is written too: then every mail is out.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(&mail).unwrap().count() < 4 {
        assert!(Instant::now() < deadline, "the notices never came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let log = api.log();
    assert!(
        log.contains("mail written to a file"),
        "the log is the debug one:\n{log}"
    );
    for (what, secret) in [
        ("the verification token", verify.as_str()),
        ("the reset token", reset.as_str()),
        ("the access token", access.as_str()),
        ("the refresh token", refresh.as_str()),
        ("a password", first_password),
        ("a password", second_password),
        ("a password", third_password),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
    assert!(
        !log.contains("leak@example.com"),
        "a whole address is in the log:\n{log}"
    );
}
