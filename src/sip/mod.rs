//! SIP: stream framing (Content-Length, keep-alives, resynchronisation),
//! message parsing (`rsip` first, a tolerant parser for what it refuses), the
//! message model, and the bodies federation analysis needs (SDP, PIDF,
//! Microsoft msrtc categories, file-transfer offers, IM text).

pub mod body;
mod framing;
mod message;
mod name_addr;
mod parse;
#[cfg(test)]
mod perf;
mod plain_lines;
#[cfg(test)]
mod samples;
pub mod scan;
mod short_find;

pub use framing::{FramerStats, MAX_BODY_BYTES, MAX_HEADER_BYTES, RawMessage, SipFramer};
pub use message::{Header, MessageKind, Method, NameAddr, ParsedBy, SipMessage};
pub use name_addr::parse_name_addr;
pub use parse::{
    SipParseError, looks_like_sip, media_type, parse_framed, parse_message, parse_tolerant,
    rsip_accepts, rsip_validation, set_rsip_validation,
};
