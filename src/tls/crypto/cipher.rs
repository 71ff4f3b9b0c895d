//! Per-direction TLS record decryption: AEAD (GCM, CCM, CCM_8,
//! ChaCha20-Poly1305), CBC with HMAC (MAC-then-encrypt or RFC 7366
//! encrypt-then-MAC) and RC4, for TLS 1.0–1.3, always verifying tags/MACs.
//!
//! Cipher instances are keyed once in [`RecordDecryptor::new`]. AES-GCM and
//! ChaCha20-Poly1305 use `ring` (its assembly GHASH/Poly1305 took ~40 % less
//! time than RustCrypto's here). Every cipher decrypts in place in a
//! [`PlainBuf`]: a fragment borrowed from the input is copied there first
//! ([`RecordDecryptor::decrypt_into`]); a record the deframer assembled in a
//! buffer of its own is swapped in and decrypted where it lies
//! ([`RecordDecryptor::decrypt_in_place`]), so it is copied only once. A
//! [`PlainBuf`] keeps its storage between records, so a record pays neither
//! for an allocation nor for zeroing.

use aes::{Aes128, Aes256};
use cbc::cipher::array::Array;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit, SetIvState};
use ccm::Ccm;
use ccm::aead::{self, AeadInOut};
use ccm::consts::{U8, U12, U16};
use des::TdesEde3;
use hmac::{Hmac, Mac};
use md5::Md5;
use rc4::{Rc4, StreamCipher};
use sha1::Sha1;
use sha2::{Sha256, Sha384};

use super::suites::{BulkCipher, MacAlg, Suite};

/// Why a record could not be decrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// Tag, MAC or padding check failed (wrong key, sequence number or corruption).
    #[error("record integrity check failed")]
    Integrity,
    /// The record (or a key/IV given to `new`) has an impossible length.
    #[error("malformed record: {0}")]
    Malformed(&'static str),
    /// The suite/version cannot be decrypted (or resync is not possible for this cipher).
    #[error("unsupported cipher")]
    Unsupported,
}

type Aes128Ccm = Ccm<Aes128, U16, U12>;
type Aes256Ccm = Ccm<Aes256, U16, U12>;
type Aes128Ccm8 = Ccm<Aes128, U8, U12>;
type Aes256Ccm8 = Ccm<Aes256, U8, U12>;

/// A keyed AEAD instance.
enum AeadCipher {
    /// AES-128/256-GCM and ChaCha20-Poly1305 (ring: ~40 % less time than
    /// RustCrypto's GHASH/Poly1305 on this machine's 1-2 KB records).
    Ring(Box<ring::aead::LessSafeKey>),
    Aes128Ccm(Box<Aes128Ccm>),
    Aes256Ccm(Box<Aes256Ccm>),
    Aes128Ccm8(Box<Aes128Ccm8>),
    Aes256Ccm8(Box<Aes256Ccm8>),
}

/// How the per-record AEAD nonce is formed.
enum NonceMode {
    /// TLS 1.2 GCM/CCM (RFC 5288/6655): 4-byte salt from the key block || 8-byte explicit nonce.
    Explicit([u8; 4]),
    /// TLS 1.2 ChaCha20 (RFC 7905) and TLS 1.3: 12-byte IV XOR the padded sequence number.
    Xor([u8; 12]),
}

/// A keyed CBC decryptor (IV set per record).
enum CbcCipher {
    Aes128(Box<cbc::Decryptor<Aes128>>),
    Aes256(Box<cbc::Decryptor<Aes256>>),
    Tdes(Box<cbc::Decryptor<TdesEde3>>),
}

/// A keyed record HMAC (cloned per record, so the key is hashed once).
#[derive(Clone)]
enum RecordMac {
    Md5(Hmac<Md5>),
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
}

/// Cipher family and its state.
enum Kind {
    Aead {
        cipher: AeadCipher,
        nonce: NonceMode,
        tag_len: usize,
        tls13: bool,
    },
    Cbc {
        cipher: CbcCipher,
        mac: RecordMac,
        block: usize,
        /// TLS 1.0: the implicit IV (last ciphertext block of the previous record).
        chain_iv: Option<[u8; 16]>,
        etm: bool,
    },
    Rc4 {
        cipher: Box<Rc4>,
        mac: RecordMac,
    },
}

/// Decrypts the records of one direction. Error messages never contain key material.
pub struct RecordDecryptor {
    kind: Kind,
}

impl std::fmt::Debug for RecordDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let family = match &self.kind {
            Kind::Aead { tls13: true, .. } => "AEAD (TLS 1.3)",
            Kind::Aead { .. } => "AEAD",
            Kind::Cbc {
                chain_iv: Some(_), ..
            } => "CBC (implicit IV)",
            Kind::Cbc { .. } => "CBC",
            Kind::Rc4 { .. } => "RC4",
        };
        f.debug_struct("RecordDecryptor")
            .field("family", &family)
            .finish_non_exhaustive()
    }
}

/// Maps a RustCrypto key-length error to ours.
fn bad_key<E>(_: E) -> RecordError {
    RecordError::Malformed("key length does not match the cipher suite")
}

/// A reusable plaintext buffer: the decrypted bytes are [`PlainBuf::as_slice`];
/// the storage behind them only grows, so later records are written over it
/// without being zeroed first.
#[derive(Default)]
pub struct PlainBuf {
    /// Storage; bytes past `len` are left over from earlier records.
    buf: Vec<u8>,
    /// Bytes of plaintext (`len <= buf.len()`).
    len: usize,
}

impl PlainBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        PlainBuf::default()
    }

    /// The plaintext held.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Bytes of plaintext held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no plaintext is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets the plaintext (the storage stays).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps the first `n` bytes of plaintext.
    fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// The bytes held, for decrypting in place.
    fn held_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }

    /// Appends a copy of `data` (no zeroing first).
    fn push_copy(&mut self, data: &[u8]) {
        let start = self.len;
        let end = start + data.len();
        if self.buf.len() < end {
            self.buf.truncate(start);
            self.buf.extend_from_slice(data);
        } else {
            self.buf[start..end].copy_from_slice(data);
        }
        self.len = end;
    }

    /// Holds `v`'s bytes instead of its own (no copy); `v` gets this buffer's
    /// old storage, its content unspecified.
    pub fn swap_in(&mut self, v: &mut Vec<u8>) {
        std::mem::swap(&mut self.buf, v);
        self.len = self.buf.len();
    }

    /// Moves the bytes in `from` to start at `to` and keeps them as the last bytes held.
    fn shift(&mut self, from: std::ops::Range<usize>, to: usize) {
        let n = from.len();
        if from.start != to {
            self.buf.copy_within(from, to);
        }
        self.len = to + n;
    }

    /// Runs `f` on a buffer holding `out`'s bytes (its storage reused), then hands them back to `out`.
    fn through_vec<R>(out: &mut Vec<u8>, f: impl FnOnce(&mut PlainBuf) -> R) -> R {
        let mut buf = PlainBuf::from_vec(std::mem::take(out));
        let r = f(&mut buf);
        *out = buf.into_vec();
        r
    }

    /// A buffer holding `v` as plaintext (its storage reused).
    fn from_vec(v: Vec<u8>) -> Self {
        PlainBuf {
            len: v.len(),
            buf: v,
        }
    }

    /// The plaintext as a `Vec` (the storage reused).
    fn into_vec(mut self) -> Vec<u8> {
        self.buf.truncate(self.len);
        self.buf
    }
}

impl RecordDecryptor {
    /// Builds a decryptor; for TLS 1.3 pass 0x0304 and the traffic key/iv (mac_key empty).
    ///
    /// `encrypt_then_mac` (RFC 7366) only matters for CBC suites. SSL 3.0, NULL and
    /// unsupported suites give `Err(Unsupported)`; wrong key/IV/MAC-key lengths `Err(Malformed)`.
    pub fn new(
        version: u16,
        suite: &Suite,
        key: &[u8],
        iv: &[u8],
        mac_key: &[u8],
        encrypt_then_mac: bool,
    ) -> Result<Self, RecordError> {
        if !suite.supported || version < 0x0301 {
            return Err(RecordError::Unsupported);
        }
        if key.len() != suite.key_len() {
            return Err(RecordError::Malformed(
                "key length does not match the cipher suite",
            ));
        }
        let kind = if suite.is_aead() {
            let tls13 = version >= 0x0304;
            let cipher = match suite.cipher {
                BulkCipher::Aes128Gcm => ring_key(&ring::aead::AES_128_GCM, key)?,
                BulkCipher::Aes256Gcm => ring_key(&ring::aead::AES_256_GCM, key)?,
                BulkCipher::Chacha20Poly1305 => ring_key(&ring::aead::CHACHA20_POLY1305, key)?,
                BulkCipher::Aes128Ccm => AeadCipher::Aes128Ccm(Box::new(
                    Aes128Ccm::new_from_slice(key).map_err(bad_key)?,
                )),
                BulkCipher::Aes256Ccm => AeadCipher::Aes256Ccm(Box::new(
                    Aes256Ccm::new_from_slice(key).map_err(bad_key)?,
                )),
                BulkCipher::Aes128Ccm8 => AeadCipher::Aes128Ccm8(Box::new(
                    Aes128Ccm8::new_from_slice(key).map_err(bad_key)?,
                )),
                BulkCipher::Aes256Ccm8 => AeadCipher::Aes256Ccm8(Box::new(
                    Aes256Ccm8::new_from_slice(key).map_err(bad_key)?,
                )),
                _ => return Err(RecordError::Unsupported),
            };
            let nonce = if tls13 || suite.cipher == BulkCipher::Chacha20Poly1305 {
                NonceMode::Xor(
                    iv.try_into()
                        .map_err(|_| RecordError::Malformed("IV must be 12 bytes"))?,
                )
            } else {
                NonceMode::Explicit(
                    iv.try_into()
                        .map_err(|_| RecordError::Malformed("implicit nonce must be 4 bytes"))?,
                )
            };
            Kind::Aead {
                cipher,
                nonce,
                tag_len: suite.tag_len(),
                tls13,
            }
        } else {
            if mac_key.len() != suite.mac_key_len() {
                return Err(RecordError::Malformed(
                    "MAC key length does not match the cipher suite",
                ));
            }
            let mac = match suite.mac {
                MacAlg::Md5 => RecordMac::Md5(Hmac::new_from_slice(mac_key).map_err(bad_key)?),
                MacAlg::Sha1 => RecordMac::Sha1(Hmac::new_from_slice(mac_key).map_err(bad_key)?),
                MacAlg::Sha256 => {
                    RecordMac::Sha256(Hmac::new_from_slice(mac_key).map_err(bad_key)?)
                }
                MacAlg::Sha384 => {
                    RecordMac::Sha384(Hmac::new_from_slice(mac_key).map_err(bad_key)?)
                }
                MacAlg::Aead => return Err(RecordError::Unsupported),
            };
            if suite.cipher == BulkCipher::Rc4_128 {
                let cipher = Box::new(Rc4::new_from_slice(key).map_err(bad_key)?);
                Kind::Rc4 { cipher, mac }
            } else {
                let block = suite.block_len();
                let zero_iv = [0u8; 16];
                let zero_iv = &zero_iv[..block];
                let cipher = match suite.cipher {
                    BulkCipher::Aes128Cbc => CbcCipher::Aes128(Box::new(
                        cbc::Decryptor::new_from_slices(key, zero_iv).map_err(bad_key)?,
                    )),
                    BulkCipher::Aes256Cbc => CbcCipher::Aes256(Box::new(
                        cbc::Decryptor::new_from_slices(key, zero_iv).map_err(bad_key)?,
                    )),
                    BulkCipher::TripleDesCbc => CbcCipher::Tdes(Box::new(
                        cbc::Decryptor::new_from_slices(key, zero_iv).map_err(bad_key)?,
                    )),
                    _ => return Err(RecordError::Unsupported),
                };
                let chain_iv = if version == 0x0301 {
                    if iv.len() != block {
                        return Err(RecordError::Malformed(
                            "TLS 1.0 CBC IV must be one cipher block",
                        ));
                    }
                    let mut c = [0u8; 16];
                    c[..block].copy_from_slice(iv);
                    Some(c)
                } else {
                    None
                };
                Kind::Cbc {
                    cipher,
                    mac,
                    block,
                    chain_iv,
                    etm: encrypt_then_mac,
                }
            }
        };
        Ok(RecordDecryptor { kind })
    }

    /// Decrypts one record fragment with sequence number `seq`, appending plaintext to `out`;
    /// returns the real content type (TLS 1.3: the inner type).
    ///
    /// On failure `out` is left as it was. RC4 and TLS 1.0 CBC advance their state
    /// (keystream / implicit IV) even when the MAC fails, as the sender did.
    pub fn decrypt(
        &mut self,
        seq: u64,
        content_type: u8,
        record_version: u16,
        fragment: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<u8, RecordError> {
        PlainBuf::through_vec(out, |buf| {
            self.decrypt_into(seq, content_type, record_version, fragment, buf)
        })
    }

    /// Like [`RecordDecryptor::decrypt`], appending to a reusable [`PlainBuf`]
    /// (no allocation or zeroing once it has held a record as large): the
    /// fragment is copied there and decrypted in place.
    pub fn decrypt_into(
        &mut self,
        seq: u64,
        content_type: u8,
        record_version: u16,
        fragment: &[u8],
        out: &mut PlainBuf,
    ) -> Result<u8, RecordError> {
        let at = out.len();
        out.push_copy(fragment);
        self.open(seq, content_type, record_version, out, at, at)
    }

    /// Decrypts in place the fragment `buf` holds from byte `from` on (the
    /// bytes before it, e.g. the record header, are dropped): on success `buf`
    /// holds just the plaintext, on failure nothing.
    pub fn decrypt_in_place(
        &mut self,
        seq: u64,
        content_type: u8,
        record_version: u16,
        buf: &mut PlainBuf,
        from: usize,
    ) -> Result<u8, RecordError> {
        if from > buf.len() {
            buf.clear();
            return Err(RecordError::Malformed("record shorter than its header"));
        }
        self.open(seq, content_type, record_version, buf, 0, from)
    }

    /// Decrypts the fragment held in `out` from byte `from` to its end, leaving
    /// the plaintext from byte `to` (≤ `from`) on; on failure `out` ends at `to`.
    fn open(
        &mut self,
        seq: u64,
        content_type: u8,
        record_version: u16,
        out: &mut PlainBuf,
        to: usize,
        from: usize,
    ) -> Result<u8, RecordError> {
        let rec = Rec {
            seq,
            content_type,
            version: record_version,
            to,
            from,
        };
        let r = match &mut self.kind {
            Kind::Aead {
                cipher,
                nonce,
                tag_len,
                tls13,
            } => open_aead(cipher, nonce, *tag_len, *tls13, &rec, out),
            Kind::Cbc {
                cipher,
                mac,
                block,
                chain_iv,
                etm,
            } => open_cbc(cipher, mac, *block, chain_iv, *etm, &rec, out),
            Kind::Rc4 { cipher, mac } => open_rc4(cipher, mac, &rec, out),
        };
        if r.is_err() {
            out.truncate(to);
        }
        r
    }

    /// Like [`RecordDecryptor::decrypt_into`] but changes no state on failure;
    /// Err(Unsupported) unless `resync_ok()`.
    pub fn try_decrypt_into(
        &mut self,
        seq: u64,
        content_type: u8,
        record_version: u16,
        fragment: &[u8],
        out: &mut PlainBuf,
    ) -> Result<u8, RecordError> {
        if !self.resync_ok() {
            return Err(RecordError::Unsupported);
        }
        // AEAD and explicit-IV CBC keep no per-record state.
        self.decrypt_into(seq, content_type, record_version, fragment, out)
    }

    /// Whether records can be decrypted independently after a gap (AEAD, TLS 1.1+ CBC).
    pub fn resync_ok(&self) -> bool {
        match &self.kind {
            Kind::Aead { .. } => true,
            Kind::Cbc { chain_iv, .. } => chain_iv.is_none(),
            Kind::Rc4 { .. } => false,
        }
    }

    /// TLS 1.2 GCM/CCM: the 8-byte explicit nonce as u64 (a sequence-number hint).
    pub fn explicit_nonce(&self, fragment: &[u8]) -> Option<u64> {
        match &self.kind {
            Kind::Aead {
                nonce: NonceMode::Explicit(_),
                ..
            } => Some(u64::from_be_bytes(fragment.get(..8)?.try_into().ok()?)),
            _ => None,
        }
    }

    /// TLS 1.0 CBC after a gap: re-seed the implicit IV from a seen record's last ciphertext block.
    pub fn reseed_from(&mut self, fragment: &[u8]) {
        if let Kind::Cbc {
            block,
            chain_iv: Some(iv),
            ..
        } = &mut self.kind
            && fragment.len() >= *block
        {
            iv[..*block].copy_from_slice(&fragment[fragment.len() - *block..]);
        }
    }
}

/// One record to open: its pseudo-header fields, and where it lies in the buffer.
struct Rec {
    seq: u64,
    content_type: u8,
    version: u16,
    /// Where the plaintext goes.
    to: usize,
    /// Where the fragment starts (it ends where the buffer's bytes end).
    from: usize,
}

/// Decrypts `out[ct]` with one AEAD in place, checking the tag at `out[ct.end..]`,
/// and moves the plaintext to `to`.
fn aead_open_with<A: AeadInOut>(
    a: &A,
    nonce: &[u8; 12],
    aad: &[u8],
    out: &mut PlainBuf,
    ct: std::ops::Range<usize>,
    to: usize,
) -> Result<(), RecordError> {
    let nonce = aead::Nonce::<A>::try_from(&nonce[..])
        .map_err(|_| RecordError::Malformed("nonce length"))?;
    let held = out.held_mut();
    let tag = aead::Tag::<A>::try_from(&held[ct.end..])
        .map_err(|_| RecordError::Malformed("tag length"))?;
    a.decrypt_inout_detached(&nonce, aad, (&mut held[ct.clone()]).into(), &tag)
        .map_err(|_| RecordError::Integrity)?;
    out.shift(ct, to);
    Ok(())
}

/// A ring AEAD key for `alg`.
fn ring_key(alg: &'static ring::aead::Algorithm, key: &[u8]) -> Result<AeadCipher, RecordError> {
    let k = ring::aead::UnboundKey::new(alg, key).map_err(bad_key)?;
    Ok(AeadCipher::Ring(Box::new(ring::aead::LessSafeKey::new(k))))
}

/// Decrypts `out[ct]` with a ring key in place, checking the tag at
/// `out[ct.end..]`; ring writes the plaintext at `to` as it goes.
fn ring_open(
    k: &ring::aead::LessSafeKey,
    nonce: [u8; 12],
    aad: &[u8],
    out: &mut PlainBuf,
    ct: std::ops::Range<usize>,
    to: usize,
) -> Result<(), RecordError> {
    let held = out.held_mut();
    let tag = ring::aead::Tag::try_from(&held[ct.end..])
        .map_err(|_| RecordError::Malformed("tag length"))?;
    let n = ct.len();
    k.open_in_place_separate_tag(
        ring::aead::Nonce::assume_unique_for_key(nonce),
        ring::aead::Aad::from(aad),
        tag,
        &mut held[to..ct.end],
        ct.start - to..,
    )
    // On failure the caller truncates `out` back to `to`.
    .map_err(|_| RecordError::Integrity)?;
    out.truncate(to + n);
    Ok(())
}

/// The 13-byte TLS ≤1.2 AEAD / MAC pseudo-header: seq, type, version, length.
fn pseudo_header(seq: u64, content_type: u8, version: u16, len: usize) -> [u8; 13] {
    let mut h = [0u8; 13];
    h[..8].copy_from_slice(&seq.to_be_bytes());
    h[8] = content_type;
    h[9..11].copy_from_slice(&version.to_be_bytes());
    h[11..].copy_from_slice(&(len as u16).to_be_bytes());
    h
}

/// AEAD record: TLS 1.2 (explicit or XOR nonce, 13-byte AAD) or TLS 1.3 (header AAD, inner type).
fn open_aead(
    cipher: &AeadCipher,
    mode: &NonceMode,
    tag_len: usize,
    tls13: bool,
    rec: &Rec,
    out: &mut PlainBuf,
) -> Result<u8, RecordError> {
    let end = out.len();
    let fragment = &out.as_slice()[rec.from..];
    let (nonce, body) = match mode {
        NonceMode::Explicit(salt) => {
            if fragment.len() < 8 + tag_len {
                return Err(RecordError::Malformed(
                    "AEAD record shorter than nonce and tag",
                ));
            }
            let mut n = [0u8; 12];
            n[..4].copy_from_slice(salt);
            n[4..].copy_from_slice(&fragment[..8]);
            (n, rec.from + 8)
        }
        NonceMode::Xor(iv) => {
            if fragment.len() < tag_len {
                return Err(RecordError::Malformed("AEAD record shorter than its tag"));
            }
            let mut n = *iv;
            for (b, s) in n[4..].iter_mut().zip(rec.seq.to_be_bytes()) {
                *b ^= s;
            }
            (n, rec.from)
        }
    };
    let ct = body..end - tag_len;
    let mut aad_buf = [0u8; 13];
    let aad: &[u8] = if tls13 {
        aad_buf[0] = rec.content_type;
        aad_buf[1..3].copy_from_slice(&rec.version.to_be_bytes());
        aad_buf[3..5].copy_from_slice(&(fragment.len() as u16).to_be_bytes());
        &aad_buf[..5]
    } else {
        aad_buf = pseudo_header(rec.seq, rec.content_type, rec.version, ct.len());
        &aad_buf
    };
    let to = rec.to;
    match cipher {
        AeadCipher::Ring(k) => ring_open(k, nonce, aad, out, ct, to),
        AeadCipher::Aes128Ccm(a) => aead_open_with(a.as_ref(), &nonce, aad, out, ct, to),
        AeadCipher::Aes256Ccm(a) => aead_open_with(a.as_ref(), &nonce, aad, out, ct, to),
        AeadCipher::Aes128Ccm8(a) => aead_open_with(a.as_ref(), &nonce, aad, out, ct, to),
        AeadCipher::Aes256Ccm8(a) => aead_open_with(a.as_ref(), &nonce, aad, out, ct, to),
    }?;
    if !tls13 {
        return Ok(rec.content_type);
    }
    // TLSInnerPlaintext: content || type || zeros.
    let inner = &out.as_slice()[to..];
    match inner.iter().rposition(|&b| b != 0) {
        Some(pos) => {
            let ty = inner[pos];
            out.truncate(to + pos);
            Ok(ty)
        }
        None => Err(RecordError::Malformed("TLS 1.3 record has no content type")),
    }
}

impl RecordMac {
    /// MAC length in bytes.
    fn len(&self) -> usize {
        match self {
            RecordMac::Md5(_) => 16,
            RecordMac::Sha1(_) => 20,
            RecordMac::Sha256(_) => 32,
            RecordMac::Sha384(_) => 48,
        }
    }

    /// Checks `expected` == HMAC(pseudo_header || data).
    fn verify(&self, header: &[u8; 13], data: &[u8], expected: &[u8]) -> Result<(), RecordError> {
        fn run<M: Mac + Clone>(m: &M, h: &[u8], d: &[u8], e: &[u8]) -> Result<(), RecordError> {
            let mut m = m.clone();
            m.update(h);
            m.update(d);
            m.verify_slice(e).map_err(|_| RecordError::Integrity)
        }
        match self {
            RecordMac::Md5(m) => run(m, header, data, expected),
            RecordMac::Sha1(m) => run(m, header, data, expected),
            RecordMac::Sha256(m) => run(m, header, data, expected),
            RecordMac::Sha384(m) => run(m, header, data, expected),
        }
    }
}

/// CBC-decrypts `buf` in place (whole blocks) starting from `iv`.
fn cbc_run<C: BlockCipherDecrypt>(
    dec: &mut cbc::Decryptor<C>,
    iv: &[u8],
    buf: &mut [u8],
) -> Result<(), RecordError> {
    let iv = cbc::cipher::Iv::<cbc::Decryptor<C>>::try_from(iv)
        .map_err(|_| RecordError::Malformed("IV length"))?;
    dec.set_iv(&iv);
    let (blocks, tail) = Array::<u8, C::BlockSize>::slice_as_chunks_mut(buf);
    if !tail.is_empty() {
        return Err(RecordError::Malformed(
            "CBC record is not a whole number of blocks",
        ));
    }
    dec.decrypt_blocks(blocks);
    Ok(())
}

impl CbcCipher {
    /// CBC-decrypts `buf` in place starting from `iv`.
    fn run(&mut self, iv: &[u8], buf: &mut [u8]) -> Result<(), RecordError> {
        match self {
            CbcCipher::Aes128(d) => cbc_run(d, iv, buf),
            CbcCipher::Aes256(d) => cbc_run(d, iv, buf),
            CbcCipher::Tdes(d) => cbc_run(d, iv, buf),
        }
    }
}

/// Validates TLS CBC padding at the end of `plain`; returns the padding length including
/// the length byte, provided `min_rest` bytes (the MAC) still fit before it.
fn cbc_padding(plain: &[u8], min_rest: usize) -> Result<usize, RecordError> {
    let Some(&p) = plain.last() else {
        return Err(RecordError::Malformed("empty CBC record"));
    };
    let pad = p as usize + 1;
    if pad + min_rest > plain.len() {
        return Err(RecordError::Integrity);
    }
    if plain[plain.len() - pad..].iter().any(|&b| b != p) {
        return Err(RecordError::Integrity);
    }
    Ok(pad)
}

/// CBC record: explicit IV (TLS 1.1+) or chained IV (TLS 1.0); MAC-then-encrypt or EtM.
fn open_cbc(
    cipher: &mut CbcCipher,
    mac: &RecordMac,
    block: usize,
    chain_iv: &mut Option<[u8; 16]>,
    etm: bool,
    rec: &Rec,
    out: &mut PlainBuf,
) -> Result<u8, RecordError> {
    let mac_len = mac.len();
    let (seq, content_type, record_version) = (rec.seq, rec.content_type, rec.version);
    let held = out.held_mut();
    let fragment_len = held.len() - rec.from;
    let enc_end = if etm {
        if fragment_len < mac_len {
            return Err(RecordError::Malformed("record shorter than its MAC"));
        }
        held.len() - mac_len
    } else {
        held.len()
    };
    let enc = rec.from..enc_end;
    if enc.is_empty() || enc.len() % block != 0 {
        return Err(RecordError::Malformed(
            "CBC record is not a whole number of blocks",
        ));
    }
    // IV for this record; TLS 1.0 chains the last ciphertext block into the next record.
    let mut iv = [0u8; 16];
    let ct = match chain_iv {
        Some(chain) => {
            iv[..block].copy_from_slice(&chain[..block]);
            chain[..block].copy_from_slice(&held[enc_end - block..enc_end]);
            enc.clone()
        }
        None => {
            iv[..block].copy_from_slice(&held[enc.start..enc.start + block]);
            enc.start + block..enc_end
        }
    };
    if etm {
        mac.verify(
            &pseudo_header(seq, content_type, record_version, enc.len()),
            &held[enc.clone()],
            &held[enc_end..],
        )?;
    }
    if ct.is_empty() {
        return Err(RecordError::Malformed("CBC record has no ciphertext"));
    }
    cipher.run(&iv[..block], &mut held[ct.clone()])?;
    let start = rec.to;
    out.shift(ct, start);
    let plain = &out.as_slice()[start..];
    if etm {
        let pad = cbc_padding(plain, 0)?;
        out.truncate(out.len() - pad);
        return Ok(content_type);
    }
    let pad = cbc_padding(plain, mac_len)?;
    let content_len = plain.len() - pad - mac_len;
    let (content, rest) = plain.split_at(content_len);
    mac.verify(
        &pseudo_header(seq, content_type, record_version, content_len),
        content,
        &rest[..mac_len],
    )?;
    out.truncate(start + content_len);
    Ok(content_type)
}

/// RC4 record: stream-decrypt, then check the trailing MAC.
fn open_rc4(
    cipher: &mut Rc4,
    mac: &RecordMac,
    rec: &Rec,
    out: &mut PlainBuf,
) -> Result<u8, RecordError> {
    let held = out.held_mut();
    let fragment = rec.from..held.len();
    // Always advance the keystream, as the sender did.
    cipher.apply_keystream(&mut held[fragment.clone()]);
    let mac_len = mac.len();
    if fragment.len() < mac_len {
        return Err(RecordError::Malformed("record shorter than its MAC"));
    }
    let content_len = fragment.len() - mac_len;
    let start = rec.to;
    out.shift(fragment, start);
    let (content, tag) = out.as_slice()[start..].split_at(content_len);
    mac.verify(
        &pseudo_header(rec.seq, rec.content_type, rec.version, content_len),
        content,
        tag,
    )?;
    out.truncate(start + content_len);
    Ok(rec.content_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::crypto::suite;
    // Records are sealed with RustCrypto and opened with ring: two
    // independent implementations must agree.
    use aes_gcm::{Aes128Gcm, Aes256Gcm};
    use cbc::cipher::{BlockCipherEncrypt, BlockModeEncrypt};
    use chacha20poly1305::ChaCha20Poly1305;

    impl RecordDecryptor {
        /// [`RecordDecryptor::try_decrypt_into`] appending to a `Vec` (the tests' form).
        fn try_decrypt(
            &mut self,
            seq: u64,
            content_type: u8,
            record_version: u16,
            fragment: &[u8],
            out: &mut Vec<u8>,
        ) -> Result<u8, RecordError> {
            PlainBuf::through_vec(out, |buf| {
                self.try_decrypt_into(seq, content_type, record_version, fragment, buf)
            })
        }
    }

    const APP: u8 = 0x17;
    const HS: u8 = 0x16;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        hex::decode(s).unwrap()
    }

    fn msg(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    // ---- encrypt side, built from the RFCs with the RustCrypto encrypt APIs ----

    fn seal_with<A: AeadInOut>(a: &A, nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let nonce = aead::Nonce::<A>::try_from(&nonce[..]).unwrap();
        let mut buf = pt.to_vec();
        let tag = a
            .encrypt_inout_detached(&nonce, aad, (&mut buf[..]).into())
            .unwrap();
        buf.extend_from_slice(&tag);
        buf
    }

    fn seal_any(id: u16, key: &[u8], nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        match suite(id).unwrap().cipher {
            BulkCipher::Aes128Gcm => {
                seal_with(&Aes128Gcm::new_from_slice(key).unwrap(), nonce, aad, pt)
            }
            BulkCipher::Aes256Gcm => {
                seal_with(&Aes256Gcm::new_from_slice(key).unwrap(), nonce, aad, pt)
            }
            BulkCipher::Chacha20Poly1305 => seal_with(
                &ChaCha20Poly1305::new_from_slice(key).unwrap(),
                nonce,
                aad,
                pt,
            ),
            BulkCipher::Aes128Ccm => {
                seal_with(&Aes128Ccm::new_from_slice(key).unwrap(), nonce, aad, pt)
            }
            BulkCipher::Aes256Ccm => {
                seal_with(&Aes256Ccm::new_from_slice(key).unwrap(), nonce, aad, pt)
            }
            BulkCipher::Aes128Ccm8 => {
                seal_with(&Aes128Ccm8::new_from_slice(key).unwrap(), nonce, aad, pt)
            }
            BulkCipher::Aes256Ccm8 => {
                seal_with(&Aes256Ccm8::new_from_slice(key).unwrap(), nonce, aad, pt)
            }
            _ => unreachable!(),
        }
    }

    /// TLS 1.2 AEAD record (RFC 5246 §6.2.3.3, RFC 5288, RFC 6655, RFC 7905).
    fn seal_tls12_aead(id: u16, key: &[u8], iv: &[u8], seq: u64, ty: u8, pt: &[u8]) -> Vec<u8> {
        let aad = pseudo_header(seq, ty, 0x0303, pt.len());
        if iv.len() == 12 {
            let mut n: [u8; 12] = iv.try_into().unwrap();
            for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
                *b ^= s;
            }
            seal_any(id, key, &n, &aad, pt)
        } else {
            // Explicit nonce: senders use the sequence number.
            let explicit = seq.to_be_bytes();
            let mut n = [0u8; 12];
            n[..4].copy_from_slice(iv);
            n[4..].copy_from_slice(&explicit);
            let mut rec = explicit.to_vec();
            rec.extend(seal_any(id, key, &n, &aad, pt));
            rec
        }
    }

    /// TLS 1.3 record (RFC 8446 §5.2): inner plaintext = content || type || zeros.
    fn seal_tls13(
        id: u16,
        key: &[u8],
        iv: &[u8],
        seq: u64,
        ty: u8,
        pt: &[u8],
        pad: usize,
    ) -> Vec<u8> {
        let mut inner = pt.to_vec();
        inner.push(ty);
        inner.extend(std::iter::repeat_n(0u8, pad));
        let tag = suite(id).unwrap().tag_len();
        let len = (inner.len() + tag) as u16;
        let aad = [APP, 0x03, 0x03, (len >> 8) as u8, len as u8];
        let mut n: [u8; 12] = iv.try_into().unwrap();
        for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
            *b ^= s;
        }
        seal_any(id, key, &n, &aad, &inner)
    }

    fn hmac(alg: MacAlg, key: &[u8], data: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], data: &[&[u8]]) -> Vec<u8> {
            let mut m = <M as KeyInit>::new_from_slice(key).unwrap();
            for d in data {
                m.update(d);
            }
            m.finalize().into_bytes().to_vec()
        }
        match alg {
            MacAlg::Md5 => run::<Hmac<Md5>>(key, data),
            MacAlg::Sha1 => run::<Hmac<Sha1>>(key, data),
            MacAlg::Sha256 => run::<Hmac<Sha256>>(key, data),
            MacAlg::Sha384 => run::<Hmac<Sha384>>(key, data),
            MacAlg::Aead => unreachable!(),
        }
    }

    fn cbc_encrypt_blocks<C: BlockCipherEncrypt + KeyInit>(key: &[u8], iv: &[u8], buf: &mut [u8]) {
        let mut enc = cbc::Encryptor::<C>::new_from_slices(key, iv).unwrap();
        let (blocks, tail) = Array::<u8, C::BlockSize>::slice_as_chunks_mut(buf);
        assert!(tail.is_empty());
        enc.encrypt_blocks(blocks);
    }

    fn cbc_encrypt(cipher: BulkCipher, key: &[u8], iv: &[u8], buf: &mut [u8]) {
        match cipher {
            BulkCipher::Aes128Cbc => cbc_encrypt_blocks::<Aes128>(key, iv, buf),
            BulkCipher::Aes256Cbc => cbc_encrypt_blocks::<Aes256>(key, iv, buf),
            BulkCipher::TripleDesCbc => cbc_encrypt_blocks::<TdesEde3>(key, iv, buf),
            _ => unreachable!(),
        }
    }

    /// CBC record per RFC 5246 §6.2.3.2 (MAC-then-encrypt) or RFC 7366 (encrypt-then-MAC).
    /// `iv` is the explicit IV (TLS 1.1+, prepended) or the chained IV (TLS 1.0, not sent).
    #[allow(clippy::too_many_arguments)]
    fn seal_cbc(
        id: u16,
        version: u16,
        key: &[u8],
        mac_key: &[u8],
        iv: &[u8],
        seq: u64,
        ty: u8,
        pt: &[u8],
        extra_pad_blocks: usize,
        etm: bool,
    ) -> Vec<u8> {
        let s = suite(id).unwrap();
        let bs = s.block_len();
        let mut data = pt.to_vec();
        if !etm {
            let hdr = pseudo_header(seq, ty, version, pt.len());
            data.extend(hmac(s.mac, mac_key, &[&hdr, pt]));
        }
        let pad = bs - (data.len() + 1) % bs + extra_pad_blocks * bs;
        data.extend(std::iter::repeat_n(pad as u8, pad + 1));
        cbc_encrypt(s.cipher, key, iv, &mut data);
        let mut rec = if version >= 0x0302 {
            iv.to_vec()
        } else {
            Vec::new()
        };
        rec.extend(data);
        if etm {
            let hdr = pseudo_header(seq, ty, version, rec.len());
            let tag = hmac(s.mac, mac_key, &[&hdr, &rec]);
            rec.extend(tag);
        }
        rec
    }

    fn seal_rc4(id: u16, rc4: &mut Rc4, mac_key: &[u8], seq: u64, ty: u8, pt: &[u8]) -> Vec<u8> {
        let s = suite(id).unwrap();
        let hdr = pseudo_header(seq, ty, 0x0303, pt.len());
        let mut data = pt.to_vec();
        data.extend(hmac(s.mac, mac_key, &[&hdr, pt]));
        rc4.apply_keystream(&mut data);
        data
    }

    fn keys(id: u16, version: u16) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let s = suite(id).unwrap();
        let key = msg(s.key_len()).iter().map(|b| b ^ 0x5a).collect();
        let iv = msg(s.fixed_iv_len(version))
            .iter()
            .map(|b| b ^ 0xa5)
            .collect();
        let mac = msg(s.mac_key_len()).iter().map(|b| b ^ 0x3c).collect();
        (key, iv, mac)
    }

    fn flip(rec: &[u8], at: usize) -> Vec<u8> {
        let mut r = rec.to_vec();
        r[at] ^= 0x01;
        r
    }

    // ---- AEAD ----

    /// A reused `PlainBuf`: records of shrinking and growing size over the same
    /// storage give exactly their plaintext; a failure leaves what was held.
    /// Opens `recs` (seq, record) with `a` copying and with `b` in place
    /// behind a 5-byte header, corrupting each other record (both must fail
    /// alike, and keystream/IV state must stay in step): same results.
    fn in_place_agrees(
        mut a: RecordDecryptor,
        mut b: RecordDecryptor,
        v: u16,
        recs: &[(u64, Vec<u8>)],
    ) {
        let mut buf = PlainBuf::new();
        for (k, (seq, rec)) in recs.iter().enumerate() {
            let rec = if k % 2 == 1 {
                flip(rec, rec.len() / 2)
            } else {
                rec.clone()
            };
            let mut copied = b"old".to_vec();
            copied.clear();
            let want = a.decrypt(*seq, APP, v, &rec, &mut copied);
            let mut whole = vec![APP, 3, 3, 0xee, 0xee];
            whole.extend_from_slice(&rec);
            buf.push_copy(b"leftover bytes from an earlier record");
            buf.swap_in(&mut whole);
            let got = b.decrypt_in_place(*seq, APP, v, &mut buf, HEADER);
            assert_eq!(got, want, "{v:04x} record {k}");
            assert_eq!(buf.as_slice(), &copied[..], "{v:04x} record {k}");
            assert_eq!(want.is_ok(), k % 2 == 0, "{v:04x} record {k}");
        }
        let mut short = PlainBuf::new();
        short.swap_in(&mut vec![1, 2]);
        assert!(b.decrypt_in_place(0, APP, v, &mut short, HEADER).is_err());
        assert!(short.is_empty());
    }

    const HEADER: usize = 5;

    #[test]
    fn in_place_opens_what_copying_opens_for_every_family() {
        let new = |v: u16, id: u16, key: &[u8], iv: &[u8], mac: &[u8], etm: bool| {
            RecordDecryptor::new(v, suite(id).unwrap(), key, iv, mac, etm).unwrap()
        };
        for id in [0xC02F, 0xC030, 0xCCA8, 0xC0AC, 0xC0AE] {
            let (key, iv, _) = keys(id, 0x0303);
            let recs: Vec<_> = (0u64..4)
                .map(|seq| {
                    (
                        seq,
                        seal_tls12_aead(id, &key, &iv, seq, APP, &msg(700 + seq as usize)),
                    )
                })
                .collect();
            let d = || new(0x0303, id, &key, &iv, &[], false);
            in_place_agrees(d(), d(), 0x0303, &recs);
        }
        for id in [0x1301, 0x1302, 0x1303, 0x1304, 0x1305] {
            let (key, iv, _) = keys(id, 0x0304);
            let recs: Vec<_> = (0u64..4)
                .map(|seq| {
                    (
                        seq,
                        seal_tls13(id, &key, &iv, seq, APP, &msg(300), seq as usize * 5),
                    )
                })
                .collect();
            let d = || new(0x0304, id, &key, &iv, &[], false);
            in_place_agrees(d(), d(), 0x0303, &recs);
        }
        for (id, version, etm) in [
            (0x002F, 0x0303, false),
            (0x003D, 0x0303, true),
            (0x000A, 0x0302, false),
        ] {
            let (key, iv, mac_key) = keys(id, version);
            let bs = suite(id).unwrap().block_len();
            let recs: Vec<_> = (0u64..4)
                .map(|seq| {
                    let pt = msg(500 + seq as usize);
                    let rec =
                        seal_cbc(id, version, &key, &mac_key, &msg(bs), seq, APP, &pt, 1, etm);
                    (seq, rec)
                })
                .collect();
            let d = || new(version, id, &key, &iv, &mac_key, etm);
            in_place_agrees(d(), d(), version, &recs);
        }
        // TLS 1.0 chained IV and RC4 carry state from record to record.
        let id = 0x002F;
        let (key, iv, mac_key) = keys(id, 0x0301);
        let mut chain = iv.clone();
        let recs: Vec<_> = (0u64..4)
            .map(|seq| {
                let rec = seal_cbc(
                    id,
                    0x0301,
                    &key,
                    &mac_key,
                    &chain,
                    seq,
                    APP,
                    &msg(90),
                    0,
                    false,
                );
                chain = rec[rec.len() - 16..].to_vec();
                (seq, rec)
            })
            .collect();
        let d = || new(0x0301, id, &key, &iv, &mac_key, false);
        in_place_agrees(d(), d(), 0x0301, &recs);
        let id = 0x0005;
        let (key, iv, mac_key) = keys(id, 0x0303);
        let mut enc = Rc4::new_from_slice(&key).unwrap();
        let recs: Vec<_> = (0u64..4)
            .map(|seq| (seq, seal_rc4(id, &mut enc, &mac_key, seq, APP, &msg(400))))
            .collect();
        let d = || new(0x0303, id, &key, &iv, &mac_key, false);
        in_place_agrees(d(), d(), 0x0303, &recs);
    }

    #[test]
    fn plain_buf_reuse_gives_exact_plaintext() {
        let id = 0xC02F;
        let s = suite(id).unwrap();
        let (key, iv, _) = keys(id, 0x0303);
        let mut d = RecordDecryptor::new(0x0303, s, &key, &iv, &[], false).unwrap();
        let mut out = PlainBuf::new();
        for (seq, n) in [(0u64, 3000usize), (1, 10), (2, 0), (3, 1500), (4, 5000)] {
            let pt: Vec<u8> = msg(n).iter().map(|b| b ^ seq as u8).collect();
            let rec = seal_tls12_aead(id, &key, &iv, seq, APP, &pt);
            out.clear();
            assert_eq!(d.decrypt_into(seq, APP, 0x0303, &rec, &mut out), Ok(APP));
            assert_eq!(out.as_slice(), &pt[..], "record {seq}");
            assert_eq!(out.len(), n);
            let r = d.decrypt_into(seq, APP, 0x0303, &flip(&rec, rec.len() - 1), &mut out);
            assert_eq!(r, Err(RecordError::Integrity));
            assert_eq!(out.as_slice(), &pt[..], "after failure {seq}");
        }
        // CBC and RC4 append the same way.
        let id = 0x002F;
        let s = suite(id).unwrap();
        let (key, _, mac_key) = keys(id, 0x0303);
        let mut d = RecordDecryptor::new(0x0303, s, &key, &[], &mac_key, false).unwrap();
        out.clear();
        let mut want = Vec::new();
        for (seq, n) in [(0u64, 700usize), (1, 20)] {
            let pt = msg(n);
            let rec = seal_cbc(
                id, 0x0303, &key, &mac_key, &[7; 16], seq, APP, &pt, 0, false,
            );
            assert_eq!(d.decrypt_into(seq, APP, 0x0303, &rec, &mut out), Ok(APP));
            want.extend_from_slice(&pt);
            assert_eq!(out.as_slice(), &want[..]);
        }
    }

    fn aead_tls12_round_trip(id: u16) {
        let s = suite(id).unwrap();
        let (key, iv, _) = keys(id, 0x0303);
        let mut d = RecordDecryptor::new(0x0303, s, &key, &iv, &[], false).unwrap();
        assert!(d.resync_ok());
        let mut out = Vec::new();
        for seq in [0u64, 1, 2, 1000] {
            let pt = msg(100 + seq as usize);
            let rec = seal_tls12_aead(id, &key, &iv, seq, APP, &pt);
            out.clear();
            assert_eq!(
                d.decrypt(seq, APP, 0x0303, &rec, &mut out),
                Ok(APP),
                "{}",
                s.name
            );
            assert_eq!(out, pt);
            if iv.len() == 4 {
                assert_eq!(d.explicit_nonce(&rec), Some(seq));
            } else {
                assert_eq!(d.explicit_nonce(&rec), None);
            }
            // Any flipped byte (nonce, body or tag) fails; wrong seq/type fails; out untouched.
            out.clear();
            out.extend_from_slice(b"keep");
            for at in [0, rec.len() / 2, rec.len() - 1] {
                let r = d.decrypt(seq, APP, 0x0303, &flip(&rec, at), &mut out);
                assert_eq!(r, Err(RecordError::Integrity), "{} flip {at}", s.name);
            }
            assert_eq!(
                d.decrypt(seq + 1, APP, 0x0303, &rec, &mut out),
                Err(RecordError::Integrity)
            );
            assert_eq!(
                d.decrypt(seq, HS, 0x0303, &rec, &mut out),
                Err(RecordError::Integrity)
            );
            assert_eq!(out, b"keep");
            // try_decrypt_into works the same for AEAD and leaves nothing behind on failure.
            let mut buf = PlainBuf::new();
            assert_eq!(
                d.try_decrypt_into(seq + 5, APP, 0x0303, &rec, &mut buf),
                Err(RecordError::Integrity)
            );
            assert!(buf.is_empty());
            assert_eq!(
                d.try_decrypt_into(seq, APP, 0x0303, &rec, &mut buf),
                Ok(APP)
            );
            assert_eq!(buf.as_slice(), &pt[..]);
        }
        let short = vec![0u8; 8 + s.tag_len() - 1];
        assert!(matches!(
            d.decrypt(0, APP, 0x0303, &short[..s.tag_len() - 1], &mut out),
            Err(RecordError::Malformed(_))
        ));
    }

    #[test]
    fn tls12_aes128_gcm_round_trip() {
        aead_tls12_round_trip(0xC02F);
    }

    #[test]
    fn tls12_aes256_gcm_round_trip() {
        aead_tls12_round_trip(0xC030);
        aead_tls12_round_trip(0x009D);
    }

    #[test]
    fn tls12_chacha20_poly1305_round_trip() {
        aead_tls12_round_trip(0xCCA8);
    }

    #[test]
    fn tls12_aes_ccm_round_trip() {
        aead_tls12_round_trip(0xC09C);
        aead_tls12_round_trip(0xC09D);
    }

    #[test]
    fn tls12_aes_ccm8_round_trip() {
        aead_tls12_round_trip(0xC0A0);
        aead_tls12_round_trip(0xC0AF);
    }

    #[test]
    fn tls13_round_trip_all_suites_with_padding() {
        for id in [0x1301, 0x1302, 0x1303, 0x1304, 0x1305] {
            let s = suite(id).unwrap();
            let (key, iv, _) = keys(id, 0x0304);
            assert_eq!(iv.len(), 12);
            let mut d = RecordDecryptor::new(0x0304, s, &key, &iv, &[], false).unwrap();
            assert!(d.resync_ok());
            let mut out = Vec::new();
            for (seq, ty, pad) in [(0u64, HS, 0usize), (1, APP, 17), (2, 0x15, 0)] {
                let pt = msg(300);
                let rec = seal_tls13(id, &key, &iv, seq, ty, &pt, pad);
                out.clear();
                assert_eq!(
                    d.decrypt(seq, APP, 0x0303, &rec, &mut out),
                    Ok(ty),
                    "{}",
                    s.name
                );
                assert_eq!(out, pt);
                assert_eq!(d.explicit_nonce(&rec), None);
                let r = d.decrypt(seq, APP, 0x0303, &flip(&rec, 3), &mut out);
                assert_eq!(r, Err(RecordError::Integrity));
                assert_eq!(
                    d.decrypt(seq + 1, APP, 0x0303, &rec, &mut out),
                    Err(RecordError::Integrity)
                );
            }
            // All-zero inner plaintext has no content type.
            let rec = seal_any(
                id,
                &key,
                &{
                    let mut n: [u8; 12] = iv.clone().try_into().unwrap();
                    n[11] ^= 9;
                    n
                },
                &[APP, 3, 3, 0, (4 + s.tag_len()) as u8],
                &[0; 4],
            );
            assert!(matches!(
                d.decrypt(9, APP, 0x0303, &rec, &mut out),
                Err(RecordError::Malformed(_))
            ));
        }
    }

    /// RFC 8448 §3: the client's Finished, sealed with the client handshake traffic key.
    #[test]
    fn tls13_rfc8448_client_finished_record() {
        let key = unhex("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01");
        let iv = unhex("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f");
        let record = unhex(
            "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9
             b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7
             26 c4 05 46",
        );
        let finished = unhex(
            "14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9
             85 27 b6 42 f2 ed d5 ce 61",
        );
        let s = suite(0x1301).unwrap();
        let mut d = RecordDecryptor::new(0x0304, s, &key, &iv, &[], false).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            d.decrypt(0, record[0], 0x0303, &record[5..], &mut out),
            Ok(HS)
        );
        assert_eq!(out, finished);
    }

    // ---- CBC ----

    fn cbc_round_trip(id: u16, version: u16, etm: bool) {
        let s = suite(id).unwrap();
        let bs = s.block_len();
        let (key, iv, mac_key) = keys(id, version);
        let mut d = RecordDecryptor::new(version, s, &key, &iv, &mac_key, etm).unwrap();
        assert_eq!(d.resync_ok(), version >= 0x0302);
        let mut out = Vec::new();
        for seq in 0u64..3 {
            let pt = msg(1000 + seq as usize);
            let explicit: Vec<u8> = msg(bs).iter().map(|b| b.wrapping_add(seq as u8)).collect();
            let rec = seal_cbc(
                id,
                version,
                &key,
                &mac_key,
                &explicit,
                seq,
                APP,
                &pt,
                seq as usize,
                etm,
            );
            out.clear();
            let what = format!("{} v{version:04x} etm={etm} seq={seq}", s.name);
            assert_eq!(
                d.decrypt(seq, APP, version, &rec, &mut out),
                Ok(APP),
                "{what}"
            );
            assert_eq!(out, pt, "{what}");
            assert_eq!(d.explicit_nonce(&rec), None);
            // Flip a byte in the IV, the body, the padding block and the last byte.
            out.clear();
            out.extend_from_slice(b"keep");
            for at in [0, bs, rec.len() / 2, rec.len() - 1] {
                let r = d.try_decrypt(seq, APP, version, &flip(&rec, at), &mut out);
                assert_eq!(r, Err(RecordError::Integrity), "{what} flip {at}");
            }
            assert_eq!(
                d.try_decrypt(seq + 1, APP, version, &rec, &mut out),
                Err(RecordError::Integrity)
            );
            assert_eq!(out, b"keep");
            assert!(matches!(
                d.decrypt(seq, APP, version, &rec[..rec.len() - 1], &mut out),
                Err(RecordError::Malformed(_))
            ));
        }
    }

    /// TLS 1.0: the IV of record n+1 is the last ciphertext block of record n.
    fn cbc_tls10_chained(id: u16, etm: bool) {
        let s = suite(id).unwrap();
        let bs = s.block_len();
        let (key, iv, mac_key) = keys(id, 0x0301);
        assert_eq!(iv.len(), bs);
        let mut d = RecordDecryptor::new(0x0301, s, &key, &iv, &mac_key, etm).unwrap();
        assert!(!d.resync_ok());
        let mut chain = iv.clone();
        let mut recs = Vec::new();
        for seq in 0u64..4 {
            let pt = msg(200 + 13 * seq as usize);
            let rec = seal_cbc(id, 0x0301, &key, &mac_key, &chain, seq, APP, &pt, 0, etm);
            let enc_end = if etm {
                rec.len() - s.mac_key_len()
            } else {
                rec.len()
            };
            chain = rec[enc_end - bs..enc_end].to_vec();
            recs.push((pt, rec));
        }
        let mut out = Vec::new();
        for (seq, (pt, rec)) in recs.iter().enumerate().take(2) {
            out.clear();
            assert_eq!(
                d.decrypt(seq as u64, APP, 0x0301, rec, &mut out),
                Ok(APP),
                "{} etm={etm}",
                s.name
            );
            assert_eq!(&out, pt);
        }
        // No resync search for chained IVs.
        assert_eq!(
            d.try_decrypt(2, APP, 0x0301, &recs[2].1, &mut out),
            Err(RecordError::Unsupported)
        );
        // Record 2 is lost: re-seed from it and continue with record 3.
        let rec2 = &recs[2].1;
        let enc2 = if etm {
            &rec2[..rec2.len() - s.mac_key_len()]
        } else {
            &rec2[..]
        };
        d.reseed_from(enc2);
        out.clear();
        assert_eq!(d.decrypt(3, APP, 0x0301, &recs[3].1, &mut out), Ok(APP));
        assert_eq!(out, recs[3].0);
    }

    #[test]
    fn tls12_aes128_cbc_sha_round_trip() {
        cbc_round_trip(0x002F, 0x0303, false);
        cbc_round_trip(0xC013, 0x0302, false);
    }

    #[test]
    fn tls12_aes_cbc_sha256_sha384_round_trip() {
        cbc_round_trip(0x003C, 0x0303, false);
        cbc_round_trip(0x003D, 0x0303, false);
        cbc_round_trip(0xC028, 0x0303, false);
    }

    #[test]
    fn tls12_cbc_encrypt_then_mac_round_trip() {
        cbc_round_trip(0xC014, 0x0303, true);
        cbc_round_trip(0xC027, 0x0303, true);
        cbc_round_trip(0x000A, 0x0303, true);
    }

    #[test]
    fn tls12_3des_cbc_round_trip() {
        cbc_round_trip(0x000A, 0x0303, false);
        cbc_round_trip(0xC012, 0x0302, false);
    }

    #[test]
    fn tls10_cbc_chained_iv_over_records() {
        cbc_tls10_chained(0x002F, false);
        cbc_tls10_chained(0x0035, false);
        cbc_tls10_chained(0x000A, false);
    }

    #[test]
    fn tls10_cbc_encrypt_then_mac_chained_iv() {
        cbc_tls10_chained(0x002F, true);
    }

    #[test]
    fn cbc_bad_padding_is_integrity_error() {
        let id = 0x002F;
        let s = suite(id).unwrap();
        let (key, _, mac_key) = keys(id, 0x0303);
        let iv = [7u8; 16];
        // Valid MAC, but the padding bytes disagree with the length byte.
        let pt = msg(27);
        let hdr = pseudo_header(0, APP, 0x0303, pt.len());
        let mut data = pt.clone();
        data.extend(hmac(s.mac, &mac_key, &[&hdr, &pt]));
        data.extend([1, 2]); // 47 + 2 = 49 -> pad to 64 below
        data.extend([14u8; 15]);
        assert_eq!(data.len(), 64);
        data[47] = 14; // first padding byte wrong (was 1)
        data[48] = 13;
        cbc_encrypt(s.cipher, &key, &iv, &mut data);
        let mut rec = iv.to_vec();
        rec.extend(data);
        let mut d = RecordDecryptor::new(0x0303, s, &key, &[], &mac_key, false).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            d.decrypt(0, APP, 0x0303, &rec, &mut out),
            Err(RecordError::Integrity)
        );
        assert!(out.is_empty());
    }

    // ---- RC4 ----

    #[test]
    fn rc4_keystream_continues_over_records() {
        for id in [0x0005, 0x0004] {
            let s = suite(id).unwrap();
            let (key, iv, mac_key) = keys(id, 0x0303);
            assert!(iv.is_empty());
            let mut enc = Rc4::new_from_slice(&key).unwrap();
            let recs: Vec<_> = (0u64..3)
                .map(|seq| {
                    let pt = msg(500 + seq as usize);
                    let rec = seal_rc4(id, &mut enc, &mac_key, seq, APP, &pt);
                    (pt, rec)
                })
                .collect();
            let mut d = RecordDecryptor::new(0x0303, s, &key, &iv, &mac_key, false).unwrap();
            assert!(!d.resync_ok());
            let mut out = Vec::new();
            for (seq, (pt, rec)) in recs.iter().enumerate().take(2) {
                out.clear();
                assert_eq!(
                    d.decrypt(seq as u64, APP, 0x0303, rec, &mut out),
                    Ok(APP),
                    "{}",
                    s.name
                );
                assert_eq!(&out, pt);
            }
            assert_eq!(
                d.try_decrypt(2, APP, 0x0303, &recs[2].1, &mut out),
                Err(RecordError::Unsupported)
            );
            // A corrupted record still consumes keystream, so the next one stays in step.
            let mut enc2 = Rc4::new_from_slice(&key).unwrap();
            let r0 = seal_rc4(id, &mut enc2, &mac_key, 0, APP, b"first");
            let r1 = seal_rc4(id, &mut enc2, &mac_key, 1, APP, b"second");
            let mut d2 = RecordDecryptor::new(0x0303, s, &key, &iv, &mac_key, false).unwrap();
            assert_eq!(
                d2.decrypt(0, APP, 0x0303, &flip(&r0, 1), &mut out),
                Err(RecordError::Integrity)
            );
            out.clear();
            assert_eq!(d2.decrypt(1, APP, 0x0303, &r1, &mut out), Ok(APP));
            assert_eq!(out, b"second");
        }
    }

    // ---- construction ----

    #[test]
    fn bad_parameters_are_rejected_without_key_material() {
        let gcm = suite(0xC02F).unwrap();
        let key = [0xABu8; 16];
        let e = RecordDecryptor::new(0x0303, gcm, &key[..15], &[0; 4], &[], false).unwrap_err();
        assert!(matches!(e, RecordError::Malformed(_)));
        assert!(!e.to_string().contains("ab"));
        let e = RecordDecryptor::new(0x0303, gcm, &key, &[0; 12], &[], false).unwrap_err();
        assert!(matches!(e, RecordError::Malformed(_)));
        let cbc = suite(0x002F).unwrap();
        let e = RecordDecryptor::new(0x0301, cbc, &key, &[0; 8], &[0; 20], false).unwrap_err();
        assert!(matches!(e, RecordError::Malformed(_)));
        let e = RecordDecryptor::new(0x0303, cbc, &key, &[], &[0; 32], false).unwrap_err();
        assert!(matches!(e, RecordError::Malformed(_)));
        // SSL 3.0 and unsupported suites.
        assert_eq!(
            RecordDecryptor::new(0x0300, cbc, &key, &[0; 16], &[0; 20], false).unwrap_err(),
            RecordError::Unsupported
        );
        let null = suite(0x0002).unwrap();
        assert_eq!(
            RecordDecryptor::new(0x0303, null, &[], &[], &[0; 20], false).unwrap_err(),
            RecordError::Unsupported
        );
        let d = RecordDecryptor::new(0x0303, gcm, &key, &[0xCD; 4], &[], false).unwrap();
        let dbg = format!("{d:?}");
        assert!(!dbg.to_lowercase().contains("ab") && !dbg.contains("171") && !dbg.contains("205"));
    }
}
