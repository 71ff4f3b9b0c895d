//! Live capture (cargo feature `live`): a [`FrameSource`](crate::capture::FrameSource)
//! over a libpcap / Npcap handle, and a follower for key logs that grow while
//! capturing (applications append to SSLKEYLOGFILE as sessions start).
//!
//! New key-log lines are handed to the engine as secrets items of type
//! [`FOLLOWED_KEYLOG`], so they flow through the same path as pcapng DSBs but
//! are credited to the key-log file.

mod follow;
#[cfg(feature = "live")]
mod source;

pub use follow::KeylogFollower;
#[cfg(feature = "live")]
pub use source::{LiveOptions, LiveSource, LiveStats};

/// Secrets-item type for key-log text read from a followed `--keylog` file
/// (not a pcapng type; pcapng's TLS key log is 0x544c534b).
pub const FOLLOWED_KEYLOG: u32 = 0x4b4c_4f47;
