//! What a message body offers, as the rules need it: SDP media lines, file
//! transfer offers (kb-897567.md "General restrictions" 1, "MSN (Windows
//! Live) specifics"), typing notifications, AOL's rewritten URLs ("AOL
//! specifics") and presence states.

use crate::sip::SipMessage;
use crate::sip::body::presence::{PresenceState, availability_name, parse_presence};
use crate::sip::body::sdp;

/// SDP media types of the body (`m=` first token), lower-cased.
pub(crate) fn media_types(msg: &SipMessage) -> Vec<String> {
    if !msg
        .content_type
        .as_deref()
        .is_some_and(|c| c.contains("sdp") || c.starts_with("multipart/"))
    {
        return Vec::new();
    }
    let mut m = sdp::media_types(&msg.body);
    if m.is_empty() {
        // Fallback while the SDP reader is not in place: scan `m=` lines.
        m = String::from_utf8_lossy(&msg.body)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("m="))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect();
    }
    m.iter().map(|t| t.to_ascii_lowercase()).collect()
}

/// True when an IM session is offered (`m=message`).
pub(crate) fn offers_im(msg: &SipMessage) -> bool {
    media_types(msg).iter().any(|m| m == "message")
}

/// What besides IM the message offers, e.g. `m=audio`, `file transfer`; empty when nothing.
pub(crate) fn unsupported_offer(msg: &SipMessage) -> Vec<String> {
    let mut out: Vec<String> = media_types(msg)
        .into_iter()
        .filter(|m| m != "message")
        .map(|m| format!("m={m}"))
        .collect();
    let ct = msg.content_type.as_deref().unwrap_or("");
    let body_has = |needle: &[u8]| memchr::memmem::find(&msg.body, needle).is_some();
    if ct == "application/ms-filetransfer+xml"
        || (ct.starts_with("multipart/") && body_has(b"application/ms-filetransfer+xml"))
    {
        out.push("file transfer (application/ms-filetransfer+xml)".into());
    }
    if ct == "text/x-msmsgsinvite"
        || (ct.starts_with("multipart/") && body_has(b"text/x-msmsgsinvite"))
    {
        out.push("legacy MSN invitation (text/x-msmsgsinvite)".into());
    }
    out
}

/// True for a typing notification (`application/im-iscomposing+xml`).
pub(crate) fn is_typing(msg: &SipMessage) -> bool {
    msg.content_type.as_deref() == Some("application/im-iscomposing+xml")
}

/// True when the body carries AOL's rewritten URL form `_http://x_ (http:// x)`.
pub(crate) fn has_aol_url(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    ["_http://", "_https://"].iter().any(|p| lower.contains(p)) && lower.contains("_ (http")
}

/// The presence state of a NOTIFY/BENOTIFY body, named ("Be Right Back",
/// "In a meeting", "Out to Lunch" ...), with availability and activity.
pub(crate) fn presence_state(msg: &SipMessage) -> Option<(String, PresenceState)> {
    let ct = msg.content_type.as_deref()?;
    if msg.body.is_empty() {
        return None;
    }
    let st = parse_presence(ct, &msg.body).or_else(|| fallback_presence(&msg.body))?;
    let activity = st.activity.as_deref().unwrap_or("").to_ascii_lowercase();
    let note = st.note.as_deref().unwrap_or("").to_ascii_lowercase();
    let named = if matches!(activity.as_str(), "in-a-meeting" | "in-a-conference") {
        "In a meeting".to_string()
    } else if activity.contains("lunch") || note == "out to lunch" {
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

/// A minimal tag scan used only while `parse_presence` is not available.
fn fallback_presence(body: &[u8]) -> Option<PresenceState> {
    let text = String::from_utf8_lossy(body);
    let between = |open: &str, close: &str| -> Option<String> {
        let i = text.find(open)? + open.len();
        let rest = text.get(i..)?;
        let rest = rest.get(rest.find('>')? + 1..)?;
        Some(rest.get(..rest.find(close)?)?.trim().to_string())
    };
    let availability =
        between("<availability", "</availability>").and_then(|v| v.parse::<u32>().ok());
    let activity = text.find("<activity").and_then(|i| {
        let rest = text.get(i..)?;
        let t = rest.find("token=\"")? + 7;
        let rest = rest.get(t..)?;
        Some(rest.get(..rest.find('"')?)?.to_string())
    });
    let basic = between("<basic", "</basic>");
    let note = between("<note", "</note>").or_else(|| between("<body", "</body>"));
    if availability.is_none() && activity.is_none() && basic.is_none() {
        return None;
    }
    Some(PresenceState {
        availability,
        state: availability.map(|a| availability_name(a).to_string()),
        activity,
        basic,
        note,
    })
}
