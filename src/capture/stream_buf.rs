//! A bounded read buffer over any `Read`, from which records are borrowed
//! (zero-copy) and then consumed; knows the absolute offset of every byte.
//!
//! The buffer is a [`SharedChunk`]: a consumer may keep the chunk of a record
//! it was given (to hand the bytes to another thread). A chunk someone else
//! holds is never written again: the unread tail moves to a free chunk
//! instead of to the front of the same one, and chunks come back for reuse
//! when their last holder lets go, so memory stays at the chunks in flight.

use std::io::Read;
use std::sync::Arc;

use super::chunk::SharedChunk;
use super::read_ahead::{HEAD_ROOM, Next, ReadAhead, ReadAheadHandle};

/// Largest record accepted: anything longer is a length that lies.
pub(crate) const MAX_RECORD: usize = 16 << 20;
/// Chunk size: reads this large keep the reader at page-cache speed, and a
/// chunk this small is still in cache when the workers read its frames (4 MB
/// chunks cost the sharded run about 10 % more CPU; 128 KB took 1.3 % less
/// wall than 256 KB on 2 threads with the release build, TLS and plaintext,
/// 9 of 12 and 6 of 8 paired rounds; within noise with the profile-guided one).
const INITIAL: usize = 128 << 10;

/// Buffered bytes of a capture stream.
pub(crate) struct StreamBuf {
    reader: Box<dyn Read + Send>,
    buf: SharedChunk,
    /// Chunks given up earlier, reused once no one else holds them.
    spare: Vec<SharedChunk>,
    start: usize,
    end: usize,
    eof: bool,
    /// Absolute offset of `buf[start]`.
    offset: u64,
    /// Set once another thread may read ahead: then `reader` is in here.
    ahead: Option<ReadAhead>,
}

impl StreamBuf {
    /// Wraps `reader`.
    pub fn new(reader: Box<dyn Read + Send>) -> Self {
        StreamBuf {
            reader,
            buf: SharedChunk(Arc::new(vec![0; INITIAL])),
            spare: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
            ahead: None,
        }
    }

    /// Lets another thread read the stream ahead from now on (see `read_ahead`).
    pub fn read_ahead(&mut self) -> ReadAheadHandle {
        let ahead = self.ahead.get_or_insert_with(|| {
            let reader = std::mem::replace(&mut self.reader, Box::new(std::io::empty()));
            ReadAhead::new(reader, INITIAL)
        });
        ahead.handle()
    }

    /// Bytes available now.
    pub fn data(&self) -> &[u8] {
        &self.buf.0[self.start..self.end]
    }

    /// The chunk `data()` lies in.
    pub fn chunk(&self) -> &SharedChunk {
        &self.buf
    }

    /// Absolute stream offset of `data()[0]`.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Makes at least `n` bytes available; `Ok(false)` when the stream ends first.
    #[inline]
    pub fn ensure(&mut self, n: usize) -> std::io::Result<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.fill(n)
    }

    /// Reads until `n` bytes are available or the stream ends.
    fn fill(&mut self, n: usize) -> std::io::Result<bool> {
        if self.ahead.is_some() {
            return self.fill_ahead(n);
        }
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            let shared = Arc::get_mut(&mut self.buf.0).is_none();
            if shared || self.buf.0.len() - self.start < n.max(64 << 10) {
                self.restart(n);
            }
            let Some(buf) = Arc::get_mut(&mut self.buf.0) else {
                return Err(std::io::Error::other("read buffer still shared"));
            };
            // Fill the chunk: it may be shared as soon as a record is handed
            // out, and then no more bytes can be read into it.
            while self.end < buf.len() {
                match self.reader.read(&mut buf[self.end..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(got) => self.end += got,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(true)
    }

    /// [`StreamBuf::fill`] from chunks read ahead: the unread tail moves into
    /// the head room of the next chunk (or, for a record longer than that,
    /// the chunks are joined in a buffer of its own).
    fn fill_ahead(&mut self, n: usize) -> std::io::Result<bool> {
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            let Some(ahead) = &self.ahead else {
                return Ok(false);
            };
            // Chunks no one holds any more go back to be filled again.
            let reuse = self
                .spare
                .extract_if(.., |c| Arc::get_mut(&mut c.0).is_some())
                .filter_map(|c| Arc::try_unwrap(c.0).ok());
            let filled = match ahead.next(reuse) {
                Next::Chunk(f) => f,
                Next::End => {
                    self.eof = true;
                    return Ok(false);
                }
                Next::Failed(e) => return Err(e),
            };
            let left = self.end - self.start;
            let len = filled.len;
            let mut next = filled.buf;
            if left <= HEAD_ROOM {
                next[HEAD_ROOM - left..HEAD_ROOM]
                    .copy_from_slice(&self.buf.0[self.start..self.end]);
                self.replace_ahead_buf(next, HEAD_ROOM - left, HEAD_ROOM + len);
                continue;
            }
            // A record longer than the head room: join the chunks in a buffer
            // of its own, sized once for the whole record.
            let need = (left + len).max(n);
            match Arc::get_mut(&mut self.buf.0) {
                Some(buf) if buf.len() >= need => {
                    buf.copy_within(self.start..self.end, 0);
                    (self.start, self.end) = (0, left);
                }
                _ => {
                    let mut joined = vec![0; need.next_power_of_two()];
                    joined[..left].copy_from_slice(&self.buf.0[self.start..self.end]);
                    self.replace_ahead_buf(joined, 0, left);
                }
            }
            let Some(buf) = Arc::get_mut(&mut self.buf.0) else {
                return Err(std::io::Error::other("read buffer still shared"));
            };
            buf[self.end..self.end + len].copy_from_slice(&next[HEAD_ROOM..HEAD_ROOM + len]);
            self.end += len;
            if let Some(ahead) = &self.ahead {
                ahead.give_back(next);
            }
        }
        Ok(true)
    }

    /// Makes `next` the buffer, its bytes at `start..end`; the old one is kept
    /// for reuse if it is a read-ahead chunk (a joined one is not).
    fn replace_ahead_buf(&mut self, next: Vec<u8>, start: usize, end: usize) {
        let old = std::mem::replace(&mut self.buf, SharedChunk(Arc::new(next)));
        if old.0.len() == HEAD_ROOM + INITIAL {
            self.spare.push(old);
        }
        (self.start, self.end) = (start, end);
    }

    /// Moves the unread bytes to the front of a writable chunk with room for
    /// `n`: this one when no one else holds it, else a free or new one.
    fn restart(&mut self, n: usize) {
        let size = INITIAL.max(n.next_power_of_two());
        if Arc::get_mut(&mut self.buf.0).is_none() {
            let free = self
                .spare
                .iter_mut()
                .position(|c| Arc::get_mut(&mut c.0).is_some());
            let next = match free {
                Some(i) => self.spare.swap_remove(i),
                None => SharedChunk(Arc::new(vec![0; size])),
            };
            let old = std::mem::replace(&mut self.buf, next);
            if let Some(buf) = Arc::get_mut(&mut self.buf.0) {
                if buf.len() < size {
                    buf.resize(size, 0);
                }
                buf[..self.end - self.start].copy_from_slice(&old.0[self.start..self.end]);
            }
            // A chunk a giant record made larger is not kept for the rest of the run.
            if old.0.len() == INITIAL {
                self.spare.push(old);
            }
        } else if let Some(buf) = Arc::get_mut(&mut self.buf.0) {
            buf.copy_within(self.start..self.end, 0);
            if buf.len() < size {
                buf.resize(size, 0);
            }
        }
        self.end -= self.start;
        self.start = 0;
    }

    /// Drops `n` bytes from the front.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives at most 1000 bytes per call.
    struct Trickle(std::io::Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out.len().min(1000);
            self.0.read(&mut out[..n])
        }
    }

    /// Chunks of records taken from a buffer and held as a worker holds
    /// them (the last few), every one checked against the stream after each take.
    struct Held<'a> {
        data: &'a [u8],
        chunks: Vec<(SharedChunk, std::ops::Range<usize>, usize)>,
    }

    impl Held<'_> {
        /// Checks the next `n` bytes (at stream offset `pos`), holds their chunk if `hold`, consumes them.
        fn take(&mut self, b: &mut StreamBuf, n: usize, pos: usize, hold: bool) {
            let part = &b.data()[..n];
            assert_eq!(part, &self.data[pos..pos + n]);
            if hold {
                let c = b.chunk().clone();
                let r = c.locate(part).unwrap();
                self.chunks.push((c, r, pos));
            }
            b.consume(n);
            if self.chunks.len() > 4 {
                self.chunks.remove(0);
            }
            for (c, r, at) in &self.chunks {
                assert_eq!(c.get(r.clone()), &self.data[*at..*at + r.len()]);
            }
        }
    }

    #[test]
    fn a_held_chunk_is_never_written_again() {
        let data: Vec<u8> = (0..3 * INITIAL).map(|i| (i % 251) as u8).collect();
        let mut b = StreamBuf::new(Box::new(Trickle(std::io::Cursor::new(data.clone()))));
        let mut held = Held {
            data: &data,
            chunks: Vec::new(),
        };
        let mut pos = 0;
        while b.ensure(1).unwrap_or(false) {
            let take = b.data().len().min(300_000);
            // Hold the chunk of every other record, as a worker would.
            held.take(&mut b, take, pos, pos / 300_000 % 2 == 0);
            pos += take;
        }
        assert_eq!(pos, data.len());
        assert!(b.spare.len() <= 6, "chunks are reused: {}", b.spare.len());
    }

    /// Reads `data` through a buffer that another "thread" reads ahead of
    /// (on every third record), taking records of the given sizes in turn and
    /// holding some chunks as a worker would; checks every byte and offset.
    fn read_through_ahead(data: &[u8], sizes: &[usize]) -> usize {
        let mut b = StreamBuf::new(Box::new(Trickle(std::io::Cursor::new(data.to_vec()))));
        // Some bytes are read before reading ahead starts, as format detection does.
        assert!(b.ensure(4).unwrap_or(false));
        let helper = b.read_ahead();
        let mut held = Held {
            data,
            chunks: Vec::new(),
        };
        let mut pos = 0;
        let mut k = 0;
        loop {
            if k % 3 == 0 {
                helper.read_one();
            }
            let want = sizes[k % sizes.len()];
            k += 1;
            if !b.ensure(want).unwrap_or(false) {
                // The stream ended: what is left is its tail.
                assert_eq!(b.data(), &data[pos..]);
                return pos + b.data().len();
            }
            assert_eq!(b.offset(), pos as u64);
            held.take(&mut b, want, pos, k % 2 == 0);
            pos += want;
        }
    }

    #[test]
    fn reading_ahead_gives_the_same_bytes() {
        let data: Vec<u8> = (0..40 * INITIAL).map(|i| (i % 241) as u8).collect();
        // Small records, records around a chunk and longer than the head room,
        // and one longer than a chunk.
        let sizes = [
            1500,
            70_000,
            300,
            200_000,
            9,
            HEAD_ROOM + 1,
            5000,
            3 * INITIAL,
        ];
        assert_eq!(read_through_ahead(&data, &sizes), data.len());
        assert_eq!(read_through_ahead(&data, &[1777]), data.len());
        assert_eq!(read_through_ahead(&data[..1000], &[1777]), 1000);
        assert_eq!(read_through_ahead(&data[..10], &[4, 7]), 10);
    }
}
