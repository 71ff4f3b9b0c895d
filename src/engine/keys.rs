//! Key material from the command line, kept so a capture with embedded
//! secrets (pcapng DSB) can get its own key store layered on top.

use std::path::PathBuf;

use crate::tls::{KeySource, KeyStore};

/// The `--keylog` and `--rsa-key` inputs and the store built from them.
#[derive(Default)]
pub struct KeyMaterial {
    /// Key-log texts with their file names.
    keylogs: Vec<(String, Vec<u8>)>,
    /// RSA key files.
    rsa_keys: Vec<PathBuf>,
    /// The store built from all of the above.
    store: KeyStore,
    /// Problems loading keys (file, reason), for the report; never key material.
    pub errors: Vec<String>,
}

impl KeyMaterial {
    /// No keys.
    pub fn new() -> Self {
        KeyMaterial::default()
    }

    /// Reads a key-log file; unreadable files are recorded as errors.
    pub fn add_keylog_file(&mut self, path: &PathBuf) {
        match std::fs::read(path) {
            Ok(text) => {
                let origin = path.display().to_string();
                self.store
                    .add_keylog_text(&text, KeySource::Keylog, &origin);
                self.keylogs.push((origin, text));
            }
            Err(e) => self
                .errors
                .push(format!("{}: cannot read key log: {e}", path.display())),
        }
    }

    /// Loads an RSA private key; failures are recorded as errors.
    pub fn add_rsa_key(&mut self, path: &std::path::Path) {
        match self.store.load_rsa_pem(path) {
            Ok(()) => self.rsa_keys.push(path.to_path_buf()),
            Err(e) => self
                .errors
                .push(format!("{}: cannot load RSA key: {e}", path.display())),
        }
    }

    /// Secrets may still arrive while flows run (live capture following a key
    /// log): TLS flows hold the records they cannot decrypt yet.
    pub fn set_growing(&mut self) {
        self.store.set_growing(true);
    }

    /// The store built from the command-line inputs.
    pub fn store(&self) -> &KeyStore {
        &self.store
    }

    /// A fresh store with everything from the command line, for adding a capture's DSB secrets.
    pub fn fork(&self) -> KeyStore {
        let mut s = KeyStore::new();
        s.set_growing(self.store.growing());
        for (origin, text) in &self.keylogs {
            s.add_keylog_text(text, KeySource::Keylog, origin);
        }
        for p in &self.rsa_keys {
            // Loaded once already; a failure now cannot add a new problem worth reporting.
            let _ = s.load_rsa_pem(p);
        }
        s
    }
}
