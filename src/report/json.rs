//! `--format json`: the report as one JSON object.

use std::io::{BufWriter, Write};

use super::Report;

/// Writes the report as pretty JSON followed by a newline.
pub fn write_json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    // serde_json writes token by token: buffer here, where the writer's type
    // is known, rather than through `dyn Write` for every token.
    let mut w = BufWriter::with_capacity(1 << 18, out);
    serde_json::to_writer_pretty(&mut w, report).map_err(std::io::Error::other)?;
    writeln!(w)?;
    w.flush()
}
