//! Helpers shared by the whole-capture tests: run `fedscope analyze` on a
//! sample and read the SIP counts of its JSON report.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The sample directory.
pub fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Runs `fedscope analyze FILE ARGS --format json --quiet` and parses the JSON.
pub fn analyze(file: &str, args: &[String]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_fedscope"))
        .arg("analyze")
        .arg(samples().join(file))
        .args(args)
        .args(["--format", "json", "--quiet"])
        .output()
        .expect("run fedscope");
    assert!(
        out.status.success(),
        "fedscope analyze {file} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{file}: JSON: {e}\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `--keylog samples/NAME.keylog`.
pub fn keylog(name: &str) -> Vec<String> {
    vec![
        "--keylog".into(),
        samples()
            .join(format!("{name}.keylog"))
            .display()
            .to_string(),
    ]
}

/// `--rsa-key samples/keys/FILE`.
pub fn rsa_key(file: &str) -> Vec<String> {
    vec![
        "--rsa-key".into(),
        samples().join("keys").join(file).display().to_string(),
    ]
}

/// SIP counts from the JSON, requests by method and responses by status.
pub fn counts(j: &Value) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for key in ["requests", "responses"] {
        if let Some(o) = j["sip"][key].as_object() {
            for (k, v) in o {
                if v.as_u64().unwrap_or(0) > 0 {
                    m.insert(k.clone(), v.as_u64().unwrap_or(0));
                }
            }
        }
    }
    m
}

/// The key sources a static-RSA sample must decrypt with, each with the
/// `key_source` the report names: its key log, and the Edge's RSA key alone
/// (PKCS#8 and PKCS#1 copies).
pub fn rsa_sample_keys(stem: &str) -> [(Vec<String>, &'static str); 3] {
    [
        (keylog(stem), "keylog"),
        (rsa_key("edge-rsa.pem"), "rsa"),
        (rsa_key("edge-rsa.pkcs1.pem"), "rsa"),
    ]
}

/// The SIP counts of `conns` connections of the standard TLS sample exchange
/// (`examples/tls_samples/sip.rs`), less `lost_messages` MESSAGE requests
/// lost to a capture gap.
pub fn exchange_counts(conns: u64, lost_messages: u64) -> BTreeMap<String, u64> {
    let per = [
        ("INVITE", 1),
        ("ACK", 1),
        ("MESSAGE", 3),
        ("SUBSCRIBE", 1),
        ("NOTIFY", 1),
        ("BENOTIFY", 1),
        ("BYE", 1),
        ("200", 7),
    ];
    let mut m: BTreeMap<String, u64> = per
        .iter()
        .map(|(k, n)| (k.to_string(), n * conns))
        .collect();
    if let Some(n) = m.get_mut("MESSAGE") {
        *n -= lost_messages;
    }
    m
}
