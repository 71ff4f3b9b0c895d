//! The single-threaded end of a capture's run: hears every flow open, takes
//! finished flow and SIP-event records from the application layer and
//! finished sessions, subscriptions and findings from the analyzer as they
//! happen, numbers flows 1, 2, 3 … in order of first frame, counts them per
//! provider and spools them (`spool`), so nothing finished stays in memory.
//! A flow's number is forgotten once the flow has closed (before the end of
//! the capture), its record is in and the analyzer has handed over what it
//! finished because of the close, unless a finding still to come names it.

use crate::hash::FastHashMap;

use super::result::{FlowRecord, ProviderTally, SipEventRecord};
use super::spool::{Spool, SpoolKey};
use crate::analysis::{Analyzer, ImSession, PresenceSubscription, Violation};
use crate::time::Timestamp;

/// A time as a sort key (unknown first).
fn t(ts: Option<Timestamp>) -> i64 {
    ts.map_or(i64::MIN, |t| t.0)
}

/// Collects one capture's records.
#[derive(Debug)]
pub(crate) struct Collector {
    /// Flow ordinals by the engine's internal id (the first frame).
    ordinals: FastHashMap<u64, u64>,
    opened: u64,
    /// Flows closed before the end of the capture, whose record has not come yet.
    closed: Vec<(u64, std::sync::Arc<str>)>,
    /// Flows closed with their record in: numbers to forget at the next `take`
    /// (or later, while a finding still to come may name the flow).
    done: Vec<(u64, std::sync::Arc<str>)>,
    /// `done`'s length and the analyzer's [`Analyzer::naming_changes`] when
    /// `done` was last checked: while both stay, every flow in it is still named.
    done_checked: (usize, u64),
    /// Finished flows.
    pub flows: Spool<FlowRecord>,
    /// Per-message records (NDJSON only).
    pub sip_events: Spool<SipEventRecord>,
    /// IM sessions.
    pub im_sessions: Spool<ImSession>,
    /// Presence subscriptions.
    pub presence: Spool<PresenceSubscription>,
    /// Findings.
    pub violations: Spool<Violation>,
    /// Per-provider counts.
    pub tally: ProviderTally,
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            ordinals: FastHashMap::default(),
            opened: 0,
            closed: Vec::new(),
            done: Vec::new(),
            done_checked: (0, 0),
            flows: Spool::default().timed_by_secondary(),
            sip_events: Spool::default(),
            im_sessions: Spool::default(),
            presence: Spool::default(),
            violations: Spool::default(),
            tally: ProviderTally::default(),
        }
    }
}

impl Collector {
    /// A flow was first seen (events arrive in frame order, so this numbers flows by first frame).
    pub fn flow_opened(&mut self, internal: u64) {
        self.opened += 1;
        self.ordinals.insert(internal, self.opened);
    }

    /// The reported number of a flow.
    fn ordinal(&self, internal: u64) -> u64 {
        self.ordinals.get(&internal).copied().unwrap_or(internal)
    }

    /// Flow `internal` of `capture` closed before the end of the capture.
    pub fn flow_closed(&mut self, internal: u64, capture: &std::sync::Arc<str>) {
        self.closed.push((internal, capture.clone()));
    }

    /// A flow ended and became a record.
    pub fn flow(&mut self, mut f: FlowRecord) {
        if let Some(i) = self.closed.iter().position(|(id, _)| *id == f.id) {
            self.done.push(self.closed.swap_remove(i));
        }
        f.id = self.ordinal(f.id);
        self.tally.flow(&f);
        let key: SpoolKey = (0, f.id as i64, f.start.0 as u64);
        self.flows.push(key, f);
    }

    /// A SIP message record (NDJSON).
    pub fn sip_event(&mut self, mut e: SipEventRecord) {
        e.flow = self.ordinal(e.flow);
        let key: SpoolKey = (0, e.time.0, e.frames[0]);
        self.sip_events.push(key, e);
    }

    /// Finished analysis records.
    pub fn analysis(
        &mut self,
        im: Vec<ImSession>,
        presence: Vec<PresenceSubscription>,
        violations: Vec<Violation>,
    ) {
        for mut s in im {
            s.flow = self.ordinal(s.flow);
            self.tally.im(&s);
            self.im_sessions.push((0, t(s.start), 0), s);
        }
        for mut p in presence {
            p.flow = self.ordinal(p.flow);
            self.tally.presence(&p);
            // Sorted as before (no start: time 0); NDJSON puts them at that time too.
            self.presence.push((0, p.start.map_or(0, |t| t.0), 0), p);
        }
        for mut v in violations {
            v.flow = v.flow.map(|f| self.ordinal(f));
            self.tally.violation(&v);
            let first = v.frames.first().copied().unwrap_or(0);
            self.violations.push((0, t(v.time), first), v);
        }
    }

    /// Takes what the analyzer has finished so far.
    pub fn take(&mut self, analyzer: &mut Analyzer<'_>) {
        if analyzer.has_done() {
            let (im, presence, violations) = analyzer.take_done();
            self.analysis(im, presence, violations);
        }
        let now = (self.done.len(), analyzer.naming_changes());
        if now == self.done_checked {
            return;
        }
        let ordinals = &mut self.ordinals;
        self.done.retain(|(id, capture)| {
            let keep = analyzer.may_still_name(capture, *id);
            if !keep {
                ordinals.remove(id);
            }
            keep
        });
        self.done_checked = (self.done.len(), analyzer.naming_changes());
    }
}
