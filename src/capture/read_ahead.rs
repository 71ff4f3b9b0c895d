//! Reading a capture ahead on a thread that has nothing else to do.
//!
//! With `--threads 2` the reading thread also merges and analyzes, and it is
//! the busier one; the worker waits for it now and then. A [`ReadAheadHandle`]
//! lets the worker spend that wait on the next `read()`s of the capture (the
//! kernel's copy out of the page cache, or gzip's inflating), so that the
//! reading thread more often finds its next chunk already filled. Chunks come
//! out in file order whoever reads them: a thread reads a chunk only while
//! holding the stream's lock and queues it before letting go. The queue has a
//! lock of its own, so the reading thread takes a chunk that is ready without
//! waiting for a read in progress.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

/// Room kept in front of every chunk read ahead, for the unread tail of the
/// chunk before it (a record that straddles the two).
pub(super) const HEAD_ROOM: usize = 64 << 10;

/// Chunks read ahead at most; each is `HEAD_ROOM` plus a read chunk.
const AHEAD_CHUNKS: usize = 8;

/// A chunk read ahead: its bytes are `buf[HEAD_ROOM..HEAD_ROOM + len]`.
pub(super) struct Filled {
    pub buf: Vec<u8>,
    pub len: usize,
}

/// The capture's byte stream.
struct Stream {
    reader: Box<dyn Read + Send>,
    chunk_len: usize,
    /// The stream ended (or failed).
    done: bool,
}

/// What has been read and not yet taken.
#[derive(Default)]
struct Queue {
    filled: VecDeque<Filled>,
    /// Chunks no one holds any more, to be filled again.
    empty: Vec<Vec<u8>>,
    /// Set after the last chunk: `Some(None)` a clean end, `Some(Some(e))`
    /// the read error that ended the stream (reported once).
    ended: Option<Option<std::io::Error>>,
    /// Chunks read, and of them those another thread read ahead.
    chunks: u64,
    chunks_ahead: u64,
}

/// Both halves, shared by the reading thread and the handles.
struct Shared {
    stream: Mutex<Stream>,
    queue: Mutex<Queue>,
}

/// Locks `m`; a panic elsewhere while holding it leaves the state as it was
/// between two steps (every step is a push or a pop), so it is sound to go on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Reads the next chunk (as full as the stream allows) and queues it;
    /// `ahead`: on another thread than the reading one. The caller holds `stream`.
    fn read_chunk(&self, stream: &mut Stream, ahead: bool) {
        if stream.done {
            return;
        }
        let reuse = lock(&self.queue).empty.pop();
        let mut buf = reuse.unwrap_or_else(|| vec![0; HEAD_ROOM + stream.chunk_len]);
        let mut end = HEAD_ROOM;
        let mut ended = None;
        while end < buf.len() {
            match stream.reader.read(&mut buf[end..]) {
                Ok(0) => {
                    ended = Some(None);
                    break;
                }
                Ok(got) => end += got,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    ended = Some(Some(e));
                    break;
                }
            }
        }
        stream.done = ended.is_some();
        let mut q = lock(&self.queue);
        if end > HEAD_ROOM {
            q.chunks += 1;
            q.chunks_ahead += u64::from(ahead);
            q.filled.push_back(Filled {
                buf,
                len: end - HEAD_ROOM,
            });
        } else {
            q.empty.push(buf);
        }
        if ended.is_some() {
            q.ended = ended;
        }
    }

    /// The next chunk from the queue, or the end once every chunk is taken.
    fn take(&self) -> Option<Next> {
        let mut q = lock(&self.queue);
        if let Some(f) = q.filled.pop_front() {
            return Some(Next::Chunk(f));
        }
        q.ended
            .as_mut()
            .map(|e| e.take().map_or(Next::End, Next::Failed))
    }
}

/// The reading thread's side: takes chunks in order, reading one itself when none is ready.
pub(super) struct ReadAhead {
    shared: Arc<Shared>,
}

/// What the next chunk of the stream is.
pub(super) enum Next {
    /// Bytes.
    Chunk(Filled),
    /// The stream ended cleanly.
    End,
    /// The stream failed here.
    Failed(std::io::Error),
}

impl ReadAhead {
    /// Takes over `reader`; chunks hold `chunk_len` bytes after their head room.
    pub fn new(reader: Box<dyn Read + Send>, chunk_len: usize) -> ReadAhead {
        ReadAhead {
            shared: Arc::new(Shared {
                stream: Mutex::new(Stream {
                    reader,
                    chunk_len,
                    done: false,
                }),
                queue: Mutex::new(Queue::default()),
            }),
        }
    }

    /// A handle for another thread to read ahead with.
    pub fn handle(&self) -> ReadAheadHandle {
        ReadAheadHandle {
            shared: self.shared.clone(),
        }
    }

    /// The next chunk, after giving back the emptied `reuse` for filling again.
    pub fn next(&self, reuse: impl Iterator<Item = Vec<u8>>) -> Next {
        lock(&self.shared.queue).empty.extend(reuse);
        if let Some(next) = self.shared.take() {
            return next;
        }
        // None ready: read it here, unless a read in progress queues it first.
        let mut stream = lock(&self.shared.stream);
        if let Some(next) = self.shared.take() {
            return next;
        }
        self.shared.read_chunk(&mut stream, false);
        drop(stream);
        self.shared.take().unwrap_or(Next::End)
    }

    /// Hands a chunk that will not be used back for filling.
    pub fn give_back(&self, buf: Vec<u8>) {
        lock(&self.shared.queue).empty.push(buf);
    }
}

/// Another thread's side: reads one chunk ahead when that costs the reading thread nothing.
#[derive(Clone)]
pub struct ReadAheadHandle {
    shared: Arc<Shared>,
}

impl ReadAheadHandle {
    /// Reads the next chunk ahead unless another thread is reading, enough
    /// chunks are ready, or the stream has ended; whether it read one.
    pub fn read_one(&self) -> bool {
        let mut stream = match self.shared.stream.try_lock() {
            Ok(s) => s,
            Err(TryLockError::WouldBlock) => return false,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
        };
        if stream.done || lock(&self.shared.queue).filled.len() >= AHEAD_CHUNKS {
            return false;
        }
        self.shared.read_chunk(&mut stream, true);
        true
    }

    /// Chunks read so far, and of them those read ahead through a handle.
    pub fn counts(&self) -> (u64, u64) {
        let q = lock(&self.shared.queue);
        (q.chunks, q.chunks_ahead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives at most 700 bytes per call and fails at `fail_at`.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        fail_at: Option<usize>,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if Some(self.pos) == self.fail_at {
                return Err(std::io::Error::other("disk on fire"));
            }
            let mut n = out.len().min(700).min(self.data.len() - self.pos);
            if let Some(f) = self.fail_at {
                n = n.min(f - self.pos);
            }
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    /// Reads `data` ahead in chunks of 3,000 bytes.
    fn trickle(data: &[u8], fail_at: Option<usize>) -> ReadAhead {
        let reader = Trickle {
            data: data.to_vec(),
            pos: 0,
            fail_at,
        };
        ReadAhead::new(Box::new(reader), 3000)
    }

    fn collect(ra: &ReadAhead, helper: &ReadAheadHandle) -> (Vec<u8>, Option<String>) {
        let mut got = Vec::new();
        let mut n = 0;
        loop {
            // The helper reads ahead on every other turn, sometimes twice.
            if n % 2 == 0 {
                helper.read_one();
                if n % 6 == 0 {
                    helper.read_one();
                }
            }
            n += 1;
            match ra.next(std::iter::empty()) {
                Next::Chunk(f) => {
                    got.extend_from_slice(&f.buf[HEAD_ROOM..HEAD_ROOM + f.len]);
                    ra.give_back(f.buf);
                }
                Next::End => return (got, None),
                Next::Failed(e) => return (got, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn chunks_come_out_in_order_whoever_reads_them() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
        let ra = trickle(&data, None);
        let helper = ra.handle();
        let (got, err) = collect(&ra, &helper);
        assert_eq!(got, data);
        assert_eq!(err, None);
        assert!(!helper.read_one(), "nothing is read after the end");
        let (all, by_helper) = helper.counts();
        assert_eq!(all, 17, "50,000 bytes in chunks of 3,000");
        assert!(by_helper > 0 && by_helper < all, "{by_helper} of {all}");
    }

    #[test]
    fn a_read_error_comes_after_the_bytes_before_it() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let ra = trickle(&data, Some(12_345));
        let (got, err) = collect(&ra, &ra.handle());
        assert_eq!(got, data[..12_345]);
        assert_eq!(err.as_deref(), Some("disk on fire"));
    }

    #[test]
    fn the_helper_stops_when_enough_is_ready() {
        let ra = ReadAhead::new(Box::new(std::io::repeat(7)), 100);
        let helper = ra.handle();
        let mut read = 0;
        while helper.read_one() {
            read += 1;
        }
        assert_eq!(read, AHEAD_CHUNKS);
        let Next::Chunk(f) = ra.next(std::iter::empty()) else {
            panic!("a chunk was ready");
        };
        assert_eq!(f.len, 100);
        assert!(helper.read_one(), "room again after one was taken");
    }
}
