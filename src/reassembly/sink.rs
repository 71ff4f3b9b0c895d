//! What reassembly delivers, and to whom.

use std::net::SocketAddr;

use crate::time::Timestamp;

/// Identifies one connection within a capture (unique, never reused even on port reuse).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// Direction of data within a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the connection's client (SYN sender, or the non-service port).
    ToServer,
    /// From the server.
    ToClient,
}

impl Direction {
    /// 0 for ToServer, 1 for ToClient: an index into per-direction arrays.
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }

    /// The other direction.
    pub fn opposite(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

/// Where and when a piece of data was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentMeta {
    /// Frame number (1-based).
    pub frame: u64,
    /// Capture time.
    pub ts: Timestamp,
}

/// A new connection, as first seen.
#[derive(Clone, Debug)]
pub struct FlowInfo {
    /// Its id.
    pub id: FlowId,
    /// Client end (SYN sender; mid-connection: the end not on the service port).
    pub client: SocketAddr,
    /// Server end.
    pub server: SocketAddr,
    /// True when the three-way handshake was seen (not joined mid-connection).
    pub saw_syn: bool,
    /// First frame and time.
    pub first: SegmentMeta,
}

/// Why a flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// FIN seen in both directions.
    Fin,
    /// RST seen.
    Rst,
    /// No segment for the idle timeout.
    Idle,
    /// The capture ended with the flow open.
    EndOfCapture,
    /// A new connection (SYN with a new sequence number) reused the same addresses and ports.
    Reused,
}

/// Receives reassembled streams. Implemented by the engine.
pub trait StreamSink {
    /// A new connection.
    fn flow_opened(&mut self, info: &FlowInfo);
    /// In-order bytes in one direction; `meta` is the frame that carried them.
    fn data(&mut self, flow: FlowId, dir: Direction, data: &[u8], meta: SegmentMeta);
    /// `len` bytes are missing in `dir`; delivery resumes after them.
    fn gap(&mut self, flow: FlowId, dir: Direction, len: u64, meta: SegmentMeta);
    /// The connection ended; no more calls for `flow`.
    fn flow_closed(&mut self, flow: FlowId, reason: CloseReason, meta: SegmentMeta);
}
