//! Presence rules: PIC-PRESENCE-MAP (kb-897567.md "General restrictions" 3,
//! "MSN (Windows Live) specifics"), PIC-INVALID-CONTACT ("General
//! restrictions" 2) and PIC-STALE-PRESENCE ("MSN (Windows Live) specifics":
//! presence wrong for up to four hours after the PIC connection drops).

use crate::analysis::findings::{Evidence, Findings};
use crate::analysis::model::PresenceStateReport;
use crate::analysis::transactions::RequestInfo;
use crate::analysis::view::{MsgView, Side};
use crate::sip::Method;

/// PIC-PRESENCE-MAP: a state the receiving side shows differently. Once per
/// subscription, direction and state.
pub(crate) fn presence_map(v: &MsgView<'_, '_>, r: &PresenceStateReport, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    if r.sent.eq_ignore_ascii_case(&r.displayed) {
        return;
    }
    let (what, whom) = if r.direction == "in" {
        (
            format!("{} user {}'s state", p.name, v.party_from()),
            "Lync/Communicator users".to_string(),
        )
    } else {
        (
            format!("enterprise user {}'s state", v.party_from()),
            format!("{} users", p.name),
        )
    };
    let kb = if r.sent.eq_ignore_ascii_case("In a meeting") {
        "KB 897567 General 3: \"In a meeting\" appears \"Online\" to AOL, MSN and Yahoo! contacts; set \"Busy\" by hand"
    } else {
        "KB 897567 MSN specifics: MSN has no such state"
    };
    f.report(
        "PIC-PRESENCE-MAP",
        format!(
            "{}|{}|{}|{}",
            v.ev.flow.capture,
            v.call_id,
            r.direction,
            r.sent.to_ascii_lowercase()
        ),
        Some(&p.name),
        v.evidence(),
        format!(
            "{what} \"{}\" is displayed as \"{}\" to {whom}; {kb}",
            r.sent, r.displayed
        ),
    );
}

/// PIC-INVALID-CONTACT: an enterprise SUBSCRIBE or first INVITE to a provider
/// contact fails with 404/480/484/604.
pub(crate) fn invalid_contact(v: &MsgView<'_, '_>, req: &RequestInfo, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    let Some(code) = v.ev.msg.status() else {
        return;
    };
    if !matches!(code, 404 | 480 | 484 | 604) || !req.initial || req.side != Side::Out {
        return;
    }
    if !matches!(req.method, Method::Subscribe | Method::Invite) {
        return;
    }
    let contact = v.party_to();
    f.report(
        "PIC-INVALID-CONTACT",
        format!("{}|{}|{}", v.ev.flow.capture, v.call_id, req.frame),
        Some(&p.name),
        v.evidence().with_frames(&[req.frame]),
        format!(
            "{} to {} contact {contact} (frame {}) failed with {code}; KB 897567 General 2: a contact added with a wrong address is accepted and simply shows as \"Offline\"",
            req.method.as_str(),
            p.name,
            req.frame
        ),
    );
}

/// A connection that ended with active subscriptions, waiting to see whether a new one follows.
#[derive(Clone, Debug)]
pub(crate) struct PendingStale {
    /// Provider name.
    pub provider: String,
    /// The closed flow.
    pub flow: u64,
    /// Why it ended ("FIN", "RST", "idle").
    pub reason: &'static str,
    /// Evidence (close frame and SUBSCRIBE frames).
    pub evidence: Evidence,
    /// Call-IDs of the subscriptions.
    pub call_ids: Vec<String>,
}

/// PIC-STALE-PRESENCE: reports the connections no new connection followed.
pub(crate) fn stale_presence(pending: Vec<PendingStale>, f: &mut Findings) {
    for s in pending {
        f.report(
            "PIC-STALE-PRESENCE",
            format!("{}|{}", s.evidence.capture, s.flow),
            Some(&s.provider),
            s.evidence.clone(),
            format!(
                "the {} connection ended ({}) with {} presence subscription(s) active ({}) and no new connection to {} followed in the capture; KB 897567 MSN specifics: presence can stay wrong for up to four hours until users sign out and in again",
                s.provider,
                s.reason,
                s.call_ids.len(),
                s.call_ids.join(", "),
                s.provider
            ),
        );
    }
}
