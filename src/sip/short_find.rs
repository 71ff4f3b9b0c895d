//! Byte searches in the short strings of a header: URIs, name-addrs,
//! header lines. One SSE2 compare looks at 16 bytes; 8 to 15 bytes are
//! read as two overlapping 64-bit words.
//!
//! Why hand-written: `memchr` is built for long haystacks; on the 15-60
//! bytes of a SIP URI its dispatch and setup cost more than the search, and
//! a plain byte loop costs ~10 instructions a byte. The one `unsafe` block
//! is the unaligned 16-byte load of [`eq_mask`].

use crate::swar::{eq_marks, word_at};

/// Bytes one compare looks at.
pub(crate) const LANES: usize = 16;

/// Bit `i` set when `chunk[i] == byte`.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn eq_mask(chunk: &[u8; LANES], byte: u8) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, so the intrinsics are
    // always available; the unaligned load reads the 16 bytes of `chunk`.
    let m = unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8)))
    };
    // movemask sets only the low 16 bits.
    m as u32
}

/// Bit `i` set when `chunk[i] == byte`.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn eq_mask(chunk: &[u8; LANES], byte: u8) -> u32 {
    chunk
        .iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | u32::from(b == byte) << i)
}

/// The first index in `hay` of `a`.
#[inline]
pub(crate) fn find(hay: &[u8], a: u8) -> Option<usize> {
    find2(hay, a, a)
}

/// The first index in `hay` of `a` or `b`.
#[inline]
pub(crate) fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let mask = |c: &[u8; LANES]| eq_mask(c, a) | eq_mask(c, b);
    let mut i = 0;
    while let Some(chunk) = hay.get(i..).and_then(<[u8]>::first_chunk::<LANES>) {
        let m = mask(chunk);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += LANES;
    }
    if i == hay.len() {
        return None;
    }
    match hay.last_chunk::<LANES>() {
        // The rest, as the last 16 bytes without those already looked at.
        Some(last) => {
            let start = hay.len() - LANES;
            let m = mask(last) >> (i - start);
            (m != 0).then(|| i + m.trailing_zeros() as usize)
        }
        // 8 to 15 bytes (URIs often): two overlapping words.
        None if hay.len() >= 8 => [0, hay.len() - 8].into_iter().find_map(|at| {
            let w = word_at(hay, at);
            let m = eq_marks(w, a) | eq_marks(w, b);
            (m != 0).then(|| at + m.trailing_zeros() as usize / 8)
        }),
        None => hay.iter().position(|&c| c == a || c == b),
    }
}

/// The last index of `a` in `hay`.
#[inline]
pub(crate) fn rfind(hay: &[u8], a: u8) -> Option<usize> {
    let mut end = hay.len();
    while let Some(chunk) = hay.get(..end).and_then(<[u8]>::last_chunk::<LANES>) {
        let m = eq_mask(chunk, a);
        let start = end - LANES;
        if m != 0 {
            return Some(start + (31 - m.leading_zeros()) as usize);
        }
        end = start;
    }
    if end == 0 {
        return None;
    }
    match hay.first_chunk::<LANES>() {
        // The rest, as the first 16 bytes without those already looked at.
        Some(first) => {
            let m = eq_mask(first, a) & ((1 << end) - 1);
            (m != 0).then(|| (31 - m.leading_zeros()) as usize)
        }
        // 8 to 15 bytes: two overlapping words, the last first.
        None if hay.len() >= 8 => [hay.len() - 8, 0].into_iter().find_map(|at| {
            let m = eq_marks(word_at(hay, at), a);
            (m != 0).then(|| at + (63 - m.leading_zeros() as usize) / 8)
        }),
        None => hay.iter().rposition(|&c| c == a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_iterators() {
        let alphabet = b"ab;?@\"x";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 70) as usize;
            let hay: Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (i % 40)) as usize + i) % alphabet.len()])
                .collect();
            for (a, b) in [(b';', b'?'), (b'"', b'>'), (b'@', b'@'), (b'z', b'y')] {
                assert_eq!(
                    find2(&hay, a, b),
                    hay.iter().position(|&c| c == a || c == b),
                    "{hay:?}"
                );
            }
            for a in [b'@', b';', b'z'] {
                assert_eq!(rfind(&hay, a), hay.iter().rposition(|&c| c == a), "{hay:?}");
            }
        }
        for n in 0..40 {
            let mut hay = vec![b'x'; n];
            assert_eq!(find2(&hay, b'@', b';'), None);
            assert_eq!(rfind(&hay, b'@'), None);
            if n > 0 {
                hay[0] = b'@';
                hay[n - 1] = b'@';
                assert_eq!(find2(&hay, b'@', b';'), Some(0));
                assert_eq!(rfind(&hay, b'@'), Some(n - 1));
            }
        }
    }
    #[test]
    fn short_words_as_iterators() {
        let alphabet = b"@;?x\x80\xff:";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let hay: Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (i % 40)) as usize + i) % alphabet.len()])
                .collect();
            assert_eq!(
                find2(&hay, b';', b'?'),
                hay.iter().position(|&c| c == b';' || c == b'?'),
                "{hay:?}"
            );
            assert_eq!(
                rfind(&hay, b'@'),
                hay.iter().rposition(|&c| c == b'@'),
                "{hay:?}"
            );
        }
        for b in 0..=255u8 {
            for len in 8..16 {
                for at in [0, 7, len - 8, len - 1] {
                    let mut hay = vec![b'x'; len];
                    hay[at] = b;
                    let want = (b == b'@').then_some(at);
                    assert_eq!(rfind(&hay, b'@'), want, "{b} {len} {at}");
                    let want = matches!(b, b';' | b'?').then_some(at);
                    assert_eq!(find2(&hay, b';', b'?'), want, "{b} {len} {at}");
                }
            }
        }
    }
}
