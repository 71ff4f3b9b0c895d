//! The `fedscope` binary: parses arguments and maps outcomes to exit codes.

use clap::Parser;

/// mimalloc: per-message buffers are allocated on a worker thread and freed
/// on the analysis thread; glibc malloc spent ~10% of a run in malloc/free
/// and its cross-thread bookkeeping, mimalloc a fraction of that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = fedscope::cli::Cli::parse();
    match fedscope::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(fedscope::cli::CliError::Usage(msg)) => {
            eprintln!("fedscope: {msg}");
            std::process::exit(fedscope::cli::EXIT_USAGE);
        }
        Err(e) => Err(anyhow::anyhow!(e)),
    }
}
