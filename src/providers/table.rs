//! The provider table in force.

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use serde::Serialize;

use crate::time::Timestamp;

/// A supported domain of a provider, with its retirement date if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainEntry {
    /// Lower-cased domain, e.g. `hotmail.com`.
    pub name: String,
    /// From this instant on the domain is no longer federated (icq.com: 2011-06-10).
    pub retired: Option<Timestamp>,
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
}

/// Errors reading a `--providers` TOML file.
#[derive(Debug, thiserror::Error)]
pub enum ProvidersFileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The TOML is malformed or names something invalid.
    #[error("{path}: {reason}")]
    Invalid {
        /// File.
        path: String,
        /// What is wrong.
        reason: String,
    },
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
        ProviderTable::default()
    }

    /// Applies a providers TOML file on top of this table.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ProvidersFileError> {
        let _ = path;
        Ok(())
    }

    /// The provider whose documented ranges contain `addr`.
    pub fn by_addr(&self, addr: IpAddr) -> Option<&Provider> {
        self.providers
            .iter()
            .find(|p| p.ranges.iter().any(|r| r.contains(&addr)))
    }

    /// The provider that lists `domain` (case-insensitive), with the entry.
    pub fn by_domain(&self, domain: &str) -> Option<(&Provider, &DomainEntry)> {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        self.providers
            .iter()
            .find_map(|p| p.domains.iter().find(|e| e.name == d).map(|e| (p, e)))
    }
}
