//! The rule catalog of restrictions.md: ID, severity, KB section, when it fires.

use serde::Serialize;

use crate::analysis::Severity;

/// One rule of restrictions.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable rule ID, e.g. "PIC-MEDIA".
    pub id: &'static str,
    /// Severity of its findings.
    pub severity: Severity,
    /// Section of kb-897567.md it comes from.
    pub kb_section: &'static str,
    /// When it fires.
    pub description: &'static str,
}

const fn rule(
    id: &'static str,
    severity: Severity,
    kb_section: &'static str,
    description: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        kb_section,
        description,
    }
}

/// Every rule, in restrictions.md order.
pub static RULES: &[RuleInfo] = &[
    rule(
        "PIC-MEDIA",
        Severity::Error,
        "General 1",
        "an INVITE/re-INVITE or INFO exchanged with a provider offers anything but IM (audio, video, sharing, data, file transfer)",
    ),
    rule(
        "PIC-FALSE-ACCEPT",
        Severity::Warning,
        "Yahoo!",
        "a provider answers an unsupported offer with 2xx",
    ),
    rule(
        "PIC-MULTIPARTY",
        Severity::Error,
        "General 4",
        "a provider user is drawn into a multiparty conversation (conference focus, REFER, 3+ parties in one Ms-Conversation-ID)",
    ),
    rule(
        "PIC-PLAINTEXT",
        Severity::Error,
        "General 5",
        "SIP with a provider (by address range or provider-domain URI) travels without TLS (plain TCP or UDP)",
    ),
    rule(
        "PIC-PORT",
        Severity::Warning,
        "Firewall",
        "a provider connection where neither end uses TCP 5061",
    ),
    rule(
        "PIC-UNKNOWN-SOURCE",
        Severity::Error,
        "Firewall",
        "SIP claiming a provider's users comes from outside that provider's documented ranges or from another provider's range",
    ),
    rule(
        "PIC-DOMAIN",
        Severity::Warning,
        "Supported domains",
        "a provider-side address whose domain is not on that provider's list, or a retired domain used after its retirement date",
    ),
    rule(
        "PIC-EASI",
        Severity::Warning,
        "MSN, EASI",
        "a non-provider domain addressed through MSN other than as user(domain)@msn.com",
    ),
    rule(
        "PIC-INVALID-CONTACT",
        Severity::Info,
        "General 2",
        "a SUBSCRIBE or first INVITE to a provider contact fails with 404/480/484/604: the contact sits Offline, unvalidated",
    ),
    rule(
        "PIC-PRESENCE-MAP",
        Severity::Info,
        "General 3, MSN",
        "a presence state sent to (or from) a provider that it cannot show (BRB/DND -> Away on MSN, In a meeting -> Online, MSN Out to Lunch -> Away)",
    ),
    rule(
        "PIC-MPOP",
        Severity::Info,
        "General 6, Yahoo!",
        "one enterprise user talks to a provider from two or more endpoints (epid / GRUU)",
    ),
    rule(
        "PIC-CLOSED-SESSION",
        Severity::Info,
        "Yahoo!",
        "heuristic: enterprise MESSAGEs into a Yahoo! session long after the Yahoo! side last spoke, with no BYE from Yahoo!",
    ),
    rule(
        "PIC-STALE-PRESENCE",
        Severity::Warning,
        "MSN",
        "the provider connection ends with presence subscriptions active and no new connection follows: presence may be wrong for up to 4 hours",
    ),
    rule(
        "PIC-WEAK-TLS",
        Severity::Warning,
        "General 5",
        "a provider TLS session below TLS 1.2 or with RC4, 3DES, NULL, EXPORT or anonymous suites (beyond the KB)",
    ),
    rule(
        "PIC-CERT",
        Severity::Warning,
        "Certificates",
        "a provider handshake certificate is expired / not yet valid at capture time, does not name the SNI, or does not chain to a trusted root",
    ),
    rule(
        "PIC-AOL-URL",
        Severity::Info,
        "AOL",
        "an inbound AOL message carries the rewritten URL form _http://..._ (http:// ...)",
    ),
];

/// The catalog entry of `id`.
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}
