//! Report records kept out of memory: each finished record (flow, IM
//! session, presence subscription, finding, SIP event) is serialized to JSON
//! once, straight into an external sorter (`runs`) keyed by its spool key, so
//! nothing per record stays in memory. The report writers stream the records
//! back in key order, so memory stays flat however many records a capture
//! produces. Merging captures moves each capture's sorter in whole as a
//! *part* (captures are absorbed in order and the capture number is the most
//! significant key, so parts are read one after another); a small capture
//! whose records are all still in memory is copied into one shared sorter
//! instead, so small captures cost no temporary file each. The records with
//! the smallest keys are also kept as values, for the terminal tables (which
//! show the first ones and say how many more there are).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io;

use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq, Serializer};

use super::runs::{Runs, RunsReader, from_ordered_i64, ordered_i64};

/// Where a spool sorts a record: capture number, then two record-specific numbers.
pub type SpoolKey = (u32, i64, u64);

/// Records kept as values for the tables.
pub const KEPT: usize = 500;

/// Bytes of a [`SpoolKey`] as the sorter compares it.
const KEY_BYTES: usize = 20;

/// A spool key as bytes that compare like the key.
fn encode(key: SpoolKey) -> [u8; KEY_BYTES] {
    let mut b = [0; KEY_BYTES];
    b[..4].copy_from_slice(&key.0.to_be_bytes());
    b[4..12].copy_from_slice(&ordered_i64(key.1));
    b[12..].copy_from_slice(&key.2.to_be_bytes());
    b
}

/// The spool key of [`encode`]d bytes.
fn decode(b: &[u8; KEY_BYTES]) -> SpoolKey {
    let mut capture = [0; 4];
    let mut primary = [0; 8];
    let mut secondary = [0; 8];
    capture.copy_from_slice(&b[..4]);
    primary.copy_from_slice(&b[4..12]);
    secondary.copy_from_slice(&b[12..]);
    (
        u32::from_be_bytes(capture),
        from_ordered_i64(primary),
        u64::from_be_bytes(secondary),
    )
}

/// One capture's records moved in whole by [`Spool::absorb`].
#[derive(Debug)]
struct Part {
    /// The capture number its records take (`None`: the one they were pushed with).
    capture: Option<u32>,
    runs: Runs<KEY_BYTES>,
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
    /// Captures moved in whole, in capture order, read before `open`.
    parts: Vec<Part>,
    /// Records pushed (and small captures copied in) since the last part.
    open: Runs<KEY_BYTES>,
    /// The NDJSON time of a record is its secondary key (flows: sorted by
    /// number, timed by start), not its primary one.
    time_is_secondary: bool,
    kept: BinaryHeap<Kept<T>>,
    keep: usize,
    /// Records offered so far (orders kept records with equal keys).
    offered: u64,
    /// The first record that could not be serialized.
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
            .field("records", &self.len())
            .field("parts", &self.parts.len())
            .finish()
    }
}

impl<T> Spool<T> {
    /// An empty spool that keeps the `keep` smallest-keyed records as values.
    pub fn with_keep(keep: usize) -> Self {
        Spool::with_runs(keep, Runs::default())
    }

    fn with_runs(keep: usize, open: Runs<KEY_BYTES>) -> Self {
        Spool {
            parts: Vec::new(),
            open,
            time_is_secondary: false,
            kept: BinaryHeap::new(),
            keep,
            offered: 0,
            error: None,
        }
    }

    /// Records held.
    pub fn len(&self) -> usize {
        let parts: u64 = self.parts.iter().map(|p| p.runs.len()).sum();
        (parts + self.open.len()) as usize
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The problem serializing a record or writing the temporary files, if any.
    pub fn error(&self) -> Option<&str> {
        self.error
            .as_deref()
            .or_else(|| self.parts.iter().find_map(|p| p.runs.error()))
            .or_else(|| self.open.error())
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

    /// Calls `each` with every record's key, NDJSON time and JSON, in key order.
    pub fn for_each_record(
        &self,
        mut each: impl FnMut(SpoolKey, i64, &[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut r = self.reader();
        while r.advance()? {
            let (key, time, json) = r
                .current()
                .ok_or_else(|| io::Error::other("short record"))?;
            each(key, time, json)?;
        }
        Ok(())
    }

    /// True when the records' NDJSON time is their primary key: then, for one
    /// capture's records, key order is time order.
    pub fn timed_by_primary(&self) -> bool {
        !self.time_is_secondary
    }

    /// A reader of every record in key order, one at a time (what
    /// [`Spool::for_each_record`] calls its closure with).
    pub fn reader(&self) -> SpoolReader<'_> {
        SpoolReader {
            parts: &self.parts,
            open: &self.open,
            time_is_secondary: self.time_is_secondary,
            next: 0,
            current: None,
        }
    }

    /// Calls `each` with every record's JSON, in key order.
    pub fn for_each_json(&self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        self.for_each_record(|_, _, json| each(json))
    }

    /// Moves every record of `other` (capture number `capture`) into this
    /// spool. Captures must be absorbed in increasing order (records are read
    /// part after part). A capture with runs on disk is moved in whole, not
    /// copied; one still in memory is copied into the shared in-memory sorter.
    pub fn absorb(&mut self, mut other: Spool<T>, capture: u32) {
        if self.is_empty() {
            self.time_is_secondary = other.time_is_secondary;
        }
        if self.error.is_none() {
            self.error = other.error.take();
        }
        let base = self.offered;
        for k in std::mem::take(&mut other.kept).into_vec() {
            self.keep_value((capture, k.key.1, k.key.2), base + k.seq, k.rec);
        }
        self.offered += other.offered;
        let open = std::mem::take(&mut other.open);
        for runs in other.parts.into_iter().map(|p| p.runs).chain([open]) {
            self.take_part(capture, runs);
        }
    }

    /// Adds one sorter's records under capture number `capture`.
    fn take_part(&mut self, capture: u32, mut runs: Runs<KEY_BYTES>) {
        if runs.is_empty() && runs.error().is_none() {
            return;
        }
        if runs.in_memory() && runs.error().is_none() {
            let at = capture.to_be_bytes();
            runs.for_each_in_memory(|k, json| {
                let mut k = *k;
                k[..4].copy_from_slice(&at);
                self.open.push(&k, json);
            });
            return;
        }
        if !self.open.is_empty() || self.open.error().is_some() {
            let fresh = self.open.empty_like();
            let mut open = std::mem::replace(&mut self.open, fresh);
            open.freeze();
            self.parts.push(Part {
                capture: None,
                runs: open,
            });
        }
        runs.freeze();
        self.parts.push(Part {
            capture: Some(capture),
            runs,
        });
    }

    /// Offers a record to the kept set.
    fn keep_value(&mut self, key: SpoolKey, seq: u64, rec: T) {
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

/// The records of a spool in key order, read one at a time: part after part, then the open sorter.
pub struct SpoolReader<'a> {
    parts: &'a [Part],
    open: &'a Runs<KEY_BYTES>,
    time_is_secondary: bool,
    /// The next part to read (`parts.len()`: the open sorter; beyond: none).
    next: usize,
    /// The sorter being read and the capture number its records take.
    current: Option<(Option<u32>, RunsReader<'a, KEY_BYTES>)>,
}

impl SpoolReader<'_> {
    /// Moves to the next record (the first, the first time); false at the end.
    pub fn advance(&mut self) -> io::Result<bool> {
        loop {
            if let Some((_, r)) = &mut self.current
                && r.advance()?
            {
                return Ok(true);
            }
            let next = match self.parts.get(self.next) {
                Some(p) => Some((p.capture, p.runs.reader())),
                None if self.next == self.parts.len() => Some((None, self.open.reader())),
                None => None,
            };
            self.current = next;
            self.next += 1;
            if self.current.is_none() {
                return Ok(false);
            }
        }
    }

    /// The current record's key, NDJSON time and JSON (`None` before the first and at the end).
    pub fn current(&self) -> Option<(SpoolKey, i64, &[u8])> {
        let (capture, r) = self.current.as_ref()?;
        let (k, json) = r.current()?;
        let mut key = decode(k);
        if let Some(c) = capture {
            key.0 = *c;
        }
        let time = if self.time_is_secondary {
            key.2 as i64
        } else {
            key.1
        };
        Some((key, time, json))
    }
}

impl<T: Serialize> Spool<T> {
    /// Adds a record under `key`.
    pub fn push(&mut self, key: SpoolKey, rec: T) {
        // Serialized straight into the sorter's buffer: no per-record allocation.
        let stored = self
            .open
            .push_with(&encode(key), |buf| serde_json::to_writer(buf, &rec));
        if let Err(e) = stored {
            if self.error.is_none() {
                self.error = Some(format!("cannot serialize a record: {e}"));
            }
            return;
        }
        let seq = self.offered;
        self.offered += 1;
        self.keep_value(key, seq, rec);
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

    /// A spool with tiny runs, so a few records make many runs and levels.
    fn tiny<T>(keep: usize) -> Spool<T> {
        Spool::with_runs(keep, Runs::with_sizes(4 << 10, 8))
    }

    /// (key, time, JSON) of every record, in read order.
    fn records<T>(s: &Spool<T>) -> Vec<(SpoolKey, i64, String)> {
        let mut v = Vec::new();
        s.for_each_record(|k, t, j| {
            v.push((k, t, String::from_utf8_lossy(j).into_owned()));
            Ok(())
        })
        .expect("read back");
        v
    }

    #[test]
    fn keys_encode_in_order() {
        let keys = [
            (0, i64::MIN, 0),
            (0, -1, u64::MAX),
            (0, 0, 0),
            (0, 0, 1),
            (0, 5, 0),
            (1, i64::MIN, 0),
            (u32::MAX, i64::MAX, u64::MAX),
        ];
        for w in keys.windows(2) {
            assert!(encode(w[0]) < encode(w[1]), "{w:?}");
        }
        for k in keys {
            assert_eq!(decode(&encode(k)), k);
        }
    }

    #[test]
    fn records_come_back_in_key_order_from_memory_and_disk() {
        let mut s: Spool<R> = tiny(3);
        // Enough records to write many runs and merge levels.
        let n = 200_000u64;
        for i in 0..n {
            let k = (i * 7919) % n;
            s.push((0, k as i64, 0), R { n: k });
        }
        assert!(!s.open.in_memory(), "spilled to disk");
        assert!(s.error().is_none());
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
    fn equal_keys_keep_push_order() {
        let mut s: Spool<R> = tiny(0);
        for i in 0..20_000u64 {
            s.push((0, (i % 3) as i64, 7), R { n: i });
        }
        let got: Vec<u64> = records(&s)
            .iter()
            .map(|(_, _, j)| j[5..j.len() - 1].parse().expect("n"))
            .collect();
        let mut want: Vec<u64> = (0..20_000).collect();
        want.sort_by_key(|i| i % 3);
        assert_eq!(got, want);
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
        assert_eq!(a.len(), 3);
        assert_eq!(a.kept().iter().map(|r| r.n).collect::<Vec<_>>(), vec![1, 5]);
        // Into an empty spool, renumbering the capture and taking the timing.
        let mut d: Spool<R> = Spool::with_keep(2).timed_by_secondary();
        d.push((0, 9, 90), R { n: 9 });
        d.push((0, 2, 20), R { n: 2 });
        let mut c: Spool<R> = Spool::with_keep(2);
        c.absorb(d, 3);
        assert_eq!(json(&c), r#"[{"n":2},{"n":9}]"#);
        let got = records(&c);
        assert_eq!(got[0].0, (3, 2, 20));
        assert_eq!(got[0].1, 20, "timed by the secondary key");
    }

    #[test]
    fn many_captures_small_and_large_come_back_part_after_part() {
        let mut all: Spool<R> = tiny(4);
        let mut want = Vec::new();
        for capture in 0..6u32 {
            // Odd captures are large (runs on disk), even ones stay in memory.
            let n = if capture % 2 == 1 { 5_000 } else { 30 };
            let mut one: Spool<R> = tiny(4);
            for i in 0..n {
                let k = (i * 7919) % n;
                one.push((0, k as i64, 1), R { n: k });
                want.push((capture, k as i64, 1));
            }
            assert_eq!(one.open.in_memory(), capture % 2 == 0);
            all.absorb(one, capture);
        }
        want.sort();
        assert_eq!(all.len(), want.len());
        assert!(all.parts.len() >= 3, "large captures moved in whole");
        let got: Vec<SpoolKey> = records(&all).into_iter().map(|r| r.0).collect();
        assert_eq!(got, want);
        let kept: Vec<u64> = all.kept().iter().map(|r| r.n).collect();
        assert_eq!(kept, vec![0, 1, 2, 3], "capture 0's smallest");
        assert!(all.error().is_none());
    }

    #[test]
    fn a_record_that_cannot_be_serialized_is_reported() {
        struct Bad;
        impl Serialize for Bad {
            fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(S::Error::custom("no"))
            }
        }
        let mut s: Spool<Bad> = Spool::with_keep(1);
        s.push((0, 1, 0), Bad);
        assert!(s.is_empty());
        assert!(s.error().is_some_and(|e| e.contains("serialize")));
        assert_eq!(json(&s), "[]");
    }
}
