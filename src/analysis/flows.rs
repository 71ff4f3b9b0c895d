//! Per-flow state: which provider a connection belongs to, by address range
//! first and SIP domain second (kb-897567.md "Firewall and provider
//! addresses", "Supported provider domains").

use std::cell::RefCell;

use super::events::{FlowContext, SipEvent};
use crate::hash::FixedHashMap;
use crate::providers::{DomainEntry, Provider, ProviderTable};
use crate::time::Timestamp;

/// What the analyzer keeps about a live flow.
#[derive(Clone, Debug, Default)]
pub(crate) struct FlowState {
    /// Index of the attributed provider in the table.
    pub provider: Option<usize>,
    /// True when attributed by address range.
    pub by_range: bool,
    /// The provider end's address.
    pub provider_end: Option<std::net::SocketAddr>,
    /// First SIP message time.
    pub first_ts: Option<Timestamp>,
    /// First SIP message frame.
    pub first_frame: Option<u64>,
    /// The flow's PIC-PLAINTEXT finding exists.
    pub plaintext_done: bool,
    /// The flow's PIC-PORT finding exists, or a SIP message found its ports
    /// comply: either way it is not judged again.
    pub port_done: bool,
}

/// `domain` as `ProviderTable::by_domain` normalises it before comparing,
/// except for the lower-casing (trimmed, without a trailing dot). A domain
/// that starts and ends with a visible ASCII character other than a trailing
/// dot is returned as it is without the Unicode-aware trims.
fn trimmed(domain: &str) -> &str {
    let b = domain.as_bytes();
    let visible = |c: Option<&u8>| c.is_some_and(u8::is_ascii_graphic);
    if visible(b.first()) && visible(b.last()) && b.last() != Some(&b'.') {
        return domain;
    }
    domain.trim().trim_end_matches('.')
}

/// True when `entry` equals the lower-cased `d`.
fn eq_lower(entry: &str, d: &str) -> bool {
    entry.len() == d.len()
        && entry
            .bytes()
            .zip(d.bytes())
            .all(|(e, c)| e == c.to_ascii_lowercase())
}

/// `Provider::domain` without allocating.
pub(crate) fn provider_domain<'t>(p: &'t Provider, domain: &str) -> Option<&'t DomainEntry> {
    let d = trimmed(domain);
    p.domains.iter().find(|e| eq_lower(&e.name, d))
}

/// `ProviderTable::by_domain` without allocating.
pub(crate) fn by_domain<'t>(
    table: &'t ProviderTable,
    domain: &str,
) -> Option<(&'t Provider, &'t DomainEntry)> {
    let d = trimmed(domain);
    table.providers.iter().find_map(|p| {
        p.domains
            .iter()
            .find(|e| eq_lower(&e.name, d))
            .map(|e| (p, e))
    })
}

/// `ProviderTable::by_domain` through a hash index built once: the first
/// provider (and entry) in table order listing each domain.
pub(crate) struct DomainIndex<'p> {
    table: &'p ProviderTable,
    map: FixedHashMap<&'p str, (usize, usize)>,
    /// By provider index: it lists msn.com, so takes EASI addresses.
    easi: Vec<bool>,
    /// The hosts last looked up, with what was found.
    memo: RefCell<HostMemo>,
}

/// Hosts most recently looked up in a [`DomainIndex`], with the result: a
/// capture's messages name a handful of domains (the enterprise's and the
/// providers'), so most lookups end with one short comparison here instead
/// of trimming, case-checking, hashing and probing (~150 instructions).
#[derive(Debug, Default)]
struct HostMemo {
    /// (host as asked for, result), at most `MEMO_SLOTS`.
    slots: Vec<(String, Option<(usize, usize)>)>,
    /// The slot the next miss overwrites once all are used.
    next: usize,
}

/// Hosts the memo holds.
const MEMO_SLOTS: usize = 8;
/// Longer hosts are not memoised (a DNS name has at most 253 characters).
const MEMO_MAX_LEN: usize = 255;

impl HostMemo {
    fn get(&self, host: &str) -> Option<Option<(usize, usize)>> {
        self.slots.iter().find(|(h, _)| h == host).map(|(_, r)| *r)
    }

    fn remember(&mut self, host: &str, found: Option<(usize, usize)>) {
        if host.len() > MEMO_MAX_LEN {
            return;
        }
        if self.slots.len() < MEMO_SLOTS {
            self.slots.push((host.to_string(), found));
        } else if let Some((h, r)) = self.slots.get_mut(self.next) {
            // (reuses the slot's buffer: no allocation once warm)
            h.clear();
            h.push_str(host);
            *r = found;
            self.next = (self.next + 1) % MEMO_SLOTS;
        }
    }
}

impl<'p> DomainIndex<'p> {
    /// Indexes `table`'s domains.
    pub fn new(table: &'p ProviderTable) -> Self {
        let mut map = FixedHashMap::default();
        for (pi, p) in table.providers.iter().enumerate() {
            for (di, e) in p.domains.iter().enumerate() {
                map.entry(e.name.as_str()).or_insert((pi, di));
            }
        }
        let easi = table
            .providers
            .iter()
            .map(|p| provider_domain(p, "msn.com").is_some())
            .collect();
        DomainIndex {
            table,
            map,
            easi,
            memo: RefCell::default(),
        }
    }

    /// True when provider `idx` takes EASI addresses (it lists msn.com).
    pub fn takes_easi(&self, idx: usize) -> bool {
        self.easi.get(idx).copied().unwrap_or(false)
    }

    /// The table.
    pub fn table(&self) -> &'p ProviderTable {
        self.table
    }

    /// Indices of the first provider listing `domain` and of its entry
    /// (remembered for the next lookups of the same host).
    fn find(&self, domain: &str) -> Option<(usize, usize)> {
        let Ok(mut memo) = self.memo.try_borrow_mut() else {
            return self.lookup(domain);
        };
        if let Some(found) = memo.get(domain) {
            return found;
        }
        let found = self.lookup(domain);
        memo.remember(domain, found);
        found
    }

    /// [`DomainIndex::find`] without the memo.
    fn lookup(&self, domain: &str) -> Option<(usize, usize)> {
        let d = trimmed(domain);
        // (a fold without early exit: hosts are short and mostly lower-case)
        if d.bytes().fold(false, |up, b| up | b.is_ascii_uppercase()) {
            self.map.get(d.to_ascii_lowercase().as_str()).copied()
        } else {
            self.map.get(d).copied()
        }
    }

    /// The provider that lists `domain` (case-insensitive), with the entry.
    pub fn by_domain(&self, domain: &str) -> Option<(&'p Provider, &'p DomainEntry)> {
        let (pi, di) = self.find(domain)?;
        let p = self.table.providers.get(pi)?;
        Some((p, p.domains.get(di)?))
    }

    /// Index of the provider that lists `domain`.
    pub fn provider_index(&self, domain: &str) -> Option<usize> {
        self.find(domain).map(|(pi, _)| pi)
    }
}

impl FlowState {
    /// Notes that the flow has its PIC-PLAINTEXT finding / is done with PIC-PORT.
    pub fn remember_flow_rules(&mut self, plaintext: bool, port: bool) {
        self.plaintext_done = plaintext;
        self.port_done = port;
    }

    /// Attribution by address range, as soon as the flow is seen.
    pub fn by_range(table: &ProviderTable, flow: &FlowContext) -> FlowState {
        let mut st = FlowState::default();
        for end in [flow.server, flow.client] {
            if let Some(i) = table.providers.iter().position(|p| p.contains(end.ip())) {
                st.provider = Some(i);
                st.by_range = true;
                st.provider_end = Some(end);
                break;
            }
        }
        st
    }

    /// Attribution by SIP domain when no range matched: the end that sends
    /// as (or is addressed as) a provider-domain user. True when newly attributed.
    pub fn by_domain(&mut self, index: &DomainIndex<'_>, ev: &SipEvent<'_>) -> bool {
        if self.provider.is_some() {
            return false;
        }
        let m = ev.msg;
        let find = |a: Option<crate::sip::NameAddr<'_>>| {
            let h = a.map(|a| a.host()).unwrap_or_default();
            index.provider_index(&h)
        };
        let is_req = m.method().is_some();
        // (sender identity, receiver identity)
        let sender = m
            .p_asserted_identity()
            .or_else(|| if is_req { m.from() } else { m.to() });
        let receiver = if is_req { m.to() } else { m.from() };
        if let Some(i) = find(sender) {
            self.provider = Some(i);
            self.provider_end = Some(ev.src);
            return true;
        }
        if let Some(i) = find(receiver) {
            self.provider = Some(i);
            self.provider_end = Some(ev.dst);
            return true;
        }
        // the Request-URI of a request addressed to a provider user
        if let Some(uri) = m.request_uri() {
            let ruri = crate::sip::NameAddr {
                uri,
                ..Default::default()
            };
            if let Some(i) = find(Some(ruri)) {
                self.provider = Some(i);
                self.provider_end = Some(ev.dst);
                return true;
            }
        }
        false
    }

    /// Attribution of an undecrypted TLS flow by its SNI (a provider domain or
    /// a host under one); the server is then the provider end.
    pub fn by_sni(&mut self, table: &ProviderTable, flow: &FlowContext, sni: &str) -> bool {
        if self.provider.is_some() {
            return false;
        }
        let sni = sni.trim_end_matches('.').to_ascii_lowercase();
        let found = table.providers.iter().position(|p| {
            p.domains.iter().any(|d| {
                sni == d.name
                    || sni
                        .strip_suffix(d.name.as_str())
                        .is_some_and(|h| h.ends_with('.'))
            })
        });
        if let Some(i) = found {
            self.provider = Some(i);
            self.provider_end = Some(flow.server);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::{DomainIndex, MEMO_SLOTS, trimmed};
    use crate::providers::ProviderTable;

    #[test]
    fn memoised_lookups_agree_with_the_index() {
        let table = ProviderTable::builtin();
        let index = DomainIndex::new(&table);
        let hosts = [
            "hotmail.com",
            "contoso.com",
            "HOTMAIL.com",
            "aol.com.",
            " yahoo.com",
            "yahoo.com",
            "msn.com",
            "live.com",
            "aim.com",
            "example.org",
            "icq.com",
            "",
            "hotmail.com",
            "Contoso.COM",
        ];
        assert!(hosts.len() > MEMO_SLOTS, "the memo must wrap");
        for round in 0..3 {
            for h in hosts {
                assert_eq!(index.find(h), index.lookup(h), "{h:?} round {round}");
            }
        }
        let long = "a".repeat(300) + ".com";
        assert_eq!(index.find(&long), index.lookup(&long));
    }

    #[test]
    fn trimmed_matches_the_unicode_trims() {
        for d in [
            "hotmail.com",
            "hotmail.com.",
            " hotmail.com ",
            "\thotmail.com.",
            "\u{a0}hotmail.com\u{2003}",
            "hotmail.com..",
            ".",
            "",
            "é.com",
        ] {
            assert_eq!(trimmed(d), d.trim().trim_end_matches('.'), "{d:?}");
        }
    }
}
