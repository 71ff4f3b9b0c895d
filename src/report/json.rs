//! `--format json`: the report as one JSON object.

use std::io::Write;

use super::Report;

/// Writes the report as pretty JSON followed by a newline.
pub fn write_json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    writeln!(out)
}
