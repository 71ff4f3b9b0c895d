//! Runs the real `fedscope analyze` on every capture of `samples/rules/`
//! (made by `cargo run --example gen_rule_samples`) and checks the findings
//! against `samples/rules/expected.json`: exact rule IDs, frames, provider and
//! Call-ID per finding, the listed IM sessions' parties and outcomes, and that
//! the clean federation capture raises nothing above info.
//!
//! `via_tshark` checks the same manifest with tshark (when installed) as the
//! decoder feeding the analyzer, so fedscope's own decoding and tshark's are
//! held to the same expected findings.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/rules")
}

fn analyze(name: &str) -> Value {
    let d = dir();
    let pcap = d.join(format!("{name}.pcap"));
    let keylog = d.join(format!("{name}.keylog"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedscope"));
    cmd.arg("analyze").arg(&pcap).arg("--format").arg("json");
    if keylog.exists() {
        cmd.arg("--keylog").arg(&keylog);
    }
    let out = cmd.output().expect("run fedscope");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: bad JSON: {e}"))
}

fn frames(v: &Value) -> Vec<u64> {
    v["frames"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn manifest() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    match serde_json::from_str(&text).expect("manifest JSON") {
        Value::Object(m) => m,
        _ => panic!("manifest is not an object"),
    }
}

#[test]
fn every_rule_capture_fires_exactly_its_findings() {
    for (name, exp) in manifest() {
        let got = analyze(&name);
        assert!(
            got["sip"]["messages"].as_u64().unwrap_or(0) > 0,
            "{name}: no SIP decoded"
        );
        let actual = got["violations"].as_array().cloned().unwrap_or_default();
        let expected = exp["violations"].as_array().cloned().unwrap_or_default();
        let ids = |v: &[Value]| {
            v.iter()
                .map(|x| x["rule"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&actual),
            ids(&expected),
            "{name}: rule IDs; got {actual:#?}"
        );
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(
                a["provider"], e["provider"],
                "{name} {}: provider",
                e["rule"]
            );
            assert_eq!(a["call_id"], e["call_id"], "{name} {}: call_id", e["rule"]);
            assert!(
                a["capture"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with(&format!("{name}.pcap")),
                "{name}: capture"
            );
            assert!(
                a["time"].is_string()
                    && a["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("KB 897567"))
            );
            if e["frames_include_only"].as_bool() == Some(true) {
                let got = frames(a);
                for f in frames(e) {
                    assert!(
                        got.contains(&f),
                        "{name} {}: frames {got:?} lack {f}",
                        e["rule"]
                    );
                }
            } else {
                assert_eq!(frames(a), frames(e), "{name} {}: frames", e["rule"]);
            }
        }
        let sessions = got["im_sessions"].as_array().cloned().unwrap_or_default();
        for e in exp["im_sessions"].as_array().cloned().unwrap_or_default() {
            let found = sessions.iter().any(|s| {
                ["local", "remote", "provider", "outcome"]
                    .iter()
                    .all(|k| s[*k] == e[*k])
            });
            assert!(found, "{name}: IM session {e} not in {sessions:#?}");
        }
    }
}

#[test]
fn clean_federation_raises_nothing_above_info() {
    let got = analyze("clean-federation");
    let flows = got["flows"].as_array().cloned().unwrap_or_default();
    let mut providers: Vec<String> = flows
        .iter()
        .filter_map(|f| f["provider"].as_str().map(str::to_string))
        .collect();
    providers.sort();
    assert_eq!(providers, ["AOL", "MSN", "Yahoo"]);
    for v in got["violations"].as_array().cloned().unwrap_or_default() {
        assert_eq!(v["severity"], "info", "clean capture raised {v:#}");
    }
    assert_eq!(got["im_sessions"].as_array().map(Vec::len), Some(3));
    assert_eq!(got["presence"].as_array().map(Vec::len), Some(3));
}

#[test]
fn manifest_covers_every_rule() {
    let m = manifest();
    let fired: std::collections::BTreeSet<String> = m
        .values()
        .flat_map(|e| e["violations"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["rule"].as_str().map(str::to_string))
        .collect();
    for r in fedscope::analysis::rules() {
        assert!(fired.contains(r.id), "no sample fires {}", r.id);
        assert!(m.contains_key(r.id), "no samples/rules/{}.pcap", r.id);
    }
    assert!(m.contains_key("clean-federation"));
    assert!(
        m.contains_key("PIC-DOMAIN-icq-2011-06-09") && m.contains_key("PIC-DOMAIN-icq-2011-06-11")
    );
}

/// The same checks without the capture stages: tshark decodes and decrypts
/// each sample (an independent reader), its SIP messages and TLS handshake
/// facts are fed to the analyzer through its public API, and the findings
/// must equal `expected.json`. Skipped (with a note) when tshark is absent.
mod via_tshark {
    use std::collections::BTreeMap;
    use std::net::SocketAddr;
    use std::process::Command;
    use std::sync::Arc;

    use fedscope::analysis::{
        AnalysisConfig, AnalysisOutput, Analyzer, FlowContext, SipEvent, TransportKind,
    };
    use fedscope::providers::ProviderTable;
    use fedscope::reassembly::{CloseReason, Direction, FlowId, SegmentMeta};
    use fedscope::time::Timestamp;
    use fedscope::tls::{CertInfo, TlsStatus};
    use serde_json::Value;
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

    use super::{dir, frames, manifest};

    /// (rule, provider, frames, Call-ID) of one finding.
    type Finding = (String, Option<String>, Vec<u64>, Option<String>);

    fn tshark(name: &str, extra: &[&str]) -> Option<String> {
        let d = dir();
        let pcap = d.join(format!("{name}.pcap"));
        let keylog = d.join(format!("{name}.keylog"));
        let mut cmd = Command::new("tshark");
        cmd.arg("-r").arg(&pcap);
        if keylog.exists() {
            cmd.arg("-o")
                .arg(format!("tls.keylog_file:{}", keylog.display()));
            for d in [
                "tcp.port==5061,tls",
                "tcp.port==443,tls",
                "tls.port==443,sip",
            ] {
                cmd.arg("-d").arg(d);
            }
        } else {
            cmd.arg("-d").arg("tcp.port==5061,sip");
        }
        let out = cmd.args(extra).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn ts(epoch: &str) -> Timestamp {
        let (s, frac) = epoch.split_once('.').unwrap_or((epoch, "0"));
        let nanos: String = format!("{frac:0<9}").chars().take(9).collect();
        Timestamp::from_secs_nanos(s.parse().unwrap(), nanos.parse().unwrap())
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    fn cert_info(der: Vec<u8>) -> CertInfo {
        let (_, x) = X509Certificate::from_der(&der).unwrap();
        let mut dns_names = Vec::new();
        if let Ok(Some(san)) = x.subject_alternative_name() {
            for n in &san.value.general_names {
                if let GeneralName::DNSName(d) = n {
                    dns_names.push(d.to_string());
                }
            }
        }
        CertInfo {
            subject: x.subject().to_string(),
            issuer: x.issuer().to_string(),
            dns_names,
            not_before: Timestamp::from_secs_nanos(x.validity().not_before.timestamp(), 0),
            not_after: Timestamp::from_secs_nanos(x.validity().not_after.timestamp(), 0),
            der: der.clone(),
        }
    }

    /// Per tcp.stream: the TLS facts of its handshake.
    fn tls_facts(name: &str) -> BTreeMap<u64, TlsStatus> {
        let mut m: BTreeMap<u64, TlsStatus> = BTreeMap::new();
        let rows = |filter: &str, fields: &[&str]| -> Vec<Vec<String>> {
            let mut args = vec!["-Y", filter, "-T", "fields", "-e", "tcp.stream"];
            for f in fields {
                args.push("-e");
                args.push(f);
            }
            tshark(name, &args)
                .unwrap_or_default()
                .lines()
                .map(|l| l.split('\t').map(str::to_string).collect())
                .collect()
        };
        for r in rows(
            "tls.handshake.type==2",
            &["tls.handshake.version", "tls.handshake.ciphersuite"],
        ) {
            let st = m.entry(r[0].parse().unwrap()).or_default();
            st.version = Some(
                match r[1].as_str() {
                    "0x0301" => "TLS 1.0",
                    "0x0302" => "TLS 1.1",
                    "0x0303" => "TLS 1.2",
                    other => other,
                }
                .to_string(),
            );
            st.cipher = Some(
                match r[2].as_str() {
                    "0xc009" => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                    "0xc02b" => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                    other => other,
                }
                .to_string(),
            );
        }
        for r in rows(
            "tls.handshake.type==1",
            &["tls.handshake.extensions_server_name"],
        ) {
            m.entry(r[0].parse().unwrap()).or_default().sni = Some(r[1].clone());
        }
        for r in rows("tls.handshake.type==11", &["tls.handshake.certificate"]) {
            let st = m.entry(r[0].parse().unwrap()).or_default();
            st.certificates = r[1].split(',').map(|h| cert_info(unhex(h))).collect();
        }
        m
    }

    fn analyze(name: &str) -> Option<AnalysisOutput> {
        let meta = tshark(
            name,
            &[
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "frame.time_epoch",
                "-e",
                "ip.src",
                "-e",
                "tcp.srcport",
                "-e",
                "ip.dst",
                "-e",
                "tcp.dstport",
                "-e",
                "tcp.stream",
                "-e",
                "tcp.flags.syn",
                "-e",
                "tcp.flags.ack",
                "-e",
                "tcp.flags.fin",
            ],
        )?;
        let tls = dir().join(format!("{name}.keylog")).exists();
        let capture: Arc<str> = Arc::from(format!("{name}.pcap").as_str());
        // stream -> (flow, last frame, last time, FIN seen)
        let mut streams: BTreeMap<u64, (FlowContext, u64, Timestamp, bool)> = BTreeMap::new();
        for l in meta.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            let stream: u64 = f[6].parse().unwrap();
            let src: SocketAddr = format!("{}:{}", f[2], f[3]).parse().unwrap();
            let dst: SocketAddr = format!("{}:{}", f[4], f[5]).parse().unwrap();
            let on = |v: &str| v == "1" || v == "True";
            let e = streams.entry(stream).or_insert_with(|| {
                let ctx = FlowContext {
                    capture: capture.clone(),
                    id: FlowId(stream + 1),
                    transport: if tls {
                        TransportKind::Tls
                    } else {
                        TransportKind::Tcp
                    },
                    client: src,
                    server: dst,
                };
                (ctx, 0, Timestamp(0), false)
            });
            e.1 = f[0].parse().unwrap();
            e.2 = ts(f[1]);
            e.3 |= on(f[9]);
        }
        let table = ProviderTable::builtin();
        let mut an = Analyzer::new(&table, AnalysisConfig::default());
        for (ctx, ..) in streams.values() {
            an.flow_opened(ctx);
        }
        let json: Value =
            serde_json::from_str(&tshark(name, &["-Y", "sip", "-T", "json", "-x"])?).ok()?;
        for p in json.as_array()? {
            let l = &p["_source"]["layers"];
            let frame: u64 = l["frame"]["frame.number"].as_str()?.parse().ok()?;
            let time = ts(l["frame"]["frame.time_epoch"].as_str()?);
            let stream: u64 = l["tcp"]["tcp.stream"].as_str()?.parse().ok()?;
            let src: SocketAddr = format!(
                "{}:{}",
                l["ip"]["ip.src"].as_str()?,
                l["tcp"]["tcp.srcport"].as_str()?
            )
            .parse()
            .ok()?;
            let (ctx, ..) = &streams[&stream];
            let dst = if src == ctx.client {
                ctx.server
            } else {
                ctx.client
            };
            let raws: Vec<&Value> = match &l["sip_raw"] {
                Value::Array(a) if a.first().is_some_and(Value::is_array) => a.iter().collect(),
                v => vec![v],
            };
            for raw in raws {
                let msg = fedscope::sip::parse_message(&unhex(raw[0].as_str()?)).ok()?;
                let meta = SegmentMeta { frame, ts: time };
                an.sip(&SipEvent {
                    flow: ctx,
                    dir: if src == ctx.client {
                        Direction::ToServer
                    } else {
                        Direction::ToClient
                    },
                    src,
                    dst,
                    first: meta,
                    last: meta,
                    msg: &msg,
                });
            }
        }
        let facts = tls_facts(name);
        for (stream, (ctx, last, time, fin)) in &streams {
            let meta = SegmentMeta {
                frame: *last,
                ts: *time,
            };
            if let Some(st) = facts.get(stream) {
                an.tls_status(ctx, st, meta);
            }
            let reason = if *fin {
                CloseReason::Fin
            } else {
                CloseReason::EndOfCapture
            };
            an.flow_closed(ctx, reason, meta);
        }
        Some(an.finish())
    }

    #[test]
    fn every_sample_agrees_with_expected_json() {
        if Command::new("tshark").arg("-v").output().is_err() {
            eprintln!("tshark not installed: skipping the tshark-decoded rule samples");
            return;
        }
        for (name, exp) in manifest() {
            let o = analyze(&name).unwrap_or_else(|| panic!("{name}: tshark decode failed"));
            let got: Vec<Finding> = o
                .violations
                .iter()
                .map(|v| {
                    (
                        v.rule.to_string(),
                        v.provider.clone(),
                        v.frames.clone(),
                        v.call_id.clone(),
                    )
                })
                .collect();
            let want: Vec<Finding> = exp["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["rule"].as_str().unwrap().to_string(),
                        v["provider"].as_str().map(str::to_string),
                        frames(v),
                        v["call_id"].as_str().map(str::to_string),
                    )
                })
                .collect();
            let ids = |v: &[Finding]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&want), "{name}: {:#?}", o.violations);
            for ((g, w), e) in got
                .iter()
                .zip(&want)
                .zip(exp["violations"].as_array().unwrap())
            {
                assert_eq!((&g.1, &g.3), (&w.1, &w.3), "{name} {}", w.0);
                if e["frames_include_only"].as_bool() == Some(true) {
                    assert!(
                        w.2.iter().all(|f| g.2.contains(f)),
                        "{name} {}: {:?} vs {:?}",
                        w.0,
                        g.2,
                        w.2
                    );
                } else {
                    assert_eq!(g.2, w.2, "{name} {}: frames", w.0);
                }
            }
            for s in exp["im_sessions"].as_array().unwrap() {
                let found = o.im_sessions.iter().any(|x| {
                    s["local"] == x.local.as_str()
                        && s["remote"] == x.remote.as_str()
                        && s["provider"].as_str() == x.provider.as_deref()
                        && s["outcome"] == x.outcome.as_str()
                });
                assert!(found, "{name}: session {s} not in {:#?}", o.im_sessions);
            }
            if name == "clean-federation" {
                assert!(o.violations.is_empty());
                assert_eq!(o.im_sessions.len(), 3);
                assert_eq!(o.presence.len(), 3);
                assert!(
                    o.presence
                        .iter()
                        .all(|p| p.outcome == "active" && p.notifications == 1)
                );
            }
        }
    }
}
