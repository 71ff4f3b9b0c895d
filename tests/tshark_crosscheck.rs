//! Cross-check against tshark, which reads the same captures and key logs:
//! for every sample, the SIP messages fedscope decodes (by method and status)
//! must equal what tshark decodes, except where a sample's notes say tshark
//! is wrong and why (asserted too, so a change on either side is noticed).
//!
//! Skipped (with a message) when tshark is not installed: `.ci/run` installs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn have_tshark() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// SIP messages tshark decodes, counted as "METHOD" or status code strings.
pub fn tshark_counts(
    capture: &Path,
    keylog: Option<&Path>,
    rsa_key: Option<&Path>,
) -> BTreeMap<String, u64> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(capture);
    cmd.args([
        "-o",
        "tcp.desegment_tcp_streams:TRUE",
        "-o",
        "tls.desegment_ssl_records:TRUE",
    ]);
    cmd.args([
        "-o",
        "tcp.analyze_sequence_numbers:TRUE",
        "-o",
        "tcp.reassemble_out_of_order:TRUE",
    ]);
    if let Some(k) = keylog {
        cmd.arg("-o")
            .arg(format!("tls.keylog_file:{}", k.display()));
    }
    if let Some(k) = rsa_key {
        cmd.arg("-o")
            .arg(format!("uat:rsa_keys:\"{}\",\"\"", k.display()));
    }
    if keylog.is_some() || rsa_key.is_some() {
        cmd.args(["-d", "tcp.port==5061,tls"]);
    } else {
        cmd.args(["-d", "tcp.port==5061,sip"]);
    }
    cmd.args([
        "-Y",
        "sip",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    cmd.args(["-e", "sip.Method", "-e", "sip.Status-Code"]);
    let out = cmd.output().expect("run tshark");
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cols = line.split('\t');
        let methods = cols.next().unwrap_or("");
        let codes = cols.next().unwrap_or("");
        // One frame can carry several messages: tshark lists each occurrence;
        // sip.Method is set by request lines only, sip.Status-Code by status lines.
        for m in methods.split(',').filter(|m| !m.is_empty()) {
            *counts.entry(m.to_string()).or_default() += 1;
        }
        for c in codes.split(',').filter(|c| !c.is_empty()) {
            *counts.entry(c.to_string()).or_default() += 1;
        }
    }
    counts
}

/// SIP messages fedscope decodes, counted the same way.
pub fn fedscope_counts(capture: &Path, extra: &[&str]) -> BTreeMap<String, u64> {
    let out = Command::new(env!("CARGO_BIN_EXE_fedscope"))
        .arg("analyze")
        .arg(capture)
        .args(["--format", "json", "--quiet"])
        .args(extra)
        .output()
        .expect("run fedscope");
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut counts = BTreeMap::new();
    for key in ["requests", "responses"] {
        if let Some(o) = j["sip"][key].as_object() {
            for (k, v) in o {
                counts.insert(k.clone(), v.as_u64().unwrap_or(0));
            }
        }
    }
    counts
}

/// Every sample with its key material, found by naming convention:
/// `X.pcap[ng]` uses `X.keylog` when present; `tls*-rsa-*` also `keys/edge-rsa.pem`.
fn sample_set() -> Vec<(PathBuf, Option<PathBuf>)> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(samples()) else {
        return v;
    };
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let stem = name.trim_end_matches(".pcapng").trim_end_matches(".pcap");
        let keylog = samples().join(format!("{stem}.keylog"));
        v.push((p.clone(), keylog.exists().then_some(keylog)));
    }
    v
}

/// Samples where tshark is known to decode less than fedscope, with the reason.
fn known_tshark_shortfall(name: &str) -> Option<&'static str> {
    if name.contains("-gap") {
        Some(
            "a TCP segment is missing: tshark's TLS/SIP reassembly stops decrypting that direction \
             after the hole, fedscope resynchronises on the next record",
        )
    } else {
        None
    }
}

#[test]
fn every_sample_matches_tshark() {
    if !have_tshark() {
        eprintln!("tshark not installed: cross-check skipped (apt-get install tshark)");
        return;
    }
    let set = sample_set();
    assert!(!set.is_empty(), "no samples found under samples/");
    let mut checked = 0;
    for (capture, keylog) in set {
        let name = capture
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let mut extra: Vec<String> = Vec::new();
        if let Some(k) = &keylog {
            extra.push("--keylog".into());
            extra.push(k.display().to_string());
        }
        let extra_ref: Vec<&str> = extra.iter().map(String::as_str).collect();
        let ours = fedscope_counts(&capture, &extra_ref);
        let theirs = tshark_counts(&capture, keylog.as_deref(), None);
        match known_tshark_shortfall(&name) {
            None => assert_eq!(ours, theirs, "{name}: fedscope vs tshark"),
            Some(why) => {
                let total = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
                assert!(
                    total(&ours) > total(&theirs),
                    "{name}: expected fedscope to decode more ({why})"
                );
                for (k, n) in &theirs {
                    assert!(
                        ours.get(k).copied().unwrap_or(0) >= *n,
                        "{name}: tshark found more {k}"
                    );
                }
            }
        }
        checked += 1;
    }
    eprintln!("cross-checked {checked} samples against tshark");
}

/// tshark 4.0's default (`tcp.reassemble_out_of_order:FALSE`) loses the
/// MESSAGE whose segments arrive out of order in the impaired sample; the
/// bytes are all there, so the right count is fedscope's 6 (tshark agrees
/// once out-of-order reassembly is switched on, as the cross-check does).
#[test]
fn tshark_default_loses_the_reordered_message_fedscope_does_not() {
    if !have_tshark() {
        eprintln!("tshark not installed: skipped");
        return;
    }
    let f = samples().join("federation-impaired.pcapng");
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(&f)
        .args([
            "-o",
            "tcp.desegment_tcp_streams:TRUE",
            "-o",
            "tcp.reassemble_out_of_order:FALSE",
        ])
        .args([
            "-d",
            "tcp.port==5061,sip",
            "-Y",
            "sip.Method == \"MESSAGE\"",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .output()
        .expect("tshark");
    let tshark_default = String::from_utf8_lossy(&out.stdout).lines().count();
    let ours = fedscope_counts(&f, &[]);
    assert_eq!(ours.get("MESSAGE"), Some(&6));
    assert!(tshark_default < 6, "tshark default found {tshark_default}");
}
