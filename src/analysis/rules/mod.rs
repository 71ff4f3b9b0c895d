//! The rules of restrictions.md, one file per small group, each reading only
//! the analysis model (attributed messages, sessions, subscriptions, TLS
//! status) and reporting findings with evidence. `catalog` lists them.

pub mod catalog;
pub(crate) mod media;
pub(crate) mod presence;
pub(crate) mod session;
pub(crate) mod source;
pub(crate) mod tls;
pub(crate) mod transport;
