//! The provider table in force and the lookups attribution uses
//! (kb-897567.md "Supported provider domains", "Firewall and provider addresses").

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use serde::Serialize;

use super::file::{self, ProvidersFileError};
use super::statemap::{self, StateDirection, StateMapEntry};
use crate::time::Timestamp;

/// A supported domain of a provider, with its retirement date if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainEntry {
    /// Lower-cased domain, e.g. `hotmail.com`.
    pub name: String,
    /// From this instant on the domain is no longer federated (icq.com: 2011-06-10).
    pub retired: Option<Timestamp>,
}

impl DomainEntry {
    /// True when the domain is retired at capture time `at`.
    pub fn retired_at(&self, at: Timestamp) -> bool {
        self.retired.is_some_and(|r| at >= r)
    }
}

/// One federated provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// Short name used in JSON: "MSN", "AOL", "Yahoo", or a site partner's name.
    pub name: String,
    /// Documented source address ranges.
    pub ranges: Vec<IpNet>,
    /// Supported domains.
    pub domains: Vec<DomainEntry>,
    /// What the provider displays for states it cannot show (and what the
    /// enterprise displays for the provider's own states).
    pub state_map: Vec<StateMapEntry>,
}

impl Provider {
    /// True when `addr` is in one of the provider's documented ranges.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.ranges.iter().any(|r| r.contains(&addr))
    }

    /// The provider's entry for `domain` (case-insensitive).
    pub fn domain(&self, domain: &str) -> Option<&DomainEntry> {
        let d = normalize(domain);
        self.domains.iter().find(|e| e.name == d)
    }

    /// The state the receiving side displays for `sent` travelling `dir`.
    pub fn displayed<'a>(&'a self, dir: StateDirection, sent: &'a str) -> &'a str {
        statemap::displayed(&self.state_map, dir, sent)
    }
}

/// Lower-cased, trimmed, without a trailing dot.
pub(super) fn normalize(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The providers in force (built-in, possibly overridden by a file).
#[derive(Clone, Debug, Default)]
pub struct ProviderTable {
    /// Providers in table order.
    pub providers: Vec<Provider>,
}

impl ProviderTable {
    /// The built-in table, line by line from kb-897567.md.
    pub fn builtin() -> Self {
        ProviderTable {
            providers: super::builtin::providers(),
        }
    }

    /// Applies a providers TOML file on top of this table (format: [`super::file`]).
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ProvidersFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProvidersFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.apply_str(&text)
            .map_err(|reason| ProvidersFileError::Invalid {
                path: path.display().to_string(),
                reason,
            })
    }

    /// Applies providers TOML text; the error says what is wrong and where.
    pub fn apply_str(&mut self, text: &str) -> Result<(), String> {
        file::apply(self, text)
    }

    /// The provider whose documented ranges contain `addr`.
    pub fn by_addr(&self, addr: IpAddr) -> Option<&Provider> {
        self.providers.iter().find(|p| p.contains(addr))
    }

    /// The provider that lists `domain` (case-insensitive), with the entry.
    pub fn by_domain(&self, domain: &str) -> Option<(&Provider, &DomainEntry)> {
        let d = normalize(domain);
        self.providers
            .iter()
            .find_map(|p| p.domains.iter().find(|e| e.name == d).map(|e| (p, e)))
    }

    /// The provider called `name` (case-insensitive).
    pub fn by_name(&self, name: &str) -> Option<&Provider> {
        self.providers
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}
