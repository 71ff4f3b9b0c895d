//! Presence subscriptions: SUBSCRIBE (Event: presence) with its responses,
//! NOTIFY / BENOTIFY counted and their states read, and for each state the
//! state the receiving side displays (kb-897567.md "General restrictions" 3,
//! "MSN (Windows Live) specifics"). A subscription leaves the live set when
//! rejected, terminated, or its connection closes.

use super::content;
use super::model::{PresenceStateReport, PresenceSubscription};
use super::transactions::RequestInfo;
use super::view::{MsgView, Side};
use crate::hash::FixedHashMap;
use crate::providers::StateDirection;
use crate::sip::Method;
use crate::time::Timestamp;

/// At most this many states are kept per subscription (memory bound).
const MAX_STATES: usize = 10_000;

/// A live subscription.
pub(crate) struct SubState {
    /// The record being built.
    pub rec: PresenceSubscription,
    /// The last SUBSCRIBE had Expires: 0 (an unsubscribe).
    unsubscribing: bool,
    /// Answered 2xx at least once.
    pub established: bool,
    /// Frame of the SUBSCRIBE.
    pub frame: u64,
}

/// Live subscriptions by Call-ID and finished records.
#[derive(Default)]
pub(crate) struct Subscriptions {
    live: FixedHashMap<String, SubState>,
    done: Vec<PresenceSubscription>,
}

fn is_presence_event(v: &MsgView<'_, '_>) -> bool {
    v.ev.msg
        .header("Event")
        .or_else(|| v.ev.msg.header("o"))
        .is_some_and(|e| starts_with_ci(e.trim(), "presence"))
}

/// `s.to_ascii_lowercase().starts_with(prefix)` for a lower-case ASCII `prefix`, without allocating.
fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

impl Subscriptions {
    /// A SUBSCRIBE, NOTIFY or BENOTIFY. `on_state` sees the state report a
    /// NOTIFY carried before it is recorded (moved, not copied, into the
    /// subscription).
    pub fn request(&mut self, v: &MsgView<'_, '_>, on_state: impl FnOnce(&PresenceStateReport)) {
        let m = v.ev.msg;
        let Some(method) = m.method() else {
            return;
        };
        match method {
            Method::Subscribe => {
                if !is_presence_event(v) {
                    return;
                }
                let expires0 = m.header("Expires").is_some_and(|e| e.trim() == "0");
                if let Some(s) = self.live.get_mut(v.call_id) {
                    s.unsubscribing = expires0;
                    return;
                }
                let s = self
                    .live
                    .entry(v.call_id.to_string())
                    .or_insert_with(|| SubState {
                        rec: PresenceSubscription {
                            call_id: v.call_id.to_string(),
                            watcher: v.party_from().to_string(),
                            presentity: v.party_to().to_string(),
                            provider: v.provider_name().map(str::to_string),
                            outcome: "pending".into(),
                            capture: String::from(&*v.ev.flow.capture),
                            flow: v.ev.flow.id.0,
                            start: Some(v.time()),
                            ..PresenceSubscription::default()
                        },
                        unsubscribing: false,
                        established: false,
                        frame: v.ev.first.frame,
                    });
                s.unsubscribing = expires0;
            }
            Method::Notify | Method::Benotify => {
                // One lookup for a known subscription (almost every NOTIFY).
                let s = match self.live.get_mut(v.call_id) {
                    Some(s) => s,
                    None => {
                        if m.method() == Some(&Method::Notify) && !is_presence_event(v) {
                            return;
                        }
                        let s = SubState {
                            // joined mid-subscription: the SUBSCRIBE was before the capture
                            rec: PresenceSubscription {
                                call_id: v.call_id.to_string(),
                                watcher: v.party_to().to_string(),
                                presentity: v.party_from().to_string(),
                                provider: v.provider_name().map(str::to_string),
                                outcome: "active".into(),
                                capture: String::from(&*v.ev.flow.capture),
                                flow: v.ev.flow.id.0,
                                start: Some(v.time()),
                                ..PresenceSubscription::default()
                            },
                            unsubscribing: false,
                            established: true,
                            frame: v.ev.first.frame,
                        };
                        self.live.entry(v.call_id.to_string()).or_insert(s)
                    }
                };
                s.rec.notifications += 1;
                let report = content::presence_state(m).map(|(named, st)| {
                    let dir = if v.side == Side::In {
                        StateDirection::In
                    } else {
                        StateDirection::Out
                    };
                    let displayed = v
                        .provider
                        .map(|p| p.displayed(dir, &named).to_string())
                        .unwrap_or_else(|| named.clone());
                    PresenceStateReport {
                        frame: v.ev.first.frame,
                        time: Some(v.time()),
                        direction: dir.as_str(),
                        sent: named,
                        displayed,
                        availability: st.availability,
                        activity: st.activity.clone(),
                    }
                });
                if let Some(r) = report {
                    on_state(&r);
                    if s.rec.states.len() < MAX_STATES {
                        s.rec.states.push(r);
                    }
                }
                let terminated = m
                    .header("Subscription-State")
                    .is_some_and(|h| starts_with_ci(h.trim(), "terminated"));
                if terminated && let Some(mut s) = self.live.remove(v.call_id) {
                    s.rec.outcome = "terminated".into();
                    self.done.push(s.rec);
                }
            }
            _ => {}
        }
    }

    /// A response to a SUBSCRIBE.
    pub fn response(&mut self, v: &MsgView<'_, '_>, req: &RequestInfo) {
        let Some(code) = v.ev.msg.status() else {
            return;
        };
        if req.method != Method::Subscribe || code < 200 {
            return;
        }
        let Some(s) = self.live.get_mut(v.call_id) else {
            return;
        };
        if (200..300).contains(&code) {
            if s.unsubscribing {
                if let Some(mut s) = self.live.remove(v.call_id) {
                    s.rec.outcome = "terminated".into();
                    self.done.push(s.rec);
                }
            } else {
                s.established = true;
                s.rec.outcome = "active".into();
            }
            return;
        }
        if let Some(mut s) = self.live.remove(v.call_id) {
            s.rec.outcome = if s.established {
                format!("failed {code}")
            } else {
                format!("rejected {code}")
            };
            self.done.push(s.rec);
        }
    }

    /// Active subscriptions over `flow` (PIC-STALE-PRESENCE): (call_id, SUBSCRIBE frame).
    pub fn active_on(&self, capture: &str, flow: u64) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .live
            .values()
            .filter(|s| s.rec.flow == flow && s.rec.capture == capture && s.rec.outcome == "active")
            .map(|s| (s.rec.call_id.clone(), s.frame))
            .collect();
        v.sort_by_key(|x| x.1);
        v
    }

    /// The connection `flow` closed: its subscriptions end.
    pub fn flow_closed(&mut self, capture: &str, flow: u64) {
        let ids: Vec<String> = self
            .live
            .iter()
            .filter(|(_, s)| s.rec.flow == flow && s.rec.capture == capture)
            .map(|(k, _)| k.clone())
            .collect();
        for id in ids {
            if let Some(mut s) = self.live.remove(&id) {
                s.rec.outcome = format!("{} (connection closed)", s.rec.outcome);
                self.done.push(s.rec);
            }
        }
    }

    /// Live subscriptions (memory-bound tests).
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.live.len()
    }

    /// True when subscriptions have finished since the last `take_done`.
    pub fn has_done(&self) -> bool {
        !self.done.is_empty()
    }

    /// Subscriptions finished so far, handed over (the report spools them).
    pub fn take_done(&mut self) -> Vec<PresenceSubscription> {
        std::mem::take(&mut self.done)
    }

    /// End of capture: the rest as they stand.
    pub fn finish(mut self) -> Vec<PresenceSubscription> {
        self.done.extend(self.live.into_values().map(|s| s.rec));
        self.done.sort_by_key(|s| s.start.unwrap_or(Timestamp(0)));
        self.done
    }
}
