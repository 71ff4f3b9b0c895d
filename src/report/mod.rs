//! The report: every capture's results merged, and its renderers (terminal
//! tables, JSON and NDJSON per output-contract.md). The engine knows nothing
//! of the terminal; renderers know nothing of packets.

mod json;
mod model;
mod ndjson;
mod table;

pub use json::write_json;
pub use model::{KeyReport, ProviderSummary, Report};
pub use ndjson::write_ndjson;
pub use table::{TableOptions, new_table, write_tables};
