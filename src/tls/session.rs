//! Per-connection TLS state: both directions' record streams, the handshake,
//! the keys once known, and the decrypted application data.

use serde::Serialize;

use super::keys::{KeySource, KeyStore};
use crate::reassembly::{Direction, SegmentMeta};
use crate::time::Timestamp;

/// A certificate seen in the handshake (no key material).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names from subjectAltName (and the subject CN if there is no SAN).
    pub dns_names: Vec<String>,
    /// Not valid before.
    pub not_before: Timestamp,
    /// Not valid after.
    pub not_after: Timestamp,
    /// The DER, for chain checks with `--ca-bundle`.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// What the report says about a flow's TLS (output-contract `tls` object).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlsStatus {
    /// "TLS 1.2" etc.; `None` until the ServerHello is seen.
    pub version: Option<String>,
    /// IANA suite name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".
    pub cipher: Option<String>,
    /// Server name from the ClientHello.
    pub sni: Option<String>,
    /// True when application data was decrypted and verified.
    pub decrypted: bool,
    /// The source of the secret used.
    pub key_source: Option<KeySource>,
    /// Why it was not (fully) decrypted.
    pub failure: Option<String>,
    /// Application-data records decrypted.
    #[serde(skip)]
    pub records_decrypted: u64,
    /// Records whose MAC or AEAD tag failed.
    #[serde(skip)]
    pub integrity_failures: u64,
    /// Records skipped (no keys, unsupported, lost to gaps).
    #[serde(skip)]
    pub records_undecrypted: u64,
    /// Certificates in handshake order (server first).
    #[serde(skip)]
    pub certificates: Vec<CertInfo>,
}

/// TLS state for one TCP connection.
#[derive(Default)]
pub struct TlsFlow {
    status: TlsStatus,
}

impl TlsFlow {
    /// A new connection.
    pub fn new() -> Self {
        TlsFlow::default()
    }

    /// Feeds stream bytes in `dir`; decrypted application data goes to `out`
    /// with the frame that completed its record.
    pub fn feed(
        &mut self,
        dir: Direction,
        data: &[u8],
        meta: SegmentMeta,
        keys: &KeyStore,
        out: &mut dyn FnMut(Direction, &[u8], SegmentMeta),
    ) {
        let _ = (dir, data, meta, keys, out);
    }

    /// `len` bytes were lost in `dir`: resynchronise on the next record.
    pub fn gap(&mut self, dir: Direction, len: u64) {
        let _ = (dir, len);
    }

    /// The connection ended: settle the failure reason if nothing was decrypted.
    pub fn finish(&mut self) {}

    /// Status for the report.
    pub fn status(&self) -> &TlsStatus {
        &self.status
    }
}
