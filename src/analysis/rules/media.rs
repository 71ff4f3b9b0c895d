//! What may be offered to a provider: PIC-MEDIA (kb-897567.md "General
//! restrictions" 1: only IM and presence), PIC-FALSE-ACCEPT ("Yahoo!
//! specifics": unsupported invitations answered 200 OK) and PIC-MULTIPARTY
//! ("General restrictions" 4: no multiparty IM).

use std::collections::{BTreeSet, HashMap};

use crate::analysis::content;
use crate::analysis::findings::Findings;
use crate::analysis::transactions::RequestInfo;
use crate::analysis::view::{MsgView, Side};
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
    let offered = content::unsupported_offer(v.ev.msg);
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
            crate::analysis::view::party(v.ev.msg.from.as_ref()),
            crate::analysis::view::party(v.ev.msg.to.as_ref()),
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
#[derive(Default)]
pub(crate) struct Conversations {
    live: HashMap<String, (BTreeSet<String>, Vec<u64>, Timestamp)>,
    last_purge: Timestamp,
}

/// Conversations untouched this long (capture time) are forgotten.
const CONVERSATION_IDLE_NS: i64 = 3_600_000_000_000;

/// PIC-MULTIPARTY: a conference focus in an INVITE, a REFER, or three or more
/// parties in one conversation with a provider.
pub(crate) fn multiparty(v: &MsgView<'_, '_>, convs: &mut Conversations, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    let m = v.ev.msg;
    let Some(method) = m.method() else { return };
    let key = format!("{}|{}", v.ev.flow.capture, v.call_id);
    let kb =
        "KB 897567 General 4: a federated public IM user can only be in a two-party conversation";
    let focus_in = |s: &str| s.to_ascii_lowercase().contains("app:conf:focus");
    match method {
        Method::Invite => {
            let uri = match &m.kind {
                crate::sip::MessageKind::Request { uri, .. } => uri.as_str(),
                _ => "",
            };
            let focus = m.header("Ms-Focus-Uri").map(str::to_string).or_else(|| {
                [
                    Some(uri),
                    m.contact.as_ref().map(|c| c.uri.as_str()),
                    m.from.as_ref().map(|a| a.uri.as_str()),
                    m.to.as_ref().map(|a| a.uri.as_str()),
                ]
                .into_iter()
                .flatten()
                .find(|s| focus_in(s))
                .map(str::to_string)
            });
            if let Some(focus) = focus {
                f.report(
                    "PIC-MULTIPARTY",
                    key.clone(),
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
                key.clone(),
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
    let e = convs
        .live
        .entry(format!("{}|{conv}", v.ev.flow.capture))
        .or_insert_with(|| (BTreeSet::new(), Vec::new(), v.time()));
    e.2 = v.time();
    let mut grew = false;
    for a in [m.from.as_ref(), m.to.as_ref()].into_iter().flatten() {
        grew |= e.0.insert(crate::analysis::view::party(Some(a)));
    }
    if grew && e.1.len() < 16 {
        e.1.push(v.ev.first.frame);
    }
    if e.0.len() >= 3 {
        let parties: Vec<String> = e.0.iter().cloned().collect();
        let frames = e.1.clone();
        f.report(
            "PIC-MULTIPARTY",
            format!("{}|conv|{conv}", v.ev.flow.capture),
            Some(&p.name),
            v.evidence().with_frames(&frames),
            format!(
                "conversation {conv} with {} spans {} parties ({}); {kb}",
                p.name,
                parties.len(),
                parties.join(", ")
            ),
        );
    }
}

impl Conversations {
    fn purge(&mut self, now: Timestamp) {
        if now.0 - self.last_purge.0 < 1_000_000_000 {
            return;
        }
        self.last_purge = now;
        self.live
            .retain(|_, e| now.0 - e.2.0 < CONVERSATION_IDLE_NS);
    }
}
