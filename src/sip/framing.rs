//! Stream framing of SIP messages: Content-Length (and compact `l:`),
//! CRLF / CRLFCRLF keep-alives, several messages per segment, one message
//! across many segments, resynchronisation to the next start line after garbage.
//!
//! Complete messages are framed straight from the pushed slice; only the
//! incomplete tail of a push is copied, and the buffer is bounded by the
//! header limit (64 KiB) plus the largest accepted body (16 MiB).

use memchr::memmem;

use super::scan::{self, ContentLengthError, Head, StartOffsets};
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
    /// The start line and where the headers end, when the framer already
    /// read them (streams); `None` for a datagram.
    pub head: Option<Head>,
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
    /// A complete message of this many bytes, and its head.
    Message(usize, Head),
    /// More bytes needed; the total message length (and head) when already known.
    NeedMore(Option<(usize, Head)>),
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
    /// The byte before the current position was `\n` (while resynchronising).
    at_line_start: bool,
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
            return match find_start(s, self.at_line_start) {
                Ok(at) => {
                    self.skip_garbage(at);
                    self.resyncing = false;
                    self.episode_counted = false;
                    self.run_lf = 0;
                    if at == 0 {
                        self.frame(s)
                    } else {
                        Step::Skip(at)
                    }
                }
                Err(safe) => {
                    self.skip_garbage(safe);
                    if safe > 0 {
                        self.at_line_start = s[safe - 1] == b'\n';
                    }
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
                    if self.run_lf.is_multiple_of(2) {
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
                return self.garbage(s, 1);
            }
            return Step::NeedMore(None);
        };
        let Some(line) = scan::parse_start_line(&s[..nl]) else {
            return self.garbage(s, 1);
        };
        let line = StartOffsets::of(line, s);
        let Some(end) = scan::find_header_end(window, nl) else {
            if s.len() >= MAX_HEADER_BYTES {
                return self.garbage(s, nl + 1);
            }
            return Step::NeedMore(None);
        };
        let len = match scan::content_length(&s[end.headers_start..end.headers_end], MAX_BODY_BYTES)
        {
            Ok(n) => n.unwrap_or(0),
            Err(ContentLengthError::NotANumber | ContentLengthError::TooLarge) => {
                return self.garbage(s, nl + 1);
            }
        };
        let total = end.body_start + len;
        self.run_lf = 0;
        let head = Head { line, end };
        if s.len() >= total {
            self.stats.messages += 1;
            Step::Message(total, head)
        } else {
            Step::NeedMore(Some((total, head)))
        }
    }

    /// No usable message starts at `s[0]`: skip `skip` bytes and resynchronise.
    fn garbage(&mut self, s: &[u8], skip: usize) -> Step {
        self.start_resync();
        self.at_line_start = skip > 0 && s.get(skip - 1) == Some(&b'\n');
        self.stats.garbage_bytes += skip as u64;
        Step::Skip(skip)
    }
}

/// Finds the next plausible start line in `s`: `Ok(offset)`, or `Err(n)` with
/// the number of leading bytes that can be discarded safely.
/// `line_start` says whether `s[0]` is known to begin a line.
fn find_start(s: &[u8], line_start: bool) -> Result<usize, usize> {
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
            if after[1..4].iter().all(u8::is_ascii_digit)
                && matches!(after[4], b' ' | b'\r' | b'\n')
            {
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
        if ends_line && let Some(start) = request_start(&s[..i], line_start) {
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
/// A request line found this way is at most `RESYNC_TAIL - 16` bytes long, so
/// the result does not depend on how the stream was chunked.
fn request_start(before: &[u8], line_start: bool) -> Option<usize> {
    let floor = (before.len() + 16).saturating_sub(RESYNC_TAIL);
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
    let run = m
        .iter()
        .rposition(|&b| !scan::is_tchar(b))
        .map_or(0, |p| p + 1);
    let token = &m[run..];
    if token.is_empty() {
        return None;
    }
    if KNOWN_METHODS.contains(&token) {
        return (run >= floor).then_some(run);
    }
    // Garbage glued to the method (a body without a trailing newline):
    // accept the longest known method that ends the token.
    if let Some(k) = KNOWN_METHODS
        .iter()
        .filter(|k| token.ends_with(k))
        .max_by_key(|k| k.len())
    {
        let start = method_end - k.len();
        return (start >= floor).then_some(start);
    }
    // An unknown method only at a real line start, upper-case as methods are written.
    let at_line_start = if run > 0 {
        m[run - 1] == b'\n'
    } else {
        line_start
    };
    let upper = token
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'-');
    (at_line_start && upper && token[0].is_ascii_alphabetic() && run >= floor).then_some(run)
}

/// Frames SIP messages out of one direction of a byte stream.
#[derive(Default)]
pub struct SipFramer {
    core: Core,
    /// Incomplete tail waiting for more bytes; `buf[0]` is where framing resumes.
    buf: Vec<u8>,
    /// (offset in `buf`, meta of the push that carried it), ascending.
    metas: Vec<(usize, SegmentMeta)>,
    /// Total length (and head) of the buffered message when its headers are complete.
    need_total: Option<(usize, Head)>,
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
                Step::Message(n, head) => {
                    out(RawMessage {
                        bytes: &data[pos..pos + n],
                        first: meta,
                        last: meta,
                        head: Some(head),
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
        if let Some((total, head)) = self.need_total {
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
                head: Some(head),
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
                Step::Message(n, head) => {
                    let first = self.meta_at(pos).unwrap_or(meta);
                    let last = self.meta_at(pos + n - 1).unwrap_or(meta);
                    out(RawMessage {
                        bytes: &self.buf[pos..pos + n],
                        first,
                        last,
                        head: Some(head),
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
        let keep_from = self
            .metas
            .partition_point(|(o, _)| *o <= n)
            .saturating_sub(1);
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
        // Give back the room a large body needed.
        if self.buf.capacity() > 4 * MAX_HEADER_BYTES {
            self.buf = Vec::new();
        }
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
        self.core.at_line_start = false;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::samples;
    use crate::time::Timestamp;

    fn meta(frame: u64) -> SegmentMeta {
        SegmentMeta {
            frame,
            ts: Timestamp(frame as i64),
        }
    }

    type Got = Vec<(Vec<u8>, u64, u64)>;

    fn run(f: &mut SipFramer, chunks: &[&[u8]]) -> Got {
        let mut got = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            f.push(c, meta(i as u64 + 1), &mut |m| {
                got.push((m.bytes.to_vec(), m.first.frame, m.last.frame))
            });
        }
        got
    }

    fn stream3() -> (Vec<u8>, Vec<Vec<u8>>) {
        let msgs = vec![
            samples::message(),
            samples::benotify(),
            samples::response_480(),
        ];
        let mut s = Vec::new();
        s.extend_from_slice(&msgs[0]);
        s.extend_from_slice(b"\r\n\r\n");
        s.extend_from_slice(&msgs[1]);
        s.extend_from_slice(b"\r\n");
        s.extend_from_slice(&msgs[2]);
        (s, msgs)
    }

    /// The fuzz target's invariant on the input class it found breaking it:
    /// a bare-LF blank line before a CRLF one in a CRLF message. Framed whole
    /// and byte by byte, the messages must be the same.
    #[test]
    fn mixed_blank_lines_frame_alike_however_the_stream_is_cut() {
        let s = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\nX: y\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nCall-ID: 2\r\n\r\n";
        let whole = run(&mut SipFramer::new(), &[s]);
        let bytes: Vec<&[u8]> = s.chunks(1).collect();
        let cut = run(&mut SipFramer::new(), &bytes);
        let texts = |g: &Got| g.iter().map(|m| m.0.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&whole), texts(&cut));
        assert_eq!(
            texts(&whole),
            vec![
                b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\n".to_vec(),
                b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 2\r\n\r\n".to_vec(),
            ]
        );
    }

    #[test]
    fn several_per_push_and_keepalives() {
        let (s, msgs) = stream3();
        let mut f = SipFramer::new();
        let got = run(&mut f, &[b"\r\n\r\n", &s]);
        assert_eq!(got.iter().map(|g| g.0.clone()).collect::<Vec<_>>(), msgs);
        assert!(got.iter().all(|g| g.1 == 2 && g.2 == 2));
        assert_eq!(f.stats().messages, 3);
        assert_eq!(f.stats().keepalives, 3);
        assert_eq!(f.stats().garbage_bytes, 0);
        assert_eq!(f.pending(), 0);
    }

    #[test]
    fn byte_at_a_time_is_identical() {
        let (s, msgs) = stream3();
        let chunks: Vec<&[u8]> = s.chunks(1).collect();
        let mut f = SipFramer::new();
        let got = run(&mut f, &chunks);
        assert_eq!(got.len(), 3);
        let mut off = 0u64;
        for (i, (bytes, first, last)) in got.iter().enumerate() {
            assert_eq!(bytes, &msgs[i]);
            let start = s
                .windows(bytes.len())
                .position(|w| w == &bytes[..])
                .unwrap() as u64;
            assert!(start >= off);
            assert_eq!(*first, start + 1, "first frame of message {i}");
            assert_eq!(
                *last,
                start + bytes.len() as u64,
                "last frame of message {i}"
            );
            off = start + bytes.len() as u64;
        }
        assert_eq!(f.stats().keepalives, 2);
        assert_eq!(f.stats().messages, 3);
        assert_eq!(f.pending(), 0);
        // Every other chunking gives the same messages.
        for size in [2, 3, 7, 100, 1000, 1499, 4096] {
            let chunks: Vec<&[u8]> = s.chunks(size).collect();
            let mut f = SipFramer::new();
            let got = run(&mut f, &chunks);
            assert_eq!(
                got.iter().map(|g| g.0.clone()).collect::<Vec<_>>(),
                msgs,
                "chunk {size}"
            );
            assert_eq!(f.stats().keepalives, 2, "chunk {size}");
        }
    }

    #[test]
    fn garbage_resync_exact_count() {
        let m = samples::message();
        let mut s = b"GARBAGE\x00\x01 not sip at all\r\nmore junk SIP/2.0 x\r\n".to_vec();
        let junk = s.len() as u64;
        s.extend_from_slice(&m);
        let mut f = SipFramer::new();
        let got = run(&mut f, &[&s]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, m);
        assert_eq!(f.stats().garbage_bytes, junk);
        assert_eq!(f.stats().resyncs, 1);
        // Same, one byte at a time.
        let mut f = SipFramer::new();
        let got = run(&mut f, &s.chunks(1).collect::<Vec<_>>());
        assert_eq!(got.len(), 1);
        assert_eq!(f.stats().garbage_bytes, junk);
        assert_eq!(f.stats().resyncs, 1);
    }

    #[test]
    fn body_glued_garbage_then_message() {
        // Mid-body after a gap: "...tail of a body" directly followed by a request.
        let m = samples::benotify();
        let mut s = b"lo world</body>".to_vec();
        s.extend_from_slice(&m);
        let mut f = SipFramer::new();
        f.gap();
        let got = run(&mut f, &[&s]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, m);
        assert_eq!(f.stats().garbage_bytes, 15);
        let r = samples::response_480();
        let mut s = b"xyz".to_vec();
        s.extend_from_slice(&r);
        let mut f = SipFramer::new();
        f.gap();
        assert_eq!(run(&mut f, &[&s]).len(), 1);
        assert_eq!(f.stats().garbage_bytes, 3);
    }

    #[test]
    fn bad_content_length_resyncs() {
        let bad = b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: abc\r\n\r\n";
        let huge = b"MESSAGE sip:a@b SIP/2.0\r\nl: 99999999999\r\n\r\n";
        let good = samples::message();
        for b in [&bad[..], &huge[..]] {
            let mut s = b.to_vec();
            s.extend_from_slice(&good);
            let mut f = SipFramer::new();
            let got = run(&mut f, &[&s]);
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].0, good);
            assert_eq!(f.stats().garbage_bytes, b.len() as u64);
            assert_eq!(f.stats().resyncs, 1);
        }
    }

    #[test]
    fn compact_length_lf_only_and_missing_length() {
        let m = b"MESSAGE sip:a@b SIP/2.0\nl :  3\ni: x\n\nabcOPTIONS sip:b SIP/2.0\r\nCall-ID: y\r\n\r\n";
        let mut f = SipFramer::new();
        let got = run(&mut f, &[m]);
        assert_eq!(got.len(), 2);
        assert!(got[0].0.ends_with(b"\n\nabc"));
        assert!(got[1].0.starts_with(b"OPTIONS"));
        assert_eq!(f.stats().garbage_bytes, 0);
    }

    #[test]
    fn gap_drops_partial_and_resyncs() {
        let m = samples::message();
        let mut f = SipFramer::new();
        let got = run(&mut f, &[&m[..100]]);
        assert!(got.is_empty());
        assert_eq!(f.pending(), 100);
        f.gap();
        assert_eq!(f.pending(), 0);
        let mut rest = m[300..].to_vec();
        let skip = rest.len() as u64;
        rest.extend_from_slice(&m);
        let got = run(&mut f, &[&rest]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, m);
        assert_eq!(f.stats().garbage_bytes, 100 + skip);
        assert_eq!(f.stats().resyncs, 1, "one gap, one resync episode");
    }

    #[test]
    fn header_flood_is_bounded() {
        let mut f = SipFramer::new();
        let mut got = 0;
        f.push(b"MESSAGE sip:a@b SIP/2.0\r\n", meta(1), &mut |_| got += 1);
        let line = b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        for i in 0..2000 {
            f.push(line, meta(i + 2), &mut |_| got += 1);
            assert!(f.pending() <= MAX_HEADER_BYTES + RESYNC_TAIL + line.len());
        }
        assert_eq!(got, 0);
        assert!(f.stats().resyncs >= 1);
        let m = samples::message();
        f.push(&m, meta(9999), &mut |_| got += 1);
        assert_eq!(got, 1);
    }

    #[test]
    fn body_split_over_pushes() {
        let m = samples::benotify();
        let mut f = SipFramer::new();
        let (a, b) = m.split_at(m.len() - 10);
        let (b, c) = b.split_at(5);
        let got = run(&mut f, &[a, b, c]);
        assert_eq!(got, vec![(m.clone(), 1, 3)]);
    }
}
