//! What each provider displays for a presence state (kb-897567.md "General
//! restrictions" 3, "MSN (Windows Live) specifics").

use serde::{Deserialize, Serialize};

/// Which way a mapped state travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateDirection {
    /// An enterprise state as the provider's users see it.
    Out,
    /// A provider user's state as the enterprise user sees it.
    In,
}

impl StateDirection {
    /// "out" or "in".
    pub fn as_str(self) -> &'static str {
        match self {
            StateDirection::Out => "out",
            StateDirection::In => "in",
        }
    }
}

/// One mapping: state `sent` travelling `direction` is displayed as `shown`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMapEntry {
    /// Direction the state travels.
    pub direction: StateDirection,
    /// State as sent, e.g. "Be Right Back" (compared case-insensitively).
    pub sent: String,
    /// State displayed by the receiving side, e.g. "Away".
    pub shown: String,
}

/// The displayed state for `sent` under `map` (unchanged when no entry applies).
pub(super) fn displayed<'a>(
    map: &'a [StateMapEntry],
    dir: StateDirection,
    sent: &'a str,
) -> &'a str {
    map.iter()
        .find(|e| e.direction == dir && e.sent.eq_ignore_ascii_case(sent))
        .map(|e| e.shown.as_str())
        .unwrap_or(sent)
}
