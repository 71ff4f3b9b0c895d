//! Per-connection TLS state: both directions' record streams, the handshake,
//! the keys once known, and the decrypted application data.
//!
//! Records are framed per direction (zero-copy when whole in the input),
//! handshake messages joined and parsed, keys looked up as soon as the
//! handshake allows (and again when the key store grows), each protected
//! record decrypted with its MAC or tag verified, and application data
//! handed to the caller. After lost bytes the direction resynchronises on
//! the next record it can verify. Nothing here panics on input.

use serde::Serialize;

use super::crypto::{BulkCipher, KeyExchange, RecordError, Suite, next_traffic_secret, suite};
use super::derive::{Params, decryptor13, decryptors12, master_from_premaster, prf_hash};
use super::half::{HOLD_MAX, Half, Held, Phase13};
use super::handshake::{
    HS_CERTIFICATE, HS_CLIENT_HELLO, HS_CLIENT_KEY_EXCHANGE, HS_FINISHED, HS_KEY_UPDATE,
    HS_NEW_SESSION_TICKET, HS_SERVER_HELLO, HS_SERVER_HELLO_DONE,
};
use super::keys::{KeySource, KeyStore, Sourced};
use super::messages::{
    ClientHello, ServerHello, certificates, client_hello, rsa_encrypted_premaster, server_hello,
    session_ticket, sslv2_client_hello, version_name,
};
use super::record::{
    CT_ALERT, CT_APPDATA, CT_CCS, CT_HANDSHAKE, Fragment, HEADER_LEN, Header, Item, header,
};
use super::resync::{Filter, Resync, find_seq, next_candidate, window};
use super::secret::Secret;
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

/// TLS 1.3 key generations tried when a KeyUpdate may have been lost in a gap.
const MAX_LOST_KEY_UPDATES: usize = 2;

/// Handshake transcript kept for the extended master secret (bounded).
const MAX_TRANSCRIPT: usize = 512 * 1024;

/// Why no keys were set up (the most specific reason known).
#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyProblem {
    /// Neither key log nor RSA key has anything for this connection.
    NoSecret,
    /// Only RSA keys, and the key exchange is not static RSA.
    NotRsa(&'static str),
    /// The RSA keys given do not match the server certificate.
    RsaMismatch,
    /// The RSA key could not decrypt the pre-master.
    RsaDecrypt,
    /// The suite cannot be decrypted.
    Unsupported(String),
    /// A resumed session whose full handshake is not in the capture.
    ResumedUnknown,
    /// Part of the handshake is missing, and the extended master secret needs all of it.
    HandshakeIncomplete,
}

/// TLS state for one TCP connection.
#[derive(Default)]
pub struct TlsFlow {
    status: TlsStatus,
    dirs: [Half; 2],
    hello: Option<ClientHello>,
    server: Option<ServerHello>,
    suite: Option<&'static Suite>,
    /// Negotiated version (0 until the ServerHello).
    version: u16,
    tls13: bool,
    /// Handshake messages through ClientKeyExchange, for the EMS session hash.
    transcript: Vec<u8>,
    /// Transcript still being collected.
    transcript_on: bool,
    /// EMS session hash, fixed at the ClientKeyExchange.
    session_hash: Option<Vec<u8>>,
    encrypted_premaster: Option<Vec<u8>>,
    /// The server sent Certificate/ServerKeyExchange/ServerHelloDone (a full handshake).
    full_server_flight: bool,
    /// The server resumed a session (id echoed, or ticket accepted).
    resumed: bool,
    /// NewSessionTicket ticket from the server.
    issued_ticket: Vec<u8>,
    master: Option<Sourced>,
    /// Key store generation at the last unsuccessful key lookup.
    looked_up: Option<u64>,
    problem: Option<KeyProblem>,
    /// Server certificates at the front of `status.certificates`.
    server_certs: usize,
    /// Client certificates after them.
    client_certs: usize,
    saw_client_hello: bool,
    saw_server_hello: bool,
    /// Protected records arrived with no handshake seen before them.
    midstream: bool,
    any_verified: bool,
    lost_bytes: u64,
    lost_records: u64,
    framing_errors: u64,
    /// Part of the handshake was lost in a gap.
    handshake_gap: bool,
    /// A direction could not be resynchronised (stream cipher).
    unrecoverable: bool,
    /// The RSA private keys were tried on this connection's pre-master.
    rsa_tried: bool,
    /// `finish` ran.
    finished: bool,
}

/// Where decrypted data goes: `(direction, plaintext, frame)`; empty plaintext = discontinuity.
type Out<'a> = dyn FnMut(Direction, &[u8], SegmentMeta) + 'a;

/// `"1 record <what>"` / `"N records <what>"`.
fn records(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 record {what}")
    } else {
        format!("{n} records {what}")
    }
}

fn direction(i: usize) -> Direction {
    if i == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    }
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
        let i = dir.index();
        // Keys that arrived since may free the other direction's held records too.
        self.release_held(1 - i, keys, out);
        let mut first = Some(data);
        let mut next: Option<Vec<u8>> = None;
        loop {
            let holder;
            let input: &[u8] = if let Some(d) = first.take() {
                d
            } else if let Some(v) = next.take() {
                holder = v;
                &holder
            } else {
                return;
            };
            if input.is_empty() {
                return;
            }
            if self.dirs[i].resync.is_some() {
                next = self.resync_feed(i, input, meta, keys, out);
                continue;
            }
            let mut deframer = std::mem::take(&mut self.dirs[i].deframer);
            let res = deframer.feed(input, &mut |item| match item {
                Item::Record(h, frag) => self.on_record(i, h, frag, meta, keys, out),
                Item::Sslv2Hello(m) => self.on_sslv2_hello(i, m, keys),
                Item::Invalid => {}
            });
            self.dirs[i].deframer = deframer;
            if let Err(lost) = res {
                // Not a record header where one must be: find the framing again.
                self.framing_errors += 1;
                let mut bytes = lost.held;
                bytes.extend_from_slice(lost.rest);
                self.dirs[i].joiner.reset();
                self.dirs[i].resync = Some(Resync {
                    scan: 1,
                    ..Resync::default()
                });
                next = Some(bytes);
            }
        }
    }

    /// `len` bytes were lost in `dir`: resynchronise on the next record.
    pub fn gap(&mut self, dir: Direction, len: u64) {
        let i = dir.index();
        self.lost_bytes = self.lost_bytes.saturating_add(len);
        let half = &mut self.dirs[i];
        if !half.encrypted || self.tls13 && half.phase == Phase13::Handshake {
            self.handshake_gap = true;
            self.transcript_on = false;
        }
        let dropped = half.drop_partial() as u64;
        match &mut half.resync {
            Some(r) => {
                r.buf.clear();
                r.scan = 0;
                r.gap_bytes = r.gap_bytes.saturating_add(len);
            }
            None => {
                half.resync = Some(Resync {
                    gap_bytes: len.saturating_add(dropped),
                    ..Resync::default()
                })
            }
        }
    }

    /// The connection ended: settle the failure reason if nothing was decrypted.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        for h in &mut self.dirs {
            // Records whose keys never came.
            self.status.records_undecrypted += h.held.len() as u64;
            h.held.clear();
            h.held_bytes = 0;
            if h.deframer.pending() > 0 {
                self.status.records_undecrypted += 1;
            }
            if h.resync.is_some() {
                // Still looking for a record after a gap: at least the cut one is lost.
                self.lost_records += 1;
                self.status.records_undecrypted += 1;
            }
        }
        self.status.failure = self.failure();
    }

    /// Status for the report.
    pub fn status(&self) -> &TlsStatus {
        &self.status
    }

    /// The reason text, or `None` when everything seen was decrypted.
    fn failure(&self) -> Option<String> {
        let st = &self.status;
        let mut why: Vec<String> = Vec::new();
        if !st.decrypted {
            if self.midstream && !self.saw_client_hello {
                why.push("handshake not captured (the capture starts mid-connection)".into());
            } else if let Some(p) = &self.problem {
                why.push(self.problem_text(p));
            } else if self.integrity_failures_only() {
                why.push(format!(
                    "key does not match ({})",
                    records(st.integrity_failures, "failed integrity checks")
                ));
            } else if self.saw_client_hello && !self.saw_server_hello {
                why.push("ServerHello not captured".into());
            } else if self.handshake_gap && self.master.is_none() && !self.tls13 {
                why.push("handshake lost in a capture gap".into());
            } else if st.records_undecrypted == 0 && self.saw_server_hello {
                why.push("no application data".into());
            } else if !self.saw_client_hello {
                why.push("handshake not captured".into());
            } else if st.records_undecrypted > 0 {
                why.push(format!(
                    "no key for the application data ({})",
                    records(st.records_undecrypted, "not decrypted")
                ));
            }
        } else if st.integrity_failures > 0 {
            why.push(records(st.integrity_failures, "failed integrity checks"));
        }
        if self.lost_bytes > 0 {
            why.push(format!(
                "{} bytes lost in gaps; {}",
                self.lost_bytes,
                records(self.lost_records, "not decrypted")
            ));
        }
        if self.unrecoverable {
            why.push("the stream cipher cannot be resynchronised after a gap".into());
        }
        if self.framing_errors > 0 {
            why.push(format!(
                "record framing lost {} times (not TLS or corrupted)",
                self.framing_errors
            ));
        }
        (!why.is_empty()).then(|| why.join("; "))
    }

    fn integrity_failures_only(&self) -> bool {
        !self.any_verified && self.status.integrity_failures > 0
    }

    fn problem_text(&self, p: &KeyProblem) -> String {
        match p {
            KeyProblem::NoSecret => "no secret for this client random".into(),
            KeyProblem::NotRsa(kx) => format!(
                "no secret for this client random; key exchange is {kx}, not RSA: an RSA key cannot decrypt it"
            ),
            KeyProblem::RsaMismatch => "RSA key does not match the server certificate".into(),
            KeyProblem::RsaDecrypt => {
                "RSA key does not match (the pre-master secret did not decrypt)".into()
            }
            KeyProblem::Unsupported(name) => format!("unsupported cipher suite {name}"),
            KeyProblem::HandshakeIncomplete => {
                "handshake partly lost in a capture gap; the extended master secret needs all of it".into()
            }
            KeyProblem::ResumedUnknown => {
                "no secret for this client random; the resumed session's full handshake is not in the capture (or came more than 10,000 sessions earlier)".into()
            }
        }
    }

    // ----- records -----

    fn on_record(
        &mut self,
        i: usize,
        h: Header,
        frag: Fragment<'_>,
        meta: SegmentMeta,
        keys: &KeyStore,
        out: &mut Out<'_>,
    ) {
        if !self.dirs[i].encrypted {
            match h.content_type {
                CT_HANDSHAKE => {
                    self.dirs[i].joiner.push(frag.bytes());
                    self.drain_handshake(i, keys);
                }
                CT_CCS if !self.tls13 => self.start_protection(i, keys),
                // Application data before any ChangeCipherSpec: the handshake was not seen.
                CT_APPDATA => self.undecryptable(),
                _ => {}
            }
            return;
        }
        if h.content_type == CT_CCS && (self.tls13 || !self.dirs[i].awaiting_ccs) {
            // TLS 1.3 middlebox-compatibility record, or a stray one.
            return;
        }
        self.decrypt_record(i, h, frag, meta, keys, out);
        if h.content_type == CT_CCS {
            // The ChangeCipherSpec of a renegotiation: the new keys start now.
            let half = &mut self.dirs[i];
            half.awaiting_ccs = false;
            half.dec = half.pending_dec.take();
            half.seq = 0;
            half.nonce_delta = None;
            self.refresh_keys(keys);
        }
    }

    /// A protected record with no key: counted; before any ServerHello it means
    /// the capture joined the connection mid-stream.
    fn undecryptable(&mut self) {
        if !self.saw_server_hello {
            self.midstream = true;
        }
        self.status.records_undecrypted += 1;
    }

    /// A ChangeCipherSpec in direction `i` (TLS 1.0–1.2): records after it are protected.
    fn start_protection(&mut self, i: usize, keys: &KeyStore) {
        let h = &mut self.dirs[i];
        h.encrypted = true;
        h.seq = 0;
        h.joiner.reset();
        if i == 1 && !self.full_server_flight && !self.resumed && self.saw_server_hello {
            // Abbreviated handshake: the server accepted a ticket (or echoed the id).
            self.resumed = true;
            self.transcript_on = false;
            self.looked_up = None;
        }
        self.refresh_keys(keys);
    }

    fn decrypt_record(
        &mut self,
        i: usize,
        h: Header,
        frag: Fragment<'_>,
        meta: SegmentMeta,
        keys: &KeyStore,
        out: &mut Out<'_>,
    ) {
        if self.dirs[i].dec.is_none() && !self.dirs[i].stuck {
            self.refresh_keys(keys);
            if self.dirs[i].dec.is_none()
                && let Some(ct) = self.try_tls13_app_fallback(i, &h, frag.bytes())
            {
                self.after_decrypt(i, ct, meta, keys, out);
                return;
            }
        }
        let half = &mut self.dirs[i];
        if half.dec.is_none() {
            let seq = half.seq;
            half.seq = seq.wrapping_add(1);
            // A followed key log may still bring this session's secrets: hold the record.
            if keys.growing()
                && self.saw_server_hello
                && !half.stuck
                && half.held_bytes + frag.bytes().len() <= HOLD_MAX
            {
                half.held_bytes += frag.bytes().len();
                half.held.push(Held {
                    seq,
                    header: h,
                    frag: frag.bytes().to_vec(),
                    meta,
                });
                return;
            }
            self.undecryptable();
            return;
        }
        self.release_held(i, keys, out);
        let half = &mut self.dirs[i];
        let seq = half.seq;
        half.seq = seq.wrapping_add(1);
        self.decrypt_at(i, seq, h, frag, meta, keys, out);
    }

    /// Decrypts the records held while waiting for keys, once the keys are there.
    /// Inline, as it runs for every segment and record and nearly always finds none.
    #[inline]
    fn release_held(&mut self, i: usize, keys: &KeyStore, out: &mut Out<'_>) {
        if !self.dirs[i].held.is_empty() {
            self.release_held_records(i, keys, out);
        }
    }

    /// [`TlsFlow::release_held`] once there are held records.
    #[inline(never)]
    fn release_held_records(&mut self, i: usize, keys: &KeyStore, out: &mut Out<'_>) {
        if self.dirs[i].dec.is_none() {
            self.refresh_keys(keys);
            if self.dirs[i].dec.is_none() {
                return;
            }
        }
        let held = std::mem::take(&mut self.dirs[i].held);
        self.dirs[i].held_bytes = 0;
        for r in held {
            let frag = Fragment::Borrowed(&r.frag);
            self.decrypt_at(i, r.seq, r.header, frag, r.meta, keys, out);
        }
    }

    /// Decrypts one record with sequence number `seq` (keys present).
    #[allow(clippy::too_many_arguments)]
    fn decrypt_at(
        &mut self,
        i: usize,
        seq: u64,
        h: Header,
        frag: Fragment<'_>,
        meta: SegmentMeta,
        keys: &KeyStore,
        out: &mut Out<'_>,
    ) {
        let half = &mut self.dirs[i];
        let Some(dec) = half.dec.as_mut() else {
            self.status.records_undecrypted += 1;
            return;
        };
        // Read before decrypting: an assembled record is decrypted where it lies.
        let nonce = half
            .nonce_delta
            .is_none()
            .then(|| dec.explicit_nonce(frag.bytes()))
            .flatten();
        half.plain.clear();
        let (ty, version) = (h.content_type, h.version);
        let opened = match frag {
            Fragment::Borrowed(b) => dec.decrypt_into(seq, ty, version, b, &mut half.plain),
            Fragment::Assembled(record) => {
                half.plain.swap_in(record);
                dec.decrypt_in_place(seq, ty, version, &mut half.plain, HEADER_LEN)
            }
        };
        match opened {
            Ok(ct) => {
                if half.nonce_delta.is_none() {
                    half.nonce_delta = nonce.map(|n| n ^ seq);
                }
                half.verified += 1;
                self.any_verified = true;
                self.after_decrypt(i, ct, meta, keys, out);
            }
            Err(RecordError::Unsupported) => {
                self.status.records_undecrypted += 1;
            }
            Err(_) => {
                self.status.integrity_failures += 1;
                self.status.records_undecrypted += 1;
            }
        }
    }

    /// TLS 1.3 without handshake secrets but with application secrets: the
    /// first record that verifies with the application keys at sequence 0
    /// switches the direction to them. Returns its real content type.
    fn try_tls13_app_fallback(&mut self, i: usize, h: &Header, frag: &[u8]) -> Option<u8> {
        let suite = self.suite?;
        let half = &mut self.dirs[i];
        if !self.tls13 || half.phase != Phase13::Handshake || half.secret.is_some() {
            return None;
        }
        let app = half.app_secret.clone()?;
        let mut dec = decryptor13(suite, &app).ok()?;
        half.plain.clear();
        let ct = dec
            .try_decrypt_into(0, h.content_type, h.version, frag, &mut half.plain)
            .ok()?;
        half.phase = Phase13::Application;
        half.secret = Some(app);
        half.dec = Some(dec);
        half.seq = 1;
        half.verified += 1;
        self.any_verified = true;
        Some(ct)
    }

    /// Handles a verified record's plaintext (in `dirs[i].plain`) of real content type `ct`.
    fn after_decrypt(
        &mut self,
        i: usize,
        ct: u8,
        meta: SegmentMeta,
        keys: &KeyStore,
        out: &mut Out<'_>,
    ) {
        match ct {
            CT_APPDATA => {
                self.status.records_decrypted += 1;
                self.status.decrypted = true;
                let half = &self.dirs[i];
                if !half.plain.is_empty() {
                    out(direction(i), half.plain.as_slice(), meta);
                }
            }
            CT_HANDSHAKE => {
                let half = &mut self.dirs[i];
                half.joiner.push(half.plain.as_slice());
                self.drain_handshake(i, keys);
            }
            // Alerts (close_notify, errors) carry nothing for SIP.
            CT_ALERT => {}
            _ => {}
        }
    }

    /// A ClientHello under encryption (TLS 1.0–1.2): a new handshake whose keys
    /// take over in each direction at that direction's ChangeCipherSpec.
    fn start_renegotiation(&mut self) {
        self.master = None;
        self.looked_up = None;
        self.resumed = false;
        self.full_server_flight = false;
        self.encrypted_premaster = None;
        self.session_hash = None;
        self.issued_ticket = Vec::new();
        self.rsa_tried = false;
        for h in &mut self.dirs {
            h.awaiting_ccs = true;
            h.pending_dec = None;
        }
    }

    // ----- handshake -----

    fn on_sslv2_hello(&mut self, i: usize, m: &[u8], keys: &KeyStore) {
        if i != 0 {
            return;
        }
        if let Some(ch) = sslv2_client_hello(m) {
            self.transcript_on = true;
            self.transcript.clear();
            self.transcript.extend_from_slice(m);
            self.on_client_hello(ch, keys);
        }
    }

    fn drain_handshake(&mut self, i: usize, keys: &KeyStore) {
        let mut joiner = std::mem::take(&mut self.dirs[i].joiner);
        while let Some((t, msg)) = joiner.next_message() {
            self.on_handshake(i, t, msg, keys);
        }
        self.dirs[i].joiner = joiner;
    }

    fn on_handshake(&mut self, i: usize, t: u8, msg: &[u8], keys: &KeyStore) {
        let body = &msg[4..];
        if t == HS_CLIENT_HELLO && i == 0 {
            self.transcript_on = true;
            self.transcript.clear();
        }
        if t == HS_CLIENT_HELLO && i == 0 && self.dirs[0].encrypted && !self.tls13 {
            self.start_renegotiation();
        }
        if self.transcript_on {
            if self.transcript.len() + msg.len() <= MAX_TRANSCRIPT {
                self.transcript.extend_from_slice(msg);
            } else {
                self.transcript_on = false;
                self.transcript = Vec::new();
            }
        }
        match (i, t) {
            (0, HS_CLIENT_HELLO) => {
                if let Some(ch) = client_hello(body) {
                    self.on_client_hello(ch, keys);
                }
            }
            (1, HS_SERVER_HELLO) => {
                if let Some(sh) = server_hello(body) {
                    self.on_server_hello(sh, keys);
                }
            }
            (_, HS_CERTIFICATE) => self.on_certificate(i, body, keys),
            (1, 12 | HS_SERVER_HELLO_DONE) => self.full_server_flight = true,
            (0, HS_CLIENT_KEY_EXCHANGE) => self.on_client_key_exchange(body, keys),
            (1, HS_NEW_SESSION_TICKET) if !self.tls13 => {
                if let Some(t) = session_ticket(body) {
                    self.issued_ticket = t.to_vec();
                    self.remember_session(keys);
                }
            }
            (_, HS_FINISHED) if self.tls13 => self.tls13_finished(i),
            (_, HS_KEY_UPDATE) if self.tls13 => self.tls13_key_update(i),
            _ => {}
        }
    }

    fn on_client_hello(&mut self, ch: ClientHello, keys: &KeyStore) {
        self.saw_client_hello = true;
        if ch.sni.is_some() {
            self.status.sni = ch.sni.clone();
        }
        self.hello = Some(ch);
        let _ = keys;
    }

    fn on_server_hello(&mut self, sh: ServerHello, keys: &KeyStore) {
        self.saw_server_hello = true;
        self.status.version = Some(version_name(sh.version));
        let s = suite(sh.suite);
        self.status.cipher = Some(match s {
            Some(s) => s.name.to_string(),
            None => format!("0x{:04X}", sh.suite),
        });
        let tls13 = sh.version == 0x0304 || sh.version >> 8 == 0x7f;
        if sh.hello_retry {
            // Another ClientHello / ServerHello pair follows in the clear.
            self.tls13 = true;
            self.server = Some(sh);
            return;
        }
        self.version = sh.version;
        self.tls13 = tls13;
        self.suite = s;
        match s {
            _ if sh.version < 0x0301 => {
                self.problem = Some(KeyProblem::Unsupported(format!(
                    "{} (SSL 3.0 key derivation is not implemented)",
                    self.status.cipher.as_deref().unwrap_or("?")
                )));
            }
            None => {
                self.problem = Some(KeyProblem::Unsupported(format!("0x{:04X}", sh.suite)));
            }
            Some(s) if !s.supported => {
                self.problem = Some(KeyProblem::Unsupported(s.name.to_string()));
            }
            _ => {}
        }
        let echoed = !sh.session_id.is_empty()
            && self
                .hello
                .as_ref()
                .is_some_and(|c| c.session_id == sh.session_id);
        self.server = Some(sh);
        if tls13 {
            self.transcript_on = false;
            self.transcript = Vec::new();
            for h in &mut self.dirs {
                h.encrypted = true;
                h.seq = 0;
                h.phase = Phase13::Handshake;
                h.dec = None;
                h.joiner.reset();
            }
        } else {
            self.resumed = echoed;
            let rsa = s.is_some_and(|s| s.kx == KeyExchange::Rsa);
            if self.resumed || !rsa {
                self.transcript_on = false;
                self.transcript = Vec::new();
            }
        }
        self.looked_up = None;
        self.refresh_keys(keys);
    }

    fn on_certificate(&mut self, i: usize, body: &[u8], keys: &KeyStore) {
        if i == 1 {
            self.full_server_flight = true;
        }
        let seen = if i == 1 {
            self.server_certs
        } else {
            self.client_certs
        };
        if seen > 0 {
            return;
        }
        if let Some(ders) = certificates(body, self.tls13) {
            let infos = ders.into_iter().filter_map(|d| keys.cert_info(d));
            // Server certificates first, then the client's.
            let list = &mut self.status.certificates;
            if i == 1 {
                let before = list.len();
                list.splice(0..0, infos);
                self.server_certs = list.len() - before;
            } else {
                let before = list.len();
                list.extend(infos);
                self.client_certs = list.len() - before;
            }
        }
        self.looked_up = None;
    }

    fn on_client_key_exchange(&mut self, body: &[u8], keys: &KeyStore) {
        let rsa = self.suite.is_some_and(|s| s.kx == KeyExchange::Rsa);
        if !rsa || self.tls13 {
            return;
        }
        if let Some(enc) = rsa_encrypted_premaster(body, self.version) {
            self.encrypted_premaster = Some(enc.to_vec());
        }
        let ems = self.server.as_ref().is_some_and(|s| s.ems);
        if ems
            && self.transcript_on
            && let Some(s) = self.suite
        {
            self.session_hash = Some(prf_hash(self.version, s).hash(&self.transcript));
        }
        self.transcript_on = false;
        self.transcript = Vec::new();
        self.looked_up = None;
        self.refresh_keys(keys);
    }

    fn tls13_finished(&mut self, i: usize) {
        let Some(suite) = self.suite else {
            return;
        };
        let half = &mut self.dirs[i];
        if half.phase != Phase13::Handshake {
            return;
        }
        half.phase = Phase13::Application;
        half.seq = 0;
        half.secret = half.app_secret.clone();
        half.dec = half
            .secret
            .as_ref()
            .and_then(|s| decryptor13(suite, s).ok());
    }

    fn tls13_key_update(&mut self, i: usize) {
        let Some(suite) = self.suite else {
            return;
        };
        let half = &mut self.dirs[i];
        if half.phase != Phase13::Application {
            return;
        }
        half.seq = 0;
        half.secret = half
            .secret
            .as_ref()
            .map(|s| Secret::new(&next_traffic_secret(suite.prf, s.bytes())));
        half.dec = half
            .secret
            .as_ref()
            .and_then(|s| decryptor13(suite, s).ok());
    }

    // ----- keys -----

    /// Looks for keys if none are set up yet and the key store changed since the last look.
    fn refresh_keys(&mut self, keys: &KeyStore) {
        if self.master.is_some() && !self.tls13 {
            return;
        }
        if self.looked_up == Some(keys.generation()) {
            return;
        }
        if !self.saw_server_hello || self.suite.is_none() {
            return;
        }
        if matches!(self.problem, Some(KeyProblem::Unsupported(_))) {
            return;
        }
        self.looked_up = Some(keys.generation());
        if self.tls13 {
            self.keys13(keys);
        } else {
            self.keys12(keys);
        }
    }

    fn keys13(&mut self, keys: &KeyStore) {
        let (Some(suite), Some(ch)) = (self.suite, &self.hello) else {
            return;
        };
        let Some(cs) = keys.for_random(&ch.random) else {
            self.problem = Some(self.no_secret_problem(keys));
            return;
        };
        let pairs = [
            (&cs.client_hs, &cs.client_ap),
            (&cs.server_hs, &cs.server_ap),
        ];
        let mut source = None;
        for (half, (hs, ap)) in self.dirs.iter_mut().zip(pairs) {
            if half.dec.is_some() {
                continue;
            }
            half.app_secret = ap.as_ref().map(|s| s.secret.clone());
            let cur = match half.phase {
                Phase13::Handshake => hs,
                Phase13::Application => ap,
            };
            if let Some(s) = cur {
                half.secret = Some(s.secret.clone());
                half.dec = decryptor13(suite, &s.secret).ok();
                source = source.or(Some(s.source));
            } else if let Some(s) = ap {
                source = source.or(Some(s.source));
            }
        }
        if source.is_some() {
            self.status.key_source = source;
            self.problem = None;
        } else {
            self.problem = Some(KeyProblem::NoSecret);
        }
    }

    fn no_secret_problem(&self, keys: &KeyStore) -> KeyProblem {
        let kx = self.suite.map(|s| s.kx);
        match kx {
            Some(KeyExchange::Rsa) | None => KeyProblem::NoSecret,
            Some(k) if keys.has_rsa_keys() => KeyProblem::NotRsa(match k {
                KeyExchange::Ecdhe => "ECDHE",
                KeyExchange::Dhe => "DHE",
                KeyExchange::Tls13 => "TLS 1.3 (EC)DHE",
                _ => "not static RSA",
            }),
            Some(_) => KeyProblem::NoSecret,
        }
    }

    fn keys12(&mut self, keys: &KeyStore) {
        let (Some(suite), Some(ch), Some(sh)) = (self.suite, &self.hello, &self.server) else {
            return;
        };
        let p = Params {
            version: self.version,
            suite,
            client_random: &ch.random,
            server_random: &sh.random,
        };
        // 1. The key log, by client random.
        let mut found = keys.for_random(&ch.random).and_then(|c| c.master.clone());
        // 2. A session resumed from an earlier connection of this capture.
        if found.is_none() && self.resumed {
            found = keys.resumed_session(&sh.session_id, &ch.ticket);
            if found.is_none() {
                self.problem = Some(KeyProblem::ResumedUnknown);
                return;
            }
        }
        // 3. Static RSA: a key-log RSA line or an RSA private key.
        if found.is_none()
            && suite.kx == KeyExchange::Rsa
            && let Some(enc) = &self.encrypted_premaster
        {
            let ems = sh.ems;
            if ems && self.session_hash.is_none() {
                self.problem = Some(KeyProblem::HandshakeIncomplete);
                return;
            }
            let hash = self.session_hash.as_deref().filter(|_| ems);
            if let Some(pm) = keys.rsa_premaster(enc) {
                found = Some(Sourced {
                    secret: master_from_premaster(&p, pm.secret.bytes(), hash),
                    source: pm.source,
                });
            } else if keys.has_rsa_keys() && !self.rsa_tried {
                // RSA keys come from the command line only: one attempt is enough.
                self.rsa_tried = true;
                // The server's certificates come first: its leaf, if it sent any.
                let leaf = self
                    .status
                    .certificates
                    .first()
                    .filter(|_| self.server_certs > 0);
                let candidates: Vec<_> = keys
                    .rsa_keys()
                    .iter()
                    .filter(|k| leaf.is_none_or(|c| k.matches_certificate(&c.der)))
                    .collect();
                if candidates.is_empty() {
                    self.problem = Some(KeyProblem::RsaMismatch);
                    return;
                }
                match candidates.iter().find_map(|k| k.decrypt_premaster(enc)) {
                    Some(pm) => {
                        found = Some(Sourced {
                            secret: master_from_premaster(&p, &pm, hash),
                            source: KeySource::Rsa,
                        })
                    }
                    None => {
                        self.problem = Some(KeyProblem::RsaDecrypt);
                        return;
                    }
                }
            }
        }
        let Some(master) = found else {
            if !self.rsa_tried {
                self.problem = Some(self.no_secret_problem(keys));
            }
            return;
        };
        let Some(m) = master.secret.as_master() else {
            return;
        };
        let etm = sh.etm;
        let (c, s) = decryptors12(&p, m, etm);
        match (c, s) {
            (Ok(c), Ok(s)) => {
                for (half, dec) in self.dirs.iter_mut().zip([c, s]) {
                    // During a renegotiation the new keys wait for this side's ChangeCipherSpec.
                    if half.awaiting_ccs {
                        half.pending_dec = Some(dec);
                    } else {
                        half.dec = Some(dec);
                    }
                }
                self.problem = None;
                self.status.key_source = Some(master.source);
                self.master = Some(master);
                self.remember_session(keys);
            }
            _ => {
                self.problem = Some(KeyProblem::Unsupported(suite.name.to_string()));
            }
        }
    }

    /// Caches the master secret of this connection for later resumption.
    fn remember_session(&self, keys: &KeyStore) {
        let (Some(m), Some(sh)) = (&self.master, &self.server) else {
            return;
        };
        keys.remember_session(&sh.session_id, &self.issued_ticket, m);
    }

    // ----- loss recovery -----

    /// Scans bytes after a gap for a record boundary. Returns the bytes after
    /// the confirmed record for normal processing, or `None` while still looking.
    fn resync_feed(
        &mut self,
        i: usize,
        input: &[u8],
        meta: SegmentMeta,
        keys: &KeyStore,
        out: &mut Out<'_>,
    ) -> Option<Vec<u8>> {
        let filter = self.resync_filter(i);
        let mut rs = self.dirs[i].resync.take()?;
        rs.buf.extend_from_slice(input);
        loop {
            let Some((pos, h)) = next_candidate(&rs.buf, rs.scan, filter) else {
                rs.scan = rs.buf.len().saturating_sub(HEADER_LEN - 1).max(rs.scan);
                rs.compact();
                self.dirs[i].resync = Some(rs);
                return None;
            };
            let end = pos + HEADER_LEN + h.len;
            if rs.buf.len() < end {
                rs.scan = pos;
                rs.compact();
                self.dirs[i].resync = Some(rs);
                return None;
            }
            match self.confirm(i, &rs, pos, h, keys) {
                Confirm::Yes { consumed, seq, ct } => {
                    let half = &mut self.dirs[i];
                    let skipped = seq.saturating_sub(half.seq);
                    self.lost_records = self.lost_records.saturating_add(skipped);
                    self.status.records_undecrypted =
                        self.status.records_undecrypted.saturating_add(skipped);
                    half.seq = seq.wrapping_add(1);
                    half.verified += 1;
                    self.any_verified = true;
                    out(direction(i), &[], meta);
                    self.after_decrypt(i, ct, meta, keys, out);
                    return Some(rs.buf[consumed..].to_vec());
                }
                Confirm::Framed => {
                    if self.dirs[i].encrypted {
                        self.lost_records += 1;
                        out(direction(i), &[], meta);
                    }
                    return Some(rs.buf[pos..].to_vec());
                }
                Confirm::Wait => {
                    rs.scan = pos;
                    rs.compact();
                    self.dirs[i].resync = Some(rs);
                    return None;
                }
                Confirm::No => rs.scan = pos + 1,
            }
        }
    }

    fn resync_filter(&self, i: usize) -> Filter {
        let encrypted = self.dirs[i].encrypted;
        Filter {
            version: if self.tls13 && encrypted {
                Some(0x0303)
            } else if self.version != 0 && !self.tls13 {
                Some(self.version)
            } else {
                None
            },
            tls13: self.tls13 && encrypted,
            encrypted,
        }
    }

    /// Decides whether the candidate at `pos` starts a record.
    fn confirm(
        &mut self,
        i: usize,
        rs: &Resync,
        pos: usize,
        h: Header,
        keys: &KeyStore,
    ) -> Confirm {
        let buf = &rs.buf;
        let end = pos + HEADER_LEN + h.len;
        let frag = &buf[pos + HEADER_LEN..end];
        let half = &mut self.dirs[i];
        if !half.encrypted && h.content_type == CT_APPDATA && self.saw_server_hello && !self.tls13 {
            // Application data: the ChangeCipherSpec was lost in the gap.
            half.encrypted = true;
            half.seq = 0;
        }
        if half.encrypted && half.dec.is_none() && !half.stuck {
            self.refresh_keys(keys);
        }
        let implicit_iv = self.version <= 0x0301
            && self.suite.is_some_and(|s| {
                matches!(
                    s.cipher,
                    BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc | BulkCipher::TripleDesCbc
                )
            });
        let (tls13, suite) = (self.tls13, self.suite);
        let half = &mut self.dirs[i];
        let chained = || -> Confirm {
            // Without a decryptor: the next header must follow exactly.
            match buf.get(end..end + HEADER_LEN) {
                None => Confirm::Wait,
                Some(next) => match header(next) {
                    Some(n) if n.version == h.version => Confirm::Framed,
                    _ => Confirm::No,
                },
            }
        };
        if !half.encrypted || half.stuck || h.content_type == CT_CCS {
            return chained();
        }
        let Some(dec) = half.dec.as_mut() else {
            return chained();
        };
        let win = window(rs.gap_bytes);
        let first = half.seq;
        let mut hints = Vec::with_capacity(2);
        if let Some(n) = dec.explicit_nonce(frag) {
            if let Some(d) = half.nonce_delta {
                hints.push(n ^ d);
            }
            hints.push(n);
        }
        if !implicit_iv {
            if !dec.resync_ok() {
                // A stream cipher: the keystream position is lost for good.
                half.stuck = true;
                half.dec = None;
                self.unrecoverable = true;
                return chained();
            }
            if let Some((seq, ct)) = find_seq(dec, &h, frag, first, win, &hints, &mut half.plain) {
                return Confirm::Yes {
                    consumed: end,
                    seq,
                    ct,
                };
            }
            // TLS 1.3: a KeyUpdate may have been lost in the gap; try the next generations.
            if let (true, Phase13::Application, Some(suite)) = (tls13, half.phase, suite) {
                let mut secret = half.secret.clone();
                for _ in 0..MAX_LOST_KEY_UPDATES {
                    let Some(s) = secret else { break };
                    let next = Secret::new(&next_traffic_secret(suite.prf, s.bytes()));
                    if let Ok(mut d) = decryptor13(suite, &next)
                        && let Some((seq, ct)) =
                            find_seq(&mut d, &h, frag, 0, win, &[], &mut half.plain)
                    {
                        half.secret = Some(next);
                        half.dec = Some(d);
                        half.seq = 0;
                        return Confirm::Yes {
                            consumed: end,
                            seq,
                            ct,
                        };
                    }
                    secret = Some(next);
                }
            }
            return Confirm::No;
        }
        // TLS 1.0 CBC: the IV is the previous record's last ciphertext block.
        // Take it from this candidate and verify the record after it.
        let Some(nh) = buf.get(end..).and_then(header) else {
            return if buf.len() < end + HEADER_LEN {
                Confirm::Wait
            } else {
                Confirm::No
            };
        };
        let nend = end + HEADER_LEN + nh.len;
        if nh.version != h.version {
            return Confirm::No;
        }
        if buf.len() < nend {
            return Confirm::Wait;
        }
        let nfrag = &buf[end + HEADER_LEN..nend];
        let last = first.saturating_add(1).saturating_add(win);
        for seq in first.saturating_add(1)..=last {
            // Re-seeded before every attempt: a failed attempt may have moved the IV.
            dec.reseed_from(frag);
            half.plain.clear();
            if let Ok(ct) =
                dec.decrypt_into(seq, nh.content_type, nh.version, nfrag, &mut half.plain)
            {
                return Confirm::Yes {
                    consumed: nend,
                    seq,
                    ct,
                };
            }
        }
        dec.reseed_from(frag);
        Confirm::No
    }
}

/// Outcome of checking a resync candidate.
enum Confirm {
    /// Verified by decryption: bytes through `consumed` are done, plaintext is in the buffer.
    Yes {
        /// Offset just past the verified record.
        consumed: usize,
        /// Its sequence number.
        seq: u64,
        /// Its real content type.
        ct: u8,
    },
    /// Framing found without a decryptor: normal processing resumes at the candidate.
    Framed,
    /// More bytes are needed to decide.
    Wait,
    /// Not a record start.
    No,
}
