//! The built-in provider table, line by line from kb-897567.md.

use ipnet::IpNet;

use super::statemap::{StateDirection, StateMapEntry};
use super::table::{DomainEntry, Provider};
use crate::time::Timestamp;

/// kb-897567.md "Supported provider domains", AOL line, in the KB's order.
const AOL_DOMAINS: &[&str] = &["aol.com", "icq.com", "love.com", "mac.com"];

/// kb-897567.md "Supported provider domains": icq.com was disconnected on
/// 2011-06-10 (AOL sold ICQ to Digital Sky Technologies).
const ICQ_RETIRED: &str = "2011-06-10";

/// kb-897567.md "Supported provider domains", MSN (Windows Live) line, in the KB's order.
const MSN_DOMAINS: &[&str] = &[
    "br.live.com",
    "hotmail.co.il",
    "hotmail.co.jp",
    "hotmail.co.th",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.com.ar",
    "hotmail.com.tr",
    "hotmail.es",
    "hotmail.de",
    "hotmail.fr",
    "hotmail.it",
    "hotmail.ch",
    "live.at",
    "live.be",
    "live.ca",
    "live.cl",
    "live.cn",
    "live.co.in",
    "live.co.kr",
    "live.co.uk",
    "live.co.za",
    "live.com",
    "live.com.ar",
    "live.com.au",
    "live.com.co",
    "live.com.mx",
    "live.com.my",
    "live.com.pe",
    "live.com.ph",
    "live.com.pk",
    "live.com.pt",
    "live.com.sg",
    "live.com.ve",
    "live.de",
    "live.dk",
    "live.fr",
    "live.hk",
    "live.ie",
    "live.in",
    "live.it",
    "live.jp",
    "live.nl",
    "live.no",
    "live.ph",
    "live.ru",
    "live.se",
    "livemail.com.br",
    "livemail.tw",
    "messengeruser.com",
    "msn.com",
    "outlook.com",
    "passport.com",
    "sympatico.ca",
    "tw.live.com",
    "webtv.net",
    "windowslive.com",
    "windowslive.es",
];

/// kb-897567.md "Supported provider domains", Yahoo! line.
const YAHOO_DOMAINS: &[&str] = &["yahoo.com"];

/// kb-897567.md "Firewall and provider addresses", MSN (Windows Live).
const MSN_RANGES: &[&str] = &["134.170.96.0/26", "157.56.187.192/26", "111.221.122.192/26"];

/// kb-897567.md "Firewall and provider addresses", AOL (64.12.x.x, 205.188.x.x).
const AOL_RANGES: &[&str] = &["64.12.0.0/16", "205.188.0.0/16"];

/// kb-897567.md "Firewall and provider addresses", Yahoo!: backup site
/// 76.13.22.8-.11 (servers) and .12 (VIP); primary site 98.136.47.8-.11
/// (servers) and .17 (VIP).
const YAHOO_RANGES: &[&str] = &[
    "76.13.22.8/32",
    "76.13.22.9/32",
    "76.13.22.10/32",
    "76.13.22.11/32",
    "76.13.22.12/32",
    "98.136.47.8/32",
    "98.136.47.9/32",
    "98.136.47.10/32",
    "98.136.47.11/32",
    "98.136.47.17/32",
];

fn ranges(list: &[&str]) -> Vec<IpNet> {
    // Constants above; a typo would be caught by the unit tests.
    list.iter().filter_map(|r| r.parse().ok()).collect()
}

fn domains(list: &[&str]) -> Vec<DomainEntry> {
    list.iter()
        .map(|d| DomainEntry {
            name: d.to_string(),
            retired: None,
        })
        .collect()
}

fn map(direction: StateDirection, sent: &str, shown: &str) -> StateMapEntry {
    StateMapEntry {
        direction,
        sent: sent.to_string(),
        shown: shown.to_string(),
    }
}

/// kb-897567.md "General restrictions" 3: "In a meeting" shows as "Online" to
/// every provider.
fn in_a_meeting() -> StateMapEntry {
    map(StateDirection::Out, "In a meeting", "Online")
}

/// The three providers of kb-897567.md.
pub(super) fn providers() -> Vec<Provider> {
    let mut aol = domains(AOL_DOMAINS);
    for d in &mut aol {
        if d.name == "icq.com" {
            d.retired = Timestamp::from_date(ICQ_RETIRED);
        }
    }
    vec![
        Provider {
            name: "MSN".into(),
            ranges: ranges(MSN_RANGES),
            domains: domains(MSN_DOMAINS),
            // kb-897567.md "MSN (Windows Live) specifics": BRB and DND show as
            // Away to MSN users; MSN "Out to Lunch" shows as Away in Lync.
            state_map: vec![
                map(StateDirection::Out, "Be Right Back", "Away"),
                map(StateDirection::Out, "Do Not Disturb", "Away"),
                in_a_meeting(),
                map(StateDirection::In, "Out to Lunch", "Away"),
            ],
        },
        Provider {
            name: "AOL".into(),
            ranges: ranges(AOL_RANGES),
            domains: aol,
            state_map: vec![in_a_meeting()],
        },
        Provider {
            name: "Yahoo".into(),
            ranges: ranges(YAHOO_RANGES),
            domains: domains(YAHOO_DOMAINS),
            state_map: vec![in_a_meeting()],
        },
    ]
}
