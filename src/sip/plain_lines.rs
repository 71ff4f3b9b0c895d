//! One pass over a *plain* header block: every line ends in CRLF, none is
//! folded, empty or without a colon, and no name has blanks around it.
//! That is what Lync Edges send, and for such a block [`split_plain`]
//! yields exactly what [`HeaderIter`] does, far cheaper.
//!
//! Why hand-written: `HeaderIter` calls `memchr` once per line and walks
//! each name byte by byte for the colon; with ~17 lines of 1.2-3.5 KB Lync
//! heads that was 4,900 instructions a message. Here one SSE2 compare per 16
//! bytes marks every `\n` of a 64-byte block in a bit mask, the lines are
//! read off the mask, and the colon of each line is found by one more
//! 16-byte compare at its start (names are short).
//!
//! Anything else (a bare LF, a folded or blank line, a line without a colon,
//! an empty name or one with blanks around it, a last line without its LF)
//! makes [`split_plain`] give up, and the caller uses [`HeaderIter`], which
//! knows every tolerated form; the unit tests hold the two equal.
//!
//! [`HeaderIter`]: super::scan::HeaderIter

use std::ops::Range;

use super::short_find::{LANES, eq_mask};

/// Bytes looked at per step of the line search.
const BLOCK: usize = 64;

/// Splits a plain header block into (name, value) byte ranges, both trimmed as
/// [`super::scan::HeaderIter`] trims them, calling `each` per header in order.
/// Returns `false` (after calling `each` for some prefix of the headers) when
/// the block is not plain; the caller then discards what it got.
pub(crate) fn split_plain(block: &[u8], mut each: impl FnMut(Range<usize>, Range<usize>)) -> bool {
    let mut start = 0;
    let mut base = 0;
    while base < block.len() {
        let mut nl = newlines(block, base);
        while nl != 0 {
            let at = base + nl.trailing_zeros() as usize;
            nl &= nl - 1;
            let Some((name, value)) = plain_line(block, start, at) else {
                return false;
            };
            each(name, value);
            start = at + 1;
        }
        base += BLOCK;
    }
    start == block.len()
}

/// The name and value of the header line `block[start..at]` (`at` is its
/// `\n`), or `None` when the line is not plain.
#[inline]
fn plain_line(block: &[u8], start: usize, at: usize) -> Option<(Range<usize>, Range<usize>)> {
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    // Ends in CRLF; the line proper is `block[start..cr]`.
    let cr = at
        .checked_sub(1)
        .filter(|&cr| block.get(cr) == Some(&b'\r'))?;
    // Not folded or blank, and the name needs no trimming.
    if start >= cr || blank(block[start]) {
        return None;
    }
    let colon = first_colon(block, start, cr)?;
    if colon == start || blank(block[colon - 1]) {
        return None;
    }
    let (mut from, mut to) = (colon + 1, cr);
    // Usually one space after the colon (`cr` is a CR, so `from < to` then).
    if block.get(from) == Some(&b' ') {
        from += 1;
    }
    while from < to && blank(block[from]) {
        from += 1;
    }
    while to > from && blank(block[to - 1]) {
        to -= 1;
    }
    Some((start..colon, from..to))
}

/// The first `:` in `block[from..to]`.
#[inline]
fn first_colon(block: &[u8], from: usize, to: usize) -> Option<usize> {
    let mut i = from;
    while i < to {
        let Some(chunk) = block.get(i..).and_then(<[u8]>::first_chunk) else {
            break;
        };
        let m = eq_mask(chunk, b':');
        if m != 0 {
            // The compare may have looked past the line end.
            let colon = i + m.trailing_zeros() as usize;
            return (colon < to).then_some(colon);
        }
        if to - i <= LANES {
            return None;
        }
        i += LANES;
    }
    let tail = block.get(i..to)?;
    tail.iter().position(|&b| b == b':').map(|p| i + p)
}

/// Bit `i` set when `block[base + i]` is `\n`, for the 64 bytes from `base`
/// (zero bits past the end of `block`).
#[inline]
fn newlines(block: &[u8], base: usize) -> u64 {
    match block.get(base..).and_then(<[u8]>::first_chunk::<BLOCK>) {
        Some(b) => b
            .as_chunks::<LANES>()
            .0
            .iter()
            .enumerate()
            .fold(0, |m, (i, c)| {
                m | u64::from(eq_mask(c, b'\n')) << (LANES * i)
            }),
        None => {
            let mut tail = [0u8; BLOCK];
            let rest = block.get(base..).unwrap_or(&[]);
            tail[..rest.len()].copy_from_slice(rest);
            newlines(&tail, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::samples;
    use crate::sip::scan::HeaderIter;
    use std::borrow::Cow;

    /// `split_plain`'s headers, or `None` when it gave up.
    fn plain(block: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
        let mut out = Vec::new();
        split_plain(block, |n, v| out.push((&block[n], &block[v]))).then_some(out)
    }

    /// Whenever `split_plain` accepts a block, `HeaderIter` reads the same
    /// headers from it, borrowed, and sees nothing unusual.
    fn agrees(block: &[u8]) -> bool {
        let Some(fast) = plain(block) else {
            return false;
        };
        let mut it = HeaderIter::new(block);
        let slow: Vec<(&[u8], &[u8])> = it
            .by_ref()
            .map(|h| match h.value {
                Cow::Borrowed(v) => (h.name, v),
                Cow::Owned(_) => panic!("folded value in an accepted block"),
            })
            .collect();
        assert!(!it.saw_unusual(), "{:?}", String::from_utf8_lossy(block));
        assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(block));
        true
    }

    fn head_of(m: &[u8]) -> &[u8] {
        let nl = crate::sip::scan::first_lf(m).unwrap();
        let e = crate::sip::scan::find_header_end(m, nl).unwrap();
        &m[e.headers_start..e.headers_end]
    }

    #[test]
    fn samples_are_plain_and_agree() {
        for m in [
            samples::message(),
            samples::benotify(),
            samples::service(),
            samples::response_480(),
        ] {
            assert!(agrees(head_of(&m)));
        }
        assert!(agrees(b""));
    }

    #[test]
    fn trims_like_header_iter() {
        let b = b"A:  x \t\r\nB:\r\nC:\t\r\r\nD:y:z\r\nE: a\xff\xfeb\r\n";
        assert!(agrees(b));
        let h = plain(b).unwrap();
        assert_eq!(h[0], (&b"A"[..], &b"x"[..]));
        assert_eq!(h[1], (&b"B"[..], &b""[..]));
        assert_eq!(h[2], (&b"C"[..], &b""[..]));
        assert_eq!(h[3], (&b"D"[..], &b"y:z"[..]));
        assert_eq!(h[4].1, b"a\xff\xfeb");
        // Names with blanks around them are left to HeaderIter.
        for b in [&b"A :x\r\n"[..], b"A\t:x\r\n", b"\rD:y\r\n", b"A\r:x\r\n"] {
            assert!(plain(b).is_none(), "{:?}", String::from_utf8_lossy(b));
        }
    }

    #[test]
    fn gives_up_on_unusual_lines() {
        for b in [
            &b"A: 1\nB: 2\r\n"[..],         // bare LF
            b"A: 1\r\n  more\r\nB: 2\r\n",  // folded
            b"A: 1\r\n\tmore\r\n",          // folded with a tab
            b" A: 1\r\n",                   // stray continuation first
            b"A: 1\r\n\r\nB: 2\r\n",        // blank line
            b"A: 1\r\nnocolon\r\nB: 2\r\n", // colon-less line
            b"A: 1\r\n : x\r\n",            // empty name (after a space)
            b": x\r\n",                     // empty name
            b"A: 1\r\nB: 2",                // last line without LF
            b"A: 1\r\nB: 2\r",              // last line without LF, CR kept
            b"\n",                          // bare LF only
            b"\r\n",                        // CRLF only
        ] {
            assert!(plain(b).is_none(), "{:?}", String::from_utf8_lossy(b));
        }
        // A CR inside a line that does end in CRLF is just a byte of the value.
        assert!(agrees(b"A: 1\r2\r\n"));
    }

    #[test]
    fn lines_across_blocks() {
        // Line ends, colons and CRs on and around every 64-byte boundary.
        for pad in 0..140 {
            let mut b = Vec::new();
            b.extend_from_slice(b"Via: ");
            b.extend(std::iter::repeat_n(b'x', pad));
            b.extend_from_slice(b"\r\nN");
            b.extend(std::iter::repeat_n(b'n', pad % 70));
            b.extend_from_slice(b": sip:a@b:5061\r\nl: 0\r\n");
            assert!(agrees(&b), "pad {pad}");
            let mut cut = b.clone();
            cut.pop();
            assert!(plain(&cut).is_none());
        }
    }

    #[test]
    fn colons_and_line_ends_across_blocks() {
        // Long names and values full of colons, so a name's colon, a
        // value's colons and the line end fall in different 64-byte steps.
        for name_len in [1, 15, 16, 17, 62, 63, 64, 65, 70, 130] {
            for value_len in [0, 1, 30, 63, 64, 65, 129] {
                let mut b = Vec::new();
                b.extend_from_slice(b"A: 1\r\n");
                b.extend(std::iter::repeat_n(b'n', name_len));
                b.extend_from_slice(b": ");
                b.extend((0..value_len).map(|i| if i % 7 == 3 { b':' } else { b'v' }));
                b.extend_from_slice(b"\r\nB:x:y\r\n");
                assert!(agrees(&b), "name {name_len} value {value_len}");
                // The same with the last line's colons removed: no longer plain.
                let mut no_colon = b.clone();
                let len = no_colon.len();
                no_colon.truncate(len - 7);
                no_colon.extend_from_slice(b"Bxy\r\n");
                assert!(
                    plain(&no_colon).is_none(),
                    "name {name_len} value {value_len}"
                );
            }
        }
        // A colon-less line whose `\n` comes before a later line's colon.
        assert!(plain(b"A: 1\r\nnocolon\r\nB: 2\r\n").is_none());
        // A name with a blank just before the colon, at a step boundary.
        let mut b = vec![b'n'; 62];
        b.extend_from_slice(b" : x\r\n");
        assert!(plain(&b).is_none());
    }

    #[test]
    fn compact_names_pass_through() {
        assert!(agrees(b"i: x\r\nf: <sip:a@b>\r\nl: 0\r\n"));
    }

    #[test]
    fn random_blocks_agree_when_accepted() {
        // Blocks over the bytes that matter, many of them plain by construction.
        let alphabet = b"ab::  \t\r\n\r\n\xff";
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut b = Vec::new();
            let lines = (x % 6) as usize;
            for _ in 0..lines {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let len = (x % 90) as usize;
                let mut line: Vec<u8> = (0..len)
                    .map(|i| alphabet[((x >> (i % 50)) as usize + i * 7) % alphabet.len()])
                    .collect();
                if x & 1 == 0 {
                    line.retain(|c| !matches!(c, b'\r' | b'\n'));
                    line.insert(0, b'N');
                    line.insert(1, b':');
                    line.extend_from_slice(b"\r\n");
                }
                b.extend_from_slice(&line);
            }
            accepted += usize::from(agrees(&b));
        }
        assert!(accepted > 1000, "{accepted}");
    }
}
