//! Capture sources: saved pcap / pcapng files (optionally gzip-compressed),
//! read in pure Rust, streaming through a bounded buffer. Live capture is in
//! `crate::live` (feature `live`).
//!
//! A source yields [`CaptureItem`]s one at a time: frames borrowed from the
//! reader's buffer, and TLS secrets found in pcapng Decryption Secrets Blocks.
//! Errors carry the file, the frame number and the byte offset (of the
//! decompressed stream for .gz files).

mod chunk;
mod error;
mod frame;
mod pcap;
mod pcapng;
mod read_ahead;
mod size;
mod stream_buf;

pub use chunk::SharedChunk;
pub use error::{CaptureError, CaptureErrorKind};
pub use frame::{CaptureItem, Frame, LinkType, SecretsBlock};
pub use read_ahead::ReadAheadHandle;
pub use size::stream_size;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use stream_buf::StreamBuf;

/// A stream of frames (and embedded secrets) from one capture.
pub trait FrameSource {
    /// The next item; `Ok(None)` at a clean end. After an `Err` the source is
    /// finished: everything read before it stays valid.
    fn next_item(&mut self) -> Result<Option<CaptureItem<'_>>, CaptureError>;

    /// The next item with the read chunk its bytes lie in, when the source's
    /// buffer can be shared (so a frame can go to another thread uncopied).
    fn next_shared(&mut self) -> Result<Option<Shared<'_>>, CaptureError> {
        Ok(self.next_item()?.map(|item| (item, None)))
    }

    /// Bytes of the (decompressed) capture consumed so far, for progress.
    fn bytes_read(&self) -> u64;

    /// Lets another thread read the capture ahead from now on, when the
    /// source reads a byte stream (see `read_ahead`).
    fn read_ahead(&mut self) -> Option<ReadAheadHandle> {
        None
    }
}

/// An item and the chunk holding its bytes, if the source shares its buffer.
pub type Shared<'a> = (CaptureItem<'a>, Option<&'a SharedChunk>);

/// Opens a capture file, recognising pcap, pcapng and gzip by magic number.
pub fn open(path: &Path) -> Result<Box<dyn FrameSource + Send>, CaptureError> {
    let file =
        File::open(path).map_err(|e| CaptureError::new(path, None, 0, CaptureErrorKind::Io(e)))?;
    from_reader(Box::new(file), path)
}

/// Reads a capture from any byte stream (`name` is used in errors).
pub fn from_reader(
    reader: Box<dyn Read + Send>,
    name: &Path,
) -> Result<Box<dyn FrameSource + Send>, CaptureError> {
    let err = |offset, k| CaptureError::new(name, None, offset, k);
    let mut buf = StreamBuf::new(reader);
    if !buf.ensure(4).map_err(|e| err(0, CaptureErrorKind::Io(e)))? {
        return Err(err(
            0,
            if buf.data().is_empty() {
                CaptureErrorKind::Empty
            } else {
                CaptureErrorKind::Truncated(format!("only {} bytes", buf.data().len()))
            },
        ));
    }
    let magic = [buf.data()[0], buf.data()[1], buf.data()[2], buf.data()[3]];
    if magic[..2] == [0x1f, 0x8b] {
        // gzip: everything else is read from the decompressed stream.
        let rest = StreamBufReader(buf);
        return from_reader(Box::new(flate2::read::MultiGzDecoder::new(rest)), name);
    }
    let path = name.to_path_buf();
    match u32::from_le_bytes(magic) {
        0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 => {
            Ok(Box::new(pcap::PcapSource::open(path, buf)?))
        }
        0x0A0D_0D0A => Ok(Box::new(pcapng::PcapngSource::open(path, buf)?)),
        _ => Err(err(0, CaptureErrorKind::UnknownFormat(magic))),
    }
}

/// Lets a [`StreamBuf`] that already holds the first bytes be read again (for gzip).
struct StreamBufReader(StreamBuf);

impl Read for StreamBufReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if !self.0.ensure(1)? {
            return Ok(0);
        }
        let d = self.0.data();
        let n = d.len().min(out.len());
        out[..n].copy_from_slice(&d[..n]);
        self.0.consume(n);
        Ok(n)
    }
}
