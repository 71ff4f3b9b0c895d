//! Hash maps for the per-packet and per-message lookups of every stage
//! (flows by 5-tuple, transactions and sessions by Call-ID): `std`'s
//! `HashMap` with foldhash instead of SipHash, which was ~4 % of a run.
//! foldhash seeds per process, so crafted keys cannot be precomputed; the
//! analysis maps use its fixed seed so that nothing they feed into a report
//! can vary from run to run.

use std::collections::{HashMap, HashSet};

/// A `HashMap` with a per-process random foldhash seed (iteration order varies between runs).
pub(crate) type FastHashMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// A `HashMap` with foldhash's fixed seed (the same iteration order in every run).
pub(crate) type FixedHashMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
/// A `HashSet` with foldhash's fixed seed (the same iteration order in every run).
pub(crate) type FixedHashSet<K> = HashSet<K, foldhash::fast::FixedState>;
