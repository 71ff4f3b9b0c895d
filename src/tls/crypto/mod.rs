//! TLS cryptography: cipher-suite table, TLS 1.0–1.2 PRF and key block,
//! TLS 1.3 HKDF key schedule helpers, per-direction record decryption and
//! static-RSA pre-master decryption. All primitives come from RustCrypto.

mod cipher;
mod prf;
mod rsa;
mod suites;
mod tls13;

pub use cipher::{PlainBuf, RecordDecryptor, RecordError};
pub use prf::{KeyBlock, extended_master_secret, key_block, master_secret, prf};
pub use rsa::{RsaPrivateKey, certificate_public_id};
pub use suites::{BulkCipher, HashAlg, KeyExchange, MacAlg, Suite, Transcript, suite};
pub use tls13::{
    derive_secret, hkdf_expand_label, hkdf_extract, next_traffic_secret, traffic_key_iv,
};
