//! Handshake message reassembly: handshake messages may span several records
//! and several may share one record; the joiner buffers handshake-type
//! record payloads of one direction and hands out whole messages
//! (4-byte header included, as the transcript hash needs them).

/// Handshake type: client_hello.
pub(crate) const HS_CLIENT_HELLO: u8 = 1;
/// Handshake type: server_hello.
pub(crate) const HS_SERVER_HELLO: u8 = 2;
/// Handshake type: new_session_ticket.
pub(crate) const HS_NEW_SESSION_TICKET: u8 = 4;
/// Handshake type: certificate.
pub(crate) const HS_CERTIFICATE: u8 = 11;
/// Handshake type: server_hello_done.
pub(crate) const HS_SERVER_HELLO_DONE: u8 = 14;
/// Handshake type: client_key_exchange.
pub(crate) const HS_CLIENT_KEY_EXCHANGE: u8 = 16;
/// Handshake type: finished.
pub(crate) const HS_FINISHED: u8 = 20;
/// Handshake type: key_update (TLS 1.3).
pub(crate) const HS_KEY_UPDATE: u8 = 24;

/// Largest handshake message accepted (certificate chains are the big ones).
pub(crate) const MAX_MESSAGE: usize = 256 * 1024;

/// Joins one direction's handshake bytes into messages.
#[derive(Default)]
pub(crate) struct Joiner {
    buf: Vec<u8>,
    /// Where the next unread message starts in `buf`.
    start: usize,
    /// Set when a message claimed more than MAX_MESSAGE; nothing more is parsed.
    broken: bool,
}

impl Joiner {
    /// Appends a handshake record's payload.
    pub(crate) fn push(&mut self, data: &[u8]) {
        if self.broken {
            return;
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next whole message (type, full bytes with header), if one is buffered.
    pub(crate) fn next_message(&mut self) -> Option<(u8, &[u8])> {
        if self.broken {
            return None;
        }
        let rest = &self.buf[self.start..];
        let hdr = rest.get(..4)?;
        let len = u32::from_be_bytes([0, hdr[1], hdr[2], hdr[3]]) as usize;
        if len > MAX_MESSAGE {
            self.broken = true;
            self.buf = Vec::new();
            self.start = 0;
            return None;
        }
        if rest.len() < 4 + len {
            return None;
        }
        let s = self.start;
        self.start += 4 + len;
        Some((hdr[0], &self.buf[s..s + 4 + len]))
    }

    /// Forgets partial messages (after a gap, or at a key change).
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.broken = false;
    }

    /// Bytes of an incomplete message held.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Set after a message claimed an absurd length.
    #[cfg(test)]
    pub(crate) fn is_broken(&self) -> bool {
        self.broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![t];
        v.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn messages_split_and_coalesced_at_every_boundary() {
        let msgs = [msg(1, &[7; 50]), msg(14, &[]), msg(11, &[9; 300])];
        let all: Vec<u8> = msgs.concat();
        for cut in 0..=all.len() {
            let mut j = Joiner::default();
            let mut got = Vec::new();
            for part in [&all[..cut], &all[cut..]] {
                j.push(part);
                while let Some((t, m)) = j.next_message() {
                    got.push((t, m.to_vec()));
                }
            }
            let want: Vec<(u8, Vec<u8>)> = msgs.iter().map(|m| (m[0], m.clone())).collect();
            assert_eq!(got, want, "cut {cut}");
            assert_eq!(j.pending(), 0);
        }
    }

    #[test]
    fn absurd_length_stops_parsing() {
        let mut j = Joiner::default();
        j.push(&[11, 0xff, 0xff, 0xff, 1, 2]);
        assert!(j.next_message().is_none());
        assert!(j.is_broken());
        j.reset();
        j.push(&msg(20, &[1; 12]));
        assert!(j.next_message().is_some());
    }
}
