//! The `--providers` TOML file: overrides and extensions of the built-in
//! table (restrictions.md, last paragraph: ranges, domains, retirement dates
//! and state mappings are data a site can change without a rebuild).
//!
//! Format (see `samples/providers.example.toml`): one `[[provider]]` table per
//! provider to add or change, matched by `name` (case-insensitive); a name not
//! in the table adds a provider (a partner federation).
//!
//! ```toml
//! [[provider]]
//! name = "MSN"                       # existing provider: changed
//! replace_ranges = true              # the ranges below replace the list
//! ranges = ["134.170.96.0/26", "65.54.227.0/24"]
//!
//! [[provider]]
//! name = "AOL"
//! domains = ["aim.com"]              # added
//! retire = [{ domain = "love.com", date = "2012-12-31" }]
//!
//! [[provider]]
//! name = "Fabrikam"                  # new: partner federation
//! ranges = ["198.51.100.0/24"]
//! domains = ["fabrikam.com"]
//! state_map = [{ direction = "out", sent = "Busy", shown = "Away" }]
//! ```
//!
//! Keys of `[[provider]]`: `name` (required), `ranges` (CIDR or single
//! addresses, appended unless `replace_ranges = true`), `domains` (appended;
//! `replace_domains = true` replaces), `retire` (`domain` + `date`
//! `YYYY-MM-DD`, UTC midnight; the domain is added if absent), `state_map`
//! (`direction` "out" = enterprise state shown to the provider's users, "in" =
//! provider state shown in Lync; `sent`; `shown`; an entry for the same
//! direction and `sent` replaces the existing one; `replace_state_map = true`
//! drops the existing entries first), and `remove = true` to drop a provider.
//! Unknown keys are errors.

use ipnet::IpNet;
use serde::Deserialize;

use super::statemap::StateMapEntry;
use super::table::{DomainEntry, Provider, ProviderTable, normalize};
use crate::time::Timestamp;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    provider: Vec<ProviderSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderSpec {
    name: String,
    #[serde(default)]
    remove: bool,
    #[serde(default)]
    ranges: Vec<String>,
    #[serde(default)]
    replace_ranges: bool,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    replace_domains: bool,
    #[serde(default)]
    retire: Vec<RetireSpec>,
    #[serde(default)]
    state_map: Vec<StateMapEntry>,
    #[serde(default)]
    replace_state_map: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetireSpec {
    domain: String,
    date: String,
}

/// Applies TOML `text` to `table`; on error the table is left unchanged.
pub(super) fn apply(table: &mut ProviderTable, text: &str) -> Result<(), String> {
    let spec: FileSpec =
        toml::from_str(text).map_err(|e| format!("not a valid providers file: {e}"))?;
    let mut next = table.clone();
    for p in spec.provider {
        apply_one(&mut next, p)?;
    }
    *table = next;
    Ok(())
}

fn parse_range(provider: &str, r: &str) -> Result<IpNet, String> {
    let r = r.trim();
    r.parse::<IpNet>()
        .or_else(|_| r.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("provider {provider:?}: range {r:?} is not an address range (write e.g. \"64.12.0.0/16\" or \"76.13.22.8\")")
        })
}

fn apply_one(table: &mut ProviderTable, spec: ProviderSpec) -> Result<(), String> {
    let name = spec.name.trim().to_string();
    if name.is_empty() {
        return Err("a [[provider]] has an empty name".into());
    }
    let idx = table
        .providers
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(&name));
    if spec.remove {
        match idx {
            Some(i) => {
                table.providers.remove(i);
                return Ok(());
            }
            None => {
                return Err(format!(
                    "provider {name:?}: remove = true but no such provider"
                ));
            }
        }
    }
    let ranges = spec
        .ranges
        .iter()
        .map(|r| parse_range(&name, r))
        .collect::<Result<Vec<_>, _>>()?;
    let i = match idx {
        Some(i) => i,
        None => {
            table.providers.push(Provider {
                name: name.clone(),
                ranges: Vec::new(),
                domains: Vec::new(),
                state_map: Vec::new(),
            });
            table.providers.len() - 1
        }
    };
    let Some(p) = table.providers.get_mut(i) else {
        return Err(format!("provider {name:?}: internal table error"));
    };
    if spec.replace_ranges {
        p.ranges.clear();
    }
    for r in ranges {
        if !p.ranges.contains(&r) {
            p.ranges.push(r);
        }
    }
    if spec.replace_domains {
        p.domains.clear();
    }
    for d in &spec.domains {
        add_domain(p, &name, d)?;
    }
    for r in &spec.retire {
        let at = Timestamp::from_date(&r.date).ok_or_else(|| {
            format!(
                "provider {name:?}: retire date {:?} for {:?} is not YYYY-MM-DD",
                r.date, r.domain
            )
        })?;
        let d = add_domain(p, &name, &r.domain)?;
        if let Some(e) = p.domains.iter_mut().find(|e| e.name == d) {
            e.retired = Some(at);
        }
    }
    if spec.replace_state_map {
        p.state_map.clear();
    }
    for e in spec.state_map {
        if e.sent.trim().is_empty() || e.shown.trim().is_empty() {
            return Err(format!(
                "provider {name:?}: a state_map entry has an empty sent or shown state"
            ));
        }
        p.state_map
            .retain(|x| !(x.direction == e.direction && x.sent.eq_ignore_ascii_case(&e.sent)));
        p.state_map.push(e);
    }
    Ok(())
}

fn add_domain(p: &mut Provider, name: &str, d: &str) -> Result<String, String> {
    let d = normalize(d);
    if d.is_empty() || d.contains(['@', '/', ' ']) || !d.contains('.') {
        return Err(format!("provider {name:?}: {d:?} is not a domain name"));
    }
    if !p.domains.iter().any(|e| e.name == d) {
        p.domains.push(DomainEntry {
            name: d.clone(),
            retired: None,
        });
    }
    Ok(d)
}
