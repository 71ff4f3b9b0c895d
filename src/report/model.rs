//! The merged report model, serialized as the JSON of output-contract.md.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::{
    ImSession, PresenceSubscription, Severity, StandingNote, TransactionStats, Violation,
};
use crate::engine::{
    CaptureResult, CaptureSummary, FlowRecord, KeyMaterial, SipCounts, SipEventRecord, StageStats,
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

/// One row of the per-provider summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProviderSummary {
    /// Provider name, or "(none)" for flows not attributed.
    pub provider: String,
    /// Flows.
    pub flows: u64,
    /// TLS flows.
    pub tls_flows: u64,
    /// TLS flows decrypted.
    pub decrypted: u64,
    /// SIP messages.
    pub sip_messages: u64,
    /// IM sessions.
    pub im_sessions: u64,
    /// IM messages both ways.
    pub messages: u64,
    /// Presence subscriptions.
    pub presence_subscriptions: u64,
    /// Findings by severity.
    pub findings: BTreeMap<String, u64>,
}

/// Everything fedscope reports for one run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Schema version: "fedscope/1".
    pub schema: &'static str,
    /// One entry per capture, in input order.
    pub captures: Vec<CaptureSummary>,
    /// Flows of all captures.
    pub flows: Vec<FlowRecord>,
    /// SIP message counts over all captures.
    pub sip: SipCounts,
    /// IM sessions.
    pub im_sessions: Vec<ImSession>,
    /// Presence subscriptions.
    pub presence: Vec<PresenceSubscription>,
    /// Findings.
    pub violations: Vec<Violation>,
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
    pub sip_events: Vec<SipEventRecord>,
    /// Per-capture stage timings, for `--stats`.
    #[serde(skip)]
    pub stats: Vec<(String, StageStats)>,
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
        for c in results {
            r.stats.push((c.summary.path.clone(), c.stats));
            r.captures.push(c.summary);
            r.flows.extend(c.flows);
            r.sip.add(&c.sip);
            r.im_sessions.extend(c.analysis.im_sessions);
            r.presence.extend(c.analysis.presence);
            r.violations.extend(c.analysis.violations);
            r.transactions.merge(&c.analysis.transactions);
            for n in c.analysis.notes {
                if !r
                    .notes
                    .iter()
                    .any(|m| m.provider == n.provider && m.note == n.note)
                {
                    r.notes.push(n);
                }
            }
            r.sip_events.extend(c.sip_events);
        }
        r.sip_events.sort_by_key(|a| a.time);
        r.providers = r.provider_summary();
        r
    }

    /// True when some input could not be read (exit status 1).
    pub fn any_unreadable(&self) -> bool {
        self.captures.iter().any(|c| c.unreadable) || !self.keys.errors.is_empty()
    }

    /// True when a finding at or above `sev` exists (`--fail-on`).
    pub fn has_finding_at_least(&self, sev: Severity) -> bool {
        self.violations.iter().any(|v| v.severity >= sev)
    }

    fn provider_summary(&self) -> Vec<ProviderSummary> {
        let mut by: BTreeMap<String, ProviderSummary> = BTreeMap::new();
        let key = |p: &Option<String>| p.clone().unwrap_or_else(|| "(none)".to_string());
        let row = |name: String| -> ProviderSummary {
            ProviderSummary {
                provider: name,
                ..Default::default()
            }
        };
        for f in &self.flows {
            let e = by
                .entry(key(&f.provider))
                .or_insert_with_key(|k| row(k.clone()));
            e.flows += 1;
            e.sip_messages += f.sip_messages;
            if let Some(t) = &f.tls {
                e.tls_flows += 1;
                e.decrypted += t.decrypted as u64;
            }
        }
        for s in &self.im_sessions {
            let e = by
                .entry(key(&s.provider))
                .or_insert_with_key(|k| row(k.clone()));
            e.im_sessions += 1;
            e.messages += s.messages_in + s.messages_out;
        }
        for p in &self.presence {
            let e = by
                .entry(key(&p.provider))
                .or_insert_with_key(|k| row(k.clone()));
            e.presence_subscriptions += 1;
        }
        for v in &self.violations {
            let e = by
                .entry(key(&v.provider))
                .or_insert_with_key(|k| row(k.clone()));
            *e.findings
                .entry(v.severity.as_str().to_string())
                .or_default() += 1;
        }
        let mut rows: Vec<ProviderSummary> = by.into_values().collect();
        rows.sort_by_key(|r| (r.provider == "(none)", r.provider.clone()));
        rows
    }
}
