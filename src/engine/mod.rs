//! Wires the stages together: one capture at a time through decode →
//! reassembly → TLS → SIP → analysis (`capture_run`), many captures in
//! parallel with rayon, merged into one [`crate::report::Report`].

mod app;
mod capture_run;
mod collect;
mod discover;
mod events;
mod keys;
mod merge_queue;
mod result;
mod runs;
mod shard;
mod sharded;
mod spool;

pub use capture_run::{analyze_capture, analyze_source};
pub use discover::expand_paths;
pub use keys::KeyMaterial;
pub use result::{
    CaptureResult, CaptureSummary, FlowRecord, ProviderSummary, ProviderTally, SipCounts,
    SipEventRecord, StageStats,
};
pub use runs::{Runs, ordered_i64};
pub use spool::{KEPT, Spool, SpoolKey, SpoolReader};

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use rayon::prelude::*;

use crate::analysis::AnalysisConfig;
use crate::providers::ProviderTable;
use crate::reassembly::ReassemblyConfig;
use crate::report::Report;

/// Everything an analysis run needs, built by the CLI.
#[derive(Clone)]
pub struct EngineConfig {
    /// Decryption secrets from the command line.
    pub keys: Arc<KeyMaterial>,
    /// Providers in force.
    pub providers: Arc<ProviderTable>,
    /// Analysis settings.
    pub analysis: AnalysisConfig,
    /// Reassembly limits.
    pub reassembly: ReassemblyConfig,
    /// Keep one record per SIP message (for `--format ndjson`).
    pub keep_sip_events: bool,
    /// Bytes read so far over all captures (progress indicator).
    pub progress: Arc<AtomicU64>,
    /// Called as things happen (live capture prints with it).
    pub on_event: Option<EventHook>,
    /// Measure time per stage (`--stats`).
    pub stats: bool,
    /// With 2 threads, the flow-hash buckets (of 32) the reading thread
    /// keeps for its own shard; `None` is the tuned default. Results do
    /// not depend on it; tests use it to put flows on either thread.
    pub reader_share: Option<u64>,
    /// Sharded runs: messages in flight to each worker and frames between
    /// watermark ticks; `None` is the tuned default (4 and 512). Results do
    /// not depend on them; tests make them small so that queues run full
    /// and events are released at many more points.
    pub hand_off: Option<(usize, u64)>,
}

/// Something that just happened, for printing while a live capture runs.
#[derive(Clone, Copy, Debug)]
pub enum LiveEvent<'a> {
    /// A SIP message was decoded.
    Sip(&'a SipEventRecord),
    /// A flow ended.
    FlowClosed(&'a FlowRecord),
    /// A rule fired.
    Violation(&'a crate::analysis::Violation),
}

/// Receives [`LiveEvent`]s.
pub type EventHook = Arc<dyn Fn(LiveEvent<'_>) + Send + Sync>;

impl EngineConfig {
    /// A configuration with built-in providers and no keys.
    pub fn new(keys: KeyMaterial, providers: ProviderTable) -> Self {
        EngineConfig {
            keys: Arc::new(keys),
            providers: Arc::new(providers),
            analysis: AnalysisConfig::default(),
            reassembly: ReassemblyConfig::default(),
            keep_sip_events: false,
            progress: Arc::new(AtomicU64::new(0)),
            on_event: None,
            stats: false,
            reader_share: None,
            hand_off: None,
        }
    }
}

/// Captures smaller than this (once decompressed) are not worth sharding over threads.
const SHARD_MIN_BYTES: u64 = 32 << 20;

/// Analyzes every capture and merges the results in input order. Files run in
/// parallel (rayon); when there are fewer files than `threads`, large files are
/// also sharded by flow so every core works. `threads` 0 means all cores.
pub fn analyze_files(files: &[PathBuf], cfg: &EngineConfig, threads: usize) -> Report {
    let cores = if threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        threads
    };
    let per_file = (cores / files.len().max(1)).max(1);
    let run = |path: &PathBuf| {
        let big = crate::capture::stream_size(path).is_ok_and(|n| n >= SHARD_MIN_BYTES);
        analyze_capture(path, cfg, if big { per_file } else { 1 })
    };
    let results: Vec<CaptureResult> = if files.len() > 1 && cores > 1 {
        match rayon::ThreadPoolBuilder::new().num_threads(cores).build() {
            Ok(pool) => pool.install(|| files.par_iter().map(run).collect()),
            Err(_) => files.iter().map(run).collect(),
        }
    } else {
        files.iter().map(run).collect()
    };
    Report::merge(results, &cfg.keys)
}
