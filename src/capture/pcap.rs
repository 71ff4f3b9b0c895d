//! Classic pcap (libpcap) files: microsecond and nanosecond timestamps, both
//! byte orders. The global header is parsed with `pcap-parser`; the 16-byte
//! record header is read here after its length is checked, because records are
//! borrowed from our own buffer (zero-copy frames, every error with its byte
//! offset), which pcap-parser's reader cannot give with exact offsets.

use std::path::PathBuf;

use pcap_parser::parse_pcap_header;

use super::error::{CaptureError, CaptureErrorKind};
use super::frame::{CaptureItem, Frame, LinkType};
use super::stream_buf::{MAX_RECORD, StreamBuf};
use super::{FrameSource, Shared};
use crate::time::Timestamp;

/// A pcap file being read.
pub(crate) struct PcapSource {
    path: PathBuf,
    buf: StreamBuf,
    big_endian: bool,
    nanos: bool,
    link: LinkType,
    frames: u64,
    pending: usize,
    failed: bool,
}

impl PcapSource {
    /// Reads the global header.
    pub fn open(path: PathBuf, mut buf: StreamBuf) -> Result<Self, CaptureError> {
        let err = |k| CaptureError::new(&path, None, 0, k);
        if !buf.ensure(24).map_err(|e| err(CaptureErrorKind::Io(e)))? {
            return Err(err(CaptureErrorKind::Truncated(format!(
                "pcap global header needs 24 bytes, the file has {}",
                buf.data().len()
            ))));
        }
        let header = match parse_pcap_header(buf.data()) {
            Ok((_, h)) => h,
            Err(_) => {
                return Err(err(CaptureErrorKind::Corrupt(
                    "unreadable pcap global header".into(),
                )));
            }
        };
        let link = LinkType::from_number(header.network.0 as u32);
        let (big_endian, nanos) = (header.is_bigendian(), header.is_nanosecond_precision());
        buf.consume(24);
        Ok(PcapSource {
            path,
            buf,
            big_endian,
            nanos,
            link,
            frames: 0,
            pending: 0,
            failed: false,
        })
    }

    fn fail(&mut self, offset: u64, kind: CaptureErrorKind) -> CaptureError {
        self.failed = true;
        CaptureError::new(&self.path, Some(self.frames + 1), offset, kind)
    }
}

/// The record header's words (seconds, fraction, captured and original
/// length) in the file's byte order, read by hand: the layout is fixed and
/// the caller has made 16 bytes available (zeros if it has not).
fn record_header(h: &[u8], big_endian: bool) -> [u32; 4] {
    let mut words = [0u32; 4];
    for (w, b) in words.iter_mut().zip(h.chunks_exact(4)) {
        let b = [b[0], b[1], b[2], b[3]];
        *w = if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
    }
    words
}

impl FrameSource for PcapSource {
    fn next_item(&mut self) -> Result<Option<CaptureItem<'_>>, CaptureError> {
        Ok(self.next_shared()?.map(|(item, _)| item))
    }

    fn next_shared(&mut self) -> Result<Option<Shared<'_>>, CaptureError> {
        self.buf.consume(std::mem::take(&mut self.pending));
        if self.failed {
            return Ok(None);
        }
        let offset = self.buf.offset();
        match self.buf.ensure(16) {
            Err(e) => return Err(self.fail(offset, CaptureErrorKind::Io(e))),
            Ok(false) if self.buf.data().is_empty() => return Ok(None),
            Ok(false) => {
                let have = self.buf.data().len();
                let kind = CaptureErrorKind::Truncated(format!(
                    "record header cut short: {have} of 16 bytes"
                ));
                return Err(self.fail(offset, kind));
            }
            Ok(true) => {}
        }
        let [ts_sec, ts_frac, caplen, origlen] = record_header(self.buf.data(), self.big_endian);
        let caplen = caplen as usize;
        if caplen > MAX_RECORD {
            let kind = CaptureErrorKind::Corrupt(format!(
                "record length {caplen} is larger than any frame"
            ));
            return Err(self.fail(offset, kind));
        }
        match self.buf.ensure(16 + caplen) {
            Err(e) => return Err(self.fail(offset, CaptureErrorKind::Io(e))),
            Ok(false) => {
                let have = self.buf.data().len() - 16;
                let kind = CaptureErrorKind::Truncated(format!(
                    "record of {caplen} bytes cut short: {have} present"
                ));
                return Err(self.fail(offset, kind));
            }
            Ok(true) => {}
        }
        let rec_data = self.buf.data().get(16..16 + caplen).unwrap_or(&[]);
        let sub = if self.nanos {
            ts_frac.min(999_999_999)
        } else {
            ts_frac.min(999_999).saturating_mul(1000)
        };
        let ts = Timestamp::from_secs_nanos(i64::from(ts_sec), sub);
        self.frames += 1;
        self.pending = 16 + caplen;
        let frame = Frame {
            number: self.frames,
            ts,
            link: self.link,
            data: rec_data,
            orig_len: origlen,
            offset,
        };
        Ok(Some((CaptureItem::Frame(frame), Some(self.buf.chunk()))))
    }

    fn bytes_read(&self) -> u64 {
        self.buf.offset()
    }

    fn read_ahead(&mut self) -> Option<super::ReadAheadHandle> {
        Some(self.buf.read_ahead())
    }
}
