//! Session rules: PIC-MPOP (kb-897567.md "General restrictions" 6, "Yahoo!
//! specifics"), PIC-CLOSED-SESSION ("Yahoo! specifics", heuristic) and
//! PIC-AOL-URL ("AOL specifics").

use std::borrow::Cow;

use crate::analysis::content;
use crate::analysis::findings::Findings;
use crate::analysis::im::ImState;
use crate::analysis::view::{MsgView, Side};
use crate::hash::FixedHashMap;
use crate::sip::Method;

/// First endpoint seen per (capture, enterprise user, provider).
#[derive(Default)]
pub(crate) struct Endpoints<'p> {
    /// By capture number and provider name, then by user: the user is
    /// looked up as the message's own text, with no key to write first.
    first: FixedHashMap<(usize, &'p str), FixedHashMap<Box<str>, Endpoint>>,
}

/// The first endpoint of one (capture, user, provider).
struct Endpoint {
    /// Its endpoint id.
    epid: String,
    /// The frame it was first seen in.
    frame: u64,
    /// The triple's PIC-MPOP finding exists: later messages cannot add to
    /// it, so they are not looked at (their endpoint ids are not even read).
    reported: bool,
}

/// The enterprise endpoint id of an outbound request: From `epid`, else the
/// Contact GRUU instance (`opaque=user:epid:...`).
fn endpoint_id<'m>(v: &MsgView<'m, '_>) -> Option<Cow<'m, str>> {
    if let Some(e) = v.from().and_then(|a| a.epid()) {
        return Some(e);
    }
    let c = v.ev.msg.contact()?;
    let opaque = c.uri_param("opaque")?;
    opaque.strip_prefix("user:epid:").map(Cow::Borrowed)
}

/// PIC-MPOP: one enterprise user talks to a provider from two or more endpoints.
pub(crate) fn mpop<'p>(v: &MsgView<'_, 'p>, eps: &mut Endpoints<'p>, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    if v.side != Side::Out || !v.is_request() {
        return;
    }
    let user = v.party_local();
    let capture = &v.ev.flow.capture;
    let users = eps
        .first
        .entry((v.capture_no, p.name.as_str()))
        .or_default();
    let known = users.get_mut(user);
    if known.as_ref().is_some_and(|e| e.reported) {
        return;
    }
    let Some(epid) = endpoint_id(v) else { return };
    let Some(e) = known else {
        let e = Endpoint {
            epid: epid.into_owned(),
            frame: v.ev.first.frame,
            reported: false,
        };
        users.insert(user.into(), e);
        return;
    };
    if e.epid == epid {
        return;
    }
    e.reported = true;
    let (first, frame) = (&e.epid, e.frame);
    f.report_with(
        "PIC-MPOP",
        format_args!("{}|{user}|{}", capture, p.name),
        Some(&p.name),
        || {
            let yahoo = if p.name.eq_ignore_ascii_case("Yahoo") {
                " Yahoo! does not support MPOP: the other endpoints show \"Unavailable\"/\"Offline\" to the Yahoo! client."
            } else {
                ""
            };
            (
                v.evidence().with_frames(&[frame]),
                format!(
                    "{user} talks to {} from two endpoints (epid {first} in frame {frame}, epid {epid}); KB 897567 General 6: with several signed-in endpoints presence updates may not reach the public client.{yahoo}",
                    p.name
                ),
            )
        },
    );
}

/// True when PIC-CLOSED-SESSION judges this message (a MESSAGE with Yahoo!).
pub(crate) fn closed_session_applies(v: &MsgView<'_, '_>) -> bool {
    v.provider
        .is_some_and(|p| p.name.eq_ignore_ascii_case("Yahoo"))
        && v.ev.msg.method() == Some(&Method::Message)
}

/// PIC-CLOSED-SESSION (heuristic): an enterprise MESSAGE into a Yahoo! session
/// more than `threshold_secs` after the Yahoo! side last spoke.
pub(crate) fn closed_session(
    v: &MsgView<'_, '_>,
    s: &ImState,
    threshold_secs: u64,
    f: &mut Findings,
) {
    let Some(p) = v.provider else { return };
    if !closed_session_applies(v) {
        return;
    }
    if content::is_typing(v.ev.msg) || s.direction(v) != Side::Out {
        return;
    }
    let Some(last) = s.provider_last_spoke.or(s.rec.start) else {
        return;
    };
    let idle = v.time().seconds_since(last);
    if idle <= threshold_secs as f64 {
        return;
    }
    f.report(
        "PIC-CLOSED-SESSION",
        format!("{}|{}", v.ev.flow.capture, v.call_id),
        Some(&p.name),
        v.evidence(),
        format!(
            "heuristic: {} keeps sending to {} {:.0} s after the Yahoo! side last spoke (threshold {threshold_secs} s), with no BYE from Yahoo!; KB 897567 Yahoo!: the enterprise user is not told when the Yahoo! user closes the IM window and can keep sending into the closed session",
            s.rec.local, s.rec.remote, idle
        ),
    );
}

/// PIC-AOL-URL: an inbound AOL MESSAGE carries a rewritten URL.
pub(crate) fn aol_url(v: &MsgView<'_, '_>, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    if !p.name.eq_ignore_ascii_case("AOL")
        || v.side != Side::In
        || v.ev.msg.method() != Some(&Method::Message)
    {
        return;
    }
    if !content::has_aol_url(&v.ev.msg.body) {
        return;
    }
    f.report(
        "PIC-AOL-URL",
        format!("{}|{}|{}", v.ev.flow.capture, v.call_id, v.ev.first.frame),
        Some(&p.name),
        v.evidence(),
        format!(
            "message from AOL user {} carries a URL in AOL's rewritten form `_http://..._ (http:// ...)`; KB 897567 AOL: URLs sent by AOL users arrive rewritten",
            v.party_from()
        ),
    );
}
