//! What the engine hands the analyzer.

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;

use crate::reassembly::{Direction, FlowId, SegmentMeta};
use crate::sip::SipMessage;

/// How a flow's SIP travels (output-contract `transport`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// SIP over TLS over TCP.
    Tls,
    /// Plain SIP over TCP.
    Tcp,
    /// SIP over UDP.
    Udp,
}

/// A flow as the analyzer knows it.
#[derive(Clone, Debug)]
pub struct FlowContext {
    /// Capture file path as given on the command line.
    pub capture: Arc<str>,
    /// Flow id within the capture.
    pub id: FlowId,
    /// Transport (TLS is known once the first bytes are seen; TCP until then).
    pub transport: TransportKind,
    /// Client end.
    pub client: SocketAddr,
    /// Server end.
    pub server: SocketAddr,
}

/// One parsed SIP message with where it came from.
#[derive(Clone, Copy, Debug)]
pub struct SipEvent<'a> {
    /// Its flow.
    pub flow: &'a FlowContext,
    /// Direction within the flow.
    pub dir: Direction,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Frame of the first byte.
    pub first: SegmentMeta,
    /// Frame of the last byte (the message time is `last.ts`).
    pub last: SegmentMeta,
    /// The message.
    pub msg: &'a SipMessage,
}
