//! Report records kept out of memory: each finished record (flow, IM
//! session, presence subscription, finding, SIP event) is serialized to JSON
//! once, into a buffer that spills to an anonymous temporary file, and only a
//! small index entry (sort key, ndjson time, offset, length) stays in memory.
//! The report writers stream the records back in key order, so memory stays
//! flat however many records a capture produces. The records with the
//! smallest keys are also kept as values, for the terminal tables (which
//! show the first ones and say how many more there are).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq, Serializer};

/// Where a spool sorts a record: capture number, then two record-specific numbers.
pub type SpoolKey = (u32, i64, u64);

/// Bytes buffered in memory before they go to the temporary file.
const SPILL_BYTES: usize = 1 << 20;

/// Records kept as values for the tables.
pub const KEPT: usize = 500;

/// One record's place (32 bytes: the only per-record memory a spool keeps).
#[derive(Clone, Copy, Debug)]
struct Entry {
    primary: i64,
    secondary: u64,
    off: u64,
    len: u32,
    capture: u32,
}

impl Entry {
    fn key(&self) -> SpoolKey {
        (self.capture, self.primary, self.secondary)
    }
}

/// Index entries in fixed-size chunks: no reallocation that copies (and
/// briefly doubles) the whole index, and no growth slack beyond one chunk.
#[derive(Default)]
struct Chunked {
    chunks: Vec<Vec<Entry>>,
    len: usize,
}

/// Entries per chunk (512 KiB).
const CHUNK: usize = 16 * 1024;

impl Chunked {
    fn push(&mut self, e: Entry) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(e),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(e);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, i: usize) -> Option<&Entry> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.chunks.iter().flatten()
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.chunks.iter_mut().flatten()
    }

    /// Record numbers in key order (4 bytes each while sorting).
    fn sorted(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.len as u32).collect();
        order.sort_by_key(|&i| self.get(i as usize).map(Entry::key));
        order
    }
}

/// A record kept as a value, ordered by key (largest first in the heap).
struct Kept<T> {
    key: SpoolKey,
    seq: u64,
    rec: T,
}

impl<T> PartialEq for Kept<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.key, self.seq) == (o.key, o.seq)
    }
}
impl<T> Eq for Kept<T> {}
impl<T> PartialOrd for Kept<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Kept<T> {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.key, self.seq).cmp(&(o.key, o.seq))
    }
}

/// An append-only list of serialized records, in memory up to a point, then on disk.
pub struct Spool<T> {
    entries: Chunked,
    /// The NDJSON time of a record is its secondary key (flows: sorted by
    /// number, timed by start), not its primary one.
    time_is_secondary: bool,
    kept: BinaryHeap<Kept<T>>,
    keep: usize,
    buf: Vec<u8>,
    file: Option<File>,
    file_len: u64,
    /// The first error writing the temporary file (records after it are lost, and said so).
    error: Option<String>,
}

impl<T> Default for Spool<T> {
    fn default() -> Self {
        Spool::with_keep(KEPT)
    }
}

impl<T> std::fmt::Debug for Spool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("records", &self.entries.len())
            .field("on_disk", &self.file_len)
            .finish()
    }
}

impl<T> Spool<T> {
    /// An empty spool that keeps the `keep` smallest-keyed records as values.
    pub fn with_keep(keep: usize) -> Self {
        Spool {
            entries: Chunked::default(),
            time_is_secondary: false,
            kept: BinaryHeap::new(),
            keep,
            buf: Vec::new(),
            file: None,
            file_len: 0,
            error: None,
        }
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The problem writing the temporary file, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The kept records (the smallest keys), in key order.
    pub fn kept(&self) -> Vec<&T> {
        let mut v: Vec<&Kept<T>> = self.kept.iter().collect();
        v.sort();
        v.into_iter().map(|k| &k.rec).collect()
    }

    /// Says the records' NDJSON time is their secondary key.
    pub fn timed_by_secondary(mut self) -> Self {
        self.time_is_secondary = true;
        self
    }

    /// The NDJSON time of an entry.
    fn time(&self, e: &Entry) -> i64 {
        if self.time_is_secondary {
            e.secondary as i64
        } else {
            e.primary
        }
    }

    /// Stores the serialized bytes of a record.
    fn store(&mut self, key: SpoolKey, bytes: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.index(key, start);
    }

    /// Indexes the record that occupies the buffer from `start` to its end.
    fn index(&mut self, key: SpoolKey, start: usize) {
        self.entries.push(Entry {
            primary: key.1,
            secondary: key.2,
            off: self.file_len + start as u64,
            len: (self.buf.len() - start) as u32,
            capture: key.0,
        });
        if self.buf.len() >= SPILL_BYTES {
            self.spill();
        }
    }

    /// Moves the buffer to the temporary file.
    fn spill(&mut self) {
        if self.error.is_some() {
            return;
        }
        if self.file.is_none() {
            match tempfile::tempfile() {
                Ok(f) => self.file = Some(f),
                Err(e) => {
                    self.error = Some(format!("cannot create a temporary file: {e}"));
                    return;
                }
            }
        }
        if let Some(f) = &mut self.file {
            match f.write_all(&self.buf) {
                Ok(()) => {
                    self.file_len += self.buf.len() as u64;
                    self.buf.clear();
                }
                Err(e) => self.error = Some(format!("cannot write the temporary file: {e}")),
            }
        }
    }

    /// Reads one record's bytes into `out`.
    fn read(&self, e: &Entry, out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        if e.off >= self.file_len {
            let start = (e.off - self.file_len) as usize;
            let bytes = self
                .buf
                .get(start..start + e.len as usize)
                .ok_or_else(|| io::Error::other("spool index out of range"))?;
            out.extend_from_slice(bytes);
            return Ok(());
        }
        let mut f = self
            .file
            .as_ref()
            .ok_or_else(|| io::Error::other("spool file missing"))?;
        out.resize(e.len as usize, 0);
        f.seek(SeekFrom::Start(e.off))?;
        f.read_exact(out)
    }

    /// Calls `each` with every record's JSON, in key order.
    pub fn for_each_json(&self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut buf = Vec::new();
        for i in self.entries.sorted() {
            if let Some(e) = self.entries.get(i as usize) {
                self.read(e, &mut buf)?;
                each(&buf)?;
            }
        }
        Ok(())
    }

    /// (NDJSON time, key, index) of every record, for merging several spools by time.
    pub fn times(&self) -> impl Iterator<Item = (i64, SpoolKey, usize)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (self.time(e), e.key(), i))
    }

    /// The JSON of record number `i` (as numbered by [`Spool::times`]).
    pub fn json_at(&self, i: usize, out: &mut Vec<u8>) -> io::Result<()> {
        let e = self
            .entries
            .get(i)
            .ok_or_else(|| io::Error::other("no such record"))?;
        self.read(e, out)
    }

    /// Moves every record of `other` (capture number `capture`) into this spool.
    /// An empty spool takes `other` over whole, so a single capture's index is never copied.
    pub fn absorb(&mut self, mut other: Spool<T>, capture: u32) {
        if self.entries.is_empty() && self.file.is_none() && self.buf.is_empty() {
            for e in other.entries.iter_mut() {
                e.capture = capture;
            }
            let kept = std::mem::take(&mut other.kept);
            for mut k in kept.into_vec() {
                k.key.0 = capture;
                other.kept.push(k);
            }
            other.keep = self.keep;
            *self = other;
            return;
        }
        if self.error.is_none() {
            self.error = other.error.clone();
        }
        let mut buf = Vec::new();
        for e in other.entries.iter() {
            if other.read(e, &mut buf).is_ok() {
                self.store((capture, e.primary, e.secondary), &buf);
            }
        }
        for k in other.kept {
            self.keep_value((capture, k.key.1, k.key.2), k.rec);
        }
    }

    /// Offers a record to the kept set.
    fn keep_value(&mut self, key: SpoolKey, rec: T) {
        let seq = self.entries.len() as u64;
        if self.kept.len() < self.keep {
            self.kept.push(Kept { key, seq, rec });
        } else if self
            .kept
            .peek()
            .is_some_and(|top| (key, seq) < (top.key, top.seq))
        {
            self.kept.pop();
            self.kept.push(Kept { key, seq, rec });
        }
    }
}

impl<T: Serialize> Spool<T> {
    /// Adds a record under `key`.
    pub fn push(&mut self, key: SpoolKey, rec: T) {
        // Serialized straight into the buffer: no per-record allocation.
        let start = self.buf.len();
        if let Err(e) = serde_json::to_writer(&mut self.buf, &rec) {
            self.buf.truncate(start);
            if self.error.is_none() {
                self.error = Some(format!("cannot serialize a record: {e}"));
            }
            return;
        }
        self.index(key, start);
        self.keep_value(key, rec);
    }
}

impl<T> Serialize for Spool<T> {
    /// A JSON array of every record, in key order, read back from the spool.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        let mut failed: Option<S::Error> = None;
        let read = self.for_each_json(|bytes| {
            let element = std::str::from_utf8(bytes)
                .map_err(S::Error::custom)
                .and_then(|text| {
                    serde_json::value::RawValue::from_string(text.to_string())
                        .map_err(S::Error::custom)
                })
                .and_then(|raw| seq.serialize_element(&raw));
            element.map_err(|e| {
                failed = Some(e);
                io::Error::other("serializing a spooled record")
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(S::Error::custom)?;
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Debug, PartialEq)]
    struct R {
        n: u64,
    }

    fn json<T>(s: &Spool<T>) -> String {
        serde_json::to_string(s).expect("json")
    }

    #[test]
    fn records_come_back_in_key_order_from_memory_and_disk() {
        let mut s: Spool<R> = Spool::with_keep(3);
        // Enough records to spill several times.
        let n = 200_000u64;
        for i in 0..n {
            let k = (i * 7919) % n;
            s.push((0, k as i64, 0), R { n: k });
        }
        assert!(s.file_len > 0, "spilled to disk");
        assert_eq!(s.len(), n as usize);
        let mut seen = 0u64;
        s.for_each_json(|b| {
            assert_eq!(b, format!("{{\"n\":{seen}}}").as_bytes());
            seen += 1;
            Ok(())
        })
        .expect("read back");
        assert_eq!(seen, n);
        let kept: Vec<u64> = s.kept().iter().map(|r| r.n).collect();
        assert_eq!(kept, vec![0, 1, 2]);
        let all = json(&s);
        assert!(all.starts_with("[{\"n\":0},{\"n\":1},"));
        assert!(all.ends_with(&format!("{{\"n\":{}}}]", n - 1)));
    }

    #[test]
    fn absorb_appends_and_keeps_order_across_captures() {
        let mut a: Spool<R> = Spool::with_keep(2);
        let mut b: Spool<R> = Spool::with_keep(2);
        a.push((0, 5, 0), R { n: 5 });
        a.push((0, 1, 0), R { n: 1 });
        b.push((0, 0, 0), R { n: 100 });
        a.absorb(b, 1);
        assert_eq!(json(&a), r#"[{"n":1},{"n":5},{"n":100}]"#);
        let mut one = Vec::new();
        let idx: Vec<(i64, SpoolKey, usize)> = a.times().collect();
        assert_eq!(idx.len(), 3);
        a.json_at(2, &mut one).expect("record");
        assert_eq!(one, br#"{"n":100}"#);
        assert_eq!(a.kept().iter().map(|r| r.n).collect::<Vec<_>>(), vec![1, 5]);
        // An empty spool takes one capture's spool over whole, renumbering the capture.
        let mut d: Spool<R> = Spool::with_keep(2);
        d.push((0, 9, 0), R { n: 9 });
        d.push((0, 2, 0), R { n: 2 });
        let mut c: Spool<R> = Spool::with_keep(2);
        c.absorb(d, 3);
        assert_eq!(json(&c), r#"[{"n":2},{"n":9}]"#);
        assert!(c.times().all(|(_, k, _)| k.0 == 3));
    }
}
