//! An external merge sort of byte records, so report records come back in
//! key order with memory that does not grow with their number.
//!
//! A record is a fixed-size key of `K` bytes (compared as bytes: see
//! [`ordered_i64`]) and a payload. Records are appended to a buffer of about
//! a megabyte; when it is full, the buffer's records are sorted (a vector of
//! offsets into that buffer only) and written in key order to a temporary
//! file as one sorted *run*. Only run boundaries stay in memory. Runs are
//! merged in tiers: level 0 holds the buffer-sized runs; when a level holds
//! `fan_in` runs they are merged into one run appended to the next level's
//! file and that level's file is truncated, so the disk holds about the data
//! once and at most `fan_in` runs per level are ever read at once. Reading
//! is a k-way merge (binary heap) of every run, each through a small buffer,
//! plus the sorted in-memory tail. The sort is stable: records with equal
//! keys come back in push order (runs are merged oldest first on ties).
//!
//! Hand-written because no well-kept crate does this: `extsort` (the
//! maintained one on crates.io) decodes every record into an owned value
//! ordered by `Ord`, writes one file per in-memory segment and merges all of
//! them at once (open files and read buffers grow with the input), and has no
//! way to keep the tail in memory or to write records straight into its
//! buffer.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::convert::Infallible;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

/// Bytes of records buffered in memory before they are sorted and written as one run.
pub const RUN_BYTES: usize = 1 << 20;

/// Runs a level holds before they are merged into one run of the next level.
pub const FAN_IN: usize = 64;

/// Read buffer of one run while merging (grows only for a larger record).
const READ_BYTES: usize = 16 << 10;

/// Write buffer while writing a run.
const WRITE_BYTES: usize = 64 << 10;

/// Bytes before a record's key: its payload length (u32, little-endian).
const LEN_BYTES: usize = 4;

/// An `i64` as 8 bytes that compare (as bytes) like the numbers.
pub fn ordered_i64(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1 << 63)).to_be_bytes()
}

/// The `i64` of [`ordered_i64`] bytes.
pub fn from_ordered_i64(b: [u8; 8]) -> i64 {
    (u64::from_be_bytes(b) ^ (1 << 63)) as i64
}

/// One level's temporary file and the runs in it, back to back from offset 0.
#[derive(Debug, Default)]
struct Level {
    file: Option<File>,
    /// Where each run ends (a run starts where the one before it ends).
    ends: Vec<u64>,
}

impl Level {
    /// Bytes of runs in the file.
    fn end(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// One reader per run, oldest first.
    fn cursors(&self) -> Vec<Source<'_>> {
        let Some(file) = &self.file else {
            return Vec::new();
        };
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let c = Source::Run(Cursor::new(file, start, end));
                start = end;
                c
            })
            .collect()
    }
}

/// Records sorted by a `K`-byte key, in memory up to `RUN_BYTES`, then in runs on disk.
pub struct Runs<const K: usize> {
    run_bytes: usize,
    fan_in: usize,
    /// Makes a temporary file (a parameter so tests can make it fail).
    make_file: fn() -> io::Result<File>,
    /// Records not yet written: length, key, payload, back to back.
    tail: Vec<u8>,
    /// Where each record in `tail` starts, in push order.
    offs: Vec<usize>,
    /// Level 0 holds the buffer-sized runs, level n+1 the merges of level n.
    levels: Vec<Level>,
    /// Records held.
    len: u64,
    /// The first problem writing or merging runs (records after it are lost).
    error: Option<String>,
}

impl<const K: usize> Default for Runs<K> {
    fn default() -> Self {
        Runs::with_sizes(RUN_BYTES, FAN_IN)
    }
}

impl<const K: usize> std::fmt::Debug for Runs<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runs")
            .field("records", &self.len)
            .field("in_memory", &self.offs.len())
            .field(
                "runs",
                &self.levels.iter().map(|l| l.ends.len()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<const K: usize> Runs<K> {
    /// An empty sorter writing runs of `run_bytes` and merging `fan_in` runs per level.
    pub fn with_sizes(run_bytes: usize, fan_in: usize) -> Self {
        Runs {
            run_bytes: run_bytes.max(1),
            fan_in: fan_in.max(2),
            make_file: tempfile::tempfile,
            tail: Vec::new(),
            offs: Vec::new(),
            levels: Vec::new(),
            len: 0,
            error: None,
        }
    }

    /// An empty sorter with the same sizes as this one.
    pub fn empty_like(&self) -> Self {
        Runs {
            make_file: self.make_file,
            ..Runs::with_sizes(self.run_bytes, self.fan_in)
        }
    }

    /// Records held.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when no record is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The problem writing the temporary files, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// True when every record is still in memory (no run on disk).
    pub fn in_memory(&self) -> bool {
        self.levels.iter().all(|l| l.ends.is_empty())
    }

    /// Appends a record under `key` whose payload `write` appends to the given buffer.
    /// After a write error records are dropped (the error says so).
    pub fn push_with<E>(
        &mut self,
        key: &[u8; K],
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.error.is_some() {
            return Ok(());
        }
        if self.tail.capacity() == 0 {
            // Once, at the first record: growing by doubling copied the
            // buffer about log2(run_bytes) times per sorter, and `spill`
            // clears it without freeing, so this is its size from now on.
            self.tail.reserve(self.run_bytes + self.run_bytes / 8);
        }
        let start = self.tail.len();
        self.tail.extend_from_slice(&[0; LEN_BYTES]);
        self.tail.extend_from_slice(key);
        let body = self.tail.len();
        if let Err(e) = write(&mut self.tail) {
            self.tail.truncate(start);
            return Err(e);
        }
        let Ok(n) = u32::try_from(self.tail.len() - body) else {
            self.tail.truncate(start);
            self.fail("a record larger than 4 GiB".to_string());
            return Ok(());
        };
        self.tail[start..start + LEN_BYTES].copy_from_slice(&n.to_le_bytes());
        self.offs.push(start);
        self.len += 1;
        if self.tail.len() >= self.run_bytes {
            self.spill();
        }
        Ok(())
    }

    /// Appends a record under `key`.
    pub fn push(&mut self, key: &[u8; K], payload: &[u8]) {
        let pushed = self.push_with(key, |b| {
            b.extend_from_slice(payload);
            Ok::<(), Infallible>(())
        });
        if let Err(never) = pushed {
            match never {}
        }
    }

    /// Writes the in-memory records out as a run and frees the buffer (for a
    /// sorter that will only be read from now on).
    pub fn freeze(&mut self) {
        self.spill();
        self.tail = Vec::new();
        self.offs = Vec::new();
    }

    /// Calls `each` with every in-memory record's key and payload, in push
    /// order (all records when [`Runs::in_memory`]).
    pub fn for_each_in_memory(&self, mut each: impl FnMut(&[u8; K], &[u8])) {
        for &o in &self.offs {
            if let Some((key, payload)) = split(record_at::<K>(&self.tail, o)) {
                each(key, payload);
            }
        }
    }

    /// Calls `each` with every record's key and payload, in key order (equal keys in push order).
    pub fn for_each(
        &self,
        mut each: impl FnMut(&[u8; K], &[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut r = self.reader();
        while r.advance()? {
            let (key, payload) = r
                .current()
                .ok_or_else(|| io::Error::other("short record"))?;
            each(key, payload)?;
        }
        Ok(())
    }

    /// A reader of every record in key order (equal keys in push order), one
    /// record at a time: what [`Runs::for_each`] calls its closure with.
    pub fn reader(&self) -> RunsReader<'_, K> {
        // Oldest first: higher levels hold older records, the tail the newest.
        let mut sources: Vec<Source<'_>> =
            self.levels.iter().rev().flat_map(Level::cursors).collect();
        let mut order = self.offs.clone();
        sort_offsets::<K>(&self.tail, &mut order);
        sources.push(Source::Memory {
            buf: &self.tail,
            order,
            next: 0,
        });
        RunsReader::new(sources)
    }

    /// Records the first error and drops the records in memory.
    fn fail(&mut self, e: String) {
        if self.error.is_none() {
            self.error = Some(e);
        }
        self.len -= self.offs.len() as u64;
        self.tail.clear();
        self.offs.clear();
    }

    /// Sorts the in-memory records and writes them as a run of level 0, then
    /// merges full levels up.
    fn spill(&mut self) {
        if self.offs.is_empty() {
            return;
        }
        let mut offs = std::mem::take(&mut self.offs);
        sort_offsets::<K>(&self.tail, &mut offs);
        if self.levels.is_empty() {
            self.levels.push(Level::default());
        }
        let tail = &self.tail;
        let written = match self.levels.first_mut() {
            Some(level0) => append_run(level0, self.make_file, |w| {
                for &o in &offs {
                    w.write_all(record_at::<K>(tail, o))?;
                }
                Ok(())
            }),
            None => Err(io::Error::other("no level")),
        };
        self.offs = offs;
        if let Err(e) = written {
            self.fail(format!("cannot write the temporary file: {e}"));
            return;
        }
        self.tail.clear();
        self.offs.clear();
        let mut l = 0;
        while self
            .levels
            .get(l)
            .is_some_and(|x| x.ends.len() >= self.fan_in)
        {
            if let Err(e) = self.merge_level(l) {
                self.fail(format!("cannot merge temporary runs: {e}"));
                return;
            }
            l += 1;
        }
    }

    /// Merges the runs of level `l` into one run of level `l + 1` and empties level `l`.
    fn merge_level(&mut self, l: usize) -> io::Result<()> {
        if self.levels.len() == l + 1 {
            self.levels.push(Level::default());
        }
        let (lower, upper) = self.levels.split_at_mut(l + 1);
        let (Some(src), Some(dst)) = (lower.last_mut(), upper.first_mut()) else {
            return Err(io::Error::other("no such level"));
        };
        let sources = src.cursors();
        append_run(dst, self.make_file, |w| {
            merge::<K>(sources, |rec| w.write_all(rec))
        })?;
        // The records are in the next level now, whether or not the file shrinks.
        src.ends.clear();
        match &src.file {
            Some(f) => f.set_len(0),
            None => Ok(()),
        }
    }

    /// Runs per level (for tests).
    #[cfg(test)]
    fn runs_per_level(&self) -> Vec<usize> {
        self.levels.iter().map(|l| l.ends.len()).collect()
    }
}

/// Appends one run to a level's file (made when needed), written by `write`.
fn append_run(
    level: &mut Level,
    make_file: fn() -> io::Result<File>,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> io::Result<()> {
    if level.file.is_none() {
        level.file = Some(make_file()?);
    }
    let file = level
        .file
        .as_ref()
        .ok_or_else(|| io::Error::other("no temporary file"))?;
    let mut f = file;
    f.seek(SeekFrom::Start(level.end()))?;
    let mut w = BufWriter::with_capacity(WRITE_BYTES, f);
    write(&mut w)?;
    w.flush()?;
    drop(w);
    let end = f.stream_position()?;
    level.ends.push(end);
    Ok(())
}

/// The whole record (length, key, payload) starting at `o` in `buf`.
fn record_at<const K: usize>(buf: &[u8], o: usize) -> &[u8] {
    let n = buf
        .get(o..o + LEN_BYTES)
        .and_then(|b| b.try_into().ok())
        .map_or(0, |b| u32::from_le_bytes(b) as usize);
    buf.get(o..o + LEN_BYTES + K + n).unwrap_or(&[])
}

/// A record's key and payload.
fn split<const K: usize>(rec: &[u8]) -> Option<(&[u8; K], &[u8])> {
    let body = rec.get(LEN_BYTES..)?;
    let (key, payload) = body.split_at_checked(K)?;
    Some((key.try_into().ok()?, payload))
}

/// A record's key (zeros for a short record, which cannot happen).
fn key_of<const K: usize>(rec: &[u8]) -> [u8; K] {
    split::<K>(rec).map_or([0; K], |(k, _)| *k)
}

/// Sorts record offsets by key, keeping push order for equal keys.
///
/// An unstable sort of (key, offset) pairs: offsets are unique and grow in
/// push order, so no two pairs tie and equal keys still come out in push
/// order, while the keys sit next to the offsets instead of being fetched
/// from the buffer at every comparison.
fn sort_offsets<const K: usize>(buf: &[u8], offs: &mut [usize]) {
    let mut pairs: Vec<([u8; K], usize)> = offs
        .iter()
        .map(|&o| (key_of::<K>(record_at::<K>(buf, o)), o))
        .collect();
    pairs.sort_unstable();
    for (slot, (_, o)) in offs.iter_mut().zip(pairs) {
        *slot = o;
    }
}

/// Sorted records to merge: a run on disk or the sorted in-memory tail.
enum Source<'a> {
    /// A run read through a small buffer.
    Run(Cursor<'a>),
    /// In-memory records in `order`.
    Memory {
        buf: &'a [u8],
        order: Vec<usize>,
        /// One past the current record in `order` (0 before the first).
        next: usize,
    },
}

impl Source<'_> {
    /// Moves to the next record; false at the end.
    fn advance<const K: usize>(&mut self) -> io::Result<bool> {
        match self {
            Source::Run(c) => c.advance::<K>(),
            Source::Memory { order, next, .. } => {
                *next += 1;
                Ok(*next <= order.len())
            }
        }
    }

    /// The current record (length, key, payload).
    fn record<const K: usize>(&self) -> &[u8] {
        match self {
            Source::Run(c) => c.record(),
            Source::Memory { buf, order, next } => match next.checked_sub(1) {
                Some(i) => order.get(i).map_or(&[], |&o| record_at::<K>(buf, o)),
                None => &[],
            },
        }
    }
}

/// Reads one run sequentially through a small buffer.
struct Cursor<'a> {
    file: &'a File,
    /// Next file offset to read, and where the run ends.
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    /// The current record is `buf[at..at + len]`; bytes up to `filled` are read.
    at: usize,
    len: usize,
    filled: usize,
}

impl<'a> Cursor<'a> {
    fn new(file: &'a File, start: u64, end: u64) -> Self {
        Cursor {
            file,
            pos: start,
            end,
            buf: Vec::new(),
            at: 0,
            len: 0,
            filled: 0,
        }
    }

    fn record(&self) -> &[u8] {
        self.buf.get(self.at..self.at + self.len).unwrap_or(&[])
    }

    fn advance<const K: usize>(&mut self) -> io::Result<bool> {
        self.at += self.len;
        self.len = 0;
        if !self.fill(LEN_BYTES + K)? {
            return Ok(false);
        }
        let n = self
            .buf
            .get(self.at..self.at + LEN_BYTES)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b| u32::from_le_bytes(b) as usize);
        let whole = LEN_BYTES + K + n;
        if !self.fill(whole)? {
            return Err(truncated());
        }
        self.len = whole;
        Ok(true)
    }

    /// Makes `need` bytes from `at` available; false when the run has ended exactly at `at`.
    fn fill(&mut self, need: usize) -> io::Result<bool> {
        if self.filled - self.at >= need {
            return Ok(true);
        }
        if self.filled == self.at && self.pos >= self.end {
            return Ok(false);
        }
        self.buf.copy_within(self.at..self.filled, 0);
        self.filled -= self.at;
        self.at = 0;
        let size = need.max(READ_BYTES);
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let mut f = self.file;
        f.seek(SeekFrom::Start(self.pos))?;
        while self.filled < need {
            let left = usize::try_from(self.end - self.pos).unwrap_or(usize::MAX);
            let room = (self.buf.len() - self.filled).min(left);
            if room == 0 {
                return Err(truncated());
            }
            let n = f.read(&mut self.buf[self.filled..self.filled + room])?;
            if n == 0 {
                return Err(truncated());
            }
            self.filled += n;
            self.pos += n as u64;
        }
        Ok(true)
    }
}

fn truncated() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "a temporary run ends inside a record",
    )
}

/// Merges sorted sources into `out`, whole records in key order; on equal
/// keys the earlier source first.
fn merge<const K: usize>(
    sources: Vec<Source<'_>>,
    mut out: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut r = RunsReader::<K>::new(sources);
    while r.advance()? {
        out(r.record())?;
    }
    Ok(())
}

/// Records of sorted sources merged in key order (on equal keys the earlier
/// source first), read one at a time: [`RunsReader::advance`] moves to the
/// next record, [`RunsReader::current`] shows it.
pub struct RunsReader<'a, const K: usize> {
    sources: Vec<Source<'a>>,
    /// Each source with a current record, by its key (smallest on top).
    heap: BinaryHeap<Reverse<([u8; K], usize)>>,
    started: bool,
}

impl<'a, const K: usize> RunsReader<'a, K> {
    fn new(sources: Vec<Source<'a>>) -> Self {
        RunsReader {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources,
            started: false,
        }
    }

    /// Moves to the next record (the first, the first time); false at the end.
    pub fn advance(&mut self) -> io::Result<bool> {
        if !self.started {
            self.started = true;
            for (i, s) in self.sources.iter_mut().enumerate() {
                if s.advance::<K>()? {
                    self.heap.push(Reverse((key_of::<K>(s.record::<K>()), i)));
                }
            }
            return Ok(!self.heap.is_empty());
        }
        if let Some(mut top) = self.heap.peek_mut() {
            let next = match self.sources.get_mut(top.0.1) {
                Some(s) => s.advance::<K>()?.then(|| key_of::<K>(s.record::<K>())),
                None => None,
            };
            match next {
                Some(key) => top.0.0 = key,
                None => {
                    PeekMut::pop(top);
                }
            }
        }
        Ok(!self.heap.is_empty())
    }

    /// The current whole record (length, key, payload); empty at the end.
    fn record(&self) -> &[u8] {
        self.heap
            .peek()
            .and_then(|top| self.sources.get(top.0.1))
            .map_or(&[], |s| s.record::<K>())
    }

    /// The current record's key and payload (`None` before the first and at the end).
    pub fn current(&self) -> Option<(&[u8; K], &[u8])> {
        if self.heap.is_empty() {
            return None;
        }
        split(self.record())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key of a number, then a tag that does not take part in the order.
    fn key(n: u64) -> [u8; 8] {
        n.to_be_bytes()
    }

    fn all(r: &Runs<8>) -> Vec<(u64, Vec<u8>)> {
        let mut v = Vec::new();
        r.for_each(|k, p| {
            v.push((u64::from_be_bytes(*k), p.to_vec()));
            Ok(())
        })
        .expect("read back");
        v
    }

    #[test]
    fn ordered_i64_compares_like_the_numbers() {
        let xs = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        for w in xs.windows(2) {
            assert!(ordered_i64(w[0]) < ordered_i64(w[1]));
        }
        for x in xs {
            assert_eq!(from_ordered_i64(ordered_i64(x)), x);
        }
    }

    #[test]
    fn many_runs_over_several_levels_come_back_in_order_and_stable() {
        // Tiny runs and fan-in: 200k records make thousands of runs and three levels.
        let mut r: Runs<8> = Runs::with_sizes(4 << 10, 8);
        let n = 200_000u64;
        for i in 0..n {
            // Each key twice, the copies pushed far apart: push order must hold.
            let k = (i * 7919) % (n / 2);
            r.push(&key(k), format!("{k}:{}", i >= n / 2).as_bytes());
        }
        assert_eq!(r.len(), n);
        assert!(r.error().is_none());
        let levels = r.runs_per_level();
        assert!(levels.len() >= 3, "levels {levels:?}");
        assert!(levels.iter().all(|&runs| runs < 8), "levels {levels:?}");
        let got = all(&r);
        assert_eq!(got.len(), n as usize);
        for (i, (k, p)) in got.iter().enumerate() {
            let i = i as u64;
            assert_eq!(*k, i / 2);
            let want = format!("{}:{}", i / 2, i % 2 == 1);
            assert_eq!(p, want.as_bytes());
        }
    }

    #[test]
    fn records_larger_than_the_read_buffer_come_back_whole() {
        let mut r: Runs<8> = Runs::with_sizes(64 << 10, 4);
        let big = vec![b'x'; 100 << 10];
        for i in (0..50u64).rev() {
            r.push(&key(i), &big[..(i as usize * 2000) % big.len() + 1]);
        }
        let got = all(&r);
        assert_eq!(got.len(), 50);
        for (i, (k, p)) in got.iter().enumerate() {
            assert_eq!(*k, i as u64);
            assert_eq!(p.len(), (i * 2000) % big.len() + 1);
        }
    }

    #[test]
    fn freezing_moves_the_tail_to_disk_and_records_stay_readable() {
        let mut r: Runs<8> = Runs::default();
        r.push(&key(2), b"b");
        r.push(&key(1), b"a");
        assert!(r.in_memory());
        let mut pushed = Vec::new();
        r.for_each_in_memory(|k, p| pushed.push((u64::from_be_bytes(*k), p.to_vec())));
        assert_eq!(pushed, vec![(2, b"b".to_vec()), (1, b"a".to_vec())]);
        r.freeze();
        assert!(!r.in_memory());
        assert_eq!(all(&r), vec![(1, b"a".to_vec()), (2, b"b".to_vec())]);
    }

    fn no_file() -> io::Result<File> {
        Err(io::Error::other("disk gone"))
    }

    fn read_only_file() -> io::Result<File> {
        let t = tempfile::NamedTempFile::new()?;
        File::open(t.path())
    }

    #[test]
    fn without_a_temporary_file_records_are_lost_and_said_so() {
        let mut r: Runs<8> = Runs::with_sizes(1 << 10, 4);
        r.make_file = no_file;
        for i in 0..1000u64 {
            r.push(&key(i), b"0123456789");
        }
        let e = r.error().expect("an error");
        assert!(e.contains("disk gone"), "{e}");
        // What is left is consistent and readable.
        assert_eq!(all(&r).len() as u64, r.len());
    }

    #[test]
    fn a_failing_write_is_recorded_not_a_panic() {
        let mut r: Runs<8> = Runs::with_sizes(1 << 10, 4);
        r.make_file = read_only_file;
        for i in 0..1000u64 {
            r.push(&key(i), b"0123456789");
        }
        assert!(r.error().is_some_and(|e| e.contains("cannot write")));
        assert_eq!(all(&r).len() as u64, r.len());
    }

    #[test]
    fn a_failing_merge_keeps_the_runs_already_written() {
        let mut r: Runs<8> = Runs::with_sizes(1 << 10, 4);
        // Level 0 writes fine; the level-1 file cannot be written.
        r.levels.push(Level::default());
        r.levels.push(Level {
            file: Some(read_only_file().expect("file")),
            ends: Vec::new(),
        });
        for i in 0..1000u64 {
            r.push(&key(i), b"0123456789");
        }
        assert!(r.error().is_some_and(|e| e.contains("cannot merge")));
        let got = all(&r);
        assert_eq!(got.len() as u64, r.len());
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(!got.is_empty());
    }
}
