//! Connections made in memory with rustls, for handshakes the sample
//! captures do not have: a TLS 1.3 HelloRetryRequest, and a TLS 1.3 key log
//! holding only the application secrets. The key log comes from rustls'
//! `KeyLog` hook; the wire bytes are fed to `TlsFlow` as they were written.

use std::io::Write;
use std::sync::{Arc, Mutex};

use rustls::crypto::ring::{default_provider, kx_group};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

use super::{KeySource, KeyStore, TlsFlow};
use crate::reassembly::{Direction, SegmentMeta};
use crate::time::Timestamp;

/// Collects NSS key-log lines.
#[derive(Debug, Default)]
struct Lines(Mutex<String>);

impl rustls::KeyLog for Lines {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut s) = self.0.lock() {
            s.push_str(&format!(
                "{label} {} {}\n",
                hex::encode(client_random),
                hex::encode(secret)
            ));
        }
    }
}

/// The wire bytes of one connection, in order, and its key log.
struct Wire {
    chunks: Vec<(Direction, Vec<u8>)>,
    keylog: String,
}

/// Runs a TLS 1.3 connection where the server accepts only P-256, so the
/// client's X25519 key share draws a HelloRetryRequest, then sends `msgs`.
fn hello_retry_connection(msgs: &[(Direction, &[u8])]) -> Wire {
    let ck = rcgen::generate_simple_self_signed(vec!["sip.example.com".to_string()]).unwrap();
    let cert = CertificateDer::from(ck.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let mut server_provider = default_provider();
    server_provider.kx_groups = vec![kx_group::SECP256R1];
    let server_cfg = ServerConfig::builder_with_provider(Arc::new(server_provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let lines = Arc::new(Lines::default());
    let mut client_cfg = ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_cfg.key_log = lines.clone();
    let mut c =
        ClientConnection::new(Arc::new(client_cfg), "sip.example.com".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(Arc::new(server_cfg)).unwrap();
    let mut chunks = Vec::new();
    let mut pump = |c: &mut ClientConnection, s: &mut ServerConnection| {
        for _ in 0..10 {
            let mut moved = false;
            let mut buf = Vec::new();
            while c.wants_write() {
                c.write_tls(&mut buf).unwrap();
            }
            if !buf.is_empty() {
                s.read_tls(&mut &buf[..]).unwrap();
                s.process_new_packets().unwrap();
                chunks.push((Direction::ToServer, buf));
                moved = true;
            }
            let mut buf = Vec::new();
            while s.wants_write() {
                s.write_tls(&mut buf).unwrap();
            }
            if !buf.is_empty() {
                c.read_tls(&mut &buf[..]).unwrap();
                c.process_new_packets().unwrap();
                chunks.push((Direction::ToClient, buf));
                moved = true;
            }
            if !moved {
                break;
            }
        }
    };
    pump(&mut c, &mut s);
    assert!(!c.is_handshaking() && !s.is_handshaking());
    for (d, m) in msgs {
        match d {
            Direction::ToServer => c.writer().write_all(m).unwrap(),
            Direction::ToClient => s.writer().write_all(m).unwrap(),
        }
        pump(&mut c, &mut s);
    }
    let keylog = lines.0.lock().unwrap().clone();
    Wire { chunks, keylog }
}

/// Feeds a connection; returns the plaintext per direction and the flow.
fn feed(w: &Wire, keys: &KeyStore) -> ([Vec<u8>; 2], TlsFlow) {
    let mut flow = TlsFlow::new();
    let mut plain = [Vec::new(), Vec::new()];
    for (n, (d, b)) in w.chunks.iter().enumerate() {
        let meta = SegmentMeta {
            frame: n as u64 + 1,
            ts: Timestamp(0),
        };
        flow.feed(*d, b, meta, keys, &mut |dir, p, _| {
            plain[dir.index()].extend_from_slice(p)
        });
    }
    flow.finish();
    (plain, flow)
}

const MSGS: [(Direction, &[u8]); 2] = [
    (
        Direction::ToServer,
        b"OPTIONS sip:x SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n",
    ),
    (
        Direction::ToClient,
        b"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n",
    ),
];

#[test]
fn hello_retry_request_then_decrypt() {
    let w = hello_retry_connection(&MSGS);
    // The server's first flight is a HelloRetryRequest (its special random).
    let hrr_random = [0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11];
    let first_server = &w
        .chunks
        .iter()
        .find(|c| c.0 == Direction::ToClient)
        .unwrap()
        .1;
    assert!(first_server.windows(8).any(|x| x == hrr_random));
    let mut keys = KeyStore::new();
    keys.add_keylog_text(w.keylog.as_bytes(), KeySource::Keylog, "rustls");
    let (plain, flow) = feed(&w, &keys);
    let st = flow.status();
    assert_eq!(st.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(st.sni.as_deref(), Some("sip.example.com"));
    assert!(st.decrypted, "{:?}", st.failure);
    assert_eq!(st.integrity_failures, 0);
    assert_eq!(st.failure, None);
    assert_eq!(plain[0], MSGS[0].1);
    assert_eq!(plain[1], MSGS[1].1);
    assert_eq!(st.certificates.len(), 1);
}

#[test]
fn tls13_application_secrets_alone() {
    let w = hello_retry_connection(&MSGS);
    let only_app: String = w
        .keylog
        .lines()
        .filter(|l| l.contains("TRAFFIC_SECRET_0"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut keys = KeyStore::new();
    keys.add_keylog_text(only_app.as_bytes(), KeySource::Dsb, "dsb");
    let (plain, flow) = feed(&w, &keys);
    let st = flow.status();
    assert!(st.decrypted, "{:?}", st.failure);
    assert_eq!(st.key_source, Some(KeySource::Dsb));
    assert_eq!(plain[0], MSGS[0].1);
    assert_eq!(plain[1], MSGS[1].1);
    // The handshake could not be read, so no certificates.
    assert!(st.certificates.is_empty());
}
