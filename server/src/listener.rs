//! The listening socket, with a backlog sized for login storms: std's `TcpListener::bind` listens
//! with a backlog of 128, so 10,000 clients connecting at once overflow the accept queue and wait
//! out SYN retransmits (1 s, 3 s). The kernel caps the value at `net.core.somaxconn`.

use socket2::{Domain, Socket, Type};
use std::net::SocketAddr;

const BACKLOG: i32 = 4096;

pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // As std does on Unix: a restarted server can bind while old connections are in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;
    use std::time::Duration;

    /// 1,000 connections complete while nothing accepts: all sit in the accept queue. With std's
    /// backlog of 128 the rest would hang in SYN retransmits and time out.
    #[test]
    fn accept_queue_holds_a_storm() {
        let listener = super::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let clients: Vec<TcpStream> = (0..1000)
            .map(|i| {
                TcpStream::connect_timeout(&addr, Duration::from_millis(500))
                    .unwrap_or_else(|e| panic!("connection {i} not queued: {e}"))
            })
            .collect();
        assert_eq!(clients.len(), 1000);
    }
}
