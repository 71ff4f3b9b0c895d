//! Generates the real-TLS sample captures under `samples/`:
//! `cargo run --example gen_tls_samples -- samples/`.
//!
//! Real TLS stacks (rustls for ECDHE AEAD and TLS 1.3, OpenSSL for static
//! RSA, CBC, TLS 1.0/1.1, CCM and resumption) run client and server in
//! memory; every TLS byte each side sent is framed into TCP/IPv4/Ethernet
//! with fixed timestamps, and the client's NSS key log is written beside each
//! capture (`X.pcap` + `X.keylog`). Certificates and RSA keys are fixed under
//! `samples/keys/` (created on the first run, then reused), so only the TLS
//! randoms and secrets change between runs. The SIP inside is Lync-style
//! federation traffic between an Edge (203.0.113.10) and MSN, AOL or Yahoo!.

#[path = "tls_samples/drive.rs"]
mod drive;
#[path = "tls_samples/pcap.rs"]
mod pcap;
#[path = "tls_samples/sip.rs"]
mod sip;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslOptions, SslSessionCacheMode, SslVerifyMode,
    SslVersion,
};
use openssl::x509::X509;

use drive::{OsslPair, Transcript};
use pcap::{Frame, TcpConv};
use sip::Peer;

/// 2026-11-20T10:00:00Z in microseconds.
const BASE_US: u64 = 1_795_168_800 * 1_000_000;

/// `SSL_OP_NO_ENCRYPT_THEN_MAC` (not named by the openssl crate).
const NO_ETM: u64 = 1 << 19;

/// A certificate and its private key.
struct Identity {
    key: PKey<Private>,
    cert: X509,
}

/// Loads `keys/NAME-rsa.pem` and `keys/NAME-cert.pem`, creating them once.
fn identity(dir: &Path, name: &str, cn: &str, serial: u32) -> Identity {
    let kp = dir.join(format!("{name}-rsa.pem"));
    let cp = dir.join(format!("{name}-cert.pem"));
    let key = if let Ok(pem) = std::fs::read(&kp) {
        PKey::private_key_from_pem(&pem).expect("key pem")
    } else {
        let rsa = openssl::rsa::Rsa::generate(2048).expect("rsa");
        let key = PKey::from_rsa(rsa).expect("pkey");
        std::fs::write(&kp, key.private_key_to_pem_pkcs8().expect("pkcs8")).expect("write key");
        let pkcs1 = key.rsa().expect("rsa").private_key_to_pem().expect("pkcs1");
        std::fs::write(dir.join(format!("{name}-rsa.pkcs1.pem")), pkcs1).expect("write pkcs1");
        key
    };
    let cert = load_or_make_cert(&cp, &key, cn, serial);
    Identity { key, cert }
}

/// Loads `keys/NAME-ecdsa.pem` (P-256, PKCS#8) and `keys/NAME-ecdsa-cert.pem`, creating them once.
fn ecdsa_identity(dir: &Path, name: &str, cn: &str, serial: u32) -> Identity {
    let kp = dir.join(format!("{name}-ecdsa.pem"));
    let cp = dir.join(format!("{name}-ecdsa-cert.pem"));
    let key = if let Ok(pem) = std::fs::read(&kp) {
        PKey::private_key_from_pem(&pem).expect("key pem")
    } else {
        use openssl::ec::{EcGroup, EcKey};
        use openssl::nid::Nid;
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
        let key = PKey::from_ec_key(EcKey::generate(&group).expect("ec key")).expect("pkey");
        std::fs::write(&kp, key.private_key_to_pem_pkcs8().expect("pkcs8")).expect("write key");
        key
    };
    let cert = load_or_make_cert(&cp, &key, cn, serial);
    Identity { key, cert }
}

/// Loads the certificate at `cp`, or makes (and saves) a self-signed one for `key`.
fn load_or_make_cert(cp: &Path, key: &PKey<Private>, cn: &str, serial: u32) -> X509 {
    if let Ok(pem) = std::fs::read(cp) {
        X509::from_pem(&pem).expect("cert pem")
    } else {
        let cert = make_cert(key, cn, serial);
        std::fs::write(cp, cert.to_pem().expect("pem")).expect("write cert");
        cert
    }
}

/// A self-signed certificate with fixed serial and validity.
fn make_cert(key: &PKey<Private>, cn: &str, serial: u32) -> X509 {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::BigNum;
    use openssl::x509::X509NameBuilder;
    use openssl::x509::extension::SubjectAlternativeName;
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("O", "fedscope samples")
        .expect("O");
    name.append_entry_by_text("CN", cn).expect("CN");
    let name = name.build();
    let mut b = X509::builder().expect("x509");
    b.set_version(2).expect("version");
    b.set_serial_number(
        &Asn1Integer::from_bn(&BigNum::from_u32(serial).expect("bn")).expect("serial"),
    )
    .expect("serial");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(&name).expect("issuer");
    b.set_not_before(&Asn1Time::from_unix(1_767_225_600).expect("time"))
        .expect("nb");
    b.set_not_after(&Asn1Time::from_unix(2_082_758_400).expect("time"))
        .expect("na");
    b.set_pubkey(key).expect("pubkey");
    let san = SubjectAlternativeName::new()
        .dns(cn)
        .build(&b.x509v3_context(None, None))
        .expect("san");
    b.append_extension(san).expect("ext");
    b.sign(key, openssl::hash::MessageDigest::sha256())
        .expect("sign");
    b.build()
}

/// One TCP connection of a sample.
struct Conn {
    t: Transcript,
    script: Vec<sip::Step>,
    /// Whether the Edge is the TLS client (else the provider is).
    edge_is_client: bool,
    peer: Peer,
    /// Script index of a message whose record loses a segment in the capture.
    drop_message: Option<usize>,
}

/// Maps Edge-perspective steps to TLS-client-perspective ones.
fn for_tls(script: &[sip::Step], edge_is_client: bool) -> Vec<(bool, Vec<u8>)> {
    script
        .iter()
        .map(|(edge, m)| (*edge == edge_is_client, m.clone()))
        .collect()
}

/// What one sample holds, for the summary.
struct Outcome {
    name: String,
    expected: BTreeMap<String, u64>,
    lost: Vec<String>,
}

/// Packetises the connections (one after the other) and writes the files.
fn write_sample(out: &Path, name: &str, conns: &[Conn], pcapng_dsb: bool) -> Outcome {
    let mut frames: Vec<Frame> = Vec::new();
    let mut start = BASE_US;
    let mut expected = BTreeMap::new();
    let mut lost = Vec::new();
    let mut keylog = String::new();
    for (ci, c) in conns.iter().enumerate() {
        let edge = (Ipv4Addr::from(sip::EDGE_IP), 0);
        let prov = (Ipv4Addr::from(c.peer.provider_ip), 0);
        let (client, server) = if c.edge_is_client {
            ((edge.0, 50123 + ci as u16), (prov.0, 5061))
        } else {
            ((prov.0, 41000 + ci as u16), (edge.0, 5061))
        };
        let mut conv = TcpConv::new(client, server, start);
        conv.handshake(&mut frames);
        let drop_chunk = c.drop_message.map(|i| c.t.placed[i].chunk);
        for (i, (from_client, bytes)) in c.t.chunks.iter().enumerate() {
            let drop = if drop_chunk == Some(i) {
                assert!(
                    bytes.len() > pcap::MSS,
                    "{name}: record to cut must span two segments"
                );
                Some(1)
            } else {
                None
            };
            conv.send(*from_client, bytes, drop, &mut frames);
        }
        conv.close(&mut frames);
        start = conv.now_us + 1_000_000;
        for (i, step) in c.script.iter().enumerate() {
            if c.drop_message == Some(i) {
                lost.push(format!(
                    "conn {} message #{} {}",
                    ci + 1,
                    i + 1,
                    sip::label(&step.1)
                ));
            } else {
                *expected.entry(sip::label(&step.1)).or_insert(0) += 1;
            }
        }
        for l in &c.t.keylog {
            keylog.push_str(l);
            keylog.push('\n');
        }
    }
    if pcapng_dsb {
        pcap::write_pcapng(
            &out.join(format!("{name}.pcapng")),
            &frames,
            Some(keylog.as_bytes()),
        )
        .expect("pcapng");
    } else {
        pcap::write_pcap(&out.join(format!("{name}.pcap")), &frames).expect("pcap");
    }
    std::fs::write(out.join(format!("{name}.keylog")), &keylog).expect("keylog");
    Outcome {
        name: name.to_string(),
        expected,
        lost,
    }
}

/// A rustls connection running the standard script.
fn rustls_conn(
    suite: rustls::SupportedCipherSuite,
    version: &'static rustls::SupportedProtocolVersion,
    prov_id: &Identity,
    peer: Peer,
    sni: &str,
    key_update_after: Option<usize>,
    drop_message: Option<usize>,
) -> Conn {
    let (cc, sc, log) = drive::rustls_configs(
        suite,
        version,
        prov_id.cert.to_der().expect("der"),
        prov_id.key.private_key_to_pkcs8().expect("pkcs8"),
    );
    let script = sip::federation_script(&peer);
    let t = drive::run_rustls(cc, sc, &log, sni, &for_tls(&script, true), key_update_after);
    Conn {
        t,
        script,
        edge_is_client: true,
        peer,
        drop_message,
    }
}

/// OpenSSL options for one sample.
#[derive(Clone, Copy)]
struct Ossl {
    cipher: &'static str,
    version: SslVersion,
    etm: bool,
    tickets: bool,
}

/// Client and server contexts; the client appends key-log lines to `log`.
fn ossl_contexts(
    o: Ossl,
    edge: &Identity,
    log: Arc<Mutex<Vec<String>>>,
) -> Result<(SslContext, SslContext), String> {
    let list = format!("{}:@SECLEVEL=0", o.cipher);
    let common = |b: &mut SslContextBuilder| -> Result<(), String> {
        b.set_cipher_list(&list)
            .map_err(|e| format!("cipher list {list}: {e}"))?;
        b.set_min_proto_version(Some(o.version))
            .map_err(|e| e.to_string())?;
        b.set_max_proto_version(Some(o.version))
            .map_err(|e| e.to_string())?;
        b.set_security_level(0);
        if !o.etm {
            b.set_options(SslOptions::from_bits_retain(NO_ETM as _));
        }
        if !o.tickets {
            b.set_options(SslOptions::NO_TICKET);
        }
        Ok(())
    };
    let mut s = SslContextBuilder::new(SslMethod::tls_server()).map_err(|e| e.to_string())?;
    common(&mut s)?;
    s.set_certificate(&edge.cert).map_err(|e| e.to_string())?;
    s.set_private_key(&edge.key).map_err(|e| e.to_string())?;
    s.set_session_id_context(b"fedscope-edge")
        .map_err(|e| e.to_string())?;
    s.set_session_cache_mode(SslSessionCacheMode::SERVER);
    let mut c = SslContextBuilder::new(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    common(&mut c)?;
    c.set_verify(SslVerifyMode::NONE);
    c.set_session_cache_mode(SslSessionCacheMode::CLIENT);
    c.set_keylog_callback(move |_, line| {
        if let Ok(mut v) = log.lock() {
            v.push(line.to_string());
        }
    });
    Ok((c.build(), s.build()))
}

/// One or more OpenSSL connections (the provider is the TLS client, the Edge
/// the server holding `edge-rsa.pem`); with `resume`, connections after the
/// first resume the first one's session.
fn ossl_conns(o: Ossl, edge: &Identity, peers: &[Peer], resume: bool) -> Result<Vec<Conn>, String> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (cctx, sctx) = ossl_contexts(o, edge, log.clone())?;
    let mut session: Option<openssl::ssl::SslSession> = None;
    let mut conns = Vec::new();
    for peer in peers {
        let mut cs = Ssl::new(&cctx).map_err(|e| e.to_string())?;
        cs.set_connect_state();
        cs.set_hostname("sip.contoso.com")
            .map_err(|e| e.to_string())?;
        if let Some(s) = &session {
            // SAFETY: the session comes from a connection made with this same context.
            unsafe { cs.set_session(s) }.map_err(|e| e.to_string())?;
        }
        let mut ss = Ssl::new(&sctx).map_err(|e| e.to_string())?;
        ss.set_accept_state();
        let mut pair = OsslPair::new(cs, ss);
        let mut t = Transcript::default();
        pair.handshake(&mut t)?;
        if session.is_some() && !pair.c.ssl().session_reused() {
            return Err("session was not resumed".into());
        }
        let script = sip::federation_script(peer);
        pair.run(&for_tls(&script, false), &mut t);
        if resume && session.is_none() {
            session = pair.c.ssl().session().map(|s| s.to_owned());
        }
        t.keylog = log
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        conns.push(Conn {
            t,
            script,
            edge_is_client: false,
            peer: peer.clone(),
            drop_message: None,
        });
    }
    Ok(conns)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "samples".into()));
    // `--only a,b`: write just these samples (the others keep their randoms and secrets).
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').map(str::to_string).collect());
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|n| n == name));
    let keys = out.join("keys");
    std::fs::create_dir_all(&keys).expect("mkdir keys");
    let edge = identity(&keys, "edge", "sip.contoso.com", 0x0fed_0001);
    let provider = identity(
        &keys,
        "provider",
        "federation.messenger.msn.com",
        0x0fed_0002,
    );

    // Weak suites need OpenSSL's legacy provider (and the default one, which
    // loading any provider explicitly would otherwise leave unloaded).
    let legacy = openssl::provider::Provider::load(None, "legacy");
    let _default = openssl::provider::Provider::load(None, "default");
    let legacy_note = match &legacy {
        Ok(_) => "legacy provider loaded".to_string(),
        Err(e) => format!("legacy provider not loaded: {e}"),
    };

    use rustls::crypto::ring::cipher_suite as cs;
    let mut outcomes = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let v12 = &rustls::version::TLS12;
    let v13 = &rustls::version::TLS13;
    let msn_sni = "federation.messenger.msn.com";
    let provider_ec = ecdsa_identity(
        &keys,
        "provider",
        "federation.messenger.msn.com",
        0x0fed_0003,
    );

    let gcm12 = cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    let one = |name: &str, conn: Conn| (name.to_string(), vec![conn]);
    let rustls_samples = vec![
        one(
            "tls12-gcm",
            rustls_conn(gcm12, v12, &provider, sip::msn(101), msn_sni, None, None),
        ),
        one(
            "tls12-chacha",
            rustls_conn(
                cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                v12,
                &provider,
                sip::yahoo(102),
                "sip.yahoo.com",
                None,
                None,
            ),
        ),
        one(
            "tls13",
            rustls_conn(
                cs::TLS13_AES_128_GCM_SHA256,
                v13,
                &provider,
                sip::msn(103),
                msn_sni,
                None,
                None,
            ),
        ),
        one(
            "tls13-keyupdate",
            rustls_conn(
                cs::TLS13_AES_128_GCM_SHA256,
                v13,
                &provider,
                sip::aol(104),
                "sip.aol.com",
                Some(7),
                None,
            ),
        ),
        one(
            "tls12-gcm-gap",
            rustls_conn(gcm12, v12, &provider, sip::msn(105), msn_sni, None, Some(3)),
        ),
        one(
            "tls13-gap",
            rustls_conn(
                cs::TLS13_AES_128_GCM_SHA256,
                v13,
                &provider,
                sip::yahoo(106),
                "sip.yahoo.com",
                None,
                Some(3),
            ),
        ),
        one(
            "tls12-ecdsa-gcm256",
            rustls_conn(
                cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                v12,
                &provider_ec,
                sip::msn(108),
                msn_sni,
                None,
                None,
            ),
        ),
        one(
            "tls13-aes256",
            rustls_conn(
                cs::TLS13_AES_256_GCM_SHA384,
                v13,
                &provider,
                sip::aol(109),
                "sip.aol.com",
                None,
                None,
            ),
        ),
        one(
            "tls13-chacha",
            rustls_conn(
                cs::TLS13_CHACHA20_POLY1305_SHA256,
                v13,
                &provider,
                sip::yahoo(110),
                "sip.yahoo.com",
                None,
                None,
            ),
        ),
    ];
    for (name, conns) in rustls_samples {
        if wanted(&name) {
            outcomes.push(write_sample(&out, &name, &conns, false));
        }
    }
    let dsb = rustls_conn(
        gcm12,
        v12,
        &provider,
        sip::aol(107),
        "sip.aol.com",
        None,
        None,
    );
    if wanted("tls12-dsb") {
        outcomes.push(write_sample(&out, "tls12-dsb", &[dsb], true));
    }

    let v = |cipher, version, etm, tickets| Ossl {
        cipher,
        version,
        etm,
        tickets,
    };
    let ossl_samples: Vec<(&str, Ossl, Vec<Peer>, bool)> = vec![
        (
            "tls12-rsa-cbc-sha",
            v("AES128-SHA", SslVersion::TLS1_2, false, false),
            vec![sip::msn(201)],
            false,
        ),
        (
            "tls12-rsa-cbc-sha256-etm",
            v("AES128-SHA256", SslVersion::TLS1_2, true, false),
            vec![sip::aol(202)],
            false,
        ),
        // OpenSSL has no TLS_RSA_WITH_AES_256_CBC_SHA384: AES256-SHA256 instead.
        (
            "tls12-rsa-aes256-cbc-sha256",
            v("AES256-SHA256", SslVersion::TLS1_2, false, false),
            vec![sip::yahoo(203)],
            false,
        ),
        (
            "tls10-rsa-cbc",
            v("AES128-SHA", SslVersion::TLS1, false, false),
            vec![sip::msn(204)],
            false,
        ),
        (
            "tls11-rsa-cbc",
            v("AES256-SHA", SslVersion::TLS1_1, false, false),
            vec![sip::aol(205)],
            false,
        ),
        (
            "tls12-ccm",
            v("AES128-CCM", SslVersion::TLS1_2, false, false),
            vec![sip::yahoo(206)],
            false,
        ),
        (
            "tls12-ccm8",
            v("AES128-CCM8", SslVersion::TLS1_2, false, false),
            vec![sip::msn(207)],
            false,
        ),
        (
            "tls12-3des",
            v("DES-CBC3-SHA", SslVersion::TLS1_2, false, false),
            vec![sip::aol(208)],
            false,
        ),
        (
            "tls12-rc4",
            v("RC4-SHA", SslVersion::TLS1_2, false, false),
            vec![sip::yahoo(209)],
            false,
        ),
        (
            "tls12-resume-id",
            v("AES128-SHA256", SslVersion::TLS1_2, true, false),
            vec![sip::msn(210), sip::msn(211)],
            true,
        ),
        (
            "tls12-resume-ticket",
            v("AES128-SHA", SslVersion::TLS1_2, true, true),
            vec![sip::aol(212), sip::aol(213)],
            true,
        ),
    ];
    for (name, o, peers, resume) in ossl_samples {
        if !wanted(name) {
            continue;
        }
        match ossl_conns(o, &edge, &peers, resume) {
            Ok(conns) => outcomes.push(write_sample(&out, name, &conns, false)),
            Err(e) => skipped.push(format!("{name}: {e} ({legacy_note})")),
        }
    }

    for o in &outcomes {
        let counts: Vec<String> = o.expected.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let total: u64 = o.expected.values().sum();
        println!("{}: {total} messages: {}", o.name, counts.join(", "));
        for l in &o.lost {
            println!("  lost to the capture gap: {l}");
        }
    }
    for s in &skipped {
        println!("skipped {s}");
    }
}
