//! The legacy-suite real-TLS samples (3DES and RC4 with static RSA), made by
//! tlslite-ng 0.8.2 (a pure-Python TLS stack, independent of OpenSSL and
//! rustls) with `scripts/gen_legacy_tls_samples.py` and described in
//! `samples/TLS-SAMPLES.md`, decrypted by `fedscope analyze` both with the
//! client's key log and with the Edge's RSA key alone: exact SIP counts per
//! method and status, the TLS version, IANA suite, SNI, key source and
//! provider of the flow.
//!
//! The provider is the TLS client (provider:41000 -> 203.0.113.10:5061), the
//! Edge the server holding `samples/keys/edge-rsa.pem`. Every sample
//! negotiates the Extended Master Secret (tlslite-ng's default) and no
//! encrypt-then-MAC. Every connection carries the standard Lync federation
//! exchange (16 messages): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1,
//! NOTIFY 1, BENOTIFY 1, BYE 1, 200 x7.
//!
//! tshark reference (TShark 4.0.17), for a sample `X`:
//! ```text
//! tshark -n -r samples/X.pcap -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE \
//!   -o tcp.analyze_sequence_numbers:TRUE -d tcp.port==5061,tls \
//!   -o tls.keylog_file:samples/X.keylog \
//!   -Y sip -T fields -E occurrence=a -E aggregator=, -e sip.Method -e sip.Status-Code
//! ```
//! and `-o 'uat:rsa_keys:"samples/keys/edge-rsa.pem",""'` instead of the key
//! log for the RSA key alone. With no key, tshark decodes no SIP.

use serde_json::Value;

mod common;
use common::{analyze, counts, exchange_counts, keylog, rsa_key, rsa_sample_keys, samples};

/// What one sample must show.
struct Expect {
    /// Stem of the file under samples/ (`X.pcap`, `X.keylog`).
    stem: &'static str,
    /// "TLS 1.2" etc.
    version: &'static str,
    /// IANA suite name.
    cipher: &'static str,
    /// Provider of the flow.
    provider: &'static str,
}

const EDGE_SNI: &str = "sip.contoso.com";

/// Asserts the counts and the TLS flow's status for one run.
fn check(e: &Expect, args: &[String], key_source: &str) {
    let file = format!("{}.pcap", e.stem);
    let j = analyze(&file, args);
    assert_eq!(
        counts(&j),
        exchange_counts(1, 0),
        "{file}: SIP counts with {args:?}"
    );
    assert_eq!(
        j["sip"]["unparsed"].as_u64().unwrap_or(0),
        0,
        "{file}: unparsed messages"
    );
    assert_eq!(
        j["sip"]["messages"].as_u64(),
        Some(16),
        "{file}: sip.messages"
    );
    let flows: Vec<&Value> = j["flows"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["transport"] == "tls").collect())
        .unwrap_or_default();
    assert_eq!(flows.len(), 1, "{file}: TLS flows");
    let f = flows[0];
    let tls = &f["tls"];
    assert_eq!(tls["version"], e.version, "{file}: version");
    assert_eq!(tls["cipher"], e.cipher, "{file}: cipher");
    assert_eq!(tls["sni"], EDGE_SNI, "{file}: sni");
    assert_eq!(
        tls["decrypted"], true,
        "{file}: decrypted (failure: {})",
        tls["failure"]
    );
    assert_eq!(tls["key_source"], key_source, "{file}: key_source");
    assert_eq!(f["provider"], e.provider, "{file}: provider");
    assert_eq!(f["server"], "203.0.113.10:5061", "{file}: server");
    assert_eq!(f["gaps"].as_u64().unwrap_or(0), 0, "{file}: no gaps");
    assert_eq!(
        f["sip_messages"].as_u64(),
        Some(16),
        "{file}: flow's sip_messages"
    );
}

/// By key log, and by the Edge's RSA key alone (PKCS#8 and PKCS#1 copies).
fn check_all(e: &Expect) {
    for (args, source) in rsa_sample_keys(e.stem) {
        check(e, &args, source);
    }
}

/// tlslite-ng TLS 1.2 static RSA 3DES-EDE-CBC-SHA (MAC-then-encrypt, EMS),
/// AOL -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_rsa_3des() {
    check_all(&Expect {
        stem: "tls12-rsa-3des",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        provider: "AOL",
    });
}

/// tlslite-ng TLS 1.0 static RSA 3DES-EDE-CBC-SHA (implicit IV chained from
/// the previous record; tlslite's 1/n-1 split sends every application write
/// as a 1-byte record then the rest), MSN -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls10_rsa_3des() {
    check_all(&Expect {
        stem: "tls10-rsa-3des",
        version: "TLS 1.0",
        cipher: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        provider: "MSN",
    });
}

/// tlslite-ng TLS 1.2 static RSA RC4-128 with HMAC-SHA1 (EMS), Yahoo -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_rsa_rc4_sha() {
    check_all(&Expect {
        stem: "tls12-rsa-rc4-sha",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_RC4_128_SHA",
        provider: "Yahoo",
    });
}

/// tlslite-ng TLS 1.2 static RSA RC4-128 with HMAC-MD5 (EMS), MSN -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_rsa_rc4_md5() {
    check_all(&Expect {
        stem: "tls12-rsa-rc4-md5",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_RC4_128_MD5",
        provider: "MSN",
    });
}

/// The provider's RSA key instead of the Edge's, or another sample's key
/// log: nothing decrypted, and the flow says why.
/// tshark with the wrong RSA key or key log: no SIP at all.
#[test]
fn wrong_keys_decrypt_nothing() {
    for (file, args) in [
        ("tls12-rsa-3des.pcap", rsa_key("provider-rsa.pem")),
        ("tls12-rsa-rc4-sha.pcap", rsa_key("provider-rsa.pem")),
        ("tls10-rsa-3des.pcap", keylog("tls12-rsa-3des")),
        ("tls12-rsa-rc4-md5.pcap", keylog("tls12-rsa-rc4-sha")),
    ] {
        let j = analyze(file, &args);
        assert!(
            counts(&j).is_empty(),
            "{file}: nothing decoded with {args:?}, got {:?}",
            counts(&j)
        );
        let flows = j["flows"].as_array().cloned().unwrap_or_default();
        let tls: Vec<&Value> = flows.iter().filter(|f| f["transport"] == "tls").collect();
        assert_eq!(tls.len(), 1, "{file}: the TLS flow is still listed");
        assert_eq!(tls[0]["tls"]["decrypted"], false, "{file}: decrypted");
        let why = tls[0]["tls"]["failure"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase();
        assert!(
            why.contains("no secret") || why.contains("key does not match"),
            "{file}: failure says why: {why:?}"
        );
    }
}

/// Every legacy-suite sample on disk (`samples/tls*-3des*`, `tls*-rc4*`) is
/// one of the above and has its key log.
#[test]
fn every_legacy_sample_is_tested() {
    const TESTED: &[&str] = &[
        "tls10-rsa-3des.pcap",
        "tls12-rsa-3des.pcap",
        "tls12-rsa-rc4-md5.pcap",
        "tls12-rsa-rc4-sha.pcap",
    ];
    let mut on_disk: Vec<String> = std::fs::read_dir(samples())
        .expect("samples/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            n.starts_with("tls")
                && (n.contains("3des") || n.contains("rc4"))
                && (n.ends_with(".pcap") || n.ends_with(".pcapng"))
        })
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, TESTED,
        "legacy samples on disk and the tested list differ"
    );
    for name in TESTED {
        let stem = name.trim_end_matches(".pcap");
        assert!(
            samples().join(format!("{stem}.keylog")).exists(),
            "{stem}.keylog missing"
        );
    }
}
