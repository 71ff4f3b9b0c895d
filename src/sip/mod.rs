//! SIP: stream framing (Content-Length, keep-alives, resynchronisation),
//! message parsing (`rsip` first, a tolerant parser for what it refuses), the
//! message model, and the bodies federation analysis needs (SDP, PIDF,
//! Microsoft msrtc categories, file-transfer offers, IM text).

pub mod body;
mod framing;
mod message;
mod parse;

pub use framing::{FramerStats, RawMessage, SipFramer};
pub use message::{Header, MessageKind, Method, NameAddr, ParsedBy, SipMessage};
pub use parse::{SipParseError, looks_like_sip, parse_message};
