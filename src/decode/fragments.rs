//! IP fragment reassembly (IPv4 and IPv6), bounded: at most
//! [`MAX_PENDING_BYTES`] held over all datagrams, datagrams expire after
//! [`EXPIRY_NS`] of capture time, and overlapping fragments keep the bytes
//! that arrived first (as most stacks do).

use crate::hash::FastHashMap;
use std::net::IpAddr;

use crate::time::Timestamp;

/// Bytes of incomplete datagrams held at most.
pub(crate) const MAX_PENDING_BYTES: usize = 8 << 20;
/// A datagram not completed within this much capture time is dropped.
pub(crate) const EXPIRY_NS: i64 = 30_000_000_000;
/// Largest reassembled datagram (IPv4 total length limit).
const MAX_DATAGRAM: usize = 65_535;

/// Identifies one datagram's fragments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub id: u32,
}

#[derive(Default)]
struct Pending {
    data: Vec<u8>,
    /// Byte ranges filled, sorted and merged.
    have: Vec<(usize, usize)>,
    /// Known once the last fragment arrived.
    total: Option<usize>,
    first_seen: Timestamp,
}

impl Pending {
    fn add(&mut self, offset: usize, bytes: &[u8]) {
        let end = offset + bytes.len();
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        // Copy only the parts not already filled (first arrival wins).
        let mut pos = offset;
        for &(s, e) in &self.have {
            if e <= pos || s >= end {
                continue;
            }
            if s > pos {
                self.data[pos..s].copy_from_slice(&bytes[pos - offset..s - offset]);
            }
            pos = pos.max(e);
        }
        if pos < end {
            self.data[pos..end].copy_from_slice(&bytes[pos - offset..]);
        }
        self.have.push((offset, end));
        self.have.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.have.len());
        for (s, e) in self.have.drain(..) {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }

    fn complete(&self) -> bool {
        matches!((self.total, self.have.as_slice()), (Some(t), [(0, e)]) if *e >= t)
    }
}

/// Counters for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FragmentStats {
    /// Datagrams reassembled.
    pub reassembled: u64,
    /// Datagrams dropped (expired, too large, or over the memory cap).
    pub dropped: u64,
}

/// Holds fragments until their datagram is whole.
#[derive(Default)]
pub(crate) struct Defragmenter {
    pending: FastHashMap<FragKey, Pending>,
    held: usize,
    last_sweep: Timestamp,
    pub stats: FragmentStats,
}

impl Defragmenter {
    /// Adds a fragment (`offset` in bytes, `more` = more fragments follow).
    /// Returns the whole payload once every byte is there.
    pub fn add(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        bytes: &[u8],
        ts: Timestamp,
    ) -> Option<Vec<u8>> {
        self.sweep(ts);
        let end = offset + bytes.len();
        if end > MAX_DATAGRAM || self.held + bytes.len() > MAX_PENDING_BYTES {
            if self.pending.remove(&key).is_some() {
                self.stats.dropped += 1;
            }
            self.recount();
            return None;
        }
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            first_seen: ts,
            ..Default::default()
        });
        p.add(offset, bytes);
        if !more {
            p.total = Some(end);
        }
        self.held += bytes.len();
        if p.complete() {
            let mut done = self.pending.remove(&key)?;
            let total = done.total.unwrap_or(done.data.len());
            done.data.truncate(total);
            self.stats.reassembled += 1;
            self.recount();
            return Some(done.data);
        }
        None
    }

    fn recount(&mut self) {
        self.held = self.pending.values().map(|p| p.data.len()).sum();
    }

    fn sweep(&mut self, now: Timestamp) {
        if now.0 - self.last_sweep.0 < 1_000_000_000 {
            return;
        }
        self.last_sweep = now;
        let before = self.pending.len();
        self.pending
            .retain(|_, p| now.0 - p.first_seen.0 < EXPIRY_NS);
        self.stats.dropped += (before - self.pending.len()) as u64;
        self.recount();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FragKey {
        FragKey {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            proto: 6,
            id: 7,
        }
    }

    #[test]
    fn reassembles_out_of_order_and_overlapping() {
        let mut d = Defragmenter::default();
        let whole: Vec<u8> = (0..100u8).collect();
        let t = Timestamp(5);
        assert_eq!(d.add(key(), 64, false, &whole[64..], t), None);
        assert_eq!(d.add(key(), 0, true, &whole[..40], t), None);
        let got = d.add(key(), 32, true, &whole[32..72], t);
        assert_eq!(got.as_deref(), Some(&whole[..]));
        assert_eq!(d.stats.reassembled, 1);
    }

    #[test]
    fn first_arrival_wins_on_overlap() {
        let mut d = Defragmenter::default();
        let t = Timestamp(0);
        assert_eq!(d.add(key(), 0, true, &[1; 16], t), None);
        let got = d.add(key(), 8, false, &[2; 16], t);
        let mut want = vec![1u8; 16];
        want.extend_from_slice(&[2; 8]);
        assert_eq!(got, Some(want));
    }

    #[test]
    fn expires_and_bounds() {
        let mut d = Defragmenter::default();
        assert_eq!(d.add(key(), 0, true, &[1; 8], Timestamp(0)), None);
        let later = Timestamp(EXPIRY_NS + 2_000_000_000);
        assert_eq!(
            d.add(key(), 8, false, &[1; 8], later),
            None,
            "the first fragment expired"
        );
        assert_eq!(d.stats.dropped, 1);
        assert_eq!(
            d.add(key(), 65_530, false, &[0; 10], later),
            None,
            "too large"
        );
    }
}
