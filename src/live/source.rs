//! The libpcap / Npcap frame source.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::capture::{
    CaptureError, CaptureErrorKind, CaptureItem, Frame, FrameSource, LinkType, SecretsBlock,
};
use crate::time::Timestamp;

use super::{FOLLOWED_KEYLOG, KeylogFollower};

/// How to open the interface.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Interface name (`lo`, `eth0`, `\Device\NPF_{...}`).
    pub interface: String,
    /// BPF filter.
    pub filter: String,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Also write packets to this pcap file.
    pub write: Option<PathBuf>,
    /// Key logs to follow, with the bytes already loaded from each.
    pub keylogs: Vec<(PathBuf, u64)>,
}

/// The capture's own counters (libpcap `pcap_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets received by the filter.
    pub received: u32,
    /// Packets dropped for lack of buffer space.
    pub dropped: u32,
    /// Packets dropped by the interface or driver.
    pub if_dropped: u32,
}

/// Frames from a live interface until the duration ends or `stop` is set.
pub struct LiveSource {
    cap: pcap::Capture<pcap::Active>,
    save: Option<pcap::Savefile>,
    link: LinkType,
    follower: KeylogFollower,
    secrets: Vec<u8>,
    buf: Vec<u8>,
    stop: Arc<AtomicBool>,
    deadline: Option<Instant>,
    last_poll: Instant,
    frames: u64,
    bytes: u64,
    path: PathBuf,
}

fn err(path: &Path, e: impl std::fmt::Display) -> CaptureError {
    CaptureError::new(path, None, 0, CaptureErrorKind::Unsupported(e.to_string()))
}

impl LiveSource {
    /// Opens the interface with the filter; `stop` ends the capture (Ctrl-C).
    pub fn open(opts: &LiveOptions, stop: Arc<AtomicBool>) -> Result<LiveSource, CaptureError> {
        let path = PathBuf::from(format!("live:{}", opts.interface));
        let cap = pcap::Capture::from_device(opts.interface.as_str())
            .map_err(|e| err(&path, e))?
            .promisc(false)
            .immediate_mode(true)
            .snaplen(262_144)
            .timeout(100)
            .open()
            .map_err(|e| {
                err(
                    &path,
                    format!("cannot open interface {}: {e}", opts.interface),
                )
            })?;
        // Immediate mode makes libpcap ignore the read timeout, so poll non-blocking
        // and sleep briefly when idle: Ctrl-C and --duration are noticed within 5 ms.
        let mut cap = cap.setnonblock().map_err(|e| err(&path, e))?;
        cap.filter(&opts.filter, true)
            .map_err(|e| err(&path, format!("bad filter {:?}: {e}", opts.filter)))?;
        let save = match &opts.write {
            Some(p) => Some(
                cap.savefile(p)
                    .map_err(|e| err(&path, format!("cannot write {}: {e}", p.display())))?,
            ),
            None => None,
        };
        let link = LinkType::from_number(cap.get_datalink().0 as u32);
        let (paths, offsets) = opts.keylogs.iter().cloned().unzip();
        Ok(LiveSource {
            cap,
            save,
            link,
            follower: KeylogFollower::new(paths, offsets),
            secrets: Vec::new(),
            buf: Vec::with_capacity(65536),
            stop,
            deadline: opts.duration.map(|d| Instant::now() + d),
            last_poll: Instant::now(),
            frames: 0,
            bytes: 0,
            path,
        })
    }

    /// libpcap's received / dropped counters.
    pub fn stats(&mut self) -> LiveStats {
        self.cap
            .stats()
            .map(|s| LiveStats {
                received: s.received,
                dropped: s.dropped,
                if_dropped: s.if_dropped,
            })
            .unwrap_or_default()
    }

    /// The name used for this capture in reports (`live:IF`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn finished(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// How often a followed key log is checked for new lines.
const KEYLOG_POLL: Duration = Duration::from_millis(10);

impl FrameSource for LiveSource {
    fn next_item(&mut self) -> Result<Option<CaptureItem<'_>>, CaptureError> {
        // Packets are copied into `buf` (live rates are far below the copy cost),
        // which keeps the borrow of the pcap handle inside the loop.
        let (ts, orig_len) = loop {
            // Often enough that a key-log line written at the handshake is read
            // before a short connection's FIN is processed (its records are held
            // meanwhile); a poll is an open and a stat.
            if self.last_poll.elapsed() >= KEYLOG_POLL {
                self.last_poll = Instant::now();
                if let Some(text) = self.follower.poll() {
                    self.secrets = text;
                    return Ok(Some(CaptureItem::Secrets(SecretsBlock {
                        secrets_type: FOLLOWED_KEYLOG,
                        data: &self.secrets,
                    })));
                }
            }
            if self.finished() {
                if let Some(s) = &mut self.save {
                    let _ = s.flush();
                }
                return Ok(None);
            }
            match self.cap.next_packet() {
                Ok(pkt) => {
                    if let Some(s) = &mut self.save {
                        s.write(&pkt);
                    }
                    self.buf.clear();
                    self.buf.extend_from_slice(pkt.data);
                    // `tv_sec` is a C long: 64-bit on Linux, 32-bit on Windows (Npcap).
                    #[allow(clippy::unnecessary_cast)]
                    let secs = pkt.header.ts.tv_sec as i64;
                    let ts = Timestamp::from_secs_nanos(
                        secs,
                        (pkt.header.ts.tv_usec as u32).saturating_mul(1000),
                    );
                    break (ts, pkt.header.len);
                }
                // Nothing waiting (non-blocking handle): idle briefly.
                Err(pcap::Error::TimeoutExpired) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(err(&self.path, format!("capture failed: {e}"))),
            }
        };
        self.frames += 1;
        self.bytes += self.buf.len() as u64;
        Ok(Some(CaptureItem::Frame(Frame {
            number: self.frames,
            ts,
            link: self.link,
            data: &self.buf,
            orig_len,
            offset: 0,
        })))
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}
