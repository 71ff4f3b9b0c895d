//! `--format json`: the report as one JSON object.
//!
//! The output is exactly what `serde_json::to_writer_pretty` makes of
//! [`Report`], but the spooled records are copied as they are stored: each is
//! JSON fedscope serialized itself (one line, compact), which the pretty
//! printer would otherwise parse again (to hand it over as a raw value) for
//! every record. The other members are small and serialized as usual.

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde_json::ser::{PrettyFormatter, Serializer};

use super::Report;
use crate::engine::Spool;

/// Writes the report as pretty JSON followed by a newline.
pub fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Buffer here, where the writer's type is known, rather than through
    // `dyn Write` for every token.
    let mut w = BufWriter::with_capacity(1 << 18, out);
    // The members in `Report`'s order (a test holds this to its Serialize).
    let mut o = Object::new(&mut w)?;
    o.value("schema", &report.schema)?;
    o.value("captures", &report.captures)?;
    o.spool("flows", &report.flows)?;
    o.value("sip", &report.sip)?;
    o.spool("im_sessions", &report.im_sessions)?;
    o.spool("presence", &report.presence)?;
    o.spool("violations", &report.violations)?;
    o.value("transactions", &report.transactions)?;
    o.value("notes", &report.notes)?;
    o.value("providers", &report.providers)?;
    o.value("keys", &report.keys)?;
    o.end()?;
    writeln!(w)?;
    w.flush()
}

/// The top-level object, written member by member as the pretty printer lays it out.
struct Object<'a, W: Write> {
    w: &'a mut W,
    /// No member written yet.
    empty: bool,
}

impl<'a, W: Write> Object<'a, W> {
    fn new(w: &'a mut W) -> io::Result<Self> {
        w.write_all(b"{")?;
        Ok(Object { w, empty: true })
    }

    /// Starts a member: separator, indentation, name.
    fn key(&mut self, name: &str) -> io::Result<()> {
        self.w
            .write_all(if self.empty { b"\n  " } else { b",\n  " })?;
        self.empty = false;
        serde_json::to_writer(&mut *self.w, name).map_err(io::Error::other)?;
        self.w.write_all(b": ")
    }

    /// A member serialized by the pretty printer, one level in.
    fn value<T: Serialize + ?Sized>(&mut self, name: &str, v: &T) -> io::Result<()> {
        self.key(name)?;
        let mut ser = Serializer::with_formatter(Indented(&mut *self.w), PrettyFormatter::new());
        v.serialize(&mut ser).map_err(io::Error::other)
    }

    /// A member that is a spool: an array of its records as stored, one a line.
    fn spool<T>(&mut self, name: &str, spool: &Spool<T>) -> io::Result<()> {
        self.key(name)?;
        let w = &mut *self.w;
        w.write_all(b"[")?;
        let mut any = false;
        spool.for_each_json(|json| {
            w.write_all(if any { b",\n    " } else { b"\n    " })?;
            any = true;
            w.write_all(json)
        })?;
        w.write_all(if any { b"\n  ]" } else { b"]" })
    }

    fn end(self) -> io::Result<()> {
        self.w.write_all(if self.empty { b"}" } else { b"\n}" })
    }
}

/// Indents everything written through it by one level (two spaces after each
/// newline). The pretty printer writes a newline only between tokens (strings
/// escape theirs), so this moves a whole value one level in.
struct Indented<W>(W);

impl<W: Write> Write for Indented<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while let Some(i) = buf.iter().position(|&b| b == b'\n') {
            let (line, rest) = buf.split_at(i + 1);
            self.0.write_all(line)?;
            self.0.write_all(b"  ")?;
            buf = rest;
        }
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::engine::{EngineConfig, KeyMaterial, analyze_files};
    use crate::providers::ProviderTable;

    /// What `serde_json::to_writer_pretty` makes of the report (spools through
    /// their `Serialize`), and a newline.
    fn pretty(report: &Report) -> String {
        let mut s = serde_json::to_string_pretty(report).expect("serialize");
        s.push('\n');
        s
    }

    fn written(report: &Report) -> String {
        let mut out = Vec::new();
        write_json(report, &mut out).expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn an_empty_report_is_written_like_serde_writes_it() {
        let r = Report::default();
        assert_eq!(written(&r), pretty(&r));
    }

    #[test]
    fn a_report_of_samples_is_written_like_serde_writes_it() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
        let files: Vec<PathBuf> = ["federation-plain.pcap", "federation-impaired.pcapng"]
            .iter()
            .map(|f| dir.join(f))
            .collect();
        let cfg = EngineConfig::new(KeyMaterial::new(), ProviderTable::builtin());
        let r = analyze_files(&files, &cfg, 1);
        assert!(!r.flows.is_empty() && !r.violations.is_empty());
        assert!(!r.im_sessions.is_empty() && !r.presence.is_empty());
        assert_eq!(written(&r), pretty(&r));
    }

    #[test]
    fn indenting_moves_every_line_in() {
        let mut out = Vec::new();
        Indented(&mut out)
            .write_all(b"[\n  1,\n  \"a\\nb\"\n]")
            .expect("write");
        assert_eq!(out, b"[\n    1,\n    \"a\\nb\"\n  ]");
    }
}
