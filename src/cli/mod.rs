//! Command line: arguments become an engine configuration (ripgrep style:
//! the CLI configures and stops there), then a command runs and a printer
//! renders the report. Exit codes follow output-contract.md.

mod args;
mod commands;
mod live;
mod progress;

pub use args::{AnalyzeArgs, Cli, Command, Format};
pub use commands::{CliError, run};

/// Exit status: analysis done (findings or not).
pub const EXIT_OK: i32 = 0;
/// Exit status: some inputs could not be read (the rest are still reported).
pub const EXIT_UNREADABLE: i32 = 1;
/// Exit status: usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: a finding at or above `--fail-on` exists.
pub const EXIT_FINDINGS: i32 = 3;
