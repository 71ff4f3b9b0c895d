//! Cipher-suite table (IANA ids and names) and the hash algorithms used by
//! the PRF, HKDF and handshake transcript.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384};

use BulkCipher as C;
use HashAlg as H;
use KeyExchange as K;
use MacAlg as M;

/// Hash used by the PRF / HKDF / transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    /// MD5 || SHA-1 (TLS 1.0/1.1 PRF and handshake hash).
    Md5Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl HashAlg {
    /// Digest length in bytes (36 for MD5||SHA-1).
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Md5Sha1 => 36,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    /// One-shot digest of `data`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        let mut t = Transcript::new(self);
        t.update(data);
        t.current()
    }
}

/// Incremental transcript hash (for EMS session_hash and TLS 1.3); for TLS<1.2 the EMS hash is MD5||SHA1.
#[derive(Clone)]
pub struct Transcript {
    state: TranscriptState,
}

/// Running hash state of a [`Transcript`].
#[derive(Clone)]
enum TranscriptState {
    Md5Sha1(Md5, Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
}

impl Transcript {
    /// Starts an empty transcript hashed with `alg`.
    pub fn new(alg: HashAlg) -> Self {
        let state = match alg {
            HashAlg::Md5Sha1 => TranscriptState::Md5Sha1(Md5::new(), Sha1::new()),
            HashAlg::Sha256 => TranscriptState::Sha256(Sha256::new()),
            HashAlg::Sha384 => TranscriptState::Sha384(Sha384::new()),
        };
        Transcript { state }
    }

    /// Appends handshake bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            TranscriptState::Md5Sha1(m, s) => {
                Digest::update(m, data);
                Digest::update(s, data);
            }
            TranscriptState::Sha256(h) => Digest::update(h, data),
            TranscriptState::Sha384(h) => Digest::update(h, data),
        }
    }

    /// Hash of everything appended so far (the transcript stays usable).
    pub fn current(&self) -> Vec<u8> {
        match &self.state {
            TranscriptState::Md5Sha1(m, s) => {
                let mut out = m.clone().finalize().to_vec();
                out.extend_from_slice(&s.clone().finalize());
                out
            }
            TranscriptState::Sha256(h) => h.clone().finalize().to_vec(),
            TranscriptState::Sha384(h) => h.clone().finalize().to_vec(),
        }
    }
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let alg = match self.state {
            TranscriptState::Md5Sha1(..) => HashAlg::Md5Sha1,
            TranscriptState::Sha256(_) => HashAlg::Sha256,
            TranscriptState::Sha384(_) => HashAlg::Sha384,
        };
        f.debug_struct("Transcript")
            .field("alg", &alg)
            .finish_non_exhaustive()
    }
}

/// Key-exchange family of a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// Static RSA (pre-master encrypted to the server key).
    Rsa,
    /// Ephemeral elliptic-curve Diffie-Hellman.
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman.
    Dhe,
    /// TLS 1.3 (key exchange negotiated separately).
    Tls13,
    /// Anything else (PSK, SRP, static DH, ...).
    Other,
}

/// Bulk (record) cipher of a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkCipher {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    Chacha20Poly1305,
    /// AES-128-CCM (16-byte tag).
    Aes128Ccm,
    /// AES-256-CCM (16-byte tag).
    Aes256Ccm,
    /// AES-128-CCM with an 8-byte tag.
    Aes128Ccm8,
    /// AES-256-CCM with an 8-byte tag.
    Aes256Ccm8,
    /// AES-128-CBC.
    Aes128Cbc,
    /// AES-256-CBC.
    Aes256Cbc,
    /// 3DES-EDE-CBC.
    TripleDesCbc,
    /// RC4 with a 128-bit key.
    Rc4_128,
    /// No encryption (or an unsupported cipher).
    Null,
}

/// Record MAC of a suite (`Aead` when the cipher authenticates itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlg {
    /// HMAC-MD5.
    Md5,
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA384.
    Sha384,
    /// No separate MAC: AEAD cipher.
    Aead,
}

/// One cipher suite: IANA id and name, algorithms, and whether we can decrypt it.
#[derive(Debug)]
pub struct Suite {
    /// IANA cipher-suite id.
    pub id: u16,
    /// IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub name: &'static str,
    /// Key exchange.
    pub kx: KeyExchange,
    /// Bulk cipher.
    pub cipher: BulkCipher,
    /// Record MAC.
    pub mac: MacAlg,
    /// PRF / HKDF hash (for TLS 1.2; TLS 1.0/1.1 always use MD5||SHA-1).
    pub prf: HashAlg,
    /// Whether record decryption is implemented for this suite.
    pub supported: bool,
}

/// Looks up a suite by IANA id; unknown ids -> None.
pub fn suite(id: u16) -> Option<&'static Suite> {
    SUITES
        .binary_search_by_key(&id, |s| s.id)
        .ok()
        .map(|i| &SUITES[i])
}

/// All known suites, sorted by id (binary-searched by [`suite`]).
#[rustfmt::skip]
static SUITES: &[Suite] = &[
    s(0x0001, "TLS_RSA_WITH_NULL_MD5", K::Rsa, C::Null, M::Md5, H::Sha256, false),
    s(0x0002, "TLS_RSA_WITH_NULL_SHA", K::Rsa, C::Null, M::Sha1, H::Sha256, false),
    s(0x0004, "TLS_RSA_WITH_RC4_128_MD5", K::Rsa, C::Rc4_128, M::Md5, H::Sha256, true),
    s(0x0005, "TLS_RSA_WITH_RC4_128_SHA", K::Rsa, C::Rc4_128, M::Sha1, H::Sha256, true),
    s(0x0009, "TLS_RSA_WITH_DES_CBC_SHA", K::Rsa, C::Null, M::Sha1, H::Sha256, false),
    s(0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", K::Rsa, C::TripleDesCbc, M::Sha1, H::Sha256, true),
    s(0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", K::Dhe, C::TripleDesCbc, M::Sha1, H::Sha256, true),
    s(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", K::Dhe, C::TripleDesCbc, M::Sha1, H::Sha256, true),
    s(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", K::Rsa, C::Aes128Cbc, M::Sha1, H::Sha256, true),
    s(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", K::Dhe, C::Aes128Cbc, M::Sha1, H::Sha256, true),
    s(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", K::Dhe, C::Aes128Cbc, M::Sha1, H::Sha256, true),
    s(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", K::Rsa, C::Aes256Cbc, M::Sha1, H::Sha256, true),
    s(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", K::Dhe, C::Aes256Cbc, M::Sha1, H::Sha256, true),
    s(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", K::Dhe, C::Aes256Cbc, M::Sha1, H::Sha256, true),
    s(0x003B, "TLS_RSA_WITH_NULL_SHA256", K::Rsa, C::Null, M::Sha256, H::Sha256, false),
    s(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", K::Rsa, C::Aes128Cbc, M::Sha256, H::Sha256, true),
    s(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", K::Rsa, C::Aes256Cbc, M::Sha256, H::Sha256, true),
    s(0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", K::Dhe, C::Aes128Cbc, M::Sha256, H::Sha256, true),
    s(0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", K::Rsa, C::Null, M::Sha1, H::Sha256, false),
    s(0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", K::Dhe, C::Null, M::Sha1, H::Sha256, false),
    s(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", K::Dhe, C::Aes128Cbc, M::Sha256, H::Sha256, true),
    s(0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", K::Dhe, C::Aes256Cbc, M::Sha256, H::Sha256, true),
    s(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", K::Dhe, C::Aes256Cbc, M::Sha256, H::Sha256, true),
    s(0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", K::Rsa, C::Null, M::Sha1, H::Sha256, false),
    s(0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", K::Dhe, C::Null, M::Sha1, H::Sha256, false),
    s(0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", K::Other, C::Aes128Cbc, M::Sha1, H::Sha256, true),
    s(0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", K::Other, C::Aes256Cbc, M::Sha1, H::Sha256, true),
    s(0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", K::Rsa, C::Null, M::Sha1, H::Sha256, false),
    s(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", K::Rsa, C::Aes128Gcm, M::Aead, H::Sha256, true),
    s(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", K::Rsa, C::Aes256Gcm, M::Aead, H::Sha384, true),
    s(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", K::Dhe, C::Aes128Gcm, M::Aead, H::Sha256, true),
    s(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", K::Dhe, C::Aes256Gcm, M::Aead, H::Sha384, true),
    s(0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", K::Dhe, C::Aes128Gcm, M::Aead, H::Sha256, true),
    s(0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", K::Dhe, C::Aes256Gcm, M::Aead, H::Sha384, true),
    s(0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", K::Other, C::Aes128Gcm, M::Aead, H::Sha256, true),
    s(0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", K::Other, C::Aes256Gcm, M::Aead, H::Sha384, true),
    s(0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", K::Other, C::Aes128Cbc, M::Sha256, H::Sha256, true),
    s(0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", K::Other, C::Aes256Cbc, M::Sha384, H::Sha384, true),
    s(0x1301, "TLS_AES_128_GCM_SHA256", K::Tls13, C::Aes128Gcm, M::Aead, H::Sha256, true),
    s(0x1302, "TLS_AES_256_GCM_SHA384", K::Tls13, C::Aes256Gcm, M::Aead, H::Sha384, true),
    s(0x1303, "TLS_CHACHA20_POLY1305_SHA256", K::Tls13, C::Chacha20Poly1305, M::Aead, H::Sha256, true),
    s(0x1304, "TLS_AES_128_CCM_SHA256", K::Tls13, C::Aes128Ccm, M::Aead, H::Sha256, true),
    s(0x1305, "TLS_AES_128_CCM_8_SHA256", K::Tls13, C::Aes128Ccm8, M::Aead, H::Sha256, true),
    s(0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", K::Ecdhe, C::Null, M::Sha1, H::Sha256, false),
    s(0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", K::Ecdhe, C::Rc4_128, M::Sha1, H::Sha256, true),
    s(0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", K::Ecdhe, C::TripleDesCbc, M::Sha1, H::Sha256, true),
    s(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", K::Ecdhe, C::Aes128Cbc, M::Sha1, H::Sha256, true),
    s(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", K::Ecdhe, C::Aes256Cbc, M::Sha1, H::Sha256, true),
    s(0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", K::Ecdhe, C::Null, M::Sha1, H::Sha256, false),
    s(0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", K::Ecdhe, C::Rc4_128, M::Sha1, H::Sha256, true),
    s(0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", K::Ecdhe, C::TripleDesCbc, M::Sha1, H::Sha256, true),
    s(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", K::Ecdhe, C::Aes128Cbc, M::Sha1, H::Sha256, true),
    s(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", K::Ecdhe, C::Aes256Cbc, M::Sha1, H::Sha256, true),
    s(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", K::Ecdhe, C::Aes128Cbc, M::Sha256, H::Sha256, true),
    s(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", K::Ecdhe, C::Aes256Cbc, M::Sha384, H::Sha384, true),
    s(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", K::Ecdhe, C::Aes128Cbc, M::Sha256, H::Sha256, true),
    s(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", K::Ecdhe, C::Aes256Cbc, M::Sha384, H::Sha384, true),
    s(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", K::Ecdhe, C::Aes128Gcm, M::Aead, H::Sha256, true),
    s(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", K::Ecdhe, C::Aes256Gcm, M::Aead, H::Sha384, true),
    s(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", K::Ecdhe, C::Aes128Gcm, M::Aead, H::Sha256, true),
    s(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", K::Ecdhe, C::Aes256Gcm, M::Aead, H::Sha384, true),
    s(0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", K::Other, C::Aes128Cbc, M::Sha1, H::Sha256, true),
    s(0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", K::Other, C::Aes256Cbc, M::Sha1, H::Sha256, true),
    s(0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", K::Other, C::Aes128Cbc, M::Sha256, H::Sha256, true),
    s(0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", K::Other, C::Aes256Cbc, M::Sha384, H::Sha384, true),
    s(0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", K::Rsa, C::Null, M::Aead, H::Sha256, false),
    s(0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", K::Rsa, C::Null, M::Aead, H::Sha384, false),
    s(0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", K::Dhe, C::Null, M::Aead, H::Sha256, false),
    s(0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", K::Dhe, C::Null, M::Aead, H::Sha384, false),
    s(0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", K::Ecdhe, C::Null, M::Aead, H::Sha256, false),
    s(0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", K::Ecdhe, C::Null, M::Aead, H::Sha384, false),
    s(0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", K::Ecdhe, C::Null, M::Aead, H::Sha256, false),
    s(0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", K::Ecdhe, C::Null, M::Aead, H::Sha384, false),
    s(0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", K::Ecdhe, C::Null, M::Sha256, H::Sha256, false),
    s(0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", K::Ecdhe, C::Null, M::Sha384, H::Sha384, false),
    s(0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", K::Ecdhe, C::Null, M::Sha256, H::Sha256, false),
    s(0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", K::Ecdhe, C::Null, M::Sha384, H::Sha384, false),
    s(0xC09C, "TLS_RSA_WITH_AES_128_CCM", K::Rsa, C::Aes128Ccm, M::Aead, H::Sha256, true),
    s(0xC09D, "TLS_RSA_WITH_AES_256_CCM", K::Rsa, C::Aes256Ccm, M::Aead, H::Sha256, true),
    s(0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", K::Dhe, C::Aes128Ccm, M::Aead, H::Sha256, true),
    s(0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", K::Dhe, C::Aes256Ccm, M::Aead, H::Sha256, true),
    s(0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", K::Rsa, C::Aes128Ccm8, M::Aead, H::Sha256, true),
    s(0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", K::Rsa, C::Aes256Ccm8, M::Aead, H::Sha256, true),
    s(0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", K::Dhe, C::Aes128Ccm8, M::Aead, H::Sha256, true),
    s(0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", K::Dhe, C::Aes256Ccm8, M::Aead, H::Sha256, true),
    s(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", K::Ecdhe, C::Aes128Ccm, M::Aead, H::Sha256, true),
    s(0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", K::Ecdhe, C::Aes256Ccm, M::Aead, H::Sha256, true),
    s(0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", K::Ecdhe, C::Aes128Ccm8, M::Aead, H::Sha256, true),
    s(0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", K::Ecdhe, C::Aes256Ccm8, M::Aead, H::Sha256, true),
    s(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", K::Ecdhe, C::Chacha20Poly1305, M::Aead, H::Sha256, true),
    s(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", K::Ecdhe, C::Chacha20Poly1305, M::Aead, H::Sha256, true),
    s(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", K::Dhe, C::Chacha20Poly1305, M::Aead, H::Sha256, true),
    s(0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", K::Other, C::Chacha20Poly1305, M::Aead, H::Sha256, true),
    s(0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", K::Other, C::Chacha20Poly1305, M::Aead, H::Sha256, true),
];

/// Table-row constructor.
const fn s(
    id: u16,
    name: &'static str,
    kx: KeyExchange,
    cipher: BulkCipher,
    mac: MacAlg,
    prf: HashAlg,
    supported: bool,
) -> Suite {
    Suite {
        id,
        name,
        kx,
        cipher,
        mac,
        prf,
        supported,
    }
}

impl Suite {
    /// Encryption key length in bytes.
    pub fn key_len(&self) -> usize {
        match self.cipher {
            BulkCipher::Aes128Gcm
            | BulkCipher::Aes128Ccm
            | BulkCipher::Aes128Ccm8
            | BulkCipher::Aes128Cbc
            | BulkCipher::Rc4_128 => 16,
            BulkCipher::Aes256Gcm
            | BulkCipher::Aes256Ccm
            | BulkCipher::Aes256Ccm8
            | BulkCipher::Aes256Cbc
            | BulkCipher::Chacha20Poly1305 => 32,
            BulkCipher::TripleDesCbc => 24,
            BulkCipher::Null => 0,
        }
    }

    /// Length of the IV taken from the key block for wire `version`: 4 for TLS 1.2 GCM/CCM,
    /// 12 for ChaCha20 and for every TLS 1.3 AEAD, the block size for TLS 1.0 (and SSL 3.0) CBC,
    /// 0 for TLS 1.1+ CBC (explicit IV), RC4 and NULL.
    pub fn fixed_iv_len(&self, version: u16) -> usize {
        match self.cipher {
            BulkCipher::Chacha20Poly1305 => 12,
            _ if self.is_aead() && version >= 0x0304 => 12,
            BulkCipher::Aes128Gcm
            | BulkCipher::Aes256Gcm
            | BulkCipher::Aes128Ccm
            | BulkCipher::Aes256Ccm
            | BulkCipher::Aes128Ccm8
            | BulkCipher::Aes256Ccm8 => 4,
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc | BulkCipher::TripleDesCbc
                if version <= 0x0301 =>
            {
                self.block_len()
            }
            _ => 0,
        }
    }

    /// MAC key length in bytes (0 for AEAD suites).
    pub fn mac_key_len(&self) -> usize {
        match self.mac {
            MacAlg::Md5 => 16,
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
            MacAlg::Aead => 0,
        }
    }

    /// Whether the bulk cipher is an AEAD.
    pub fn is_aead(&self) -> bool {
        self.mac == MacAlg::Aead
    }

    /// Cipher block size for CBC suites (16 AES, 8 3DES); 0 otherwise.
    pub fn block_len(&self) -> usize {
        match self.cipher {
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => 16,
            BulkCipher::TripleDesCbc => 8,
            _ => 0,
        }
    }

    /// AEAD tag length (16, or 8 for CCM_8); 0 for non-AEAD suites.
    pub fn tag_len(&self) -> usize {
        match self.cipher {
            BulkCipher::Aes128Ccm8 | BulkCipher::Aes256Ccm8 => 8,
            _ if self.is_aead() => 16,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_named_consistently() {
        for w in SUITES.windows(2) {
            assert!(w[0].id < w[1].id, "{} / {}", w[0].name, w[1].name);
        }
        for s in SUITES {
            assert_eq!(suite(s.id).map(|x| x.name), Some(s.name));
            assert!(s.name.starts_with("TLS_"), "{}", s.name);
            // The PRF hash follows the name's last component.
            let want = if s.name.ends_with("SHA384") {
                H::Sha384
            } else {
                H::Sha256
            };
            assert_eq!(s.prf, want, "{}", s.name);
            assert_eq!(
                s.kx == K::Tls13,
                (0x1301..=0x1305).contains(&s.id),
                "{}",
                s.name
            );
            if s.supported {
                assert_ne!(s.cipher, C::Null, "{}", s.name);
            }
        }
        assert!(suite(0x0000).is_none());
        assert!(suite(0xFFFF).is_none());
        assert!(suite(0x00FF).is_none());
    }

    #[test]
    fn lookups_and_lengths() {
        let s = suite(0xC02F).unwrap();
        assert_eq!(s.name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(
            (s.kx, s.cipher, s.mac, s.prf),
            (K::Ecdhe, C::Aes128Gcm, M::Aead, H::Sha256)
        );
        assert_eq!(
            (s.key_len(), s.fixed_iv_len(0x0303), s.mac_key_len()),
            (16, 4, 0)
        );
        assert_eq!(s.fixed_iv_len(0x0304), 12);
        assert!(s.is_aead() && s.supported);

        let s = suite(0x002F).unwrap();
        assert_eq!(s.name, "TLS_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!((s.key_len(), s.mac_key_len()), (16, 20));
        assert_eq!(
            (
                s.fixed_iv_len(0x0301),
                s.fixed_iv_len(0x0302),
                s.fixed_iv_len(0x0303)
            ),
            (16, 0, 0)
        );
        assert!(!s.is_aead());

        let s = suite(0x000A).unwrap();
        assert_eq!(
            (s.key_len(), s.fixed_iv_len(0x0301), s.mac_key_len()),
            (24, 8, 20)
        );
        let s = suite(0x0004).unwrap();
        assert_eq!(
            (s.cipher, s.mac, s.key_len(), s.mac_key_len()),
            (C::Rc4_128, M::Md5, 16, 16)
        );
        let s = suite(0xC028).unwrap();
        assert_eq!((s.key_len(), s.mac_key_len(), s.prf), (32, 48, H::Sha384));
        let s = suite(0xCCA9).unwrap();
        assert_eq!((s.key_len(), s.fixed_iv_len(0x0303)), (32, 12));
        let s = suite(0xC0A0).unwrap();
        assert_eq!(
            (s.name, s.tag_len(), s.fixed_iv_len(0x0303)),
            ("TLS_RSA_WITH_AES_128_CCM_8", 8, 4)
        );
        let s = suite(0x1305).unwrap();
        assert_eq!(
            (s.name, s.tag_len(), s.key_len()),
            ("TLS_AES_128_CCM_8_SHA256", 8, 16)
        );
        let s = suite(0x1302).unwrap();
        assert_eq!((s.key_len(), s.prf), (32, H::Sha384));

        for (id, name) in [
            (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
            (0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"),
            (0x0002, "TLS_RSA_WITH_NULL_SHA"),
        ] {
            let s = suite(id).unwrap();
            assert_eq!(s.name, name);
            assert!(!s.supported);
        }
    }

    #[test]
    fn transcript_hashes_incrementally() {
        let md5_sha1 = "900150983cd24fb0d6963f7d28e17f72a9993e364706816aba3e25717850c26c9cd0d89d";
        let sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(hex::encode(H::Md5Sha1.hash(b"abc")), md5_sha1);
        assert_eq!(hex::encode(H::Sha256.hash(b"abc")), sha256);
        for alg in [H::Md5Sha1, H::Sha256, H::Sha384] {
            let mut t = Transcript::new(alg);
            t.update(b"a");
            let partial = t.current();
            assert_eq!(partial, alg.hash(b"a"));
            t.update(b"bc");
            assert_eq!(t.current(), alg.hash(b"abc"));
            assert_eq!(t.current().len(), alg.output_len());
        }
    }
}
