//! Stream framing of SIP messages: Content-Length (and compact `l:`),
//! CRLF / CRLFCRLF keep-alives, several messages per segment, one message
//! across many segments, resynchronisation to the next start line after garbage.

use crate::reassembly::SegmentMeta;

/// A complete message's bytes with the frames that carried it.
#[derive(Clone, Copy, Debug)]
pub struct RawMessage<'a> {
    /// Start line through the end of the body.
    pub bytes: &'a [u8],
    /// Frame that carried the first byte.
    pub first: SegmentMeta,
    /// Frame that carried the last byte.
    pub last: SegmentMeta,
}

/// Framing counters for one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FramerStats {
    /// Messages framed.
    pub messages: u64,
    /// CRLF / CRLFCRLF keep-alives skipped.
    pub keepalives: u64,
    /// Bytes skipped while resynchronising after garbage.
    pub garbage_bytes: u64,
    /// Times resynchronisation happened.
    pub resyncs: u64,
}

/// Frames SIP messages out of one direction of a byte stream.
#[derive(Default)]
pub struct SipFramer {
    stats: FramerStats,
}

impl SipFramer {
    /// An empty framer.
    pub fn new() -> Self {
        SipFramer::default()
    }

    /// Appends stream bytes carried by `meta`; calls `out` for every complete message.
    pub fn push(&mut self, data: &[u8], meta: SegmentMeta, out: &mut dyn FnMut(RawMessage<'_>)) {
        let _ = (data, meta, out);
    }

    /// Bytes were lost: drop any partial message and resynchronise on the next start line.
    pub fn gap(&mut self) {}

    /// Counters so far.
    pub fn stats(&self) -> &FramerStats {
        &self.stats
    }

    /// Bytes held waiting for the rest of a message (reported at end of flow).
    pub fn pending(&self) -> usize {
        0
    }
}
