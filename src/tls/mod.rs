//! TLS over reassembled TCP streams: record layer, handshake parsing, key
//! sources (NSS key logs, pcapng DSBs, RSA private keys), key derivation,
//! record decryption with integrity checks, and resynchronisation after gaps.

mod cert;
pub mod crypto;
mod derive;
mod half;
mod handshake;
mod keylog;
mod keylog_index;
mod keys;
mod messages;
mod record;
mod resync;
#[cfg(test)]
mod rustls_tests;
mod secret;
mod session;
#[cfg(test)]
mod tests;

pub use keys::{KeyLogStats, KeySource, KeyStore};
pub use session::{CertInfo, TlsFlow, TlsStatus};

/// True when a stream's first bytes look like a TLS record or an SSLv2-compatible ClientHello.
pub fn looks_like_tls(data: &[u8]) -> bool {
    match data {
        [0x16, 0x03, 0x00..=0x04, ..] => true,
        [b0, _, 0x01, 0x03, 0x00..=0x04, ..] if b0 & 0x80 != 0 => true,
        _ => false,
    }
}
