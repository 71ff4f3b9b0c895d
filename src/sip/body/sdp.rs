//! SDP: the media lines of an offer (`m=message`, `m=audio`, ...).

/// Media types (`m=` first token) in an SDP body, in order.
pub fn media_types(body: &[u8]) -> Vec<String> {
    let _ = body;
    Vec::new()
}
