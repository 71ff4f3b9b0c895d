//! Streams a large plaintext Lync federation capture (SIP over TCP 5060),
//! for the memory and throughput measurements (`scripts/measure_memory.sh`)
//! and the pipeline bench (`benches/pipeline.rs`):
//!
//! ```text
//! cargo run --release --example gen_bulk_plain -- OUT.pcap [MB] [--concurrent K]
//! ```
//!
//! Writes `OUT.pcap` (about `MB` megabytes, default 500) and `OUT.expected`
//! (SIP counts by method / status). Connections from the Edge
//! (203.0.113.10) to MSN, AOL and Yahoo! carry 3 Lync dialogs of 16
//! messages each (1.2-3.5 KB); `K` connections (default 64) are open at once
//! and their messages interleave. Frames are written as they are made, so
//! memory stays flat whatever the size.

#[allow(dead_code)]
#[path = "tls_samples/pcap.rs"]
mod pcap;
#[path = "tls_samples/rng.rs"]
mod rng;
#[allow(dead_code)]
#[path = "tls_samples/sip.rs"]
mod sip;

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::net::Ipv4Addr;

use pcap::{Frame, PcapOut, TcpConv};
use rng::Rng;

/// 2026-11-21T09:00:00Z in microseconds.
const BASE_US: u64 = 1_795_251_600 * 1_000_000;

/// Dialogs per connection.
const DIALOGS: usize = 3;

/// What was written.
pub struct Written {
    /// Bytes of capture file.
    pub bytes: u64,
    /// TCP connections.
    pub connections: usize,
    /// SIP messages by method / status code.
    pub counts: BTreeMap<String, u64>,
}

/// One open connection and the messages still to send.
struct Live {
    conv: TcpConv,
    todo: VecDeque<sip::Step>,
}

/// Writes a capture of about `target` bytes to `w`, `concurrent` connections at a time.
pub fn generate<W: Write>(w: W, target: u64, concurrent: usize) -> io::Result<Written> {
    let mut out = PcapOut::new(w)?;
    let mut rng = Rng(0x5eed_fed5_c09e_0002);
    let mut clock = BASE_US;
    let mut frames: Vec<Frame> = Vec::new();
    let mut bytes = 24u64;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut live: Vec<Live> = Vec::new();
    let mut opened = 0usize;
    while bytes < target || !live.is_empty() {
        while live.len() < concurrent.max(1) && bytes < target {
            let n = opened;
            opened += 1;
            let seed = 10_000 + n as u32;
            let peer = match n % 3 {
                0 => sip::msn(seed),
                1 => sip::aol(seed),
                _ => sip::yahoo(seed),
            };
            let client = (Ipv4Addr::from(sip::EDGE_IP), 20_000 + (n % 40_000) as u16);
            let server = (Ipv4Addr::from(peer.provider_ip), 5060);
            let mut conv = TcpConv::new(client, server, clock);
            conv.handshake(&mut frames);
            clock = conv.now_us;
            let mut todo = VecDeque::new();
            for d in 0..DIALOGS {
                let mut p = peer.clone();
                p.seed = seed.wrapping_mul(16).wrapping_add(d as u32);
                todo.extend(sip::federation_script(&p));
            }
            live.push(Live { conv, todo });
        }
        if live.is_empty() {
            break;
        }
        let i = (rng.next() % live.len() as u64) as usize;
        let l = &mut live[i];
        l.conv.now_us = clock;
        if let Some((edge, msg)) = l.todo.pop_front() {
            *counts.entry(sip::label(&msg)).or_insert(0) += 1;
            l.conv.send(edge, &msg, None, &mut frames);
            clock = l.conv.now_us;
        }
        if l.todo.is_empty() {
            let mut l = live.swap_remove(i);
            l.conv.close(&mut frames);
            clock = l.conv.now_us;
        }
        for (ts, f) in frames.drain(..) {
            bytes += 16 + f.len() as u64;
            out.frame(ts, &f)?;
        }
    }
    out.finish()?;
    Ok(Written {
        bytes,
        connections: opened,
        counts,
    })
}

/// The `.expected` text: total then one line per method / status.
pub fn expected_text(counts: &BTreeMap<String, u64>) -> String {
    let total: u64 = counts.values().sum();
    let mut s = format!("messages {total}\n");
    for (k, v) in counts {
        s.push_str(&format!("{k} {v}\n"));
    }
    s
}

#[allow(dead_code)]
fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "bench-data/plain.pcap".into()),
    );
    let mb: u64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(500);
    let concurrent = args
        .iter()
        .position(|a| a == "--concurrent")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let w = generate(file, mb * 1_000_000, concurrent)?;
    let exp = expected_text(&w.counts);
    std::fs::write(path.with_extension("expected"), &exp)?;
    println!(
        "{}: {} connections, {:.1} MB",
        path.display(),
        w.connections,
        w.bytes as f64 / 1e6
    );
    print!("{exp}");
    Ok(())
}
