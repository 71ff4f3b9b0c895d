//! TLS 1.0–1.2 pseudo-random function, master-secret derivation (including
//! RFC 7627 extended master secret) and key-block expansion.

use hmac::{EagerHash, Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha256, Sha384};

use super::suites::{HashAlg, Suite};

/// TLS PRF: for version < 0x0303 P_MD5 xor P_SHA1 over the split secret; for 1.2 `P_<hash>`.
pub fn prf(version: u16, hash: HashAlg, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    if version < 0x0303 || hash == HashAlg::Md5Sha1 {
        // RFC 2246 §5: the two halves overlap by one byte when the length is odd.
        let half = secret.len().div_ceil(2);
        let (s1, s2) = (&secret[..half], &secret[secret.len() - half..]);
        p_hash::<Md5>(s1, label, seed, out, false);
        p_hash::<Sha1>(s2, label, seed, out, true);
    } else if hash == HashAlg::Sha384 {
        p_hash::<Sha384>(secret, label, seed, out, false);
    } else {
        p_hash::<Sha256>(secret, label, seed, out, false);
    }
}

/// P_hash(secret, label + seed) (RFC 5246 §5), written to `out` or XORed into it.
fn p_hash<D: EagerHash>(secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8], xor: bool)
where
    Hmac<D>: KeyInit + Mac + Clone,
{
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(keyed) = <Hmac<D> as KeyInit>::new_from_slice(secret) else {
        return;
    };
    // A(1) = HMAC(secret, label + seed)
    let mut a = keyed
        .clone()
        .chain_update(label)
        .chain_update(seed)
        .finalize()
        .into_bytes();
    let mut pos = 0;
    while pos < out.len() {
        let block = keyed
            .clone()
            .chain_update(&a)
            .chain_update(label)
            .chain_update(seed)
            .finalize()
            .into_bytes();
        let n = block.len().min(out.len() - pos);
        if xor {
            for (o, b) in out[pos..pos + n].iter_mut().zip(block.iter()) {
                *o ^= b;
            }
        } else {
            out[pos..pos + n].copy_from_slice(&block[..n]);
        }
        pos += n;
        // A(i+1) only when another block is needed.
        if pos < out.len() {
            a = keyed.clone().chain_update(&a).finalize().into_bytes();
        }
    }
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

/// Keys, MAC keys and IVs of both directions cut from the key block (no `Debug`: key material).
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
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    let mac = suite.mac_key_len();
    let key = suite.key_len();
    let iv = suite.fixed_iv_len(version);
    let mut block = vec![0u8; 2 * (mac + key + iv)];
    prf(
        version,
        suite.prf,
        master,
        b"key expansion",
        &seed,
        &mut block,
    );
    let mut rest = block.as_slice();
    let mut take = |n: usize| {
        let (head, tail) = rest.split_at(n);
        rest = tail;
        head.to_vec()
    };
    KeyBlock {
        client_mac: take(mac),
        server_mac: take(mac),
        client_key: take(key),
        server_key: take(key),
        client_iv: take(iv),
        server_iv: take(iv),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::crypto::suite;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    fn range32(start: u8) -> [u8; 32] {
        std::array::from_fn(|i| start + i as u8)
    }

    /// The widely published TLS 1.2 PRF (SHA-256) test vector.
    #[test]
    fn tls12_prf_sha256_vector() {
        let mut out = [0u8; 100];
        prf(
            0x0303,
            HashAlg::Sha256,
            &unhex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35"),
            b"test label",
            &unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c"),
            &mut out,
        );
        let expected = unhex(
            "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4
             e6 1e db 5a 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17
             ab fd 37 97 c0 56 4b ab 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1
             22 ee 42 c5 a7 2e 5a 51 10 ff f7 01 87 34 7b 66",
        );
        assert_eq!(out.to_vec(), expected);
    }

    /// The companion SHA-384 vector (also reproduced with `openssl kdf TLS1-PRF`).
    #[test]
    fn tls12_prf_sha384_vector() {
        let mut out = [0u8; 148];
        prf(
            0x0303,
            HashAlg::Sha384,
            &unhex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df"),
            b"test label",
            &unhex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65"),
            &mut out,
        );
        let expected = unhex(
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c
             9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abf
             dad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a2685430
             8d5eaa3be85e0990703d73e56f",
        );
        assert_eq!(out.to_vec(), expected);
    }

    /// TLS 1.0/1.1 PRF (P_MD5 xor P_SHA1) with an odd-length secret, whose halves overlap;
    /// expected output from `openssl kdf -kdfopt digest:MD5-SHA1 ... TLS1-PRF`.
    #[test]
    fn tls10_prf_md5_sha1_odd_secret() {
        let mut out = [0u8; 48];
        prf(
            0x0301,
            HashAlg::Sha256, // ignored below TLS 1.2
            &unhex("0102030405060708090a0b0c0d0e0f1011"),
            b"test label",
            &unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c"),
            &mut out,
        );
        let expected = unhex(
            "F96994CF16DB57EE5AF560084E1B9FA2E1BFFDE1858BF529381315F67D71D3EF413428A3EDEBF81E734FA15CC890008D",
        );
        assert_eq!(out.to_vec(), expected);
    }

    /// Master secrets for TLS 1.2 / 1.0 and an RFC 7627 EMS (SHA-384), checked against OpenSSL.
    #[test]
    fn master_secrets_match_openssl() {
        let pms: Vec<u8> = (1..=48).collect();
        let (cr, sr) = (range32(0x20), range32(0x40));
        assert_eq!(
            master_secret(0x0303, HashAlg::Sha256, &pms, &cr, &sr).to_vec(),
            unhex(
                "A348A95D5CBF70B6E290C62A19BDCEDB28DB46C6A050BCCDE8BBE8A5DC843479A575328134E85EF32BF00544D59E646C"
            )
        );
        assert_eq!(
            master_secret(0x0301, HashAlg::Md5Sha1, &pms, &cr, &sr).to_vec(),
            unhex(
                "3064B014EC47A46E8ECBE9E3F3A5A28246BBA8AA3A9FE5C9E6095722DB5EF3BF2CD312D1EC7D49D0BB3B9900D443DC1E"
            )
        );
        let session_hash: Vec<u8> = (0x80..0xb0).collect();
        assert_eq!(
            extended_master_secret(0x0303, HashAlg::Sha384, &pms, &session_hash).to_vec(),
            unhex(
                "0EC23CB7B5C97F289F0D9F4F67F705FF0997FB507C7BAC4BE982FC9365E6AC9CA56C05EFECE12279F96B61A5134900DB"
            )
        );
    }

    /// Key-block slicing for a TLS 1.2 GCM suite and a TLS 1.0 CBC suite, checked against OpenSSL.
    #[test]
    fn key_block_layouts() {
        let master: [u8; 48] = std::array::from_fn(|i| 0xa0 + i as u8);
        let (cr, sr) = (range32(0x20), range32(0x40));
        let gcm = key_block(0x0303, suite(0xC02F).unwrap(), &master, &cr, &sr);
        let raw = unhex(
            "AD4E8DAB9841C14FD5EEF743B071D66688D0402E0521B0863AFC6BFEC39AFEDC37C217EAE8807785",
        );
        assert!(gcm.client_mac.is_empty() && gcm.server_mac.is_empty());
        assert_eq!(gcm.client_key, raw[..16]);
        assert_eq!(gcm.server_key, raw[16..32]);
        assert_eq!(gcm.client_iv, raw[32..36]);
        assert_eq!(gcm.server_iv, raw[36..40]);

        let cbc = key_block(0x0301, suite(0x002F).unwrap(), &master, &cr, &sr);
        let raw = unhex(
            "F0A7DF31A766BBF055DE5FBF9CF7D8CBFDA4E4C46E27B40F2CAC8C6657472DA310D3C3B4FC5CCED36B46A079
             BADD3463597BB5D868CAA5CB17FE15F20D271062C87E37EFDE96F2D558C378EA9D5730FBE89DCBC5B525B663
             5AF4C5CE1911F7133AF87B0D04D1CAB7",
        );
        assert_eq!(cbc.client_mac, raw[..20]);
        assert_eq!(cbc.server_mac, raw[20..40]);
        assert_eq!(cbc.client_key, raw[40..56]);
        assert_eq!(cbc.server_key, raw[56..72]);
        assert_eq!(cbc.client_iv, raw[72..88]);
        assert_eq!(cbc.server_iv, raw[88..104]);

        // TLS 1.1+ CBC has no key-block IVs; ChaCha20 takes 12-byte IVs.
        let cbc11 = key_block(0x0302, suite(0x002F).unwrap(), &master, &cr, &sr);
        assert!(cbc11.client_iv.is_empty() && cbc11.server_iv.is_empty());
        assert_eq!(cbc11.client_mac, cbc.client_mac);
        let chacha = key_block(0x0303, suite(0xCCA8).unwrap(), &master, &cr, &sr);
        assert_eq!((chacha.client_key.len(), chacha.client_iv.len()), (32, 12));
        let sha384 = key_block(0x0303, suite(0xC028).unwrap(), &master, &cr, &sr);
        assert_eq!((sha384.client_mac.len(), sha384.client_key.len()), (48, 32));
    }
}
