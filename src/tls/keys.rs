//! Where decryption secrets come from: NSS key-log files (`--keylog`),
//! pcapng Decryption Secrets Blocks, and RSA private keys (`--rsa-key`),
//! plus the TLS 1.2 session cache that lets a resumed connection reuse the
//! master secret of the full handshake it resumes.
//! Key material never appears in any output, log or error message.
//!
//! Memory: the secret lines of key-log files (`--keylog`) stay in the
//! files: the store keeps an index of 16 bytes a line and reads a line back
//! when a connection asks for its client random ([`super::keylog_index`]).
//! Secrets that arrive as text (pcapng DSB, a followed key log) are kept per
//! client random in sorted slices of exactly their size (about 82 bytes per
//! TLS 1.2 connection, 232 per TLS 1.3 one); the text itself is not kept. A
//! capture's own secrets go into a [`KeyStore::layered`] store over the
//! shared command-line one instead of a copy of it. The session cache is
//! bounded.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::cert::CertCache;
use super::crypto::RsaPrivateKey;
use super::keylog::{Label, Line, parse_line};
use super::keylog_index::{Found, KeylogIndex, MAX_LINE};
use super::secret::Secret;
use super::session::CertInfo;

/// Which kind of source supplied the secret that decrypted a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySource {
    /// An NSS key-log file given with `--keylog`.
    Keylog,
    /// An RSA private key given with `--rsa-key`.
    Rsa,
    /// A pcapng Decryption Secrets Block.
    Dsb,
}

/// Counters from loading key logs (never the secrets themselves).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyLogStats {
    /// Lines accepted.
    pub lines: u64,
    /// Lines that were not a known label with valid hex, by 1-based line number (first 20 kept).
    pub malformed: u64,
    /// Line numbers of the first malformed lines, for the report.
    pub malformed_lines: Vec<(String, u64)>,
    /// Secrets replaced by a later line for the same client random and label.
    pub duplicates: u64,
    /// Lookups that found a key-log file line unreadable or changed since it
    /// was indexed (the connection then has no secret from it); only
    /// reported when not zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub reread_failures: u64,
}

/// For serde: leaves a zero counter out of the report.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How many malformed line numbers are kept for the report.
const MAX_MALFORMED_KEPT: usize = 20;

/// Most session ids and tickets remembered for resumption, together. The most
/// recently remembered are kept (a full handshake with both an id and a
/// ticket uses two, so at least the last 10,000 full handshakes); a
/// connection that resumes an older session finds nothing, is not decrypted
/// and says that its session's full handshake is not available (the same
/// as for a session negotiated before the capture began).
pub(crate) const MAX_SESSION_KEYS: usize = 20_000;

/// A secret and the source it came from.
#[derive(Clone, Debug)]
pub(crate) struct Sourced {
    /// The secret.
    pub secret: Secret,
    /// Where it came from.
    pub source: KeySource,
}

/// Everything the key logs say about one client random: what a lookup
/// returns, built from the compact tables (not how secrets are stored).
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientSecrets {
    /// TLS 1.0–1.2 master secret.
    pub master: Option<Sourced>,
    /// TLS 1.3 client handshake traffic secret.
    pub client_hs: Option<Sourced>,
    /// TLS 1.3 server handshake traffic secret.
    pub server_hs: Option<Sourced>,
    /// TLS 1.3 client application traffic secret 0.
    pub client_ap: Option<Sourced>,
    /// TLS 1.3 server application traffic secret 0.
    pub server_ap: Option<Sourced>,
}

/// Every secret of a lookup as bytes and sources, in slot order (tests compare lookups).
#[cfg(test)]
pub(crate) type FlatSecrets = Vec<Option<(Vec<u8>, KeySource)>>;

#[cfg(test)]
impl ClientSecrets {
    /// The secrets as comparable bytes and sources, in slot order.
    pub(crate) fn flat(self) -> FlatSecrets {
        [
            self.master,
            self.client_hs,
            self.server_hs,
            self.client_ap,
            self.server_ap,
        ]
        .into_iter()
        .map(|s| s.map(|s| (s.secret.bytes().to_vec(), s.source)))
        .collect()
    }
}

/// The four TLS 1.3 secrets of one client random, in the order of [`tls13_slot`].
type Tls13Set = [Option<Sourced>; 4];

/// Where a label's secret lives: `None` for the TLS 1.2 master secret, else
/// its index in a [`Tls13Set`].
fn tls13_slot(label: Label) -> Option<usize> {
    match label {
        Label::ClientRandom => None,
        Label::ClientHandshake => Some(0),
        Label::ServerHandshake => Some(1),
        Label::ClientTraffic0 => Some(2),
        Label::ServerTraffic0 => Some(3),
    }
}

/// Recent additions are merged into the sorted slice once there are this
/// many, or an eighth of the slice if that is more.
const MERGE_MIN: usize = 1024;

/// Values by client random: most in a slice sorted by random, allocated at
/// exactly its length (a hash table would carry up to twice its entries in
/// empty buckets), the latest additions in a small hash map. A value already
/// in the slice is changed in place.
struct ByRandom<V> {
    sorted: Box<[([u8; 32], V)]>,
    recent: HashMap<[u8; 32], V>,
}

impl<V> Default for ByRandom<V> {
    fn default() -> Self {
        ByRandom {
            sorted: Box::default(),
            recent: HashMap::new(),
        }
    }
}

impl<V: Default> ByRandom<V> {
    fn find(&self, random: &[u8; 32]) -> Result<usize, usize> {
        self.sorted.binary_search_by(|(r, _)| r.cmp(random))
    }

    fn get(&self, random: &[u8; 32]) -> Option<&V> {
        match self.find(random) {
            Ok(i) => Some(&self.sorted[i].1),
            Err(_) => self.recent.get(random),
        }
    }

    /// The value for `random`, made (default) if there is none.
    fn get_or_default(&mut self, random: &[u8; 32]) -> &mut V {
        if let Ok(i) = self.find(random) {
            return &mut self.sorted[i].1;
        }
        if self.recent.len() >= MERGE_MIN.max(self.sorted.len() / 8)
            && !self.recent.contains_key(random)
        {
            self.merge();
        }
        self.recent.entry(*random).or_default()
    }

    /// Moves the recent additions into the sorted slice (their randoms are
    /// never in it already).
    fn merge(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        let mut fresh: Vec<([u8; 32], V)> = std::mem::take(&mut self.recent).into_iter().collect();
        fresh.sort_unstable_by_key(|e| e.0);
        let old = std::mem::take(&mut self.sorted).into_vec();
        let mut out = Vec::with_capacity(old.len() + fresh.len());
        let mut a = old.into_iter().peekable();
        let mut b = fresh.into_iter().peekable();
        loop {
            let from_old = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.0 < y.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            out.extend(if from_old { a.next() } else { b.next() });
        }
        self.sorted = out.into_boxed_slice();
    }

    fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }
}

/// Which kind of key a session was remembered under.
#[derive(Clone, Copy, Hash)]
enum SessionKey {
    Id,
    Ticket,
}

/// Resumable TLS 1.2 sessions, by a 64-bit digest of the session id or the
/// ticket (tickets can be hundreds of bytes). The digest is keyed at random
/// per run, so a capture cannot be made to collide on purpose; an accidental
/// collision (about 2^-37 with a full cache) would give a resumed connection
/// the wrong master secret, which fails the record integrity check and is
/// reported, never decrypted wrongly.
///
/// At most [`MAX_SESSION_KEYS`] ids and tickets are kept: beyond that the
/// one remembered longest ago is dropped (remembering one again, as a
/// resumption does, makes it the newest).
struct SessionCache {
    digest: RandomState,
    /// Digest → (when remembered, master secret).
    by_key: HashMap<u64, (u64, Sourced)>,
    /// (digest, when), oldest first; a pair whose digest was remembered again
    /// since is stale and skipped.
    order: VecDeque<(u64, u64)>,
    /// Counter for "when".
    next: u64,
    /// Ids and tickets dropped for the bound.
    evicted: u64,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache {
            digest: RandomState::new(),
            by_key: HashMap::new(),
            order: VecDeque::new(),
            next: 0,
            evicted: 0,
        }
    }
}

impl SessionCache {
    fn key(&self, kind: SessionKey, bytes: &[u8]) -> u64 {
        self.digest.hash_one((kind, bytes))
    }

    fn insert(&mut self, kind: SessionKey, bytes: &[u8], master: &Sourced) {
        let key = self.key(kind, bytes);
        let when = self.next;
        self.next += 1;
        self.by_key.insert(key, (when, master.clone()));
        self.order.push_back((key, when));
        while self.by_key.len() > MAX_SESSION_KEYS {
            let Some((k, w)) = self.order.pop_front() else {
                break;
            };
            if self.by_key.get(&k).is_some_and(|e| e.0 == w) {
                self.by_key.remove(&k);
                self.evicted += 1;
            }
        }
        // Keys remembered again leave stale pairs: drop them when they are half the queue.
        if self.order.len() > 2 * self.by_key.len().max(64) {
            let live = &self.by_key;
            self.order
                .retain(|(k, w)| live.get(k).is_some_and(|e| e.0 == *w));
        }
    }

    fn get(&self, kind: SessionKey, bytes: &[u8]) -> Option<&Sourced> {
        if bytes.is_empty() {
            return None;
        }
        self.by_key.get(&self.key(kind, bytes)).map(|e| &e.1)
    }
}

/// All secrets available to the TLS stage.
///
/// A store made by [`KeyStore::layered`] looks in its own secrets first and
/// then in its base's, without copying them, and shares the base's session
/// cache.
#[derive(Default)]
pub struct KeyStore {
    stats: KeyLogStats,
    /// TLS 1.0–1.2 master secrets (`None` only transiently).
    masters: ByRandom<Option<Sourced>>,
    /// TLS 1.3 traffic secrets.
    tls13: ByRandom<Tls13Set>,
    /// Secret lines of key-log files, read back on lookup; older than
    /// `masters` and `tls13` (a file is indexed only while those are empty).
    index: KeylogIndex,
    rsa_premaster: HashMap<[u8; 8], Sourced>,
    rsa_keys: Vec<Arc<RsaPrivateKey>>,
    /// Lines read so far per origin, so a growing key log's tail keeps its line numbers.
    lines_seen: HashMap<String, u64>,
    /// Bumped whenever a secret is added, so flows waiting for keys know to look again.
    generation: u64,
    /// Sessions remembered for resumption (a layered store uses its base's).
    sessions: Mutex<SessionCache>,
    /// Sessions cached so far (part of the generation: a resumed flow waiting for its session looks again).
    sessions_added: AtomicU64,
    /// Certificates parsed so far (a layered store uses its base's).
    certs: CertCache,
    /// More secrets may arrive while flows run (live capture following a key log).
    growing: bool,
    /// The store this one is layered over.
    base: Option<Arc<KeyStore>>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        KeyStore::default()
    }

    /// A store over `base`: it sees all of `base`'s secrets and RSA keys,
    /// takes secrets of its own (which win over `base`'s for the same client
    /// random and label, as a later key-log line would), and remembers
    /// sessions in `base`'s cache. Its counters start from `base`'s. Nothing
    /// of `base` is copied but its few RSA key handles and line counts.
    pub fn layered(base: Arc<KeyStore>) -> Self {
        KeyStore {
            stats: base.stats.clone(),
            rsa_keys: base.rsa_keys.clone(),
            lines_seen: base.lines_seen.clone(),
            growing: base.growing,
            base: Some(base),
            ..KeyStore::default()
        }
    }

    /// Says whether secrets may still arrive while flows run (a followed key
    /// log): flows then hold records they cannot decrypt yet, within a bound.
    pub fn set_growing(&mut self, growing: bool) {
        self.growing = growing;
    }

    /// Whether secrets may still arrive while flows run.
    pub fn growing(&self) -> bool {
        self.growing
    }

    /// Adds an NSS key-log file. Its secret lines are indexed, not kept:
    /// they are read back from the file (kept open) on lookup. Malformed
    /// lines are counted, not fatal. Into a store that already holds secrets
    /// from text the file is read into memory instead, so that later lines
    /// still win.
    pub fn load_keylog_file(&mut self, path: &Path) -> std::io::Result<()> {
        let file = std::fs::File::open(path)?;
        if self.masters.len() + self.tls13.len() > 0 {
            return self.read_keylog_file(file, path);
        }
        let mut reader = std::io::BufReader::with_capacity(64 << 10, file.try_clone()?);
        let file_no = self.index.begin_file(file)?;
        let origin = path.display().to_string();
        let mut number = self.lines_seen.get(&origin).copied().unwrap_or(0);
        let mut offset = 0u64;
        // Lines whose secret differs from one the base already has.
        let mut differs = Vec::new();
        let mut line = Vec::with_capacity(256);
        let result = loop {
            line.clear();
            let n = match reader.read_until(b'\n', &mut line) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            number += 1;
            let at = offset;
            offset += n as u64;
            let l = line.strip_suffix(b"\n").unwrap_or(&line);
            match parse_line(l) {
                Line::Secret {
                    label,
                    client_random,
                    secret,
                } if l.len() <= MAX_LINE => {
                    self.stats.lines += 1;
                    let word = match self.index.push(&client_random, label, file_no, at) {
                        Ok(w) => w,
                        Err(e) => break Err(e),
                    };
                    if let Some(base) = &self.base
                        && base
                            .secret(&client_random, label)
                            .is_some_and(|old| old.secret != secret)
                    {
                        differs.push(word);
                    }
                }
                // Too long to be read back whole: no real key log has one.
                Line::Secret { .. } => self.count_malformed(&origin, number),
                other => self.add_parsed(other, KeySource::Keylog, &origin, number),
            }
        };
        self.index.finish_file();
        differs.sort_unstable();
        self.stats.duplicates += self.index.duplicates_in(file_no, &differs);
        self.lines_seen.insert(origin, number);
        self.generation += 1;
        result
    }

    /// Adds every line of a key-log file to the in-memory tables, read line
    /// by line (the text is not kept).
    fn read_keylog_file(&mut self, file: std::fs::File, path: &Path) -> std::io::Result<()> {
        let mut reader = std::io::BufReader::with_capacity(64 << 10, file);
        let origin = path.display().to_string();
        let mut number = self.lines_seen.get(&origin).copied().unwrap_or(0);
        let mut line = Vec::with_capacity(256);
        let result = loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break Ok(()),
                Ok(_) => {
                    number += 1;
                    let l = line.strip_suffix(b"\n").unwrap_or(&line);
                    self.add_line(l, KeySource::Keylog, &origin, number);
                }
                Err(e) => break Err(e),
            }
        };
        self.lines_seen.insert(origin, number);
        self.generation += 1;
        self.settle();
        result
    }

    /// Adds key-log text from `origin` (a file name or "pcapng DSB").
    ///
    /// May be called again with more text from the same origin (a key log
    /// that grows): line numbers continue, and a later line for the same
    /// client random and label replaces the earlier one.
    pub fn add_keylog_text(&mut self, text: &[u8], source: KeySource, origin: &str) {
        let base = self.lines_seen.get(origin).copied().unwrap_or(0);
        // The piece after a final newline is empty, not a line.
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let mut count = 0u64;
        if !text.is_empty() {
            for line in text.split(|&b| b == b'\n') {
                count += 1;
                self.add_line(line, source, origin, base + count);
            }
        }
        self.lines_seen.insert(origin.to_string(), base + count);
        self.generation += 1;
        if count >= MERGE_MIN as u64 {
            self.settle();
        }
    }

    /// After a large load: everything into the exact-size sorted slices.
    fn settle(&mut self) {
        self.masters.merge();
        self.tls13.merge();
    }

    fn add_line(&mut self, line: &[u8], source: KeySource, origin: &str, number: u64) {
        self.add_parsed(parse_line(line), source, origin, number);
    }

    fn count_malformed(&mut self, origin: &str, number: u64) {
        self.stats.malformed += 1;
        if self.stats.malformed_lines.len() < MAX_MALFORMED_KEPT {
            self.stats
                .malformed_lines
                .push((origin.to_string(), number));
        }
    }

    fn add_parsed(&mut self, line: Line, source: KeySource, origin: &str, number: u64) {
        match line {
            Line::Comment => {}
            Line::Ignored => self.stats.lines += 1,
            Line::Malformed => self.count_malformed(origin, number),
            Line::Secret {
                label,
                client_random,
                secret,
            } => {
                self.stats.lines += 1;
                if self
                    .secret(&client_random, label)
                    .is_some_and(|old| old.secret != secret)
                {
                    self.stats.duplicates += 1;
                }
                let new = Some(Sourced { secret, source });
                match tls13_slot(label) {
                    None => *self.masters.get_or_default(&client_random) = new,
                    Some(i) => self.tls13.get_or_default(&client_random)[i] = new,
                }
            }
            Line::RsaPremaster { prefix, premaster } => {
                self.stats.lines += 1;
                if self
                    .rsa_premaster(&prefix)
                    .is_some_and(|old| old.secret != premaster)
                {
                    self.stats.duplicates += 1;
                }
                let new = Sourced {
                    secret: premaster,
                    source,
                };
                self.rsa_premaster.insert(prefix, new);
            }
        }
    }

    /// The secret for a client random and label, here (from text, else from
    /// an indexed file) or in the base.
    fn secret(&self, client_random: &[u8; 32], label: Label) -> Option<Sourced> {
        let own = match tls13_slot(label) {
            None => self.masters.get(client_random).and_then(Option::as_ref),
            Some(i) => self
                .tls13
                .get(client_random)
                .and_then(|set| set[i].as_ref()),
        };
        if let Some(own) = own {
            return Some(own.clone());
        }
        if self.index.len() > 0 {
            let [found, ..] = self.indexed(client_random, Some(label));
            if found.is_some() {
                return found;
            }
        }
        self.base.as_ref()?.secret(client_random, label)
    }

    /// What the indexed key-log files hold for a client random (all labels,
    /// or `only` one, which then comes first), newest line per label.
    fn indexed(&self, client_random: &[u8; 32], only: Option<Label>) -> [Option<Sourced>; 5] {
        let found: Found = self.index.lookup(client_random, only);
        let mut out = found.map(|s| {
            s.map(|secret| Sourced {
                secret,
                source: KeySource::Keylog,
            })
        });
        if let Some(l) = only {
            out.swap(0, super::keylog_index::label_code(l));
        }
        out
    }

    /// Adds an RSA private key from a PEM file (PKCS#1 or PKCS#8).
    pub fn load_rsa_pem(&mut self, path: &Path) -> Result<(), String> {
        let pem = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
        let key = RsaPrivateKey::from_pem(&pem)?;
        if !self
            .rsa_keys
            .iter()
            .any(|k| k.public_id() == key.public_id())
        {
            self.rsa_keys.push(Arc::new(key));
        }
        self.generation += 1;
        Ok(())
    }

    /// Loading counters, and lookups that could not read a key-log line back.
    pub fn stats(&self) -> KeyLogStats {
        let mut stats = self.stats.clone();
        let mut store = Some(self);
        while let Some(s) = store {
            stats.reread_failures += s.index.failures();
            store = s.base.as_deref();
        }
        stats
    }

    /// Changes whenever secrets are added, here or in the base, or a session
    /// is remembered (flows still without keys look again).
    pub(crate) fn generation(&self) -> u64 {
        let own = self
            .generation
            .wrapping_add(self.sessions_added.load(Ordering::Relaxed));
        match &self.base {
            Some(b) => own.wrapping_add(b.generation()),
            None => own,
        }
    }

    /// What the key logs hold for a client random (this store's secrets over its base's).
    pub(crate) fn for_random(&self, client_random: &[u8; 32]) -> Option<ClientSecrets> {
        let mut found = self.base.as_ref().and_then(|b| b.for_random(client_random));
        if self.index.len() > 0 {
            let [master, slots @ ..] = self.indexed(client_random, None);
            if master.is_some() || slots.iter().any(Option::is_some) {
                let cs = found.get_or_insert_with(ClientSecrets::default);
                let fields = [
                    &mut cs.master,
                    &mut cs.client_hs,
                    &mut cs.server_hs,
                    &mut cs.client_ap,
                    &mut cs.server_ap,
                ];
                for (field, secret) in fields.into_iter().zip([master].into_iter().chain(slots)) {
                    if secret.is_some() {
                        *field = secret;
                    }
                }
            }
        }
        let master = self.masters.get(client_random).and_then(Option::as_ref);
        let set = self.tls13.get(client_random);
        if master.is_none() && set.is_none() {
            return found;
        }
        let cs = found.get_or_insert_with(ClientSecrets::default);
        if let Some(m) = master {
            cs.master = Some(m.clone());
        }
        if let Some(set) = set {
            let slots = [
                &mut cs.client_hs,
                &mut cs.server_hs,
                &mut cs.client_ap,
                &mut cs.server_ap,
            ];
            for (slot, own) in slots.into_iter().zip(set) {
                if own.is_some() {
                    slot.clone_from(own);
                }
            }
        }
        found
    }

    /// The pre-master of a key-log `RSA` line, by the first 8 bytes of the encrypted pre-master.
    pub(crate) fn rsa_premaster(&self, encrypted: &[u8]) -> Option<&Sourced> {
        let prefix: [u8; 8] = encrypted.get(..8)?.try_into().ok()?;
        self.rsa_premaster
            .get(&prefix)
            .or_else(|| self.base.as_ref()?.rsa_premaster(&prefix))
    }

    /// The RSA private keys given.
    pub(crate) fn rsa_keys(&self) -> &[Arc<RsaPrivateKey>] {
        &self.rsa_keys
    }

    /// True when some source could decrypt a static-RSA handshake without a per-connection line.
    pub(crate) fn has_rsa_keys(&self) -> bool {
        !self.rsa_keys.is_empty()
    }

    /// The store whose session cache this one uses (the bottom of the layers).
    fn session_store(&self) -> &KeyStore {
        match &self.base {
            Some(b) => b.session_store(),
            None => self,
        }
    }

    /// Remembers a full handshake's master secret under its session id and/or
    /// ticket (see [`MAX_SESSION_KEYS`] for how many are kept).
    pub(crate) fn remember_session(&self, id: &[u8], ticket: &[u8], master: &Sourced) {
        let store = self.session_store();
        let Ok(mut cache) = store.sessions.lock() else {
            return;
        };
        if !id.is_empty() {
            cache.insert(SessionKey::Id, id, master);
        }
        if !ticket.is_empty() {
            cache.insert(SessionKey::Ticket, ticket, master);
        }
        store.sessions_added.fetch_add(1, Ordering::Relaxed);
    }

    /// A handshake certificate parsed for the report (cached across connections).
    pub(crate) fn cert_info(&self, der: &[u8]) -> Option<CertInfo> {
        self.session_store().certs.cert_info(der)
    }

    /// The master secret of a session resumed by ticket (preferred) or by id,
    /// if it is still remembered.
    pub(crate) fn resumed_session(&self, id: &[u8], ticket: &[u8]) -> Option<Sourced> {
        let cache = self.session_store().sessions.lock().ok()?;
        cache
            .get(SessionKey::Ticket, ticket)
            .or_else(|| cache.get(SessionKey::Id, id))
            .cloned()
    }
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (sessions, evicted) = self
            .sessions
            .lock()
            .map(|c| (c.by_key.len(), c.evicted))
            .unwrap_or_default();
        f.debug_struct("KeyStore")
            .field("tls12_client_randoms", &self.masters.len())
            .field("tls13_client_randoms", &self.tls13.len())
            .field("keylog_files_indexed", &self.index.files())
            .field("keylog_lines_indexed", &self.index.len())
            .field("rsa_premasters", &self.rsa_premaster.len())
            .field("rsa_keys", &self.rsa_keys.len())
            .field("sessions", &sessions)
            .field("sessions_evicted", &evicted)
            .field("stats", &self.stats)
            .field("layered", &self.base.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: &str = "d7310512f5b7dc0988ddc0a5b062913a07a7c4ae536520dd9c38bf271781b326";

    fn cr() -> [u8; 32] {
        let mut a = [0u8; 32];
        hex::decode_to_slice(CR, &mut a).unwrap();
        a
    }

    #[test]
    fn loads_counts_and_latest_wins() {
        let mut ks = KeyStore::new();
        let text = format!(
            "# comment\nCLIENT_RANDOM {CR} {a}\nbogus line\nCLIENT_RANDOM {CR} {b}\r\nCLIENT_RANDOM {CR} {b}\nSERVER_TRAFFIC_SECRET_0 {CR} {c}\nEXPORTER_SECRET {CR} {c}",
            a = "aa".repeat(48),
            b = "bb".repeat(48),
            c = "cc".repeat(32)
        );
        ks.add_keylog_text(text.as_bytes(), KeySource::Keylog, "k.log");
        let st = ks.stats();
        assert_eq!(st.lines, 5);
        assert_eq!(st.malformed, 1);
        assert_eq!(st.malformed_lines, vec![("k.log".to_string(), 3)]);
        assert_eq!(st.duplicates, 1);
        let s = ks.for_random(&cr()).unwrap();
        assert_eq!(s.master.as_ref().unwrap().secret.bytes(), &[0xbb; 48][..]);
        assert_eq!(s.server_ap.as_ref().unwrap().secret.bytes().len(), 32);
        assert!(s.client_ap.is_none());
    }

    #[test]
    fn growing_log_keeps_line_numbers_and_source() {
        let mut ks = KeyStore::new();
        ks.add_keylog_text(b"x\ny\n", KeySource::Keylog, "live");
        let g = ks.generation();
        let more = format!("CLIENT_RANDOM {CR} {}\nz\n", "aa".repeat(48));
        ks.add_keylog_text(more.as_bytes(), KeySource::Dsb, "live");
        assert!(ks.generation() > g);
        assert_eq!(
            ks.stats().malformed_lines,
            vec![
                ("live".to_string(), 1),
                ("live".to_string(), 2),
                ("live".to_string(), 4)
            ]
        );
        let m = ks.for_random(&cr()).unwrap().master.unwrap();
        assert_eq!(m.source, KeySource::Dsb);
    }

    #[test]
    fn rsa_lines_by_prefix() {
        let mut ks = KeyStore::new();
        let l = format!("RSA 8b8e5c44e0e29957 {}\n", "03".repeat(48));
        ks.add_keylog_text(l.as_bytes(), KeySource::Keylog, "k");
        let enc = hex::decode("8b8e5c44e0e29957ffff").unwrap();
        assert!(ks.rsa_premaster(&enc).is_some());
        assert!(ks.rsa_premaster(&enc[..4]).is_none());
    }

    /// A client random made from a number.
    fn nth(i: u32) -> [u8; 32] {
        let mut r = [0x5a; 32];
        r[..4].copy_from_slice(&i.to_be_bytes());
        r[28..].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
        r
    }

    fn master(b: u8) -> Sourced {
        Sourced {
            secret: Secret::new(&[b; 48]),
            source: KeySource::Keylog,
        }
    }

    #[test]
    fn entries_are_compact() {
        // A TLS 1.2 connection: the random and one master secret with its source.
        assert!(std::mem::size_of::<([u8; 32], Option<Sourced>)>() <= 82);
        // A TLS 1.3 connection: the random and four secrets of up to 48 bytes.
        assert!(std::mem::size_of::<([u8; 32], Tls13Set)>() <= 232);
    }

    #[test]
    fn many_randoms_keep_tls12_and_tls13_secrets_and_count_duplicates() {
        const N: u32 = 5000;
        let mut text = String::new();
        for i in 0..N {
            let r = hex::encode(nth(i));
            if i % 2 == 0 {
                text += &format!("CLIENT_RANDOM {r} {}\n", hex::encode([i as u8; 48]));
            } else {
                text += &format!("CLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {}\n", "11".repeat(32));
                text += &format!(
                    "SERVER_TRAFFIC_SECRET_0 {r} {}\n",
                    hex::encode([i as u8; 48])
                );
            }
        }
        let mut ks = KeyStore::new();
        // In pieces, as a followed key log arrives: additions meet both the
        // sorted slice and the recent map.
        let lines: Vec<&str> = text.lines().collect();
        for chunk in lines.chunks(300) {
            ks.add_keylog_text(chunk.join("\n").as_bytes(), KeySource::Keylog, "k");
        }
        assert_eq!(ks.stats().lines, u64::from(N) / 2 * 3);
        assert_eq!(ks.stats().duplicates, 0);
        assert!(!ks.masters.sorted.is_empty() && !ks.tls13.sorted.is_empty());
        for i in 0..N {
            let cs = ks.for_random(&nth(i)).unwrap();
            if i % 2 == 0 {
                assert_eq!(cs.master.unwrap().secret.bytes(), &[i as u8; 48][..]);
                assert!(cs.server_ap.is_none() && cs.client_hs.is_none());
            } else {
                assert!(cs.master.is_none() && cs.client_ap.is_none() && cs.server_hs.is_none());
                assert_eq!(cs.client_hs.unwrap().secret.bytes(), &[0x11; 32][..]);
                assert_eq!(cs.server_ap.unwrap().secret.bytes(), &[i as u8; 48][..]);
            }
        }
        assert!(ks.for_random(&nth(N)).is_none());
        // Same secret again: not a duplicate; a different one is, and wins.
        let again = format!(
            "CLIENT_RANDOM {} {}\nCLIENT_RANDOM {} {}\nSERVER_TRAFFIC_SECRET_0 {} {}",
            hex::encode(nth(2)),
            hex::encode([2u8; 48]),
            hex::encode(nth(4)),
            "ff".repeat(48),
            hex::encode(nth(3)),
            "ee".repeat(48),
        );
        ks.add_keylog_text(again.as_bytes(), KeySource::Dsb, "k");
        assert_eq!(ks.stats().duplicates, 2);
        let four = ks.for_random(&nth(4)).unwrap().master.unwrap();
        assert_eq!(
            (four.secret.bytes(), four.source),
            (&[0xff; 48][..], KeySource::Dsb)
        );
        let three = ks.for_random(&nth(3)).unwrap();
        assert_eq!(three.server_ap.unwrap().secret.bytes(), &[0xee; 48][..]);
        assert_eq!(three.client_hs.unwrap().source, KeySource::Keylog);
        // A large load ends fully sorted: no hash-table slack is left.
        let mut bulk = KeyStore::new();
        bulk.add_keylog_text(text.as_bytes(), KeySource::Keylog, "k");
        assert!(bulk.masters.recent.is_empty() && bulk.tls13.recent.is_empty());
        assert_eq!(
            bulk.masters.sorted.len() + bulk.tls13.sorted.len(),
            N as usize
        );
    }

    #[test]
    fn file_is_read_line_by_line_like_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.log");
        let text = format!(
            "# c\r\nCLIENT_RANDOM {CR} {}\r\nbad\n\nCLIENT_RANDOM {CR} {}",
            "aa".repeat(48),
            "bb".repeat(48)
        );
        std::fs::write(&p, &text).unwrap();
        let mut from_file = KeyStore::new();
        from_file.load_keylog_file(&p).unwrap();
        let mut from_text = KeyStore::new();
        let origin = p.display().to_string();
        from_text.add_keylog_text(text.as_bytes(), KeySource::Keylog, &origin);
        assert_eq!(from_file.stats(), from_text.stats());
        assert_eq!(from_file.stats().malformed_lines, vec![(origin.clone(), 3)]);
        assert_eq!(from_file.lines_seen[&origin], 5);
        let m = from_file.for_random(&cr()).unwrap().master.unwrap();
        assert_eq!(m.secret.bytes(), &[0xbb; 48][..]);
        assert!(
            KeyStore::new()
                .load_keylog_file(&dir.path().join("none"))
                .is_err()
        );
    }

    /// A lookup's secrets as bytes and sources, by label.
    type Flat = FlatSecrets;

    /// Every secret of a lookup as comparable bytes and sources.
    fn flat(cs: Option<ClientSecrets>) -> Option<Flat> {
        cs.map(ClientSecrets::flat)
    }

    /// Key-log text over randoms `0..n`: TLS 1.2 and 1.3 lines, comments,
    /// malformed and ignored lines, CRLF, and repeated lines (same secret and
    /// a different one).
    fn mixed_log(n: u32, salt: u8) -> String {
        let mut t = String::from("# SSL/TLS secrets log file\n");
        for i in 0..n {
            let r = hex::encode(nth(i));
            let b = (i as u8) ^ salt;
            match i % 4 {
                0 => t += &format!("CLIENT_RANDOM {r} {}\n", hex::encode([b; 48])),
                1 => {
                    for l in [
                        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                        "CLIENT_TRAFFIC_SECRET_0",
                        "SERVER_TRAFFIC_SECRET_0",
                    ] {
                        t += &format!("{l} {r} {}\r\n", hex::encode([b; 32]));
                    }
                    t += &format!("EXPORTER_SECRET {r} {}\n", "11".repeat(32));
                }
                2 => {
                    t += &format!("CLIENT_RANDOM {r} {}\n", hex::encode([b; 48]));
                    t += "not a line\n\n";
                    t += &format!("CLIENT_RANDOM {r} {}\n", hex::encode([b; 48]));
                }
                _ => {
                    t += &format!("SERVER_TRAFFIC_SECRET_0 {r} {}\n", "ee".repeat(48));
                    t += &format!("CLIENT_RANDOM {r} {}\n", hex::encode([b; 48]));
                    t += &format!("SERVER_TRAFFIC_SECRET_0 {r} {}\n", hex::encode([b; 48]));
                }
            }
        }
        t
    }

    #[test]
    fn indexed_file_gives_what_the_in_memory_tables_give() {
        const N: u32 = 3000;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.log");
        let text = mixed_log(N, 0);
        std::fs::write(&p, &text).unwrap();
        let mut file = KeyStore::new();
        file.load_keylog_file(&p).unwrap();
        let mut mem = KeyStore::new();
        let origin = p.display().to_string();
        mem.add_keylog_text(text.as_bytes(), KeySource::Keylog, &origin);
        // Nothing of the file is held in the in-memory tables.
        assert_eq!(file.masters.len() + file.tls13.len(), 0);
        assert!(file.index.len() > N as usize);
        assert_eq!(file.stats(), mem.stats());
        assert_eq!(file.stats().duplicates, u64::from(N) / 4);
        assert_eq!(file.stats().malformed, u64::from(N) / 4);
        for i in 0..N {
            let got = flat(file.for_random(&nth(i)));
            assert!(got.is_some(), "{i}");
            assert_eq!(got, flat(mem.for_random(&nth(i))), "{i}");
        }
        // The later, different secret won.
        let three = file.for_random(&nth(3)).unwrap().server_ap.unwrap();
        assert_eq!(three.secret.bytes(), &[3; 48][..]);
        // Misses, and no read failed.
        for i in N..N + 100 {
            assert!(file.for_random(&nth(i)).is_none());
        }
        assert_eq!(file.stats().reread_failures, 0);
    }

    #[test]
    fn several_files_later_lines_win_as_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let (pa, pb) = (dir.path().join("a.log"), dir.path().join("b.log"));
        let (ta, tb) = (mixed_log(400, 0), mixed_log(300, 0x40));
        std::fs::write(&pa, &ta).unwrap();
        std::fs::write(&pb, &tb).unwrap();
        let mut file = KeyStore::new();
        let mut mem = KeyStore::new();
        for (p, t) in [(&pa, &ta), (&pb, &tb), (&pa, &ta)] {
            file.load_keylog_file(p).unwrap();
            mem.add_keylog_text(t.as_bytes(), KeySource::Keylog, &p.display().to_string());
            assert_eq!(file.stats(), mem.stats());
        }
        assert_eq!(file.index.files(), 3);
        assert_eq!(file.lines_seen, mem.lines_seen);
        for i in 0..420 {
            assert_eq!(
                flat(file.for_random(&nth(i))),
                flat(mem.for_random(&nth(i))),
                "{i}"
            );
        }
        // Just a.log again at the end: its secrets won over b.log's.
        let m = file.for_random(&nth(0)).unwrap().master.unwrap();
        assert_eq!(m.secret.bytes(), &[0; 48][..]);
    }

    #[test]
    fn file_over_a_base_and_text_after_a_file_keep_the_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.log");
        let text = mixed_log(200, 0x22);
        std::fs::write(&p, &text).unwrap();
        let mut base = KeyStore::new();
        base.add_keylog_text(mixed_log(100, 0).as_bytes(), KeySource::Dsb, "dsb");
        let base = Arc::new(base);
        let mut file = KeyStore::layered(base.clone());
        file.load_keylog_file(&p).unwrap();
        let mut mem = KeyStore::layered(base);
        mem.add_keylog_text(text.as_bytes(), KeySource::Keylog, &p.display().to_string());
        assert_eq!(file.stats(), mem.stats());
        let more = mixed_log(50, 0x77);
        for ks in [&mut file, &mut mem] {
            ks.add_keylog_text(more.as_bytes(), KeySource::Dsb, "dsb");
        }
        // A file into a store holding text is read into memory: still in order.
        file.load_keylog_file(&p).unwrap();
        mem.add_keylog_text(text.as_bytes(), KeySource::Keylog, &p.display().to_string());
        assert_eq!(file.stats(), mem.stats());
        for i in 0..210 {
            assert_eq!(
                flat(file.for_random(&nth(i))),
                flat(mem.for_random(&nth(i))),
                "{i}"
            );
        }
    }

    #[test]
    fn file_changed_after_indexing_gives_no_secret_and_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.log");
        std::fs::write(&p, mixed_log(40, 0)).unwrap();
        let mut ks = KeyStore::new();
        ks.load_keylog_file(&p).unwrap();
        assert!(ks.for_random(&nth(4)).is_some());
        // Truncated: nothing to read back.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(0)
            .unwrap();
        assert!(ks.for_random(&nth(4)).is_none());
        assert_eq!(ks.stats().reread_failures, 1);
        // A miss reads nothing.
        assert!(ks.for_random(&nth(1000)).is_none());
        assert_eq!(ks.stats().reread_failures, 1);
        // Rewritten with other lines: no wrong secret is returned.
        std::fs::write(
            &p,
            mixed_log(40, 0x99).replace("CLIENT_RANDOM", "CLIENT_RANDOM "),
        )
        .unwrap();
        let layer = KeyStore::layered(Arc::new(ks));
        assert!(layer.for_random(&nth(4)).and_then(|c| c.master).is_none());
        assert!(layer.stats().reread_failures > 1);
        let text = serde_json::to_string(&layer.stats()).unwrap();
        assert!(text.contains("reread_failures"), "{text}");
        let clean = serde_json::to_string(&KeyStore::new().stats()).unwrap();
        assert!(!clean.contains("reread_failures"), "{clean}");
    }

    #[test]
    fn session_cache_keeps_the_most_recent() {
        let ks = KeyStore::new();
        let id = |i: usize| format!("session-{i}").into_bytes();
        for i in 0..MAX_SESSION_KEYS {
            ks.remember_session(&id(i), b"", &master(1));
        }
        assert!(ks.resumed_session(&id(0), b"").is_some());
        // Resuming session 0 remembers it again: it becomes the newest.
        ks.remember_session(&id(0), b"", &master(1));
        ks.remember_session(&id(MAX_SESSION_KEYS), b"", &master(2));
        ks.remember_session(&id(MAX_SESSION_KEYS + 1), b"", &master(3));
        // The two oldest (1 and 2) were dropped; 0 was kept.
        assert!(ks.resumed_session(&id(1), b"").is_none());
        assert!(ks.resumed_session(&id(2), b"").is_none());
        assert!(ks.resumed_session(&id(0), b"").is_some());
        assert!(ks.resumed_session(&id(3), b"").is_some());
        let last = ks.resumed_session(&id(MAX_SESSION_KEYS + 1), b"").unwrap();
        assert_eq!(last.secret.bytes(), &[3; 48][..]);
        let cache = ks.sessions.lock().unwrap();
        assert_eq!(cache.by_key.len(), MAX_SESSION_KEYS);
        assert_eq!(cache.evicted, 2);
    }

    #[test]
    fn session_cache_queue_stays_bounded_when_one_session_resumes_often() {
        let ks = KeyStore::new();
        for _ in 0..10_000 {
            ks.remember_session(b"same", b"long ticket", &master(1));
        }
        let cache = ks.sessions.lock().unwrap();
        assert_eq!(cache.by_key.len(), 2);
        assert!(cache.order.len() <= 2 * 64 + 1, "{}", cache.order.len());
    }

    #[test]
    fn session_ids_and_tickets_do_not_mix() {
        let ks = KeyStore::new();
        ks.remember_session(b"abc", b"", &master(1));
        assert!(ks.resumed_session(b"", b"abc").is_none());
        ks.remember_session(b"", b"xyz", &master(2));
        assert!(ks.resumed_session(b"xyz", b"").is_none());
        // The ticket wins over the id.
        let m = ks.resumed_session(b"abc", b"xyz").unwrap();
        assert_eq!(m.secret.bytes(), &[2; 48][..]);
    }

    #[test]
    fn layers_share_the_session_cache_and_rsa_keys() {
        let mut base = KeyStore::new();
        let pem = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/keys/edge-rsa.pkcs1.pem"
        );
        base.load_rsa_pem(Path::new(pem)).unwrap();
        let l = format!("RSA 8b8e5c44e0e29957 {}\n", "03".repeat(48));
        base.add_keylog_text(l.as_bytes(), KeySource::Keylog, "k");
        let base = Arc::new(base);
        base.remember_session(b"before", b"", &master(1));
        let a = KeyStore::layered(base.clone());
        let b = KeyStore::layered(base.clone());
        assert!(a.has_rsa_keys() && a.rsa_keys().len() == 1);
        let enc = hex::decode("8b8e5c44e0e29957ffff").unwrap();
        assert!(a.rsa_premaster(&enc).is_some());
        let g = b.generation();
        a.remember_session(b"in-a", b"", &master(2));
        assert!(b.resumed_session(b"in-a", b"").is_some());
        assert!(b.resumed_session(b"before", b"").is_some());
        assert!(base.resumed_session(b"in-a", b"").is_some());
        assert_ne!(b.generation(), g, "a waiting resumption looks again");
        let d = format!("{a:?}");
        assert!(d.contains("layered: true") && !d.contains("[3"), "{d}");
    }

    #[test]
    fn session_cache() {
        let ks = KeyStore::new();
        let m = Sourced {
            secret: Secret::new(&[7; 48]),
            source: KeySource::Rsa,
        };
        ks.remember_session(b"id1", b"", &m);
        ks.remember_session(b"", b"tkt", &m);
        assert!(ks.resumed_session(b"id1", b"").is_some());
        assert!(ks.resumed_session(b"nope", b"tkt").is_some());
        assert!(ks.resumed_session(b"nope", b"").is_none());
        assert!(ks.resumed_session(b"", b"").is_none());
    }

    #[test]
    fn debug_has_no_secrets() {
        let mut ks = KeyStore::new();
        let l = format!("CLIENT_RANDOM {CR} {}\n", "ab".repeat(48));
        ks.add_keylog_text(l.as_bytes(), KeySource::Keylog, "k");
        let d = format!("{ks:?}");
        assert!(!d.contains("171") && !d.contains("abab"), "{d}");
    }
}
