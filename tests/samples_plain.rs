//! Exact outcomes on the plaintext samples (regenerate with
//! `cargo run --example gen_plain_samples -- samples/`).
//!
//! The SIP counts match tshark 4.0:
//! `tshark -n -r FILE -o tcp.desegment_tcp_streams:TRUE -o tcp.reassemble_out_of_order:TRUE
//!   -d tcp.port==5061,sip -Y sip -T fields -E occurrence=a -e sip.Method -e sip.Status-Code`
//! (tests/tshark_crosscheck.rs runs that comparison for every sample).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn analyze(name: &str, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_fedscope"))
        .arg("analyze")
        .arg(sample(name))
        .args(["--format", "json", "--quiet"])
        .args(extra)
        .output()
        .expect("run fedscope");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn counts(j: &Value) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for key in ["requests", "responses"] {
        for (k, v) in j["sip"][key].as_object().expect("counts") {
            m.insert(k.clone(), v.as_u64().unwrap_or(0));
        }
    }
    m
}

fn expect(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// MSN (Edge connects out) + AOL (connects in) federation scripts, plus UDP.
const PLAIN: &[(&str, u64)] = &[
    ("200", 16),
    ("ACK", 2),
    ("BENOTIFY", 2),
    ("BYE", 2),
    ("INVITE", 2),
    ("MESSAGE", 7),
    ("NOTIFY", 2),
    ("OPTIONS", 1),
    ("SUBSCRIBE", 2),
];

#[test]
fn plain_sample_counts_flows_and_keepalives() {
    for name in [
        "federation-plain.pcap",
        "federation-plain-ns-be.pcap",
        "federation-plain.pcap.gz",
    ] {
        let j = analyze(name, &[]);
        assert_eq!(counts(&j), expect(PLAIN), "{name}");
        assert_eq!(j["sip"]["messages"], 36, "{name}");
        assert_eq!(j["sip"]["unparsed"], 0, "{name}");
        let cap = &j["captures"][0];
        assert_eq!(cap["frames"], 98, "{name}");
        assert_eq!(cap["tcp_flows"], 2, "{name}");
        assert_eq!(cap["udp_flows"], 1, "{name}");
        assert_eq!(cap["keepalives"], 3, "{name}");
        assert_eq!(cap["start"], "2025-11-20T10:00:00.000250Z", "{name}"); // tshark -t ud: frame 1 at 10:00:00.000250
        let flows = j["flows"].as_array().expect("flows");
        assert_eq!(flows.len(), 3);
        assert_eq!(flows[0]["client"], "203.0.113.10:50123");
        assert_eq!(flows[0]["server"], "134.170.96.10:5061");
        assert_eq!(flows[0]["provider"], "MSN");
        assert_eq!(flows[0]["transport"], "tcp");
        assert_eq!(flows[0]["sip_messages"], 16);
        assert_eq!(flows[1]["client"], "64.12.24.10:40001", "AOL connects in");
        assert_eq!(flows[1]["server"], "203.0.113.10:5061");
        assert_eq!(flows[1]["provider"], "AOL");
        assert_eq!(flows[2]["transport"], "udp");
        assert_eq!(flows[2]["sip_messages"], 4);
        assert!(flows.iter().all(|f| f["gaps"] == 0));
    }
}

#[test]
fn impaired_sample_reassembles_despite_reordering_retransmission_overlap_vlan_sll_and_wrap() {
    let j = analyze("federation-impaired.pcapng", &[]);
    assert_eq!(
        counts(&j),
        expect(&[
            ("200", 14),
            ("ACK", 2),
            ("BENOTIFY", 2),
            ("BYE", 2),
            ("INVITE", 2),
            ("MESSAGE", 6),
            ("NOTIFY", 2),
            ("SUBSCRIBE", 2),
        ])
    );
    assert_eq!(j["sip"]["unparsed"], 0);
    let cap = &j["captures"][0];
    assert_eq!(cap["frames"], 103);
    assert_eq!(cap["tcp_flows"], 2);
    assert!(
        cap["retransmitted_bytes"].as_u64().unwrap_or(0) > 0,
        "the retransmission is recognised"
    );
    let flows = j["flows"].as_array().expect("flows");
    assert_eq!(
        flows[0]["provider"], "Yahoo",
        "VLAN-tagged Yahoo connection"
    );
    assert_eq!(flows[0]["sip_messages"], 16);
    assert_eq!(flows[0]["gaps"], 0, "reordering is not loss");
    assert_eq!(flows[1]["provider"], "MSN", "Linux SLL interface");
    assert_eq!(flows[1]["sip_messages"], 16);
}

#[test]
fn two_interfaces_with_different_link_types_and_resolutions() {
    let j = analyze("two-interfaces.pcapng", &[]);
    assert_eq!(j["captures"][0]["frames"], 88);
    assert_eq!(j["sip"]["messages"], 32);
    let flows = j["flows"].as_array().expect("flows");
    assert_eq!(flows.len(), 2);
    assert_eq!(flows[0]["server"], "64.12.24.10:5061");
    assert_eq!(flows[1]["server"], "205.188.8.20:5061");
    assert!(
        flows
            .iter()
            .all(|f| f["provider"] == "AOL" && f["sip_messages"] == 16)
    );
    // The raw-IP interface has nanosecond timestamps: its first frame is 123 ns after the Ethernet one's.
    assert_eq!(j["captures"][0]["start"], "2025-11-20T10:00:00.000250Z");
}

/// The engine's default configuration with built-in providers, no keys, and `--stats`.
fn stats_config() -> fedscope::engine::EngineConfig {
    let mut cfg = fedscope::engine::EngineConfig::new(
        fedscope::engine::KeyMaterial::new(),
        fedscope::providers::ProviderTable::builtin(),
    );
    cfg.stats = true;
    cfg
}

/// Asserts that `path` sharded over 2 to 5 threads, with the default
/// hand-off and with a tight one, reports what one thread does.
fn assert_sharded_runs_match(
    path: &std::path::Path,
    name: &str,
) -> fedscope::engine::CaptureResult {
    let cfg = stats_config();
    let single = fedscope::engine::analyze_capture(path, &cfg, 1);
    // --stats says how many threads ran; a single one has no hand-off to wait on.
    assert!(single.stats.threads <= 1, "{name}");
    assert_eq!(
        single.stats.reader_waiting_ns + single.stats.worker_idle_ns,
        0
    );
    assert_eq!(
        single.stats.chunks, 0,
        "{name}: one thread reads no chunk ahead"
    );
    // Sharded, the rest of the file after the first 128 KB read (which finds
    // the format) comes in 128 KB chunks, each read by the reader or, while
    // it has nothing else to do, a worker.
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let chunks = len.saturating_sub(128 << 10).div_ceil(128 << 10);
    let json = |r: &fedscope::engine::CaptureResult| {
        [
            ("flows", serde_json::to_value(&r.flows).ok()),
            ("sip", serde_json::to_value(&r.sip).ok()),
            ("im_sessions", serde_json::to_value(&r.im_sessions).ok()),
            ("presence", serde_json::to_value(&r.presence).ok()),
            ("violations", serde_json::to_value(&r.violations).ok()),
            ("notes", serde_json::to_value(&r.notes).ok()),
            ("transactions", serde_json::to_value(&r.transactions).ok()),
        ]
    };
    let one = json(&single);
    // Force sharding regardless of size by calling the engine directly:
    // 2 threads run a shard on the reader's thread beside one worker, 3
    // and 4 leave the reader's thread to merge and give every flow to
    // the workers, 5 give the merge a thread of its own. And with one
    // message in flight per worker and a tick every 8 frames: queues run
    // full, so the reader merges while it waits, and events are released
    // at many more points.
    let mut tight = cfg.clone();
    tight.hand_off = Some((1, 8));
    for (threads, cfg, how) in [2, 3, 4, 5]
        .into_iter()
        .flat_map(|t| [(t, &cfg, ""), (t, &tight, ", tight hand-off")])
    {
        let sharded = fedscope::engine::analyze_capture(path, cfg, threads);
        let name = format!("{name} ({threads} threads{how})");
        assert_eq!(sharded.stats.threads, threads as u64, "{name}");
        assert_eq!(sharded.stats.chunks, chunks, "{name}: read chunks");
        assert!(sharded.stats.chunks_read_ahead <= chunks, "{name}");
        for ((what, x), (_, y)) in one.iter().zip(json(&sharded)) {
            assert_eq!(x, &y, "{name}: {what}");
        }
    }
    single
}

#[test]
fn sharded_run_reports_exactly_what_a_single_thread_does() {
    for name in [
        "federation-plain.pcap",
        "federation-impaired.pcapng",
        "two-interfaces.pcapng",
    ] {
        let one = analyze(name, &["--threads", "1"]);
        let single = assert_sharded_runs_match(&sample(name), name);
        assert!(!single.im_sessions.is_empty(), "{name}: IM sessions found");
        assert_eq!(one["sip"]["messages"].as_u64(), Some(single.sip.messages));
    }
}

/// `federation-plain.pcap`'s file header and its frames with their times in µs.
fn sample_frames() -> (Vec<u8>, Vec<(u64, Vec<u8>)>) {
    let raw = std::fs::read(sample("federation-plain.pcap")).expect("sample");
    let (head, mut rest) = raw.split_at(24);
    assert_eq!(
        &head[..4],
        &0xa1b2c3d4u32.to_le_bytes(),
        "µs little-endian pcap"
    );
    let mut frames = Vec::new();
    while rest.len() >= 16 {
        let word = |i: usize| u32::from_le_bytes(rest[i..i + 4].try_into().expect("4 bytes"));
        let (sec, usec, len) = (word(0), word(4), word(8) as usize);
        frames.push((
            u64::from(sec) * 1_000_000 + u64::from(usec),
            rest[16..16 + len].to_vec(),
        ));
        rest = &rest[16 + len..];
    }
    assert_eq!(frames.len(), 98);
    (head.to_vec(), frames)
}

/// Appends one µs pcap record of `frame` at `ts` (µs).
fn push_record(out: &mut Vec<u8>, ts: u64, frame: &[u8]) {
    out.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(frame);
}

/// `federation-plain.pcap` 32 times over, each copy's client ports moved and
/// its clock 700 µs later than the one before, every frame in time order:
/// 64 TCP connections (and their UDP exchanges) at once, interleaved the way
/// a busy Edge's are, which is what makes the order a merge releases events
/// in matter.
fn busy_capture() -> Vec<u8> {
    let (head, frames) = sample_frames();
    let mut all = Vec::new();
    for copy in 0..32u16 {
        for (n, (ts, frame)) in frames.iter().enumerate() {
            let mut f = frame.clone();
            // Ethernet, IPv4: the ports follow the IP header.
            assert_eq!(f[12..14], [0x08, 0x00]);
            let l4 = 14 + usize::from(f[14] & 0x0f) * 4;
            for at in [l4, l4 + 2] {
                let port = u16::from_be_bytes([f[at], f[at + 1]]);
                if port != 5060 && port != 5061 {
                    f[at..at + 2].copy_from_slice(&(port + copy * 16).to_be_bytes());
                }
            }
            all.push((ts + u64::from(copy) * 700, copy, n, f));
        }
    }
    all.sort_by_key(|&(ts, copy, n, _)| (ts, copy, n));
    let mut out = head;
    for (ts, _, _, f) in all {
        push_record(&mut out, ts, &f);
    }
    out
}

#[test]
fn sharded_run_of_many_interleaved_connections_reports_what_one_thread_does() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("busy.pcap");
    std::fs::write(&path, busy_capture()).expect("write");
    let single = assert_sharded_runs_match(&path, "busy.pcap");
    // 32 copies of the sample's 36 SIP messages (32 over TCP, 4 over UDP).
    let one = analyze("federation-plain.pcap", &["--threads", "1"]);
    assert_eq!(
        Some(single.sip.messages),
        one["sip"]["messages"].as_u64().map(|n| n * 32)
    );
    assert_eq!(single.summary.tcp_flows, 64);
}

/// Records name flows by their reported number (1, 2, 3 … by first frame),
/// also after the flow closed and its number was forgotten by the collector:
/// IM sessions ended by the close, and PIC-STALE-PRESENCE judged at the end.
#[test]
fn records_name_flows_by_their_reported_number_after_the_flow_closed() {
    for name in [
        "federation-plain.pcap",
        "federation-impaired.pcapng",
        "two-interfaces.pcapng",
    ] {
        let j = analyze(name, &[]);
        let flows = j["flows"].as_array().expect("flows");
        let ids: Vec<u64> = flows.iter().filter_map(|f| f["id"].as_u64()).collect();
        assert_eq!(ids, (1..=flows.len() as u64).collect::<Vec<_>>(), "{name}");
        let provider_of = |id: u64| flows[(id - 1) as usize]["provider"].clone();
        for s in j["im_sessions"].as_array().expect("im") {
            let id = s["flow"].as_u64().expect("flow");
            assert!(ids.contains(&id), "{name}: session names flow {id}");
            assert_eq!(provider_of(id), s["provider"], "{name}: flow {id}");
        }
        for v in j["violations"].as_array().expect("violations") {
            if let Some(id) = v["flow"].as_u64() {
                assert!(ids.contains(&id), "{name}: {} names flow {id}", v["rule"]);
                assert_eq!(provider_of(id), v["provider"], "{name}: flow {id}");
            }
        }
    }
    // The AOL connection (flow 2) closes with FIN while a presence
    // subscription is active; the finding comes at the end of the capture.
    let j = analyze("federation-plain.pcap", &[]);
    let stale: Vec<&Value> = j["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["rule"] == "PIC-STALE-PRESENCE")
        .collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["flow"], 2);
    assert_eq!(j["flows"][1]["closed"], "fin");
}

/// `federation-plain.pcap` followed by `junk_frames` frames of 64 KB of
/// zeros under an ethertype nothing reads (0x88b5, local experimental),
/// gzip-compressed: the zeros shrink to almost nothing, so the file is far
/// smaller than the capture it holds.
fn padded_gz(path: &std::path::Path, junk_frames: usize) {
    use std::io::Write;
    let (mut out, frames) = sample_frames();
    for (ts, f) in &frames {
        push_record(&mut out, *ts, f);
    }
    // The junk follows the last frame in time.
    let last = frames.last().map_or(0, |f| f.0);
    let mut junk = vec![0u8; 65_535];
    junk[12..14].copy_from_slice(&[0x88, 0xb5]);
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(&out).expect("write");
    let mut record = Vec::new();
    push_record(&mut record, last, &junk);
    for _ in 0..junk_frames {
        gz.write_all(&record).expect("write");
    }
    gz.finish().expect("finish");
}

/// A .gz capture is sharded by the size of the capture it holds (its gzip
/// trailer), not by its file's size: 33 MB of capture in a file of well
/// under 1 MB runs on every thread asked for, 31 MB on one; both report
/// the sample's messages and count the junk frames as ignored.
#[test]
fn gz_capture_is_sharded_by_the_size_it_holds() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = stats_config();
    let one = analyze("federation-plain.pcap", &["--threads", "1"]);
    // 528 frames of 64 KB: 33.0 MiB, over the 32 MiB threshold; 496: 31.0 MiB, under.
    for (junk, threads) in [(528usize, 2u64), (496, 1)] {
        let path = dir.path().join(format!("padded-{junk}.pcap.gz"));
        padded_gz(&path, junk);
        let file = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(file < 1 << 20, "{junk}: the .gz is {file} bytes");
        let report = fedscope::engine::analyze_files(std::slice::from_ref(&path), &cfg, 2);
        assert_eq!(report.stats.len(), 1, "{junk}");
        assert_eq!(
            report.stats[0].1.threads.max(1),
            threads,
            "{junk} junk frames"
        );
        assert_eq!(
            Some(report.sip.messages),
            one["sip"]["messages"].as_u64(),
            "{junk}"
        );
        assert_eq!(report.captures.len(), 1, "{junk}");
        assert_eq!(report.captures[0].frames_ignored, junk as u64, "{junk}");
    }
}
