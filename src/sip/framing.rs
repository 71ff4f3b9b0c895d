//! Stream framing of SIP messages: Content-Length (and compact `l:`),
//! CRLF / CRLFCRLF keep-alives, several messages per segment, one message
//! across many segments, resynchronisation to the next start line after garbage.
//!
//! Complete messages are framed straight from the pushed slice; only the
//! incomplete tail of a push is copied, and the buffer is bounded by the
//! header limit (64 KiB) plus the largest accepted body (16 MiB).

use memchr::memmem;

use super::scan::{self, ContentLengthError};
use crate::reassembly::SegmentMeta;

/// Largest header block accepted before the framer gives up and resynchronises.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest `Content-Length` accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Bytes kept while resynchronising, so a start line split across pushes is still found.
const RESYNC_TAIL: usize = 1024;

/// Methods recognised when a start line follows garbage on the same line.
const KNOWN_METHODS: [&[u8]; 17] = [
    b"INVITE",
    b"ACK",
    b"BYE",
    b"CANCEL",
    b"MESSAGE",
    b"INFO",
    b"REFER",
    b"SUBSCRIBE",
    b"NOTIFY",
    b"BENOTIFY",
    b"SERVICE",
    b"NEGOTIATE",
    b"OPTIONS",
    b"REGISTER",
    b"UPDATE",
    b"PRACK",
    b"PUBLISH",
];

/// A complete message's bytes with the frames that carried it.
#[derive(Clone, Copy, Debug)]
pub struct RawMessage<'a> {
    /// Start line through the end of the body.
    pub bytes: &'a [u8],
    /// Frame that carried the first byte.
    pub first: SegmentMeta,
    /// Frame that carried the last byte.
    pub last: SegmentMeta,
}

/// Framing counters for one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FramerStats {
    /// Messages framed.
    pub messages: u64,
    /// CRLF / CRLFCRLF keep-alives skipped.
    pub keepalives: u64,
    /// Bytes skipped while resynchronising after garbage.
    pub garbage_bytes: u64,
    /// Times resynchronisation happened.
    pub resyncs: u64,
}

/// What the framer found at the current position.
enum Step {
    /// Consumed bytes that are not part of a message (keep-alive, garbage).
    Skip(usize),
    /// A complete message of this many bytes.
    Message(usize),
    /// More bytes needed; the total message length when already known.
    NeedMore(Option<usize>),
}

/// Framing state that does not own the buffer.
#[derive(Default)]
struct Core {
    stats: FramerStats,
    /// LFs seen in the current run of keep-alive bytes (CRLFCRLF counts once).
    run_lf: u64,
    /// Looking for the next start line.
    resyncing: bool,
    /// The current resync episode is already counted.
    episode_counted: bool,
}

impl Core {
    fn start_resync(&mut self) {
        self.resyncing = true;
        if !self.episode_counted {
            self.stats.resyncs += 1;
            self.episode_counted = true;
        }
    }

    fn skip_garbage(&mut self, n: usize) {
        if n > 0 {
            if !self.episode_counted {
                self.stats.resyncs += 1;
                self.episode_counted = true;
            }
            self.stats.garbage_bytes += n as u64;
        }
    }

    /// Frames one unit at the start of `s`.
    fn step(&mut self, s: &[u8]) -> Step {
        if s.is_empty() {
            return Step::NeedMore(None);
        }
        if self.resyncing {
            return match find_start(s) {
                Ok(at) => {
                    self.skip_garbage(at);
                    self.resyncing = false;
                    self.episode_counted = false;
                    self.run_lf = 0;
                    if at == 0 { self.frame(s) } else { Step::Skip(at) }
                }
                Err(safe) => {
                    self.skip_garbage(safe);
                    if safe == 0 {
                        Step::NeedMore(None)
                    } else {
                        Step::Skip(safe)
                    }
                }
            };
        }
        // Keep-alives between messages.
        let ka = s
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .unwrap_or(s.len());
        if ka > 0 {
            for &b in &s[..ka] {
                if b == b'\n' {
                    if self.run_lf % 2 == 0 {
                        self.stats.keepalives += 1;
                    }
                    self.run_lf += 1;
                }
            }
            return Step::Skip(ka);
        }
        self.frame(s)
    }

    /// Frames a message that should start at `s[0]`.
    fn frame(&mut self, s: &[u8]) -> Step {
        let window = &s[..s.len().min(MAX_HEADER_BYTES)];
        let Some(nl) = scan::first_lf(window) else {
            if s.len() >= MAX_HEADER_BYTES || !scan::plausible_prefix(s) {
                return self.garbage(s);
            }
            return Step::NeedMore(None);
        };
        if scan::parse_start_line(&s[..nl]).is_none() {
            return self.garbage(s);
        }
        let Some(end) = scan::find_header_end(window, nl) else {
            if s.len() >= MAX_HEADER_BYTES {
                return self.garbage(s);
            }
            return Step::NeedMore(None);
        };
        let len = match scan::content_length(&s[end.headers_start..end.headers_end], MAX_BODY_BYTES) {
            Ok(n) => n.unwrap_or(0),
            Err(ContentLengthError::NotANumber | ContentLengthError::TooLarge) => return self.garbage(s),
        };
        let total = end.body_start + len;
        self.run_lf = 0;
        if s.len() >= total {
            self.stats.messages += 1;
            Step::Message(total)
        } else {
            Step::NeedMore(Some(total))
        }
    }

    /// `s[0]` does not start a usable message: resynchronise after it.
    fn garbage(&mut self, s: &[u8]) -> Step {
        self.start_resync();
        self.stats.garbage_bytes += 1;
        let _ = s;
        Step::Skip(1)
    }
}

/// Finds the next plausible start line in `s`: `Ok(offset)`, or `Err(n)` with
/// the number of leading bytes that can be discarded safely.
fn find_start(s: &[u8]) -> Result<usize, usize> {
    let finder = memmem::Finder::new(b"SIP/2.0");
    let mut from = 0;
    while let Some(i) = finder.find(&s[from..]) {
        let i = from + i;
        from = i + 1;
        let after = &s[i + 7..];
        // Status line: "SIP/2.0 ddd "
        if after.first() == Some(&b' ') {
            if after.len() < 5 {
                return Err(candidate_floor(s, i));
            }
            if after[1..4].iter().all(u8::is_ascii_digit) && matches!(after[4], b' ' | b'\r' | b'\n') {
                return Ok(i);
            }
            continue;
        }
        // Request line ending: "... SIP/2.0\r\n" or "... SIP/2.0\n".
        let ends_line = match after {
            [] | [b'\r'] => return Err(candidate_floor(s, i)),
            [b'\r', b'\n', ..] | [b'\n', ..] => true,
            _ => false,
        };
        if ends_line && let Some(start) = request_start(&s[..i]) {
            return Ok(start);
        }
    }
    Err(s.len().saturating_sub(RESYNC_TAIL))
}

/// Earliest offset a start line around a candidate at `i` could begin.
fn candidate_floor(s: &[u8], i: usize) -> usize {
    let floor = s.len().saturating_sub(RESYNC_TAIL);
    let line = memchr::memrchr(b'\n', &s[..i]).map_or(0, |n| n + 1);
    floor.min(line).min(i)
}

/// Given the bytes before ` SIP/2.0` at a line end, where the request line starts.
fn request_start(before: &[u8]) -> Option<usize> {
    let before = before.strip_suffix(b" ")?;
    let uri_start = before
        .iter()
        .rposition(|b| matches!(b, b' ' | b'\n' | b'\r'))
        .map_or(0, |p| p + 1);
    let uri = &before[uri_start..];
    if uri.is_empty() || !uri.contains(&b':') {
        return None;
    }
    let method_end = uri_start.checked_sub(1)?;
    if before.get(method_end) != Some(&b' ') {
        return None;
    }
    let m = &before[..method_end];
    let run = m.iter().rposition(|&b| !scan::is_tchar(b)).map_or(0, |p| p + 1);
    let token = &m[run..];
    if token.is_empty() {
        return None;
    }
    let at_line_start = run == 0 || m[run - 1] == b'\n';
    if at_line_start && token[0].is_ascii_alphabetic() {
        return Some(run);
    }
    // Garbage glued to the method (a body without a trailing newline):
    // accept a known method as the token's suffix.
    KNOWN_METHODS
        .iter()
        .find(|k| token.ends_with(k))
        .map(|k| method_end - k.len())
}

/// Frames SIP messages out of one direction of a byte stream.
#[derive(Default)]
pub struct SipFramer {
    core: Core,
    /// Incomplete tail waiting for more bytes; `buf[0]` is where framing resumes.
    buf: Vec<u8>,
    /// (offset in `buf`, meta of the push that carried it), ascending.
    metas: Vec<(usize, SegmentMeta)>,
    /// Total length of the buffered message when its headers are complete.
    need_total: Option<usize>,
}

impl SipFramer {
    /// An empty framer.
    pub fn new() -> Self {
        SipFramer::default()
    }

    /// Appends stream bytes carried by `meta`; calls `out` for every complete message.
    pub fn push(&mut self, data: &[u8], meta: SegmentMeta, out: &mut dyn FnMut(RawMessage<'_>)) {
        let mut data = data;
        if !self.buf.is_empty() {
            match self.push_buffered(data, meta, out) {
                Some(rest) => data = rest,
                None => return,
            }
        }
        let mut pos = 0;
        loop {
            match self.core.step(&data[pos..]) {
                Step::Skip(n) => pos += n,
                Step::Message(n) => {
                    out(RawMessage {
                        bytes: &data[pos..pos + n],
                        first: meta,
                        last: meta,
                    });
                    pos += n;
                }
                Step::NeedMore(total) => {
                    if pos < data.len() {
                        self.buf.extend_from_slice(&data[pos..]);
                        self.metas.push((0, meta));
                        self.need_total = total;
                    }
                    return;
                }
            }
        }
    }

    /// Completes the buffered unit with `data`; returns the part of `data`
    /// still to frame directly, or `None` when everything was consumed or buffered.
    fn push_buffered<'d>(
        &mut self,
        data: &'d [u8],
        meta: SegmentMeta,
        out: &mut dyn FnMut(RawMessage<'_>),
    ) -> Option<&'d [u8]> {
        if let Some(total) = self.need_total {
            let take = total.saturating_sub(self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            if self.buf.len() < total {
                return None;
            }
            let first = self.meta_at(0).unwrap_or(meta);
            self.core.stats.messages += 1;
            out(RawMessage {
                bytes: &self.buf[..total],
                first,
                last: meta,
            });
            self.clear();
            return Some(&data[take..]);
        }
        let old = self.buf.len();
        self.buf.extend_from_slice(data);
        self.metas.push((old, meta));
        let mut pos = 0;
        while pos < old {
            match self.core.step(&self.buf[pos..]) {
                Step::Skip(n) => pos += n,
                Step::Message(n) => {
                    let first = self.meta_at(pos).unwrap_or(meta);
                    let last = self.meta_at(pos + n - 1).unwrap_or(meta);
                    out(RawMessage {
                        bytes: &self.buf[pos..pos + n],
                        first,
                        last,
                    });
                    pos += n;
                }
                Step::NeedMore(total) => {
                    self.drain_front(pos);
                    self.need_total = total;
                    if total.is_some() {
                        self.metas.truncate(1);
                    }
                    return None;
                }
            }
        }
        self.clear();
        Some(&data[pos - old..])
    }

    fn meta_at(&self, offset: usize) -> Option<SegmentMeta> {
        let i = self.metas.partition_point(|(o, _)| *o <= offset);
        self.metas.get(i.checked_sub(1)?).map(|(_, m)| *m)
    }

    fn drain_front(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let keep_from = self.metas.partition_point(|(o, _)| *o <= n).saturating_sub(1);
        self.metas.drain(..keep_from);
        for (o, _) in &mut self.metas {
            *o = o.saturating_sub(n);
        }
        self.buf.drain(..n);
        if self.buf.is_empty() {
            self.metas.clear();
        }
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.metas.clear();
        self.need_total = None;
    }

    /// Bytes were lost: drop any partial message and resynchronise on the next start line.
    pub fn gap(&mut self) {
        if !self.buf.is_empty() {
            let dropped = self.buf.len();
            self.core.episode_counted = false;
            self.core.start_resync();
            self.core.stats.garbage_bytes += dropped as u64;
        }
        self.clear();
        self.core.resyncing = true;
        self.core.run_lf = 0;
        if self.buf.capacity() > 2 * MAX_HEADER_BYTES {
            self.buf = Vec::new();
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &FramerStats {
        &self.core.stats
    }

    /// Bytes held waiting for the rest of a message (reported at end of flow).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}
