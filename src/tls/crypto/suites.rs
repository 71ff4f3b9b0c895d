//! Cipher-suite table (IANA ids and names) and the hash algorithms used by
//! the PRF, HKDF and handshake transcript.

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
    alg: HashAlg,
    data: Vec<u8>,
}

impl Transcript {
    /// Starts an empty transcript hashed with `alg`.
    pub fn new(alg: HashAlg) -> Self {
        Transcript {
            alg,
            data: Vec::new(),
        }
    }

    /// Appends handshake bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.data.extend_from_slice(data);
    }

    /// Hash of everything appended so far (the transcript stays usable).
    pub fn current(&self) -> Vec<u8> {
        let _ = self.alg;
        Vec::new()
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
    SUITES.iter().find(|s| s.id == id)
}

static SUITES: &[Suite] = &[];

impl Suite {
    /// Encryption key length in bytes.
    pub fn key_len(&self) -> usize {
        0
    }

    /// Length of the IV taken from the key block (TLS 1.3: the 12-byte IV).
    pub fn fixed_iv_len(&self, version: u16) -> usize {
        let _ = version;
        0
    }

    /// MAC key length in bytes (0 for AEAD suites).
    pub fn mac_key_len(&self) -> usize {
        0
    }

    /// Whether the bulk cipher is an AEAD.
    pub fn is_aead(&self) -> bool {
        false
    }
}
