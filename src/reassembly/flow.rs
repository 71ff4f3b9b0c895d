//! One TCP connection: its two halves, which end is the client, and the
//! lifecycle flags (FIN per direction, RST).

use std::net::SocketAddr;

use super::half::Half;
use super::sink::{Direction, FlowId};
use crate::time::Timestamp;

/// Ports on which the listening end of a mid-connection capture is recognised.
const SERVICE_PORTS: [u16; 4] = [5061, 5060, 443, 5062];

/// Decides which end is the server when the handshake was not seen:
/// a SIP/TLS service port first, else the lower port.
pub(crate) fn server_is_dst(src: SocketAddr, dst: SocketAddr) -> bool {
    let s = SERVICE_PORTS.contains(&src.port());
    let d = SERVICE_PORTS.contains(&dst.port());
    match (s, d) {
        (false, true) => true,
        (true, false) => false,
        _ => dst.port() <= src.port(),
    }
}

/// State of one connection.
pub(crate) struct Flow {
    /// Its id (the frame that opened it).
    pub id: FlowId,
    /// Client end.
    pub client: SocketAddr,
    /// Halves indexed by `Direction::index()`.
    pub halves: [Half; 2],
    /// Capture time of the last segment.
    pub last_ts: Timestamp,
}

impl Flow {
    /// The direction of a segment sent from `src`.
    pub fn direction(&self, src: SocketAddr) -> Direction {
        if src == self.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        }
    }

    /// Whether both directions have sent a FIN (delivered or not).
    pub fn both_fin_seen(&self) -> bool {
        self.halves.iter().all(|h| h.fin_at.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_port_decides_the_server_mid_connection() {
        let a: SocketAddr = "10.0.0.1:50123".parse().expect("addr");
        let b: SocketAddr = "10.0.0.2:5061".parse().expect("addr");
        assert!(server_is_dst(a, b));
        assert!(!server_is_dst(b, a));
        let c: SocketAddr = "10.0.0.3:7000".parse().expect("addr");
        assert!(server_is_dst(a, c));
        assert!(!server_is_dst(c, a));
    }
}
