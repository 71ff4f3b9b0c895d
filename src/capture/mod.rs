//! Capture sources: saved pcap / pcapng files (optionally gzip-compressed),
//! read in pure Rust, and (feature `live`) a live interface through libpcap.
//!
//! A source yields [`CaptureItem`]s one at a time: frames borrowed from the
//! reader's buffer, and TLS secrets found in pcapng Decryption Secrets Blocks.
//! Errors carry the file, the frame number and the byte offset.

mod error;
mod frame;

pub use error::{CaptureError, CaptureErrorKind};
pub use frame::{CaptureItem, Frame, LinkType, SecretsBlock};

use std::path::Path;

/// A stream of frames (and embedded secrets) from one capture.
pub trait FrameSource {
    /// The next item; `Ok(None)` at a clean end. After an `Err` the source is
    /// finished: everything read before it stays valid.
    fn next_item(&mut self) -> Result<Option<CaptureItem<'_>>, CaptureError>;

    /// Bytes of the (decompressed) capture consumed so far, for progress.
    fn bytes_read(&self) -> u64;
}

/// Opens a capture file, recognising pcap, pcapng and gzip by magic number.
pub fn open(path: &Path) -> Result<Box<dyn FrameSource + Send>, CaptureError> {
    let _ = path;
    Err(CaptureError::new(
        path,
        None,
        0,
        CaptureErrorKind::Unsupported("capture reader not built yet".into()),
    ))
}
