//! SIP message parsing: `rsip` where it accepts the message, a tolerant
//! parser for everything it refuses (rsip 0.4 rejects BENOTIFY and SERVICE).

use super::message::SipMessage;

/// Why a framed message could not be parsed at all.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SipParseError {
    /// The first line is neither a request line nor a status line.
    #[error("bad start line: {0}")]
    StartLine(String),
    /// A header line without a colon, or not UTF-8 where it must be.
    #[error("bad header at byte {offset}: {reason}")]
    Header {
        /// Byte offset within the message.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// No blank line ends the headers.
    #[error("headers not terminated")]
    Unterminated,
}

/// Parses one framed message (start line to end of body).
pub fn parse_message(bytes: &[u8]) -> Result<SipMessage, SipParseError> {
    let _ = bytes;
    Err(SipParseError::Unterminated)
}

/// True when `data` begins like a SIP request or status line (content detection on any port).
pub fn looks_like_sip(data: &[u8]) -> bool {
    let _ = data;
    false
}
