//! fedscope: analyzer for Lync / Communications Server Access Edge federation
//! traffic with the public IM providers (AOL, MSN / Windows Live, Yahoo!).
//!
//! The pipeline flows one way (see `design.md`):
//! `capture` → `decode` → `reassembly` → `tls` → `sip` → `analysis` → `report`.
//! Lower stages never import higher ones; `engine` wires them together and
//! `cli` turns arguments into an engine configuration.

pub mod analysis;
pub mod capture;
pub mod cli;
pub mod decode;
pub mod engine;
mod hash;
pub mod live;
pub mod providers;
pub mod reassembly;
pub mod report;
pub mod sip;
mod swar;
pub mod time;
pub mod tls;
