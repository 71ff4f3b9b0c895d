#![no_main]
//! Fuzz target: the TLS stage. The input is a script of operations on one
//! `TlsFlow`: feed a slice of the data in either direction (cut at arbitrary
//! points), report a gap, or finish. The key store holds key-log lines for
//! the client randoms the fuzzer is most likely to produce (all zeros and a
//! run of 0x41), TLS 1.2 and 1.3, so key derivation and decryption paths run
//! too. Nothing may panic, and the status must stay consistent.
use fedscope::reassembly::{Direction, SegmentMeta};
use fedscope::time::Timestamp;
use fedscope::tls::{KeySource, KeyStore, TlsFlow};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn keys() -> &'static KeyStore {
    static KEYS: OnceLock<KeyStore> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut ks = KeyStore::new();
        let mut text = String::new();
        for cr in ["00".repeat(32), "41".repeat(32)] {
            text.push_str(&format!("CLIENT_RANDOM {cr} {}\n", "11".repeat(48)));
            for label in [
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0",
            ] {
                text.push_str(&format!("{label} {cr} {}\n", "22".repeat(32)));
            }
        }
        text.push_str(&format!("RSA 4141414141414141 {}\n", "03".repeat(48)));
        text.push_str("garbage line\n");
        ks.add_keylog_text(text.as_bytes(), KeySource::Keylog, "fuzz");
        ks
    })
}

fuzz_target!(|data: &[u8]| {
    // Script: the first byte of every step is an op code, the next two a length.
    let keys = keys();
    let mut flow = TlsFlow::new();
    let mut rest = data;
    let mut frame = 0u64;
    let mut out_bytes = 0usize;
    while let [op, a, b, tail @ ..] = rest {
        frame += 1;
        let meta = SegmentMeta {
            frame,
            ts: Timestamp(frame as i64),
        };
        let dir = if op & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let n = (u16::from_be_bytes([*a, *b]) as usize).min(tail.len());
        match op >> 1 & 3 {
            0 | 1 => {
                flow.feed(dir, &tail[..n], meta, keys, &mut |_, p, _| {
                    out_bytes += p.len();
                });
                rest = &tail[n..];
            }
            2 => {
                flow.gap(dir, n as u64 * 7);
                rest = tail;
            }
            _ => {
                // A burst of one-byte feeds: every cut point.
                for byte in tail[..n].chunks(1) {
                    flow.feed(dir, byte, meta, keys, &mut |_, p, _| {
                        out_bytes += p.len();
                    });
                }
                rest = &tail[n..];
            }
        }
    }
    flow.finish();
    let st = flow.status();
    assert!(st.records_decrypted == 0 || st.decrypted);
    assert!(out_bytes == 0 || st.decrypted);
});
