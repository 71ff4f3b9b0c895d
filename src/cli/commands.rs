//! Running a parsed command line: build the configuration, run, render, exit code.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use super::args::{AnalyzeArgs, Cli, Command, CommonArgs, Format};
use super::progress::Progress;
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE};
use crate::analysis::Severity;
use crate::engine::{self, EngineConfig, KeyMaterial};
use crate::providers::ProviderTable;
use crate::report::{self, Report, TableOptions, new_table};

/// Why a command could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or option files (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The report could not be written.
    #[error("cannot write report: {0}")]
    Output(#[from] std::io::Error),
}

/// Runs the command; returns the process exit status.
pub fn run(cli: Cli) -> Result<i32, CliError> {
    match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Live(l) => super::live::run(l),
        Command::Providers { providers } => {
            let table = load_providers(providers.as_ref())?;
            print_providers(&table, &mut std::io::stdout().lock())?;
            Ok(EXIT_OK)
        }
        Command::Rules => {
            print_rules(&mut std::io::stdout().lock())?;
            Ok(EXIT_OK)
        }
    }
}

/// Builds the provider table from the built-in data and an optional file.
pub(crate) fn load_providers(path: Option<&PathBuf>) -> Result<ProviderTable, CliError> {
    let mut table = ProviderTable::builtin();
    if let Some(p) = path {
        table
            .apply_file(p)
            .map_err(|e| CliError::Usage(e.to_string()))?;
    }
    Ok(table)
}

/// Builds the engine configuration shared by `analyze` and `live`.
pub(crate) fn engine_config(c: &CommonArgs) -> Result<EngineConfig, CliError> {
    let mut keys = KeyMaterial::new();
    for k in &c.keylog {
        keys.add_keylog_file(k);
    }
    for k in &c.rsa_key {
        keys.add_rsa_key(k);
    }
    let mut cfg = EngineConfig::new(keys, load_providers(c.providers.as_ref())?);
    cfg.analysis.show_content = c.show_content;
    cfg.analysis.closed_session_secs = c.closed_session_minutes.saturating_mul(60);
    if let Some(bundle) = &c.ca_bundle {
        cfg.analysis.trust_anchors = read_ca_bundle(bundle)?;
    }
    cfg.keep_sip_events = c.format == Format::Ndjson;
    cfg.stats = c.stats;
    Ok(cfg)
}

fn read_ca_bundle(path: &PathBuf) -> Result<Vec<Vec<u8>>, CliError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| CliError::Usage(format!("{}: cannot read CA bundle: {e}", path.display())))?;
    let mut out = Vec::new();
    for cert in iter {
        let cert = cert.map_err(|e| {
            CliError::Usage(format!(
                "{}: bad certificate in CA bundle: {e}",
                path.display()
            ))
        })?;
        out.push(cert.as_ref().to_vec());
    }
    if out.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no certificates in CA bundle",
            path.display()
        )));
    }
    Ok(out)
}

/// Opens the report destination.
pub(crate) fn output(path: Option<&PathBuf>) -> Result<Box<dyn Write>, CliError> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(File::create(p).map_err(|e| {
            CliError::Usage(format!("{}: cannot create output file: {e}", p.display()))
        })?)),
        None => Box::new(BufWriter::new(std::io::stdout())),
    })
}

/// Renders a report in the chosen format.
pub(crate) fn render(r: &Report, c: &CommonArgs, out: &mut dyn Write) -> std::io::Result<()> {
    match c.format {
        Format::Table => report::write_tables(
            r,
            &TableOptions {
                stats: c.stats,
                max_flows: None,
            },
            out,
        )?,
        Format::Json => report::write_json(r, out)?,
        Format::Ndjson => report::write_ndjson(r, out)?,
    }
    out.flush()
}

/// The exit status for a finished report.
pub(crate) fn exit_status(r: &Report, c: &CommonArgs) -> i32 {
    if let Some(sev) = c.fail_on.as_deref().and_then(Severity::parse)
        && r.has_finding_at_least(sev)
    {
        return EXIT_FINDINGS;
    }
    if r.any_unreadable() {
        EXIT_UNREADABLE
    } else {
        EXIT_OK
    }
}

fn analyze(a: AnalyzeArgs) -> Result<i32, CliError> {
    let started = Instant::now();
    let cfg = engine_config(&a.common)?;
    let configured = started.elapsed();
    let (files, missing) = engine::expand_paths(&a.paths);
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let counter: Arc<AtomicU64> = cfg.progress.clone();
    let mut out = output(a.common.output.as_ref())?;
    let report = {
        let _progress = Progress::start(counter, total, !a.quiet);
        let mut r = engine::analyze_files(&files, &cfg, a.threads);
        for (path, why) in missing {
            r.captures.push(engine::CaptureSummary {
                path: path.display().to_string(),
                errors: vec![format!("{}: {why}", path.display())],
                unreadable: true,
                ..Default::default()
            });
        }
        r
    };
    let analyzed = started.elapsed();
    if a.common.stats {
        print_stats(&report);
    }
    render(&report, &a.common, &mut out)?;
    out.flush()?;
    if a.common.stats {
        print_run_phases(configured, analyzed, started.elapsed());
    }
    let status = exit_status(&report, &a.common);
    // The process exits next (only `main` calls this): freeing the report
    // and the key store piece by piece took ~1 ms, which exit does at once.
    std::mem::forget(report);
    std::mem::forget(cfg);
    Ok(status)
}

/// The whole run's phases around the captures' stages: reading the key logs
/// and options, analyzing every capture (the stages above, plus merging the
/// captures' results), and writing the report.
fn print_run_phases(configured: Duration, analyzed: Duration, total: Duration) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let _ = writeln!(
        std::io::stderr().lock(),
        "stats: run {:.1} ms: keys and options {:.1} ms, captures {:.1} ms, report {:.1} ms",
        ms(total),
        ms(configured),
        ms(analyzed.saturating_sub(configured)),
        ms(total.saturating_sub(analyzed)),
    );
}

fn print_stats(r: &Report) {
    let mut e = std::io::stderr().lock();
    for (path, s) in &r.stats {
        let bytes = r
            .captures
            .iter()
            .find(|c| &c.path == path)
            .map(|c| c.bytes)
            .unwrap_or(0) as f64;
        let messages = s.sip_messages;
        let wall = (s.wall_ns as f64 / 1e9).max(1e-9);
        // The frames' bytes leave out the file's record headers (2 % of a
        // capture of 600-byte frames); the capture's own size, decompressed
        // for a .gz, is what a reader of the file moves, and what the
        // side-by-side benchmark divides by.
        let capture = crate::capture::stream_size(std::path::Path::new(path))
            .map(|n| {
                let n = n as f64;
                format!(
                    " (the capture, {:.1} MB: {:.0} MB/s)",
                    n / 1e6,
                    n / 1e6 / wall
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            e,
            "stats: {path}: {:.1} MB of frames in {:.1} ms wall = {:.0} MB/s{capture}, {messages} SIP messages = {:.0} messages/s",
            bytes / 1e6,
            wall * 1e3,
            bytes / 1e6 / wall,
            messages as f64 / wall
        );
        let stages = [
            ("read", s.read_ns),
            ("decode", s.decode_ns),
            ("reassembly", s.reassembly_ns),
            ("tls", s.tls_ns),
            ("sip", s.sip_ns),
            ("analysis", s.analysis_ns),
        ];
        for (name, ns) in stages {
            let secs = ns as f64 / 1e9;
            let rate = if secs > 0.0 {
                format!("{:.0} MB/s", bytes / 1e6 / secs)
            } else {
                "-".into()
            };
            let _ = writeln!(e, "stats:   {name:<10} {:>9.1} ms  {rate:>12}", secs * 1e3);
        }
        if s.threads > 1 {
            // Which side of the hand-off is the bottleneck.
            let _ = writeln!(
                e,
                "stats:   {} threads: reader blocked on full worker queues {:.1} ms, workers waiting for the reader {:.1} ms",
                s.threads,
                s.reader_waiting_ns as f64 / 1e6,
                s.worker_idle_ns as f64 / 1e6
            );
            if s.chunks > 0 {
                let _ = writeln!(
                    e,
                    "stats:   workers read {} of {} read chunks ahead for the reader ({:.1} ms of the read time)",
                    s.chunks_read_ahead,
                    s.chunks,
                    s.read_ahead_ns as f64 / 1e6
                );
            }
        }
    }
}

fn print_providers(table: &ProviderTable, out: &mut dyn Write) -> std::io::Result<()> {
    let mut t = new_table(&[
        "provider",
        "address ranges",
        "domains",
        "state shown to / from the provider",
    ]);
    for r in table.rows() {
        t.add_row(vec![
            r.provider,
            r.ranges.join("\n"),
            r.domains.join(", "),
            r.state_map.join("\n"),
        ]);
    }
    writeln!(out, "{t}")
}

fn print_rules(out: &mut dyn Write) -> std::io::Result<()> {
    let mut t = new_table(&["rule", "severity", "KB section", "fires when"]);
    for r in crate::analysis::rules() {
        t.add_row(vec![r.id, r.severity.as_str(), r.kb_section, r.description]);
    }
    writeln!(out, "{t}")
}
