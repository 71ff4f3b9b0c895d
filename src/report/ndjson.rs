//! `--format ndjson`: one event per line, each with a `type`, in capture-time order.

use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::Report;
use crate::time::Timestamp;

fn tagged<T: Serialize>(kind: &str, v: &T) -> Value {
    let mut val = serde_json::to_value(v).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut val {
        m.insert("type".into(), Value::String(kind.into()));
    }
    val
}

/// Writes flows, SIP messages, IM sessions, presence and violations as NDJSON
/// events sorted by time, then one `summary` event.
pub fn write_ndjson(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut events: Vec<(Option<Timestamp>, u8, Value)> = Vec::new();
    for f in &report.flows {
        events.push((Some(f.start), 0, tagged("flow", f)));
    }
    for s in &report.sip_events {
        events.push((Some(s.time), 1, tagged("sip", s)));
    }
    for s in &report.im_sessions {
        events.push((s.start, 2, tagged("im_session", s)));
    }
    for p in &report.presence {
        events.push((p.start, 3, tagged("presence", p)));
    }
    for v in &report.violations {
        events.push((v.time, 4, tagged("violation", v)));
    }
    // Stable: equal times keep flow < sip < session < presence < violation, then input order.
    events.sort_by_key(|(t, k, _)| (*t, *k));
    for (_, _, v) in &events {
        serde_json::to_writer(&mut *out, v).map_err(std::io::Error::other)?;
        writeln!(out)?;
    }
    let summary = json!({
        "type": "summary",
        "schema": report.schema,
        "captures": report.captures,
        "sip": report.sip,
        "providers": report.providers,
        "notes": report.notes,
        "keys": report.keys,
    });
    serde_json::to_writer(&mut *out, &summary).map_err(std::io::Error::other)?;
    writeln!(out)
}
