//! What a message body offers, as the rules need it: SDP media lines, file
//! transfer offers (kb-897567.md "General restrictions" 1, "MSN (Windows
//! Live) specifics"), typing notifications, AOL's rewritten URLs ("AOL
//! specifics") and presence states.

use crate::sip::SipMessage;
use crate::sip::body::filetransfer::{FileTransferKind, parse_file_transfer};
use crate::sip::body::presence::{PresenceState, availability_name};
use crate::sip::body::{multipart, sdp};

/// Calls `f` with the body's parts: the body itself, or each part of a multipart body.
fn for_each_part<'m>(msg: &'m SipMessage, mut f: impl FnMut(&str, &'m [u8])) {
    let ct = msg.content_type.as_deref().unwrap_or("");
    if ct.starts_with("multipart/") {
        let raw = msg.content_type_raw().unwrap_or("");
        for p in multipart::split(multipart::boundary(raw), &msg.body) {
            f(&p.content_type, p.body);
        }
        return;
    }
    f(ct, &msg.body);
}

/// SDP media types of the body (`m=` first token), lower-cased.
pub(crate) fn media_types(msg: &SipMessage) -> Vec<String> {
    let mut out = Vec::new();
    for_each_part(msg, |ct, b| {
        if ct == "application/sdp" {
            // lower-cased in place: no second String per type, nor a second Vec
            let mut types = sdp::media_types(b);
            for t in &mut types {
                t.make_ascii_lowercase();
            }
            if out.is_empty() {
                out = types;
            } else {
                out.append(&mut types);
            }
        }
    });
    out
}

/// True when an IM session is offered (`m=message`), given the body's [`media_types`].
pub(crate) fn offers_im(media: &[String]) -> bool {
    media.iter().any(|m| m == "message")
}

/// True when `ct` is a type `parse_file_transfer` reads (the same test, without allocating).
fn may_be_file_transfer(ct: &str) -> bool {
    let end = memchr::memchr(b';', ct.as_bytes()).unwrap_or(ct.len());
    let c = ct.get(..end).unwrap_or(ct).trim();
    c.eq_ignore_ascii_case("application/ms-filetransfer+xml")
        || c.eq_ignore_ascii_case("text/x-msmsgsinvite")
}

/// What besides IM the message offers, e.g. `m=audio`, `file transfer`;
/// empty when nothing. `media` is the body's [`media_types`].
pub(crate) fn unsupported_offer(msg: &SipMessage, media: &[String]) -> Vec<String> {
    let mut out: Vec<String> = media
        .iter()
        .filter(|m| *m != "message")
        .map(|m| format!("m={m}"))
        .collect();
    for_each_part(msg, |ct, body| {
        if !may_be_file_transfer(ct) {
            return;
        }
        if let Some(offer) = parse_file_transfer(ct, body) {
            let what = match offer.kind {
                FileTransferKind::MsFileTransfer => {
                    "file transfer (application/ms-filetransfer+xml)"
                }
                FileTransferKind::MsmsgsInvite => "legacy MSN invitation (text/x-msmsgsinvite)",
            };
            out.push(match offer.file_name {
                Some(name) => format!("{what} of \"{name}\""),
                None => what.to_string(),
            });
        }
    });
    out
}

/// True for a typing notification (`application/im-iscomposing+xml`).
pub(crate) fn is_typing(msg: &SipMessage) -> bool {
    msg.content_type.as_deref() == Some("application/im-iscomposing+xml")
}

/// True when the body carries AOL's rewritten URL form `_http://x_ (http:// x)`.
pub(crate) fn has_aol_url(body: &[u8]) -> bool {
    // The patterns are ASCII, so searching the bytes case-insensitively finds
    // what searching the lower-cased (lossily decoded) text would.
    (contains_ci(body, b"_http://") || contains_ci(body, b"_https://"))
        && contains_ci(body, b"_ (http")
}

/// True when `hay` contains `needle` (lower-case), ASCII case-insensitively.
pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), hay).any(|i| {
        hay.get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

/// The presence state of a NOTIFY/BENOTIFY body, named ("Be Right Back",
/// "In a meeting", "Out to Lunch" ...), with the state read from the body.
pub(crate) fn presence_state(msg: &SipMessage) -> Option<(String, &PresenceState)> {
    let st = msg.presence()?;
    let activity = st.activity.as_deref().unwrap_or("");
    let note = st.note.as_deref().unwrap_or("");
    let named = if activity.eq_ignore_ascii_case("in-a-meeting")
        || activity.eq_ignore_ascii_case("in-a-conference")
    {
        "In a meeting".to_string()
    } else if contains_ci(activity.as_bytes(), b"lunch")
        || note.eq_ignore_ascii_case("out to lunch")
    {
        "Out to Lunch".to_string()
    } else if let Some(s) = &st.state {
        s.clone()
    } else if let Some(a) = st.availability {
        availability_name(a).to_string()
    } else {
        match st.basic.as_deref() {
            Some("open") => "Online".to_string(),
            Some("closed") => "Offline".to_string(),
            _ => return None,
        }
    };
    Some((named, st))
}

#[cfg(test)]
mod tests {
    use super::contains_ci;

    #[test]
    fn contains_ci_short_and_long_haystacks() {
        let long_pad = "x".repeat(100);
        for (hay, want) in [
            ("sip:App:Conf:Focus:id:1@x.com", true),
            ("sip:app:conf:focu@x.com", false),
            ("app:conf:focus", true),
            ("", false),
        ] {
            assert_eq!(
                contains_ci(hay.as_bytes(), b"app:conf:focus"),
                want,
                "{hay}"
            );
            let long = format!("{long_pad}{hay}{long_pad}");
            assert_eq!(
                contains_ci(long.as_bytes(), b"app:conf:focus"),
                want,
                "{hay}"
            );
        }
        assert!(contains_ci(b"abc", b""));
        // every length up to and past the needle's, a match at the very end
        for len in [0usize, 1, 13, 14, 15, 100, 127, 128, 129, 200] {
            let pad = "x".repeat(len.saturating_sub(14));
            for tail in ["app:conf:focus", "APP:CONF:FOCUS", "app:conf:focux"] {
                let hay = format!("{pad}{tail}");
                let hay = hay.get(..len.min(hay.len())).unwrap_or("");
                let want = hay.to_ascii_lowercase().contains("app:conf:focus");
                assert_eq!(
                    contains_ci(hay.as_bytes(), b"app:conf:focus"),
                    want,
                    "{hay:?}"
                );
            }
        }
        assert!(contains_ci(
            "sip:Ä@app:conf:Focus".as_bytes(),
            b"app:conf:focus"
        ));
    }
}
