//! Finding the record boundary again after bytes were lost: scan for a
//! plausible record header (content type 20–23, the negotiated record
//! version, a sane length), then confirm the candidate by decrypting it —
//! AEAD and CBC records carry a tag or MAC over the sequence number, so the
//! right sequence number is found by trying the explicit-nonce hint first
//! and then a bounded window after the last known one. Without a decryptor
//! a candidate is accepted when the next header follows it exactly.

use super::crypto::{PlainBuf, RecordDecryptor, RecordError};
use super::record::{CT_APPDATA, CT_CCS, HEADER_LEN, Header, header};

/// Fewest sequence numbers tried after a gap.
const MIN_WINDOW: u64 = 64;
/// Most sequence numbers tried after a gap (bounds the work on a huge gap).
const MAX_WINDOW: u64 = 4096;
/// Bytes of unconfirmed data kept before the oldest are dropped.
const MAX_SCAN_BUFFER: usize = 64 * 1024;

/// One direction's state while it looks for a record boundary.
#[derive(Default)]
pub(crate) struct Resync {
    /// Bytes received since the gap, not yet framed.
    pub buf: Vec<u8>,
    /// Where the next candidate search starts in `buf`.
    pub scan: usize,
    /// Bytes lost (the gap plus any partial record dropped with it).
    pub gap_bytes: u64,
}

impl Resync {
    /// Drops scanned bytes that can no longer start a record, keeping memory bounded.
    pub(crate) fn compact(&mut self) {
        if self.scan > MAX_SCAN_BUFFER / 2 || self.buf.len() > MAX_SCAN_BUFFER {
            let cut = self.scan.min(self.buf.len());
            self.buf.drain(..cut);
            self.scan -= cut;
        }
    }
}

/// What a candidate header must look like in this direction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Filter {
    /// Record version all records of the connection use, once known (0x0303 for TLS 1.3).
    pub version: Option<u16>,
    /// TLS 1.3 protected records: only opaque type 23.
    pub tls13: bool,
    /// Records are encrypted: at least 16 bytes (IV/nonce, tag or MAC).
    pub encrypted: bool,
}

impl Filter {
    /// Whether a parsed header fits.
    pub(crate) fn accepts(&self, h: &Header) -> bool {
        if self.version.is_some_and(|v| v != h.version) {
            return false;
        }
        if self.tls13 && h.content_type != CT_APPDATA {
            return false;
        }
        if self.encrypted && h.content_type != CT_CCS && h.len < 16 {
            return false;
        }
        true
    }
}

/// The first plausible header at or after `from`: its offset and header.
pub(crate) fn next_candidate(buf: &[u8], from: usize, filter: Filter) -> Option<(usize, Header)> {
    let end = buf.len().checked_sub(HEADER_LEN - 1)?;
    (from..end).find_map(|pos| {
        let h = header(&buf[pos..])?;
        filter.accepts(&h).then_some((pos, h))
    })
}

/// How many sequence numbers to try for a gap of `gap_bytes`.
pub(crate) fn window(gap_bytes: u64) -> u64 {
    (gap_bytes / 16).clamp(MIN_WINDOW, MAX_WINDOW)
}

/// Tries `hints` then `first..first + window` as the sequence number of the
/// record; on success the plaintext is in `out` and the sequence number and
/// real content type are returned. `None` when none verifies.
pub(crate) fn find_seq(
    dec: &mut RecordDecryptor,
    h: &Header,
    fragment: &[u8],
    first: u64,
    window: u64,
    hints: &[u64],
    out: &mut PlainBuf,
) -> Option<(u64, u8)> {
    let mut attempt = |seq: u64, out: &mut PlainBuf| {
        out.clear();
        match dec.try_decrypt_into(seq, h.content_type, h.version, fragment, out) {
            Ok(ct) => Some(Ok((seq, ct))),
            Err(RecordError::Unsupported) => Some(Err(())),
            Err(_) => None,
        }
    };
    let last = first.saturating_add(window);
    for &s in hints {
        if (first..=last).contains(&s) {
            match attempt(s, out) {
                Some(Ok(r)) => return Some(r),
                Some(Err(())) => return None,
                None => {}
            }
        }
    }
    for s in first..=last {
        if hints.contains(&s) {
            continue;
        }
        match attempt(s, out) {
            Some(Ok(r)) => return Some(r),
            Some(Err(())) => return None,
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_respect_the_filter() {
        let mut buf = vec![0x17, 0x17, 0x03, 0x01, 0x00, 0x20];
        buf.extend_from_slice(&[0x17, 0x03, 0x03, 0x00, 0x20]);
        let any = Filter {
            version: None,
            tls13: false,
            encrypted: true,
        };
        assert_eq!(next_candidate(&buf, 0, any).map(|c| c.0), Some(1));
        let v12 = Filter {
            version: Some(0x0303),
            ..any
        };
        assert_eq!(next_candidate(&buf, 0, v12).map(|c| c.0), Some(6));
        assert_eq!(next_candidate(&buf, 7, v12), None);
        assert_eq!(next_candidate(&buf[..3], 0, any), None);
        let short = [0x17, 0x03, 0x03, 0x00, 0x05];
        assert_eq!(next_candidate(&short, 0, v12), None);
    }

    #[test]
    fn window_is_bounded() {
        assert_eq!(window(0), 64);
        assert_eq!(window(16 * 100), 100);
        assert_eq!(window(u64::MAX), 4096);
    }

    #[test]
    fn compact_keeps_unscanned_bytes() {
        let mut r = Resync {
            buf: vec![0; MAX_SCAN_BUFFER + 10],
            scan: MAX_SCAN_BUFFER,
            gap_bytes: 0,
        };
        r.compact();
        assert_eq!(r.buf.len(), 10);
        assert_eq!(r.scan, 0);
    }
}
