//! Where decryption secrets come from: NSS key-log files (`--keylog`),
//! pcapng Decryption Secrets Blocks, and RSA private keys (`--rsa-key`),
//! plus the TLS 1.2 session cache that lets a resumed connection of the same
//! capture reuse the master secret of the full handshake it resumes.
//! Key material never appears in any output, log or error message.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::crypto::RsaPrivateKey;
use super::keylog::{Label, Line, parse_line};
use super::secret::Secret;

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
}

/// How many malformed line numbers are kept for the report.
const MAX_MALFORMED_KEPT: usize = 20;

/// Most sessions remembered for resumption (oldest dropped first beyond this).
const MAX_SESSIONS: usize = 100_000;

/// A secret and the source it came from.
#[derive(Clone, Debug)]
pub(crate) struct Sourced {
    /// The secret.
    pub secret: Secret,
    /// Where it came from.
    pub source: KeySource,
}

/// Everything the key logs say about one client random.
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

impl ClientSecrets {
    fn slot(&mut self, label: Label) -> &mut Option<Sourced> {
        match label {
            Label::ClientRandom => &mut self.master,
            Label::ClientHandshake => &mut self.client_hs,
            Label::ServerHandshake => &mut self.server_hs,
            Label::ClientTraffic0 => &mut self.client_ap,
            Label::ServerTraffic0 => &mut self.server_ap,
        }
    }
}

/// Resumable TLS 1.2 sessions seen in this capture, by session id and by ticket.
#[derive(Default)]
struct SessionCache {
    by_id: HashMap<Vec<u8>, Sourced>,
    by_ticket: HashMap<Vec<u8>, Sourced>,
}

/// All secrets available to the TLS stage.
#[derive(Default)]
pub struct KeyStore {
    stats: KeyLogStats,
    by_random: HashMap<[u8; 32], ClientSecrets>,
    rsa_premaster: HashMap<[u8; 8], Sourced>,
    rsa_keys: Vec<RsaPrivateKey>,
    /// Lines read so far per origin, so a growing key log's tail keeps its line numbers.
    lines_seen: HashMap<String, u64>,
    /// Bumped whenever a secret is added, so flows waiting for keys know to look again.
    generation: u64,
    sessions: Mutex<SessionCache>,
    /// Sessions cached so far (part of the generation: a resumed flow waiting for its session looks again).
    sessions_added: AtomicU64,
    /// More secrets may arrive while flows run (live capture following a key log).
    growing: bool,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        KeyStore::default()
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

    /// Adds every line of an NSS key-log file; malformed lines are counted, not fatal.
    pub fn load_keylog_file(&mut self, path: &Path) -> std::io::Result<()> {
        let text = std::fs::read(path)?;
        self.add_keylog_text(&text, KeySource::Keylog, &path.display().to_string());
        Ok(())
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
    }

    fn add_line(&mut self, line: &[u8], source: KeySource, origin: &str, number: u64) {
        match parse_line(line) {
            Line::Comment => {}
            Line::Ignored => self.stats.lines += 1,
            Line::Malformed => {
                self.stats.malformed += 1;
                if self.stats.malformed_lines.len() < MAX_MALFORMED_KEPT {
                    self.stats
                        .malformed_lines
                        .push((origin.to_string(), number));
                }
            }
            Line::Secret {
                label,
                client_random,
                secret,
            } => {
                self.stats.lines += 1;
                let slot = self.by_random.entry(client_random).or_default().slot(label);
                if slot.as_ref().is_some_and(|old| old.secret != secret) {
                    self.stats.duplicates += 1;
                }
                *slot = Some(Sourced { secret, source });
            }
            Line::RsaPremaster { prefix, premaster } => {
                self.stats.lines += 1;
                let new = Sourced {
                    secret: premaster,
                    source,
                };
                if let Some(old) = self.rsa_premaster.insert(prefix, new.clone())
                    && old.secret != new.secret
                {
                    self.stats.duplicates += 1;
                }
            }
        }
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
            self.rsa_keys.push(key);
        }
        self.generation += 1;
        Ok(())
    }

    /// Loading counters.
    pub fn stats(&self) -> &KeyLogStats {
        &self.stats
    }

    /// Changes whenever secrets are added (flows still without keys look again).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
            .wrapping_add(self.sessions_added.load(Ordering::Relaxed))
    }

    /// What the key logs hold for a client random.
    pub(crate) fn for_random(&self, client_random: &[u8; 32]) -> Option<&ClientSecrets> {
        self.by_random.get(client_random)
    }

    /// The pre-master of a key-log `RSA` line, by the first 8 bytes of the encrypted pre-master.
    pub(crate) fn rsa_premaster(&self, encrypted: &[u8]) -> Option<&Sourced> {
        let prefix: [u8; 8] = encrypted.get(..8)?.try_into().ok()?;
        self.rsa_premaster.get(&prefix)
    }

    /// The RSA private keys given.
    pub(crate) fn rsa_keys(&self) -> &[RsaPrivateKey] {
        &self.rsa_keys
    }

    /// True when some source could decrypt a static-RSA handshake without a per-connection line.
    pub(crate) fn has_rsa_keys(&self) -> bool {
        !self.rsa_keys.is_empty()
    }

    /// Remembers a full handshake's master secret under its session id and/or ticket.
    pub(crate) fn remember_session(&self, id: &[u8], ticket: &[u8], master: &Sourced) {
        let Ok(mut cache) = self.sessions.lock() else {
            return;
        };
        if cache.by_id.len() + cache.by_ticket.len() > MAX_SESSIONS {
            cache.by_id.clear();
            cache.by_ticket.clear();
        }
        if !id.is_empty() {
            cache.by_id.insert(id.to_vec(), master.clone());
        }
        if !ticket.is_empty() {
            cache.by_ticket.insert(ticket.to_vec(), master.clone());
        }
        self.sessions_added.fetch_add(1, Ordering::Relaxed);
    }

    /// The master secret of a session resumed by ticket (preferred) or by id.
    pub(crate) fn resumed_session(&self, id: &[u8], ticket: &[u8]) -> Option<Sourced> {
        let cache = self.sessions.lock().ok()?;
        let by_ticket = (!ticket.is_empty())
            .then(|| cache.by_ticket.get(ticket))
            .flatten();
        let by_id = (!id.is_empty()).then(|| cache.by_id.get(id)).flatten();
        by_ticket.or(by_id).cloned()
    }
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("client_randoms", &self.by_random.len())
            .field("rsa_premasters", &self.rsa_premaster.len())
            .field("rsa_keys", &self.rsa_keys.len())
            .field("stats", &self.stats)
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
        let m = ks.for_random(&cr()).unwrap().master.as_ref().unwrap();
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
