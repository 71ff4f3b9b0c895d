//! Standing notes: restrictions of kb-897567.md that cannot be seen on the
//! wire (restrictions.md, "Not visible on the wire"), once per provider seen.

use super::model::StandingNote;

/// For every provider.
const GENERAL: &[&str] = &[
    "KB 897567 General 8: friendly names of public IM users are not shown in Windows Messenger 5.1, Communicator or Lync.",
    "KB 897567 General 7: a user sees a public user's presence only if that user is in their contact list.",
    "KB 897567 General 5: traffic between the provider's servers and its public clients is not encrypted (except AOL Instant Messenger 6.0+ and AIM Pro, which use SSL).",
];

/// MSN (Windows Live) only.
const MSN: &[&str] = &[
    "KB 897567 MSN: when an MSN user removes the enterprise user from their contact list, the enterprise contact shows as blocked.",
    "KB 897567 MSN: contacts migrated from the old .NET Messenger Service may stay \"Online\" until deleted and re-added.",
    "KB 897567 MSN: before Windows Live Messenger 8.0, an MSN user merely opening a chat window pops a conversation window on the enterprise side.",
];

/// Yahoo! only.
const YAHOO: &[&str] = &[
    "KB 897567 Yahoo!: a Yahoo! user set to appear invisible/offline to the enterprise user is still seen with their real presence.",
    "KB 897567 Yahoo!: if the enterprise user starts a video session with a Yahoo! user and cancels it, the enterprise user is disconnected from the IM session.",
];

/// The notes for `provider`.
pub(crate) fn for_provider(provider: &str) -> Vec<StandingNote> {
    let specific: &[&str] = match provider.to_ascii_lowercase().as_str() {
        "msn" => MSN,
        "yahoo" => YAHOO,
        _ => &[],
    };
    GENERAL
        .iter()
        .chain(specific)
        .map(|n| StandingNote {
            provider: provider.to_string(),
            note: n.to_string(),
        })
        .collect()
}
