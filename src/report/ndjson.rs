//! `--format ndjson`: one event per line, each with a `type`, in capture-time order.

use std::io::{self, BufWriter, Write};

use serde_json::json;

use super::Report;
use crate::engine::{Runs, Spool, SpoolKey, SpoolReader, ordered_i64};

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

/// Feeds every spool of the report into `order`, each under its event type.
fn feed_all(order: &mut Runs<KEY_BYTES>, report: &Report) -> io::Result<()> {
    feed(order, 0, &report.flows)?;
    feed(order, 1, &report.sip_events)?;
    feed(order, 2, &report.im_sessions)?;
    feed(order, 3, &report.presence)?;
    feed(order, 4, &report.violations)
}

/// Writes the events of `order` in time order, one a line, each with its
/// type as first member.
fn write_events(order: &Runs<KEY_BYTES>, out: &mut impl Write) -> io::Result<()> {
    if let Some(e) = order.error() {
        return Err(io::Error::other(format!("sorting events by time: {e}")));
    }
    order.for_each(|key, json| write_event(out, key[8], json))
}

/// Writes one event of type `KINDS[kind]`, its type as first member, and a newline.
fn write_event(out: &mut impl Write, kind: u8, json: &[u8]) -> io::Result<()> {
    let name = KINDS.get(usize::from(kind)).copied().unwrap_or("violation");
    // Each record is a JSON object: add the type as its first member.
    if let Some(rest) = json.strip_prefix(b"{") {
        out.write_all(b"{\"type\":\"")?;
        out.write_all(name.as_bytes())?;
        out.write_all(b"\"")?;
        if json.len() > 2 {
            out.write_all(b",")?;
        }
        out.write_all(rest)?;
    } else {
        out.write_all(json)?;
    }
    out.write_all(b"\n")
}

/// Writes the events of one capture's spools in time order without sorting
/// them again: a spool timed by its primary key is read in time order
/// already (its records all have the same capture number), so it is merged
/// as it is read; flows (timed by their secondary key) are sorted in `order`
/// first. Writes what [`write_events`] writes after [`feed`]ing every spool.
fn write_merged<T>(
    order: &mut Runs<KEY_BYTES>,
    flows: &Spool<T>,
    streams: [(u8, SpoolReader<'_>); 4],
    out: &mut impl Write,
) -> io::Result<()> {
    feed(order, 0, flows)?;
    if let Some(e) = order.error() {
        return Err(io::Error::other(format!("sorting events by time: {e}")));
    }
    let mut flows = order.reader();
    flows.advance()?;
    let mut streams = streams;
    for (_, s) in &mut streams {
        s.advance()?;
    }
    loop {
        // The stream whose current event sorts first (`None`: the flows).
        let mut first: Option<([u8; KEY_BYTES], Option<usize>)> =
            flows.current().map(|(k, _)| (*k, None));
        for (i, (kind, s)) in streams.iter().enumerate() {
            if let Some((key, time, _)) = s.current() {
                let k = event_key(time, *kind, key);
                if first.is_none_or(|(f, _)| k < f) {
                    first = Some((k, Some(i)));
                }
            }
        }
        match first {
            None => return Ok(()),
            Some((_, None)) => {
                if let Some((k, json)) = flows.current() {
                    write_event(out, k[8], json)?;
                }
                flows.advance()?;
            }
            Some((k, Some(i))) => {
                if let Some((_, s)) = streams.get_mut(i) {
                    if let Some((_, _, json)) = s.current() {
                        write_event(out, k[8], json)?;
                    }
                    s.advance()?;
                }
            }
        }
    }
}

/// Writes flows, SIP messages, IM sessions, presence and violations as NDJSON
/// events sorted by time, then one `summary` event. The records are streamed
/// from their spools through an external sort by (time, type, capture order
/// key), so memory stays flat however many there are: equal times keep
/// flow < sip < session < presence < violation, then capture order. One
/// capture's spools are in that order already (but for flows) and are merged
/// as they are read instead (`write_merged`).
pub fn write_ndjson(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    // Buffer here, where the writer's type is known, rather than through
    // `dyn Write` for every piece of every event.
    let mut out = BufWriter::with_capacity(1 << 18, out);
    let mut order: Runs<KEY_BYTES> = Runs::default();
    let merged = report.captures.len() <= 1
        && report.sip_events.timed_by_primary()
        && report.im_sessions.timed_by_primary()
        && report.presence.timed_by_primary()
        && report.violations.timed_by_primary();
    if merged {
        let streams = [
            (1, report.sip_events.reader()),
            (2, report.im_sessions.reader()),
            (3, report.presence.reader()),
            (4, report.violations.reader()),
        ];
        write_merged(&mut order, &report.flows, streams, &mut out)?;
    } else {
        feed_all(&mut order, report)?;
        write_events(&order, &mut out)?;
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
    serde_json::to_writer(&mut out, &summary).map_err(std::io::Error::other)?;
    writeln!(out)?;
    out.flush()
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

    /// The events of one capture's spools as the external sort writes them,
    /// and as [`write_merged`] writes them.
    fn both_ways<A, B>(flows: &Spool<A>, others: [(u8, &Spool<B>); 4]) -> (Vec<u8>, Vec<u8>) {
        let mut order: Runs<KEY_BYTES> = Runs::default();
        feed(&mut order, 0, flows).expect("feed");
        for (kind, s) in others {
            feed(&mut order, kind, s).expect("feed");
        }
        let mut sorted = Vec::new();
        write_events(&order, &mut sorted).expect("write");
        let mut merged = Vec::new();
        let streams = others.map(|(kind, s)| (kind, s.reader()));
        write_merged(&mut Runs::default(), flows, streams, &mut merged).expect("merge");
        (sorted, merged)
    }

    #[test]
    fn merging_one_captures_spools_writes_what_sorting_them_writes() {
        let mut flows: Spool<R> = Spool::default().timed_by_secondary();
        let mut spools: [Spool<R>; 4] = Default::default();
        // Enough records that the SIP spool has runs on disk; many equal times
        // and equal keys (kept in push order) across and within kinds.
        let n = 60_000u64;
        for i in 0..n {
            let t = ((i * 7919) % (n / 4)) as i64;
            spools[0].push((0, t, i % 3), R { n: i });
            if i % 7 == 0 {
                spools[1].push((0, t, 0), R { n: i });
                spools[3].push((0, t, i % 2), R { n: i });
            }
            if i % 11 == 0 {
                spools[2].push((0, t - 5, 0), R { n: i });
                flows.push((0, (i / 11) as i64, t as u64), R { n: i });
            }
        }
        let [a, b, c, d] = &spools;
        let (sorted, merged) = both_ways(&flows, [(1, a), (2, b), (3, c), (4, d)]);
        assert_eq!(
            sorted.iter().filter(|&&b| b == b'\n').count() as u64,
            n + n / 7 * 2 + 2 + n / 11 * 2 + 2
        );
        assert!(sorted == merged, "merged events differ from sorted ones");
    }

    #[test]
    fn merging_empty_spools_writes_nothing() {
        let flows: Spool<R> = Spool::default().timed_by_secondary();
        let e: Spool<R> = Spool::default();
        let (sorted, merged) = both_ways(&flows, [(1, &e), (2, &e), (3, &e), (4, &e)]);
        assert!(sorted.is_empty() && merged.is_empty());
    }

    #[test]
    fn a_sample_capture_is_written_as_the_external_sort_writes_it() {
        use crate::engine::{EngineConfig, KeyMaterial, analyze_files};
        use crate::providers::ProviderTable;
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut cfg = EngineConfig::new(KeyMaterial::new(), ProviderTable::builtin());
        cfg.keep_sip_events = true;
        let r = analyze_files(&[dir.join("federation-impaired.pcapng")], &cfg, 1);
        assert!(!r.sip_events.is_empty() && !r.violations.is_empty());
        let mut order: Runs<KEY_BYTES> = Runs::default();
        feed_all(&mut order, &r).expect("feed");
        let mut sorted = Vec::new();
        write_events(&order, &mut sorted).expect("write");
        let mut all = Vec::new();
        write_ndjson(&r, &mut all).expect("write");
        assert!(all.starts_with(&sorted));
        let summary = &all[sorted.len()..];
        let summary = String::from_utf8_lossy(summary);
        assert!(summary.contains("\"type\":\"summary\""), "{summary}");
        assert_eq!(summary.matches('\n').count(), 1);
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
