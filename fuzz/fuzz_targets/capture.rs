#![no_main]
//! Fuzz target: the capture reader and everything behind it. The input is
//! read as a capture file (pcap, pcapng or gzip by magic number) and run
//! through the whole single-threaded pipeline: link/IP/TCP decode, IP
//! defragmentation, TCP reassembly, SIP framing and parsing, analysis, and
//! the report in every format (JSON, NDJSON, tables, spooled records). The
//! first byte picks a mode so the fuzzer also reaches record parsing without
//! having to discover a valid file header first:
//! - 0: the bytes as they are;
//! - 1: a little-endian microsecond pcap header (Ethernet) then the bytes;
//! - 2: a pcapng Section Header + Ethernet IDB then the bytes as blocks.
//!
//! Seed it with the samples: `cp samples/*.pcap* fuzz/corpus/capture/`.
//! It must never panic; errors are the normal outcome.

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use fedscope::capture;
use fedscope::engine::{EngineConfig, KeyMaterial, analyze_source};
use fedscope::providers::ProviderTable;
use fedscope::report::{Report, TableOptions, write_json, write_ndjson, write_tables};
use libfuzzer_sys::fuzz_target;

mod capture_file;

fn config() -> &'static EngineConfig {
    static CFG: OnceLock<EngineConfig> = OnceLock::new();
    CFG.get_or_init(|| EngineConfig::new(KeyMaterial::new(), ProviderTable::builtin()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = capture_file::capture_bytes(mode, rest);
    let name = Path::new("fuzz.pcap");
    if let Ok(mut src) = capture::from_reader(Box::new(Cursor::new(bytes)), name) {
        let result = analyze_source(name, src.as_mut(), config());
        let report = Report::merge(vec![result], &config().keys);
        let mut sink = std::io::sink();
        let _ = write_json(&report, &mut sink);
        let _ = write_ndjson(&report, &mut sink);
        let _ = write_tables(&report, &TableOptions::default(), &mut sink);
    }
});
