//! Errors while reading a capture: where (file, frame, offset) and why.

use std::path::{Path, PathBuf};

/// Why a capture could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum CaptureErrorKind {
    /// The OS refused to open or read the file.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file is empty.
    #[error("file is empty")]
    Empty,
    /// The magic number is not pcap, pcapng or gzip.
    #[error("not a pcap or pcapng file (magic {0:02x?})")]
    UnknownFormat([u8; 4]),
    /// The file ends inside a header or record.
    #[error("truncated: {0}")]
    Truncated(String),
    /// A header or record is malformed (length that lies, bad block type...).
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// A format feature fedscope does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// A capture reading error, naming file, frame and byte offset.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}byte offset {offset}: {kind}", path.display(), frame.map(|f| format!("frame {f}, ")).unwrap_or_default())]
pub struct CaptureError {
    /// The capture file.
    pub path: PathBuf,
    /// The frame being read when it happened (1-based), if any.
    pub frame: Option<u64>,
    /// Byte offset in the (decompressed) file.
    pub offset: u64,
    /// What went wrong.
    pub kind: CaptureErrorKind,
}

impl CaptureError {
    /// Builds an error for `path` at `frame` / `offset`.
    pub fn new(path: &Path, frame: Option<u64>, offset: u64, kind: CaptureErrorKind) -> Self {
        CaptureError {
            path: path.to_path_buf(),
            frame,
            offset,
            kind,
        }
    }
}
