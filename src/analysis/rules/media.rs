//! What may be offered to a provider: PIC-MEDIA (kb-897567.md "General
//! restrictions" 1: only IM and presence), PIC-FALSE-ACCEPT ("Yahoo!
//! specifics": unsupported invitations answered 200 OK) and PIC-MULTIPARTY
//! ("General restrictions" 4: no multiparty IM).

use crate::analysis::content;
use crate::analysis::findings::Findings;
use crate::analysis::transactions::RequestInfo;
use crate::analysis::view::{MsgView, Side};
use crate::hash::FixedHashMap;
use crate::sip::Method;
use crate::time::Timestamp;

/// PIC-MEDIA: an INVITE, INFO or MESSAGE with a provider offers more than IM.
/// Returns what was offered (for PIC-FALSE-ACCEPT). Once per request.
pub(crate) fn media(v: &MsgView<'_, '_>, f: &mut Findings) -> Vec<String> {
    let Some(p) = v.provider else {
        return Vec::new();
    };
    if !matches!(
        v.ev.msg.method(),
        Some(Method::Invite | Method::Info | Method::Message)
    ) {
        return Vec::new();
    }
    let offered = content::unsupported_offer(v.ev.msg, v.media_types());
    if offered.is_empty() {
        return offered;
    }
    let method = v.ev.msg.method().map(|m| m.as_str()).unwrap_or("");
    let cseq = v.ev.msg.cseq.as_ref().map(|c| c.0).unwrap_or(0);
    let who = if v.side == Side::In {
        format!("from {}", p.name)
    } else {
        format!("to {}", p.name)
    };
    f.report(
        "PIC-MEDIA",
        format!("{}|{}|{cseq}|{method}", v.ev.flow.capture, v.call_id),
        Some(&p.name),
        v.evidence(),
        format!(
            "{method} {who} offers {} ({} -> {}); KB 897567 General 1: only IM and presence are supported with public IM providers (no file transfer, audio, video or sharing)",
            offered.join(", "),
            v.party_from(),
            v.party_to(),
        ),
    );
    offered
}

/// PIC-FALSE-ACCEPT: the provider answers an unsupported offer with 2xx.
pub(crate) fn false_accept(v: &MsgView<'_, '_>, req: &RequestInfo, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    let Some(code) = v.ev.msg.status() else {
        return;
    };
    if !(200..300).contains(&code)
        || req.unsupported.is_empty()
        || req.side != Side::Out
        || v.side != Side::In
    {
        return;
    }
    let ev = v.evidence().with_frames(&[req.frame]);
    f.report(
        "PIC-FALSE-ACCEPT",
        format!("{}|{}|{}", v.ev.flow.capture, v.call_id, req.frame),
        Some(&p.name),
        ev,
        format!(
            "{} answered {code} to an unsupported {} offer ({}) sent in frame {}; KB 897567 Yahoo!: unsupported invitations are answered 200 OK and the provider user is never told of the request",
            p.name,
            req.method.as_str(),
            req.unsupported.join(", "),
            req.frame
        ),
    );
}

/// Parties seen per Ms-Conversation-ID with a provider (PIC-MULTIPARTY).
///
/// A conversation is forgotten once it has been idle (capture time) for
/// `ENDED_KEEP_NS` after an IM session of it ended (BYE, failure, connection
/// closed), or for `CONVERSATION_IDLE_NS` otherwise; a conversation that
/// comes back after that starts afresh with the parties it then shows. So
/// the table holds the conversations live in the last minutes, not every
/// conversation of the capture. Purges run at most once a second of capture
/// time. Purges are lazy: one a purge would have removed (purge times only
/// grow, so the last purge since it was touched decides) starts afresh when
/// next seen, and a sweep drops them when the table has grown by a quarter.
pub(crate) struct Conversations {
    /// By a keyed 64-bit digest of (capture, conversation ID) (the key is
    /// random per run, so crafted IDs cannot be made to collide).
    live: FixedHashMap<u64, Conversation>,
    /// The digest's key: foldhash's per-run random seed, which resists
    /// precomputed collisions as SipHash's random key did, at a fraction of
    /// its cost (SipHash was ~290 instructions per INVITE or MESSAGE).
    keyed: foldhash::fast::RandomState,
    last_purge: Timestamp,
    /// Purges so far.
    purges: u64,
    /// Sweep when `live` holds this many.
    sweep_at: usize,
}

impl Default for Conversations {
    fn default() -> Self {
        Conversations {
            live: FixedHashMap::default(),
            keyed: foldhash::fast::RandomState::default(),
            last_purge: Timestamp::default(),
            purges: 0,
            sweep_at: MIN_SWEEP,
        }
    }
}

/// Fewest stored conversations worth a sweep.
const MIN_SWEEP: usize = 1024;

/// One conversation's parties (sorted), the frames that added them, and its last activity.
struct Conversation {
    parties: Vec<Box<str>>,
    frames: Vec<u64>,
    last: Timestamp,
    /// Purges done when it was last touched.
    epoch: u64,
    /// An IM session of it ended and nothing of it was seen since.
    ended: bool,
}

impl Conversation {
    fn new(at: Timestamp, epoch: u64) -> Self {
        Conversation {
            parties: Vec::new(),
            frames: Vec::new(),
            last: at,
            epoch,
            ended: false,
        }
    }

    /// True when a purge since it was last touched would have removed it.
    fn purged(&self, purges: u64, last_purge: Timestamp) -> bool {
        let keep = if self.ended {
            ENDED_KEEP_NS
        } else {
            CONVERSATION_IDLE_NS
        };
        purges > self.epoch && last_purge.0 - self.last.0 >= keep
    }
}

/// Conversations untouched this long (capture time) are forgotten.
const CONVERSATION_IDLE_NS: i64 = 3_600_000_000_000;
/// Conversations whose IM session ended are forgotten after this long untouched.
const ENDED_KEEP_NS: i64 = 600_000_000_000;

/// PIC-MULTIPARTY: a conference focus in an INVITE, a REFER, or three or more
/// parties in one conversation with a provider.
pub(crate) fn multiparty(v: &MsgView<'_, '_>, convs: &mut Conversations, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    let m = v.ev.msg;
    let Some(method) = m.method() else { return };
    let capture = &v.ev.flow.capture;
    let kb =
        "KB 897567 General 4: a federated public IM user can only be in a two-party conversation";
    let focus_in = |s: &str| content::contains_ci(s.as_bytes(), b"app:conf:focus");
    match method {
        Method::Invite => {
            let uri = m.request_uri().unwrap_or("");
            let focus = m.header("Ms-Focus-Uri").map(str::to_string).or_else(|| {
                [
                    Some(uri),
                    m.contact().map(|c| c.uri),
                    v.from().map(|a| a.uri),
                    v.to().map(|a| a.uri),
                ]
                .into_iter()
                .flatten()
                .find(|s| focus_in(s))
                .map(str::to_string)
            });
            if let Some(focus) = focus {
                f.report(
                    "PIC-MULTIPARTY",
                    format!("{}|{}", capture, v.call_id),
                    Some(&p.name),
                    v.evidence(),
                    format!(
                        "INVITE with {} carries a conference focus ({focus}); {kb}",
                        p.name
                    ),
                );
            }
        }
        Method::Refer => {
            let target = m
                .header("Refer-To")
                .or_else(|| m.header("r"))
                .unwrap_or("?");
            f.report(
                "PIC-MULTIPARTY",
                format!("{}|{}", capture, v.call_id),
                Some(&p.name),
                v.evidence(),
                format!(
                    "REFER with {} adds a participant (Refer-To {target}); {kb}",
                    p.name
                ),
            );
        }
        _ => {}
    }
    if !matches!(method, Method::Invite | Method::Message | Method::Refer) {
        return;
    }
    let Some(conv) = m.header("Ms-Conversation-ID") else {
        return;
    };
    convs.purge(v.time());
    let id = convs.digest(capture, conv);
    let (purges, last_purge) = (convs.purges, convs.last_purge);
    match convs.live.get_mut(&id) {
        Some(e) if e.purged(purges, last_purge) => *e = Conversation::new(v.time(), purges),
        Some(_) => {}
        None => {
            let fresh = Conversation::new(v.time(), purges);
            convs.live.insert(id, fresh);
            if convs.live.len() >= convs.sweep_at {
                convs.sweep();
            }
        }
    }
    let Some(e) = convs.live.get_mut(&id) else {
        return;
    };
    e.last = v.time();
    e.epoch = purges;
    e.ended = false;
    let mut grew = false;
    let from = v.from().map(|_| v.party_from());
    let to = v.to().map(|_| v.party_to());
    for party in [from, to].into_iter().flatten() {
        if let Err(at) = e.parties.binary_search_by(|p| (**p).cmp(party)) {
            e.parties.insert(at, party.into());
            grew = true;
        }
    }
    if grew && e.frames.len() < 16 {
        e.frames.push(v.ev.first.frame);
    }
    if e.parties.len() >= 3 {
        let e = &*e;
        f.report_with(
            "PIC-MULTIPARTY",
            format_args!("{}|conv|{conv}", capture),
            Some(&p.name),
            || {
                let parties: Vec<&str> = e.parties.iter().map(|p| &**p).collect();
                (
                    v.evidence().with_frames(&e.frames),
                    format!(
                        "conversation {conv} with {} spans {} parties ({}); {kb}",
                        p.name,
                        parties.len(),
                        parties.join(", ")
                    ),
                )
            },
        );
    }
}

impl Conversations {
    /// The table key of `conv` in `capture`.
    fn digest(&self, capture: &str, conv: &str) -> u64 {
        use std::hash::BuildHasher;
        // (each `str` is hashed with a terminator, so the pair is unambiguous)
        self.keyed.hash_one((capture, conv))
    }

    /// An IM session of conversation `conv` ended at `at`: unless it is seen
    /// again, the conversation is forgotten `ENDED_KEEP_NS` later.
    pub(crate) fn session_ended(&mut self, capture: &str, conv: &str, at: Option<Timestamp>) {
        let id = self.digest(capture, conv);
        if let Some(e) = self.live.get_mut(&id) {
            e.ended = true;
            if let Some(at) = at {
                e.last = e.last.max(at);
            }
        }
    }

    /// Conversations held (memory-bound tests).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.live.len()
    }

    fn purge(&mut self, now: Timestamp) {
        if now.0 - self.last_purge.0 < 1_000_000_000 {
            return;
        }
        self.last_purge = now;
        self.purges += 1;
    }

    /// Drops the conversations purges have forgotten.
    fn sweep(&mut self) {
        let (purges, last_purge) = (self.purges, self.last_purge);
        self.live.retain(|_, e| !e.purged(purges, last_purge));
        // A quarter more before the next sweep: the table's size tracks the
        // live conversations closely, at a few sweeps per thousand inserts.
        self.sweep_at = (self.live.len() + self.live.len() / 4).max(MIN_SWEEP);
    }
}
