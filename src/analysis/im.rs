//! IM sessions: INVITE dialogs offering `m=message`, and page-mode MESSAGEs
//! outside a dialog grouped by Call-ID. Messages are counted each way, typing
//! notifications apart, bodies reported by type and length (text only with
//! `--show-content`). A session leaves the live set when it ends (BYE,
//! failure, cancel, its connection closing, or page-mode idleness) and its
//! record moves to the output.

use super::content;
use super::model::{ImBody, ImSession};
use super::transactions::RequestInfo;
use super::view::{MsgView, Side};
use crate::hash::FixedHashMap;
use crate::sip::Method;
use crate::time::Timestamp;

/// Page-mode groups idle this long (capture time) are closed.
const PAGE_MODE_IDLE_NS: i64 = 1_800_000_000_000;
/// At most this many bodies are kept per session (memory bound).
const MAX_BODIES: usize = 10_000;

/// A live IM session.
pub(crate) struct ImState {
    /// The record being built.
    pub rec: ImSession,
    /// Page-mode (MESSAGE outside an INVITE dialog).
    pub page_mode: bool,
    /// The INVITE was answered 2xx.
    pub established: bool,
    /// A CANCEL was seen.
    pub cancel_seen: bool,
    /// CSeq of the initial INVITE.
    pub invite_cseq: Option<u32>,
    /// Time the provider side last sent a MESSAGE (or accepted the session).
    pub provider_last_spoke: Option<Timestamp>,
    /// Last activity.
    pub last_activity: Timestamp,
    /// Raw (undecoded) enterprise address, to tell directions apart.
    local_raw: String,
}

/// Live IM sessions by Call-ID and finished records.
#[derive(Default)]
pub(crate) struct ImSessions {
    live: FixedHashMap<String, ImState>,
    done: Vec<ImSession>,
    last_purge: Timestamp,
}

impl ImSessions {
    /// The live session of `call_id`.
    pub fn get(&self, call_id: &str) -> Option<&ImState> {
        self.live.get(call_id)
    }

    /// A request: opens, updates or ends a session. Returns the message's
    /// direction ("out"/"in") when it is an IM MESSAGE counted in a session.
    pub fn request(&mut self, v: &MsgView<'_, '_>, show_content: bool) {
        self.purge(v.time());
        let Some(method) = v.ev.msg.method() else {
            return;
        };
        let ts = v.time();
        match method {
            Method::Invite => {
                let initial = !v.to_tagged();
                if initial
                    && !self.live.contains_key(v.call_id)
                    && content::offers_im(v.media_types())
                {
                    let st = new_state(v, false);
                    self.live.insert(v.call_id.to_string(), st);
                }
                if let Some(s) = self.live.get_mut(v.call_id) {
                    s.last_activity = ts;
                    if s.invite_cseq.is_none() && initial {
                        s.invite_cseq = v.ev.msg.cseq.as_ref().map(|c| c.0);
                    }
                }
            }
            Method::Message => match self.live.get_mut(v.call_id) {
                Some(s) => s.message(v, show_content),
                None => {
                    // no To tag: page mode; with one: a dialog begun before the capture
                    let in_dialog = v.to_tagged();
                    let mut st = new_state(v, !in_dialog);
                    st.message(v, show_content);
                    self.live.insert(v.call_id.to_string(), st);
                }
            },
            Method::Info => {
                if let Some(s) = self.live.get_mut(v.call_id) {
                    s.last_activity = ts;
                    if content::is_typing(v.ev.msg) {
                        s.rec.typing += 1;
                    }
                }
            }
            Method::Cancel => {
                if let Some(s) = self.live.get_mut(v.call_id) {
                    s.cancel_seen = true;
                    s.last_activity = ts;
                }
            }
            Method::Bye => {
                if let Some(mut s) = self.live.remove(v.call_id) {
                    s.rec.outcome = "completed".into();
                    s.rec.end = Some(ts);
                    self.done.push(s.rec);
                }
            }
            _ => {}
        }
    }

    /// A response to `req`.
    pub fn response(&mut self, v: &MsgView<'_, '_>, req: &RequestInfo) {
        let Some(code) = v.ev.msg.status() else {
            return;
        };
        if req.method != Method::Invite || code < 200 {
            return;
        }
        let cseq = v.ev.msg.cseq.as_ref().map(|c| c.0);
        let Some(s) = self.live.get_mut(v.call_id) else {
            return;
        };
        s.last_activity = v.time();
        if (200..300).contains(&code) {
            s.established = true;
            if v.side == Side::In {
                s.provider_last_spoke = Some(v.time());
            }
            return;
        }
        if s.established || (s.invite_cseq.is_some() && cseq != s.invite_cseq) {
            return; // a failed re-INVITE does not end the session
        }
        if let Some(mut s) = self.live.remove(v.call_id) {
            s.rec.outcome = match code {
                487 if s.cancel_seen => "cancelled".to_string(),
                300..=399 | 408 | 500..=599 => format!("failed {code}"),
                _ => format!("rejected {code}"),
            };
            s.rec.end = Some(v.time());
            self.done.push(s.rec);
        }
    }

    /// The connection `flow` of `capture` closed: its sessions end.
    pub fn flow_closed(&mut self, capture: &str, flow: u64, at: Timestamp) {
        let ids: Vec<String> = self
            .live
            .iter()
            .filter(|(_, s)| s.rec.flow == flow && s.rec.capture == capture)
            .map(|(k, _)| k.clone())
            .collect();
        for id in ids {
            if let Some(mut s) = self.live.remove(&id) {
                s.rec.outcome = if s.page_mode {
                    "page-mode".into()
                } else {
                    "connection closed".into()
                };
                s.rec.end = Some(s.rec.end.unwrap_or(at).max(s.last_activity));
                self.done.push(s.rec);
            }
        }
    }

    fn purge(&mut self, now: Timestamp) {
        if now.0 - self.last_purge.0 < 1_000_000_000 {
            return;
        }
        self.last_purge = now;
        let idle: Vec<String> = self
            .live
            .iter()
            .filter(|(_, s)| s.page_mode && now.0 - s.last_activity.0 > PAGE_MODE_IDLE_NS)
            .map(|(k, _)| k.clone())
            .collect();
        for id in idle {
            if let Some(mut s) = self.live.remove(&id) {
                s.rec.outcome = "page-mode".into();
                self.done.push(s.rec);
            }
        }
    }

    /// Live sessions (memory-bound tests).
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.live.len()
    }

    /// True when sessions have finished since the last `take_done`.
    pub fn has_done(&self) -> bool {
        !self.done.is_empty()
    }

    /// Sessions finished so far, handed over (the report spools them).
    pub fn take_done(&mut self) -> Vec<ImSession> {
        std::mem::take(&mut self.done)
    }

    /// End of capture: open sessions are reported "open" (page-mode groups "page-mode").
    pub fn finish(mut self) -> Vec<ImSession> {
        let mut rest: Vec<ImState> = self.live.into_values().collect();
        rest.sort_by_key(|s| s.rec.start);
        for mut s in rest {
            s.rec.outcome = if s.page_mode {
                "page-mode".into()
            } else {
                "open".into()
            };
            if s.rec.end.is_none() {
                s.rec.end = Some(s.last_activity);
            }
            self.done.push(s.rec);
        }
        self.done.sort_by_key(|s| s.start);
        self.done
    }
}

fn new_state(v: &MsgView<'_, '_>, page_mode: bool) -> ImState {
    ImState {
        rec: ImSession {
            call_id: v.call_id.to_string(),
            conversation_id: v.ev.msg.header("Ms-Conversation-ID").map(str::to_string),
            local: v.party_local().to_string(),
            remote: v.party_remote().to_string(),
            provider: v.provider_name().map(str::to_string),
            start: Some(v.time()),
            end: None,
            outcome: "open".into(),
            capture: String::from(&*v.ev.flow.capture),
            flow: v.ev.flow.id.0,
            ..ImSession::default()
        },
        page_mode,
        established: false,
        cancel_seen: false,
        invite_cseq: None,
        provider_last_spoke: None,
        last_activity: v.time(),
        local_raw: v
            .local()
            .map(|a| a.address().into_owned())
            .unwrap_or_default(),
    }
}

impl ImState {
    /// Direction of a MESSAGE in this session.
    pub fn direction(&self, v: &MsgView<'_, '_>) -> Side {
        match v.side {
            Side::Unknown => {
                let from = v.from().map(|a| a.address()).unwrap_or_default();
                if from == self.local_raw.as_str() {
                    Side::Out
                } else {
                    Side::In
                }
            }
            s => s,
        }
    }

    fn message(&mut self, v: &MsgView<'_, '_>, show_content: bool) {
        let m = v.ev.msg;
        self.last_activity = v.time();
        if content::is_typing(m) {
            self.rec.typing += 1;
            return;
        }
        let dir = self.direction(v);
        match dir {
            Side::In => {
                self.rec.messages_in += 1;
                self.provider_last_spoke = Some(v.time());
            }
            _ => self.rec.messages_out += 1,
        }
        if self.page_mode {
            self.rec.end = Some(v.time());
        }
        if self.rec.bodies.len() < MAX_BODIES {
            self.rec.bodies.push(ImBody {
                direction: if dir == Side::In { "in" } else { "out" },
                content_type: m.content_type.clone().unwrap_or_default(),
                length: m.body.len(),
                frame: v.ev.first.frame,
                time: Some(v.time()),
                text: show_content.then(|| String::from_utf8_lossy(&m.body).into_owned()),
            });
        }
    }
}
