//! Live capture end to end: a real TLS 1.2 SIP exchange between 127.0.0.1
//! (the "Edge") and 127.0.0.2:5061 (a provider defined by a providers file),
//! captured on the loopback interface by `fedscope live` while the key log
//! grows, decrypted, decoded and attributed.
//!
//! Needs root (packet capture) and libpcap: CI runs it with
//! `cargo test --features live --test live -- --include-ignored`.
#![cfg(feature = "live")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;

/// Appends NSS key-log lines to a file as rustls reports secrets.
#[derive(Debug)]
struct FileKeyLog(Mutex<std::fs::File>);

impl rustls::KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut f) = self.0.lock() {
            let _ = writeln!(f, "{label} {} {}", hex(client_random), hex(secret));
            let _ = f.flush();
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sip(method: &str, cseq: u32, body: &str) -> Vec<u8> {
    let ctype = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: text/plain; charset=UTF-8\r\n".to_string()
    };
    format!(
        "{method} sip:bob@testim.example SIP/2.0\r\n\
         Via: SIP/2.0/TLS 127.0.0.1:50123;branch=z9hG4bKlive{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@contoso.com>;tag=live1;epid=01020304\r\n\
         To: <sip:bob@testim.example>;tag=live2\r\n\
         Call-ID: live-capture-test-1\r\n\
         CSeq: {cseq} {method}\r\n\
         {ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn ok_for(request: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(request);
    let header = |name: &str| {
        text.lines()
            .find(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
            })
            .map(|l| l.to_string())
            .unwrap_or_default()
    };
    format!(
        "SIP/2.0 200 OK\r\n{}\r\n{}\r\n{}\r\n{}\r\n{}\r\nContent-Length: 0\r\n\r\n",
        header("Via"),
        header("From"),
        header("To"),
        header("Call-ID"),
        header("CSeq")
    )
    .into_bytes()
}

/// Reads one SIP message (headers + Content-Length body) from a stream.
fn read_message(r: &mut impl Read, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(buf.drain(..end + 4 + len).collect());
            }
        }
        let mut chunk = [0u8; 4096];
        match r.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[test]
#[ignore = "needs root and libpcap: cargo test --features live --test live -- --include-ignored"]
fn live_capture_decrypts_and_attributes_a_tls_sip_exchange() {
    let dir = tempfile::tempdir().expect("tmp");
    let keylog: PathBuf = dir.path().join("keys.log");
    std::fs::write(&keylog, b"").expect("keylog");
    let providers = dir.path().join("providers.toml");
    std::fs::write(
        &providers,
        "[[provider]]\nname = \"TestIM\"\nranges = [\"127.0.0.2/32\"]\ndomains = [\"testim.example\"]\n",
    )
    .expect("providers");

    let child = Command::new(env!("CARGO_BIN_EXE_fedscope"))
        .args([
            "live",
            "--interface",
            "lo",
            "--filter",
            "tcp port 5061",
            "--duration",
            "8",
            "--format",
            "ndjson",
        ])
        .arg("--keylog")
        .arg(&keylog)
        .arg("--providers")
        .arg(&providers)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fedscope live");
    // Connect only once the capture is running (fedscope says so on stderr
    // after the handle is active): a fixed sleep lost the handshake on a
    // loaded machine, and a flow without its ClientHello cannot be decrypted.
    let mut child = child;
    let stderr_pipe = child.stderr.take().expect("stderr");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let stderr_text = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            if line.contains("capturing on") {
                let _ = ready_tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("fedscope live starts capturing");
    std::thread::sleep(Duration::from_millis(200));

    // A real TLS 1.2 server (the "provider") and client (the "Edge").
    let ck =
        rcgen::generate_simple_self_signed(vec!["sip.testim.example".to_string()]).expect("cert");
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let log = Arc::new(FileKeyLog(Mutex::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&keylog)
            .expect("open keylog"),
    )));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_cfg = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server config");
    server_cfg.key_log = log.clone();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("root");
    let mut client_cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_cfg.key_log = log;

    let listener = TcpListener::bind("127.0.0.2:5061").expect("bind 127.0.0.2:5061");
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let conn = rustls::ServerConnection::new(Arc::new(server_cfg)).expect("server conn");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut buf = Vec::new();
        while let Some(req) = read_message(&mut tls, &mut buf) {
            if !req.starts_with(b"ACK ") {
                tls.write_all(&ok_for(&req)).expect("respond");
            }
            if req.starts_with(b"BYE ") {
                break;
            }
        }
        tls.conn.send_close_notify();
        let _ = tls.flush();
    });

    let tcp = TcpStream::connect("127.0.0.2:5061").expect("connect");
    let name = rustls::pki_types::ServerName::try_from("sip.testim.example").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(client_cfg), name).expect("client conn");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 5060 sip null\r\na=accept-types:text/plain\r\n";
    let mut buf = Vec::new();
    for (method, cseq, body, wait) in [
        ("INVITE", 1, sdp, true),
        ("ACK", 1, "", false),
        ("MESSAGE", 2, "hello over a live capture", true),
        ("MESSAGE", 3, "second message", true),
        ("BYE", 4, "", true),
    ] {
        tls.write_all(&sip(method, cseq, body)).expect("send");
        tls.flush().expect("flush");
        if wait {
            read_message(&mut tls, &mut buf).expect("200 OK");
        }
    }
    server.join().expect("server thread");
    drop(tls);

    let out = child
        .wait_with_output()
        .expect("fedscope live exits at --duration");
    let stderr = stderr_text.join().unwrap_or_default();
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    let events: Vec<Value> = BufReader::new(&out.stdout[..])
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect();
    let sips: Vec<&Value> = events.iter().filter(|e| e["type"] == "sip").collect();
    let methods: Vec<String> = sips
        .iter()
        .filter_map(|e| e["method"].as_str().map(String::from))
        .collect();
    assert_eq!(
        methods,
        ["INVITE", "ACK", "MESSAGE", "MESSAGE", "BYE"],
        "{stderr}\n{events:?}"
    );
    let oks = sips.iter().filter(|e| e["status"] == 200).count();
    assert_eq!(oks, 4);
    assert!(sips.iter().all(|e| e["call_id"] == "live-capture-test-1"));
    let flows: Vec<&Value> = events.iter().filter(|e| e["type"] == "flow").collect();
    assert_eq!(flows.len(), 1, "{events:?}");
    assert_eq!(flows[0]["provider"], "TestIM");
    assert_eq!(flows[0]["server"], "127.0.0.2:5061");
    assert_eq!(flows[0]["tls"]["decrypted"], true);
    assert_eq!(flows[0]["tls"]["key_source"], "keylog");
    assert_eq!(flows[0]["sip_messages"], 9);
    let summary = events.last().expect("summary");
    assert_eq!(summary["type"], "summary");
}
