//! Throughput measurements of framing and parsing (run in release:
//! `cargo test --release --lib sip::perf -- --ignored --nocapture`).

use std::time::Instant;

use super::samples;
use super::{SipFramer, parse_message, parse_tolerant, rsip_accepts};
use crate::reassembly::SegmentMeta;
use crate::time::Timestamp;

fn stream(n: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let msgs = vec![
        samples::message(),
        samples::benotify(),
        samples::response_480(),
        samples::invite_compact(),
    ];
    let mut s = Vec::new();
    for i in 0..n {
        s.extend_from_slice(&msgs[i % msgs.len()]);
        if i % 50 == 0 {
            s.extend_from_slice(b"\r\n\r\n");
        }
    }
    (s, msgs)
}

#[test]
#[ignore]
fn framing_and_parse_throughput() {
    let (s, msgs) = stream(200_000);
    let meta = SegmentMeta {
        frame: 1,
        ts: Timestamp(0),
    };
    for seg in [1460usize, 16384, 65536] {
        let t = Instant::now();
        let mut f = SipFramer::new();
        let mut n = 0u64;
        for c in s.chunks(seg) {
            f.push(c, meta, &mut |m| n += m.bytes.len() as u64 & 1);
        }
        let dt = t.elapsed().as_secs_f64();
        eprintln!(
            "framing, {seg}-byte pushes: {:.0} MB/s, {:.0} msgs/s ({} msgs, {} bytes)",
            s.len() as f64 / dt / 1e6,
            f.stats().messages as f64 / dt,
            f.stats().messages,
            s.len()
        );
        assert_eq!(f.stats().messages, 200_000, "{n}");
    }
    let avg = msgs.iter().map(Vec::len).sum::<usize>() / msgs.len();
    let iters = 100_000;
    for (name, func) in [
        (
            "tolerant parse",
            (|b: &[u8]| parse_tolerant(b).is_ok()) as fn(&[u8]) -> bool,
        ),
        ("rsip validation alone", |b: &[u8]| rsip_accepts(b)),
        ("parse_message (tolerant + rsip)", |b: &[u8]| {
            parse_message(b).is_ok()
        }),
    ] {
        let t = Instant::now();
        let mut ok = 0;
        for i in 0..iters {
            ok += usize::from(func(&msgs[i % msgs.len()]));
        }
        let dt = t.elapsed().as_secs_f64();
        eprintln!(
            "{name}: {:.0} msgs/s ({avg}-byte avg messages, {ok} ok)",
            iters as f64 / dt
        );
    }
}
