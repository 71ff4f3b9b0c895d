//! The command-line and JSON contract of output-contract.md: names that
//! scripts and SIEM pipelines read must stay exactly as documented.

use std::process::Command;

use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/federation-plain.pcap");

fn fedscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fedscope"))
        .args(args)
        .output()
        .expect("run fedscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn has_all(v: &Value, names: &[&str]) {
    let k = keys(v);
    for n in names {
        assert!(k.contains(n), "missing {n:?} in {k:?}");
    }
}

#[test]
fn json_report_has_every_contract_name() {
    let (code, out, err) = fedscope(&["analyze", SAMPLE, "--format", "json", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(j["schema"], "fedscope/1");
    has_all(
        &j,
        &[
            "schema",
            "captures",
            "flows",
            "sip",
            "im_sessions",
            "presence",
            "violations",
        ],
    );
    let cap = &j["captures"][0];
    has_all(cap, &["path", "frames", "bytes", "start", "end", "errors"]);
    assert!(
        cap["start"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.contains('T')),
        "RFC 3339 UTC"
    );
    let flows = j["flows"].as_array().expect("flows");
    assert!(!flows.is_empty());
    for f in flows {
        has_all(
            f,
            &[
                "id",
                "capture",
                "client",
                "server",
                "transport",
                "provider",
                "tls",
                "sip_messages",
                "gaps",
            ],
        );
        assert!(["tls", "tcp", "udp"].contains(&f["transport"].as_str().unwrap_or("")));
    }
    has_all(
        &j["sip"],
        &["messages", "requests", "responses", "unparsed"],
    );
    for (code, _) in j["sip"]["responses"].as_object().expect("responses") {
        assert!(
            code.parse::<u16>().is_ok(),
            "responses keyed by status code string: {code}"
        );
    }
    for s in j["im_sessions"].as_array().expect("im_sessions") {
        has_all(
            s,
            &[
                "call_id",
                "conversation_id",
                "local",
                "remote",
                "provider",
                "start",
                "end",
                "messages_out",
                "messages_in",
                "outcome",
            ],
        );
    }
    for p in j["presence"].as_array().expect("presence") {
        has_all(
            p,
            &[
                "call_id",
                "watcher",
                "presentity",
                "provider",
                "outcome",
                "notifications",
                "states",
            ],
        );
    }
    for v in j["violations"].as_array().expect("violations") {
        has_all(
            v,
            &[
                "rule", "severity", "provider", "capture", "flow", "call_id", "frames", "time",
                "message",
            ],
        );
    }
}

#[test]
fn ndjson_events_are_typed_and_in_capture_time_order() {
    let (code, out, err) = fedscope(&["analyze", SAMPLE, "--format", "ndjson", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON per line"))
        .collect();
    assert!(events.len() > 2);
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    for t in &types {
        assert!(
            [
                "flow",
                "sip",
                "im_session",
                "presence",
                "violation",
                "summary"
            ]
            .contains(t),
            "{t}"
        );
    }
    assert_eq!(types.last(), Some(&"summary"));
    let sip = types.iter().filter(|t| **t == "sip").count() as u64;
    let summary = events.last().expect("summary");
    assert_eq!(
        summary["sip"]["messages"].as_u64(),
        Some(sip),
        "one sip event per message"
    );
    let times: Vec<&str> = events
        .iter()
        .filter_map(|e| {
            e.get("time")
                .or_else(|| e.get("start"))
                .and_then(Value::as_str)
        })
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "capture-time order");
}

#[test]
fn output_file_and_exit_codes() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("report.json");
    let p = path.to_str().expect("utf-8 path");
    let (code, out, _) = fedscope(&[
        "analyze", SAMPLE, "--format", "json", "--output", p, "--quiet",
    ]);
    assert_eq!(code, 0);
    assert!(out.is_empty(), "report goes to the file, not stdout");
    let j: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("report file")).expect("json");
    assert_eq!(j["schema"], "fedscope/1");
    // Usage errors exit 2.
    assert_eq!(fedscope(&["analyze"]).0, 2);
    assert_eq!(fedscope(&["analyze", SAMPLE, "--format", "xml"]).0, 2);
    assert_eq!(fedscope(&["analyze", SAMPLE, "--fail-on", "nonsense"]).0, 2);
}

#[test]
fn fail_on_exits_3_only_when_a_finding_reaches_the_severity() {
    // The plain sample talks SIP to providers without TLS: PIC-PLAINTEXT (error) fires.
    let (code, out, _) = fedscope(&[
        "analyze",
        SAMPLE,
        "--format",
        "json",
        "--quiet",
        "--fail-on",
        "error",
    ]);
    let j: Value = serde_json::from_str(&out).expect("json");
    let errors = j["violations"]
        .as_array()
        .map(|v| v.iter().filter(|x| x["severity"] == "error").count());
    assert!(
        errors.unwrap_or(0) > 0,
        "plaintext federation is an error finding"
    );
    assert_eq!(code, 3);
    let (code, _, _) = fedscope(&["analyze", SAMPLE, "--format", "json", "--quiet"]);
    assert_eq!(code, 0, "findings alone do not change the exit status");
}

#[test]
fn providers_and_rules_commands_print_the_tables_in_force() {
    let (code, out, _) = fedscope(&["providers"]);
    assert_eq!(code, 0);
    for needle in [
        "MSN",
        "AOL",
        "Yahoo",
        "134.170.96.0/26",
        "64.12.0.0/16",
        "98.136.47.17",
        "icq.com",
        "hotmail.com",
    ] {
        assert!(out.contains(needle), "providers table lacks {needle}");
    }
    let (code, out, _) = fedscope(&["rules"]);
    assert_eq!(code, 0);
    for id in [
        "PIC-MEDIA",
        "PIC-FALSE-ACCEPT",
        "PIC-MULTIPARTY",
        "PIC-PLAINTEXT",
        "PIC-PORT",
        "PIC-UNKNOWN-SOURCE",
        "PIC-DOMAIN",
        "PIC-EASI",
        "PIC-INVALID-CONTACT",
        "PIC-PRESENCE-MAP",
        "PIC-MPOP",
        "PIC-CLOSED-SESSION",
        "PIC-STALE-PRESENCE",
        "PIC-WEAK-TLS",
        "PIC-CERT",
        "PIC-AOL-URL",
    ] {
        assert!(out.contains(id), "rules catalog lacks {id}");
    }
}

#[test]
fn stats_show_every_stage_and_the_run_around_them() {
    let (code, out, err) = fedscope(&[
        "analyze",
        SAMPLE,
        "--format",
        "json",
        "--quiet",
        "--stats",
        "--threads",
        "1",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with('{'), "the report still goes to stdout");
    // 36 SIP messages in the sample (tests/samples_plain.rs).
    assert!(err.contains("federation-plain.pcap:"), "{err}");
    assert!(err.contains(" 36 SIP messages"), "{err}");
    // The frames' bytes, and the file's size beside them (records' headers included).
    let size = std::fs::metadata(SAMPLE).map(|m| m.len()).unwrap_or(0) as f64;
    assert!(err.contains(" MB of frames in "), "{err}");
    assert!(
        err.contains(&format!("(the capture, {:.1} MB: ", size / 1e6)),
        "{err}"
    );
    for stage in ["read", "decode", "reassembly", "tls", "sip", "analysis"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("stats:   {stage} "))),
            "no {stage} line in {err}"
        );
    }
    let run = err
        .lines()
        .find(|l| l.starts_with("stats: run "))
        .unwrap_or_else(|| panic!("no run line in {err}"));
    for phase in ["keys and options", "captures", "report"] {
        assert!(run.contains(phase), "{run}");
    }
}
