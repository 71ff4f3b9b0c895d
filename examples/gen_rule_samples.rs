//! Generates one capture per rule of restrictions.md, plus a clean federation
//! capture with each provider, under `samples/rules/`, and the manifest
//! `samples/rules/expected.json` that `tests/rules.rs` checks the analyzer
//! against (rule IDs, frames, provider, Call-ID, IM parties):
//! `cargo run --example gen_rule_samples -- samples/rules`.
//!
//! Connections are real TLS 1.2 (rustls in memory, ECDHE-GCM) with the
//! client's key log written beside each capture (`X.pcap` + `X.keylog`),
//! except where the rule is about the transport itself (PIC-PLAINTEXT: plain
//! TCP), and PIC-WEAK-TLS, which OpenSSL produces over TLS 1.0.

#[path = "tls_samples/drive.rs"]
#[allow(dead_code)]
mod drive;
#[path = "tls_samples/pcap.rs"]
#[allow(dead_code)]
mod pcap;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use pcap::{Frame, TcpConv};
use serde_json::{Value, json};

const EDGE: [u8; 4] = [203, 0, 113, 10];
const MSN: [u8; 4] = [134, 170, 96, 10];
const AOL: [u8; 4] = [64, 12, 24, 10];
const YAHOO: [u8; 4] = [98, 136, 47, 17];
const ALICE: &str = "alice@contoso.com";
/// 2013-05-27T10:00:00Z in microseconds.
const T0_US: u64 = 1_369_648_800_000_000;

/// A SIP request under construction.
#[derive(Clone)]
struct R {
    method: &'static str,
    ruri: String,
    from: String,
    from_tag: String,
    epid: String,
    to: String,
    to_tag: Option<String>,
    call_id: String,
    cseq: u32,
    extra: Vec<String>,
    ct: Option<String>,
    body: String,
}

fn r(method: &'static str, from: &str, to: &str, call_id: &str, cseq: u32) -> R {
    R {
        method,
        ruri: format!("sip:{to}"),
        from: from.into(),
        from_tag: format!("{:x}", call_id.len() * 7919 + 17),
        epid: "5f1e6c2b9a".into(),
        to: to.into(),
        to_tag: None,
        call_id: call_id.into(),
        cseq,
        extra: Vec::new(),
        ct: None,
        body: String::new(),
    }
}

impl R {
    fn h(mut self, h: &str) -> R {
        self.extra.push(h.into());
        self
    }
    fn body(mut self, ct: &str, body: &str) -> R {
        self.ct = Some(ct.into());
        self.body = body.into();
        self
    }
    fn tag(mut self, t: &str) -> R {
        self.to_tag = Some(t.into());
        self
    }
    /// A request from the provider side: the dialog's tags swap.
    fn swapped(mut self, remote_tag: &str) -> R {
        self.from_tag = remote_tag.into();
        self
    }
    fn head(&self) -> String {
        let to_tag = self
            .to_tag
            .as_ref()
            .map(|t| format!(";tag={t}"))
            .unwrap_or_default();
        let mut s = format!(
            "Via: SIP/2.0/TLS 203.0.113.10:50123;branch=z9hG4bK{}{}{};ms-received-port=50123;ms-received-cid=1E00\r\n\
             From: <sip:{}>;tag={};epid={}\r\nTo: <sip:{}>{to_tag}\r\nCall-ID: {}\r\nCSeq: {} {}\r\n",
            self.call_id,
            self.cseq,
            self.method,
            self.from,
            self.from_tag,
            self.epid,
            self.to,
            self.call_id,
            self.cseq,
            self.method
        );
        for e in &self.extra {
            s.push_str(e);
            s.push_str("\r\n");
        }
        s
    }
    fn text(&self) -> Vec<u8> {
        let mut s = format!(
            "{} {} SIP/2.0\r\nMax-Forwards: 69\r\n{}User-Agent: UCCAPI/4.0.7577.0 OC/4.0.7577.0 (Microsoft Lync 2010)\r\n",
            self.method,
            self.ruri,
            self.head()
        );
        if let Some(ct) = &self.ct {
            s.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        s.push_str(&format!(
            "Content-Length: {}\r\n\r\n{}",
            self.body.len(),
            self.body
        ));
        s.into_bytes()
    }
    fn resp(&self, code: u16) -> Vec<u8> {
        let mut q = self.clone();
        if q.to_tag.is_none() {
            q.to_tag = Some("7a1e93".into());
        }
        q.extra.clear();
        format!(
            "SIP/2.0 {code} Reason\r\n{}Content-Length: 0\r\n\r\n",
            q.head()
        )
        .into_bytes()
    }
}

fn sdp(media: &[&str]) -> String {
    let mut s = String::from(
        "v=0\r\no=- 0 0 IN IP4 203.0.113.10\r\ns=session\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\n",
    );
    for m in media {
        s.push_str(&format!("m={m} 5060 sip null\r\n"));
    }
    s
}

fn state(availability: u32) -> String {
    format!(
        "<categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/categories\"><category name=\"state\"><state xmlns=\"http://schemas.microsoft.com/2006/09/sip/state\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"aggregateState\"><availability>{availability}</availability></state></category></categories>"
    )
}

const CATS: &str = "application/msrtc-event-categories+xml";

/// One script step: the Edge sends it (`true`), its bytes, the delay before it (µs).
struct Step {
    edge: bool,
    bytes: Vec<u8>,
    delay_us: u64,
}

#[derive(Default)]
struct Script(Vec<Step>);

impl Script {
    fn out(&mut self, b: Vec<u8>) -> usize {
        self.push(true, b, 20_000)
    }
    fn inn(&mut self, b: Vec<u8>) -> usize {
        self.push(false, b, 20_000)
    }
    fn push(&mut self, edge: bool, bytes: Vec<u8>, delay_us: u64) -> usize {
        self.0.push(Step {
            edge,
            bytes,
            delay_us,
        });
        self.0.len() - 1
    }
    /// Silence of `secs` before the next step.
    fn wait(&mut self, secs: u64) {
        self.0.push(Step {
            edge: true,
            bytes: Vec::new(),
            delay_us: secs * 1_000_000,
        });
    }
}

/// A clean IM session and presence subscription with `remote`.
fn clean(s: &mut Script, remote: &str, tag: &str) {
    let inv = r("INVITE", ALICE, remote, &format!("im-{tag}"), 1)
        .h(&format!("Ms-Conversation-ID: AcqEGK3mFJX0p0Z6{tag}"))
        .body("application/sdp", &sdp(&["message"]));
    s.out(inv.text());
    s.inn(inv.resp(200));
    s.out(
        r("ACK", ALICE, remote, &format!("im-{tag}"), 1)
            .tag("7a1e93")
            .text(),
    );
    let m = r("MESSAGE", ALICE, remote, &format!("im-{tag}"), 2)
        .tag("7a1e93")
        .body("text/plain; charset=UTF-8", "hello");
    s.out(m.text());
    s.inn(m.resp(200));
    let mut back = r("MESSAGE", remote, ALICE, &format!("im-{tag}"), 1)
        .swapped("7a1e93")
        .body("text/plain; charset=UTF-8", "hi there");
    back.to_tag = Some(r("INVITE", ALICE, remote, &format!("im-{tag}"), 1).from_tag);
    s.inn(back.text());
    s.out(back.resp(200));
    let bye = r("BYE", ALICE, remote, &format!("im-{tag}"), 3).tag("7a1e93");
    s.out(bye.text());
    s.inn(bye.resp(200));
    let sub = r("SUBSCRIBE", remote, ALICE, &format!("sub-{tag}"), 1).h("Event: presence");
    s.inn(sub.text());
    s.out(sub.resp(200));
    let mut n = r("NOTIFY", ALICE, remote, &format!("sub-{tag}"), 1)
        .h("Event: presence")
        .h("Subscription-State: active;expires=3600")
        .body(CATS, &state(3500));
    n.to_tag = Some(sub.from_tag.clone());
    s.out(n.text());
    s.inn(n.resp(200));
}

#[derive(Clone, Copy, PartialEq)]
enum Wire {
    /// TLS 1.2 ECDHE-ECDSA-AES128-GCM (rustls).
    Tls,
    /// TLS 1.0 ECDHE-ECDSA-AES128-SHA (OpenSSL): below the modern baseline.
    Tls10,
    /// Plain TCP.
    Tcp,
}

/// One connection of a capture.
struct Conn {
    provider_ip: [u8; 4],
    provider_port: u16,
    edge_port: u16,
    /// The provider opened the connection (to the Edge's 5061).
    inbound: bool,
    wire: Wire,
    sni: String,
    cert_names: Vec<String>,
    cert_validity: Option<(i32, i32)>,
    /// Close the TCP connection (FIN) at the end; federation connections are long-lived otherwise.
    close: bool,
    script: Script,
}

fn conn(provider_ip: [u8; 4], sni: &str, script: Script) -> Conn {
    Conn {
        provider_ip,
        provider_port: 5061,
        edge_port: 50123,
        inbound: false,
        wire: Wire::Tls,
        sni: sni.into(),
        cert_names: vec![sni.into()],
        cert_validity: None,
        close: false,
        script,
    }
}

/// Writes `name`.pcap (+ .keylog) and returns, per connection, the frame of each script step.
fn write(dir: &Path, name: &str, start_us: u64, conns: &[Conn]) -> Vec<Vec<u64>> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut keylog = Vec::new();
    let mut placed_frames = Vec::new();
    let mut t = start_us;
    for c in conns {
        let edge = (Ipv4Addr::from(EDGE), c.edge_port);
        let prov = (Ipv4Addr::from(c.provider_ip), c.provider_port);
        let (client, server) = if c.inbound {
            (prov, edge)
        } else {
            (edge, prov)
        };
        let mut conv = TcpConv::new(client, server, t);
        conv.handshake(&mut frames);
        // (client sends?, bytes) for each wire chunk, with the step index that starts there
        let steps: Vec<(bool, Vec<u8>)> = c
            .script
            .0
            .iter()
            .map(|s| (s.edge != c.inbound, s.bytes.clone()))
            .collect();
        let mut chunk_step: BTreeMap<usize, usize> = BTreeMap::new();
        let chunks: Vec<(bool, Vec<u8>)> = match c.wire {
            Wire::Tcp => {
                for i in 0..steps.len() {
                    chunk_step.insert(i, i);
                }
                steps.clone()
            }
            Wire::Tls | Wire::Tls10 => {
                let key = rcgen::KeyPair::generate().expect("key");
                let mut params =
                    rcgen::CertificateParams::new(c.cert_names.clone()).expect("params");
                if let Some((from, to)) = c.cert_validity {
                    params.not_before = rcgen::date_time_ymd(from, 1, 1);
                    params.not_after = rcgen::date_time_ymd(to, 1, 1);
                }
                params
                    .distinguished_name
                    .push(rcgen::DnType::CommonName, c.cert_names[0].clone());
                let cert = params.self_signed(&key).expect("cert");
                let nonempty: Vec<(bool, Vec<u8>)> =
                    steps.iter().filter(|s| !s.1.is_empty()).cloned().collect();
                let tr = if c.wire == Wire::Tls10 {
                    openssl_tls10(cert.der(), &key.serialize_der(), &c.sni, &nonempty)
                } else {
                    let (cc, sc, log) = drive::rustls_configs(
                        rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                        &rustls::version::TLS12,
                        cert.der().to_vec(),
                        key.serialize_der(),
                    );
                    drive::run_rustls(cc, sc, &log, &c.sni, &nonempty, None)
                };
                keylog.extend(tr.keylog.iter().cloned());
                let mut k = 0;
                for (i, s) in steps.iter().enumerate() {
                    if s.1.is_empty() {
                        continue;
                    }
                    if let Some(p) = tr.placed.get(k) {
                        chunk_step.insert(p.chunk, i);
                    }
                    k += 1;
                }
                tr.chunks
            }
        };
        let mut step_frame = vec![0u64; steps.len()];
        // empty steps only carry a delay: apply it before the next real step
        let mut pending_delay = 0;
        let mut delays: BTreeMap<usize, u64> = BTreeMap::new();
        for (i, s) in c.script.0.iter().enumerate() {
            pending_delay += s.delay_us;
            if !s.bytes.is_empty() {
                delays.insert(i, pending_delay);
                pending_delay = 0;
            }
        }
        for (ci, (from_client, bytes)) in chunks.iter().enumerate() {
            if let Some(&si) = chunk_step.get(&ci) {
                conv.now_us += delays.get(&si).copied().unwrap_or(0);
                step_frame[si] = frames.len() as u64 + 1;
            }
            if !bytes.is_empty() {
                conv.send(*from_client, bytes, None, &mut frames);
            }
        }
        if c.close {
            conv.close(&mut frames);
        }
        t = conv.now_us + 1_000_000;
        placed_frames.push(step_frame);
    }
    pcap::write_pcap(&dir.join(format!("{name}.pcap")), &frames).expect("write pcap");
    if !keylog.is_empty() {
        let mut k = keylog.join("\n");
        k.push('\n');
        std::fs::write(dir.join(format!("{name}.keylog")), k).expect("write keylog");
    }
    placed_frames
}

/// Runs `script` over an OpenSSL TLS 1.0 connection (ECDHE-ECDSA-AES128-SHA).
fn openssl_tls10(
    cert_der: &[u8],
    key_pkcs8: &[u8],
    sni: &str,
    script: &[(bool, Vec<u8>)],
) -> drive::Transcript {
    use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
    use std::sync::{Arc, Mutex};
    let cert = openssl::x509::X509::from_der(cert_der).expect("x509");
    let key = openssl::pkey::PKey::private_key_from_pkcs8(key_pkcs8).expect("pkcs8");
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let common = |b: &mut SslContextBuilder| {
        b.set_cipher_list("ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
            .expect("ciphers");
        b.set_security_level(0);
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .expect("min");
        b.set_max_proto_version(Some(SslVersion::TLS1))
            .expect("max");
    };
    let mut sb = SslContextBuilder::new(SslMethod::tls_server()).expect("server ctx");
    common(&mut sb);
    sb.set_certificate(&cert).expect("cert");
    sb.set_private_key(&key).expect("key");
    let mut cb = SslContextBuilder::new(SslMethod::tls_client()).expect("client ctx");
    common(&mut cb);
    cb.set_verify(SslVerifyMode::NONE);
    let l = log.clone();
    cb.set_keylog_callback(move |_, line| {
        if let Ok(mut v) = l.lock() {
            v.push(line.to_string());
        }
    });
    let (cctx, sctx) = (cb.build(), sb.build());
    let mut cs = Ssl::new(&cctx).expect("ssl");
    cs.set_connect_state();
    cs.set_hostname(sni).expect("sni");
    let mut ss = Ssl::new(&sctx).expect("ssl");
    ss.set_accept_state();
    let mut pair = drive::OsslPair::new(cs, ss);
    let mut t = drive::Transcript::default();
    pair.handshake(&mut t).expect("TLS 1.0 handshake");
    pair.run(script, &mut t);
    t.keylog = log
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default();
    t
}

fn v(rule: &str, provider: &str, frames: &[u64], call_id: Option<&str>) -> Value {
    json!({"rule": rule, "provider": provider, "frames": frames, "call_id": call_id})
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "samples/rules".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut manifest = serde_json::Map::new();
    let mut add = |name: &str, violations: Vec<Value>, sessions: Vec<Value>| {
        manifest.insert(
            name.to_string(),
            json!({"violations": violations, "im_sessions": sessions}),
        );
    };

    // clean federation: each provider, nothing above info (in fact nothing at all)
    let mut conns = Vec::new();
    for (ip, remote, tag, sni) in [
        (
            MSN,
            "bob@hotmail.com",
            "msn",
            "federation.messenger.msn.com",
        ),
        (AOL, "carol@aol.com", "aol", "sip.oscar.aol.com"),
        (YAHOO, "dave@yahoo.com", "yahoo", "sip.yahoo.com"),
    ] {
        let mut s = Script::default();
        clean(&mut s, remote, tag);
        conns.push(conn(ip, sni, s));
    }
    write(dir, "clean-federation", T0_US, &conns);
    add(
        "clean-federation",
        vec![],
        vec![
            json!({"local": ALICE, "remote": "bob@hotmail.com", "provider": "MSN", "outcome": "completed"}),
            json!({"local": ALICE, "remote": "carol@aol.com", "provider": "AOL", "outcome": "completed"}),
            json!({"local": ALICE, "remote": "dave@yahoo.com", "provider": "Yahoo", "outcome": "completed"}),
        ],
    );

    // PIC-MEDIA: audio/video offered to MSN, refused
    let mut s = Script::default();
    let inv = r("INVITE", ALICE, "bob@hotmail.com", "media1", 1)
        .body("application/sdp", &sdp(&["audio", "video"]));
    let i = s.out(inv.text());
    s.inn(inv.resp(488));
    let f = write(
        dir,
        "PIC-MEDIA",
        T0_US,
        &[conn(MSN, "federation.messenger.msn.com", s)],
    );
    add(
        "PIC-MEDIA",
        vec![v("PIC-MEDIA", "MSN", &[f[0][i]], Some("media1"))],
        vec![],
    );

    // PIC-FALSE-ACCEPT: Yahoo! answers a video offer 200 OK
    let mut s = Script::default();
    let inv =
        r("INVITE", ALICE, "dave@yahoo.com", "video1", 1).body("application/sdp", &sdp(&["video"]));
    let i = s.out(inv.text());
    let j = s.inn(inv.resp(200));
    let f = write(
        dir,
        "PIC-FALSE-ACCEPT",
        T0_US,
        &[conn(YAHOO, "sip.yahoo.com", s)],
    );
    add(
        "PIC-FALSE-ACCEPT",
        vec![
            v("PIC-MEDIA", "Yahoo", &[f[0][i]], Some("video1")),
            v(
                "PIC-FALSE-ACCEPT",
                "Yahoo",
                &[f[0][i], f[0][j]],
                Some("video1"),
            ),
        ],
        vec![],
    );

    // PIC-MULTIPARTY: a conference focus invites an MSN user
    let mut s = Script::default();
    let inv = r("INVITE", ALICE, "bob@hotmail.com", "conf1", 1)
        .h("Ms-Focus-Uri: sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:7f3a")
        .body("application/sdp", &sdp(&["message"]));
    let i = s.out(inv.text());
    s.inn(inv.resp(488));
    let f = write(
        dir,
        "PIC-MULTIPARTY",
        T0_US,
        &[conn(MSN, "federation.messenger.msn.com", s)],
    );
    add(
        "PIC-MULTIPARTY",
        vec![v("PIC-MULTIPARTY", "MSN", &[f[0][i]], Some("conf1"))],
        vec![],
    );

    // PIC-PLAINTEXT: a clean exchange with MSN over plain TCP 5061
    let mut s = Script::default();
    clean(&mut s, "bob@hotmail.com", "plain");
    let mut c = conn(MSN, "", s);
    c.wire = Wire::Tcp;
    let f = write(dir, "PIC-PLAINTEXT", T0_US, &[c]);
    add(
        "PIC-PLAINTEXT",
        vec![v("PIC-PLAINTEXT", "MSN", &[f[0][0]], Some("im-plain"))],
        vec![
            json!({"local": ALICE, "remote": "bob@hotmail.com", "provider": "MSN", "outcome": "completed"}),
        ],
    );

    // PIC-PORT: AOL over TLS on 443
    let mut s = Script::default();
    clean(&mut s, "carol@aol.com", "port");
    let mut c = conn(AOL, "sip.oscar.aol.com", s);
    c.provider_port = 443;
    let f = write(dir, "PIC-PORT", T0_US, &[c]);
    add(
        "PIC-PORT",
        vec![v("PIC-PORT", "AOL", &[f[0][0]], Some("im-port"))],
        vec![],
    );

    // PIC-UNKNOWN-SOURCE: a "Yahoo!" user connecting from outside Yahoo!'s addresses
    let mut s = Script::default();
    let m = r("MESSAGE", "dave@yahoo.com", ALICE, "spoof1", 1).body("text/plain", "hi");
    let i = s.inn(m.text());
    s.out(m.resp(200));
    let mut c = conn([198, 51, 100, 7], "edge.contoso.com", s);
    c.inbound = true;
    c.provider_port = 40001;
    c.edge_port = 5061;
    let f = write(dir, "PIC-UNKNOWN-SOURCE", T0_US, &[c]);
    add(
        "PIC-UNKNOWN-SOURCE",
        vec![v("PIC-UNKNOWN-SOURCE", "Yahoo", &[f[0][i]], Some("spoof1"))],
        vec![],
    );

    // PIC-DOMAIN: an AOL address on a domain AOL does not list
    let mut s = Script::default();
    let m = r("MESSAGE", "zed@example.org", ALICE, "dom1", 1).body("text/plain", "hi");
    let i = s.inn(m.text());
    s.out(m.resp(200));
    let f = write(
        dir,
        "PIC-DOMAIN",
        T0_US,
        &[conn(AOL, "sip.oscar.aol.com", s)],
    );
    add(
        "PIC-DOMAIN",
        vec![v("PIC-DOMAIN", "AOL", &[f[0][i]], Some("dom1"))],
        vec![],
    );

    // icq.com before and after its retirement on 2011-06-10
    for (day, start, fires) in [
        ("2011-06-09", 1_307_613_600_000_000u64, false),
        ("2011-06-11", 1_307_786_400_000_000, true),
    ] {
        let mut s = Script::default();
        let m = r("MESSAGE", ALICE, "12345678@icq.com", "icq1", 1).body("text/plain", "hi");
        let i = s.out(m.text());
        s.inn(m.resp(200));
        let name = format!("PIC-DOMAIN-icq-{day}");
        let f = write(dir, &name, start, &[conn(AOL, "sip.oscar.aol.com", s)]);
        let vs = if fires {
            vec![v("PIC-DOMAIN", "AOL", &[f[0][i]], Some("icq1"))]
        } else {
            vec![]
        };
        add(&name, vs, vec![]);
    }

    // PIC-EASI: a Windows Live ID on a non-Microsoft domain addressed directly
    let mut s = Script::default();
    let inv = r("INVITE", ALICE, "bob@fabrikam.com", "easi1", 1)
        .body("application/sdp", &sdp(&["message"]));
    let i = s.out(inv.text());
    s.inn(inv.resp(404));
    let good = r("INVITE", ALICE, "bob(fabrikam.com)@msn.com", "easi2", 1)
        .body("application/sdp", &sdp(&["message"]));
    s.out(good.text());
    s.inn(good.resp(200));
    let f = write(
        dir,
        "PIC-EASI",
        T0_US,
        &[conn(MSN, "federation.messenger.msn.com", s)],
    );
    let j = i + 1;
    add(
        "PIC-EASI",
        vec![
            v("PIC-EASI", "MSN", &[f[0][i]], Some("easi1")),
            v(
                "PIC-INVALID-CONTACT",
                "MSN",
                &[f[0][i], f[0][j]],
                Some("easi1"),
            ),
        ],
        vec![
            json!({"local": ALICE, "remote": "bob@fabrikam.com", "provider": "MSN", "outcome": "rejected 404"}),
            json!({"local": ALICE, "remote": "bob@fabrikam.com", "provider": "MSN", "outcome": "open"}),
        ],
    );

    // PIC-INVALID-CONTACT
    let mut s = Script::default();
    let sub = r("SUBSCRIBE", ALICE, "nobody@hotmail.com", "inv1", 1).h("Event: presence");
    let i = s.out(sub.text());
    let j = s.inn(sub.resp(404));
    let f = write(
        dir,
        "PIC-INVALID-CONTACT",
        T0_US,
        &[conn(MSN, "federation.messenger.msn.com", s)],
    );
    add(
        "PIC-INVALID-CONTACT",
        vec![v(
            "PIC-INVALID-CONTACT",
            "MSN",
            &[f[0][i], f[0][j]],
            Some("inv1"),
        )],
        vec![],
    );

    // PIC-PRESENCE-MAP: Be Right Back sent to an MSN watcher
    let mut s = Script::default();
    let sub = r("SUBSCRIBE", "bob@hotmail.com", ALICE, "pm1", 1).h("Event: presence");
    s.inn(sub.text());
    s.out(sub.resp(200));
    let mut n = r("NOTIFY", ALICE, "bob@hotmail.com", "pm1", 1)
        .h("Event: presence")
        .h("Subscription-State: active")
        .body(CATS, &state(12500));
    n.to_tag = Some(sub.from_tag.clone());
    let i = s.out(n.text());
    s.inn(n.resp(200));
    let f = write(
        dir,
        "PIC-PRESENCE-MAP",
        T0_US,
        &[conn(MSN, "federation.messenger.msn.com", s)],
    );
    add(
        "PIC-PRESENCE-MAP",
        vec![v("PIC-PRESENCE-MAP", "MSN", &[f[0][i]], Some("pm1"))],
        vec![],
    );

    // PIC-MPOP: alice talks to Yahoo! from two endpoints
    let mut s = Script::default();
    let mut a = r("MESSAGE", ALICE, "dave@yahoo.com", "mpop1", 1).body("text/plain", "from desk");
    a.epid = "aaaa1111".into();
    let i = s.out(a.text());
    s.inn(a.resp(200));
    let mut b = r("MESSAGE", ALICE, "dave@yahoo.com", "mpop2", 1).body("text/plain", "from phone");
    b.epid = "bbbb2222".into();
    let j = s.out(b.text());
    s.inn(b.resp(200));
    let f = write(dir, "PIC-MPOP", T0_US, &[conn(YAHOO, "sip.yahoo.com", s)]);
    add(
        "PIC-MPOP",
        vec![v("PIC-MPOP", "Yahoo", &[f[0][i], f[0][j]], Some("mpop2"))],
        vec![],
    );

    // PIC-CLOSED-SESSION: alice writes into a Yahoo! session 700 s after Yahoo! last spoke
    let mut s = Script::default();
    let inv = r("INVITE", ALICE, "dave@yahoo.com", "closed1", 1)
        .body("application/sdp", &sdp(&["message"]));
    s.out(inv.text());
    s.inn(inv.resp(200));
    s.out(
        r("ACK", ALICE, "dave@yahoo.com", "closed1", 1)
            .tag("7a1e93")
            .text(),
    );
    let mut back = r("MESSAGE", "dave@yahoo.com", ALICE, "closed1", 1)
        .swapped("7a1e93")
        .body("text/plain", "brb");
    back.to_tag = Some(inv.from_tag.clone());
    s.inn(back.text());
    s.out(back.resp(200));
    s.wait(700);
    let late = r("MESSAGE", ALICE, "dave@yahoo.com", "closed1", 2)
        .tag("7a1e93")
        .body("text/plain", "still there?");
    let i = s.out(late.text());
    s.inn(late.resp(200));
    let f = write(
        dir,
        "PIC-CLOSED-SESSION",
        T0_US,
        &[conn(YAHOO, "sip.yahoo.com", s)],
    );
    add(
        "PIC-CLOSED-SESSION",
        vec![v(
            "PIC-CLOSED-SESSION",
            "Yahoo",
            &[f[0][i]],
            Some("closed1"),
        )],
        vec![],
    );

    // PIC-STALE-PRESENCE: the MSN connection closes with a subscription active
    let mut s = Script::default();
    let sub = r("SUBSCRIBE", ALICE, "bob@hotmail.com", "stale1", 1).h("Event: presence");
    let i = s.out(sub.text());
    s.inn(sub.resp(200));
    let mut c = conn(MSN, "federation.messenger.msn.com", s);
    c.close = true;
    let f = write(dir, "PIC-STALE-PRESENCE", T0_US, &[c]);
    // frames: the SUBSCRIBE and the frame that closed the connection (engine-defined)
    let mut stale = v("PIC-STALE-PRESENCE", "MSN", &[f[0][i]], Some("stale1"));
    stale["frames_include_only"] = json!(true);
    add("PIC-STALE-PRESENCE", vec![stale], vec![]);

    // PIC-CERT: MSN presents a certificate that expired in 2012 and names another host
    let mut s = Script::default();
    clean(&mut s, "bob@hotmail.com", "cert");
    let mut c = conn(MSN, "federation.messenger.msn.com", s);
    c.cert_names = vec!["other.example".into()];
    c.cert_validity = Some((2010, 2012));
    let f = write(dir, "PIC-CERT", T0_US, &[c]);
    add(
        "PIC-CERT",
        vec![v("PIC-CERT", "MSN", &[f[0][0]], None)],
        vec![],
    );

    // PIC-WEAK-TLS: MSN over TLS 1.0
    let mut s = Script::default();
    clean(&mut s, "bob@hotmail.com", "weak");
    let mut c = conn(MSN, "federation.messenger.msn.com", s);
    c.wire = Wire::Tls10;
    let f = write(dir, "PIC-WEAK-TLS", T0_US, &[c]);
    add(
        "PIC-WEAK-TLS",
        vec![v("PIC-WEAK-TLS", "MSN", &[f[0][0]], None)],
        vec![],
    );

    // PIC-AOL-URL: an AOL user's URL arrives rewritten
    let mut s = Script::default();
    let mut m = r("MESSAGE", "carol@aol.com", ALICE, "url1", 1).body(
        "text/plain",
        "look: _http://www.contoso.com_ (http:// www.contoso.com)",
    );
    m.ruri = format!("sip:{ALICE}");
    let i = s.inn(m.text());
    s.out(m.resp(200));
    let f = write(
        dir,
        "PIC-AOL-URL",
        T0_US,
        &[conn(AOL, "sip.oscar.aol.com", s)],
    );
    add(
        "PIC-AOL-URL",
        vec![v("PIC-AOL-URL", "AOL", &[f[0][i]], Some("url1"))],
        vec![],
    );

    let text = serde_json::to_string_pretty(&Value::Object(manifest)).expect("json");
    std::fs::write(dir.join("expected.json"), text + "\n").expect("write manifest");
    println!("wrote {}", dir.display());
}
