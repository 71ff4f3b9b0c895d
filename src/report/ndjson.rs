//! `--format ndjson`: one event per line, each with a `type`, in capture-time order.

use std::io::Write;

use serde_json::json;

use super::Report;
use crate::engine::SpoolKey;

/// Writes flows, SIP messages, IM sessions, presence and violations as NDJSON
/// events sorted by time, then one `summary` event. Records are read back
/// from their spools one at a time; only a small index is sorted in memory.
pub fn write_ndjson(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    // (time, kind, capture order key, index): equal times keep
    // flow < sip < session < presence < violation, then capture order.
    let mut order: Vec<(i64, u8, SpoolKey, usize)> = Vec::new();
    order.extend(report.flows.times().map(|(t, k, i)| (t, 0, k, i)));
    order.extend(report.sip_events.times().map(|(t, k, i)| (t, 1, k, i)));
    order.extend(report.im_sessions.times().map(|(t, k, i)| (t, 2, k, i)));
    order.extend(report.presence.times().map(|(t, k, i)| (t, 3, k, i)));
    order.extend(report.violations.times().map(|(t, k, i)| (t, 4, k, i)));
    order.sort_unstable();
    let mut buf = Vec::new();
    for (_, kind, _, i) in order {
        let name = match kind {
            0 => {
                report.flows.json_at(i, &mut buf)?;
                "flow"
            }
            1 => {
                report.sip_events.json_at(i, &mut buf)?;
                "sip"
            }
            2 => {
                report.im_sessions.json_at(i, &mut buf)?;
                "im_session"
            }
            3 => {
                report.presence.json_at(i, &mut buf)?;
                "presence"
            }
            _ => {
                report.violations.json_at(i, &mut buf)?;
                "violation"
            }
        };
        // Each record is a JSON object: add the type as its first member.
        if buf.first() == Some(&b'{') {
            write!(out, "{{\"type\":\"{name}\"")?;
            if buf.len() > 2 {
                out.write_all(b",")?;
            }
            out.write_all(&buf[1..])?;
        } else {
            out.write_all(&buf)?;
        }
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
