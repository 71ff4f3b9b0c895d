//! Drives a real TLS client and server in memory (rustls or OpenSSL) and
//! records every TLS byte each side sent, in order, as "chunks", plus the
//! NSS key-log lines the client reported.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

/// Bytes one side wrote to the wire at once: `true` when the TLS client sent them.
pub type Chunk = (bool, Vec<u8>);

/// Where a SIP message ended up in the transcript.
#[derive(Clone, Debug)]
pub struct Placed {
    /// Index into the chunk list of the chunk carrying (the start of) this message.
    pub chunk: usize,
}

/// The recorded conversation.
#[derive(Default, Debug)]
pub struct Transcript {
    /// Wire bytes in order.
    pub chunks: Vec<Chunk>,
    /// For each script message, where it was sent.
    pub placed: Vec<Placed>,
    /// NSS key-log lines.
    pub keylog: Vec<String>,
}

/// Collects rustls key-log lines in memory.
#[derive(Debug, Default)]
pub struct MemKeyLog(pub Mutex<Vec<String>>);

impl MemKeyLog {
    /// Takes the lines logged so far.
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl rustls::KeyLog for MemKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut v) = self.0.lock() {
            v.push(format!("{label} {} {}", hex(client_random), hex(secret)));
        }
    }
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Accepts any server certificate (the samples use self-signed ones).
#[derive(Debug)]
pub struct AcceptAll(pub Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAll {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// rustls client and server configs for one suite and version, the client
/// logging keys into the returned key log.
pub fn rustls_configs(
    suite: rustls::SupportedCipherSuite,
    version: &'static rustls::SupportedProtocolVersion,
    cert_der: Vec<u8>,
    key_pkcs8_der: Vec<u8>,
) -> (
    Arc<rustls::ClientConfig>,
    Arc<rustls::ServerConfig>,
    Arc<MemKeyLog>,
) {
    let mut prov = rustls::crypto::ring::default_provider();
    prov.cipher_suites = vec![suite];
    let prov = Arc::new(prov);
    let log = Arc::new(MemKeyLog::default());
    let mut cc = rustls::ClientConfig::builder_with_provider(prov.clone())
        .with_protocol_versions(&[version])
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAll(prov.clone())))
        .with_no_client_auth();
    cc.key_log = log.clone();
    let sc = rustls::ServerConfig::builder_with_provider(prov)
        .with_protocol_versions(&[version])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert_der)],
            PrivateKeyDer::Pkcs8(key_pkcs8_der.into()),
        )
        .expect("server cert");
    (Arc::new(cc), Arc::new(sc), log)
}

fn pump_rustls(
    c: &mut rustls::ClientConnection,
    s: &mut rustls::ServerConnection,
    t: &mut Transcript,
) {
    loop {
        let mut moved = false;
        while c.wants_write() {
            let mut b = Vec::new();
            c.write_tls(&mut b).expect("client write_tls");
            feed(s, &b);
            t.chunks.push((true, b));
            moved = true;
        }
        while s.wants_write() {
            let mut b = Vec::new();
            s.write_tls(&mut b).expect("server write_tls");
            feed(c, &b);
            t.chunks.push((false, b));
            moved = true;
        }
        drain(c);
        drain(s);
        if !moved {
            break;
        }
    }
}

fn feed<C, D>(conn: &mut C, mut b: &[u8])
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
{
    while !b.is_empty() {
        conn.read_tls(&mut b).expect("read_tls");
        conn.process_new_packets().expect("process_new_packets");
    }
}

fn drain<C, D>(conn: &mut C)
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
{
    let mut buf = [0u8; 4096];
    while let Ok(n) = conn.reader().read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// A rustls client/server pair in memory, recording the wire.
pub struct RustlsPair {
    /// TLS client.
    pub c: rustls::ClientConnection,
    /// TLS server.
    pub s: rustls::ServerConnection,
}

impl RustlsPair {
    /// Connects and runs the handshake, recording its bytes into `t`.
    pub fn connect(
        cc: Arc<rustls::ClientConfig>,
        sc: Arc<rustls::ServerConfig>,
        sni: &str,
        t: &mut Transcript,
    ) -> Self {
        let name = ServerName::try_from(sni.to_string()).expect("sni");
        let c = rustls::ClientConnection::new(cc, name).expect("client");
        let s = rustls::ServerConnection::new(sc).expect("server");
        let mut p = RustlsPair { c, s };
        pump_rustls(&mut p.c, &mut p.s, t);
        assert!(
            !p.c.is_handshaking() && !p.s.is_handshaking(),
            "rustls handshake did not finish"
        );
        p
    }

    /// Sends one application message from the client (or the server).
    pub fn send(&mut self, from_client: bool, msg: &[u8], t: &mut Transcript) {
        if from_client {
            self.c.writer().write_all(msg).expect("write");
        } else {
            self.s.writer().write_all(msg).expect("write");
        }
        pump_rustls(&mut self.c, &mut self.s, t);
    }

    /// TLS 1.3 KeyUpdate from the client.
    pub fn key_update(&mut self, t: &mut Transcript) {
        self.c.refresh_traffic_keys().expect("key update");
        pump_rustls(&mut self.c, &mut self.s, t);
    }

    /// close_notify from the client.
    pub fn close(&mut self, t: &mut Transcript) {
        self.c.send_close_notify();
        pump_rustls(&mut self.c, &mut self.s, t);
    }
}

/// Runs `script` over a rustls connection; `key_update_after` sends a TLS 1.3
/// KeyUpdate from the client before that script message.
pub fn run_rustls(
    cc: Arc<rustls::ClientConfig>,
    sc: Arc<rustls::ServerConfig>,
    log: &MemKeyLog,
    sni: &str,
    script: &[(bool, Vec<u8>)],
    key_update_after: Option<usize>,
) -> Transcript {
    let mut t = Transcript::default();
    let mut p = RustlsPair::connect(cc, sc, sni, &mut t);
    for (i, (from_client, msg)) in script.iter().enumerate() {
        if key_update_after == Some(i) {
            p.key_update(&mut t);
        }
        t.placed.push(Placed {
            chunk: t.chunks.len(),
        });
        p.send(*from_client, msg, &mut t);
    }
    p.close(&mut t);
    t.keylog = log.take();
    t
}

/// One end of an in-memory duplex: reads what the peer's pipe was given,
/// writes into an outbox the driver moves to the peer.
#[derive(Clone, Default)]
pub struct Pipe {
    inbox: Rc<RefCell<VecDeque<u8>>>,
    outbox: Rc<RefCell<Vec<u8>>>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut q = self.inbox.borrow_mut();
        if q.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(q.len());
        for (d, s) in buf.iter_mut().zip(q.drain(..n)) {
            *d = s;
        }
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbox.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An OpenSSL client/server pair over pipes, recording the wire.
pub struct OsslPair {
    /// TLS client.
    pub c: openssl::ssl::SslStream<Pipe>,
    /// TLS server.
    pub s: openssl::ssl::SslStream<Pipe>,
    cp: Pipe,
    sp: Pipe,
}

impl OsslPair {
    /// Wraps two configured `Ssl` objects.
    pub fn new(client: openssl::ssl::Ssl, server: openssl::ssl::Ssl) -> Self {
        let cp = Pipe::default();
        let sp = Pipe::default();
        let c = openssl::ssl::SslStream::new(client, cp.clone()).expect("client stream");
        let s = openssl::ssl::SslStream::new(server, sp.clone()).expect("server stream");
        OsslPair { c, s, cp, sp }
    }

    /// Moves pending bytes each way, recording them; returns whether any moved.
    fn flush(&mut self, t: &mut Transcript) -> bool {
        let mut moved = false;
        let out: Vec<u8> = std::mem::take(&mut *self.cp.outbox.borrow_mut());
        if !out.is_empty() {
            self.sp.inbox.borrow_mut().extend(out.iter().copied());
            t.chunks.push((true, out));
            moved = true;
        }
        let out: Vec<u8> = std::mem::take(&mut *self.sp.outbox.borrow_mut());
        if !out.is_empty() {
            self.cp.inbox.borrow_mut().extend(out.iter().copied());
            t.chunks.push((false, out));
            moved = true;
        }
        moved
    }

    fn read_all(&mut self) {
        let mut buf = [0u8; 4096];
        for side in [&mut self.c, &mut self.s] {
            loop {
                match side.ssl_read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
        }
    }

    /// Runs the handshake to completion.
    pub fn handshake(&mut self, t: &mut Transcript) -> Result<(), String> {
        let mut done = (false, false);
        for _ in 0..20 {
            if !done.0 {
                match self.c.do_handshake() {
                    Ok(()) => done.0 = true,
                    Err(e) if e.code() == openssl::ssl::ErrorCode::WANT_READ => {}
                    Err(e) => return Err(format!("client handshake: {e}")),
                }
            }
            self.flush(t);
            if !done.1 {
                match self.s.do_handshake() {
                    Ok(()) => done.1 = true,
                    Err(e) if e.code() == openssl::ssl::ErrorCode::WANT_READ => {}
                    Err(e) => return Err(format!("server handshake: {e}")),
                }
            }
            self.flush(t);
            if done.0 && done.1 {
                // Let each side consume anything still in flight (tickets).
                self.read_all();
                while self.flush(t) {
                    self.read_all();
                }
                return Ok(());
            }
        }
        Err("handshake did not finish".into())
    }

    /// Sends a script and closes with close_notify from the client.
    pub fn run(&mut self, script: &[(bool, Vec<u8>)], t: &mut Transcript) {
        for (from_client, msg) in script {
            t.placed.push(Placed {
                chunk: t.chunks.len(),
            });
            let side = if *from_client {
                &mut self.c
            } else {
                &mut self.s
            };
            side.ssl_write(msg).expect("ssl_write");
            self.flush(t);
            self.read_all();
            while self.flush(t) {
                self.read_all();
            }
        }
        // close_notify both ways: a server that never shuts down drops the
        // session from its cache (no resumption by ID).
        let _ = self.c.shutdown();
        self.flush(t);
        self.read_all();
        let _ = self.s.shutdown();
        self.flush(t);
        self.read_all();
        self.flush(t);
    }
}
