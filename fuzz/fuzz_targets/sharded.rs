#![no_main]
//! Fuzz target, differential: a capture sharded over threads must report
//! exactly what one thread does. The input is read as a capture file like
//! the `capture` target's (first byte: as is, after a pcap header, or after
//! a pcapng header); the second byte picks the thread count (2 to 5),
//! with 2 threads the reading thread's share of the flows (the default,
//! half or all), and the hand-off: the default, or one message in flight
//! per worker and a tick every 4 frames, so that queues run full and the
//! reader merges while it waits. Flows, SIP counts, IM sessions, presence, findings, notes,
//! transactions and the capture summary are compared as JSON; any
//! difference panics. (Inputs are far below the out-of-order buffering cap
//! the shards split between them, so that cannot differ here.)
//!
//! Seed it with the samples behind the two leading bytes (as is, default
//! share, 2 threads): `for f in samples/*.pcap samples/*.pcapng; do
//! (printf '\0\0'; cat "$f") > "fuzz/corpus/sharded/$(basename "$f")"; done`.
//! It runs about 180-250 inputs a second here (two analyses, threads started
//! and a file written per input).

use std::path::PathBuf;
use std::sync::OnceLock;

use fedscope::engine::{CaptureResult, EngineConfig, KeyMaterial, analyze_capture};
use fedscope::providers::ProviderTable;
use libfuzzer_sys::fuzz_target;

mod capture_file;

/// Configurations with the reading thread's share unset, 16 and 32 of 32,
/// each with the default and with a tight hand-off.
fn configs() -> &'static [EngineConfig; 6] {
    static CFG: OnceLock<[EngineConfig; 6]> = OnceLock::new();
    CFG.get_or_init(|| {
        [0, 1, 2, 3, 4, 5].map(|i| {
            let mut c = EngineConfig::new(KeyMaterial::new(), ProviderTable::builtin());
            c.reader_share = [None, Some(16), Some(32)][i % 3];
            c.hand_off = (i >= 3).then_some((1, 4));
            c
        })
    })
}

/// Everything a run reports, as JSON values.
fn reported(r: &CaptureResult) -> Vec<Option<serde_json::Value>> {
    vec![
        serde_json::to_value(&r.summary).ok(),
        serde_json::to_value(&r.flows).ok(),
        serde_json::to_value(&r.sip).ok(),
        serde_json::to_value(&r.im_sessions).ok(),
        serde_json::to_value(&r.presence).ok(),
        serde_json::to_value(&r.violations).ok(),
        serde_json::to_value(&r.notes).ok(),
        serde_json::to_value(&r.transactions).ok(),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((&how, rest)) = rest.split_first() else {
        return;
    };
    let bytes = capture_file::capture_bytes(mode, rest);
    // analyze_capture reads a file; one per fuzzing process.
    let path: PathBuf =
        std::env::temp_dir().join(format!("fedscope-fuzz-{}.pcap", std::process::id()));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let threads = 2 + usize::from(how % 4);
    let cfg = &configs()[usize::from(how / 4) % 6];
    let one = reported(&analyze_capture(&path, cfg, 1));
    let many = reported(&analyze_capture(&path, cfg, threads));
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        one, many,
        "{threads} threads, reader share {:?}, hand-off {:?}",
        cfg.reader_share, cfg.hand_off
    );
});
