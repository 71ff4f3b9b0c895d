//! Rows for `fedscope providers`: one per provider, plain strings the CLI
//! prints with comfy-table.

use serde::Serialize;

use super::table::ProviderTable;

/// One provider as `fedscope providers` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderRow {
    /// Provider name.
    pub provider: String,
    /// Address ranges, one per entry.
    pub ranges: Vec<String>,
    /// Domains, retired ones as `icq.com (retired 2011-06-10)`.
    pub domains: Vec<String>,
    /// State mappings as `out: Be Right Back -> Away`.
    pub state_map: Vec<String>,
}

impl ProviderTable {
    /// The table as printable rows, in table order.
    pub fn rows(&self) -> Vec<ProviderRow> {
        self.providers
            .iter()
            .map(|p| ProviderRow {
                provider: p.name.clone(),
                ranges: p.ranges.iter().map(|r| r.to_string()).collect(),
                domains: p
                    .domains
                    .iter()
                    .map(|d| match d.retired {
                        Some(at) => format!(
                            "{} (retired {})",
                            d.name,
                            at.rfc3339().get(..10).unwrap_or("")
                        ),
                        None => d.name.clone(),
                    })
                    .collect(),
                state_map: p
                    .state_map
                    .iter()
                    .map(|e| format!("{}: {} -> {}", e.direction.as_str(), e.sent, e.shown))
                    .collect(),
            })
            .collect()
    }
}
