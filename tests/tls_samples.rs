//! The real-TLS samples (`samples/tls*`, made by
//! `cargo run --example gen_tls_samples -- samples/`, described in
//! `samples/TLS-SAMPLES.md`) decrypted by `fedscope analyze`: exact SIP
//! counts per method and status, the TLS version, suite, SNI, key source and
//! provider of every flow; static-RSA samples by the Edge's RSA key alone;
//! the DSB sample with no key log; wrong keys reported as such; the gap
//! samples decoded after the lost segment.
//!
//! Every sample carries the same Lync federation exchange per connection
//! (16 messages): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
//! BENOTIFY 1, BYE 1, 200 x7.
//!
//! tshark reference (4.x), for a sample `X`:
//! ```text
//! tshark -n -r samples/X.pcap -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE \
//!   -d tcp.port==5061,tls -o tls.keylog_file:samples/X.keylog \
//!   -Y sip -T fields -E occurrence=a -E aggregator=, -e sip.Method -e sip.Status-Code
//! ```
//! and for the static-RSA ones `-o 'uat:rsa_keys:"samples/keys/edge-rsa.pem",""'` instead of the key log.

use std::process::Command;

use serde_json::Value;

mod common;
use common::{analyze, counts, exchange_counts, keylog, rsa_key, rsa_sample_keys, samples};

/// What one sample must show.
struct Expect {
    /// File name under samples/.
    file: &'static str,
    /// "TLS 1.2" etc.
    version: &'static str,
    /// IANA suite name.
    cipher: &'static str,
    /// Server name in the ClientHello.
    sni: &'static str,
    /// Provider of every flow.
    provider: &'static str,
    /// TCP connections (TLS flows).
    conns: u64,
    /// MESSAGE requests lost to the capture gap.
    lost: u64,
}

/// Asserts the counts and every TLS flow's status for one run.
fn check(e: &Expect, args: &[String], key_source: &str) {
    let j = analyze(e.file, args);
    assert_eq!(
        counts(&j),
        exchange_counts(e.conns, e.lost),
        "{}: SIP counts with {args:?}",
        e.file
    );
    assert_eq!(
        j["sip"]["unparsed"].as_u64().unwrap_or(0),
        0,
        "{}: unparsed messages",
        e.file
    );
    let flows: Vec<&Value> = j["flows"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["transport"] == "tls").collect())
        .unwrap_or_default();
    assert_eq!(flows.len() as u64, e.conns, "{}: TLS flows", e.file);
    let mut sip_total = 0;
    for f in flows {
        let tls = &f["tls"];
        assert_eq!(tls["version"], e.version, "{}: version", e.file);
        assert_eq!(tls["cipher"], e.cipher, "{}: cipher", e.file);
        assert_eq!(tls["sni"], e.sni, "{}: sni", e.file);
        assert_eq!(
            tls["decrypted"], true,
            "{}: decrypted (failure: {})",
            e.file, tls["failure"]
        );
        assert_eq!(tls["key_source"], key_source, "{}: key_source", e.file);
        assert_eq!(f["provider"], e.provider, "{}: provider", e.file);
        assert!(
            f["server"].as_str().unwrap_or("").ends_with(":5061"),
            "{}: server port",
            e.file
        );
        if e.lost > 0 {
            assert!(
                f["gaps"].as_u64().unwrap_or(0) >= 1,
                "{}: the gap is reported",
                e.file
            );
        } else {
            assert_eq!(f["gaps"].as_u64().unwrap_or(0), 0, "{}: no gaps", e.file);
        }
        sip_total += f["sip_messages"].as_u64().unwrap_or(0);
    }
    let total: u64 = exchange_counts(e.conns, e.lost).values().sum();
    assert_eq!(sip_total, total, "{}: flows' sip_messages", e.file);
    assert_eq!(
        j["sip"]["messages"].as_u64(),
        Some(total),
        "{}: sip.messages",
        e.file
    );
}

/// Asserts that one run decrypted nothing and says why.
fn check_undecrypted(file: &str, args: &[String]) {
    let j = analyze(file, args);
    assert!(
        counts(&j).is_empty(),
        "{file}: nothing decoded with {args:?}, got {:?}",
        counts(&j)
    );
    let flows = j["flows"].as_array().cloned().unwrap_or_default();
    let tls: Vec<&Value> = flows.iter().filter(|f| f["transport"] == "tls").collect();
    assert!(!tls.is_empty(), "{file}: TLS flows are still listed");
    for f in tls {
        assert_eq!(f["tls"]["decrypted"], false, "{file}: decrypted");
        let why = f["tls"]["failure"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase();
        assert!(
            why.contains("no secret") || why.contains("key does not match"),
            "{file}: failure says why: {why:?}"
        );
    }
}

const ECDHE_GCM: &str = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
const MSN_SNI: &str = "federation.messenger.msn.com";
const EDGE_SNI: &str = "sip.contoso.com";

/// rustls TLS 1.2 ECDHE_RSA AES-128-GCM, Edge -> MSN.
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_gcm() {
    let e = Expect {
        file: "tls12-gcm.pcap",
        version: "TLS 1.2",
        cipher: ECDHE_GCM,
        sni: MSN_SNI,
        provider: "MSN",
        conns: 1,
        lost: 0,
    };
    check(&e, &keylog("tls12-gcm"), "keylog");
}

/// rustls TLS 1.2 ECDHE_RSA ChaCha20-Poly1305, Edge -> Yahoo.
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_chacha() {
    let e = Expect {
        file: "tls12-chacha.pcap",
        version: "TLS 1.2",
        cipher: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        sni: "sip.yahoo.com",
        provider: "Yahoo",
        conns: 1,
        lost: 0,
    };
    check(&e, &keylog("tls12-chacha"), "keylog");
}

/// rustls TLS 1.3 AES-128-GCM, Edge -> MSN.
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls13() {
    let e = Expect {
        file: "tls13.pcap",
        version: "TLS 1.3",
        cipher: "TLS_AES_128_GCM_SHA256",
        sni: MSN_SNI,
        provider: "MSN",
        conns: 1,
        lost: 0,
    };
    check(&e, &keylog("tls13"), "keylog");
}

/// rustls TLS 1.2 ECDHE_ECDSA (P-256 certificate) AES-256-GCM with the
/// SHA-384 PRF, Edge -> MSN.
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_ecdsa_gcm256() {
    let e = Expect {
        file: "tls12-ecdsa-gcm256.pcap",
        version: "TLS 1.2",
        cipher: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        sni: MSN_SNI,
        provider: "MSN",
        conns: 1,
        lost: 0,
    };
    check(&e, &keylog("tls12-ecdsa-gcm256"), "keylog");
    // The Edge's RSA key cannot help with an ECDHE exchange, and says so.
    let j = analyze(e.file, &rsa_key("edge-rsa.pem"));
    let failure = j["flows"][0]["tls"]["failure"].as_str().unwrap_or("");
    assert!(failure.contains("RSA"), "{failure}");
}

/// rustls TLS 1.3 AES-256-GCM (SHA-384 key schedule), Edge -> AOL.
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls13_aes256() {
    let e = Expect {
        file: "tls13-aes256.pcap",
        version: "TLS 1.3",
        cipher: "TLS_AES_256_GCM_SHA384",
        sni: "sip.aol.com",
        provider: "AOL",
        conns: 1,
        lost: 0,
    };
    check(&e, &keylog("tls13-aes256"), "keylog");
}

/// rustls TLS 1.3 ChaCha20-Poly1305, Edge -> Yahoo!.
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls13_chacha() {
    let e = Expect {
        file: "tls13-chacha.pcap",
        version: "TLS 1.3",
        cipher: "TLS_CHACHA20_POLY1305_SHA256",
        sni: "sip.yahoo.com",
        provider: "Yahoo",
        conns: 1,
        lost: 0,
    };
    check(&e, &keylog("tls13-chacha"), "keylog");
}

/// rustls TLS 1.3 AES-128-GCM with a client KeyUpdate before the SUBSCRIBE
/// (message 8), Edge -> AOL: the key log only has the *_TRAFFIC_SECRET_0
/// lines, the next generation must be derived.
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls13_keyupdate() {
    let e = Expect {
        file: "tls13-keyupdate.pcap",
        version: "TLS 1.3",
        cipher: "TLS_AES_128_GCM_SHA256",
        sni: "sip.aol.com",
        provider: "AOL",
        conns: 1,
        lost: 0,
    };
    check(&e, &keylog("tls13-keyupdate"), "keylog");
}

/// rustls TLS 1.2 GCM, Edge -> MSN, the second TCP segment of message 4
/// (Edge MESSAGE, text/html, 3 segments) missing from the capture: that
/// MESSAGE is lost, all 15 others must be decoded (resync by explicit nonce).
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 1, NOTIFY 1, BENOTIFY 1, 200 5 (10 of 15):
/// it loses every later Edge->MSN message (200 to MESSAGE, SUBSCRIBE, 200 to
/// NOTIFY, MESSAGE, BYE) after the hole.
#[test]
fn tls12_gcm_gap() {
    let e = Expect {
        file: "tls12-gcm-gap.pcap",
        version: "TLS 1.2",
        cipher: ECDHE_GCM,
        sni: MSN_SNI,
        provider: "MSN",
        conns: 1,
        lost: 1,
    };
    check(&e, &keylog("tls12-gcm-gap"), "keylog");
}

/// rustls TLS 1.3 AES-128-GCM, Edge -> Yahoo, same cut as `tls12_gcm_gap`:
/// message 4 lost, 15 decoded (resync by sequence-number search).
/// tshark (key log): INVITE 1, ACK 1, MESSAGE 1, NOTIFY 1, BENOTIFY 1, 200 5 (10 of 15).
#[test]
fn tls13_gap() {
    let e = Expect {
        file: "tls13-gap.pcap",
        version: "TLS 1.3",
        cipher: "TLS_AES_128_GCM_SHA256",
        sni: "sip.yahoo.com",
        provider: "Yahoo",
        conns: 1,
        lost: 1,
    };
    check(&e, &keylog("tls13-gap"), "keylog");
}

/// rustls TLS 1.2 GCM, Edge -> AOL, pcapng with the key log in a Decryption
/// Secrets Block: decrypted with no `--keylog`.
/// tshark (no key options, DSB used automatically): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1,
/// NOTIFY 1, BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_dsb() {
    let e = Expect {
        file: "tls12-dsb.pcapng",
        version: "TLS 1.2",
        cipher: ECDHE_GCM,
        sni: "sip.aol.com",
        provider: "AOL",
        conns: 1,
        lost: 0,
    };
    check(&e, &[], "dsb");
}

/// Checks a static-RSA sample by key log and by the Edge's RSA key alone
/// (PKCS#8 and PKCS#1 copies).
fn check_rsa(e: &Expect) {
    for (args, source) in rsa_sample_keys(e.file.trim_end_matches(".pcap")) {
        check(e, &args, source);
    }
}

/// OpenSSL TLS 1.2 static RSA AES-128-CBC-SHA, no encrypt-then-MAC, EMS on,
/// MSN -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_rsa_cbc_sha() {
    check_rsa(&Expect {
        file: "tls12-rsa-cbc-sha.pcap",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_AES_128_CBC_SHA",
        sni: EDGE_SNI,
        provider: "MSN",
        conns: 1,
        lost: 0,
    });
}

/// OpenSSL TLS 1.2 static RSA AES-128-CBC-SHA256 with encrypt-then-MAC, AOL -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_rsa_cbc_sha256_etm() {
    check_rsa(&Expect {
        file: "tls12-rsa-cbc-sha256-etm.pcap",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_AES_128_CBC_SHA256",
        sni: EDGE_SNI,
        provider: "AOL",
        conns: 1,
        lost: 0,
    });
}

/// OpenSSL TLS 1.2 static RSA AES-256-CBC-SHA256 (OpenSSL has no RSA-kx
/// SHA384 CBC suite), Yahoo -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_rsa_aes256_cbc_sha256() {
    check_rsa(&Expect {
        file: "tls12-rsa-aes256-cbc-sha256.pcap",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_AES_256_CBC_SHA256",
        sni: EDGE_SNI,
        provider: "Yahoo",
        conns: 1,
        lost: 0,
    });
}

/// OpenSSL TLS 1.0 static RSA AES-128-CBC-SHA (implicit IV, OpenSSL's
/// empty-fragment records), MSN -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls10_rsa_cbc() {
    check_rsa(&Expect {
        file: "tls10-rsa-cbc.pcap",
        version: "TLS 1.0",
        cipher: "TLS_RSA_WITH_AES_128_CBC_SHA",
        sni: EDGE_SNI,
        provider: "MSN",
        conns: 1,
        lost: 0,
    });
}

/// OpenSSL TLS 1.1 static RSA AES-256-CBC-SHA (explicit IV), AOL -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls11_rsa_cbc() {
    check_rsa(&Expect {
        file: "tls11-rsa-cbc.pcap",
        version: "TLS 1.1",
        cipher: "TLS_RSA_WITH_AES_256_CBC_SHA",
        sni: EDGE_SNI,
        provider: "AOL",
        conns: 1,
        lost: 0,
    });
}

/// OpenSSL TLS 1.2 static RSA AES-128-CCM, Yahoo -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_ccm() {
    check_rsa(&Expect {
        file: "tls12-ccm.pcap",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_AES_128_CCM",
        sni: EDGE_SNI,
        provider: "Yahoo",
        conns: 1,
        lost: 0,
    });
}

/// OpenSSL TLS 1.2 static RSA AES-128-CCM_8, MSN -> Edge.
/// tshark (key log, and RSA key alone): INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 7.
#[test]
fn tls12_ccm8() {
    check_rsa(&Expect {
        file: "tls12-ccm8.pcap",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_AES_128_CCM_8",
        sni: EDGE_SNI,
        provider: "MSN",
        conns: 1,
        lost: 0,
    });
}

/// OpenSSL TLS 1.2 static RSA AES-128-CBC-SHA256 + EtM, two MSN -> Edge
/// connections, the second resuming the first by session ID (no tickets):
/// the RSA key alone must decrypt both.
/// tshark (key log, and RSA key alone): INVITE 2, ACK 2, MESSAGE 6, SUBSCRIBE 2, NOTIFY 2,
/// BENOTIFY 2, BYE 2, 200 14.
#[test]
fn tls12_resume_id() {
    check_rsa(&Expect {
        file: "tls12-resume-id.pcap",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_AES_128_CBC_SHA256",
        sni: EDGE_SNI,
        provider: "MSN",
        conns: 2,
        lost: 0,
    });
}

/// OpenSSL TLS 1.2 static RSA AES-128-CBC-SHA + EtM, two AOL -> Edge
/// connections, the second resuming the first by session ticket.
/// tshark (key log, and RSA key alone): INVITE 2, ACK 2, MESSAGE 6, SUBSCRIBE 2, NOTIFY 2,
/// BENOTIFY 2, BYE 2, 200 14.
#[test]
fn tls12_resume_ticket() {
    check_rsa(&Expect {
        file: "tls12-resume-ticket.pcap",
        version: "TLS 1.2",
        cipher: "TLS_RSA_WITH_AES_128_CBC_SHA",
        sni: EDGE_SNI,
        provider: "AOL",
        conns: 2,
        lost: 0,
    });
}

/// Another capture's key log: no secret for this client random.
/// tshark with the wrong key log: no SIP at all.
#[test]
fn wrong_keylog_says_no_secret() {
    check_undecrypted("tls12-gcm.pcap", &keylog("tls12-chacha"));
    check_undecrypted("tls13.pcap", &keylog("tls13-gap"));
}

/// The provider's RSA key instead of the Edge's: the key does not match.
/// tshark with the wrong RSA key: no SIP at all.
#[test]
fn wrong_rsa_key_says_so() {
    check_undecrypted("tls12-rsa-cbc-sha.pcap", &rsa_key("provider-rsa.pem"));
}

/// No key at all for an ECDHE capture: not decrypted, with a reason.
#[test]
fn no_key_says_no_secret() {
    check_undecrypted("tls12-gcm.pcap", &[]);
}

/// Every TLS sample on disk is covered by a test above (a new sample needs one).
#[test]
fn every_tls_sample_is_tested() {
    // The tlslite-ng 3DES / RC4 samples are tested in tests/tls_legacy_samples.rs.
    const TESTED: &[&str] = &[
        "tls10-rsa-3des.pcap",
        "tls10-rsa-cbc.pcap",
        "tls11-rsa-cbc.pcap",
        "tls12-ccm.pcap",
        "tls12-ccm8.pcap",
        "tls12-chacha.pcap",
        "tls12-dsb.pcapng",
        "tls12-ecdsa-gcm256.pcap",
        "tls12-gcm-gap.pcap",
        "tls12-gcm.pcap",
        "tls12-resume-id.pcap",
        "tls12-resume-ticket.pcap",
        "tls12-rsa-3des.pcap",
        "tls12-rsa-aes256-cbc-sha256.pcap",
        "tls12-rsa-cbc-sha.pcap",
        "tls12-rsa-cbc-sha256-etm.pcap",
        "tls12-rsa-rc4-md5.pcap",
        "tls12-rsa-rc4-sha.pcap",
        "tls13-aes256.pcap",
        "tls13-chacha.pcap",
        "tls13-gap.pcap",
        "tls13-keyupdate.pcap",
        "tls13.pcap",
    ];
    let mut on_disk: Vec<String> = std::fs::read_dir(samples())
        .expect("samples/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("tls") && (n.ends_with(".pcap") || n.ends_with(".pcapng")))
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, TESTED, "samples/tls* and the tested list differ");
    for name in TESTED {
        let stem = name.trim_end_matches(".pcapng").trim_end_matches(".pcap");
        assert!(
            samples().join(format!("{stem}.keylog")).exists(),
            "{stem}.keylog missing"
        );
    }
}

/// No key material in any output: for samples decrypted by key log (TLS 1.2
/// and 1.3), by the pcapng DSB and by the RSA key, every secret of the key
/// log and every line of the private key's PEM body is searched for, in hex
/// (either case) and as given, in the table, JSON and NDJSON output and in
/// everything written to standard error (`--stats` included).
#[test]
fn no_key_material_in_any_output() {
    let pem = std::fs::read_to_string(samples().join("keys/edge-rsa.pem")).expect("pem");
    let runs: Vec<(&str, Vec<String>, &str)> = vec![
        ("tls12-gcm.pcap", keylog("tls12-gcm"), "tls12-gcm"),
        (
            "tls13-keyupdate.pcap",
            keylog("tls13-keyupdate"),
            "tls13-keyupdate",
        ),
        ("tls12-dsb.pcapng", vec![], "tls12-dsb"),
        (
            "tls12-rsa-cbc-sha.pcap",
            rsa_key("edge-rsa.pem"),
            "tls12-rsa-cbc-sha",
        ),
    ];
    for (file, args, log) in runs {
        let text = std::fs::read_to_string(samples().join(format!("{log}.keylog"))).expect("log");
        // The secrets (last field of each line) and, for RSA lines, the pre-master.
        let mut needles: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2))
            .flat_map(|s| [s.to_ascii_lowercase(), s.to_ascii_uppercase()])
            .collect();
        needles.extend(
            pem.lines()
                .filter(|l| !l.starts_with("-----") && l.len() > 16)
                .map(str::to_string),
        );
        assert!(needles.len() > 4, "{file}: secrets to look for");
        for format in ["table", "json", "ndjson"] {
            let out = Command::new(env!("CARGO_BIN_EXE_fedscope"))
                .arg("analyze")
                .arg(samples().join(file))
                .args(&args)
                .args(["--format", format, "--stats"])
                .output()
                .expect("run fedscope");
            assert!(out.status.success(), "{file} {format}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                all.contains("SIP") || all.contains("sip"),
                "{file} {format}: output"
            );
            for n in &needles {
                // Any 16-character window of a secret would already be a leak.
                for w in n.as_bytes().windows(16).step_by(8) {
                    let w = std::str::from_utf8(w).unwrap_or("");
                    assert!(
                        !all.contains(w),
                        "{file} --format {format}: key material in the output"
                    );
                }
            }
        }
    }
}

/// Sharded by flow over 2 to 5 threads, every TLS sample reports what
/// one thread does, with its key log and, for the static-RSA ones, with the
/// Edge's RSA key alone, where a resumed connection needs the session its
/// first connection established: at 3 and 4 threads the two connections of
/// each resumption sample hash to different workers (client ports 41000 and
/// 41001), so the shared session cache is what decrypts the second; and
/// with 2 threads, the reading thread's own shard decrypts as a worker does.
#[test]
fn sharded_tls_runs_report_what_one_thread_does() {
    let samples_dir = samples();
    let mut names: Vec<String> = std::fs::read_dir(&samples_dir)
        .expect("samples/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("tls") && (n.ends_with(".pcap") || n.ends_with(".pcapng")))
        .collect();
    names.sort();
    let json = |r: &fedscope::engine::CaptureResult| {
        [
            serde_json::to_value(&r.flows).ok(),
            serde_json::to_value(&r.sip).ok(),
            serde_json::to_value(&r.im_sessions).ok(),
            serde_json::to_value(&r.presence).ok(),
            serde_json::to_value(&r.violations).ok(),
            serde_json::to_value(&r.notes).ok(),
        ]
    };
    let mut rsa_runs = 0;
    for name in &names {
        let stem = name.trim_end_matches(".pcapng").trim_end_matches(".pcap");
        let path = samples_dir.join(name);
        let mut with_keylog = fedscope::engine::KeyMaterial::new();
        with_keylog.add_keylog_file(&samples_dir.join(format!("{stem}.keylog")));
        let mut with_rsa = fedscope::engine::KeyMaterial::new();
        with_rsa.add_rsa_key(&samples_dir.join("keys").join("edge-rsa.pem"));
        for (how, keys) in [("keylog", with_keylog), ("rsa", with_rsa)] {
            let mut cfg = fedscope::engine::EngineConfig::new(
                keys,
                fedscope::providers::ProviderTable::builtin(),
            );
            let single = fedscope::engine::analyze_capture(&path, &cfg, 1);
            if how == "rsa" && single.sip.messages == 0 {
                continue; // not a static-RSA sample
            }
            if how == "rsa" {
                rsa_runs += 1;
            }
            assert!(single.sip.messages > 0, "{name} ({how}): decrypted");
            let one = json(&single);
            // One message in flight per worker, a tick every 4 frames:
            // the reader merges while it waits on full queues.
            let mut tight = cfg.clone();
            tight.hand_off = Some((1, 4));
            for threads in [2, 3, 4, 5] {
                let sharded = fedscope::engine::analyze_capture(&path, &cfg, threads);
                assert_eq!(one, json(&sharded), "{name} ({how}, {threads} threads)");
                let sharded = fedscope::engine::analyze_capture(&path, &tight, threads);
                assert_eq!(
                    one,
                    json(&sharded),
                    "{name} ({how}, {threads} threads, tight hand-off)"
                );
            }
            // With 2 threads these samples' flows all hash to the worker; the
            // reading thread's own shard is made to take half, then all.
            for share in [16, 32] {
                cfg.reader_share = Some(share);
                let sharded = fedscope::engine::analyze_capture(&path, &cfg, 2);
                assert_eq!(
                    one,
                    json(&sharded),
                    "{name} ({how}, reader share {share}/32)"
                );
            }
        }
    }
    // tls10/11/12 static-RSA samples, the two resumption ones among them.
    assert!(
        rsa_runs >= 8,
        "{rsa_runs} static-RSA samples decrypted with the key"
    );
}
