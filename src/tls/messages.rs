//! Parsers for the handshake messages the decoder needs: ClientHello,
//! ServerHello (TLS 1.3 `supported_versions` and HelloRetryRequest included),
//! Certificate (1.2 and 1.3 layouts), ClientKeyExchange (static RSA),
//! NewSessionTicket (1.2) and the SSLv2-compatible ClientHello. Every length
//! is checked against the bytes present; a short or inconsistent message
//! yields `None`, never a panic.

/// Extension: server_name.
const EXT_SERVER_NAME: u16 = 0;
/// Extension: encrypt_then_mac (RFC 7366).
const EXT_ENCRYPT_THEN_MAC: u16 = 22;
/// Extension: extended_master_secret (RFC 7627).
const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
/// Extension: session_ticket (RFC 5077).
const EXT_SESSION_TICKET: u16 = 35;
/// Extension: supported_versions (TLS 1.3).
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// The ServerHello random of a HelloRetryRequest (SHA-256 of "HelloRetryRequest").
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A bounds-checked cursor over a message body.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Some(a)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self) -> Option<usize> {
        let b = self.take(3)?;
        Some(u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize)
    }

    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }

    fn vec24(&mut self) -> Option<&'a [u8]> {
        let n = self.u24()?;
        self.take(n)
    }

    fn array32(&mut self) -> Option<[u8; 32]> {
        self.take(32)?.try_into().ok()
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Calls `f(type, data)` for every extension of a block; false if the block is malformed.
fn extensions(block: &[u8], f: &mut dyn FnMut(u16, &[u8])) -> bool {
    let mut r = Reader::new(block);
    while !r.is_empty() {
        let (Some(t), Some(d)) = (r.u16(), r.vec16()) else {
            return false;
        };
        f(t, d);
    }
    true
}

/// What the decoder needs from a ClientHello.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientHello {
    /// legacy_version.
    pub version: u16,
    /// The client random (keys the key log).
    pub random: [u8; 32],
    /// Session id offered for resumption (TLS 1.2) or compatibility (1.3).
    pub session_id: Vec<u8>,
    /// Host name from server_name.
    pub sni: Option<String>,
    /// A session ticket offered for resumption (empty: ticket support only).
    pub ticket: Vec<u8>,
    /// extended_master_secret offered.
    pub ems: bool,
    /// encrypt_then_mac offered.
    pub etm: bool,
    /// Highest version in supported_versions, if present.
    pub max_supported_version: Option<u16>,
}

/// Parses a ClientHello body (after the 4-byte handshake header).
pub(crate) fn client_hello(body: &[u8]) -> Option<ClientHello> {
    let mut r = Reader::new(body);
    let mut ch = ClientHello {
        version: r.u16()?,
        random: r.array32()?,
        session_id: r.vec8()?.to_vec(),
        ..ClientHello::default()
    };
    r.vec16()?; // cipher suites
    r.vec8()?; // compression methods
    if r.is_empty() {
        return Some(ch);
    }
    let block = r.vec16()?;
    let ok = extensions(block, &mut |t, d| match t {
        EXT_SERVER_NAME => ch.sni = server_name(d),
        EXT_EXTENDED_MASTER_SECRET => ch.ems = true,
        EXT_ENCRYPT_THEN_MAC => ch.etm = true,
        EXT_SESSION_TICKET => ch.ticket = d.to_vec(),
        EXT_SUPPORTED_VERSIONS => {
            let mut v = Reader::new(d);
            if let Some(list) = v.vec8() {
                ch.max_supported_version = list
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    // GREASE values (0x?a?a) are not versions.
                    .filter(|v| v & 0x0f0f != 0x0a0a)
                    .max();
            }
        }
        _ => {}
    });
    ok.then_some(ch)
}

/// The first host_name of a server_name extension, if it is printable ASCII.
fn server_name(d: &[u8]) -> Option<String> {
    let mut r = Reader::new(d);
    let mut list = Reader::new(r.vec16()?);
    while !list.is_empty() {
        let kind = list.u8()?;
        let name = list.vec16()?;
        if kind == 0 {
            let ok = !name.is_empty() && name.iter().all(|b| b.is_ascii_graphic());
            return ok.then(|| String::from_utf8_lossy(name).into_owned());
        }
    }
    None
}

/// Parses an SSLv2-compatible ClientHello (the message after the 2-byte
/// header): the challenge, right-aligned in 32 bytes, is the client random.
pub(crate) fn sslv2_client_hello(msg: &[u8]) -> Option<ClientHello> {
    let mut r = Reader::new(msg);
    if r.u8()? != 1 {
        return None;
    }
    let version = r.u16()?;
    let specs = r.u16()? as usize;
    let sid = r.u16()? as usize;
    let challenge = r.u16()? as usize;
    if !(16..=32).contains(&challenge) {
        return None;
    }
    r.take(specs)?;
    let session_id = r.take(sid)?.to_vec();
    let c = r.take(challenge)?;
    let mut random = [0u8; 32];
    random[32 - challenge..].copy_from_slice(c);
    Some(ClientHello {
        version,
        random,
        session_id,
        ..ClientHello::default()
    })
}

/// What the decoder needs from a ServerHello.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ServerHello {
    /// Negotiated version (supported_versions when present, else legacy_version).
    pub version: u16,
    /// The server random.
    pub random: [u8; 32],
    /// Session id (an echo of the client's means resumption in TLS 1.2).
    pub session_id: Vec<u8>,
    /// Cipher suite id.
    pub suite: u16,
    /// extended_master_secret accepted.
    pub ems: bool,
    /// encrypt_then_mac accepted.
    pub etm: bool,
    /// The server will send a NewSessionTicket.
    pub ticket_ext: bool,
    /// This is a TLS 1.3 HelloRetryRequest.
    pub hello_retry: bool,
}

/// Parses a ServerHello body.
pub(crate) fn server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader::new(body);
    let mut sh = ServerHello {
        version: r.u16()?,
        random: r.array32()?,
        session_id: r.vec8()?.to_vec(),
        suite: r.u16()?,
        ..ServerHello::default()
    };
    r.u8()?; // compression
    sh.hello_retry = sh.random == HRR_RANDOM;
    if r.is_empty() {
        return Some(sh);
    }
    let block = r.vec16()?;
    let ok = extensions(block, &mut |t, d| match t {
        EXT_EXTENDED_MASTER_SECRET => sh.ems = true,
        EXT_ENCRYPT_THEN_MAC => sh.etm = true,
        EXT_SESSION_TICKET => sh.ticket_ext = true,
        EXT_SUPPORTED_VERSIONS if d.len() == 2 => sh.version = u16::from_be_bytes([d[0], d[1]]),
        _ => {}
    });
    ok.then_some(sh)
}

/// The DER certificates of a Certificate message, leaf first (TLS 1.2 or 1.3 layout).
pub(crate) fn certificates(body: &[u8], tls13: bool) -> Option<Vec<&[u8]>> {
    let mut r = Reader::new(body);
    if tls13 {
        r.vec8()?; // certificate_request_context
    }
    let mut list = Reader::new(r.vec24()?);
    let mut out = Vec::new();
    while !list.is_empty() {
        out.push(list.vec24()?);
        if tls13 {
            list.vec16()?; // per-certificate extensions
        }
    }
    Some(out)
}

/// The encrypted pre-master of a static-RSA ClientKeyExchange (SSL 3.0 has no length prefix).
pub(crate) fn rsa_encrypted_premaster(body: &[u8], version: u16) -> Option<&[u8]> {
    if version == 0x0300 {
        return (!body.is_empty()).then_some(body);
    }
    let mut r = Reader::new(body);
    let enc = r.vec16()?;
    (r.is_empty() && !enc.is_empty()).then_some(enc)
}

/// The ticket of a TLS 1.2 NewSessionTicket.
pub(crate) fn session_ticket(body: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(body);
    r.take(4)?; // lifetime hint
    r.vec16()
}

/// TLS version name for the report.
pub(crate) fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSL 2.0".into(),
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ClientHello of samples/tls12-gcm.pcap (rustls), handshake header removed.
    const CLIENT_HELLO: &str = include_str!("testdata/client_hello.hex");
    /// The ServerHello of samples/tls12-gcm.pcap.
    const SERVER_HELLO: &str = include_str!("testdata/server_hello.hex");
    /// The ServerHello of samples/tls13.pcap.
    const SERVER_HELLO_13: &str = include_str!("testdata/server_hello_13.hex");

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.trim()).unwrap()
    }

    #[test]
    fn real_client_hello() {
        let m = unhex(CLIENT_HELLO);
        assert_eq!(m[0], 1);
        let ch = client_hello(&m[4..]).unwrap();
        assert_eq!(ch.version, 0x0303);
        assert_eq!(ch.sni.as_deref(), Some("federation.messenger.msn.com"));
        assert!(ch.ems);
        // Every truncation is rejected or parsed without panicking.
        for n in 0..m.len() - 4 {
            let _ = client_hello(&m[4..4 + n]);
        }
    }

    #[test]
    fn real_server_hellos() {
        let m = unhex(SERVER_HELLO);
        let sh = server_hello(&m[4..]).unwrap();
        assert_eq!(sh.version, 0x0303);
        assert_eq!(sh.suite, 0xc02f);
        assert!(sh.ems);
        assert!(!sh.hello_retry);
        let m = unhex(SERVER_HELLO_13);
        let sh = server_hello(&m[4..]).unwrap();
        assert_eq!(sh.version, 0x0304);
        assert_eq!(sh.suite, 0x1301);
        for n in 0..m.len() - 4 {
            let _ = server_hello(&m[4..4 + n]);
        }
    }

    #[test]
    fn hello_retry_request() {
        let mut b = vec![3, 3];
        b.extend_from_slice(&HRR_RANDOM);
        b.extend_from_slice(&[0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
        let sh = server_hello(&b).unwrap();
        assert!(sh.hello_retry);
        assert_eq!(sh.version, 0x0304);
    }

    #[test]
    fn certificate_layouts() {
        let c12 = [0, 0, 8, 0, 0, 2, 0xaa, 0xbb, 0, 0, 0];
        assert_eq!(
            certificates(&c12, false).unwrap(),
            vec![&[0xaa, 0xbb][..], &[][..]]
        );
        let c13 = [0, 0, 0, 7, 0, 0, 2, 0xaa, 0xbb, 0, 0];
        assert_eq!(certificates(&c13, true).unwrap(), vec![&[0xaa, 0xbb][..]]);
        assert!(certificates(&c13[..9], true).is_none());
    }

    #[test]
    fn sslv2_hello() {
        let mut m = vec![1, 3, 1, 0, 3, 0, 0, 0, 16, 0, 0, 0x2f];
        m.extend_from_slice(&[0xcc; 16]);
        let ch = sslv2_client_hello(&m).unwrap();
        assert_eq!(ch.version, 0x0301);
        assert_eq!(&ch.random[..16], &[0; 16]);
        assert_eq!(&ch.random[16..], &[0xcc; 16]);
        assert!(sslv2_client_hello(&m[..20]).is_none());
    }

    #[test]
    fn cke_and_ticket() {
        assert_eq!(
            rsa_encrypted_premaster(&[0, 2, 9, 9], 0x0303),
            Some(&[9, 9][..])
        );
        assert_eq!(rsa_encrypted_premaster(&[0, 3, 9, 9], 0x0303), None);
        assert_eq!(session_ticket(&[0, 0, 1, 0, 0, 2, 5, 6]), Some(&[5, 6][..]));
        assert_eq!(version_name(0x0303), "TLS 1.2");
    }
}
