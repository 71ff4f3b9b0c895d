//! A bounded read buffer over any `Read`, from which records are borrowed
//! (zero-copy) and then consumed; knows the absolute offset of every byte.

use std::io::Read;

/// Largest record accepted: anything longer is a length that lies.
pub(crate) const MAX_RECORD: usize = 16 << 20;
/// Initial buffer size: large reads keep the reader at disk/page-cache speed.
const INITIAL: usize = 4 << 20;

/// Buffered bytes of a capture stream.
pub(crate) struct StreamBuf {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Absolute offset of `buf[start]`.
    offset: u64,
}

impl StreamBuf {
    /// Wraps `reader`.
    pub fn new(reader: Box<dyn Read + Send>) -> Self {
        StreamBuf {
            reader,
            buf: vec![0; INITIAL],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// Bytes available now.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Absolute stream offset of `data()[0]`.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Makes at least `n` bytes available; `Ok(false)` when the stream ends first.
    pub fn ensure(&mut self, n: usize) -> std::io::Result<bool> {
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            if self.buf.len() - self.start < n.max(64 << 10) {
                // Move what is left to the front; grow only for records larger than the buffer.
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if self.buf.len() < n {
                    self.buf.resize(n.next_power_of_two(), 0);
                }
            }
            let got = loop {
                match self.reader.read(&mut self.buf[self.end..]) {
                    Ok(g) => break g,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if got == 0 {
                self.eof = true;
            }
            self.end += got;
        }
        Ok(true)
    }

    /// Drops `n` bytes from the front.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }
}
