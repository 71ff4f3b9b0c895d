//! Key material from the command line: one shared key store, over which a
//! capture with embedded secrets (pcapng DSB) or a followed key log gets a
//! layer of its own.

use std::path::Path;
use std::sync::Arc;

use crate::tls::KeyStore;

/// The store built from the `--keylog` and `--rsa-key` inputs. The key-log
/// files stay open, indexed: their secrets are read back from them on lookup,
/// not held in memory. A capture's own store is layered over this one
/// ([`KeyMaterial::fork`]) instead of being rebuilt from them.
#[derive(Default)]
pub struct KeyMaterial {
    /// The store built from the command-line inputs.
    store: Arc<KeyStore>,
    /// Problems loading keys (file, reason), for the report; never key material.
    pub errors: Vec<String>,
}

impl KeyMaterial {
    /// No keys.
    pub fn new() -> Self {
        KeyMaterial::default()
    }

    /// Runs `f` on the store to add to. Stores forked before keep what they
    /// had: if there are any, additions go into a new layer over the old store.
    fn with_store<R>(&mut self, f: impl FnOnce(&mut KeyStore) -> R) -> R {
        let mut store =
            Arc::try_unwrap(std::mem::take(&mut self.store)).unwrap_or_else(KeyStore::layered);
        let r = f(&mut store);
        self.store = Arc::new(store);
        r
    }

    /// Reads a key-log file; unreadable files are recorded as errors.
    pub fn add_keylog_file(&mut self, path: &Path) {
        if let Err(e) = self.with_store(|s| s.load_keylog_file(path)) {
            self.errors
                .push(format!("{}: cannot read key log: {e}", path.display()));
        }
    }

    /// Loads an RSA private key; failures are recorded as errors.
    pub fn add_rsa_key(&mut self, path: &Path) {
        if let Err(e) = self.with_store(|s| s.load_rsa_pem(path)) {
            self.errors
                .push(format!("{}: cannot load RSA key: {e}", path.display()));
        }
    }

    /// Secrets may still arrive while flows run (live capture following a key
    /// log): TLS flows hold the records they cannot decrypt yet.
    pub fn set_growing(&mut self) {
        self.with_store(|s| s.set_growing(true));
    }

    /// The store built from the command-line inputs.
    pub fn store(&self) -> &KeyStore {
        &self.store
    }

    /// A store of its own for a capture that carries secrets (DSB) or a
    /// followed key log: it sees everything from the command line without a
    /// copy, and shares its session cache.
    pub fn fork(&self) -> KeyStore {
        KeyStore::layered(self.store.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::KeySource;

    const CR1: &str = "d7310512f5b7dc0988ddc0a5b062913a07a7c4ae536520dd9c38bf271781b326";
    const CR2: &str = "0ee094d3f892f823eecd75c3bb436ab58e0000000000000000000000000000aa";

    fn random(hex_str: &str) -> [u8; 32] {
        let mut a = [0u8; 32];
        hex::decode_to_slice(hex_str, &mut a).expect("hex");
        a
    }

    fn material(text: &str) -> (tempfile::TempDir, KeyMaterial) {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("k.log");
        std::fs::write(&p, text).expect("write");
        let mut km = KeyMaterial::new();
        km.add_keylog_file(&p);
        assert!(km.errors.is_empty(), "{:?}", km.errors);
        (dir, km)
    }

    #[test]
    fn fork_sees_key_log_and_capture_secrets() {
        let (_dir, km) = material(&format!(
            "CLIENT_RANDOM {CR1} {}\nSERVER_TRAFFIC_SECRET_0 {CR2} {}\n",
            "aa".repeat(48),
            "bb".repeat(32)
        ));
        let mut own = km.fork();
        own.add_keylog_text(
            format!(
                "CLIENT_RANDOM {CR2} {}\nCLIENT_TRAFFIC_SECRET_0 {CR2} {}\nCLIENT_RANDOM {CR1} {}\n",
                "cc".repeat(48),
                "dd".repeat(32),
                "ee".repeat(48)
            )
            .as_bytes(),
            KeySource::Dsb,
            "pcapng DSB",
        );
        // The capture's secret replaces the key log's for the same random and label.
        let one = own.for_random(&random(CR1)).expect("cr1");
        let m = one.master.expect("master");
        assert_eq!(
            (m.secret.bytes(), m.source),
            (&[0xee; 48][..], KeySource::Dsb)
        );
        // Key-log and capture secrets of one random are seen together.
        let two = own.for_random(&random(CR2)).expect("cr2");
        assert_eq!(two.master.expect("m").source, KeySource::Dsb);
        let sap = two.server_ap.expect("server ap");
        assert_eq!(
            (sap.secret.bytes(), sap.source),
            (&[0xbb; 32][..], KeySource::Keylog)
        );
        assert_eq!(two.client_ap.expect("client ap").source, KeySource::Dsb);
        assert!(two.client_hs.is_none());
        // Counters go on from the key log's; a different secret for CR1 is a duplicate.
        assert_eq!(own.stats().lines, 5);
        assert_eq!(own.stats().duplicates, 1);
        // The shared store is untouched.
        let base = km.store();
        assert_eq!(base.stats().lines, 2);
        let m = base
            .for_random(&random(CR1))
            .expect("cr1")
            .master
            .expect("m");
        assert_eq!(m.secret.bytes(), &[0xaa; 48][..]);
        assert!(base.for_random(&random(CR2)).expect("cr2").master.is_none());
        // Secrets added to a fork make flows look again.
        let g = own.generation();
        own.add_keylog_text(b"# nothing\n", KeySource::Dsb, "pcapng DSB");
        assert_ne!(own.generation(), g);
    }

    #[test]
    fn additions_after_a_fork_do_not_change_it() {
        let (dir, mut km) = material(&format!("CLIENT_RANDOM {CR1} {}\n", "aa".repeat(48)));
        km.set_growing();
        let old = km.fork();
        assert!(old.growing());
        let p = dir.path().join("more.log");
        std::fs::write(&p, format!("CLIENT_RANDOM {CR2} {}\n", "bb".repeat(48))).expect("write");
        km.add_keylog_file(&p);
        km.add_keylog_file(&dir.path().join("missing.log"));
        assert_eq!(km.errors.len(), 1);
        assert!(km.errors[0].contains("cannot read key log"));
        assert!(old.for_random(&random(CR2)).is_none());
        let store = km.store();
        assert!(store.growing());
        assert!(store.for_random(&random(CR1)).is_some());
        assert!(store.for_random(&random(CR2)).is_some());
        assert_eq!(store.stats().lines, 2);
    }
}
