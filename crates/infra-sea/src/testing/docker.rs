//! Is a Docker engine there? Asked quickly, so that machines without one fall
//! through to the next test backend in about no time.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const PING: &[u8] = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";

/// Whether the engine named by `DOCKER_HOST` (or the default socket
/// `/var/run/docker.sock`) answers a ping within `timeout`. Blocking.
pub(super) fn engine_answers(timeout: Duration) -> bool {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => {
            if let Some(path) = host.strip_prefix("unix://") {
                ping_unix(path, timeout)
            } else if let Some(address) = host.strip_prefix("tcp://") {
                ping_tcp(address, timeout)
            } else {
                false
            }
        }
        _ => ping_unix("/var/run/docker.sock", timeout),
    }
}

#[cfg(unix)]
fn ping_unix(path: &str, timeout: Duration) -> bool {
    // Connecting to a missing socket fails at once; the timeouts bound an
    // engine that accepts but does not answer.
    std::os::unix::net::UnixStream::connect(path).is_ok_and(|mut stream| {
        stream.set_read_timeout(Some(timeout)).is_ok()
            && stream.set_write_timeout(Some(timeout)).is_ok()
            && answers_ping(&mut stream)
    })
}

#[cfg(not(unix))]
fn ping_unix(_path: &str, _timeout: Duration) -> bool {
    false
}

fn ping_tcp(address: &str, timeout: Duration) -> bool {
    let address = address.split('/').next().unwrap_or(address);
    let Some(socket) = address.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&socket, timeout) else {
        return false;
    };
    // A TLS-protected engine cannot be pinged in plain HTTP; that it accepts
    // connections is answer enough.
    if std::env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    stream.set_read_timeout(Some(timeout)).is_ok()
        && stream.set_write_timeout(Some(timeout)).is_ok()
        && answers_ping(&mut stream)
}

fn answers_ping(stream: &mut (impl Read + Write)) -> bool {
    if stream.write_all(PING).is_err() {
        return false;
    }
    let mut response = [0_u8; 32];
    let mut read = 0;
    while read < response.len() {
        match stream.read(&mut response[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    let status_line = String::from_utf8_lossy(&response[..read]);
    status_line.starts_with("HTTP/1.") && status_line.contains(" 200")
}
