//! Zero-copy scanning of a SIP header block: the end of the headers
//! (CRLFCRLF, tolerating bare LFLF), the start line, header lines with folded
//! continuations, compact header names and `Content-Length`.

use std::borrow::Cow;

use super::short_find::find;

/// Where the header block of a message ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderEnd {
    /// Offset of the first byte after the start line (first header line).
    pub headers_start: usize,
    /// Offset just past the last header line's terminator (the blank line starts here).
    pub headers_end: usize,
    /// Offset of the first body byte.
    pub body_start: usize,
}

/// Offset of the first `\n` in `data`, if any.
pub fn first_lf(data: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', data)
}

/// Finds the blank line ending the headers. `line_end` is the offset of the
/// `\n` ending the start line. Returns `None` when the headers are incomplete.
///
/// The headers end at the first empty line: a `\n` followed by `\n` or by
/// `\r\n` (lines end in CRLF or, tolerated, a bare LF, as Wireshark reads
/// them), whatever the start line's style. Taking the first one keeps the
/// answer independent of how much of the stream has arrived: preferring a
/// CRLF blank line in CRLF messages took a bare `\n\n` only until a later
/// `\r\n\r\n` arrived, so framing depended on how the bytes were cut (found
/// by the `sip` fuzz target). A match is declared only once complete, and no
/// earlier one can still be incomplete.
pub fn find_header_end(data: &[u8], line_end: usize) -> Option<HeaderEnd> {
    let hay = data.get(line_end..)?;
    let (at, term) = first_blank_line(hay)?;
    Some(HeaderEnd {
        headers_start: line_end + 1,
        headers_end: line_end + at + 1,
        body_start: line_end + at + term,
    })
}

/// Bytes looked at per step of [`first_blank_line`] (128: half the loop
/// overhead of 64 on the 1-3 KB heads Lync sends).
const STEP: usize = 128;

/// The first blank line in `hay`: the offset of the `\n` it follows and the
/// length of that `\n` plus the blank line (2 for `\n\n`, 3 for `\n\r\n`).
///
/// One pass: each step marks the `\n`s followed by `\n` or `\r` in a bit
/// mask (16-byte compares of the bytes and of the bytes one further on);
/// those are rare in a header block (the blank line itself, a stray CR),
/// and each is checked in order. The first complete one ends first: a
/// `\n\r\n` starting at `i` and a `\n\n` starting at `i + 1` would need
/// `hay[i + 1]` to be both `\r` and `\n`.
fn first_blank_line(hay: &[u8]) -> Option<(usize, usize)> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { first_blank_line_avx2(hay) };
    }
    blank_lines_with(hay, blank_marks)
}

/// [`first_blank_line`] with AVX2 compares, 32 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn first_blank_line_avx2(hay: &[u8]) -> Option<(usize, usize)> {
    blank_lines_with(hay, |w| blank_marks_avx2(w))
}

/// [`first_blank_line`] with `marks` marking the candidates of each step.
#[inline(always)]
fn blank_lines_with(hay: &[u8], marks: impl Fn(&[u8; STEP + 1]) -> u128) -> Option<(usize, usize)> {
    let found = |marks: u128, base: usize| {
        let mut m = marks;
        while m != 0 {
            let i = base + m.trailing_zeros() as usize;
            m &= m - 1;
            match hay.get(i + 1) {
                Some(b'\n') => return Some((i, 2)),
                Some(b'\r') if hay.get(i + 2) == Some(&b'\n') => return Some((i, 3)),
                _ => {}
            }
        }
        None
    };
    let mut base = 0;
    // Whole steps: `STEP` bytes and the one after them.
    while let Some(w) = hay
        .get(base..)
        .and_then(<[u8]>::first_chunk::<{ STEP + 1 }>)
    {
        let m = marks(w);
        if m != 0
            && let Some(r) = found(m, base)
        {
            return Some(r);
        }
        base += STEP;
    }
    // The rest, padded with zeros (neither `\n` nor `\r`).
    let rest = hay.get(base..).filter(|r| !r.is_empty())?;
    let mut pad = [0u8; STEP + 1];
    pad.get_mut(..rest.len())?.copy_from_slice(rest);
    found(marks(&pad), base)
}

/// [`blank_marks`] with 32-byte AVX2 compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn blank_marks_avx2(w: &[u8; STEP + 1]) -> u128 {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };
    let p = w.as_ptr();
    let (lf, cr) = (_mm256_set1_epi8(b'\n' as i8), _mm256_set1_epi8(b'\r' as i8));
    let lane = |k: usize| {
        // SAFETY: the unaligned 32-byte loads start at `32 * k` and
        // `32 * k + 1` for `k` below 4, so they read bytes 0..129 of `w`,
        // all in it.
        let (a, b) = unsafe {
            (
                _mm256_loadu_si256(p.add(32 * k).cast::<__m256i>()),
                _mm256_loadu_si256(p.add(32 * k + 1).cast::<__m256i>()),
            )
        };
        let next = _mm256_or_si256(_mm256_cmpeq_epi8(b, lf), _mm256_cmpeq_epi8(b, cr));
        _mm256_and_si256(_mm256_cmpeq_epi8(a, lf), next)
    };
    let l = [lane(0), lane(1), lane(2), lane(3)];
    // One test for the usual step without any.
    let any = _mm256_or_si256(_mm256_or_si256(l[0], l[1]), _mm256_or_si256(l[2], l[3]));
    if _mm256_movemask_epi8(any) == 0 {
        return 0;
    }
    // movemask sets all 32 bits.
    l.iter().enumerate().fold(0, |m, (k, &v)| {
        m | u128::from(_mm256_movemask_epi8(v) as u32) << (32 * k)
    })
}

/// Bit `i` set when `w[i]` is `\n` and `w[i + 1]` is `\n` or `\r`, for `i` below [`STEP`].
#[cfg(target_arch = "x86_64")]
#[inline]
fn blank_marks(w: &[u8; STEP + 1]) -> u128 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let p = w.as_ptr();
    // SAFETY: SSE2 is part of the x86_64 baseline, so the intrinsics are
    // always available; the unaligned 16-byte loads start at `16 * k` and
    // `16 * k + 1` for `k` below 8, so they read bytes 0..129 of `w`, all in it.
    let (masks, any) = unsafe {
        let (lf, cr) = (_mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'\r' as i8));
        let lane = |k: usize| {
            let a = _mm_loadu_si128(p.add(16 * k).cast::<__m128i>());
            let b = _mm_loadu_si128(p.add(16 * k + 1).cast::<__m128i>());
            let next = _mm_or_si128(_mm_cmpeq_epi8(b, lf), _mm_cmpeq_epi8(b, cr));
            _mm_and_si128(_mm_cmpeq_epi8(a, lf), next)
        };
        let l: [__m128i; 8] = std::array::from_fn(lane);
        let any = l.iter().fold(_mm_set1_epi8(0), |a, &v| _mm_or_si128(a, v));
        (l.map(|v| _mm_movemask_epi8(v)), _mm_movemask_epi8(any))
    };
    // One test for the usual step without any.
    if any == 0 {
        return 0;
    }
    // movemask sets only the low 16 bits.
    masks
        .iter()
        .enumerate()
        .fold(0, |m, (k, &v)| m | u128::from(v as u16) << (16 * k))
}

/// Bit `i` set when `w[i]` is `\n` and `w[i + 1]` is `\n` or `\r`, for `i` below [`STEP`].
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn blank_marks(w: &[u8; STEP + 1]) -> u128 {
    blank_marks_portable(w)
}

/// [`blank_marks`] a byte pair at a time, for other architectures (and the tests).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn blank_marks_portable(w: &[u8; STEP + 1]) -> u128 {
    w.windows(2).enumerate().fold(0, |m, (i, p)| {
        m | u128::from(p[0] == b'\n' && matches!(p[1], b'\n' | b'\r')) << i
    })
}

/// The SIP start line of a message, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `METHOD uri SIP/2.0`.
    Request {
        /// Method token.
        method: &'a [u8],
        /// Request-URI.
        uri: &'a [u8],
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// Status code.
        code: u16,
        /// Reason phrase (may be empty).
        reason: &'a [u8],
    },
}

/// A start line's parts as byte ranges of the message it begins, so the
/// parser takes up what the framer read instead of reading the line again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOffsets {
    /// `METHOD uri SIP/2.0`: the method and Request-URI ranges.
    Request {
        /// Method token.
        method: (usize, usize),
        /// Request-URI.
        uri: (usize, usize),
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// Status code.
        code: u16,
        /// Reason phrase range.
        reason: (usize, usize),
    },
}

impl StartOffsets {
    /// The offsets of `line`, whose slices lie in `message`.
    pub fn of(line: StartLine<'_>, message: &[u8]) -> StartOffsets {
        let at = |part: &[u8]| {
            let start = (part.as_ptr() as usize)
                .saturating_sub(message.as_ptr() as usize)
                .min(message.len());
            (start, (start + part.len()).min(message.len()))
        };
        match line {
            StartLine::Request { method, uri } => StartOffsets::Request {
                method: at(method),
                uri: at(uri),
            },
            StartLine::Response { code, reason } => StartOffsets::Response {
                code,
                reason: at(reason),
            },
        }
    }

    /// The start line these offsets locate in `bytes` (`None` when out of range).
    pub fn line(self, bytes: &[u8]) -> Option<StartLine<'_>> {
        let get = |(a, b): (usize, usize)| bytes.get(a..b);
        Some(match self {
            StartOffsets::Request { method, uri } => StartLine::Request {
                method: get(method)?,
                uri: get(uri)?,
            },
            StartOffsets::Response { code, reason } => StartLine::Response {
                code,
                reason: get(reason)?,
            },
        })
    }
}

/// What the framer read of a message's head: its start line and where its headers end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The start line.
    pub line: StartOffsets,
    /// Where the headers end.
    pub end: HeaderEnd,
}

/// [`is_tchar`] for every byte value.
const TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
};

/// True for an RFC 3261 `token` character.
pub fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// Strips one trailing `\r`.
pub fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Classifies a start line (without its line terminator).
pub fn parse_start_line(line: &[u8]) -> Option<StartLine<'_>> {
    let line = trim_cr(line);
    if let Some(rest) = strip_prefix_lower(line, b"sip/2.0 ") {
        let digits = rest.get(..3)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let code = digits
            .iter()
            .fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
        let reason = match rest.get(3..)? {
            [] => &[][..],
            [b' ', r @ ..] => r,
            _ => return None,
        };
        if !(100..=699).contains(&code) {
            return None;
        }
        return Some(StartLine::Response {
            code,
            reason: trim_ws(reason),
        });
    }
    // Methods and URIs are short: 16-byte compares, not `memchr`'s setup.
    let sp1 = find(line, b' ')?;
    let method = &line[..sp1];
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) || !method[0].is_ascii_alphabetic()
    {
        return None;
    }
    let rest = &line[sp1 + 1..];
    // The URI runs to the first space; the version (no space in it) must
    // follow it. So that space is the last one too, and the URI has none:
    // one search where the last space and then any in the URI took two.
    let sp2 = find(rest, b' ')?;
    let uri = &rest[..sp2];
    let version = &rest[sp2 + 1..];
    if !eq_lower(version, b"sip/2.0") || uri.is_empty() {
        return None;
    }
    if !uri.contains(&b':') {
        return None;
    }
    Some(StartLine::Request { method, uri })
}

/// Could `partial` (no line terminator seen yet) still become a start line?
pub fn plausible_prefix(partial: &[u8]) -> bool {
    let n = partial.len().min(8);
    if partial[..n].eq_ignore_ascii_case(&b"SIP/2.0 "[..n]) && n > 0 {
        return true;
    }
    match partial.first() {
        None => true,
        Some(b) if !b.is_ascii_alphabetic() => false,
        Some(_) => {
            let tok_end = memchr::memchr(b' ', partial).unwrap_or(partial.len());
            partial[..tok_end].iter().all(|&b| is_tchar(b))
        }
    }
}

/// `n` equals `lower` ignoring ASCII case, where `lower` holds only
/// lower-case ASCII letters and bytes below 0x40 (digits, `-`, `/`, `.`,
/// `:`, space): a word at a time, where `eq_ignore_ascii_case` folds every byte.
pub(crate) fn eq_lower(n: &[u8], lower: &[u8]) -> bool {
    if n.len() != lower.len() {
        return false;
    }
    // Bit 0x20 is ignored where `lower` has a letter (bit 0x40 set), so
    // there both cases match; every other byte must be equal.
    let same = |a: u64, t: u64| a | ((t & 0x4040_4040_4040_4040) >> 1) == t;
    let word = |b: &[u8], i: usize| -> u64 {
        let mut w = [0u8; 8];
        if let Some(s) = b.get(i..i + 8) {
            w.copy_from_slice(s);
        }
        u64::from_le_bytes(w)
    };
    let half = |b: &[u8], i: usize| -> u64 {
        let mut w = [0u8; 4];
        if let Some(s) = b.get(i..i + 4) {
            w.copy_from_slice(s);
        }
        u64::from(u32::from_le_bytes(w))
    };
    let len = n.len();
    match len {
        0..4 => n
            .iter()
            .zip(lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b),
        // Two words, overlapping when the length is not a multiple.
        4..8 => same(half(n, 0), half(lower, 0)) && same(half(n, len - 4), half(lower, len - 4)),
        _ => {
            let mut i = 0;
            while i + 8 < len {
                if !same(word(n, i), word(lower, i)) {
                    return false;
                }
                i += 8;
            }
            same(word(n, len - 8), word(lower, len - 8))
        }
    }
}

/// `s` without `lower`, a prefix [`eq_lower`] compares, when it starts with it (any case).
fn strip_prefix_lower<'a>(s: &'a [u8], lower: &[u8]) -> Option<&'a [u8]> {
    let head = s.get(..lower.len())?;
    eq_lower(head, lower).then(|| &s[lower.len()..])
}

/// Trims ASCII spaces and tabs (and CR/LF) at both ends.
pub fn trim_ws(s: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_ws(b)).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or(&[])
}

/// Why a `Content-Length` could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentLengthError {
    /// Not a decimal number.
    NotANumber,
    /// Larger than the framing limit.
    TooLarge,
}

/// Reads the `Content-Length` / `l:` value of a header block (the last one if repeated).
/// `Ok(None)` when there is none.
pub fn content_length(headers: &[u8], max: usize) -> Result<Option<usize>, ContentLengthError> {
    // Scanned from the end: Content-Length is usually the last header.
    // (With duplicates, the last one wins.)
    let mut end = headers.len();
    while end > 0 {
        let line_end = if headers[end - 1] == b'\n' {
            end - 1
        } else {
            end
        };
        let start = memchr::memrchr(b'\n', &headers[..line_end]).map_or(0, |p| p + 1);
        let line = &headers[start..line_end];
        end = start;
        let rest = match line.first() {
            Some(b'c' | b'C') => match strip_prefix_lower(line, b"content-length") {
                Some(r) => r,
                None => continue,
            },
            Some(b'l' | b'L') => &line[1..],
            _ => continue,
        };
        let rest = trim_start_ws(rest);
        let Some(value) = rest.strip_prefix(b":") else {
            continue;
        };
        let value = trim_ws(value);
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(ContentLengthError::NotANumber);
        }
        let mut n: usize = 0;
        for d in value {
            n = n.saturating_mul(10).saturating_add(usize::from(d - b'0'));
            if n > max {
                return Err(ContentLengthError::TooLarge);
            }
        }
        return Ok(Some(n));
    }
    Ok(None)
}

fn trim_start_ws(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(s.len());
    &s[start..]
}

/// One header: the name as written and the value with folded lines joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawHeader<'a> {
    /// Name as written.
    pub name: &'a [u8],
    /// Value, trimmed; borrowed unless folded lines had to be joined.
    pub value: Cow<'a, [u8]>,
}

/// Iterates header lines of a header block (start line excluded), joining
/// folded continuation lines; lines without a colon are skipped.
pub struct HeaderIter<'a> {
    block: &'a [u8],
    pos: usize,
    unusual: bool,
}

impl<'a> HeaderIter<'a> {
    /// Iterates the header lines in `block` (from the first header to the blank line).
    pub fn new(block: &'a [u8]) -> Self {
        HeaderIter {
            block,
            pos: 0,
            unusual: false,
        }
    }

    /// True once a folded line, a line without a colon or a bare-LF line end was met.
    pub fn saw_unusual(&self) -> bool {
        self.unusual
    }

    fn next_line(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.block.len() {
            return None;
        }
        let rest = &self.block[self.pos..];
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        self.pos += end + 1;
        let line = &rest[..end];
        match line.strip_suffix(b"\r") {
            Some(l) => Some(l),
            None => {
                self.unusual = true;
                Some(line)
            }
        }
    }

    fn continuation_follows(&self) -> bool {
        matches!(self.block.get(self.pos), Some(b' ' | b'\t'))
    }
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = RawHeader<'a>;

    fn next(&mut self) -> Option<RawHeader<'a>> {
        loop {
            let line = self.next_line()?;
            if line.is_empty() || matches!(line[0], b' ' | b'\t') {
                continue; // stray continuation or blank line
            }
            // Names are short: a plain search beats setting up memchr.
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = trim_ws(&line[..colon]);
            if name.is_empty() {
                continue;
            }
            let first = trim_ws(&line[colon + 1..]);
            if !self.continuation_follows() {
                return Some(RawHeader {
                    name,
                    value: Cow::Borrowed(first),
                });
            }
            self.unusual = true;
            let mut joined = first.to_vec();
            while self.continuation_follows() {
                let Some(cont) = self.next_line() else { break };
                let cont = trim_ws(cont);
                if !cont.is_empty() {
                    if !joined.is_empty() {
                        joined.push(b' ');
                    }
                    joined.extend_from_slice(cont);
                }
            }
            return Some(RawHeader {
                name,
                value: Cow::Owned(joined),
            });
        }
    }
}

/// The full header name for a compact form (`i` -> `call-id`), or the name lower-cased.
pub fn canonical_name(name: &[u8]) -> Cow<'static, str> {
    if name.len() == 1 {
        let full = match name[0].to_ascii_lowercase() {
            b'i' => "call-id",
            b'f' => "from",
            b't' => "to",
            b'm' => "contact",
            b'v' => "via",
            b'c' => "content-type",
            b'l' => "content-length",
            b'k' => "supported",
            b's' => "subject",
            b'e' => "content-encoding",
            b'o' => "event",
            b'u' => "allow-events",
            b'r' => "refer-to",
            b'b' => "referred-by",
            b'x' => "session-expires",
            b'a' => "accept-contact",
            b'j' => "reject-contact",
            b'd' => "request-disposition",
            b'y' => "identity",
            b'n' => "identity-info",
            _ => return Cow::Owned(String::from_utf8_lossy(name).to_ascii_lowercase()),
        };
        return Cow::Borrowed(full);
    }
    Cow::Owned(String::from_utf8_lossy(name).to_ascii_lowercase())
}

/// True when `name` (as written) is `full` or its compact form.
pub fn name_is(name: &[u8], full: &str, compact: Option<u8>) -> bool {
    name.eq_ignore_ascii_case(full.as_bytes())
        || (name.len() == 1 && compact.is_some_and(|c| name[0].eq_ignore_ascii_case(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_end_crlf_and_lf() {
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\n\r\nbody";
        let nl = first_lf(m).unwrap();
        let e = find_header_end(m, nl).unwrap();
        assert_eq!(&m[e.body_start..], b"body");
        assert_eq!(&m[e.headers_start..e.headers_end], b"A: 1\r\n");
        let m = b"OPTIONS sip:a@b SIP/2.0\nA: 1\n\nbody";
        let e = find_header_end(m, first_lf(m).unwrap()).unwrap();
        assert_eq!(&m[e.body_start..], b"body");
        let m = b"OPTIONS sip:a@b SIP/2.0\r\n\r\n";
        let e = find_header_end(m, first_lf(m).unwrap()).unwrap();
        assert_eq!(e.body_start, m.len());
        assert_eq!(e.headers_start, e.headers_end);
        assert!(find_header_end(b"OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\n", 23).is_none());
        // A bare-LF blank line in a CRLF message ends the headers even when a
        // CRLF blank line follows (it used to win once it had arrived).
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\n\nB: 2\r\n\r\n";
        let e = find_header_end(m, first_lf(m).unwrap()).unwrap();
        assert_eq!(&m[e.headers_start..e.headers_end], b"A: 1\r\n");
        assert_eq!(&m[e.body_start..], b"B: 2\r\n\r\n");
        // "\n\r" at the end may still become a blank line: not yet.
        assert!(find_header_end(b"OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\n\r", 23).is_none());
    }

    /// The first blank line, the slow way: the `\n` ending first.
    fn naive_blank_line(hay: &[u8]) -> Option<(usize, usize)> {
        (1..hay.len()).find_map(|j| match (hay[j], hay[j - 1]) {
            (b'\n', b'\n') => Some((j - 1, 2)),
            (b'\n', b'\r') if j >= 2 && hay[j - 2] == b'\n' => Some((j - 2, 3)),
            _ => None,
        })
    }

    /// Every way of marking the candidates finds what the slow way finds.
    fn blank_line_agrees(hay: &[u8]) {
        let want = naive_blank_line(hay);
        let show = || String::from_utf8_lossy(hay).into_owned();
        assert_eq!(first_blank_line(hay), want, "{:?}", show());
        assert_eq!(blank_lines_with(hay, blank_marks), want, "{:?}", show());
        assert_eq!(
            blank_lines_with(hay, blank_marks_portable),
            want,
            "{:?}",
            show()
        );
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            assert_eq!(unsafe { first_blank_line_avx2(hay) }, want, "{:?}", show());
        }
    }

    #[test]
    fn blank_line_at_every_offset() {
        // Blank lines, near misses and line ends on and around the 16-,
        // 32- and 128-byte boundaries of the compares and steps, and at the
        // very end.
        for pad in 0..300 {
            let line = |end: &[u8]| {
                let mut h = b"\nA: 1\r\n".to_vec();
                h.extend(std::iter::repeat_n(b'x', pad));
                h.extend_from_slice(end);
                h
            };
            for end in [
                &b"\r\n\r\n"[..],
                b"\n\n",
                b"\r\n\n",
                b"\n\r\n",
                b"\r\n\r",
                b"\n\r",
                b"\n",
                b"\n\rx\r\n\r\nbody",
                b"\r\n\tfolded\r\n\r\n",
                b"\r\nb\xff\xfe: \x80\r\n\r\n",
                b"",
            ] {
                blank_line_agrees(&line(end));
            }
        }
        for hay in [&b""[..], b"\n", b"\n\n", b"\n\r", b"\n\r\n", b"\r\n\r\n"] {
            blank_line_agrees(hay);
        }
    }

    #[test]
    fn blank_line_random() {
        let alphabet = b"\r\n\n\r a:\t\xff";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 600) as usize;
            // Mostly ordinary text, so blank lines come late.
            let hay: Vec<u8> = (0..len)
                .map(|i| {
                    let r = (x >> (i % 57)) as usize + i * 31;
                    if r.is_multiple_of(5) {
                        alphabet[r / 5 % alphabet.len()]
                    } else {
                        b'v'
                    }
                })
                .collect();
            blank_line_agrees(&hay);
        }
    }

    #[test]
    fn content_length_forms() {
        assert_eq!(content_length(b"Content-Length: 12\r\n", 100), Ok(Some(12)));
        assert_eq!(
            content_length(b"content-length  :\t7 \r\n", 100),
            Ok(Some(7))
        );
        assert_eq!(content_length(b"To: x\r\nl: 3\r\n", 100), Ok(Some(3)));
        assert_eq!(content_length(b"L :3\r\n", 100), Ok(Some(3)));
        assert_eq!(
            content_length(b"Language: x\r\nContent-Lengthy: 1\r\n", 100),
            Ok(None)
        );
        assert_eq!(
            content_length(b"Content-Length: 1x\r\n", 100),
            Err(ContentLengthError::NotANumber)
        );
        assert_eq!(
            content_length(b"Content-Length: 101\r\n", 100),
            Err(ContentLengthError::TooLarge)
        );
        assert_eq!(
            content_length(b"Content-Length: 99999999999999999999999999\r\n", 100),
            Err(ContentLengthError::TooLarge)
        );
    }

    #[test]
    fn start_lines() {
        assert!(matches!(
            parse_start_line(b"BENOTIFY sip:a@b.com SIP/2.0\r"),
            Some(StartLine::Request {
                method: b"BENOTIFY",
                ..
            })
        ));
        assert!(matches!(
            parse_start_line(b"SIP/2.0 480 Temporarily Unavailable"),
            Some(StartLine::Response { code: 480, .. })
        ));
        assert!(parse_start_line(b"SIP/2.0 48 x").is_none());
        assert!(parse_start_line(b"hello world").is_none());
        assert!(parse_start_line(b"GET / HTTP/1.1").is_none());
        assert!(plausible_prefix(b"INVI"));
        assert!(plausible_prefix(b"SIP/"));
        assert!(!plausible_prefix(b"\x16\x03\x01"));
    }

    /// The request-line rules as first written: the URI runs to the last
    /// space and must hold no other.
    fn request_line_by_last_space(line: &[u8]) -> Option<(&[u8], &[u8])> {
        let line = trim_cr(line);
        let sp1 = line.iter().position(|&b| b == b' ')?;
        let method = &line[..sp1];
        if method.is_empty()
            || !method.iter().all(|&b| is_tchar(b))
            || !method[0].is_ascii_alphabetic()
        {
            return None;
        }
        let rest = &line[sp1 + 1..];
        let sp2 = rest.iter().rposition(|&b| b == b' ')?;
        let (uri, version) = (&rest[..sp2], &rest[sp2 + 1..]);
        let ok = version.eq_ignore_ascii_case(b"SIP/2.0")
            && !uri.is_empty()
            && !uri.contains(&b' ')
            && uri.contains(&b':');
        ok.then_some((method, uri))
    }

    #[test]
    fn request_lines_as_by_last_space() {
        let long = "sip:".to_string() + &"u".repeat(40) + "@example.com;opaque=user:epid:x;gruu";
        let mut lines = vec![
            "INVITE sip:a@b SIP/2.0".to_string(),
            "INVITE sip:a b SIP/2.0".to_string(),
            "INVITE sip:a@b  SIP/2.0".to_string(),
            "INVITE  sip:a@b SIP/2.0".to_string(),
            "INVITE sip:a@b SIP/2.0 ".to_string(),
            "INVITE sip:a@b SIP/2.0 x".to_string(),
            "INVITE sip:a@b sip/2.0\r".to_string(),
            "INVITE sip:a@b SIP/2.1".to_string(),
            "INVITE a@b SIP/2.0".to_string(),
            "INVITE SIP/2.0".to_string(),
            "INVITE  SIP/2.0".to_string(),
            "I SIP/2.0 SIP/2.0".to_string(),
            "INVITE sip:a@b\tSIP/2.0".to_string(),
            "INVITE sip:\u{e9}@b SIP/2.0".to_string(),
            "9NVITE sip:a@b SIP/2.0".to_string(),
            " sip:a@b SIP/2.0".to_string(),
        ];
        // Spaces before, at and after the 16-byte compare boundaries.
        for cut in [1, 14, 15, 16, 17, 31, 32, 33, 60] {
            let mut uri = long.clone();
            uri.truncate(cut.min(uri.len()));
            lines.push(format!("MESSAGE {uri} SIP/2.0"));
            lines.push(format!("MESSAGE {uri} x SIP/2.0"));
            lines.push(format!("MESSAGE {} {} SIP/2.0", &long[..cut], &long[cut..]));
            lines.push(format!(
                "{} {uri} SIP/2.0",
                "BENOTIFYXXXXXXXX".get(..cut.min(16)).unwrap()
            ));
        }
        for l in &lines {
            let want = request_line_by_last_space(l.as_bytes());
            let got = match parse_start_line(l.as_bytes()) {
                Some(StartLine::Request { method, uri }) => Some((method, uri)),
                _ => None,
            };
            assert_eq!(got, want, "{l:?}");
        }
    }

    #[test]
    fn eq_lower_is_eq_ignore_ascii_case() {
        for lower in [
            &b"sip/2.0 "[..],
            b"sip/2.0",
            b"content-length",
            b"via",
            b"from",
            b"to",
            b"p-asserted-identity",
            b"call-id",
        ] {
            for at in 0..lower.len() {
                for b in 0..=255u8 {
                    let mut s = lower.to_vec();
                    s[at] = b;
                    assert_eq!(
                        eq_lower(&s, lower),
                        s.eq_ignore_ascii_case(lower),
                        "{lower:?} {at} {b}"
                    );
                }
            }
            assert!(!eq_lower(&lower[1..], lower));
        }
    }

    #[test]
    fn folded_headers() {
        let block = b"Subject: one\r\n  two\r\n\tthree\r\nTo: <sip:x@y>\r\nnocolon\r\n";
        let hs: Vec<_> = HeaderIter::new(block).collect();
        assert_eq!(hs.len(), 2);
        assert_eq!(&*hs[0].value, b"one two three");
        assert_eq!(hs[1].name, b"To");
    }
}
