//! Collects rule findings with their evidence, de-duplicated by a rule-chosen
//! key (restrictions.md: "A finding without evidence is a defect").

use std::fmt::Write;

use super::model::{Severity, Violation};
use super::rules::catalog;
use crate::hash::{FixedHashMap, FixedHashSet};
use crate::time::Timestamp;

/// Where a finding shows: capture, flow, dialog, frames, time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Evidence {
    /// Capture path.
    pub capture: String,
    /// Flow id.
    pub flow: Option<u64>,
    /// Call-ID.
    pub call_id: Option<String>,
    /// Frames.
    pub frames: Vec<u64>,
    /// Time of the first evidence.
    pub time: Option<Timestamp>,
}

impl Evidence {
    /// Adds frames, keeping them sorted and distinct.
    pub fn with_frames(mut self, frames: &[u64]) -> Self {
        self.frames.extend_from_slice(frames);
        self.frames.sort_unstable();
        self.frames.dedup();
        self
    }
}

/// A dedup key's digest (SipHash-1-3 with fixed keys: the same in every run).
fn digest(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Findings so far.
#[derive(Default)]
pub(crate) struct Findings {
    out: Vec<Violation>,
    /// Keys reported, by rule, as 64-bit SipHash digests: 8 bytes per
    /// finding instead of the key text, so a long capture's dedup sets stay
    /// small (a collision between two distinct keys is about 2^-64 per pair).
    seen: FixedHashMap<&'static str, FixedHashSet<u64>>,
    /// Where keys are written before they are looked up.
    scratch: String,
}

impl Findings {
    /// Records a finding of `rule` unless one with the same `key` exists.
    pub fn report(
        &mut self,
        rule: &'static str,
        key: String,
        provider: Option<&str>,
        ev: Evidence,
        message: String,
    ) {
        if !self.seen.entry(rule).or_default().insert(digest(&key)) {
            return;
        }
        self.push(rule, provider, ev, message);
    }

    /// Like [`Findings::report`], but the evidence and message are only
    /// built when no finding with the same `key` exists (most calls are
    /// repeats); the key is formatted without allocating.
    pub fn report_with(
        &mut self,
        rule: &'static str,
        key: std::fmt::Arguments<'_>,
        provider: Option<&str>,
        make: impl FnOnce() -> (Evidence, String),
    ) {
        self.scratch.clear();
        let _ = self.scratch.write_fmt(key);
        if !self
            .seen
            .entry(rule)
            .or_default()
            .insert(digest(&self.scratch))
        {
            return;
        }
        let (ev, message) = make();
        self.push(rule, provider, ev, message);
    }

    /// Reports a finding that can arise only once per flow because the
    /// caller keeps the flow's own flag (`FlowState`): no key is remembered
    /// here, so a capture of many connections does not grow this set.
    pub fn report_for_flow(
        &mut self,
        rule: &'static str,
        provider: Option<&str>,
        make: impl FnOnce() -> (Evidence, String),
    ) {
        let (ev, message) = make();
        self.push(rule, provider, ev, message);
    }

    fn push(&mut self, rule: &'static str, provider: Option<&str>, ev: Evidence, message: String) {
        let severity = catalog::info(rule)
            .map(|r| r.severity)
            .unwrap_or(Severity::Warning);
        self.out.push(Violation {
            rule,
            severity,
            provider: provider.map(str::to_string),
            capture: ev.capture,
            flow: ev.flow,
            call_id: ev.call_id,
            frames: ev.frames,
            time: ev.time,
            message,
        });
    }

    /// True when findings were made since the last `take`.
    pub fn has_new(&self) -> bool {
        !self.out.is_empty()
    }

    /// Findings so far, handed over (the report spools them).
    pub fn take(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.out)
    }

    /// The findings in capture order.
    pub fn into_sorted(mut self) -> Vec<Violation> {
        self.out
            .sort_by(|a, b| (a.time, &a.frames).cmp(&(b.time, &b.frames)));
        self.out
    }
}
