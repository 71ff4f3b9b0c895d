//! Whole-connection tests of `TlsFlow` on the real sample captures: the TCP
//! payloads are pulled out of the pcap by a minimal reader (the samples are
//! in order, Ethernet/IPv4/TCP), then fed whole, in every kind of chunking,
//! with simulated losses, with wrong keys and from the middle.

use std::path::PathBuf;

use super::{KeySource, KeyStore, TlsFlow};
use crate::reassembly::{Direction, SegmentMeta};
use crate::time::Timestamp;

/// One event of a connection as the reassembler would deliver it.
#[derive(Clone)]
enum Ev {
    Data(Direction, Vec<u8>),
    Gap(Direction, u64),
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// The TCP payloads of the first connection of a classic little-endian
/// Ethernet pcap, in capture order; sequence jumps become gaps.
fn events(pcap: &str) -> Vec<Ev> {
    connection(pcap, 0)
}

/// Like [`events`], for the connection opened `nth` (0 = first).
fn connection(pcap: &str, nth: usize) -> Vec<Ev> {
    let d = std::fs::read(sample(pcap)).unwrap();
    assert_eq!(&d[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    let mut pos = 24;
    let mut out = Vec::new();
    let mut client: Option<u16> = None;
    let mut opened = 0;
    let mut next = [None::<u32>; 2];
    while pos + 16 <= d.len() {
        let incl = u32::from_le_bytes(d[pos + 8..pos + 12].try_into().unwrap()) as usize;
        let f = &d[pos + 16..pos + 16 + incl];
        pos += 16 + incl;
        if f.len() < 14 || f[12..14] != [8, 0] {
            continue;
        }
        let ip = &f[14..];
        let ihl = (ip[0] & 15) as usize * 4;
        let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
        if ip[9] != 6 {
            continue;
        }
        let tcp = &ip[ihl..total];
        let sport = u16::from_be_bytes([tcp[0], tcp[1]]);
        let dport = u16::from_be_bytes([tcp[2], tcp[3]]);
        let seq = u32::from_be_bytes(tcp[4..8].try_into().unwrap());
        let off = (tcp[12] >> 4) as usize * 4;
        let flags = tcp[13];
        let syn = flags & 2 != 0;
        if syn && flags & 0x10 == 0 {
            if client.is_some() {
                break; // only the one connection
            }
            if opened == nth {
                client = Some(sport);
            }
            opened += 1;
        }
        if client.is_none() || (Some(sport) != client && Some(dport) != client) {
            continue;
        }
        let dir = if Some(sport) == client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let payload = &tcp[off..];
        let i = dir.index();
        if syn {
            next[i] = Some(seq.wrapping_add(1));
            continue;
        }
        if payload.is_empty() {
            continue;
        }
        if let Some(n) = next[i] {
            let jump = seq.wrapping_sub(n);
            if jump > 0 && jump < 1 << 30 {
                out.push(Ev::Gap(dir, jump as u64));
            }
        }
        next[i] = Some(seq.wrapping_add(payload.len() as u32));
        out.push(Ev::Data(dir, payload.to_vec()));
    }
    out
}

fn keylog(name: &str) -> KeyStore {
    let mut ks = KeyStore::new();
    ks.load_keylog_file(&sample(name)).unwrap();
    ks
}

/// What came out of one run: plaintext per direction, discontinuities, and the flow.
struct Run {
    plain: [Vec<u8>; 2],
    breaks: [usize; 2],
    flow: TlsFlow,
}

/// Feeds the events, each data event cut into pieces of `chunk(i)` bytes.
fn run(evs: &[Ev], keys: &KeyStore, chunk: &mut dyn FnMut(usize) -> usize) -> Run {
    let mut flow = TlsFlow::new();
    let mut plain = [Vec::new(), Vec::new()];
    let mut breaks = [0, 0];
    let mut n = 0usize;
    for (frame, ev) in evs.iter().enumerate() {
        let meta = SegmentMeta {
            frame: frame as u64 + 1,
            ts: Timestamp(frame as i64),
        };
        match ev {
            Ev::Gap(d, len) => flow.gap(*d, *len),
            Ev::Data(d, bytes) => {
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let k = chunk(n).clamp(1, rest.len());
                    n += 1;
                    flow.feed(*d, &rest[..k], meta, keys, &mut |dir, p, _| {
                        if p.is_empty() {
                            breaks[dir.index()] += 1;
                        } else {
                            plain[dir.index()].extend_from_slice(p);
                        }
                    });
                    rest = &rest[k..];
                }
            }
        }
    }
    flow.finish();
    Run {
        plain,
        breaks,
        flow,
    }
}

fn whole(evs: &[Ev], keys: &KeyStore) -> Run {
    run(evs, keys, &mut |_| usize::MAX)
}

/// SIP messages in a plaintext stream (every message has one CSeq header).
fn sip_messages(p: &[u8]) -> usize {
    p.windows(6).filter(|w| w == b"\r\nCSeq").count()
}

#[test]
fn keylog_samples_decrypt_to_16_messages_in_any_chunking() {
    for name in [
        "tls12-gcm",
        "tls12-chacha",
        "tls13",
        "tls13-keyupdate",
        "tls10-rsa-cbc",
        "tls11-rsa-cbc",
        "tls12-ccm8",
        "tls12-rsa-cbc-sha256-etm",
    ] {
        let evs = events(&format!("{name}.pcap"));
        let keys = keylog(&format!("{name}.keylog"));
        let base = whole(&evs, &keys);
        let st = base.flow.status();
        assert!(st.decrypted, "{name}: {:?}", st.failure);
        assert_eq!(st.failure, None, "{name}");
        assert_eq!(st.integrity_failures, 0, "{name}");
        assert_eq!(st.key_source, Some(KeySource::Keylog));
        assert!(!st.certificates.is_empty(), "{name}: certificates");
        assert_eq!(
            sip_messages(&base.plain[0]) + sip_messages(&base.plain[1]),
            16,
            "{name}"
        );
        assert_eq!(base.breaks, [0, 0]);
        let mut seed = 0x9e37_79b9_u32;
        let chunkings: [&mut dyn FnMut(usize) -> usize; 4] = [
            &mut |_| 1,
            &mut |_| 7,
            &mut |i| [5, 1, 300, 4, 17][i % 5],
            &mut move |_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed % 2000) as usize + 1
            },
        ];
        for (k, c) in chunkings.into_iter().enumerate() {
            let r = run(&evs, &keys, c);
            assert_eq!(r.plain, base.plain, "{name}: chunking {k}");
            assert_eq!(r.flow.status(), base.flow.status(), "{name}: chunking {k}");
        }
    }
}

#[test]
fn tls13_certificates_come_from_the_encrypted_handshake() {
    let r = whole(&events("tls13.pcap"), &keylog("tls13.keylog"));
    let st = r.flow.status();
    assert_eq!(st.version.as_deref(), Some("TLS 1.3"));
    assert!(
        st.certificates[0]
            .dns_names
            .iter()
            .any(|n| n == "federation.messenger.msn.com")
    );
}

#[test]
fn gap_samples_resync_and_lose_one_message() {
    for name in ["tls12-gcm-gap", "tls13-gap"] {
        let evs = events(&format!("{name}.pcap"));
        assert!(evs.iter().any(|e| matches!(e, Ev::Gap(..))), "{name}");
        let keys = keylog(&format!("{name}.keylog"));
        let r = whole(&evs, &keys);
        assert_eq!(
            sip_messages(&r.plain[0]) + sip_messages(&r.plain[1]),
            15,
            "{name}"
        );
        assert_eq!(r.breaks, [1, 0], "{name}");
        let st = r.flow.status();
        assert!(st.decrypted);
        assert_eq!(st.integrity_failures, 0);
        assert!(st.failure.as_deref().unwrap_or("").contains("lost in gaps"));
        for c in [1usize, 13, 999] {
            let rc = run(&evs, &keys, &mut |_| c);
            assert_eq!(rc.plain, r.plain, "{name}: chunk {c}");
        }
    }
}

/// Removes `len` bytes at stream offset `at` of `dir`, reporting a gap there.
fn cut(evs: &[Ev], dir: Direction, at: usize, len: usize) -> Vec<Ev> {
    let mut out = Vec::new();
    let mut off = 0;
    let mut lost = 0;
    for e in evs {
        match e {
            Ev::Data(d, b) if *d == dir => {
                let (s, t) = (off, off + b.len());
                off = t;
                let (a, z) = (at.max(s), (at + len).min(t));
                if a >= z {
                    if lost > 0 && s >= at + len {
                        out.push(Ev::Gap(dir, lost as u64));
                        lost = 0;
                    }
                    out.push(e.clone());
                    continue;
                }
                if a > s {
                    out.push(Ev::Data(dir, b[..a - s].to_vec()));
                }
                lost += z - a;
                if z < t {
                    out.push(Ev::Gap(dir, lost as u64));
                    lost = 0;
                    out.push(Ev::Data(dir, b[z - s..].to_vec()));
                }
            }
            _ => out.push(e.clone()),
        }
    }
    if lost > 0 {
        out.push(Ev::Gap(dir, lost as u64));
    }
    out
}

#[test]
fn simulated_losses_resync_for_every_cipher_family() {
    for name in [
        "tls12-gcm",
        "tls12-chacha",
        "tls13",
        "tls10-rsa-cbc",
        "tls11-rsa-cbc",
        "tls12-ccm",
        "tls12-rsa-cbc-sha256-etm",
    ] {
        let evs = events(&format!("{name}.pcap"));
        let keys = keylog(&format!("{name}.keylog"));
        let full = whole(&evs, &keys);
        let total = full.plain[0].len();
        let stream: usize = evs
            .iter()
            .map(|e| match e {
                Ev::Data(Direction::ToServer, b) => b.len(),
                _ => 0,
            })
            .sum();
        // Losses in the second half of the client's stream (application data).
        for k in 1..12 {
            let at = stream / 2 + k * 613;
            for len in [1usize, 100, 3000] {
                if at + len + 1500 > stream {
                    continue; // nothing verifiable left after the loss
                }
                let r = whole(&cut(&evs, Direction::ToServer, at, len), &keys);
                let got = r.plain[0].len();
                assert!(got < total, "{name}: cut {at}+{len} lost nothing");
                assert!(
                    got + 7000 > total,
                    "{name}: cut {at}+{len}: {got} of {total} bytes"
                );
                assert_eq!(r.breaks[0], 1, "{name}: cut {at}+{len}");
                assert_eq!(r.plain[1], full.plain[1], "{name}: other direction");
                assert!(r.flow.status().decrypted);
            }
        }
    }
}

#[test]
fn rsa_key_and_resumption() {
    let mut keys = KeyStore::new();
    keys.load_rsa_pem(&sample("keys/edge-rsa.pkcs1.pem"))
        .unwrap();
    let r = whole(&events("tls12-rsa-cbc-sha.pcap"), &keys);
    let st = r.flow.status();
    assert!(st.decrypted, "{:?}", st.failure);
    assert_eq!(st.key_source, Some(KeySource::Rsa));
    assert_eq!(sip_messages(&r.plain[0]) + sip_messages(&r.plain[1]), 16);

    let mut wrong = KeyStore::new();
    wrong
        .load_rsa_pem(&sample("keys/provider-rsa.pem"))
        .unwrap();
    let r = whole(&events("tls12-rsa-cbc-sha.pcap"), &wrong);
    let st = r.flow.status();
    assert!(!st.decrypted);
    assert!(
        st.failure
            .as_deref()
            .unwrap_or("")
            .contains("does not match"),
        "{:?}",
        st.failure
    );
}

/// A connection resuming (by session id) a session the bounded cache no
/// longer holds is not decrypted and says why; with the session still
/// cached it decrypts.
#[test]
fn resuming_a_session_dropped_from_the_cache_says_so() {
    let mut keys = KeyStore::new();
    keys.load_rsa_pem(&sample("keys/edge-rsa.pkcs1.pem"))
        .unwrap();
    let full = whole(&connection("tls12-resume-id.pcap", 0), &keys);
    assert!(full.flow.status().decrypted);
    let resumed = connection("tls12-resume-id.pcap", 1);
    let r = whole(&resumed, &keys);
    assert!(r.flow.status().decrypted, "{:?}", r.flow.status().failure);
    assert_eq!(sip_messages(&r.plain[0]) + sip_messages(&r.plain[1]), 16);

    // Later full handshakes push the session out of the cache.
    let other = super::keys::Sourced {
        secret: super::secret::Secret::new(&[9; 48]),
        source: KeySource::Rsa,
    };
    for i in 0..super::keys::MAX_SESSION_KEYS as u32 {
        keys.remember_session(&i.to_be_bytes(), b"", &other);
    }
    let r = whole(&resumed, &keys);
    let st = r.flow.status();
    assert!(!st.decrypted);
    assert!(r.plain.iter().all(Vec::is_empty));
    assert_eq!(st.integrity_failures, 0);
    assert!(
        st.failure
            .as_deref()
            .unwrap_or("")
            .contains("resumed session's full handshake is not in the capture"),
        "{:?}",
        st.failure
    );
}

#[test]
fn wrong_master_secret_counts_integrity_failures() {
    let evs = events("tls12-gcm.pcap");
    let text = std::fs::read_to_string(sample("tls12-gcm.keylog")).unwrap();
    let mut bad = String::new();
    for l in text.lines() {
        let mut f: Vec<String> = l.split(' ').map(str::to_string).collect();
        if f.len() == 3 {
            f[2] = "00".repeat(f[2].len() / 2);
        }
        bad.push_str(&f.join(" "));
        bad.push('\n');
    }
    let mut keys = KeyStore::new();
    keys.add_keylog_text(bad.as_bytes(), KeySource::Keylog, "bad");
    let r = whole(&evs, &keys);
    let st = r.flow.status();
    assert!(!st.decrypted);
    assert!(st.integrity_failures >= 16, "{}", st.integrity_failures);
    assert!(
        st.failure
            .as_deref()
            .unwrap_or("")
            .starts_with("key does not match"),
        "{:?}",
        st.failure
    );
    assert!(r.plain.iter().all(Vec::is_empty));
}

/// Feeds tls12-gcm.pcap with its key log added just before event `late`,
/// to a store that is `growing` (a followed key log) or not; returns the SIP
/// messages decrypted and the flow.
fn with_late_keys(late: usize, growing: bool) -> (usize, TlsFlow) {
    let evs = events("tls12-gcm.pcap");
    let text = std::fs::read(sample("tls12-gcm.keylog")).unwrap();
    let mut keys = KeyStore::new();
    keys.set_growing(growing);
    let mut flow = TlsFlow::new();
    let mut n = 0;
    for (i, e) in evs.iter().enumerate() {
        if i == late {
            keys.add_keylog_text(&text, KeySource::Keylog, "live");
        }
        if let Ev::Data(d, b) = e {
            let meta = SegmentMeta {
                frame: i as u64,
                ts: Timestamp(0),
            };
            flow.feed(*d, b, meta, &keys, &mut |_, p, _| {
                n += sip_messages(p);
            });
        }
    }
    flow.finish();
    (n, flow)
}

#[test]
fn keys_arriving_late_still_decrypt() {
    // A live key log written after the handshake was seen.
    let (n, flow) = with_late_keys(6, false);
    assert!(flow.status().decrypted);
    assert!(n >= 14, "{n}");
}

#[test]
fn a_growing_key_log_loses_nothing_when_keys_come_late() {
    // Live capture: the key log line is read only after the first application
    // records went by (past the handshake and the first application records of
    // both directions); with a growing store they are held and decrypted later.
    let data: Vec<usize> = events("tls12-gcm.pcap")
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Ev::Data(..)))
        .map(|(i, _)| i)
        .collect();
    let late = data[data.len() / 2];
    let (n, flow) = with_late_keys(late, true);
    assert_eq!(n, 16, "held records decrypted once the keys came");
    assert_eq!(flow.status().records_undecrypted, 0);
    let (n, _) = with_late_keys(late, false);
    assert!(n < 16, "without holding, the early records are lost ({n})");
}

#[test]
fn capture_starting_mid_connection() {
    let evs = events("tls12-gcm.pcap");
    let keys = keylog("tls12-gcm.keylog");
    // Skip the handshake: start at the first segment after 10 data segments.
    let r = whole(&evs[10..], &keys);
    let st = r.flow.status();
    assert!(!st.decrypted);
    assert!(
        st.failure
            .as_deref()
            .unwrap_or("")
            .contains("handshake not captured"),
        "{:?}",
        st.failure
    );
}

#[test]
fn garbage_and_truncation_never_panic() {
    let keys = keylog("tls12-gcm.keylog");
    let evs = events("tls12-gcm.pcap");
    let mut flow = TlsFlow::new();
    let meta = SegmentMeta {
        frame: 1,
        ts: Timestamp(0),
    };
    let mut seed = 12345u64;
    for _ in 0..2000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 33) as usize % 64;
        let bytes: Vec<u8> = (0..len)
            .map(|k| (seed >> (k % 56)) as u8 ^ k as u8)
            .collect();
        let dir = if seed & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        flow.feed(dir, &bytes, meta, &keys, &mut |_, _, _| {});
        if seed.is_multiple_of(17) {
            flow.gap(dir, seed % 5000);
        }
    }
    flow.finish();
    // Every prefix of a real connection, then finish.
    for stop in (0..evs.len()).step_by(3) {
        let r = whole(&evs[..stop], &keys);
        let _ = r.flow.status();
    }
    // Every single-byte corruption of the first data segments.
    if let Ev::Data(_, first) = &evs[0] {
        for i in 0..first.len() {
            let mut e = evs[..4].to_vec();
            if let Ev::Data(_, b) = &mut e[0] {
                b[i] ^= 0xff;
            }
            let _ = whole(&e, &keys);
        }
    }
}

#[test]
fn tls13_key_update_lost_in_a_gap() {
    // Client stream: the KeyUpdate record starts at offset 7839 (27 bytes),
    // message 8 follows; cut from inside the KeyUpdate into message 8.
    let evs = events("tls13-keyupdate.pcap");
    let keys = keylog("tls13-keyupdate.keylog");
    let full = whole(&evs, &keys);
    let r = whole(&cut(&evs, Direction::ToServer, 7842, 200), &keys);
    let st = r.flow.status();
    assert_eq!(st.integrity_failures, 0, "{:?}", st.failure);
    assert_eq!(r.breaks, [1, 0]);
    // Message 8 (SUBSCRIBE) is lost; 11, 13 and 15 are decrypted with the next keys.
    assert_eq!(sip_messages(&r.plain[0]), sip_messages(&full.plain[0]) - 1);
    assert_eq!(r.plain[1], full.plain[1]);
}

#[test]
fn tls12_renegotiation_switches_keys_at_each_change_cipher_spec() {
    // OpenSSL s_server/s_client over loopback: the server sends HelloRequest,
    // the client renegotiates (abbreviated, by ticket) under encryption, then
    // sends the MESSAGE with the new keys.
    let evs = events("../src/tls/testdata/tls12-renegotiation.pcap");
    let keys = keylog("../src/tls/testdata/tls12-renegotiation.keylog");
    let r = whole(&evs, &keys);
    let st = r.flow.status();
    assert_eq!(st.integrity_failures, 0, "{:?}", st.failure);
    assert!(st.decrypted);
    let text = String::from_utf8_lossy(&r.plain[0]);
    assert!(text.contains("CSeq: 1 INVITE"), "{text}");
    assert!(text.contains("CSeq: 2 MESSAGE"), "{text}");
}

#[test]
fn legacy_ciphers_after_a_loss() {
    // 3DES with TLS 1.0's chained IV resynchronises; RC4 cannot, and says so.
    for (name, recovers) in [("tls10-rsa-3des", true), ("tls12-rsa-rc4-sha", false)] {
        if !sample(&format!("{name}.pcap")).exists() {
            continue;
        }
        let evs = events(&format!("{name}.pcap"));
        let keys = keylog(&format!("{name}.keylog"));
        let full = whole(&evs, &keys);
        assert_eq!(
            sip_messages(&full.plain[0]) + sip_messages(&full.plain[1]),
            16,
            "{name}"
        );
        let r = whole(&cut(&evs, Direction::ToServer, 8000, 300), &keys);
        let st = r.flow.status();
        assert!(st.decrypted, "{name}");
        assert_eq!(r.plain[1], full.plain[1], "{name}: other direction");
        let after = sip_messages(&r.plain[0]);
        let why = st.failure.clone().unwrap_or_default();
        if recovers {
            assert_eq!(r.breaks[0], 1, "{name}: {why}");
            assert!(after + 2 >= sip_messages(&full.plain[0]), "{name}: {after}");
        } else {
            assert!(why.contains("cannot be resynchronised"), "{name}: {why}");
            assert!(after < sip_messages(&full.plain[0]));
        }
    }
}

#[test]
fn change_cipher_spec_lost_in_a_gap() {
    // Cut the client's ChangeCipherSpec and Finished records exactly: the
    // next record is application data, protected, at sequence number 1.
    let evs = events("tls12-gcm.pcap");
    let keys = keylog("tls12-gcm.keylog");
    let client: Vec<u8> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Data(Direction::ToServer, b) => Some(b.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let at = client
        .windows(6)
        .position(|w| w == [0x14, 3, 3, 0, 1, 1])
        .unwrap();
    let fin = u16::from_be_bytes([client[at + 9], client[at + 10]]) as usize;
    let r = whole(&cut(&evs, Direction::ToServer, at, 6 + 5 + fin), &keys);
    let full = whole(&evs, &keys);
    assert_eq!(r.plain, full.plain);
    assert_eq!(r.breaks, [1, 0]);
    assert_eq!(r.flow.status().integrity_failures, 0);
}

/// Every secret a store has for a client random, as bytes and sources.
fn secrets_of(keys: &KeyStore, random: &[u8; 32]) -> crate::tls::keys::FlatSecrets {
    keys.for_random(random)
        .map(crate::tls::keys::ClientSecrets::flat)
        .unwrap_or_default()
}

#[test]
fn indexed_sample_key_logs_give_what_the_in_memory_tables_give() {
    let mut checked = 0;
    for entry in std::fs::read_dir(sample("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "keylog") {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let indexed = keylog(path.file_name().unwrap().to_str().unwrap());
        let mut in_memory = KeyStore::new();
        in_memory.add_keylog_text(&text, KeySource::Keylog, &path.display().to_string());
        assert_eq!(indexed.stats(), in_memory.stats(), "{}", path.display());
        for line in String::from_utf8_lossy(&text).lines() {
            let Some(hex_random) = line.split_whitespace().nth(1) else {
                continue;
            };
            let mut random = [0u8; 32];
            if hex::decode_to_slice(hex_random, &mut random).is_err() {
                continue;
            }
            let got = secrets_of(&indexed, &random);
            assert_eq!(got, secrets_of(&in_memory, &random), "{}", path.display());
            checked += usize::from(!got.is_empty());
        }
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn key_log_truncated_after_loading_leaves_connections_without_a_secret() {
    for name in ["tls12-gcm", "tls13"] {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.log");
        std::fs::copy(sample(&format!("{name}.keylog")), &p).unwrap();
        let mut keys = KeyStore::new();
        keys.load_keylog_file(&p).unwrap();
        std::fs::write(&p, b"").unwrap();
        let r = whole(&events(&format!("{name}.pcap")), &keys);
        let st = r.flow.status();
        assert!(!st.decrypted, "{name}");
        assert!(
            st.failure
                .as_deref()
                .is_some_and(|f| f.contains("no secret")),
            "{name}: {:?}",
            st.failure
        );
        assert!(keys.stats().reread_failures >= 1, "{name}");
        assert!(r.plain.iter().all(Vec::is_empty), "{name}");
    }
}
