//! Public IM providers: the built-in table from kb-897567.md ("Supported
//! provider domains", "Firewall and provider addresses", "MSN (Windows Live)
//! specifics" for the state mapping), a TOML file that overrides or extends
//! it (see [`mod@file`] for the format), EASI address decoding ("MSN, EASI"), and
//! the rows `fedscope providers` prints.

mod builtin;
mod easi;
pub mod file;
mod rows;
mod statemap;
mod table;

pub use easi::{decode_easi, is_easi};
pub use file::ProvidersFileError;
pub use rows::ProviderRow;
pub use statemap::{StateDirection, StateMapEntry};
pub use table::{DomainEntry, Provider, ProviderTable};

#[cfg(test)]
mod tests;
