//! The `fedscope` binary: parses arguments and maps outcomes to exit codes.

use clap::Parser;

mod allocator;

/// mimalloc (see `allocator`).
#[global_allocator]
static GLOBAL: allocator::Allocator = allocator::Allocator;

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
