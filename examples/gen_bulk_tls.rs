//! Streams a large TLS 1.2 ECDHE_RSA AES-128-GCM federation capture and its
//! key log, for the side-by-side benchmark against tshark
//! (`scripts/bench_vs_tshark.sh`):
//!
//! ```text
//! cargo run --release --example gen_bulk_tls -- OUT_DIR [--connections N] [--dialogs D] [--concurrent K]
//! ```
//!
//! Writes `OUT_DIR/bulk-tls12-gcm.pcap`, `.keylog` and `.expected` (the SIP
//! counts by method / status). Every connection is a real rustls handshake
//! (Edge 203.0.113.10 -> MSN, AOL or Yahoo! on 5061); `D` Lync federation
//! dialogs of 16 messages each (1.2-3.5 KB) then flow through it. `K`
//! connections are open at once and their messages interleave, so the
//! capture looks like a busy Edge. Frames are written as they are made:
//! memory stays flat whatever the size. Defaults: 2000 connections x 3
//! dialogs = 96,000 SIP messages, about 200 MB.

#[allow(dead_code)]
#[path = "tls_samples/drive.rs"]
mod drive;
#[allow(dead_code)]
#[path = "tls_samples/pcap.rs"]
mod pcap;
#[path = "tls_samples/rng.rs"]
mod rng;
#[allow(dead_code)]
#[path = "tls_samples/sip.rs"]
mod sip;

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::PathBuf;

use drive::{RustlsPair, Transcript};
use pcap::{Frame, PcapOut, TcpConv};
use rng::Rng;

/// 2026-11-21T09:00:00Z in microseconds.
const BASE_US: u64 = 1_795_251_600 * 1_000_000;

/// One open connection: TLS pair, TCP state and the messages still to send.
struct Live {
    pair: RustlsPair,
    conv: TcpConv,
    todo: VecDeque<sip::Step>,
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes the frames made so far and empties the buffer.
fn flush(out: &mut PcapOut<BufWriter<std::fs::File>>, frames: &mut Vec<Frame>, bytes: &mut u64) {
    for (ts, f) in frames.drain(..) {
        *bytes += 16 + f.len() as u64;
        out.frame(ts, &f).expect("write frame");
    }
}

/// Packetises the transcript's chunks and empties it.
fn emit(conv: &mut TcpConv, t: &mut Transcript, frames: &mut Vec<Frame>) {
    for (from_client, bytes) in t.chunks.drain(..) {
        conv.send(from_client, &bytes, None, frames);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "bench-data".into()));
    let connections = arg(&args, "--connections", 2000);
    let dialogs = arg(&args, "--dialogs", 3);
    let concurrent = arg(&args, "--concurrent", 64).max(1);
    std::fs::create_dir_all(&dir).expect("mkdir");

    let keys = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/keys");
    let cert =
        std::fs::read(keys.join("provider-cert.pem")).expect("samples/keys/provider-cert.pem");
    let key = std::fs::read(keys.join("provider-rsa.pem")).expect("samples/keys/provider-rsa.pem");
    let cert_der = openssl::x509::X509::from_pem(&cert)
        .and_then(|c| c.to_der())
        .expect("cert");
    let key_der = openssl::pkey::PKey::private_key_from_pem(&key)
        .and_then(|k| k.private_key_to_pkcs8())
        .expect("key");
    let (cc, sc, log) = drive::rustls_configs(
        rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        &rustls::version::TLS12,
        cert_der,
        key_der,
    );

    // A full handshake (ECDHE + RSA signature) on every connection: no
    // client-side session resumption across connections.
    let mut no_resume = (*cc).clone();
    no_resume.resumption = rustls::client::Resumption::disabled();
    let cc = std::sync::Arc::new(no_resume);

    let pcap_path = dir.join("bulk-tls12-gcm.pcap");
    let mut out = PcapOut::new(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&pcap_path).expect("create"),
    ))
    .expect("pcap header");
    let mut keylog =
        BufWriter::new(std::fs::File::create(dir.join("bulk-tls12-gcm.keylog")).expect("keylog"));

    let mut rng = Rng(0x5eed_fed5_c09e_0001);
    let mut clock = BASE_US;
    let mut frames: Vec<Frame> = Vec::new();
    let mut bytes = 24u64;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut live: Vec<Live> = Vec::new();
    let mut opened = 0usize;
    let mut t = Transcript::default();

    let open = |n: usize, clock: &mut u64, frames: &mut Vec<Frame>, t: &mut Transcript| -> Live {
        let seed = 10_000 + n as u32;
        let (peer, sni) = match n % 3 {
            0 => (sip::msn(seed), "federation.messenger.msn.com"),
            1 => (sip::aol(seed), "sip.aol.com"),
            _ => (sip::yahoo(seed), "sip.yahoo.com"),
        };
        let client = (Ipv4Addr::from(sip::EDGE_IP), 20_000 + (n % 40_000) as u16);
        let server = (Ipv4Addr::from(peer.provider_ip), 5061);
        let mut conv = TcpConv::new(client, server, *clock);
        conv.handshake(frames);
        let pair = RustlsPair::connect(cc.clone(), sc.clone(), sni, t);
        emit(&mut conv, t, frames);
        *clock = conv.now_us;
        let mut todo = VecDeque::new();
        for d in 0..dialogs {
            let mut p = peer.clone();
            p.seed = seed.wrapping_mul(16).wrapping_add(d as u32);
            todo.extend(sip::federation_script(&p));
        }
        Live { pair, conv, todo }
    };

    while opened < connections || !live.is_empty() {
        while live.len() < concurrent && opened < connections {
            live.push(open(opened, &mut clock, &mut frames, &mut t));
            opened += 1;
            for line in log.take() {
                writeln!(keylog, "{line}").expect("keylog");
            }
        }
        let i = (rng.next() % live.len() as u64) as usize;
        let l = &mut live[i];
        l.conv.now_us = clock;
        if let Some((edge, msg)) = l.todo.pop_front() {
            *counts.entry(sip::label(&msg)).or_insert(0) += 1;
            l.pair.send(edge, &msg, &mut t);
            emit(&mut l.conv, &mut t, &mut frames);
            clock = l.conv.now_us;
        }
        if l.todo.is_empty() {
            let mut l = live.swap_remove(i);
            l.pair.close(&mut t);
            emit(&mut l.conv, &mut t, &mut frames);
            l.conv.close(&mut frames);
            clock = l.conv.now_us;
        }
        flush(&mut out, &mut frames, &mut bytes);
    }
    out.finish().expect("flush pcap");
    keylog.flush().expect("flush keylog");

    let total: u64 = counts.values().sum();
    let mut exp = format!("messages {total}\n");
    for (k, v) in &counts {
        exp.push_str(&format!("{k} {v}\n"));
    }
    std::fs::write(dir.join("bulk-tls12-gcm.expected"), &exp).expect("expected");
    println!(
        "{}: {connections} connections, {total} SIP messages, {:.1} MB",
        pcap_path.display(),
        bytes as f64 / 1e6
    );
    print!("{exp}");
}
