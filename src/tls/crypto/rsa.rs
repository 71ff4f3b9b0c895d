//! Static-RSA key exchange: loading a server private key from PEM (PKCS#1 or
//! PKCS#8), decrypting the ClientKeyExchange pre-master secret, and matching
//! keys to certificates by public modulus.

use rsa::Pkcs1v15Encrypt;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// An RSA private key for static-RSA key exchange. Never Debug-print the key.
pub struct RsaPrivateKey {
    key: rsa::PrivateKey,
    /// Big-endian public modulus without leading zeros.
    modulus: Vec<u8>,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("bits", &(self.key.size() * 8))
            .field("public_id", &hex::encode(&self.public_id()[..8]))
            .finish_non_exhaustive()
    }
}

/// Drops leading zero bytes of a big-endian integer.
fn trim_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

impl RsaPrivateKey {
    /// Loads a PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") PEM key; the error text has
    /// no key material. Other PEM sections (e.g. certificates) in the same file are skipped.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        // The PEM parser's own errors may quote input lines, so they are not passed on.
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
            rustls_pki_types::pem::Error::NoItemsFound => {
                "no unencrypted private key found in PEM \
                 (expected \"RSA PRIVATE KEY\" or \"PRIVATE KEY\")"
                    .to_string()
            }
            _ => "unreadable PEM private key".to_string(),
        })?;
        let key = match &der {
            PrivateKeyDer::Pkcs1(k) => rsa::PrivateKey::from_pkcs1_der(k.secret_pkcs1_der())
                .map_err(|_| "invalid PKCS#1 RSA private key".to_string())?,
            PrivateKeyDer::Pkcs8(k) => rsa::PrivateKey::from_pkcs8_der(k.secret_pkcs8_der())
                .map_err(|_| "PKCS#8 private key is not a valid RSA key".to_string())?,
            PrivateKeyDer::Sec1(_) => return Err("EC private key: not an RSA key".to_string()),
            _ => return Err("unsupported private key type".to_string()),
        };
        let modulus = trim_zeros(&key.n_bytes()).to_vec();
        Ok(RsaPrivateKey { key, modulus })
    }

    /// Decrypts an RSA-encrypted pre-master secret; None on wrong key / bad padding.
    ///
    /// Only a 48-byte result is accepted (RFC 5246 §7.4.7.1); the client_version bytes
    /// inside are not checked, since some clients send the negotiated version there.
    pub fn decrypt_premaster(&self, encrypted: &[u8]) -> Option<[u8; 48]> {
        // The ciphertext must be exactly k bytes; left-pad a short one (leading zeros dropped).
        let k = self.key.size();
        if encrypted.len() > k || encrypted.is_empty() {
            return None;
        }
        let padded;
        let ct = if encrypted.len() < k {
            let mut v = vec![0u8; k];
            v[k - encrypted.len()..].copy_from_slice(encrypted);
            padded = v;
            &padded[..]
        } else {
            encrypted
        };
        let pm = self.key.decrypt(Pkcs1v15Encrypt, ct).ok()?;
        pm.as_slice().try_into().ok()
    }

    /// Whether this key's public modulus matches the certificate's (DER of the X.509 cert).
    pub fn matches_certificate(&self, cert_der: &[u8]) -> bool {
        let Ok((_, cert)) = X509Certificate::from_der(cert_der) else {
            return false;
        };
        match cert.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => trim_zeros(rsa.modulus) == self.modulus.as_slice(),
            _ => false,
        }
    }

    /// SHA-256 of the public modulus (big-endian, no leading zeros), to match keys to certificates.
    pub fn public_id(&self) -> [u8; 32] {
        Sha256::digest(&self.modulus).into()
    }
}

/// SHA-256 of a certificate's RSA modulus, comparable with [`RsaPrivateKey::public_id`];
/// None for non-RSA or unparsable certificates.
pub fn certificate_public_id(cert_der: &[u8]) -> Option<[u8; 32]> {
    let (_, cert) = X509Certificate::from_der(cert_der).ok()?;
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => Some(Sha256::digest(trim_zeros(rsa.modulus)).into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;

    fn sample(name: &str) -> Vec<u8> {
        let path = format!("{}/samples/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn cert_der(name: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(&sample(name))
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn loads_pkcs8_and_pkcs1_pem_to_the_same_key() {
        let k8 = RsaPrivateKey::from_pem(&sample("edge-rsa.pem")).unwrap();
        let k1 = RsaPrivateKey::from_pem(&sample("edge-rsa.pkcs1.pem")).unwrap();
        assert_eq!(k8.public_id(), k1.public_id());
    }

    #[test]
    fn matches_its_certificate_only() {
        let key = RsaPrivateKey::from_pem(&sample("edge-rsa.pem")).unwrap();
        let edge = cert_der("edge-cert.pem");
        let provider = cert_der("provider-cert.pem");
        assert!(key.matches_certificate(&edge));
        assert!(!key.matches_certificate(&provider));
        assert!(!key.matches_certificate(b"not a certificate"));
        assert_eq!(certificate_public_id(&edge), Some(key.public_id()));
        assert_ne!(certificate_public_id(&provider), Some(key.public_id()));
    }

    #[test]
    fn decrypts_a_pkcs1_v15_premaster() {
        let key = RsaPrivateKey::from_pem(&sample("edge-rsa.pem")).unwrap();
        let mut pm = [0u8; 48];
        pm[0] = 3;
        pm[1] = 3;
        for (i, b) in pm[2..].iter_mut().enumerate() {
            *b = i as u8 * 5;
        }
        // Encrypt with OpenSSL (independent implementation) to the same key.
        let pkey = openssl::rsa::Rsa::private_key_from_pem(&sample("edge-rsa.pem")).unwrap();
        let mut ct = vec![0u8; pkey.size() as usize];
        let n = pkey
            .public_encrypt(&pm, &mut ct, openssl::rsa::Padding::PKCS1)
            .unwrap();
        ct.truncate(n);
        assert_eq!(key.decrypt_premaster(&ct), Some(pm));
        // Corrupted ciphertext, wrong length, or a non-48-byte payload: None.
        let mut bad = ct.clone();
        bad[10] ^= 1;
        assert_eq!(key.decrypt_premaster(&bad), None);
        // Too long, or a byte missing at the end (not a dropped leading zero).
        assert_eq!(key.decrypt_premaster(&[ct.as_slice(), &[0]].concat()), None);
        assert_eq!(key.decrypt_premaster(&ct[..ct.len() - 1]), None);
        // A ciphertext whose leading zero byte was dropped is left-padded back.
        // (Dropping ct[0] of an arbitrary ciphertext is the same case whenever
        // ct[0] is 0, about 1 time in 256: that made this test flaky before.)
        let zero_led = (0..10_000)
            .find_map(|_| {
                let mut c = vec![0u8; pkey.size() as usize];
                let n = pkey
                    .public_encrypt(&pm, &mut c, openssl::rsa::Padding::PKCS1)
                    .unwrap();
                (n == c.len() && c[0] == 0).then_some(c)
            })
            .expect("a ciphertext with a leading zero byte in 10,000 tries");
        assert_eq!(key.decrypt_premaster(&zero_led[1..]), Some(pm));
        assert_eq!(key.decrypt_premaster(&[]), None);
        let mut ct47 = vec![0u8; pkey.size() as usize];
        pkey.public_encrypt(&pm[..47], &mut ct47, openssl::rsa::Padding::PKCS1)
            .unwrap();
        assert_eq!(key.decrypt_premaster(&ct47), None);
    }

    #[test]
    fn errors_and_debug_carry_no_key_material() {
        let pem = sample("edge-rsa.pem");
        let text = String::from_utf8(pem.clone()).unwrap();
        let body_line = text.lines().nth(1).unwrap();
        // A truncated key: the error must not quote the PEM.
        let broken: String = text.lines().take(3).collect::<Vec<_>>().join("\n");
        let err = RsaPrivateKey::from_pem(broken.as_bytes()).unwrap_err();
        assert!(!err.contains(&body_line[..16]), "{err}");
        let err = RsaPrivateKey::from_pem(&sample("edge-cert.pem")).unwrap_err();
        assert!(err.contains("no unencrypted private key"), "{err}");
        let key = RsaPrivateKey::from_pem(&pem).unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("bits: 2048") || dbg.contains("bits:"), "{dbg}");
        assert!(!dbg.contains(&body_line[..16]));
    }
}
