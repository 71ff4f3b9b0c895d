//! A secret of up to 48 bytes (master secrets, pre-masters, TLS 1.3 traffic
//! secrets) whose `Debug` never shows the bytes, so key material cannot leak
//! through logs or error messages by accident.

use std::fmt;

/// Up to 48 secret bytes, stored inline; `Debug` prints only the length.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret {
    buf: [u8; 48],
    len: u8,
}

impl Secret {
    /// Copies `bytes` (at most 48; longer input is truncated, which callers never pass).
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let n = bytes.len().min(48);
        let mut buf = [0u8; 48];
        buf[..n].copy_from_slice(&bytes[..n]);
        Secret { buf, len: n as u8 }
    }

    /// The secret bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The secret as a 48-byte master secret, if it has exactly that length.
    pub(crate) fn as_master(&self) -> Option<&[u8; 48]> {
        (self.len == 48).then_some(&self.buf)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes, redacted)", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new(&[0xab; 48]);
        let d = format!("{s:?}");
        assert!(!d.to_ascii_lowercase().contains("ab, ") && !d.contains("171"));
        assert!(d.contains("48 bytes"));
        assert!(s.as_master().is_some());
        assert!(Secret::new(&[1; 32]).as_master().is_none());
    }
}
