//! An index of the secret lines of key-log files given with `--keylog`: the
//! secrets stay in the files and are read back when a connection asks for
//! its client random.
//!
//! Memory: 16 bytes per secret line (a 64-bit digest of the client random
//! and the line's file, label and byte offset packed in another 64 bits), in
//! one slice sorted by digest, plus one open file handle per key log. The old
//! in-memory tables took 82 bytes per TLS 1.2 connection and 232 per TLS 1.3
//! one, and grew with the capture.
//!
//! Hand-written rather than a crate: what is needed is a sorted slice of
//! packed integers, a binary search and `read_at` on an open file, and the
//! details that matter here (later lines win per client random and label,
//! a miss costs no I/O, a file that changed after indexing gives "no
//! secret" and a counted failure, never a wrong secret) are this tool's own.
//!
//! The digest is keyed at random per index (`RandomState`), so a key log
//! cannot be made to collide on purpose; a collision only costs a read, as
//! every line read back is parsed and its full client random compared.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::BuildHasher;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::keylog::{Label, Line, parse_line};
use super::secret::Secret;

/// Bits of the packed position word for the byte offset of a line (32 TiB).
const OFFSET_BITS: u32 = 45;
/// Bits for the label code, above the offset.
const LABEL_BITS: u32 = 3;
/// Where the file number starts (16 bits: 65,536 files).
const FILE_SHIFT: u32 = OFFSET_BITS + LABEL_BITS;
/// Most key-log files one index holds.
const MAX_FILES: usize = 1 << (64 - FILE_SHIFT);

/// Longest key-log line indexed (real lines are under 200 bytes); a longer
/// one is not read back whole, so it is not indexed.
pub(crate) const MAX_LINE: usize = 4096;

/// The labels an index holds, by code: the TLS 1.2 master secret, then the
/// four TLS 1.3 secrets.
const LABELS: [Label; 5] = [
    Label::ClientRandom,
    Label::ClientHandshake,
    Label::ServerHandshake,
    Label::ClientTraffic0,
    Label::ServerTraffic0,
];

/// The code of a label in [`LABELS`] (and in the packed word).
pub(crate) fn label_code(label: Label) -> usize {
    match label {
        Label::ClientRandom => 0,
        Label::ClientHandshake => 1,
        Label::ServerHandshake => 2,
        Label::ClientTraffic0 => 3,
        Label::ServerTraffic0 => 4,
    }
}

/// A line's place: file number, label code and byte offset, packed so that
/// the order of the words is file, then label, then offset.
fn pack(file: usize, label: usize, offset: u64) -> u64 {
    ((file as u64) << FILE_SHIFT) | ((label as u64) << OFFSET_BITS) | offset
}

/// (file number, label code, offset) of a packed word.
fn unpack(word: u64) -> (usize, usize, u64) {
    (
        (word >> FILE_SHIFT) as usize,
        ((word >> OFFSET_BITS) & ((1 << LABEL_BITS) - 1)) as usize,
        word & ((1 << OFFSET_BITS) - 1),
    )
}

/// The secret lines of key-log files, by client random; see the module doc.
pub(crate) struct KeylogIndex {
    /// Keys the client-random digest.
    digest: RandomState,
    /// The indexed files, kept open, by file number.
    files: Vec<File>,
    /// (digest of the client random, packed place), sorted.
    entries: Box<[(u64, u64)]>,
    /// Entries of the file being indexed, not yet sorted in.
    pending: Vec<(u64, u64)>,
    /// Lines that could not be read back as the secret line indexed.
    failures: AtomicU64,
}

impl Default for KeylogIndex {
    fn default() -> Self {
        KeylogIndex {
            digest: RandomState::new(),
            files: Vec::new(),
            entries: Box::default(),
            pending: Vec::new(),
            failures: AtomicU64::new(0),
        }
    }
}

/// The newest secret per label code found for one client random.
pub(crate) type Found = [Option<Secret>; 5];

impl KeylogIndex {
    /// Starts indexing `file`: returns its number for [`KeylogIndex::push`].
    pub(crate) fn begin_file(&mut self, file: File) -> io::Result<usize> {
        if self.files.len() >= MAX_FILES {
            return Err(io::Error::other("too many key-log files"));
        }
        self.files.push(file);
        Ok(self.files.len() - 1)
    }

    /// Indexes the secret line at `offset` of file `file`; returns its packed place.
    pub(crate) fn push(
        &mut self,
        client_random: &[u8; 32],
        label: Label,
        file: usize,
        offset: u64,
    ) -> io::Result<u64> {
        if offset >> OFFSET_BITS != 0 {
            return Err(io::Error::other("key log larger than 32 TiB"));
        }
        let d = self.digest.hash_one(client_random);
        let word = pack(file, label_code(label), offset);
        self.pending.push((d, word));
        Ok(word)
    }

    /// Sorts the pending entries in: the slice again has exactly its length.
    pub(crate) fn finish_file(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut all = std::mem::take(&mut self.entries).into_vec();
        all.append(&mut self.pending);
        self.pending = Vec::new();
        all.sort_unstable();
        self.entries = all.into_boxed_slice();
    }

    /// Secret lines indexed.
    pub(crate) fn len(&self) -> usize {
        self.entries.len() + self.pending.len()
    }

    /// Key-log files indexed.
    pub(crate) fn files(&self) -> usize {
        self.files.len()
    }

    /// Lookups that found an indexed line unreadable or changed.
    pub(crate) fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The entries whose digest is that of `client_random` (no I/O).
    fn group(&self, client_random: &[u8; 32]) -> &[(u64, u64)] {
        let d = self.digest.hash_one(client_random);
        let start = self.entries.partition_point(|e| e.0 < d);
        let len = self.entries[start..].partition_point(|e| e.0 == d);
        &self.entries[start..start + len]
    }

    /// Reads back the line at a packed place: its random, label and secret,
    /// or `None` if it is no longer that secret line.
    fn read(&self, word: u64) -> Option<([u8; 32], Label, Secret)> {
        let (file, code, offset) = unpack(word);
        let line = self.files.get(file).and_then(|f| read_line(f, offset).ok());
        match line.as_deref().map(parse_line) {
            Some(Line::Secret {
                label,
                client_random,
                secret,
            }) if label_code(label) == code => Some((client_random, label, secret)),
            _ => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// The newest secret of each label (or of `only` that label) for a
    /// client random. A random that is not indexed costs the binary search
    /// alone; lines that cannot be read back count as failures and are
    /// skipped (an older line for the same label may then answer).
    pub(crate) fn lookup(&self, client_random: &[u8; 32], only: Option<Label>) -> Found {
        let mut found = Found::default();
        // Newest first: for one label, later files and offsets sort later.
        for &(_, word) in self.group(client_random).iter().rev() {
            let (_, code, _) = unpack(word);
            if found[code].is_some() || only.is_some_and(|l| label_code(l) != code) {
                continue;
            }
            match self.read(word) {
                Some((random, _, secret)) if random == *client_random => {
                    found[code] = Some(secret);
                }
                // Another random with the same digest: a collision, not a failure.
                Some(_) => {}
                None => {}
            }
        }
        found
    }

    /// Counts the lines of file `file` (indexed and sorted in) that replace a
    /// different secret for the same client random and label: that of an
    /// earlier indexed line or, for a line with none, one from outside this
    /// index (`differs_outside`: the sorted packed places of such lines).
    pub(crate) fn duplicates_in(&self, file: usize, differs_outside: &[u64]) -> u64 {
        let outside = |word: u64| differs_outside.binary_search(&word).is_ok();
        let mut dups = 0;
        let mut i = 0;
        while i < self.entries.len() {
            let d = self.entries[i].0;
            let len = self.entries[i..].partition_point(|e| e.0 == d);
            let group = &self.entries[i..i + len];
            i += len;
            if !group.iter().any(|e| unpack(e.1).0 == file) {
                continue;
            }
            for code in 0..LABELS.len() {
                let chain: Vec<u64> = group
                    .iter()
                    .map(|e| e.1)
                    .filter(|&w| unpack(w).1 == code)
                    .collect();
                match chain.as_slice() {
                    [] => {}
                    [one] => dups += u64::from(unpack(*one).0 == file && outside(*one)),
                    _ => {
                        // Same digest and label more than once: read them back.
                        let mut seen: Vec<([u8; 32], Secret)> = Vec::new();
                        for &w in &chain {
                            let Some((random, _, secret)) = self.read(w) else {
                                continue;
                            };
                            let prev = seen.iter_mut().find(|(r, _)| *r == random);
                            if unpack(w).0 == file {
                                dups += u64::from(match &prev {
                                    Some((_, old)) => *old != secret,
                                    None => outside(w),
                                });
                            }
                            match prev {
                                Some(p) => p.1 = secret,
                                None => seen.push((random, secret)),
                            }
                        }
                    }
                }
            }
        }
        dups
    }
}

/// The bytes of the line starting at `offset`, without its newline; at most
/// [`MAX_LINE`] of them.
fn read_line(file: &File, offset: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let n = match file.read_at(&mut buf, offset + out.len() as u64) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let got = &buf[..n];
        if let Some(end) = got.iter().position(|&b| b == b'\n') {
            out.extend_from_slice(&got[..end]);
            return Ok(out);
        }
        out.extend_from_slice(got);
        if n == 0 {
            return Ok(out);
        }
        if out.len() > MAX_LINE {
            return Err(io::Error::other("key-log line too long"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_and_orders_by_file_label_offset() {
        let w = pack(MAX_FILES - 1, 4, (1 << OFFSET_BITS) - 1);
        assert_eq!(unpack(w), (MAX_FILES - 1, 4, (1 << OFFSET_BITS) - 1));
        assert!(pack(0, 4, 99) < pack(1, 0, 0));
        assert!(pack(1, 0, 99) < pack(1, 1, 0));
        assert_eq!(std::mem::size_of::<(u64, u64)>(), 16);
        for (code, l) in LABELS.iter().enumerate() {
            assert_eq!(label_code(*l), code);
        }
    }

    #[test]
    fn long_and_unterminated_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        let mut text = "a".repeat(300);
        text.push('\n');
        text += "tail";
        std::fs::write(&p, &text).unwrap();
        let f = File::open(&p).unwrap();
        assert_eq!(read_line(&f, 0).unwrap().len(), 300);
        assert_eq!(read_line(&f, 301).unwrap(), b"tail");
        assert!(read_line(&f, 1000).unwrap().is_empty());
        std::fs::write(&p, "b".repeat(MAX_LINE + 300)).unwrap();
        assert!(read_line(&f, 0).is_err());
    }
}
