//! pcapng files: several sections (each with its own byte order), several
//! interfaces (each with its own link type, `if_tsresol` and `if_tsoffset`),
//! Enhanced / Simple / obsolete Packet blocks, Decryption Secrets Blocks;
//! other blocks are skipped. Block framing is checked here (lengths are never
//! trusted before they are checked); block bodies are parsed by `pcap-parser`.

use std::path::PathBuf;

use pcap_parser::pcapng::Block;
use pcap_parser::{parse_block_be, parse_block_le};

use super::error::{CaptureError, CaptureErrorKind};
use super::frame::{CaptureItem, Frame, LinkType, SecretsBlock};
use super::stream_buf::{MAX_RECORD, StreamBuf};
use super::{FrameSource, Shared};
use crate::time::Timestamp;

const SHB: u32 = 0x0A0D_0D0A;
const OBSOLETE_PACKET: u32 = 0x0000_0002;

/// One interface of the current section.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    units: u64,
    /// Seconds added to every timestamp.
    offset_secs: i64,
}

/// What a parsed block turned out to be, without borrowing it.
enum Found {
    Frame {
        iface: u32,
        ts: Option<u64>,
        start: usize,
        len: usize,
        orig: u32,
    },
    Secrets {
        kind: u32,
        start: usize,
        len: usize,
    },
    Skip,
}

/// A pcapng file being read.
pub(crate) struct PcapngSource {
    path: PathBuf,
    buf: StreamBuf,
    big_endian: bool,
    interfaces: Vec<Interface>,
    frames: u64,
    last_ts: Timestamp,
    pending: usize,
    failed: bool,
}

impl PcapngSource {
    /// Starts reading; the first block must be a Section Header Block.
    pub fn open(path: PathBuf, buf: StreamBuf) -> Result<Self, CaptureError> {
        Ok(PcapngSource {
            path,
            buf,
            big_endian: false,
            interfaces: Vec::new(),
            frames: 0,
            last_ts: Timestamp::default(),
            pending: 0,
            failed: false,
        })
    }

    fn fail(&mut self, offset: u64, kind: CaptureErrorKind) -> CaptureError {
        self.failed = true;
        CaptureError::new(&self.path, Some(self.frames + 1), offset, kind)
    }

    fn timestamp(&self, iface: Interface, raw: u64) -> Timestamp {
        let units = u128::from(iface.units.max(1));
        let raw = u128::from(raw);
        let secs = (raw / units) as i64;
        let nanos = ((raw % units) * 1_000_000_000 / units) as u32;
        Timestamp::from_secs_nanos(secs.saturating_add(iface.offset_secs), nanos)
    }

    /// Reads the next block's framing and body; returns what it is and its length.
    fn next_block(&mut self) -> Result<Option<(Found, usize, u64)>, CaptureError> {
        let offset = self.buf.offset();
        match self.buf.ensure(12) {
            Err(e) => return Err(self.fail(offset, CaptureErrorKind::Io(e))),
            Ok(false) if self.buf.data().is_empty() => return Ok(None),
            Ok(false) => {
                let have = self.buf.data().len();
                let kind = CaptureErrorKind::Truncated(format!(
                    "block header cut short: {have} of 12 bytes"
                ));
                return Err(self.fail(offset, kind));
            }
            Ok(true) => {}
        }
        let d = self.buf.data();
        let le = |i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
        let raw_type = le(0);
        if raw_type == SHB {
            // The byte-order magic decides how this section (and this block's length) reads.
            match le(8) {
                0x1A2B_3C4D => self.big_endian = false,
                0x4D3C_2B1A => self.big_endian = true,
                m => {
                    let kind = CaptureErrorKind::Corrupt(format!(
                        "section header with bad byte-order magic {m:08x}"
                    ));
                    return Err(self.fail(offset, kind));
                }
            }
            self.interfaces.clear();
        } else if self.frames == 0 && self.interfaces.is_empty() && offset == 0 {
            return Err(self.fail(
                offset,
                CaptureErrorKind::Corrupt(
                    "pcapng file does not start with a section header".into(),
                ),
            ));
        }
        let d = self.buf.data();
        let word = |i: usize| {
            let b = [d[i], d[i + 1], d[i + 2], d[i + 3]];
            if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (btype, blen) = (word(0), word(4) as usize);
        if blen < 12 || blen % 4 != 0 || blen > MAX_RECORD {
            let kind = CaptureErrorKind::Corrupt(format!(
                "block type 0x{btype:08x} has impossible length {blen}"
            ));
            return Err(self.fail(offset, kind));
        }
        match self.buf.ensure(blen) {
            Err(e) => return Err(self.fail(offset, CaptureErrorKind::Io(e))),
            Ok(false) => {
                let have = self.buf.data().len();
                let kind = CaptureErrorKind::Truncated(format!(
                    "block of {blen} bytes cut short: {have} present"
                ));
                return Err(self.fail(offset, kind));
            }
            Ok(true) => {}
        }
        let data = &self.buf.data()[..blen];
        let base = data.as_ptr() as usize;
        let pos = |s: &[u8]| s.as_ptr() as usize - base;
        if btype == OBSOLETE_PACKET {
            // Obsolete Packet Block: iface u16, drops u16, ts high/low, caplen, len, data.
            if blen < 32 {
                return Err(self.fail(
                    offset,
                    CaptureErrorKind::Corrupt("short obsolete packet block".into()),
                ));
            }
            let w = |i: usize| {
                let b = [data[i], data[i + 1], data[i + 2], data[i + 3]];
                if self.big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                }
            };
            let iface = w(8) & 0xffff;
            let iface = if self.big_endian { w(8) >> 16 } else { iface };
            let ts = (u64::from(w(12)) << 32) | u64::from(w(16));
            let cap = (w(20) as usize).min(blen - 32);
            let orig = w(24);
            return Ok(Some((
                Found::Frame {
                    iface,
                    ts: Some(ts),
                    start: 28,
                    len: cap,
                    orig,
                },
                blen,
                offset,
            )));
        }
        let parsed = if self.big_endian {
            parse_block_be(data)
        } else {
            parse_block_le(data)
        };
        let block = match parsed {
            Ok((_, b)) => b,
            Err(_) => {
                let kind = CaptureErrorKind::Corrupt(format!(
                    "unreadable block type 0x{btype:08x} of {blen} bytes"
                ));
                return Err(self.fail(offset, kind));
            }
        };
        let found = match block {
            Block::InterfaceDescription(idb) => {
                let iface = Interface {
                    link: LinkType::from_number(u32::from(idb.linktype.0 as u16)),
                    units: idb.ts_resolution().unwrap_or(1_000_000),
                    offset_secs: idb.ts_offset(),
                };
                self.interfaces.push(iface);
                Found::Skip
            }
            Block::EnhancedPacket(epb) => Found::Frame {
                iface: epb.if_id,
                ts: Some((u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low)),
                start: pos(epb.data),
                len: (epb.caplen as usize).min(epb.data.len()),
                orig: epb.origlen,
            },
            Block::SimplePacket(spb) => Found::Frame {
                iface: 0,
                ts: None,
                start: pos(spb.data),
                len: spb.data.len(),
                orig: spb.origlen,
            },
            Block::DecryptionSecrets(dsb) => Found::Secrets {
                kind: dsb.secrets_type.0,
                start: pos(dsb.data),
                len: (dsb.secrets_len as usize).min(dsb.data.len()),
            },
            _ => Found::Skip,
        };
        Ok(Some((found, blen, offset)))
    }
}

impl FrameSource for PcapngSource {
    fn next_item(&mut self) -> Result<Option<CaptureItem<'_>>, CaptureError> {
        Ok(self.next_shared()?.map(|(item, _)| item))
    }

    fn next_shared(&mut self) -> Result<Option<Shared<'_>>, CaptureError> {
        loop {
            self.buf.consume(std::mem::take(&mut self.pending));
            if self.failed {
                return Ok(None);
            }
            let Some((found, blen, offset)) = self.next_block()? else {
                return Ok(None);
            };
            self.pending = blen;
            match found {
                Found::Skip => continue,
                Found::Secrets { kind, start, len } => {
                    let data = &self.buf.data()[start..start + len];
                    let secrets = SecretsBlock {
                        secrets_type: kind,
                        data,
                    };
                    return Ok(Some((
                        CaptureItem::Secrets(secrets),
                        Some(self.buf.chunk()),
                    )));
                }
                Found::Frame {
                    iface,
                    ts,
                    start,
                    len,
                    orig,
                } => {
                    let Some(ifc) = self.interfaces.get(iface as usize).copied() else {
                        let kind = CaptureErrorKind::Corrupt(format!(
                            "packet names interface {iface}, which was never described"
                        ));
                        return Err(self.fail(offset, kind));
                    };
                    let ts = ts
                        .map(|raw| self.timestamp(ifc, raw))
                        .unwrap_or(self.last_ts);
                    self.last_ts = ts;
                    self.frames += 1;
                    let data = &self.buf.data()[start..start + len];
                    let frame = Frame {
                        number: self.frames,
                        ts,
                        link: ifc.link,
                        data,
                        orig_len: orig,
                        offset,
                    };
                    return Ok(Some((CaptureItem::Frame(frame), Some(self.buf.chunk()))));
                }
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.buf.offset()
    }

    fn read_ahead(&mut self) -> Option<super::ReadAheadHandle> {
        Some(self.buf.read_ahead())
    }
}
