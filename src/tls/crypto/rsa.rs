//! Static-RSA key exchange: loading a server private key from PEM, decrypting
//! the ClientKeyExchange pre-master secret, and matching keys to certificates.

/// An RSA private key for static-RSA key exchange. Never Debug-print the key.
pub struct RsaPrivateKey {
    _inner: (),
}

impl RsaPrivateKey {
    /// Loads a PKCS#1 or PKCS#8 PEM key; the error text has no key material.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let _ = pem;
        Err("RSA key loading not implemented yet".into())
    }

    /// Decrypts an RSA-encrypted pre-master secret; None on wrong key / bad padding.
    pub fn decrypt_premaster(&self, encrypted: &[u8]) -> Option<[u8; 48]> {
        let _ = encrypted;
        None
    }

    /// Whether this key's public modulus matches the certificate's (DER of the X.509 cert).
    pub fn matches_certificate(&self, cert_der: &[u8]) -> bool {
        let _ = cert_der;
        false
    }

    /// SHA-256 of the public modulus, as an identifier to match keys to certificates.
    pub fn public_id(&self) -> [u8; 32] {
        [0; 32]
    }
}
