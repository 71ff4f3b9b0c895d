//! Byte tests eight bytes at a time in a `u64` ("SIMD within a register"),
//! for the short strings the SIP scanners and the JSON writer look at, where
//! a vector unit's setup costs more than it saves.

/// One in each byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The low seven bits of each byte.
pub(crate) const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
/// The high bit of each byte.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// `s[at..at + 8]` as a little-endian word (0 when out of range).
#[inline]
pub(crate) fn word_at(s: &[u8], at: usize) -> u64 {
    s.get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_le_bytes)
}

/// The high bit of each byte of `w` that is `c`. With the high bits
/// cleared first no sum carries into the next byte, so every mark is exact.
#[inline]
pub(crate) fn eq_marks(w: u64, c: u8) -> u64 {
    let x = w ^ (ONES * u64::from(c));
    !(((x & LOW7) + LOW7) | x) & HIGH
}

/// True when a byte of `w` is below `n` (`n` at most 0x80). Subtracting
/// `n` borrows into the top bit of such a byte whose own top bit was clear;
/// the first such byte is marked exactly (later marks may be borrows), so
/// "any" is exact.
#[inline]
pub(crate) fn any_below(w: u64, n: u8) -> bool {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_agree_with_bytes() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let bytes = x.to_le_bytes();
            for c in [0u8, b'"', b':', 0x7f, 0x80, 0xff, bytes[3]] {
                let marks = eq_marks(x, c);
                for (i, &b) in bytes.iter().enumerate() {
                    assert_eq!(marks >> (8 * i + 7) & 1 == 1, b == c, "{x:#x} {c}");
                }
            }
            for n in [1u8, 0x20, 0x41, 0x80] {
                assert_eq!(any_below(x, n), bytes.iter().any(|&b| b < n), "{x:#x} {n}");
            }
        }
        assert_eq!(word_at(b"abcdefghi", 1), u64::from_le_bytes(*b"bcdefghi"));
        assert_eq!(word_at(b"abcdefgh", 1), 0);
    }
}
