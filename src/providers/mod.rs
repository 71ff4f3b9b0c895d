//! Public IM providers: the built-in table from kb-897567.md ("Supported
//! provider domains", "Firewall and provider addresses"), a TOML file that
//! overrides or extends it, and attribution of addresses and SIP domains.

mod table;

pub use table::{DomainEntry, Provider, ProviderTable, ProvidersFileError};
