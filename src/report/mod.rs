//! Renderers: terminal tables, JSON and NDJSON per output-contract.md.
