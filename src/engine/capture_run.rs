//! One capture through the whole pipeline, streaming: memory grows with the
//! live flows, never with the file. The reader (capture + decode) feeds a
//! [`Dispatch`]: one shard on this thread, or several on worker threads
//! (`sharded`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::analysis::{AnalysisOutput, Analyzer};
use crate::capture::{self, CaptureItem, FrameSource, SharedChunk};
use crate::decode::{Decoder, Transport};
use crate::reassembly::SegmentMeta;
use crate::time::Timestamp;
use crate::tls::KeySource;

use super::EngineConfig;
use super::collect::Collector;
use super::events::{Tagged, feed};
use super::result::{CaptureResult, CaptureSummary, StageStats};
use super::shard::{Segment, Shard, ShardParts};

/// Decode errors listed in detail per capture (all are counted).
const MAX_DECODE_ERRORS_LISTED: usize = 20;
/// How often (in frames) idle flows are looked for and progress is published.
pub(crate) const HOUSEKEEPING_EVERY: u64 = 8192;

/// Where the reader sends what it decoded.
pub(crate) trait Dispatch {
    /// One frame's TCP segment or UDP datagram; `chunk` is the capture's
    /// read chunk when the frame lies in one that can be shared.
    fn segment(&mut self, seg: Segment<'_>, meta: SegmentMeta, chunk: Option<&SharedChunk>);
    /// Secrets from the capture (DSB) or a followed key log.
    fn secrets(&mut self, text: &[u8], source: KeySource);
    /// Periodic housekeeping after frame `meta`.
    fn housekeeping(&mut self, meta: SegmentMeta);
}

/// Opens and analyzes one capture file; errors become part of the result.
/// `threads` > 1 shards the capture's flows over that many workers.
pub fn analyze_capture(path: &Path, cfg: &EngineConfig, threads: usize) -> CaptureResult {
    match capture::open(path) {
        Ok(mut src) if threads > 1 => {
            super::sharded::analyze_sharded(path, src.as_mut(), cfg, threads)
        }
        Ok(mut src) => analyze_source(path, src.as_mut(), cfg),
        Err(e) => {
            let summary = CaptureSummary {
                path: path.display().to_string(),
                errors: vec![e.to_string()],
                unreadable: true,
                ..CaptureSummary::default()
            };
            CaptureResult {
                summary,
                ..CaptureResult::default()
            }
        }
    }
}

/// Events a single-threaded run of a file lets pile up before the analyzer
/// reads them. Analyzing a run of messages at a time instead of each as it
/// is parsed keeps the analysis code, and then the transport and parsing
/// code, in the instruction cache across the run. On the 101 MB TLS bench
/// capture with the release build, cachegrind's simulated L1i misses fell
/// from 52.9 M (920 a message) to 33.8 M and the time by 5.6 % (by 1.5-2 %
/// with the profile-guided build, whose layout already keeps hot code
/// together). The order the analyzer sees is the same (events are sorted
/// by their tags), as it is for a sharded run, whose analysis also lags
/// the parsing.
const DRAIN_EVENTS: usize = 128;

/// The single-threaded dispatch: one shard, events to the analyzer in runs.
struct Inline<'a, 'p> {
    shard: Shard<'a>,
    analyzer: Analyzer<'p>,
    collector: Collector,
    keys: &'a super::KeyMaterial,
    analysis_ns: Option<u64>,
    /// Events held before they go to the analyzer: [`DRAIN_EVENTS`], or 1
    /// when something watches events as they happen (live capture).
    drain_at: usize,
    /// The event buffer last fed, handed back to the shard for the next run.
    spare: Vec<Tagged>,
}

impl Inline<'_, '_> {
    fn drain(&mut self) {
        if self.shard.pending_events() > 0 {
            let t0 = self.analysis_ns.map(|_| Instant::now());
            // In tag order (sorted only when housekeeping left them out of it).
            let mut events = self.shard.take_events(std::mem::take(&mut self.spare));
            feed(&mut self.analyzer, &mut self.collector, events.iter_mut());
            events.clear();
            self.spare = events;
            if let (Some(ns), Some(t0)) = (&mut self.analysis_ns, t0) {
                *ns += t0.elapsed().as_nanos() as u64;
            }
        }
    }
}

impl Dispatch for Inline<'_, '_> {
    fn segment(&mut self, seg: Segment<'_>, meta: SegmentMeta, _: Option<&SharedChunk>) {
        self.shard.packet(seg, meta);
        if self.shard.pending_events() >= self.drain_at {
            self.drain();
        }
    }

    fn secrets(&mut self, text: &[u8], source: KeySource) {
        self.shard.secrets(text, source, self.keys);
    }

    fn housekeeping(&mut self, meta: SegmentMeta) {
        self.shard.housekeeping(meta);
        self.drain();
    }
}

/// Analyzes frames from any source (file or live) on this thread.
pub fn analyze_source(path: &Path, src: &mut dyn FrameSource, cfg: &EngineConfig) -> CaptureResult {
    let wall = Instant::now();
    let name: Arc<str> = Arc::from(path.display().to_string());
    let mut d = Inline {
        shard: Shard::new(name.clone(), cfg, 1),
        analyzer: Analyzer::new(&cfg.providers, cfg.analysis.clone()),
        collector: Collector::default(),
        keys: &cfg.keys,
        analysis_ns: cfg.stats.then_some(0),
        drain_at: if cfg.on_event.is_some() {
            1
        } else {
            DRAIN_EVENTS
        },
        spare: Vec::new(),
    };
    let (summary, last, mut stats) = read_capture(&name, src, cfg, &mut d);
    let Inline {
        shard,
        mut analyzer,
        mut collector,
        analysis_ns,
        ..
    } = d;
    stats.analysis_ns = analysis_ns.unwrap_or(0);
    // `finish` hands them over in tag order.
    let (parts, mut events) = shard.finish(last);
    feed(&mut analyzer, &mut collector, events.iter_mut());
    finalize(
        summary,
        vec![parts],
        collector,
        analyzer.finish(),
        stats,
        wall,
    )
}

/// Reads every item of `src`, decodes frames and hands them to `d`.
/// Returns the capture summary (without the flow counters), the last frame and reader timings.
pub(crate) fn read_capture<D: Dispatch + ?Sized>(
    name: &Arc<str>,
    src: &mut dyn FrameSource,
    cfg: &EngineConfig,
    d: &mut D,
) -> (CaptureSummary, SegmentMeta, StageStats) {
    let mut summary = CaptureSummary {
        path: name.to_string(),
        ..CaptureSummary::default()
    };
    let mut decoder = Decoder::new();
    let mut last = SegmentMeta {
        frame: 0,
        ts: Timestamp::default(),
    };
    let mut published = 0u64;
    let mut stats = StageStats::default();
    let timed = cfg.stats;
    let mut clock = timed.then(Instant::now);
    // With --stats, each stage's time is the clock's advance across its call.
    let mut lap = |slot: &mut u64| {
        if let Some(c) = &mut clock {
            let now = Instant::now();
            *slot += (now - *c).as_nanos() as u64;
            *c = now;
        }
    };
    loop {
        lap(&mut 0);
        let item = src.next_shared();
        lap(&mut stats.read_ns);
        let (item, chunk) = match item {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => {
                summary.errors.push(e.to_string());
                summary.unreadable = true;
                break;
            }
        };
        let frame = match item {
            CaptureItem::Frame(f) => f,
            CaptureItem::Secrets(s) => {
                if s.secrets_type == 0x544c_534b {
                    summary.secrets_blocks += 1;
                    d.secrets(s.data, KeySource::Dsb);
                } else if s.secrets_type == crate::live::FOLLOWED_KEYLOG {
                    d.secrets(s.data, KeySource::Keylog);
                } else {
                    summary.secrets_blocks += 1;
                    summary.errors.push(format!(
                        "{name}: decryption secrets block of unknown type 0x{:08x} ignored",
                        s.secrets_type
                    ));
                }
                continue;
            }
        };
        summary.frames += 1;
        summary.bytes += frame.data.len() as u64;
        if summary.start.is_none() {
            summary.start = Some(frame.ts);
        }
        summary.end = Some(frame.ts);
        let meta = SegmentMeta {
            frame: frame.number,
            ts: frame.ts,
        };
        last = meta;
        let decoded = decoder.decode(frame.link, frame.data, frame.ts);
        lap(&mut stats.decode_ns);
        match decoded {
            Ok(Some(pkt)) => match pkt.transport {
                Transport::Tcp(seg) => {
                    let s = SocketAddr::new(pkt.src, seg.src_port);
                    let t = SocketAddr::new(pkt.dst, seg.dst_port);
                    d.segment(Segment::Tcp(s, t, seg), meta, chunk);
                }
                Transport::Udp(dg) => {
                    let s = SocketAddr::new(pkt.src, dg.src_port);
                    let t = SocketAddr::new(pkt.dst, dg.dst_port);
                    d.segment(Segment::Udp(s, t, dg.payload), meta, chunk);
                }
                Transport::Other(_) => summary.frames_ignored += 1,
            },
            Ok(None) => summary.frames_ignored += 1,
            Err(e) => {
                summary.decode_errors += 1;
                if summary.decode_errors as usize <= MAX_DECODE_ERRORS_LISTED {
                    summary.errors.push(format!(
                        "{name}: frame {} at byte offset {}: {e}",
                        frame.number, frame.offset
                    ));
                }
            }
        }
        if summary.frames.is_multiple_of(HOUSEKEEPING_EVERY) {
            d.housekeeping(meta);
            let now = src.bytes_read();
            cfg.progress
                .fetch_add(now.saturating_sub(published), Ordering::Relaxed);
            published = now;
        }
    }
    cfg.progress.fetch_add(
        src.bytes_read().saturating_sub(published),
        Ordering::Relaxed,
    );
    if summary.decode_errors as usize > MAX_DECODE_ERRORS_LISTED {
        summary.errors.push(format!(
            "{name}: {} more frames with corrupt headers not listed",
            summary.decode_errors as usize - MAX_DECODE_ERRORS_LISTED
        ));
    }
    (summary, last, stats)
}

/// Merges shard counters and the collected records into the capture's result.
pub(crate) fn finalize(
    mut summary: CaptureSummary,
    parts: Vec<ShardParts>,
    mut collector: Collector,
    analysis: AnalysisOutput,
    mut stats: StageStats,
    wall: Instant,
) -> CaptureResult {
    let mut sip = super::SipCounts::default();
    for p in parts {
        summary.retransmitted_bytes += p.reassembly.bytes_retransmitted;
        summary.ooo_bytes_dropped += p.reassembly.ooo_bytes_dropped;
        summary.gap_bytes += p.gap_bytes;
        summary.tcp_flows += p.tcp_flows;
        summary.udp_flows += p.udp_flows;
        summary.keepalives += p.keepalives;
        summary.sip_garbage_bytes += p.garbage_bytes;
        stats.add(&p.stats);
        sip.add(&p.sip);
    }
    collector.analysis(analysis.im_sessions, analysis.presence, analysis.violations);
    let Collector {
        flows,
        sip_events,
        im_sessions,
        presence,
        violations,
        tally,
        ..
    } = collector;
    for e in [
        flows.error(),
        sip_events.error(),
        im_sessions.error(),
        presence.error(),
        violations.error(),
    ]
    .into_iter()
    .flatten()
    {
        summary
            .errors
            .push(format!("{}: report records lost: {e}", summary.path));
    }
    stats.wall_ns = wall.elapsed().as_nanos() as u64;
    CaptureResult {
        summary,
        flows,
        sip,
        im_sessions,
        presence,
        violations,
        notes: analysis.notes,
        transactions: analysis.transactions,
        sip_events,
        tally,
        stats,
    }
}
