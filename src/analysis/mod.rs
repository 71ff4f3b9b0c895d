//! Federation analysis: transactions and dialogs, IM sessions, presence
//! subscriptions, and the restriction rules of restrictions.md (each citing
//! its kb-897567.md section). It reads only the events the engine hands it
//! (flows, TLS status, parsed SIP messages), never raw bytes, and is
//! streaming: one event at a time in capture order, with state only for live
//! flows, transactions, sessions and subscriptions; finished records move to
//! the output.
//!
//! Attribution (kb-897567.md "Firewall and provider addresses", "Supported
//! provider domains"): a flow belongs to the provider whose documented range
//! holds one of its ends; failing that, to the provider whose domain the
//! sender (or, failing that, the receiver) of its first such SIP message
//! uses. Claims that disagree with the ranges are PIC-UNKNOWN-SOURCE.

mod content;
mod events;
mod findings;
mod flows;
mod im;
mod json;
mod model;
mod notes;
mod presence;
pub mod rules;
mod transactions;
mod view;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use events::{FlowContext, SipEvent, TransportKind};
pub use model::{
    AnalysisOutput, ImBody, ImSession, PresenceStateReport, PresenceSubscription, ResponseTimes,
    Severity, StandingNote, TransactionStats, Violation,
};
pub use rules::catalog::RuleInfo;

use crate::hash::FixedHashMap;
use findings::{Evidence, Findings};
pub(crate) use flows::by_domain as provider_by_domain;
use flows::{DomainIndex, FlowState};
use im::ImSessions;
use presence::Subscriptions;
use rules::media::Conversations;
use rules::presence::PendingStale;
use rules::session::Endpoints;
use transactions::{RequestInfo, Transactions, TxVerdict};
use view::{MsgView, Side};

use crate::providers::ProviderTable;
use crate::reassembly::{CloseReason, SegmentMeta};
use crate::tls::TlsStatus;

/// The rule catalog (`fedscope rules`): every rule of restrictions.md.
pub fn rules() -> &'static [RuleInfo] {
    rules::catalog::RULES
}

/// Analysis settings.
#[derive(Clone, Debug)]
pub struct AnalysisConfig {
    /// Keep message text (`--show-content`); otherwise bodies are reported by type and length.
    pub show_content: bool,
    /// PIC-CLOSED-SESSION threshold in seconds (default 600).
    pub closed_session_secs: u64,
    /// DER trust anchors for PIC-CERT chain checks (`--ca-bundle`), if given.
    pub trust_anchors: Vec<Vec<u8>>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            show_content: false,
            closed_session_secs: 600,
            trust_anchors: Vec::new(),
        }
    }
}

/// The streaming analyzer for one capture.
pub struct Analyzer<'p> {
    providers: &'p ProviderTable,
    domains: DomainIndex<'p>,
    config: AnalysisConfig,
    /// Live flows by (capture number in `captures`, flow id).
    flows: FixedHashMap<(usize, u64), FlowState>,
    /// The captures seen, so a flow key is two numbers.
    captures: Vec<std::sync::Arc<str>>,
    tx: Transactions,
    im: ImSessions,
    subs: Subscriptions,
    convs: Conversations,
    endpoints: Endpoints<'p>,
    pending_stale: Vec<PendingStale>,
    /// Changes to `pending_stale` so far (see [`Analyzer::naming_changes`]).
    stale_changes: u64,
    findings: Findings,
    providers_seen: BTreeSet<String>,
    notes: Vec<StandingNote>,
}

impl<'p> Analyzer<'p> {
    /// A new analyzer using `providers`.
    pub fn new(providers: &'p ProviderTable, config: AnalysisConfig) -> Self {
        Analyzer {
            providers,
            domains: DomainIndex::new(providers),
            config,
            flows: FixedHashMap::default(),
            captures: Vec::new(),
            tx: Transactions::default(),
            im: ImSessions::default(),
            subs: Subscriptions::default(),
            convs: Conversations::default(),
            endpoints: Endpoints::default(),
            pending_stale: Vec::new(),
            stale_changes: 0,
            findings: Findings::default(),
            providers_seen: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    fn key(&mut self, flow: &FlowContext) -> (usize, u64) {
        let c = &flow.capture;
        let n = match self
            .captures
            .iter()
            .position(|x| std::sync::Arc::ptr_eq(x, c) || **x == **c)
        {
            Some(n) => n,
            None => {
                self.captures.push(c.clone());
                self.captures.len() - 1
            }
        };
        (n, flow.id.0)
    }

    /// A provider was seen on `flow`: standing notes once, and a pending
    /// PIC-STALE-PRESENCE for it is cancelled (a connection followed).
    fn provider_seen(&mut self, idx: usize, flow: u64) {
        let Some(p) = self.providers.providers.get(idx) else {
            return;
        };
        if self.providers_seen.insert(p.name.clone()) {
            self.notes.extend(notes::for_provider(&p.name));
        }
        let before = self.pending_stale.len();
        self.pending_stale
            .retain(|s| !(s.provider == p.name && s.flow != flow));
        if self.pending_stale.len() != before {
            self.stale_changes += 1;
        }
    }

    /// A connection (TCP) or UDP 5-tuple was first seen.
    pub fn flow_opened(&mut self, flow: &FlowContext) {
        let st = FlowState::by_range(self.providers, flow);
        if let Some(i) = st.provider {
            self.provider_seen(i, flow.id.0);
        }
        let key = self.key(flow);
        self.flows.insert(key, st);
    }

    /// The TLS handshake of `flow` is known (version, suite, certificates).
    pub fn tls_status(&mut self, flow: &FlowContext, status: &TlsStatus, meta: SegmentMeta) {
        let key = self.key(flow);
        let st = self
            .flows
            .get(&key)
            .cloned()
            .unwrap_or_else(|| FlowState::by_range(self.providers, flow));
        let mut st = st;
        if let Some(sni) = &status.sni
            && st.by_sni(self.providers, flow, sni)
            && let Some(i) = st.provider
        {
            self.provider_seen(i, flow.id.0);
        }
        let Some(p) = st.provider.and_then(|i| self.providers.providers.get(i)) else {
            return;
        };
        let ev = Evidence {
            capture: String::from(&*flow.capture),
            flow: Some(flow.id.0),
            call_id: None,
            frames: vec![st.first_frame.unwrap_or(meta.frame).min(meta.frame)],
            time: Some(st.first_ts.map_or(meta.ts, |t| t.min(meta.ts))),
        };
        if !st.port_done
            && rules::transport::port_of_flow(&p.name, flow, ev.clone(), &mut self.findings)
            && let Some(live) = self.flows.get_mut(&key)
        {
            live.remember_flow_rules(st.plaintext_done, true);
        }
        rules::tls::weak_tls(&p.name, status, ev.clone(), &mut self.findings);
        let at = st.first_ts.unwrap_or(meta.ts);
        rules::tls::cert(
            &p.name,
            status,
            at,
            &self.config.trust_anchors,
            ev,
            &mut self.findings,
        );
    }

    /// One SIP message, in capture order.
    pub fn sip(&mut self, ev: &SipEvent<'_>) {
        let key = self.key(ev.flow);
        // One lookup for a known flow (almost every message).
        let st = match self.flows.get_mut(&key) {
            Some(st) => st,
            None => {
                self.flow_opened(ev.flow);
                let Some(st) = self.flows.get_mut(&key) else {
                    return;
                };
                st
            }
        };
        let first_msg = st.first_ts.is_none();
        if first_msg {
            st.first_ts = Some(ev.last.ts);
            st.first_frame = Some(ev.first.frame);
        }
        let newly = st.by_domain(&self.domains, ev);
        let (provider_idx, provider_end) = (st.provider, st.provider_end);
        // the range attribution found the provider's range holds this end
        let src_in_range = st.by_range && provider_end == Some(ev.src);
        let flow_rules_before = (st.plaintext_done, st.port_done);
        let (mut plaintext_done, mut port_done) = flow_rules_before;
        if let Some(i) = provider_idx
            && (newly || first_msg)
        {
            self.provider_seen(i, ev.flow.id.0);
        }
        let side = match provider_end {
            Some(e) if e == ev.src => Side::In,
            Some(e) if e == ev.dst => Side::Out,
            _ => Side::Unknown,
        };
        let v = MsgView::new(ev, key.0, provider_idx, side, src_in_range, &self.domains);
        let mut unsupported = Vec::new();
        if v.is_request() {
            // PIC-MEDIA is judged before the transaction is recorded so the
            // offer travels with it to the response (PIC-FALSE-ACCEPT); a
            // retransmission is de-duplicated by the finding key.
            unsupported = rules::media::media(&v, &mut self.findings);
        }
        let msg = ev.msg;
        let verdict = self
            .tx
            .observe(msg, v.call_id, ev.src, ev.last.ts, || RequestInfo {
                method: msg
                    .method()
                    .cloned()
                    .unwrap_or(crate::sip::Method::Other(String::new())),
                side,
                initial: matches!(
                    msg.method(),
                    Some(crate::sip::Method::Invite | crate::sip::Method::Subscribe)
                ) && !v.to_tagged(),
                frame: ev.first.frame,
                ts: ev.last.ts,
                unsupported: unsupported.into_boxed_slice(),
            });
        let f = &mut self.findings;
        if matches!(verdict, TxVerdict::Retransmission) {
            return;
        }
        // PIC-PLAINTEXT and PIC-PORT are once per flow: once the flow's
        // finding exists, later messages cannot add to it.
        if !plaintext_done {
            plaintext_done = rules::transport::plaintext(&v, f);
        }
        if !port_done {
            port_done = rules::transport::port(&v, f);
        }
        if (plaintext_done, port_done) != flow_rules_before
            && let Some(st) = self.flows.get_mut(&key)
        {
            st.remember_flow_rules(plaintext_done, port_done);
        }
        let f = &mut self.findings;
        rules::source::unknown_source(&v, &self.domains, f);
        rules::source::domain(&v, f);
        if let TxVerdict::Response(req) = verdict {
            if let Some(req) = req {
                rules::media::false_accept(&v, req, f);
                rules::presence::invalid_contact(&v, req, f);
                self.im.response(&v, req);
                self.subs.response(&v, req);
            }
            return;
        }
        rules::source::easi(&v, f);
        rules::media::multiparty(&v, &mut self.convs, f);
        rules::session::mpop(&v, &mut self.endpoints, f);
        rules::session::aol_url(&v, f);
        self.im.request(&v, self.config.show_content);
        if rules::session::closed_session_applies(&v)
            && let Some(s) = self.im.get(v.call_id)
        {
            rules::session::closed_session(
                &v,
                s,
                self.config.closed_session_secs,
                &mut self.findings,
            );
        }
        let findings = &mut self.findings;
        self.subs.request(&v, |report| {
            rules::presence::presence_map(&v, report, findings);
        });
    }

    /// A connection ended.
    pub fn flow_closed(&mut self, flow: &FlowContext, reason: CloseReason, meta: SegmentMeta) {
        let key = self.key(flow);
        let st = self.flows.remove(&key).unwrap_or_default();
        let capture = String::from(&*flow.capture);
        let reason_s = match reason {
            CloseReason::Fin => Some("FIN"),
            CloseReason::Rst => Some("RST"),
            CloseReason::Idle => Some("idle"),
            CloseReason::EndOfCapture => None,
            CloseReason::Reused => Some("port reuse"),
        };
        if let (Some(reason), Some(p)) = (
            reason_s,
            st.provider.and_then(|i| self.providers.providers.get(i)),
        ) {
            let active = self.subs.active_on(&capture, flow.id.0);
            if !active.is_empty() {
                let mut frames: Vec<u64> = active.iter().map(|a| a.1).collect();
                frames.push(meta.frame);
                self.stale_changes += 1;
                self.pending_stale.push(PendingStale {
                    provider: p.name.clone(),
                    flow: flow.id.0,
                    reason,
                    evidence: Evidence {
                        capture: capture.clone(),
                        flow: Some(flow.id.0),
                        call_id: active.first().map(|a| a.0.clone()),
                        frames: Vec::new(),
                        time: Some(meta.ts),
                    }
                    .with_frames(&frames),
                    call_ids: active.into_iter().map(|a| a.0).collect(),
                });
            }
        }
        if reason != CloseReason::EndOfCapture {
            // at the end of the capture sessions stay open; `finish` reports them
            self.im.flow_closed(&capture, flow.id.0, meta.ts);
            self.subs.flow_closed(&capture, flow.id.0);
        }
    }

    /// True while a finding still to come may name flow `id` of `capture`
    /// (a connection that closed with active presence subscriptions, judged
    /// at the end: PIC-STALE-PRESENCE).
    pub fn may_still_name(&self, capture: &str, id: u64) -> bool {
        self.pending_stale
            .iter()
            .any(|s| s.flow == id && s.evidence.capture == capture)
    }

    /// A count that changes whenever [`Analyzer::may_still_name`] may answer
    /// differently for a flow it was asked about before (so its answers can
    /// be kept until then).
    pub fn naming_changes(&self) -> u64 {
        self.stale_changes
    }

    /// True when [`Analyzer::take_done`] has something to return (a cheap
    /// test the engine can make before taking).
    pub fn has_done(&self) -> bool {
        self.im.has_done() || self.subs.has_done() || self.findings.has_new()
    }

    /// IM sessions, presence subscriptions and findings finished since the
    /// last call, so a long capture's report need not hold them all.
    pub fn take_done(&mut self) -> (Vec<ImSession>, Vec<PresenceSubscription>, Vec<Violation>) {
        if !self.has_done() {
            // the usual case (most events finish nothing): no Vec is touched
            return (Vec::new(), Vec::new(), Vec::new());
        }
        let im = self.im.take_done();
        for s in &im {
            if let Some(conv) = &s.conversation_id {
                self.convs.session_ended(&s.capture, conv, s.end);
            }
        }
        (im, self.subs.take_done(), self.findings.take())
    }

    /// End of capture: closes open sessions and returns everything found.
    pub fn finish(self) -> AnalysisOutput {
        let mut findings = self.findings;
        rules::presence::stale_presence(self.pending_stale, &mut findings);
        AnalysisOutput {
            im_sessions: self.im.finish(),
            presence: self.subs.finish(),
            violations: findings.into_sorted(),
            notes: self.notes,
            transactions: self.tx.finish(),
        }
    }
}
