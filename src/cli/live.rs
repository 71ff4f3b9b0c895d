//! `fedscope live`: the pipeline on a live interface (cargo feature `live`).

use super::args::LiveArgs;
use super::commands::CliError;

/// Runs a live capture; without the `live` feature, explains how to get it.
#[cfg(not(feature = "live"))]
pub fn run(args: LiveArgs) -> Result<i32, CliError> {
    let _ = args;
    Err(CliError::Usage(
        "this fedscope was built without live capture; rebuild with `cargo build --release --features live` \
         (Linux: apt-get install libpcap-dev; Windows: the Npcap SDK)"
            .into(),
    ))
}

/// Runs a live capture.
#[cfg(feature = "live")]
pub fn run(args: LiveArgs) -> Result<i32, CliError> {
    let _ = args;
    Err(CliError::Usage("live capture is not built yet".into()))
}
