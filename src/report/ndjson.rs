//! `--format ndjson`: one event per line, each with a `type`, in capture-time order.

use std::io::{self, Write};

use serde_json::json;

use super::Report;
use crate::engine::{Runs, Spool, SpoolKey, ordered_i64};

/// Event types, in the order they take at equal times.
const KINDS: [&str; 5] = ["flow", "sip", "im_session", "presence", "violation"];

/// Bytes of an event's sort key: time, kind, then its spool key.
const KEY_BYTES: usize = 29;

/// An event's sort key: time, kind, capture, primary, secondary (as bytes
/// that compare like the numbers; equal keys keep spool order).
fn event_key(time: i64, kind: u8, key: SpoolKey) -> [u8; KEY_BYTES] {
    let mut b = [0; KEY_BYTES];
    b[..8].copy_from_slice(&ordered_i64(time));
    b[8] = kind;
    b[9..13].copy_from_slice(&key.0.to_be_bytes());
    b[13..21].copy_from_slice(&ordered_i64(key.1));
    b[21..].copy_from_slice(&key.2.to_be_bytes());
    b
}

/// Adds a spool's records, as events of type `KINDS[kind]`, to `order`.
fn feed<T>(order: &mut Runs<KEY_BYTES>, kind: u8, spool: &Spool<T>) -> io::Result<()> {
    spool.for_each_record(|key, time, json| {
        order.push(&event_key(time, kind, key), json);
        Ok(())
    })
}

/// Writes the events of `order` in time order, one a line, each with its
/// type as first member.
fn write_events(order: &Runs<KEY_BYTES>, out: &mut dyn Write) -> io::Result<()> {
    if let Some(e) = order.error() {
        return Err(io::Error::other(format!("sorting events by time: {e}")));
    }
    order.for_each(|key, json| {
        let name = KINDS
            .get(usize::from(key[8]))
            .copied()
            .unwrap_or("violation");
        // Each record is a JSON object: add the type as its first member.
        if json.first() == Some(&b'{') {
            write!(out, "{{\"type\":\"{name}\"")?;
            if json.len() > 2 {
                out.write_all(b",")?;
            }
            out.write_all(&json[1..])?;
        } else {
            out.write_all(json)?;
        }
        writeln!(out)
    })
}

/// Writes flows, SIP messages, IM sessions, presence and violations as NDJSON
/// events sorted by time, then one `summary` event. The records are streamed
/// from their spools through an external sort by (time, type, capture order
/// key), so memory stays flat however many there are: equal times keep
/// flow < sip < session < presence < violation, then capture order.
pub fn write_ndjson(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut order: Runs<KEY_BYTES> = Runs::default();
    feed(&mut order, 0, &report.flows)?;
    feed(&mut order, 1, &report.sip_events)?;
    feed(&mut order, 2, &report.im_sessions)?;
    feed(&mut order, 3, &report.presence)?;
    feed(&mut order, 4, &report.violations)?;
    write_events(&order, out)?;
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

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct R {
        n: u64,
    }

    /// The events of `spools` (kind, spool), in the order they are written.
    fn events(spools: &[(u8, &Spool<R>)], runs: Runs<KEY_BYTES>) -> Vec<String> {
        let mut order = runs;
        for (kind, s) in spools {
            feed(&mut order, *kind, s).expect("feed");
        }
        let mut out = Vec::new();
        write_events(&order, &mut out).expect("write");
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn events_interleave_by_time_across_captures_and_kinds() {
        // Two captures whose times interleave; flows sort by number but are timed by start.
        let mut flows = Spool::default().timed_by_secondary();
        let mut sip = Spool::default();
        for capture in 0..2u32 {
            let mut f: Spool<R> = Spool::default().timed_by_secondary();
            let mut s: Spool<R> = Spool::default();
            // Flow 1 starts later than flow 2.
            f.push((0, 1, 30 + u64::from(capture)), R { n: 1 });
            f.push((0, 2, 10 + u64::from(capture)), R { n: 2 });
            for t in [10i64, 20, 30] {
                s.push((0, t + i64::from(capture), 0), R { n: t as u64 });
            }
            flows.absorb(f, capture);
            sip.absorb(s, capture);
        }
        let got = events(&[(0, &flows), (1, &sip)], Runs::default());
        let want = [
            r#"{"type":"flow","n":2}"#, // t10 capture 0
            r#"{"type":"sip","n":10}"#, // t10 capture 0 (sip after flow)
            r#"{"type":"flow","n":2}"#, // t11 capture 1
            r#"{"type":"sip","n":10}"#, // t11
            r#"{"type":"sip","n":20}"#, // t20
            r#"{"type":"sip","n":20}"#, // t21
            r#"{"type":"flow","n":1}"#, // t30
            r#"{"type":"sip","n":30}"#, // t30
            r#"{"type":"flow","n":1}"#, // t31
            r#"{"type":"sip","n":30}"#, // t31
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn many_events_over_many_runs_stay_in_time_then_capture_order() {
        let mut sip = Spool::default();
        let mut violations = Spool::default();
        let n = 20_000u64;
        for capture in 0..3u32 {
            let mut s: Spool<R> = Spool::default();
            let mut v: Spool<R> = Spool::default();
            for i in 0..n {
                let t = ((i * 7919) % n) as i64;
                s.push((0, t, i), R { n: i });
                if i % 100 == 0 {
                    v.push((0, t, 0), R { n: i });
                }
            }
            sip.absorb(s, capture);
            violations.absorb(v, capture);
        }
        // Tiny runs: the time order is merged from many runs and levels.
        let got = events(&[(1, &sip), (4, &violations)], Runs::with_sizes(4 << 10, 8));
        assert_eq!(got.len() as u64, 3 * n + 3 * n / 100);
        // Each time: capture 0, 1, 2 SIP events, then the violations.
        let first: Vec<&str> = got.iter().take(6).map(String::as_str).collect();
        assert_eq!(
            first,
            [
                r#"{"type":"sip","n":0}"#,
                r#"{"type":"sip","n":0}"#,
                r#"{"type":"sip","n":0}"#,
                r#"{"type":"violation","n":0}"#,
                r#"{"type":"violation","n":0}"#,
                r#"{"type":"violation","n":0}"#,
            ]
        );
        let sips = got.iter().filter(|l| l.contains("\"sip\"")).count();
        assert_eq!(sips as u64, 3 * n);
    }

    #[test]
    fn an_empty_record_gets_just_its_type() {
        #[derive(Serialize)]
        struct E {}
        let mut s: Spool<E> = Spool::default();
        s.push((0, 1, 0), E {});
        let mut order: Runs<KEY_BYTES> = Runs::default();
        feed(&mut order, 3, &s).expect("feed");
        let mut out = Vec::new();
        write_events(&order, &mut out).expect("write");
        assert_eq!(out, b"{\"type\":\"presence\"}\n");
    }
}
