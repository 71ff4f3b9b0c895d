//! The decoded form of a frame that the reassembly stage consumes.

use std::net::IpAddr;

/// TCP flags of a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
}

/// A TCP segment, payload borrowed.
#[derive(Clone, Copy, Debug)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Payload bytes (possibly fewer than on the wire if the frame was cut).
    pub payload: &'a [u8],
}

/// A UDP datagram, payload borrowed.
#[derive(Clone, Copy, Debug)]
pub struct UdpDatagram<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload bytes.
    pub payload: &'a [u8],
}

/// Transport layer of a packet.
#[derive(Clone, Copy, Debug)]
pub enum Transport<'a> {
    /// TCP.
    Tcp(TcpSegment<'a>),
    /// UDP.
    Udp(UdpDatagram<'a>),
    /// Another IP protocol, by number (ignored by the pipeline).
    Other(u8),
}

/// An IP packet with its transport layer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport.
    pub transport: Transport<'a>,
}

/// Why a frame could not be decoded; the byte offset is within the frame.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{layer} at frame byte {offset}: {reason}")]
pub struct DecodeError {
    /// The layer that failed ("ethernet", "ipv4", "tcp" ...).
    pub layer: &'static str,
    /// Offset of the failing header within the frame.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}
