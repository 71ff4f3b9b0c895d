//! One direction of a TLS connection: its record deframer, handshake joiner,
//! the decryptor once keys are known, the record sequence number, the
//! reusable plaintext buffer, TLS 1.3 traffic secrets, and the resync state
//! after a gap.

use super::crypto::{PlainBuf, RecordDecryptor};
use super::handshake::Joiner;
use super::record::Deframer;
use super::resync::Resync;
use super::secret::Secret;

/// Which TLS 1.3 traffic keys protect this direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Phase13 {
    /// Handshake traffic keys (until this side's Finished).
    #[default]
    Handshake,
    /// Application traffic keys (generation 0, then one per KeyUpdate).
    Application,
}

/// State of one direction (client→server or server→client).
#[derive(Default)]
pub(crate) struct Half {
    /// Splits the byte stream into records.
    pub deframer: Deframer,
    /// Joins handshake messages.
    pub joiner: Joiner,
    /// Records are protected (after ChangeCipherSpec, or TLS 1.3 after ServerHello).
    pub encrypted: bool,
    /// Decrypts this direction's records, once keys are known.
    pub dec: Option<RecordDecryptor>,
    /// Sequence number of the next record.
    pub seq: u64,
    /// Plaintext of the last record (storage reused, cleared per record).
    pub plain: PlainBuf,
    /// TLS 1.3: which keys are in use.
    pub phase: Phase13,
    /// TLS 1.3: the current traffic secret (for KeyUpdate).
    pub secret: Option<Secret>,
    /// TLS 1.3: the first application traffic secret, for the switch at Finished.
    pub app_secret: Option<Secret>,
    /// Looking for a record boundary after lost bytes.
    pub resync: Option<Resync>,
    /// explicit nonce XOR sequence number of verified records (constant per connection).
    pub nonce_delta: Option<u64>,
    /// Records that verified in this direction.
    pub verified: u64,
    /// No more decryption possible in this direction (RC4 after a gap).
    pub stuck: bool,
    /// A renegotiation is under way: new keys wait for this side's ChangeCipherSpec.
    pub awaiting_ccs: bool,
    /// The renegotiated keys, installed at the ChangeCipherSpec.
    pub pending_dec: Option<RecordDecryptor>,
    /// Protected records that arrived before their keys (live key log), with
    /// their sequence numbers, decrypted in order once the keys are known.
    pub held: Vec<Held>,
    /// Bytes in `held`.
    pub held_bytes: usize,
}

/// A protected record waiting for its keys.
pub(crate) struct Held {
    /// Its sequence number.
    pub seq: u64,
    /// Its header.
    pub header: super::record::Header,
    /// Its fragment.
    pub frag: Vec<u8>,
    /// The frame that completed it.
    pub meta: crate::reassembly::SegmentMeta,
}

/// Bytes of records one direction holds while waiting for keys.
pub(crate) const HOLD_MAX: usize = 256 * 1024;

impl Half {
    /// Forgets everything partial after a gap; returns the bytes dropped.
    pub(crate) fn drop_partial(&mut self) -> usize {
        self.joiner.reset();
        self.deframer.reset()
    }
}
