//! Argument definitions (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// fedscope: what happened on a Lync / Communications Server Access Edge's
/// federation links with AOL, MSN / Windows Live, Yahoo! and other partners.
#[derive(Parser, Debug)]
#[command(name = "fedscope", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Terminal tables.
    Table,
    /// One JSON object (output-contract.md).
    Json,
    /// One JSON event per line, in capture-time order.
    Ndjson,
}

/// Commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyze pcap / pcapng files (optionally .gz) or directories of them.
    Analyze(AnalyzeArgs),
    /// Analyze a live interface (build with `--features live`).
    Live(LiveArgs),
    /// Print the provider table in force.
    Providers {
        /// Providers TOML file overriding or extending the built-in table.
        #[arg(long, value_name = "FILE")]
        providers: Option<PathBuf>,
    },
    /// Print the restriction rule catalog.
    Rules,
}

/// Options shared by `analyze` and `live`.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// NSS key-log file (SSLKEYLOGFILE format); repeatable.
    #[arg(long, value_name = "FILE")]
    pub keylog: Vec<PathBuf>,
    /// RSA private key (PEM, PKCS#1 or PKCS#8) of the Edge, for static-RSA sessions; repeatable.
    #[arg(long = "rsa-key", value_name = "PEM")]
    pub rsa_key: Vec<PathBuf>,
    /// Providers TOML file overriding or extending the built-in table.
    #[arg(long, value_name = "FILE")]
    pub providers: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Include IM message text in the report (otherwise bodies are reported by type and length).
    #[arg(long)]
    pub show_content: bool,
    /// Trusted root certificates (PEM) for the PIC-CERT chain check.
    #[arg(long = "ca-bundle", value_name = "PEM")]
    pub ca_bundle: Option<PathBuf>,
    /// Exit with status 3 when a finding at or above this severity exists.
    #[arg(long = "fail-on", value_name = "SEVERITY", value_parser = ["info", "warning", "error"])]
    pub fail_on: Option<String>,
    /// Minutes of provider silence after which enterprise MESSAGEs raise PIC-CLOSED-SESSION.
    #[arg(
        long = "closed-session-minutes",
        value_name = "N",
        default_value_t = 10
    )]
    pub closed_session_minutes: u64,
    /// Print per-stage time and throughput on standard error.
    #[arg(long)]
    pub stats: bool,
}

/// `fedscope analyze`.
#[derive(Args, Debug, Clone)]
pub struct AnalyzeArgs {
    /// Capture files or directories (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Hide the progress indicator on a terminal.
    #[arg(long)]
    pub quiet: bool,
    /// Threads in all (0: every core). Files run in parallel; a large file is
    /// sharded by flow when there are fewer files than threads (its reading
    /// thread counts as one of them).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
}

/// `fedscope live`.
#[derive(Args, Debug, Clone)]
pub struct LiveArgs {
    /// Interface to capture on.
    #[arg(long, short = 'i', value_name = "IF")]
    pub interface: String,
    /// BPF capture filter.
    #[arg(long, default_value = "tcp port 5061 or port 5060")]
    pub filter: String,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "S")]
    pub duration: Option<u64>,
    /// Also write the captured packets to this pcap file.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
}
