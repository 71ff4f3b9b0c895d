//! Hash maps for the per-packet and per-message lookups of every stage
//! (flows by 5-tuple, transactions and sessions by Call-ID): `std`'s
//! `HashMap` with foldhash instead of SipHash, which was ~4 % of a run.
//! foldhash seeds per process, so crafted keys cannot be precomputed; the
//! analysis maps use its fixed seed so that nothing they feed into a report
//! can vary from run to run.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

/// A `HashMap` with a per-process random foldhash seed (iteration order varies between runs).
pub(crate) type FastHashMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// A `HashMap` with foldhash's fixed seed (the same iteration order in every run).
pub(crate) type FixedHashMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
/// A `HashSet` with foldhash's fixed seed (the same iteration order in every run).
pub(crate) type FixedHashSet<K> = HashSet<K, foldhash::fast::FixedState>;

/// A socket address as one number to hash: the derived `Hash` of a
/// `SocketAddr` feeds the hasher its variant, address and port one by one
/// (about 110 instructions a lookup, per packet in reassembly). IPv4 fills the
/// low 48 bits; IPv6 folds its port into the address and sets the top bit.
pub(crate) fn addr_word(a: &SocketAddr) -> u128 {
    match a {
        SocketAddr::V4(v) => (u128::from(u32::from(*v.ip())) << 16) | u128::from(v.port()),
        SocketAddr::V6(v) => (u128::from(*v.ip()) ^ (u128::from(v.port()) << 100)) | (1 << 127),
    }
}
