//! One direction of a TCP connection: sequence numbers unwrapped to 64-bit
//! stream offsets, in-order delivery straight from the segment (zero-copy),
//! out-of-order segments buffered by offset with "first copy wins" on
//! overlap, and gaps declared when a hole will not be filled.

use std::collections::BTreeMap;

use super::sink::SegmentMeta;

/// Where one piece of a segment goes.
pub(crate) enum Placement {
    /// Entirely before the delivery point: already delivered (or given up).
    Old,
    /// Starts at or before the delivery point: deliver from `skip` bytes in.
    Deliver { skip: usize },
    /// Starts beyond the delivery point: buffer it at `offset`.
    Ahead { offset: u64 },
}

/// A buffered out-of-order piece.
pub(crate) struct Piece {
    /// The bytes.
    pub data: Vec<u8>,
    /// The segment that carried them.
    pub meta: SegmentMeta,
}

/// The last few ranges given up as gaps, so late arrivals into them are counted as dropped.
const GAP_MEMORY: usize = 8;

/// Reassembly state of one direction.
#[derive(Default)]
pub(crate) struct Half {
    /// Sequence number of stream offset 0 (ISN + 1, or the first segment's sequence number mid-connection).
    pub base: Option<u32>,
    /// Offset of the next byte to deliver.
    pub next: u64,
    /// Buffered pieces beyond `next`, keyed by start offset, never overlapping each other.
    pub ooo: BTreeMap<u64, Piece>,
    /// Bytes held in `ooo`.
    pub ooo_bytes: usize,
    /// Offset of the FIN, once seen.
    pub fin_at: Option<u64>,
    /// Highest offset the peer acknowledged.
    pub acked: Option<u64>,
    /// Recent gap ranges `[start, end)`.
    pub gaps: Vec<(u64, u64)>,
}

impl Half {
    /// Unwraps a 32-bit sequence number to the stream offset nearest the delivery point.
    /// Negative results (data from before the capture's first segment) come back as `None`.
    pub fn offset(&self, seq: u32) -> Option<u64> {
        let base = self.base?;
        let rel = seq.wrapping_sub(base);
        let delta = rel.wrapping_sub(self.next as u32) as i32 as i64;
        let off = self.next as i64 + delta;
        (off >= 0).then_some(off as u64)
    }

    /// Where a segment of `len` bytes at `offset` goes.
    pub fn place(&self, offset: u64, len: usize) -> Placement {
        let end = offset + len as u64;
        if end <= self.next {
            Placement::Old
        } else if offset <= self.next {
            Placement::Deliver {
                skip: (self.next - offset) as usize,
            }
        } else {
            Placement::Ahead { offset }
        }
    }

    /// Bytes of `[start, end)` that fall inside a remembered gap.
    pub fn late_into_gaps(&self, start: u64, end: u64) -> u64 {
        self.gaps
            .iter()
            .map(|&(gs, ge)| end.min(ge).saturating_sub(start.max(gs)))
            .sum()
    }

    /// Records a declared gap.
    pub fn remember_gap(&mut self, start: u64, end: u64) {
        if self.gaps.len() == GAP_MEMORY {
            self.gaps.remove(0);
        }
        self.gaps.push((start, end));
    }

    /// Buffers `data` at `offset` (> `next`), keeping only bytes no earlier piece holds.
    /// Returns (bytes newly buffered, bytes already held).
    pub fn buffer(&mut self, offset: u64, data: &[u8], meta: SegmentMeta) -> (usize, usize) {
        let end = offset + data.len() as u64;
        // Uncovered sub-ranges of [offset, end), found against the pieces that overlap it.
        let mut cursor = offset;
        let mut fresh: Vec<(u64, u64)> = Vec::new();
        let first_key = self
            .ooo
            .range(..offset)
            .next_back()
            .filter(|(s, p)| *s + p.data.len() as u64 > offset)
            .map(|(s, _)| *s)
            .unwrap_or(offset);
        for (&s, p) in self.ooo.range(first_key..end) {
            let e = s + p.data.len() as u64;
            if s > cursor {
                fresh.push((cursor, s.min(end)));
            }
            cursor = cursor.max(e);
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            fresh.push((cursor, end));
        }
        let mut added = 0;
        for (s, e) in fresh {
            let piece = &data[(s - offset) as usize..(e - offset) as usize];
            added += piece.len();
            self.ooo.insert(
                s,
                Piece {
                    data: piece.to_vec(),
                    meta,
                },
            );
        }
        self.ooo_bytes += added;
        (added, data.len() - added)
    }

    /// Removes and returns the first buffered piece if it starts at or before `next`.
    pub fn pop_ready(&mut self) -> Option<(u64, Piece)> {
        let (&start, _) = self.ooo.iter().next()?;
        if start > self.next {
            return None;
        }
        let piece = self.ooo.remove(&start)?;
        self.ooo_bytes -= piece.data.len();
        Some((start, piece))
    }

    /// Start offset of the first buffered piece.
    pub fn first_buffered(&self) -> Option<u64> {
        self.ooo.keys().next().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn meta(frame: u64) -> SegmentMeta {
        SegmentMeta {
            frame,
            ts: Timestamp(0),
        }
    }

    #[test]
    fn offsets_unwrap_across_the_32_bit_boundary() {
        let h = Half {
            base: Some(u32::MAX - 9),
            next: 5,
            ..Half::default()
        };
        assert_eq!(h.offset(u32::MAX - 4), Some(5));
        assert_eq!(h.offset(20), Some(30));
        // Before the first byte seen mid-connection.
        assert_eq!(h.offset(u32::MAX - 20), None);
        let far = Half {
            base: Some(0),
            next: (1 << 32) + 100,
            ..Half::default()
        };
        assert_eq!(far.offset(150), Some((1 << 32) + 150));
        assert_eq!(far.offset(50), Some((1 << 32) + 50));
    }

    #[test]
    fn buffering_keeps_the_first_copy_of_overlapping_bytes() {
        let mut h = Half {
            base: Some(0),
            ..Half::default()
        };
        assert_eq!(h.buffer(10, b"AAAAA", meta(1)), (5, 0));
        assert_eq!(h.buffer(20, b"BBBBB", meta(2)), (5, 0));
        // Covers 8..27: new bytes only at 8..10, 15..20, 25..27.
        assert_eq!(h.buffer(8, b"xxyyyyyyyyyyyyyyyyy", meta(3)), (9, 10));
        let pieces: Vec<(u64, Vec<u8>)> = h.ooo.iter().map(|(s, p)| (*s, p.data.clone())).collect();
        assert_eq!(
            pieces,
            vec![
                (8, b"xx".to_vec()),
                (10, b"AAAAA".to_vec()),
                (15, b"yyyyy".to_vec()),
                (20, b"BBBBB".to_vec()),
                (25, b"yy".to_vec()),
            ]
        );
        assert_eq!(h.ooo_bytes, 19);
        // Entirely inside an existing piece.
        assert_eq!(h.buffer(11, b"zz", meta(4)), (0, 2));
    }

    #[test]
    fn placement_and_gap_memory() {
        let mut h = Half {
            base: Some(0),
            next: 100,
            ..Half::default()
        };
        assert!(matches!(h.place(50, 50), Placement::Old));
        assert!(matches!(h.place(90, 20), Placement::Deliver { skip: 10 }));
        assert!(matches!(h.place(101, 5), Placement::Ahead { offset: 101 }));
        h.remember_gap(60, 80);
        assert_eq!(h.late_into_gaps(70, 90), 10);
        for i in 0..GAP_MEMORY as u64 + 2 {
            h.remember_gap(i * 1000, i * 1000 + 1);
        }
        assert_eq!(h.gaps.len(), GAP_MEMORY);
    }
}
