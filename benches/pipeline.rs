//! Pipeline throughput on a generated plaintext Lync federation capture held
//! in memory (so the figure is the code's, not the disk's), single-threaded:
//! - `read_frames`: the capture reader alone;
//! - `read_decode_reassemble_frame`: reader + link/IP/TCP decode + TCP
//!   reassembly + SIP framing (messages delimited by Content-Length, counted);
//! - `analyze_plaintext`: everything `fedscope analyze` does to a capture
//!   (the above + SIP parsing + dialogs, IM, presence, rules), `analyze_source`.
//!
//! ```text
//! cargo bench --bench pipeline
//! ```

/// The allocator the `fedscope` binary uses (src/main.rs), so the figures are its.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
#[path = "../examples/gen_bulk_plain.rs"]
mod gen_bulk_plain;

use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use std::collections::HashMap;
use std::net::SocketAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fedscope::capture::{self, CaptureItem};
use fedscope::decode::{Decoder, Transport};
use fedscope::engine::{EngineConfig, KeyMaterial, analyze_source};
use fedscope::providers::ProviderTable;
use fedscope::reassembly::{
    CloseReason, Direction, FlowId, FlowInfo, ReassemblyConfig, SegmentMeta, StreamSink,
    TcpReassembler,
};
use fedscope::sip::SipFramer;

/// Frames each direction of each flow into SIP messages and counts them.
#[derive(Default)]
struct Framing {
    framers: HashMap<(FlowId, usize), SipFramer>,
    messages: u64,
}

impl StreamSink for Framing {
    fn flow_opened(&mut self, _info: &FlowInfo) {}
    fn data(&mut self, flow: FlowId, dir: Direction, data: &[u8], meta: SegmentMeta) {
        let n = &mut self.messages;
        self.framers
            .entry((flow, dir.index()))
            .or_default()
            .push(data, meta, &mut |_m| *n += 1);
    }
    fn gap(&mut self, flow: FlowId, dir: Direction, _len: u64, _meta: SegmentMeta) {
        if let Some(f) = self.framers.get_mut(&(flow, dir.index())) {
            f.gap();
        }
    }
    fn flow_closed(&mut self, flow: FlowId, _reason: CloseReason, _meta: SegmentMeta) {
        self.framers.remove(&(flow, 0));
        self.framers.remove(&(flow, 1));
    }
}

/// Reader + decode + reassembly + SIP framing; returns the messages framed.
fn frame_all(data: &Arc<Vec<u8>>) -> u64 {
    let mut src = reader(data);
    let mut dec = Decoder::new();
    let mut reasm = TcpReassembler::new(ReassemblyConfig::default());
    let mut sink = Framing::default();
    let mut last = None;
    while let Ok(Some(item)) = src.next_item() {
        let CaptureItem::Frame(f) = item else {
            continue;
        };
        let meta = SegmentMeta {
            frame: f.number,
            ts: f.ts,
        };
        last = Some(meta);
        if let Ok(Some(p)) = dec.decode(f.link, f.data, f.ts)
            && let Transport::Tcp(t) = p.transport
        {
            let s = SocketAddr::new(p.src, t.src_port);
            let d = SocketAddr::new(p.dst, t.dst_port);
            reasm.segment(s, d, &t, meta, &mut sink);
        }
    }
    if let Some(m) = last {
        reasm.finish(m, &mut sink);
    }
    sink.messages
}

/// Size of the generated capture.
const TARGET: u64 = 64 << 20;

fn capture() -> (Arc<Vec<u8>>, u64) {
    let mut buf = Vec::with_capacity(TARGET as usize + (1 << 20));
    let w = gen_bulk_plain::generate(&mut buf, TARGET, 64).expect("generate");
    let msgs = w.counts.values().sum();
    (Arc::new(buf), msgs)
}

fn reader(data: &Arc<Vec<u8>>) -> Box<dyn capture::FrameSource + Send> {
    let cursor = Cursor::new(ArcBytes(data.clone()));
    capture::from_reader(Box::new(cursor), Path::new("bench.pcap")).expect("pcap")
}

/// Shares the capture between iterations without copying it.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn bench(c: &mut Criterion) {
    let (data, msgs) = capture();
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("read_frames", |b| {
        b.iter(|| {
            let mut src = reader(&data);
            let mut n = 0u64;
            while let Ok(Some(item)) = src.next_item() {
                if let CaptureItem::Frame(f) = item {
                    n += f.data.len() as u64;
                }
            }
            black_box(n)
        })
    });
    g.bench_function("read_decode_reassemble_frame", |b| {
        b.iter(|| {
            let n = frame_all(&data);
            assert_eq!(n, msgs);
            black_box(n)
        })
    });
    let cfg = EngineConfig::new(KeyMaterial::new(), ProviderTable::builtin());
    g.bench_function("analyze_plaintext", |b| {
        b.iter(|| {
            let mut src = reader(&data);
            let r = analyze_source(Path::new("bench.pcap"), src.as_mut(), &cfg);
            assert_eq!(r.sip.messages, msgs);
            black_box(r.flows.len())
        })
    });
    g.throughput(Throughput::Elements(msgs));
    g.bench_function("read_decode_reassemble_frame_messages", |b| {
        b.iter(|| black_box(frame_all(&data)))
    });
    g.bench_function("analyze_plaintext_messages", |b| {
        b.iter(|| {
            let mut src = reader(&data);
            black_box(
                analyze_source(Path::new("bench.pcap"), src.as_mut(), &cfg)
                    .sip
                    .messages,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
