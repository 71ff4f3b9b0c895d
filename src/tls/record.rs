//! The TLS record layer's framing: the 5-byte header (checked before its
//! length is trusted), the SSLv2-compatible ClientHello some old clients
//! send first, and a per-direction deframer that hands out whole records
//! borrowed from the input when they are complete there and buffers only a
//! partial record; a record assembled in that buffer is handed out mutable,
//! so it can be decrypted where it lies. "Need more bytes" is a normal
//! state, not an error.

/// Content type: change_cipher_spec.
pub(crate) const CT_CCS: u8 = 20;
/// Content type: alert.
pub(crate) const CT_ALERT: u8 = 21;
/// Content type: handshake.
pub(crate) const CT_HANDSHAKE: u8 = 22;
/// Content type: application_data.
pub(crate) const CT_APPDATA: u8 = 23;

/// Header length.
pub(crate) const HEADER_LEN: usize = 5;
/// Largest fragment accepted: 2^14 plus the 2048 bytes of expansion TLS 1.2 allows.
pub(crate) const MAX_FRAGMENT: usize = (1 << 14) + 2048;

/// A checked record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Content type (20–23).
    pub content_type: u8,
    /// Record-layer version (0x0300–0x0304).
    pub version: u16,
    /// Fragment length (≤ MAX_FRAGMENT).
    pub len: usize,
}

/// What the front of a byte stream holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peek {
    /// A whole record: header and `HEADER_LEN + header.len` bytes in total.
    Record(Header),
    /// An SSLv2-compatible ClientHello of `total` bytes (2-byte header included).
    Sslv2Hello {
        /// Bytes the message takes, header included.
        total: usize,
    },
    /// Not enough bytes yet; at least this many more are needed.
    NeedMore(usize),
    /// Not a TLS record header.
    Invalid,
}

/// True for content types 20–23 and versions SSL 3.0 through TLS 1.3's 0x0304.
pub(crate) fn plausible(content_type: u8, version: u16, len: usize) -> bool {
    (CT_CCS..=CT_APPDATA).contains(&content_type)
        && (0x0300..=0x0304).contains(&version)
        && len <= MAX_FRAGMENT
}

/// Parses a record header from the first 5 bytes, if they are there and plausible.
pub(crate) fn header(buf: &[u8]) -> Option<Header> {
    let b = buf.get(..HEADER_LEN)?;
    let h = Header {
        content_type: b[0],
        version: u16::from_be_bytes([b[1], b[2]]),
        len: u16::from_be_bytes([b[3], b[4]]) as usize,
    };
    plausible(h.content_type, h.version, h.len).then_some(h)
}

/// Looks at the front of `buf`; `first` allows an SSLv2-compatible ClientHello.
pub(crate) fn peek(buf: &[u8], first: bool) -> Peek {
    if first && let Some(p) = peek_sslv2(buf) {
        return p;
    }
    if buf.len() < HEADER_LEN {
        // Reject early what can never become a header.
        let bad = match buf {
            [t, ..] if !(CT_CCS..=CT_APPDATA).contains(t) => true,
            [_, m, ..] if *m != 3 => true,
            [_, _, v, ..] if *v > 4 => true,
            _ => false,
        };
        return if bad {
            Peek::Invalid
        } else {
            Peek::NeedMore(HEADER_LEN - buf.len())
        };
    }
    match header(buf) {
        None => Peek::Invalid,
        Some(h) if buf.len() >= HEADER_LEN + h.len => Peek::Record(h),
        Some(h) => Peek::NeedMore(HEADER_LEN + h.len - buf.len()),
    }
}

/// An SSLv2 record header (2-byte, high bit set) carrying a ClientHello (type 1)
/// offering SSL 3.0 or later.
fn peek_sslv2(buf: &[u8]) -> Option<Peek> {
    let b0 = *buf.first()?;
    if b0 & 0x80 == 0 {
        return None;
    }
    if buf.len() < 5 {
        return Some(Peek::NeedMore(5 - buf.len()));
    }
    if buf[2] != 1 || buf[3] != 3 || buf[4] > 4 {
        return None;
    }
    let total = 2 + ((((b0 & 0x7f) as usize) << 8) | buf[1] as usize);
    Some(if buf.len() >= total {
        Peek::Sslv2Hello { total }
    } else {
        Peek::NeedMore(total - buf.len())
    })
}

/// One item the deframer produced.
pub(crate) enum Item<'a> {
    /// A record: its header and fragment.
    Record(Header, Fragment<'a>),
    /// An SSLv2-compatible ClientHello: the message after the 2-byte header.
    Sslv2Hello(&'a [u8]),
    /// The bytes at the front are not a record; framing is lost.
    Invalid,
}

/// A record's fragment, as the deframer hands it out.
pub(crate) enum Fragment<'a> {
    /// Whole in the input: borrowed from it.
    Borrowed(&'a [u8]),
    /// Assembled from several inputs in the deframer's buffer: the whole
    /// record, header first. The receiver may swap the buffer's storage for
    /// another (its content is dropped after the call).
    Assembled(&'a mut Vec<u8>),
}

impl Fragment<'_> {
    /// The fragment's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Fragment::Borrowed(b) => b,
            Fragment::Assembled(v) => v.get(HEADER_LEN..).unwrap_or_default(),
        }
    }
}

/// Splits one direction's bytes into records, buffering only a partial one.
#[derive(Default)]
pub(crate) struct Deframer {
    pending: Vec<u8>,
    /// Whether no record has been seen yet (an SSLv2 hello is allowed then).
    started: bool,
}

impl Deframer {
    /// Bytes held of an incomplete record.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Drops the partial record (after a gap); returns how many bytes were dropped.
    pub(crate) fn reset(&mut self) -> usize {
        let n = self.pending.len();
        self.pending.clear();
        n
    }

    /// Marks that records have been seen (no SSLv2 hello any more).
    #[cfg(test)]
    pub(crate) fn set_started(&mut self) {
        self.started = true;
    }

    /// Feeds `input`, calling `f` for each item in order. Stops at the first
    /// `Invalid` and returns the bytes from there on (the caller resyncs on them),
    /// or an empty slice when everything was consumed or buffered.
    pub(crate) fn feed<'a>(
        &mut self,
        mut input: &'a [u8],
        f: &mut dyn FnMut(Item<'_>),
    ) -> Result<(), Lost<'a>> {
        // First finish a record started in an earlier call.
        if !self.pending.is_empty() {
            loop {
                match peek(&self.pending, !self.started) {
                    Peek::NeedMore(n) => {
                        if input.is_empty() {
                            return Ok(());
                        }
                        let take = n.min(input.len());
                        self.pending.extend_from_slice(&input[..take]);
                        input = &input[take..];
                    }
                    Peek::Record(h) => {
                        self.started = true;
                        // `pending` ends where the record does: NeedMore took no more.
                        f(Item::Record(h, Fragment::Assembled(&mut self.pending)));
                        self.pending.clear();
                        break;
                    }
                    Peek::Sslv2Hello { total } => {
                        self.started = true;
                        let pending = std::mem::take(&mut self.pending);
                        f(Item::Sslv2Hello(&pending[2..total]));
                        self.pending = pending;
                        self.pending.clear();
                        break;
                    }
                    Peek::Invalid => {
                        let held = std::mem::take(&mut self.pending);
                        f(Item::Invalid);
                        return Err(Lost { held, rest: input });
                    }
                }
            }
        }
        // Then whole records straight from the input.
        loop {
            if input.is_empty() {
                return Ok(());
            }
            match peek(input, !self.started) {
                Peek::Record(h) => {
                    self.started = true;
                    let end = HEADER_LEN + h.len;
                    f(Item::Record(h, Fragment::Borrowed(&input[HEADER_LEN..end])));
                    input = &input[end..];
                }
                Peek::Sslv2Hello { total } => {
                    self.started = true;
                    f(Item::Sslv2Hello(&input[2..total]));
                    input = &input[total..];
                }
                Peek::NeedMore(_) => {
                    self.pending.extend_from_slice(input);
                    return Ok(());
                }
                Peek::Invalid => {
                    f(Item::Invalid);
                    return Err(Lost {
                        held: Vec::new(),
                        rest: input,
                    });
                }
            }
        }
    }
}

/// Bytes that could not be framed: what was buffered, then the rest of the input.
pub(crate) struct Lost<'a> {
    /// Bytes buffered from earlier calls (start of the bad data).
    pub held: Vec<u8>,
    /// The rest of this call's input.
    pub rest: &'a [u8],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ct: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![ct, 3, 3];
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    /// Three records of different types and sizes, one empty.
    fn stream() -> (Vec<u8>, Vec<(u8, Vec<u8>)>) {
        let recs = vec![
            (22u8, (0..40u8).collect::<Vec<_>>()),
            (20u8, vec![1]),
            (23u8, vec![]),
            (23u8, (0..=255u8).cycle().take(1000).collect()),
        ];
        let mut s = Vec::new();
        for (t, b) in &recs {
            s.extend(rec(*t, b));
        }
        (s, recs)
    }

    fn collect(d: &mut Deframer, chunk: &[u8], got: &mut Vec<(u8, Vec<u8>)>) {
        let r = d.feed(chunk, &mut |it| match it {
            Item::Record(h, b) => got.push((h.content_type, b.bytes().to_vec())),
            Item::Sslv2Hello(b) => got.push((2, b.to_vec())),
            Item::Invalid => got.push((0, vec![])),
        });
        assert!(r.is_ok());
    }

    #[test]
    fn split_at_every_byte_boundary() {
        let (s, recs) = stream();
        for cut in 0..=s.len() {
            let mut d = Deframer::default();
            let mut got = Vec::new();
            collect(&mut d, &s[..cut], &mut got);
            collect(&mut d, &s[cut..], &mut got);
            assert_eq!(got, recs, "cut at {cut}");
            assert_eq!(d.pending(), 0);
        }
    }

    #[test]
    fn byte_by_byte_and_two_cuts() {
        let (s, recs) = stream();
        let mut d = Deframer::default();
        let mut got = Vec::new();
        for b in &s {
            collect(&mut d, std::slice::from_ref(b), &mut got);
        }
        assert_eq!(got, recs);
        for a in (0..s.len()).step_by(7) {
            for b in (a..=s.len()).step_by(11) {
                let mut d = Deframer::default();
                let mut got = Vec::new();
                collect(&mut d, &s[..a], &mut got);
                collect(&mut d, &s[a..b], &mut got);
                collect(&mut d, &s[b..], &mut got);
                assert_eq!(got, recs, "cuts {a} {b}");
            }
        }
    }

    #[test]
    fn invalid_returns_the_rest() {
        let mut s = rec(23, b"abc");
        s.extend_from_slice(b"GARBAGE");
        let mut d = Deframer::default();
        let mut n = 0;
        let r = d.feed(&s, &mut |it| {
            if let Item::Record(..) = it {
                n += 1
            }
        });
        assert_eq!(n, 1);
        let lost = r.err().unwrap();
        assert_eq!(lost.rest, b"GARBAGE");
        // Split inside the bad header: the held part comes back too.
        let mut d = Deframer::default();
        assert!(d.feed(&[23, 3], &mut |_| {}).is_ok());
        let lost = d.feed(&[9, 0, 1, 2], &mut |_| {}).err().unwrap();
        let mut all = lost.held.clone();
        all.extend_from_slice(lost.rest);
        assert_eq!(all, vec![23, 3, 9, 0, 1, 2]);
    }

    #[test]
    fn too_long_is_invalid() {
        let h = [23, 3, 3, 0x48, 0x01];
        assert_eq!(peek(&h, false), Peek::Invalid);
        assert_eq!(
            peek(&[23, 3, 3, 0x48, 0x00], false),
            Peek::NeedMore(MAX_FRAGMENT)
        );
        assert_eq!(peek(&[24], false), Peek::Invalid);
        assert_eq!(peek(&[22, 3], false), Peek::NeedMore(3));
        assert_eq!(peek(&[], false), Peek::NeedMore(5));
    }

    #[test]
    fn sslv2_client_hello() {
        // 2-byte header, type 1, version 3.1, 3 cipher specs, no session id, 16-byte challenge.
        let mut body = vec![1, 3, 1, 0, 9, 0, 0, 0, 16];
        body.extend_from_slice(&[0, 0, 0x2f, 0, 0, 0x35, 0, 0, 0x0a]);
        body.extend_from_slice(&[0xcc; 16]);
        let mut s = vec![0x80, body.len() as u8];
        s.extend_from_slice(&body);
        s.extend(rec(22, b"x"));
        for cut in 0..=s.len() {
            let mut d = Deframer::default();
            let mut got = Vec::new();
            collect(&mut d, &s[..cut], &mut got);
            collect(&mut d, &s[cut..], &mut got);
            assert_eq!(got, vec![(2, body.clone()), (22, b"x".to_vec())], "{cut}");
        }
        // Not at the start: invalid.
        let mut d = Deframer::default();
        d.set_started();
        assert!(d.feed(&s, &mut |_| {}).is_err());
    }
}
