//! Terminal tables (comfy-table): captures, providers, flows, SIP counts,
//! IM sessions, presence, findings grouped by rule, standing notes, errors.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use std::io::IsTerminal;

use super::Report;
use crate::engine::KEPT;

/// What the table renderer shows.
#[derive(Clone, Debug, Default)]
pub struct TableOptions {
    /// Show per-stage timing (`--stats`).
    pub stats: bool,
    /// Flows listed at most (the rest are summarised).
    pub max_flows: Option<usize>,
}

/// A table in fedscope's style; wraps to the terminal, or to 160 columns when
/// the output is not a terminal (files, pipes).
pub fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !std::io::stdout().is_terminal() {
        t.set_width(160);
    }
    t.set_header(header.iter().copied());
    t
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "-".into())
}

fn short_time(t: &Option<crate::time::Timestamp>) -> String {
    t.map(|t| t.rfc3339()).unwrap_or_else(|| "-".into())
}

/// Says how many records the table left out (the first `KEPT` are shown), then a blank line.
fn more(out: &mut dyn Write, total: usize, what: &str) -> std::io::Result<()> {
    if total > KEPT {
        writeln!(
            out,
            "(first {KEPT} of {total} {what} shown; use --format json for all)"
        )?;
    }
    writeln!(out)
}

/// Writes every section that has content.
pub fn write_tables(r: &Report, opts: &TableOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let mut t = new_table(&[
        "capture",
        "frames",
        "bytes",
        "start",
        "end",
        "TCP flows",
        "UDP flows",
        "errors",
    ]);
    for c in &r.captures {
        t.add_row(vec![
            c.path.clone(),
            c.frames.to_string(),
            c.bytes.to_string(),
            short_time(&c.start),
            short_time(&c.end),
            c.tcp_flows.to_string(),
            c.udp_flows.to_string(),
            c.errors.len().to_string(),
        ]);
    }
    writeln!(out, "Captures\n{t}\n")?;

    if !r.providers.is_empty() {
        let mut t = new_table(&[
            "provider",
            "flows",
            "decrypted",
            "SIP messages",
            "IM sessions",
            "IM messages",
            "presence subs",
            "findings (error/warning/info)",
        ]);
        for p in &r.providers {
            let f = |s: &str| p.findings.get(s).copied().unwrap_or(0);
            t.add_row(vec![
                p.provider.clone(),
                p.flows.to_string(),
                if p.tls_flows == 0 {
                    "-".to_string()
                } else {
                    format!("{}/{}", p.decrypted, p.tls_flows)
                },
                p.sip_messages.to_string(),
                p.im_sessions.to_string(),
                p.messages.to_string(),
                p.presence_subscriptions.to_string(),
                format!("{}/{}/{}", f("error"), f("warning"), f("info")),
            ]);
        }
        writeln!(out, "Providers\n{t}\n")?;
    }

    let limit = opts.max_flows.unwrap_or(usize::MAX);
    let mut t = new_table(&[
        "flow",
        "client",
        "server",
        "transport",
        "provider",
        "TLS",
        "bytes c→s / s→c",
        "SIP",
        "gaps",
    ]);
    let multi = r.captures.len() > 1;
    let flows_kept = r.flows.kept();
    for f in flows_kept.iter().take(limit) {
        let tls = match &f.tls {
            None => "-".to_string(),
            Some(s) => {
                let what = [s.version.clone(), s.cipher.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let state = if s.decrypted {
                    format!(
                        "decrypted ({})",
                        s.key_source
                            .map(|k| format!("{k:?}").to_lowercase())
                            .unwrap_or_default()
                    )
                } else {
                    "not decrypted".to_string()
                };
                let why = s
                    .failure
                    .as_ref()
                    .map(|f| format!(": {f}"))
                    .unwrap_or_default();
                format!("{what}\n{state}{why}")
            }
        };
        let id = if multi {
            format!("{}#{}", f.capture, f.id)
        } else {
            f.id.to_string()
        };
        t.add_row(vec![
            id,
            f.client.clone(),
            f.server.clone(),
            format!("{:?}", f.transport).to_lowercase(),
            opt(&f.provider),
            tls,
            format!("{} / {}", f.bytes_to_server, f.bytes_to_client),
            f.sip_messages.to_string(),
            if f.gaps == 0 {
                "0".into()
            } else {
                format!("{} ({} B)", f.gaps, f.gap_bytes)
            },
        ]);
    }
    writeln!(out, "Flows\n{t}")?;
    let shown = flows_kept.len().min(limit);
    if r.flows.len() > shown {
        writeln!(
            out,
            "({} more flows; use --format json for all)",
            r.flows.len() - shown
        )?;
    }
    writeln!(out)?;

    let mut t = new_table(&["SIP", "count"]);
    for (m, n) in &r.sip.requests {
        t.add_row(vec![m.clone(), n.to_string()]);
    }
    for (c, n) in &r.sip.responses {
        t.add_row(vec![c.clone(), n.to_string()]);
    }
    t.add_row(vec!["messages".to_string(), r.sip.messages.to_string()]);
    t.add_row(vec!["unparsed".to_string(), r.sip.unparsed.to_string()]);
    writeln!(out, "SIP messages\n{t}\n")?;

    let tx = &r.transactions;
    if tx.transactions > 0 {
        let mut t = new_table(&["method", "answered", "min ms", "mean ms", "max ms"]);
        for (m, rt) in &tx.response_ms {
            t.add_row(vec![
                m.clone(),
                rt.count.to_string(),
                format!("{:.1}", rt.min_ms),
                format!("{:.1}", rt.mean_ms),
                format!("{:.1}", rt.max_ms),
            ]);
        }
        writeln!(
            out,
            "SIP transactions: {} ({} retransmissions recognised, {} unanswered, {} unmatched responses)\n{t}\n",
            tx.transactions, tx.retransmissions, tx.unanswered, tx.unmatched_responses
        )?;
    }

    if !r.im_sessions.is_empty() {
        let mut t = new_table(&[
            "Call-ID", "local", "remote", "provider", "start", "out", "in", "typing", "outcome",
        ]);
        for s in r.im_sessions.kept() {
            t.add_row(vec![
                s.call_id.clone(),
                s.local.clone(),
                s.remote.clone(),
                opt(&s.provider),
                short_time(&s.start),
                s.messages_out.to_string(),
                s.messages_in.to_string(),
                s.typing.to_string(),
                s.outcome.clone(),
            ]);
        }
        writeln!(out, "IM sessions\n{t}")?;
        more(out, r.im_sessions.len(), "IM sessions")?;
    }

    if !r.presence.is_empty() {
        let mut t = new_table(&[
            "Call-ID",
            "watcher",
            "presentity",
            "provider",
            "outcome",
            "notifications",
            "states",
        ]);
        for p in r.presence.kept() {
            let states = p
                .states
                .iter()
                .map(|s| {
                    if s.sent == s.displayed {
                        s.sent.clone()
                    } else {
                        format!("{} (shown as {})", s.sent, s.displayed)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            t.add_row(vec![
                p.call_id.clone(),
                p.watcher.clone(),
                p.presentity.clone(),
                opt(&p.provider),
                p.outcome.clone(),
                p.notifications.to_string(),
                states,
            ]);
        }
        writeln!(out, "Presence\n{t}")?;
        more(out, r.presence.len(), "presence subscriptions")?;
    }

    if !r.violations.is_empty() {
        let mut by_rule: BTreeMap<&str, Vec<&crate::analysis::Violation>> = BTreeMap::new();
        for v in r.violations.kept() {
            by_rule.entry(v.rule).or_default().push(v);
        }
        let mut t = new_table(&[
            "rule",
            "severity",
            "provider",
            "flow",
            "Call-ID",
            "frames",
            "time",
            "what happened",
        ]);
        for (rule, vs) in by_rule {
            for v in vs {
                let frames = v
                    .frames
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                t.add_row(vec![
                    rule.to_string(),
                    v.severity.as_str().to_string(),
                    opt(&v.provider),
                    v.flow
                        .map(|f| {
                            if multi {
                                format!("{}#{f}", v.capture)
                            } else {
                                f.to_string()
                            }
                        })
                        .unwrap_or_else(|| "-".into()),
                    opt(&v.call_id),
                    frames,
                    short_time(&v.time),
                    v.message.clone(),
                ]);
            }
        }
        writeln!(out, "Findings\n{t}")?;
        more(out, r.violations.len(), "findings")?;
    }

    if !r.notes.is_empty() {
        let mut t = new_table(&["provider", "standing note (not visible on the wire)"]);
        for n in &r.notes {
            t.add_row(vec![n.provider.clone(), n.note.clone()]);
        }
        writeln!(out, "Notes\n{t}\n")?;
    }

    let mut problems: Vec<String> = Vec::new();
    for c in &r.captures {
        problems.extend(c.errors.iter().cloned());
    }
    problems.extend(
        r.sip
            .unparsed_details
            .iter()
            .map(|d| format!("unparsed SIP: {d}")),
    );
    problems.extend(r.keys.errors.iter().cloned());
    if r.keys.keylog.malformed > 0 {
        problems.push(format!(
            "key logs: {} malformed lines ignored",
            r.keys.keylog.malformed
        ));
    }
    if r.keys.keylog.reread_failures > 0 {
        problems.push(format!(
            "key logs: {} secrets could not be read back (the file changed or was truncated while fedscope ran)",
            r.keys.keylog.reread_failures
        ));
    }
    for f in &flows_kept {
        for n in &f.notes {
            problems.push(format!("{} flow {}: {n}", f.capture, f.id));
        }
    }
    if !problems.is_empty() {
        writeln!(out, "Problems")?;
        for p in problems {
            writeln!(out, "  - {p}")?;
        }
        writeln!(out)?;
    }

    Ok(())
}
