//! From secrets to record decryptors: the TLS 1.0–1.2 master secret (plain
//! or extended, RFC 7627) from a pre-master, the key block cut into both
//! directions' decryptors, and TLS 1.3 traffic secrets into a decryptor.

use super::crypto::{
    HashAlg, RecordDecryptor, RecordError, Suite, extended_master_secret, key_block, master_secret,
    traffic_key_iv,
};
use super::secret::Secret;

/// The PRF and handshake-hash algorithm: MD5||SHA-1 before TLS 1.2, the suite's hash from 1.2.
pub(crate) fn prf_hash(version: u16, suite: &Suite) -> HashAlg {
    if version < 0x0303 {
        HashAlg::Md5Sha1
    } else {
        suite.prf
    }
}

/// Inputs of the TLS 1.0–1.2 key schedule.
pub(crate) struct Params<'a> {
    /// Negotiated version.
    pub version: u16,
    /// Negotiated suite.
    pub suite: &'static Suite,
    /// ClientHello random.
    pub client_random: &'a [u8; 32],
    /// ServerHello random.
    pub server_random: &'a [u8; 32],
}

/// The master secret from a pre-master; `session_hash` set when EMS was negotiated.
pub(crate) fn master_from_premaster(
    p: &Params<'_>,
    premaster: &[u8],
    session_hash: Option<&[u8]>,
) -> Secret {
    let hash = prf_hash(p.version, p.suite);
    let m = match session_hash {
        Some(h) => extended_master_secret(p.version, hash, premaster, h),
        None => master_secret(p.version, hash, premaster, p.client_random, p.server_random),
    };
    Secret::new(&m)
}

/// Client-write and server-write decryptors from the master secret.
pub(crate) fn decryptors12(
    p: &Params<'_>,
    master: &[u8; 48],
    encrypt_then_mac: bool,
) -> (
    Result<RecordDecryptor, RecordError>,
    Result<RecordDecryptor, RecordError>,
) {
    let kb = key_block(p.version, p.suite, master, p.client_random, p.server_random);
    let client = RecordDecryptor::new(
        p.version,
        p.suite,
        &kb.client_key,
        &kb.client_iv,
        &kb.client_mac,
        encrypt_then_mac,
    );
    let server = RecordDecryptor::new(
        p.version,
        p.suite,
        &kb.server_key,
        &kb.server_iv,
        &kb.server_mac,
        encrypt_then_mac,
    );
    (client, server)
}

/// A TLS 1.3 decryptor from a traffic secret.
pub(crate) fn decryptor13(
    suite: &'static Suite,
    secret: &Secret,
) -> Result<RecordDecryptor, RecordError> {
    let (key, iv) = traffic_key_iv(suite, secret.bytes());
    RecordDecryptor::new(0x0304, suite, &key, &iv, &[], false)
}
