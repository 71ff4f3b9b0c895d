//! The items a capture source yields.

use crate::time::Timestamp;

/// Link-layer type of a frame, from the pcap LINKTYPE_ / DLT_ number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// LINKTYPE_NULL (0): BSD loopback, 4-byte host-order address family.
    Null,
    /// LINKTYPE_ETHERNET (1).
    Ethernet,
    /// LINKTYPE_RAW (101) or DLT_RAW (12/14): an IPv4 or IPv6 packet.
    Raw,
    /// LINKTYPE_LOOP (108): OpenBSD loopback, network-order address family.
    Loop,
    /// LINKTYPE_LINUX_SLL (113).
    LinuxSll,
    /// LINKTYPE_IPV4 (228).
    Ipv4,
    /// LINKTYPE_IPV6 (229).
    Ipv6,
    /// LINKTYPE_LINUX_SLL2 (276).
    LinuxSll2,
    /// Anything else, by number.
    Other(u32),
}

impl LinkType {
    /// Maps a pcap/pcapng link-type number to a [`LinkType`].
    pub fn from_number(n: u32) -> LinkType {
        match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Other(other),
        }
    }
}

/// One captured frame, borrowed from the reader.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// 1-based frame number, as Wireshark counts it (all interfaces together).
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Link-layer type of `data`.
    pub link: LinkType,
    /// Captured bytes (possibly fewer than `orig_len`).
    pub data: &'a [u8],
    /// Original length on the wire.
    pub orig_len: u32,
    /// Byte offset of the record in the (decompressed) file, for error messages.
    pub offset: u64,
}

/// TLS secrets embedded in a pcapng Decryption Secrets Block.
#[derive(Clone, Copy, Debug)]
pub struct SecretsBlock<'a> {
    /// Secrets type (0x544c534b = TLS key log).
    pub secrets_type: u32,
    /// The secrets, for TLS an NSS key-log text.
    pub data: &'a [u8],
}

/// What a capture source yields.
#[derive(Clone, Copy, Debug)]
pub enum CaptureItem<'a> {
    /// A captured frame.
    Frame(Frame<'a>),
    /// Embedded decryption secrets (pcapng DSB), in file order.
    Secrets(SecretsBlock<'a>),
}
