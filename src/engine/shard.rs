//! A shard: the reassembler and application layer for the flows of one
//! capture that hash to it (all flows, when the capture is not sharded).

use std::net::SocketAddr;

use crate::decode::TcpSegment;
use crate::hash::addr_word;
use crate::reassembly::{ReassemblyStats, SegmentMeta, TcpReassembler};
use crate::tls::KeySource;

use super::app::App;
use super::events::Tagged;
use super::result::{SipCounts, StageStats};
use super::{EngineConfig, KeyMaterial};

/// What the transport layer handed over for one frame.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Segment<'a> {
    /// A TCP segment between two endpoints.
    Tcp(SocketAddr, SocketAddr, TcpSegment<'a>),
    /// A UDP datagram's payload between two endpoints.
    Udp(SocketAddr, SocketAddr, &'a [u8]),
}

impl Segment<'_> {
    /// A hash of the unordered endpoint pair: both directions of a flow agree.
    pub fn flow_hash(&self) -> u64 {
        let (a, b, proto) = match self {
            Segment::Tcp(s, d, _) => (s, d, 6u64),
            Segment::Udp(s, d, _) => (s, d, 17u64),
        };
        let (a, b) = (addr_word(a), addr_word(b));
        let mut h = proto.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for part in [a.min(b), a.max(b)] {
            for word in [part as u64, (part >> 64) as u64] {
                h = (h ^ word).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
            }
        }
        h ^ (h >> 32)
    }
}

/// Everything a shard produced, for the capture's result.
#[derive(Debug, Default)]
pub(crate) struct ShardParts {
    pub sip: SipCounts,
    pub reassembly: ReassemblyStats,
    pub tcp_flows: u64,
    pub udp_flows: u64,
    pub gap_bytes: u64,
    pub keepalives: u64,
    pub garbage_bytes: u64,
    pub stats: StageStats,
}

/// Reassembler plus application layer.
pub(crate) struct Shard<'a> {
    app: App<'a>,
    reasm: TcpReassembler,
    /// Time in `packet`/`housekeeping` (reassembly and everything above it), with `--stats`.
    stream_ns: Option<u64>,
}

impl<'a> Shard<'a> {
    /// A shard for capture `name`; `shards` divides the global buffering cap.
    pub fn new(name: std::sync::Arc<str>, cfg: &'a EngineConfig, shards: usize) -> Self {
        let mut rcfg = cfg.reassembly.clone();
        rcfg.max_ooo_total /= shards.max(1);
        let mut app = App::new(
            name,
            cfg.keys.store(),
            &cfg.providers,
            cfg.keep_sip_events,
            cfg.on_event.clone(),
        );
        if cfg.stats {
            app.timing = Some(StageStats::default());
        }
        Shard {
            app,
            reasm: TcpReassembler::new(rcfg),
            stream_ns: cfg.stats.then_some(0),
        }
    }

    /// Processes one frame's transport payload.
    pub fn packet(&mut self, seg: Segment<'_>, meta: SegmentMeta) {
        self.app.emitter().processing(meta.frame);
        let t0 = self.stream_ns.map(|_| std::time::Instant::now());
        match seg {
            Segment::Tcp(s, d, tcp) => self.reasm.segment(s, d, &tcp, meta, &mut self.app),
            Segment::Udp(s, d, payload) => self.app.udp(s, d, payload, meta),
        }
        if let (Some(ns), Some(t0)) = (&mut self.stream_ns, t0) {
            *ns += t0.elapsed().as_nanos() as u64;
        }
    }

    /// Periodic housekeeping after frame `meta`: idle flows end.
    pub fn housekeeping(&mut self, meta: SegmentMeta) {
        self.app.emitter().housekeeping(meta.frame);
        self.reasm.flush_idle(meta, &mut self.app);
    }

    /// Secrets found in the capture or a followed key log.
    pub fn secrets(&mut self, text: &[u8], source: KeySource, base: &KeyMaterial) {
        self.app.add_secrets(text, source, base);
    }

    /// Events emitted since the last call, in tag order; `spare` (an
    /// emptied buffer the merger handed back) collects the next ones, so a
    /// worker does not allocate and grow a fresh buffer every tick.
    pub fn take_events(&mut self, mut spare: Vec<Tagged>) -> Vec<Tagged> {
        spare.clear();
        let mut events = std::mem::replace(&mut self.app.emitter().out, spare);
        // Frame events come in tag order already; only housekeeping, which
        // visits flows in table order, can leave them out of order.
        if !events.is_sorted_by_key(|t| t.key) {
            events.sort_by_key(|t| t.key);
        }
        events
    }

    /// How many events are emitted and not yet taken.
    pub fn pending_events(&mut self) -> usize {
        self.app.emitter().out.len()
    }

    /// End of capture: every flow ends; returns the shard's results.
    pub fn finish(mut self, last: SegmentMeta) -> (ShardParts, Vec<Tagged>) {
        self.app.emitter().housekeeping(u64::MAX);
        self.reasm.finish(last, &mut self.app);
        self.app.finish_udp(last);
        let events = self.take_events(Vec::new());
        let app = self.app;
        let mut stats = app.timing.clone().unwrap_or_default();
        stats.reassembly_ns = self
            .stream_ns
            .unwrap_or(0)
            .saturating_sub(stats.tls_ns + stats.sip_ns);
        let parts = ShardParts {
            stats,
            reassembly: self.reasm.stats().clone(),
            tcp_flows: app.tcp_flows,
            udp_flows: app.udp_flows,
            gap_bytes: app.gap_bytes,
            keepalives: app.keepalives,
            garbage_bytes: app.garbage_bytes,
            sip: app.msgs.sip,
        };
        (parts, events)
    }
}
