//! TLS 1.3 key-schedule helpers (RFC 8446 §7): HKDF-Expand-Label, traffic
//! key/IV derivation and key update.

use hmac::{EagerHash, Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384};

use super::suites::{HashAlg, Suite};

/// HKDF-Expand-Label(secret, "tls13 " + label, context, len).
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let mut info = Vec::with_capacity(4 + 6 + label.len() + context.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(context.len() as u8);
    info.extend_from_slice(context);
    let mut out = vec![0u8; len];
    match hash {
        HashAlg::Sha384 => hkdf_expand::<Sha384>(secret, &info, &mut out),
        // TLS 1.3 never uses MD5||SHA-1; treat it as SHA-256 rather than panic.
        HashAlg::Sha256 | HashAlg::Md5Sha1 => hkdf_expand::<Sha256>(secret, &info, &mut out),
    }
    out
}

/// HKDF-Expand (RFC 5869 §2.3) of `prk` with `info` into `out`.
fn hkdf_expand<D: EagerHash>(prk: &[u8], info: &[u8], out: &mut [u8])
where
    Hmac<D>: KeyInit + Mac + Clone,
{
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(keyed) = <Hmac<D> as KeyInit>::new_from_slice(prk) else {
        return;
    };
    let mut prev: Option<hmac::digest::Output<Hmac<D>>> = None;
    for (i, chunk) in out
        .chunks_mut(<D as hmac::digest::OutputSizeUser>::output_size())
        .enumerate()
    {
        let mut mac = keyed.clone();
        if let Some(p) = &prev {
            mac.update(p);
        }
        mac.update(info);
        mac.update(&[(i + 1) as u8]);
        let t = mac.finalize().into_bytes();
        chunk.copy_from_slice(&t[..chunk.len()]);
        prev = Some(t);
    }
}

/// HKDF-Extract(salt, ikm) (RFC 5869 §2.2): the early/handshake/master secrets of the key schedule.
pub fn hkdf_extract(hash: HashAlg, salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    fn run<D: EagerHash>(salt: &[u8], ikm: &[u8]) -> Vec<u8>
    where
        Hmac<D>: KeyInit + Mac,
    {
        match <Hmac<D> as KeyInit>::new_from_slice(salt) {
            Ok(m) => m.chain_update(ikm).finalize().into_bytes().to_vec(),
            Err(_) => Vec::new(),
        }
    }
    match hash {
        HashAlg::Sha384 => run::<Sha384>(salt, ikm),
        HashAlg::Sha256 | HashAlg::Md5Sha1 => run::<Sha256>(salt, ikm),
    }
}

/// Derive-Secret(secret, label, transcript_hash) = HKDF-Expand-Label(secret, label, hash, Hash.length).
pub fn derive_secret(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    transcript_hash: &[u8],
) -> Vec<u8> {
    hkdf_expand_label(hash, secret, label, transcript_hash, hash.output_len())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::crypto::suite;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    /// RFC 8448 §3 (Simple 1-RTT Handshake): early secret and its "derived" secret.
    #[test]
    fn rfc8448_early_secret_and_derived() {
        let early = hkdf_extract(HashAlg::Sha256, &[0], &[0u8; 32]);
        assert_eq!(
            early,
            unhex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a")
        );
        let derived = derive_secret(
            HashAlg::Sha256,
            &early,
            b"derived",
            &HashAlg::Sha256.hash(b""),
        );
        assert_eq!(
            derived,
            unhex("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba")
        );
    }

    /// RFC 8448 §3: handshake traffic keys/IVs of both sides from their traffic secrets.
    #[test]
    fn rfc8448_handshake_traffic_key_iv() {
        let s = suite(0x1301).unwrap();
        let c_hs = unhex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
        let (key, iv) = traffic_key_iv(s, &c_hs);
        assert_eq!(key, unhex("dbfaa693d1762c5b666af5d950258d01"));
        assert_eq!(iv, unhex("5bd3c71b836e0b76bb73265f"));
        let s_hs = unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        let (key, iv) = traffic_key_iv(s, &s_hs);
        assert_eq!(key, unhex("3fce516009c21727d0f2e4e86ee403bc"));
        assert_eq!(iv, unhex("5d313eb2671276ee13000b30"));
    }

    /// Key update and a SHA-384 suite, checked against `openssl kdf ... TLS13-KDF`.
    #[test]
    fn key_update_and_sha384_match_openssl() {
        let c_hs = unhex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
        assert_eq!(
            next_traffic_secret(HashAlg::Sha256, &c_hs),
            unhex("7C1B48380AF13A741E2E8B2F6AB3DEFD71D3B82A83107F8E21289CC8384DFBE7")
        );
        let secret = [0xaau8; 48];
        let (key, iv) = traffic_key_iv(suite(0x1302).unwrap(), &secret);
        assert_eq!(
            key,
            unhex("D2AD449ACCEB5C898794A4D70ED1AF296F696B7ADD0347D3C83F1A9E04903FE7")
        );
        assert_eq!(iv, unhex("439B18B286DFC8DD16C0AC49"));
        assert_eq!(
            next_traffic_secret(HashAlg::Sha384, &secret),
            unhex(
                "2D60A729099363D5C4F8FE5057AACDC76C5E8774641E03CBF4467490D0E56B11
                 B43988B6F1822DC961A7BB2E8A4FFC85"
            )
        );
    }
}
