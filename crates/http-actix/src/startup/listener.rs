//! Listening sockets with a backlog of our choosing. `std::net::TcpListener`
//! always listens with a backlog of 128, which a burst of connects overflows:
//! each client whose SYN is dropped then waits a second for its retry.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use anyhow::Context;
use socket2::{Domain, Protocol, Socket, Type};

/// Binds `host:port` (the first of its addresses that binds, as
/// `TcpListener::bind` does) and listens with `backlog`.
///
/// # Errors
/// When the name does not resolve or no address can be bound, naming the
/// address and the cause.
pub fn bind(host: &str, port: u16, backlog: u32) -> anyhow::Result<TcpListener> {
    let addrs = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {host}:{port}"))?;
    let mut last = None;
    for addr in addrs {
        match listen_on(addr, backlog) {
            Ok(listener) => return Ok(listener),
            Err(error) => last = Some((addr, error)),
        }
    }
    Err(match last {
        Some((addr, error)) => anyhow::Error::new(error).context(format!("binding {addr}")),
        None => anyhow::anyhow!("{host}:{port} resolves to no address"),
    })
}

/// Binds one address and listens with `backlog` (the kernel caps it at
/// `net.core.somaxconn`).
///
/// # Errors
/// The operating system's, e.g. the address is in use.
pub fn listen_on(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // As std does on Unix: a restarted server need not wait out TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn binds_port_zero_and_accepts_a_connection() {
        let listener = bind("127.0.0.1", 0, 16).unwrap();
        let addr = listener.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (_, peer) = listener.accept().unwrap();
        assert!(peer.ip().is_loopback());
    }

    #[test]
    fn an_address_in_use_names_the_address() {
        let first = bind("127.0.0.1", 0, 16).unwrap();
        let port = first.local_addr().unwrap().port();
        let error = bind("127.0.0.1", port, 16).unwrap_err();
        assert!(
            format!("{error:#}").contains(&format!("binding 127.0.0.1:{port}")),
            "{error:#}"
        );
    }
}
