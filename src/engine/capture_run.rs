//! One capture through the whole pipeline, streaming: memory grows with the
//! live flows, never with the file.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::analysis::Analyzer;
use crate::capture::{self, CaptureItem, FrameSource};
use crate::decode::{Decoder, Transport};
use crate::reassembly::{SegmentMeta, TcpReassembler};
use crate::time::Timestamp;
use crate::tls::KeySource;

use super::EngineConfig;
use super::app::{App, Keys, MessageSink};
use super::result::{CaptureResult, CaptureSummary};

/// Decode errors listed in detail per capture (all are counted).
const MAX_DECODE_ERRORS_LISTED: usize = 20;
/// How often (in frames) idle flows are looked for and progress is published.
const HOUSEKEEPING_EVERY: u64 = 8192;

/// Opens and analyzes one capture file; errors become part of the result.
pub fn analyze_capture(path: &Path, cfg: &EngineConfig) -> CaptureResult {
    match capture::open(path) {
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

/// Analyzes frames from any source (file or live) named `path`.
pub fn analyze_source(path: &Path, src: &mut dyn FrameSource, cfg: &EngineConfig) -> CaptureResult {
    let wall = Instant::now();
    let name: Arc<str> = Arc::from(path.display().to_string());
    let mut summary = CaptureSummary {
        path: name.to_string(),
        ..CaptureSummary::default()
    };
    let analyzer = Analyzer::new(&cfg.providers, cfg.analysis.clone());
    let msgs = MessageSink {
        analyzer,
        providers: &cfg.providers,
        sip: Default::default(),
        events: cfg.keep_sip_events.then(Vec::new),
        capture: name.clone(),
        hook: cfg.on_event.clone(),
    };
    let mut app = App::new(name.clone(), Keys::Shared(cfg.keys.store()), &cfg.providers, msgs);
    let mut decoder = Decoder::new();
    let mut reasm = TcpReassembler::new(cfg.reassembly.clone());
    let mut last = SegmentMeta {
        frame: 0,
        ts: Timestamp::default(),
    };
    let mut published = 0u64;

    loop {
        let item = match src.next_item() {
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
                summary.secrets_blocks += 1;
                if s.secrets_type == 0x544c_534b {
                    app.add_secrets(s.data, KeySource::Dsb, &cfg.keys);
                } else if s.secrets_type == crate::live::FOLLOWED_KEYLOG {
                    summary.secrets_blocks -= 1;
                    app.add_secrets(s.data, KeySource::Keylog, &cfg.keys);
                } else {
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
        match decoder.decode(frame.link, frame.data, frame.ts) {
            Ok(Some(pkt)) => match pkt.transport {
                Transport::Tcp(seg) => {
                    let s = SocketAddr::new(pkt.src, seg.src_port);
                    let d = SocketAddr::new(pkt.dst, seg.dst_port);
                    reasm.segment(s, d, &seg, meta, &mut app);
                }
                Transport::Udp(dg) => {
                    let s = SocketAddr::new(pkt.src, dg.src_port);
                    let d = SocketAddr::new(pkt.dst, dg.dst_port);
                    app.udp(s, d, dg.payload, meta);
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
        if summary.frames % HOUSEKEEPING_EVERY == 0 {
            reasm.flush_idle(meta, &mut app);
            let now = src.bytes_read();
            cfg.progress.fetch_add(now - published, Ordering::Relaxed);
            published = now;
        }
    }
    cfg.progress
        .fetch_add(src.bytes_read().saturating_sub(published), Ordering::Relaxed);
    if summary.decode_errors as usize > MAX_DECODE_ERRORS_LISTED {
        summary.errors.push(format!(
            "{name}: {} more frames with corrupt headers not listed",
            summary.decode_errors as usize - MAX_DECODE_ERRORS_LISTED
        ));
    }
    reasm.finish(last, &mut app);
    app.finish_udp();

    let rs = reasm.stats();
    summary.retransmitted_bytes = rs.bytes_retransmitted;
    summary.ooo_bytes_dropped = rs.ooo_bytes_dropped;
    summary.gap_bytes = app.gap_bytes;
    summary.tcp_flows = app.tcp_flows;
    summary.udp_flows = app.udp_flows;
    summary.keepalives = app.keepalives;
    summary.sip_garbage_bytes = app.garbage_bytes;

    let App {
        mut records, msgs, ..
    } = app;
    records.sort_by_key(|r| r.id);
    let MessageSink {
        analyzer,
        sip,
        events,
        ..
    } = msgs;
    let analysis = analyzer.finish();
    let mut result = CaptureResult {
        summary,
        flows: records,
        sip,
        analysis,
        sip_events: events.unwrap_or_default(),
        stats: Default::default(),
    };
    result.stats.wall_ns = wall.elapsed().as_nanos() as u64;
    result
}
