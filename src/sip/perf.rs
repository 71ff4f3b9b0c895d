//! Throughput measurements of framing and parsing (run in release:
//! `cargo test --release --lib sip::perf -- --ignored --nocapture`).

use std::time::Instant;

use super::samples;
use super::{SipFramer, parse_message, parse_tolerant, rsip_accepts, set_rsip_validation};
use crate::reassembly::SegmentMeta;
use crate::time::Timestamp;

/// A ~2 KB Lync MESSAGE: the sample with the extra headers real Edges add.
fn big_message() -> Vec<u8> {
    let m = samples::message();
    let Some(split) = m.windows(12).position(|w| w == b"Content-Type") else {
        return m;
    };
    let mut out = m[..split].to_vec();
    for i in 0..3 {
        out.extend_from_slice(
            format!(
                "Record-Route: <sip:edge{i}.contoso.com:5061;transport=tls;opaque=state:F:Ci.R1e00;lr;ms-route-sig=fiVZmBz4Wc>;tag={i}A5B2C3D4E5F6\r\n"
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"ms-keep-alive: UAS;tcp=no;hop-hop=yes;end-end=no;timeout=300\r\nms-text-format: text/plain; charset=UTF-8;msgr=WAAtAE0ATQBTAC0ASQBNAC0ARgBvAHIAbQBhAHQAOgAgAEYATgA9AFMAZQBnAG8AZQAlADIAMABVAEkAOwAgAEUARgA9ADsAIABDAE8APQAwADsAIABDAFMAPQAwADsAIABQAEYAPQAwAA0ACgANAAoADQAKAA;ms-body=aGVsbG8=\r\nAuthentication-Info: TLS-DSK qop=\"auth\", opaque=\"A1B2C3D4\", srand=\"4A5B6C7D\", snum=\"123\", rspauth=\"0123456789abcdef0123456789abcdef\", targetname=\"edge.contoso.com\", realm=\"SIP Communications Service\", version=4\r\n");
    out.extend_from_slice(&m[split..]);
    out
}

fn stream(n: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let msgs = vec![
        big_message(),
        samples::benotify(),
        samples::response_480(),
        big_message(),
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
    type Case = (&'static str, fn(&[u8]) -> bool);
    let cases: [Case; 4] = [
        ("tolerant scanner alone", |b| parse_tolerant(b).is_ok()),
        ("rsip alone", rsip_accepts),
        ("parse_message (default: rsip on unusual only)", |b| {
            parse_message(b).is_ok()
        }),
        ("parse_message, rsip on every message", |b| {
            set_rsip_validation(true);
            let ok = parse_message(b).is_ok();
            set_rsip_validation(false);
            ok
        }),
    ];
    for (name, func) in cases {
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
