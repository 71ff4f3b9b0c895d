//! The merged report model, serialized as the JSON of output-contract.md.

use serde::Serialize;

use crate::analysis::{
    ImSession, PresenceSubscription, Severity, StandingNote, TransactionStats, Violation,
};
pub use crate::engine::ProviderSummary;
use crate::engine::{
    CaptureResult, CaptureSummary, FlowRecord, KeyMaterial, ProviderTally, SipCounts,
    SipEventRecord, Spool, StageStats,
};
use crate::tls::KeyLogStats;

/// Key loading problems and counters (never key material).
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeyReport {
    /// Key-log counters: lines, malformed, duplicates.
    pub keylog: KeyLogStats,
    /// Files that could not be read or parsed.
    pub errors: Vec<String>,
}

/// Everything fedscope reports for one run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Schema version: "fedscope/1".
    pub schema: &'static str,
    /// One entry per capture, in input order.
    pub captures: Vec<CaptureSummary>,
    /// Flows of all captures (spooled: see `engine::Spool`).
    pub flows: Spool<FlowRecord>,
    /// SIP message counts over all captures.
    pub sip: SipCounts,
    /// IM sessions.
    pub im_sessions: Spool<ImSession>,
    /// Presence subscriptions.
    pub presence: Spool<PresenceSubscription>,
    /// Findings.
    pub violations: Spool<Violation>,
    /// SIP transactions: counts, retransmissions recognised, response times by method.
    pub transactions: TransactionStats,
    /// Standing notes for restrictions not visible on the wire.
    pub notes: Vec<StandingNote>,
    /// Per-provider summary.
    pub providers: Vec<ProviderSummary>,
    /// Key loading.
    pub keys: KeyReport,
    /// Per-message events, for NDJSON only.
    #[serde(skip)]
    pub sip_events: Spool<SipEventRecord>,
    /// Per-provider counts behind `providers`.
    #[serde(skip)]
    pub tally: ProviderTally,
    /// Per-capture stage timings, for `--stats`.
    #[serde(skip)]
    pub stats: Vec<(String, StageStats)>,
}

/// Moves one capture's spooled records into the report's spool; a failure
/// writing the temporary files while doing so is said in `errors` (the
/// capture's problems), since the records it cost are missing.
fn absorb<T>(into: &mut Spool<T>, from: Spool<T>, capture: u32, errors: &mut Vec<String>) {
    // Errors the capture's own spool had are already among its problems.
    let known = [into.error(), from.error()].map(|e| e.map(str::to_string));
    into.absorb(from, capture);
    if let Some(e) = into.error()
        && !known.iter().any(|k| k.as_deref() == Some(e))
    {
        errors.push(format!("report records lost while merging: {e}"));
    }
}

impl Report {
    /// Merges capture results (in input order) into one report.
    pub fn merge(results: Vec<CaptureResult>, keys: &KeyMaterial) -> Report {
        let mut r = Report {
            schema: "fedscope/1",
            keys: KeyReport {
                keylog: keys.store().stats().clone(),
                errors: keys.errors.clone(),
            },
            ..Report::default()
        };
        for (i, c) in results.into_iter().enumerate() {
            let i = i as u32;
            let mut stats = c.stats;
            stats.sip_messages = c.tally.sip_messages;
            r.stats.push((c.summary.path.clone(), stats));
            let mut summary = c.summary;
            let lost = &mut summary.errors;
            absorb(&mut r.flows, c.flows, i, lost);
            r.sip.add(&c.sip);
            absorb(&mut r.im_sessions, c.im_sessions, i, lost);
            absorb(&mut r.presence, c.presence, i, lost);
            absorb(&mut r.violations, c.violations, i, lost);
            absorb(&mut r.sip_events, c.sip_events, i, lost);
            r.captures.push(summary);
            r.transactions.merge(&c.transactions);
            for n in c.notes {
                if !r
                    .notes
                    .iter()
                    .any(|m| m.provider == n.provider && m.note == n.note)
                {
                    r.notes.push(n);
                }
            }
            r.tally.merge(c.tally);
        }
        r.providers = r.tally.rows();
        r
    }

    /// True when some input could not be read (exit status 1).
    pub fn any_unreadable(&self) -> bool {
        self.captures.iter().any(|c| c.unreadable) || !self.keys.errors.is_empty()
    }

    /// True when a finding at or above `sev` exists (`--fail-on`).
    pub fn has_finding_at_least(&self, sev: Severity) -> bool {
        self.tally.max_severity.is_some_and(|m| m >= sev)
    }
}
