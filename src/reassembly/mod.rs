//! TCP stream reassembly: both directions per connection, ordered delivery
//! despite reordering, retransmission, overlap and sequence wrap; gaps
//! reported and skipped; SYN/FIN/RST lifecycle; bounded buffering.

//!
//! Written by hand: no maintained crate does passive two-way reassembly with
//! gap reporting and zero-copy in-order delivery (the `pcap`/`etherparse`
//! ecosystem stops at headers; `smoltcp` is an endpoint stack, not an
//! observer). The shape follows Suricata's stream engine and Wireshark's
//! `tcp.reassemble_out_of_order`: deliver in order straight from the segment,
//! buffer only what arrives ahead, first copy wins on overlap.

mod flow;
mod half;
mod sink;
#[cfg(test)]
mod tests;

pub use sink::{CloseReason, Direction, FlowId, FlowInfo, SegmentMeta, StreamSink};

use crate::hash::{FastHashMap, addr_word};
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::time::Duration;

use crate::decode::TcpSegment;
use crate::time::Timestamp;
use flow::{Flow, server_is_dst};
use half::{Half, Placement};

/// Limits that keep reassembly memory bounded.
#[derive(Clone, Debug)]
pub struct ReassemblyConfig {
    /// Out-of-order bytes buffered per direction before the oldest hole is declared a gap.
    pub max_ooo_per_flow: usize,
    /// Out-of-order bytes buffered over all flows.
    pub max_ooo_total: usize,
    /// A flow with no segment for this long (capture time) is flushed and closed.
    pub idle_timeout: Duration,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            max_ooo_per_flow: 1 << 20,
            max_ooo_total: 32 << 20,
            idle_timeout: Duration::from_secs(600),
        }
    }
}

/// Counters the report shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Flows seen.
    pub flows: u64,
    /// Segments processed.
    pub segments: u64,
    /// Payload bytes delivered in order.
    pub bytes_delivered: u64,
    /// Retransmitted (already delivered) bytes discarded.
    pub bytes_retransmitted: u64,
    /// Gaps declared.
    pub gaps: u64,
    /// Bytes missing in gaps.
    pub gap_bytes: u64,
    /// Out-of-order bytes dropped because a cap was reached.
    pub ooo_bytes_dropped: u64,
}

/// How long a closed connection's addresses are remembered, so late
/// retransmissions do not open a phantom connection (about 2 x MSL).
const TIME_WAIT: Duration = Duration::from_secs(120);

/// A gap larger than this implied by an acknowledgment is taken as a bogus ACK, not loss.
const MAX_ACK_GAP: u64 = 1 << 30;

/// The addresses of both ends, the smaller `addr_word` first: one key for both directions.
/// Hashed as two numbers (`addr_word`), not field by field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct FlowKey(SocketAddr, SocketAddr);

impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u128(addr_word(&self.0));
        h.write_u128(addr_word(&self.1));
    }
}

/// A recently closed connection.
struct Tombstone {
    /// When it closed.
    ts: Timestamp,
    /// Its client end.
    client: SocketAddr,
    /// Sequence numbers of offset 0 per direction.
    bases: [Option<u32>; 2],
}

/// Reassembles all TCP connections of one capture.
pub struct TcpReassembler {
    config: ReassemblyConfig,
    stats: ReassemblyStats,
    flows: FastHashMap<FlowKey, Flow>,
    closed: FastHashMap<FlowKey, Tombstone>,
    ooo_total: usize,
}

/// What one call may change besides the flow: counters, the global buffer total, the sink.
/// Generic over the sink so each delivered piece is a static call, not a `dyn` one.
struct Ctx<'a, S: StreamSink + ?Sized> {
    config: &'a ReassemblyConfig,
    stats: &'a mut ReassemblyStats,
    ooo_total: &'a mut usize,
    sink: &'a mut S,
}

impl<S: StreamSink + ?Sized> Ctx<'_, S> {
    /// Delivers every buffered piece that is now contiguous.
    fn drain(&mut self, id: FlowId, dir: Direction, h: &mut Half) {
        while let Some((start, piece)) = h.pop_ready() {
            *self.ooo_total -= piece.data.len();
            let end = start + piece.data.len() as u64;
            if end <= h.next {
                self.stats.bytes_retransmitted += piece.data.len() as u64;
                continue;
            }
            let skip = (h.next - start) as usize;
            self.stats.bytes_retransmitted += skip as u64;
            self.sink.data(id, dir, &piece.data[skip..], piece.meta);
            self.stats.bytes_delivered += (piece.data.len() - skip) as u64;
            h.next = end;
        }
    }

    /// Declares a gap up to `to` (if beyond the delivery point) and delivers what follows.
    fn gap_to(&mut self, id: FlowId, dir: Direction, h: &mut Half, to: u64, meta: SegmentMeta) {
        if to > h.next {
            let len = to - h.next;
            self.sink.gap(id, dir, len, meta);
            self.stats.gaps += 1;
            self.stats.gap_bytes += len;
            h.remember_gap(h.next, to);
            h.next = to;
        }
        self.drain(id, dir, h);
    }

    /// Gives up on the oldest hole: a gap up to the first buffered piece.
    fn skip_oldest_hole(&mut self, id: FlowId, dir: Direction, h: &mut Half, meta: SegmentMeta) {
        if let Some(first) = h.first_buffered() {
            self.gap_to(id, dir, h, first, meta);
        }
    }

    /// Payload at stream offset `off`.
    fn data(
        &mut self,
        id: FlowId,
        dir: Direction,
        h: &mut Half,
        off: u64,
        payload: &[u8],
        meta: SegmentMeta,
    ) {
        let len = payload.len() as u64;
        match h.place(off, payload.len()) {
            Placement::Old => {
                let late = h.late_into_gaps(off, off + len);
                self.stats.ooo_bytes_dropped += late;
                self.stats.bytes_retransmitted += len - late;
            }
            Placement::Deliver { skip } => {
                self.stats.bytes_retransmitted += skip as u64;
                let end = off + len;
                // Deliver up to the next buffered piece: bytes that arrived earlier win.
                while h.next < end {
                    let upto = h.first_buffered().map_or(end, |b| b.clamp(h.next, end));
                    if upto > h.next {
                        let from = (h.next - off) as usize;
                        let to = (upto - off) as usize;
                        self.sink.data(id, dir, &payload[from..to], meta);
                        self.stats.bytes_delivered += (to - from) as u64;
                        h.next = upto;
                    }
                    let before = h.next;
                    self.drain(id, dir, h);
                    self.stats.bytes_retransmitted += h.next.min(end) - before;
                    if h.next == before && upto >= end {
                        break;
                    }
                }
                // No drain here: every pass of the loop ends with one, which
                // leaves nothing ready, and nothing is buffered after it.
            }
            Placement::Ahead { offset } => {
                let (added, held) = h.buffer(offset, payload, meta);
                *self.ooo_total += added;
                self.stats.bytes_retransmitted += held as u64;
                while h.ooo_bytes > 0
                    && (h.ooo_bytes > self.config.max_ooo_per_flow
                        || *self.ooo_total > self.config.max_ooo_total)
                {
                    self.skip_oldest_hole(id, dir, h, meta);
                }
            }
        }
    }

    /// Delivers everything buffered, with gaps for the holes, and reports bytes the
    /// peer acknowledged that the capture never showed.
    fn flush(&mut self, id: FlowId, dir: Direction, h: &mut Half, meta: SegmentMeta) {
        while h.first_buffered().is_some() {
            self.skip_oldest_hole(id, dir, h, meta);
        }
        if let Some(acked) = h.acked {
            let end = h.fin_at.map_or(acked, |f| acked.min(f));
            if end > h.next && end - h.next <= MAX_ACK_GAP {
                self.gap_to(id, dir, h, end, meta);
            }
        }
    }

    /// Ends a flow: flush both directions, then tell the sink.
    fn close(&mut self, flow: &mut Flow, reason: CloseReason, meta: SegmentMeta) {
        let [a, b] = &mut flow.halves;
        self.flush(flow.id, Direction::ToServer, a, meta);
        self.flush(flow.id, Direction::ToClient, b, meta);
        self.sink.flow_closed(flow.id, reason, meta);
    }
}

/// The key for a pair of ends, in the order of their `addr_word`s (one
/// comparison of two numbers, not `SocketAddr`'s field by field).
fn key(a: SocketAddr, b: SocketAddr) -> FlowKey {
    if addr_word(&a)
        .cmp(&addr_word(&b))
        .then_with(|| a.cmp(&b))
        .is_le()
    {
        FlowKey(a, b)
    } else {
        FlowKey(b, a)
    }
}

impl TcpReassembler {
    /// A reassembler with the given limits.
    pub fn new(config: ReassemblyConfig) -> Self {
        TcpReassembler {
            config,
            stats: ReassemblyStats::default(),
            flows: FastHashMap::default(),
            closed: FastHashMap::default(),
            ooo_total: 0,
        }
    }

    /// Splits the borrow: the context for calls into halves and the sink.
    fn ctx<'a, S: StreamSink + ?Sized>(
        config: &'a ReassemblyConfig,
        stats: &'a mut ReassemblyStats,
        ooo_total: &'a mut usize,
        sink: &'a mut S,
    ) -> Ctx<'a, S> {
        Ctx {
            config,
            stats,
            ooo_total,
            sink,
        }
    }

    /// Ends the flow under `k` and remembers it for late retransmissions.
    fn close<S: StreamSink + ?Sized>(
        &mut self,
        k: FlowKey,
        reason: CloseReason,
        meta: SegmentMeta,
        sink: &mut S,
    ) {
        let Some(mut flow) = self.flows.remove(&k) else {
            return;
        };
        let mut cx = Self::ctx(&self.config, &mut self.stats, &mut self.ooo_total, sink);
        cx.close(&mut flow, reason, meta);
        if reason != CloseReason::EndOfCapture {
            self.closed.insert(
                k,
                Tombstone {
                    ts: meta.ts,
                    client: flow.client,
                    bases: [flow.halves[0].base, flow.halves[1].base],
                },
            );
        }
    }

    /// Feeds one segment; in-order data, gaps and lifecycle go to `sink`.
    pub fn segment<S: StreamSink + ?Sized>(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        seg: &TcpSegment<'_>,
        meta: SegmentMeta,
        sink: &mut S,
    ) {
        self.stats.segments += 1;
        let k = key(src, dst);
        let f = seg.flags;
        let payload = seg.payload;
        let data_seq = if f.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };

        // Port reuse: a client SYN with a new sequence number on a live connection.
        if f.syn
            && !f.ack
            && let Some(flow) = self.flows.get(&k)
        {
            let h = &flow.halves[flow.direction(src).index()];
            if h.base.is_some_and(|b| b != data_seq) {
                self.close(k, CloseReason::Reused, meta, sink);
                self.closed.remove(&k);
            }
        }

        // One lookup: the live flow, or a new one.
        let flow = match self.flows.entry(k) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                // A connection that closed recently (never also live): late segments are
                // retransmissions, a SYN with a new sequence number starts a new connection.
                if let Some(t) = self.closed.get(&k) {
                    let dir = if src == t.client { 0 } else { 1 };
                    if f.syn && t.bases[dir] != Some(data_seq) {
                        self.closed.remove(&k);
                    } else {
                        self.stats.bytes_retransmitted += payload.len() as u64;
                        return;
                    }
                }
                if !(f.syn || f.fin || !payload.is_empty()) || f.rst {
                    return; // a bare ACK or RST of a connection never seen carries nothing
                }
                let client = if f.syn && !f.ack {
                    src
                } else if f.syn || !server_is_dst(src, dst) {
                    dst
                } else {
                    src
                };
                let server = if client == src { dst } else { src };
                let id = FlowId(meta.frame);
                sink.flow_opened(&FlowInfo {
                    id,
                    client,
                    server,
                    saw_syn: f.syn,
                    first: meta,
                });
                self.stats.flows += 1;
                v.insert(Flow {
                    id,
                    client,
                    halves: [Half::default(), Half::default()],
                    last_ts: meta.ts,
                })
            }
        };
        flow.last_ts = flow.last_ts.max(meta.ts);
        let dir = flow.direction(src);
        let id = flow.id;
        let mut cx = Self::ctx(&self.config, &mut self.stats, &mut self.ooo_total, sink);
        {
            let (h, other) = match dir {
                Direction::ToServer => {
                    let [a, b] = &mut flow.halves;
                    (a, b)
                }
                Direction::ToClient => {
                    let [a, b] = &mut flow.halves;
                    (b, a)
                }
            };
            if h.base.is_none() && (f.syn || f.fin || !payload.is_empty()) {
                h.base = Some(data_seq);
            }
            if !payload.is_empty() {
                match h.offset(data_seq) {
                    Some(off) => cx.data(id, dir, h, off, payload, meta),
                    None => cx.stats.bytes_retransmitted += payload.len() as u64,
                }
            }
            if f.fin && h.fin_at.is_none() {
                h.fin_at = h.offset(data_seq).map(|o| o + payload.len() as u64);
            }
            if f.ack
                && !f.rst
                && let Some(a) = other.offset(seg.ack)
            {
                other.acked = Some(other.acked.map_or(a, |x| x.max(a)));
                // The peer has what the capture is missing: stop waiting for it.
                if let Some(first) = other.first_buffered()
                    && first <= a
                    && a - other.next <= MAX_ACK_GAP
                {
                    cx.gap_to(id, dir.opposite(), other, first, meta);
                }
            }
        }
        let fin_both = flow.both_fin_seen();
        if f.rst {
            self.close(k, CloseReason::Rst, meta, sink);
        } else if fin_both {
            self.close(k, CloseReason::Fin, meta, sink);
        }
    }

    /// Flushes and closes flows idle since before `meta.ts - idle_timeout`.
    pub fn flush_idle<S: StreamSink + ?Sized>(&mut self, meta: SegmentMeta, sink: &mut S) {
        let idle = Timestamp(self.config.idle_timeout.as_nanos().min(i64::MAX as u128) as i64);
        let cutoff = Timestamp(meta.ts.0.saturating_sub(idle.0));
        let mut expired: Vec<(FlowId, FlowKey)> = self
            .flows
            .iter()
            .filter(|(_, f)| f.last_ts < cutoff)
            .map(|(k, f)| (f.id, *k))
            .collect();
        expired.sort();
        for (_, k) in expired {
            self.close(k, CloseReason::Idle, meta, sink);
        }
        let tw = TIME_WAIT.as_nanos() as i64;
        self.closed
            .retain(|_, t| t.ts.0 >= meta.ts.0.saturating_sub(tw));
    }

    /// End of capture: flushes what can be delivered and closes every flow.
    pub fn finish<S: StreamSink + ?Sized>(&mut self, meta: SegmentMeta, sink: &mut S) {
        let mut all: Vec<(FlowId, FlowKey)> = self.flows.iter().map(|(k, f)| (f.id, *k)).collect();
        all.sort();
        for (_, k) in all {
            self.close(k, CloseReason::EndOfCapture, meta, sink);
        }
        self.closed.clear();
    }

    /// Connections currently open.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReassemblyStats {
        &self.stats
    }
}
