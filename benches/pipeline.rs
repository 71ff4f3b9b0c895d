//! Pipeline throughput on a generated plaintext Lync federation capture held
//! in memory (so the figure is the code's, not the disk's): the capture
//! reader alone, and reader + link/IP/TCP decode + reassembly + SIP framing
//! and parsing + analysis (`analyze_source`, single-threaded).
//!
//! ```text
//! cargo bench --bench pipeline
//! ```

#[allow(dead_code)]
#[path = "../examples/gen_bulk_plain.rs"]
mod gen_bulk_plain;

use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fedscope::capture::{self, CaptureItem};
use fedscope::engine::{EngineConfig, KeyMaterial, analyze_source};
use fedscope::providers::ProviderTable;

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
    g.bench_function("analyze_plaintext_messages", |b| {
        b.iter(|| {
            let mut src = reader(&data);
            black_box(analyze_source(Path::new("bench.pcap"), src.as_mut(), &cfg).sip.messages)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
