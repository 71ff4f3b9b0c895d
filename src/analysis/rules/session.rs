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
pub(crate) struct Endpoints {
    /// Keyed by capture, user and provider, each written with its length
    /// first (`5:a.pcap|17:alice@contoso.com|MSN`) so no two triples share a key.
    first: FixedHashMap<String, Endpoint>,
    /// Where keys are written before they are looked up.
    scratch: String,
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

/// Appends `n` in decimal (what `write!(k, "{n}")` writes, without the
/// formatting machinery: this runs twice per outbound request).
fn push_decimal(k: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        k.push(char::from(d));
    }
}

/// PIC-MPOP: one enterprise user talks to a provider from two or more endpoints.
pub(crate) fn mpop(v: &MsgView<'_, '_>, eps: &mut Endpoints, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    if v.side != Side::Out || !v.is_request() {
        return;
    }
    let user = v.party_local();
    let capture = &v.ev.flow.capture;
    let k = &mut eps.scratch;
    k.clear();
    push_decimal(k, capture.len());
    k.push(':');
    k.push_str(capture);
    k.push('|');
    push_decimal(k, user.len());
    k.push(':');
    k.push_str(&user);
    k.push('|');
    k.push_str(&p.name);
    let known = eps.first.get_mut(eps.scratch.as_str());
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
        eps.first.insert(eps.scratch.clone(), e);
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

#[cfg(test)]
mod tests {
    use super::push_decimal;

    #[test]
    fn push_decimal_writes_what_format_writes() {
        for n in [0, 7, 10, 99, 100, 12_345, usize::MAX] {
            let mut k = String::from("x");
            push_decimal(&mut k, n);
            assert_eq!(k, format!("x{n}"));
        }
    }
}
