//! Bad input never panics, names file, frame and byte offset, and loses
//! nothing else: every other file in the run is still reported.
//!
//! Each case builds its broken capture by hand (no writer that could share a
//! bug with the reader) and runs the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_fedscope")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// pcap global header, little-endian, microseconds, Ethernet.
fn pcap_header() -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

fn record(data: &[u8], incl_len: u32) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&1_300_000_000u32.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&incl_len.to_le_bytes());
    r.extend_from_slice(&(data.len() as u32).to_le_bytes());
    r.extend_from_slice(data);
    r
}

/// An Ethernet + IPv4 + UDP frame carrying `payload` from 203.0.113.10:5060 to 134.170.96.10:5060.
fn eth_ipv4_udp(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
    let total = 20 + 8 + payload.len();
    let mut ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        17,
        0,
        0,
        203,
        0,
        113,
        10,
        134,
        170,
        96,
        10,
    ];
    let mut sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16);
    ip[10..12].copy_from_slice(&ck.to_be_bytes());
    f.extend_from_slice(&ip);
    let ulen = (8 + payload.len()) as u16;
    f.extend_from_slice(&5060u16.to_be_bytes());
    f.extend_from_slice(&5060u16.to_be_bytes());
    f.extend_from_slice(&ulen.to_be_bytes());
    f.extend_from_slice(&0u16.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

const OPTIONS: &[u8] = b"OPTIONS sip:bob@hotmail.com SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK1\r\nFrom: <sip:alice@contoso.com>;tag=1\r\nTo: <sip:bob@hotmail.com>\r\nCall-ID: bad-input-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

/// A one-frame capture with a valid SIP OPTIONS over UDP.
fn good_capture(dir: &Path) -> PathBuf {
    let mut bytes = pcap_header();
    bytes.extend(record(
        &eth_ipv4_udp(OPTIONS),
        eth_ipv4_udp(OPTIONS).len() as u32,
    ));
    write(dir, "good.pcap", &bytes)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write capture");
    p
}

/// Runs `fedscope analyze --format json` on the paths; returns exit code and JSON.
fn analyze(paths: &[&Path]) -> (i32, Value, String) {
    let out = Command::new(bin())
        .arg("analyze")
        .args(paths)
        .args(["--format", "json", "--quiet"])
        .output()
        .expect("run fedscope");
    let code = out
        .status
        .code()
        .expect("exit code, not a signal (a panic aborts with 101)");
    assert_ne!(
        code,
        101,
        "fedscope panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON report even for bad input");
    (
        code,
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn errors_of(json: &Value, idx: usize) -> Vec<String> {
    json["captures"][idx]["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn empty_file_is_reported_and_exit_1() {
    let d = tmp();
    let p = write(d.path(), "empty.pcap", b"");
    let (code, json, _) = analyze(&[&p]);
    assert_eq!(code, 1);
    let errs = errors_of(&json, 0);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("empty.pcap") && errs[0].contains("empty"),
        "{errs:?}"
    );
}

#[test]
fn header_only_is_a_valid_empty_capture() {
    let d = tmp();
    let p = write(d.path(), "header-only.pcap", &pcap_header());
    let (code, json, _) = analyze(&[&p]);
    assert_eq!(code, 0);
    assert_eq!(json["captures"][0]["frames"], 0);
    assert!(errors_of(&json, 0).is_empty());
}

#[test]
fn truncated_mid_record_keeps_earlier_frames() {
    let d = tmp();
    let frame = eth_ipv4_udp(OPTIONS);
    let mut bytes = pcap_header();
    bytes.extend(record(&frame, frame.len() as u32));
    let second = record(&frame, frame.len() as u32);
    let second_offset = bytes.len();
    bytes.extend_from_slice(&second[..16 + 30]); // record header + 30 of its bytes
    let p = write(d.path(), "truncated.pcap", &bytes);
    let (code, json, _) = analyze(&[&p]);
    assert_eq!(code, 1);
    assert_eq!(
        json["captures"][0]["frames"], 1,
        "the complete first frame is kept"
    );
    assert_eq!(json["sip"]["requests"]["OPTIONS"], 1);
    let errs = errors_of(&json, 0);
    assert!(
        errs.iter().any(|e| e.contains("truncated.pcap")
            && e.contains("frame 2")
            && e.contains(&format!("offset {second_offset}"))),
        "error names file, frame 2 and offset {second_offset}: {errs:?}"
    );
}

#[test]
fn random_bytes_are_not_a_capture() {
    let d = tmp();
    let mut x: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    let p = write(d.path(), "random.pcap", &bytes);
    let (code, json, _) = analyze(&[&p]);
    assert_eq!(code, 1);
    let errs = errors_of(&json, 0);
    assert!(
        errs.iter()
            .any(|e| e.contains("random.pcap") && e.contains("offset 0")),
        "{errs:?}"
    );
}

#[test]
fn record_length_that_lies_is_caught() {
    let d = tmp();
    let frame = eth_ipv4_udp(OPTIONS);
    let mut bytes = pcap_header();
    bytes.extend(record(&frame, frame.len() as u32));
    let lie_offset = bytes.len();
    bytes.extend(record(&frame, 0x7fff_ffff));
    let p = write(d.path(), "lying.pcap", &bytes);
    let (code, json, _) = analyze(&[&p]);
    assert_eq!(code, 1);
    assert_eq!(json["captures"][0]["frames"], 1);
    let errs = errors_of(&json, 0);
    assert!(
        errs.iter().any(|e| e.contains("lying.pcap")
            && e.contains("frame 2")
            && e.contains(&format!("offset {lie_offset}"))),
        "{errs:?}"
    );
}

#[test]
fn corrupt_ip_header_is_reported_and_the_rest_decoded() {
    let d = tmp();
    let good = eth_ipv4_udp(OPTIONS);
    let mut bad = good.clone();
    bad[14] = 0x43; // IPv4 with IHL 3 (< 5): corrupt
    let mut bytes = pcap_header();
    let bad_offset = bytes.len();
    bytes.extend(record(&bad, bad.len() as u32));
    bytes.extend(record(&good, good.len() as u32));
    let p = write(d.path(), "corrupt-ip.pcap", &bytes);
    let (code, json, _) = analyze(&[&p]);
    assert_eq!(code, 0, "the file itself was readable");
    assert_eq!(json["captures"][0]["frames"], 2);
    assert_eq!(
        json["sip"]["requests"]["OPTIONS"], 1,
        "the good frame is still decoded"
    );
    let errs = errors_of(&json, 0);
    assert!(
        errs.iter().any(|e| e.contains("corrupt-ip.pcap")
            && e.contains("frame 1")
            && e.contains(&format!("offset {bad_offset}"))
            && e.to_lowercase().contains("ipv4")),
        "{errs:?}"
    );
}

#[test]
fn one_bad_file_does_not_hide_the_others() {
    let d = tmp();
    let good = good_capture(d.path());
    let bad = write(d.path(), "bad.pcap", b"\x00\x01\x02\x03garbage");
    let missing = d.path().join("missing.pcap");
    let (code, json, _) = analyze(&[&good, &bad, &missing]);
    assert_eq!(code, 1);
    let caps = json["captures"].as_array().expect("captures");
    assert_eq!(caps.len(), 3);
    assert_eq!(caps[0]["frames"], 1);
    assert_eq!(json["sip"]["requests"]["OPTIONS"], 1);
    assert_eq!(json["flows"].as_array().map(|a| a.len()), Some(1));
    assert!(!errors_of(&json, 1).is_empty());
    assert!(!errors_of(&json, 2).is_empty());
}

#[test]
fn directory_is_searched_recursively() {
    let d = tmp();
    std::fs::create_dir_all(d.path().join("host1/day2")).expect("mkdir");
    good_capture(&d.path().join("host1/day2"));
    write(d.path(), "notes.txt", b"not a capture");
    let (code, json, _) = analyze(&[d.path()]);
    assert_eq!(code, 0);
    assert_eq!(json["captures"].as_array().map(|a| a.len()), Some(1));
    assert_eq!(json["sip"]["messages"], 1);
}
