//! Analyzer unit tests: SIP events built from message text (parsed once by
//! `crate::sip::parse_message`), one test per rule firing, clean exchanges
//! with each provider raising nothing, and the bookkeeping (retransmissions,
//! sessions, presence, memory bounds).

use std::net::SocketAddr;
use std::sync::Arc;

use super::*;
use crate::reassembly::{Direction, FlowId};
use crate::sip::{SipMessage, parse_message};
use crate::time::Timestamp;
use crate::tls::CertInfo;

const EDGE: &str = "203.0.113.10:50123";
const EDGE_5061: &str = "203.0.113.10:5061";
const MSN: &str = "134.170.96.10:5061";
const AOL: &str = "64.12.24.5:5061";
const YAHOO: &str = "98.136.47.17:5061";
/// 2013-05-27T10:00:00Z.
const T0: i64 = 1_369_648_800;

fn table() -> &'static ProviderTable {
    Box::leak(Box::new(ProviderTable::builtin()))
}

fn ts(secs: f64) -> Timestamp {
    Timestamp((secs * 1e9) as i64)
}

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
    branch: String,
    extra: Vec<String>,
    ct: Option<String>,
    body: String,
}

fn r(method: &'static str, from: &str, to: &str, call_id: &str, cseq: u32) -> R {
    R {
        method,
        ruri: format!("sip:{to}"),
        from: from.into(),
        from_tag: "ftag".into(),
        epid: "epid1".into(),
        to: to.into(),
        to_tag: None,
        call_id: call_id.into(),
        cseq,
        branch: format!("z9hG4bK{call_id}{cseq}{method}"),
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
    fn epid(mut self, e: &str) -> R {
        self.epid = e.into();
        self
    }
    fn head(&self) -> String {
        let to_tag = self
            .to_tag
            .as_ref()
            .map(|t| format!(";tag={t}"))
            .unwrap_or_default();
        let mut s = format!(
            "Via: SIP/2.0/TLS 203.0.113.10:50123;branch={}\r\nFrom: <sip:{}>;tag={};epid={}\r\nTo: <sip:{}>{to_tag}\r\nCall-ID: {}\r\nCSeq: {} {}\r\n",
            self.branch,
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
    fn text(&self) -> String {
        let mut s = format!(
            "{} {} SIP/2.0\r\nMax-Forwards: 70\r\n{}",
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
        s
    }
    /// A response to this request (To tag added when missing).
    fn resp(&self, code: u16) -> String {
        let mut req = self.clone();
        if req.to_tag.is_none() {
            req.to_tag = Some("rtag".into());
        }
        req.extra.clear();
        format!(
            "SIP/2.0 {code} Reason\r\n{}Content-Length: 0\r\n\r\n",
            req.head()
        )
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

fn state_body(availability: u32, activity: Option<&str>) -> String {
    let act = activity
        .map(|a| format!("<activity token=\"{a}\"/>"))
        .unwrap_or_default();
    format!(
        "<categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/categories\"><category name=\"state\"><state xmlns=\"http://schemas.microsoft.com/2006/09/sip/state\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"aggregateState\"><availability>{availability}</availability>{act}</state></category></categories>"
    )
}

const CATEGORIES: &str = "application/msrtc-event-categories+xml";

/// One capture with one analyzer; frames numbered 1, 2, 3 … in order.
struct Sc {
    an: Analyzer<'static>,
    flow: Arc<FlowContext>,
    edge_is_client: bool,
    frame: u64,
    t: f64,
    next_flow: u64,
}

fn flow(id: u64, client: &str, server: &str, transport: TransportKind) -> Arc<FlowContext> {
    Arc::new(FlowContext {
        capture: Arc::from("test.pcap"),
        id: FlowId(id),
        transport,
        client: client.parse().unwrap(),
        server: server.parse().unwrap(),
    })
}

impl Sc {
    /// Edge connects out to `provider` (client = Edge) over TLS.
    fn new(provider: &str) -> Sc {
        Sc::with(
            AnalysisConfig::default(),
            EDGE,
            provider,
            TransportKind::Tls,
            true,
        )
    }

    fn with(
        cfg: AnalysisConfig,
        client: &str,
        server: &str,
        t: TransportKind,
        edge_is_client: bool,
    ) -> Sc {
        let mut an = Analyzer::new(table(), cfg);
        let f = flow(1, client, server, t);
        an.flow_opened(&f);
        Sc {
            an,
            flow: f,
            edge_is_client,
            frame: 0,
            t: T0 as f64,
            next_flow: 2,
        }
    }

    fn at(&mut self, secs: i64) -> &mut Sc {
        self.t = secs as f64;
        self
    }

    fn send(&mut self, out: bool, text: &str) -> u64 {
        let msg: SipMessage =
            parse_message(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"));
        self.frame += 1;
        self.t += 0.05;
        let to_server = out == self.edge_is_client;
        let (dir, src, dst): (Direction, SocketAddr, SocketAddr) = if to_server {
            (Direction::ToServer, self.flow.client, self.flow.server)
        } else {
            (Direction::ToClient, self.flow.server, self.flow.client)
        };
        let meta = SegmentMeta {
            frame: self.frame,
            ts: ts(self.t),
        };
        self.an.sip(&SipEvent {
            flow: &self.flow,
            dir,
            src,
            dst,
            first: meta,
            last: meta,
            msg: &msg,
        });
        self.frame
    }

    /// Enterprise -> provider.
    fn out(&mut self, text: &str) -> u64 {
        self.send(true, text)
    }

    /// Provider -> enterprise.
    fn inn(&mut self, text: &str) -> u64 {
        self.send(false, text)
    }

    /// Ends the current flow and starts a new one.
    fn close(&mut self, reason: CloseReason) -> u64 {
        self.frame += 1;
        let meta = SegmentMeta {
            frame: self.frame,
            ts: ts(self.t),
        };
        self.an.flow_closed(&self.flow.clone(), reason, meta);
        self.frame
    }

    fn reopen(&mut self, client: &str, server: &str, t: TransportKind) {
        self.flow = flow(self.next_flow, client, server, t);
        self.next_flow += 1;
        self.an.flow_opened(&self.flow.clone());
    }

    fn tls(&mut self, status: &TlsStatus) -> u64 {
        self.frame += 1;
        let meta = SegmentMeta {
            frame: self.frame,
            ts: ts(self.t),
        };
        self.an.tls_status(&self.flow.clone(), status, meta);
        self.frame
    }

    fn finish(self) -> AnalysisOutput {
        self.an.finish()
    }
}

/// A full clean IM + presence exchange between alice@contoso.com and `remote`.
fn clean_exchange(sc: &mut Sc, remote: &str) {
    let alice = "alice@contoso.com";
    let inv = r("INVITE", alice, remote, "im1", 1)
        .h("Ms-Conversation-ID: conv1")
        .body("application/sdp", &sdp(&["message"]));
    sc.out(&inv.text());
    sc.inn(&inv.resp(180));
    sc.inn(&inv.resp(200));
    let mut ack = r("ACK", alice, remote, "im1", 1).tag("rtag");
    ack.branch = "z9hG4bKack1".into();
    sc.out(&ack.text());
    let typing = r("INFO", alice, remote, "im1", 2).tag("rtag").body(
        "application/im-iscomposing+xml",
        "<isComposing><state>active</state></isComposing>",
    );
    sc.out(&typing.text());
    sc.inn(&typing.resp(200));
    let m1 = r("MESSAGE", alice, remote, "im1", 3)
        .tag("rtag")
        .body("text/plain", "hello");
    sc.out(&m1.text());
    sc.inn(&m1.resp(200));
    let mut m2 = r("MESSAGE", remote, alice, "im1", 1).body("text/plain", "hi there");
    m2.from_tag = "rtag".into();
    m2.to_tag = Some("ftag".into());
    sc.inn(&m2.text());
    sc.out(&m2.resp(200));
    let bye = r("BYE", alice, remote, "im1", 4).tag("rtag");
    sc.out(&bye.text());
    sc.inn(&bye.resp(200));
    // the provider user watches alice
    let sub = r("SUBSCRIBE", remote, alice, "sub1", 1).h("Event: presence");
    sc.inn(&sub.text());
    sc.out(&sub.resp(200));
    let mut n = r("NOTIFY", alice, remote, "sub1", 1)
        .h("Event: presence")
        .h("Subscription-State: active;expires=3600")
        .body(CATEGORIES, &state_body(3500, None));
    n.from_tag = "rtag".into();
    n.to_tag = Some("ftag".into());
    sc.out(&n.text());
    sc.inn(&n.resp(200));
}

fn rules_of(o: &AnalysisOutput) -> Vec<&'static str> {
    o.violations.iter().map(|v| v.rule).collect()
}

fn only<'a>(o: &'a AnalysisOutput, rule: &str) -> &'a Violation {
    let v: Vec<&Violation> = o.violations.iter().filter(|v| v.rule == rule).collect();
    assert_eq!(v.len(), 1, "{rule}: {:#?}", o.violations);
    v[0]
}

#[test]
fn clean_exchange_with_each_provider_raises_nothing() {
    for (addr, remote, name) in [
        (MSN, "bob@hotmail.com", "MSN"),
        (AOL, "carol@aol.com", "AOL"),
        (YAHOO, "dave@yahoo.com", "Yahoo"),
    ] {
        let mut sc = Sc::new(addr);
        clean_exchange(&mut sc, remote);
        let o = sc.finish();
        assert!(o.violations.is_empty(), "{name}: {:#?}", o.violations);
        assert_eq!(o.im_sessions.len(), 1);
        let s = &o.im_sessions[0];
        assert_eq!(
            (s.local.as_str(), s.remote.as_str()),
            ("alice@contoso.com", remote)
        );
        assert_eq!(s.provider.as_deref(), Some(name));
        assert_eq!((s.messages_out, s.messages_in, s.typing), (1, 1, 1));
        assert_eq!(s.outcome, "completed");
        assert_eq!(s.conversation_id.as_deref(), Some("conv1"));
        assert_eq!(s.bodies.len(), 2);
        assert!(s.bodies.iter().all(|b| b.text.is_none()));
        assert_eq!((s.bodies[0].direction, s.bodies[0].length), ("out", 5));
        assert_eq!(o.presence.len(), 1);
        let p = &o.presence[0];
        assert_eq!(
            (p.watcher.as_str(), p.presentity.as_str()),
            (remote, "alice@contoso.com")
        );
        assert_eq!(p.provider.as_deref(), Some(name));
        assert_eq!((p.outcome.as_str(), p.notifications), ("active", 1));
        assert_eq!(p.states.len(), 1);
        assert_eq!(
            (p.states[0].sent.as_str(), p.states[0].displayed.as_str()),
            ("Online", "Online")
        );
        assert_eq!(p.states[0].direction, "out");
        assert!(o.notes.iter().all(|n| n.provider == name) && o.notes.len() >= 3);
        assert_eq!(o.transactions.transactions, 8);
        assert_eq!(o.transactions.retransmissions, 0);
        assert_eq!(o.transactions.unanswered, 0);
        assert_eq!(o.transactions.response_ms["INVITE"].count, 1);
    }
}

#[test]
fn retransmissions_are_recognised_not_counted_again() {
    let mut sc = Sc::new(MSN);
    let alice = "alice@contoso.com";
    let inv =
        r("INVITE", alice, "bob@live.com", "c1", 1).body("application/sdp", &sdp(&["message"]));
    sc.out(&inv.text());
    sc.out(&inv.text()); // retransmitted INVITE
    sc.inn(&inv.resp(200));
    sc.inn(&inv.resp(200)); // retransmitted 200
    let m = r("MESSAGE", alice, "bob@live.com", "c1", 2)
        .tag("rtag")
        .body("text/plain", "x");
    sc.out(&m.text());
    sc.out(&m.text());
    sc.inn(&m.resp(200));
    let o = sc.finish();
    assert_eq!(o.transactions.transactions, 2);
    assert_eq!(o.transactions.retransmissions, 3);
    assert_eq!(o.im_sessions[0].messages_out, 1);
    assert_eq!(o.im_sessions[0].outcome, "open");
    let inv_ms = &o.transactions.response_ms["INVITE"];
    assert_eq!(inv_ms.count, 1);
    assert!((inv_ms.mean_ms - 100.0).abs() < 1.0, "{inv_ms:?}");
}

#[test]
fn im_outcomes_rejected_cancelled_and_content() {
    let cfg = AnalysisConfig {
        show_content: true,
        ..AnalysisConfig::default()
    };
    let mut sc = Sc::with(cfg, EDGE, MSN, TransportKind::Tls, true);
    let alice = "alice@contoso.com";
    let a =
        r("INVITE", alice, "bob@live.com", "rej", 1).body("application/sdp", &sdp(&["message"]));
    sc.out(&a.text());
    sc.inn(&a.resp(486));
    let b =
        r("INVITE", alice, "bob@live.com", "can", 1).body("application/sdp", &sdp(&["message"]));
    sc.out(&b.text());
    let mut c = r("CANCEL", alice, "bob@live.com", "can", 1);
    c.branch = b.branch.clone();
    sc.out(&c.text());
    sc.inn(&c.resp(200));
    sc.inn(&b.resp(487));
    let p = r("MESSAGE", alice, "bob@live.com", "page", 1).body("text/plain", "page mode");
    sc.out(&p.text());
    let o = sc.finish();
    let by = |id: &str| o.im_sessions.iter().find(|s| s.call_id == id).unwrap();
    assert_eq!(by("rej").outcome, "rejected 486");
    assert_eq!(by("can").outcome, "cancelled");
    assert_eq!(by("page").outcome, "page-mode");
    assert_eq!(by("page").bodies[0].text.as_deref(), Some("page mode"));
}

#[test]
fn pic_media_and_false_accept() {
    let mut sc = Sc::new(YAHOO);
    let inv = r("INVITE", "alice@contoso.com", "dave@yahoo.com", "av", 1)
        .body("application/sdp", &sdp(&["audio", "video"]));
    let f1 = sc.out(&inv.text());
    let f2 = sc.inn(&inv.resp(200));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-MEDIA", "PIC-FALSE-ACCEPT"]);
    let m = only(&o, "PIC-MEDIA");
    assert_eq!(
        (m.severity, m.frames.clone(), m.provider.as_deref()),
        (Severity::Error, vec![f1], Some("Yahoo"))
    );
    assert_eq!(m.call_id.as_deref(), Some("av"));
    assert!(
        m.message.contains("m=audio") && m.message.contains("General 1"),
        "{}",
        m.message
    );
    let fa = only(&o, "PIC-FALSE-ACCEPT");
    assert_eq!(
        (fa.severity, fa.frames.clone()),
        (Severity::Warning, vec![f1, f2])
    );
    assert!(o.im_sessions.is_empty());
}

#[test]
fn pic_media_file_transfer_inbound_from_msn() {
    let mut sc = Sc::new(MSN);
    let mut inv = r("INVITE", "bob@hotmail.com", "alice@contoso.com", "ft", 1).body(
        "application/ms-filetransfer+xml",
        "<request><publishFile/></request>",
    );
    inv.ruri = "sip:alice@contoso.com".into();
    let f = sc.inn(&inv.text());
    sc.out(&inv.resp(415));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-MEDIA"]);
    let m = only(&o, "PIC-MEDIA");
    assert_eq!(
        (m.frames.clone(), m.provider.as_deref()),
        (vec![f], Some("MSN"))
    );
    assert!(m.message.contains("file transfer") && m.message.contains("from MSN"));
}

#[test]
fn pic_multiparty_focus_refer_and_three_parties() {
    let mut sc = Sc::new(MSN);
    let alice = "alice@contoso.com";
    let inv = r("INVITE", alice, "bob@hotmail.com", "conf", 1)
        .h("Ms-Focus-Uri: sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:ABC")
        .body("application/sdp", &sdp(&["message"]));
    let f1 = sc.out(&inv.text());
    let refer = r("REFER", alice, "bob@hotmail.com", "ref", 1).h("Refer-To: <sip:eve@contoso.com>");
    let f2 = sc.out(&refer.text());
    let a = r("MESSAGE", alice, "bob@hotmail.com", "x1", 1)
        .h("Ms-Conversation-ID: CONV9")
        .body("text/plain", "a");
    let f3 = sc.out(&a.text());
    let b = r("MESSAGE", "carl@contoso.com", "bob@hotmail.com", "x2", 1)
        .h("Ms-Conversation-ID: CONV9")
        .body("text/plain", "b");
    let f4 = sc.out(&b.text());
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-MULTIPARTY"; 3]);
    assert_eq!(o.violations[0].frames, [f1]);
    assert!(o.violations[0].message.contains("conference focus"));
    assert_eq!(o.violations[1].frames, [f2]);
    assert!(o.violations[1].message.contains("REFER"));
    assert_eq!(o.violations[2].frames, [f3, f4]);
    assert!(o.violations[2].message.contains("3 parties"));
    assert!(
        o.violations
            .iter()
            .all(|v| v.severity == Severity::Error && v.provider.as_deref() == Some("MSN"))
    );
}

#[test]
fn pic_plaintext_by_range_on_5061() {
    let mut sc = Sc::with(
        AnalysisConfig::default(),
        EDGE,
        MSN,
        TransportKind::Tcp,
        true,
    );
    clean_exchange(&mut sc, "bob@hotmail.com");
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-PLAINTEXT"]);
    let v = only(&o, "PIC-PLAINTEXT");
    assert_eq!(
        (v.frames.clone(), v.flow, v.provider.as_deref()),
        (vec![1], Some(1), Some("MSN"))
    );
    assert_eq!(v.severity, Severity::Error);
}

#[test]
fn pic_plaintext_port_and_unknown_source_by_domain_over_udp() {
    // A SIP/UDP peer outside every range that claims to be a Yahoo! user.
    let mut sc = Sc::with(
        AnalysisConfig::default(),
        "198.51.100.7:5060",
        "203.0.113.10:5060",
        TransportKind::Udp,
        false,
    );
    let m = r("MESSAGE", "dave@yahoo.com", "alice@contoso.com", "u1", 1).body("text/plain", "hi");
    let f = sc.inn(&m.text());
    sc.out(&m.resp(200));
    let o = sc.finish();
    assert_eq!(
        rules_of(&o),
        ["PIC-PLAINTEXT", "PIC-PORT", "PIC-UNKNOWN-SOURCE"]
    );
    for v in &o.violations {
        assert_eq!(
            (v.frames.clone(), v.provider.as_deref()),
            (vec![f], Some("Yahoo"))
        );
    }
    assert!(
        only(&o, "PIC-UNKNOWN-SOURCE")
            .message
            .contains("outside Yahoo's documented ranges")
    );
    assert_eq!(o.im_sessions[0].remote, "dave@yahoo.com");
    assert_eq!(o.im_sessions[0].messages_in, 1);
}

#[test]
fn pic_port_tls_off_5061() {
    let mut sc = Sc::with(
        AnalysisConfig::default(),
        EDGE,
        "64.12.24.5:443",
        TransportKind::Tls,
        true,
    );
    clean_exchange(&mut sc, "carol@aol.com");
    // The handshake facts come at the flow's end: PIC-PORT is not raised twice.
    sc.tls(&TlsStatus {
        version: Some("TLS 1.2".into()),
        cipher: Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()),
        ..TlsStatus::default()
    });
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-PORT"]);
    let v = only(&o, "PIC-PORT");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref(), v.severity),
        (vec![1], Some("AOL"), Severity::Warning)
    );
}

#[test]
fn pic_unknown_source_from_another_providers_range() {
    // Inbound from AOL's range claiming an MSN user.
    let mut sc = Sc::with(
        AnalysisConfig::default(),
        AOL,
        EDGE_5061,
        TransportKind::Tls,
        false,
    );
    let m = r("MESSAGE", "bob@hotmail.com", "alice@contoso.com", "s1", 1).body("text/plain", "hi");
    let f = sc.inn(&m.text());
    sc.out(&m.resp(200));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-UNKNOWN-SOURCE"]);
    let v = only(&o, "PIC-UNKNOWN-SOURCE");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref()),
        (vec![f], Some("MSN"))
    );
    assert!(
        v.message.contains("in AOL's documented range"),
        "{}",
        v.message
    );
}

#[test]
fn pic_domain_unlisted_domain_from_provider_range() {
    let mut sc = Sc::with(
        AnalysisConfig::default(),
        AOL,
        EDGE_5061,
        TransportKind::Tls,
        false,
    );
    let m = r("MESSAGE", "zed@example.org", "alice@contoso.com", "d1", 1).body("text/plain", "hi");
    let f = sc.inn(&m.text());
    sc.out(&m.resp(200));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-DOMAIN"]);
    let v = only(&o, "PIC-DOMAIN");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref(), v.severity),
        (vec![f], Some("AOL"), Severity::Warning)
    );
    assert!(v.message.contains("example.org") && v.message.contains("Supported provider domains"));
}

#[test]
fn pic_domain_icq_before_and_after_retirement() {
    for (day, fires) in [(1_307_577_600i64, false), (1_307_750_400, true)] {
        // 2011-06-09 and 2011-06-11
        let mut sc = Sc::new(AOL);
        sc.at(day);
        let m =
            r("MESSAGE", "alice@contoso.com", "12345@icq.com", "icq", 1).body("text/plain", "hi");
        let f = sc.out(&m.text());
        sc.inn(&m.resp(200));
        let o = sc.finish();
        if fires {
            assert_eq!(rules_of(&o), ["PIC-DOMAIN"]);
            let v = only(&o, "PIC-DOMAIN");
            assert_eq!(
                (v.frames.clone(), v.provider.as_deref()),
                (vec![f], Some("AOL"))
            );
            assert!(v.message.contains("retired on 2011-06-10"), "{}", v.message);
        } else {
            assert!(o.violations.is_empty(), "{:#?}", o.violations);
        }
    }
}

#[test]
fn pic_easi_and_decoding() {
    let mut sc = Sc::new(MSN);
    let bad = r("INVITE", "alice@contoso.com", "bob@fabrikam.com", "e1", 1)
        .body("application/sdp", &sdp(&["message"]));
    let f = sc.out(&bad.text());
    let good = r(
        "INVITE",
        "alice@contoso.com",
        "bob(fabrikam.com)@msn.com",
        "e2",
        1,
    )
    .body("application/sdp", &sdp(&["message"]));
    sc.out(&good.text());
    sc.inn(&good.resp(200));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-EASI"]);
    let v = only(&o, "PIC-EASI");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref()),
        (vec![f], Some("MSN"))
    );
    assert!(
        v.message.contains("bob(fabrikam.com)@msn.com"),
        "{}",
        v.message
    );
    let e2 = o.im_sessions.iter().find(|s| s.call_id == "e2").unwrap();
    assert_eq!(e2.remote, "bob@fabrikam.com");
}

#[test]
fn pic_invalid_contact() {
    let mut sc = Sc::new(MSN);
    let sub = r(
        "SUBSCRIBE",
        "alice@contoso.com",
        "nobody@hotmail.com",
        "s404",
        1,
    )
    .h("Event: presence");
    let f1 = sc.out(&sub.text());
    let f2 = sc.inn(&sub.resp(404));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-INVALID-CONTACT"]);
    let v = only(&o, "PIC-INVALID-CONTACT");
    assert_eq!(
        (v.frames.clone(), v.severity, v.provider.as_deref()),
        (vec![f1, f2], Severity::Info, Some("MSN"))
    );
    assert!(v.message.contains("nobody@hotmail.com"));
    assert_eq!(o.presence[0].outcome, "rejected 404");
}

fn notify(
    from: &str,
    to: &str,
    call_id: &str,
    cseq: u32,
    availability: u32,
    activity: Option<&str>,
) -> String {
    let mut n = r("NOTIFY", from, to, call_id, cseq)
        .h("Event: presence")
        .h("Subscription-State: active")
        .body(CATEGORIES, &state_body(availability, activity));
    n.to_tag = Some("ftag".into());
    n.text()
}

#[test]
fn pic_presence_map_msn_brb_dnd_meeting_and_lunch() {
    let mut sc = Sc::new(MSN);
    let (alice, bob) = ("alice@contoso.com", "bob@hotmail.com");
    let sub = r("SUBSCRIBE", bob, alice, "p1", 1).h("Event: presence");
    sc.inn(&sub.text());
    sc.out(&sub.resp(200));
    let f_brb = sc.out(&notify(alice, bob, "p1", 1, 12500, None));
    sc.out(&notify(alice, bob, "p1", 2, 12500, None)); // same state again: no new finding
    let f_dnd = sc.out(&notify(alice, bob, "p1", 3, 9500, None));
    let f_meet = sc.out(&notify(alice, bob, "p1", 4, 6500, Some("in-a-meeting")));
    sc.out(&notify(alice, bob, "p1", 5, 6500, None)); // Busy: shown as Busy
    // bob's own state, inbound: Out to Lunch
    let f_lunch = sc.inn(&notify(bob, alice, "p2", 1, 15500, Some("out-to-lunch")));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-PRESENCE-MAP"; 4]);
    let frames: Vec<Vec<u64>> = o.violations.iter().map(|v| v.frames.clone()).collect();
    assert_eq!(
        frames,
        [vec![f_brb], vec![f_dnd], vec![f_meet], vec![f_lunch]]
    );
    assert!(
        o.violations[0]
            .message
            .contains("\"Be Right Back\" is displayed as \"Away\"")
    );
    assert!(o.violations[2].message.contains("General 3"));
    assert!(
        o.violations[3]
            .message
            .contains("\"Out to Lunch\" is displayed as \"Away\" to Lync")
    );
    let p1 = o.presence.iter().find(|p| p.call_id == "p1").unwrap();
    let shown: Vec<(&str, &str)> = p1
        .states
        .iter()
        .map(|s| (s.sent.as_str(), s.displayed.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("Be Right Back", "Away"),
            ("Be Right Back", "Away"),
            ("Do Not Disturb", "Away"),
            ("In a meeting", "Online"),
            ("Busy", "Busy")
        ]
    );
    assert_eq!(p1.notifications, 5);
}

#[test]
fn pic_presence_map_in_a_meeting_on_aol() {
    let mut sc = Sc::new(AOL);
    let f = sc.out(&notify(
        "alice@contoso.com",
        "carol@aol.com",
        "p1",
        1,
        3500,
        Some("in-a-meeting"),
    ));
    let f2 = sc.out(&notify(
        "alice@contoso.com",
        "carol@aol.com",
        "p1",
        2,
        12500,
        None,
    )); // BRB fine on AOL
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-PRESENCE-MAP"]);
    let v = only(&o, "PIC-PRESENCE-MAP");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref()),
        (vec![f], Some("AOL"))
    );
    assert_eq!(o.presence[0].states[1].frame, f2);
    assert_eq!(o.presence[0].states[1].displayed, "Be Right Back");
}

#[test]
fn pic_mpop() {
    let mut sc = Sc::new(YAHOO);
    let a = r("MESSAGE", "alice@contoso.com", "dave@yahoo.com", "m1", 1)
        .epid("aaaa")
        .body("text/plain", "1");
    let f1 = sc.out(&a.text());
    sc.inn(&a.resp(200));
    let b = r("MESSAGE", "alice@contoso.com", "dave@yahoo.com", "m2", 1)
        .epid("bbbb")
        .body("text/plain", "2");
    let f2 = sc.out(&b.text());
    sc.inn(&b.resp(200));
    let c = r("MESSAGE", "alice@contoso.com", "dave@yahoo.com", "m3", 1)
        .epid("cccc")
        .body("text/plain", "3");
    sc.out(&c.text());
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-MPOP"]);
    let v = only(&o, "PIC-MPOP");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref(), v.severity),
        (vec![f1, f2], Some("Yahoo"), Severity::Info)
    );
    assert!(
        v.message.contains("alice@contoso.com")
            && v.message.contains("Yahoo! does not support MPOP")
    );
}

#[test]
fn pic_closed_session_heuristic() {
    let cfg = AnalysisConfig {
        closed_session_secs: 300,
        ..AnalysisConfig::default()
    };
    let mut sc = Sc::with(cfg, EDGE, YAHOO, TransportKind::Tls, true);
    let (alice, dave) = ("alice@contoso.com", "dave@yahoo.com");
    let inv = r("INVITE", alice, dave, "y1", 1).body("application/sdp", &sdp(&["message"]));
    sc.out(&inv.text());
    sc.inn(&inv.resp(200));
    let mut m = r("MESSAGE", dave, alice, "y1", 1).body("text/plain", "brb");
    m.from_tag = "rtag".into();
    m.to_tag = Some("ftag".into());
    sc.inn(&m.text());
    sc.out(&m.resp(200));
    let ok = r("MESSAGE", alice, dave, "y1", 2)
        .tag("rtag")
        .body("text/plain", "ok");
    sc.out(&ok.text()); // soon after: fine
    sc.inn(&ok.resp(200));
    sc.at(T0 + 400);
    let late = r("MESSAGE", alice, dave, "y1", 3)
        .tag("rtag")
        .body("text/plain", "still there?");
    let f = sc.out(&late.text());
    let late2 = r("MESSAGE", alice, dave, "y1", 4)
        .tag("rtag")
        .body("text/plain", "hello?");
    sc.out(&late2.text());
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-CLOSED-SESSION"]);
    let v = only(&o, "PIC-CLOSED-SESSION");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref()),
        (vec![f], Some("Yahoo"))
    );
    assert!(v.message.starts_with("heuristic:"), "{}", v.message);
    assert_eq!(o.im_sessions[0].messages_out, 3);
}

#[test]
fn pic_stale_presence_and_its_absence_when_a_connection_follows() {
    for follow in [false, true] {
        let mut sc = Sc::new(MSN);
        let sub = r(
            "SUBSCRIBE",
            "alice@contoso.com",
            "bob@hotmail.com",
            "st1",
            1,
        )
        .h("Event: presence");
        let f1 = sc.out(&sub.text());
        sc.inn(&sub.resp(200));
        let fc = sc.close(CloseReason::Rst);
        if follow {
            sc.reopen(EDGE, MSN, TransportKind::Tls);
            sc.out(&r("OPTIONS", "alice@contoso.com", "bob@hotmail.com", "o1", 1).text());
        }
        let o = sc.finish();
        if follow {
            assert!(o.violations.is_empty(), "{:#?}", o.violations);
        } else {
            assert_eq!(rules_of(&o), ["PIC-STALE-PRESENCE"]);
            let v = only(&o, "PIC-STALE-PRESENCE");
            assert_eq!(
                (v.frames.clone(), v.provider.as_deref()),
                (vec![f1, fc], Some("MSN"))
            );
            assert_eq!(v.call_id.as_deref(), Some("st1"));
            assert!(v.message.contains("four hours"));
        }
        assert_eq!(o.presence[0].outcome, "active (connection closed)");
    }
}

#[test]
fn may_still_name_follows_pending_stale_presence() {
    for follow in [false, true] {
        let mut sc = Sc::new(MSN);
        let sub = r(
            "SUBSCRIBE",
            "alice@contoso.com",
            "bob@hotmail.com",
            "st2",
            1,
        )
        .h("Event: presence");
        sc.out(&sub.text());
        sc.inn(&sub.resp(200));
        let closed = sc.flow.clone();
        assert!(!sc.an.may_still_name(&closed.capture, closed.id.0));
        sc.close(CloseReason::Fin);
        assert!(sc.an.may_still_name(&closed.capture, closed.id.0));
        assert!(!sc.an.may_still_name(&closed.capture, closed.id.0 + 1));
        assert!(!sc.an.may_still_name("other.pcap", closed.id.0));
        if follow {
            // a connection to the same provider cancels the pending finding
            sc.reopen(EDGE, MSN, TransportKind::Tls);
            sc.out(&r("OPTIONS", "alice@contoso.com", "bob@hotmail.com", "o2", 1).text());
        }
        assert_eq!(
            sc.an.may_still_name(&closed.capture, closed.id.0),
            !follow,
            "follow {follow}"
        );
    }
}

fn cert(subject: &str, names: &[&str], from: i64, to: i64) -> CertInfo {
    CertInfo {
        subject: subject.into(),
        issuer: "CN=Root".into(),
        dns_names: names.iter().map(|s| s.to_string()).collect(),
        not_before: Timestamp::from_secs_nanos(from, 0),
        not_after: Timestamp::from_secs_nanos(to, 0),
        der: Vec::new(),
    }
}

#[test]
fn pic_weak_tls() {
    let mut sc = Sc::new(MSN);
    clean_exchange(&mut sc, "bob@hotmail.com");
    let f = sc.tls(&TlsStatus {
        version: Some("TLS 1.0".into()),
        cipher: Some("TLS_RSA_WITH_RC4_128_SHA".into()),
        sni: Some("federation.messenger.msn.com".into()),
        certificates: vec![cert(
            "CN=federation.messenger.msn.com",
            &["federation.messenger.msn.com"],
            T0 - 86_400,
            T0 + 86_400,
        )],
        ..TlsStatus::default()
    });
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-WEAK-TLS"]);
    let v = only(&o, "PIC-WEAK-TLS");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref(), v.flow),
        (vec![1], Some("MSN"), Some(1))
    );
    assert!(
        v.message.contains("TLS 1.0") && v.message.contains("RC4"),
        "{}",
        v.message
    );
    let _ = f;
}

#[test]
fn pic_cert_expired_and_wrong_name() {
    let mut sc = Sc::new(AOL);
    clean_exchange(&mut sc, "carol@aol.com");
    sc.tls(&TlsStatus {
        version: Some("TLS 1.2".into()),
        cipher: Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()),
        sni: Some("sip.oscar.aol.com".into()),
        certificates: vec![cert(
            "CN=other.example",
            &["other.example"],
            T0 - 400 * 86_400,
            T0 - 86_400,
        )],
        ..TlsStatus::default()
    });
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-CERT"]);
    let v = only(&o, "PIC-CERT");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref()),
        (vec![1], Some("AOL"))
    );
    assert!(
        v.message.contains("expired")
            && v.message
                .contains("does not name the server sip.oscar.aol.com")
    );
}

#[test]
fn pic_cert_chain_to_trust_anchors() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let ca = |cn: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, cn);
        CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
    };
    let root = ca("Public Root");
    let other = ca("Other Root");
    let leaf_params = CertificateParams::new(vec!["sip.yahoo.com".to_string()]).unwrap();
    let leaf = leaf_params
        .signed_by(&KeyPair::generate().unwrap(), &root)
        .unwrap();
    let status = TlsStatus {
        version: Some("TLS 1.2".into()),
        cipher: Some("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into()),
        sni: Some("sip.yahoo.com".into()),
        certificates: vec![CertInfo {
            der: leaf.der().to_vec(),
            ..cert(
                "CN=sip.yahoo.com",
                &["sip.yahoo.com"],
                T0 - 86_400,
                T0 + 86_400,
            )
        }],
        ..TlsStatus::default()
    };
    for (anchor, fires) in [(root.der().to_vec(), false), (other.der().to_vec(), true)] {
        let cfg = AnalysisConfig {
            trust_anchors: vec![anchor],
            ..AnalysisConfig::default()
        };
        let mut sc = Sc::with(cfg, EDGE, YAHOO, TransportKind::Tls, true);
        clean_exchange(&mut sc, "dave@yahoo.com");
        sc.tls(&status);
        let o = sc.finish();
        if fires {
            assert_eq!(rules_of(&o), ["PIC-CERT"]);
            assert!(only(&o, "PIC-CERT").message.contains("trusted root"));
        } else {
            assert!(o.violations.is_empty(), "{:#?}", o.violations);
        }
    }
}

#[test]
fn pic_aol_url() {
    let mut sc = Sc::new(AOL);
    let mut m = r("MESSAGE", "carol@aol.com", "alice@contoso.com", "u1", 1).body(
        "text/plain",
        "see _http://www.contoso.com_ (http:// www.contoso.com)",
    );
    m.ruri = "sip:alice@contoso.com".into();
    let f = sc.inn(&m.text());
    sc.out(&m.resp(200));
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-AOL-URL"]);
    let v = only(&o, "PIC-AOL-URL");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref(), v.severity),
        (vec![f], Some("AOL"), Severity::Info)
    );
}

#[test]
fn catalog_lists_every_rule_of_restrictions_md() {
    let ids: Vec<&str> = rules().iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "PIC-MEDIA",
            "PIC-FALSE-ACCEPT",
            "PIC-MULTIPARTY",
            "PIC-PLAINTEXT",
            "PIC-PORT",
            "PIC-UNKNOWN-SOURCE",
            "PIC-DOMAIN",
            "PIC-EASI",
            "PIC-INVALID-CONTACT",
            "PIC-PRESENCE-MAP",
            "PIC-MPOP",
            "PIC-CLOSED-SESSION",
            "PIC-STALE-PRESENCE",
            "PIC-WEAK-TLS",
            "PIC-CERT",
            "PIC-AOL-URL"
        ]
    );
    let sev = |id: &str| rules().iter().find(|r| r.id == id).unwrap().severity;
    assert_eq!(sev("PIC-MEDIA"), Severity::Error);
    assert_eq!(sev("PIC-STALE-PRESENCE"), Severity::Warning);
    assert_eq!(sev("PIC-AOL-URL"), Severity::Info);
}

#[test]
fn state_is_bounded_to_live_dialogs() {
    let mut sc = Sc::new(MSN);
    for i in 0..200 {
        let id = format!("b{i}");
        let inv = r("INVITE", "alice@contoso.com", "bob@hotmail.com", &id, 1)
            .body("application/sdp", &sdp(&["message"]));
        sc.out(&inv.text());
        sc.inn(&inv.resp(200));
        let bye = r("BYE", "alice@contoso.com", "bob@hotmail.com", &id, 2).tag("rtag");
        sc.out(&bye.text());
        sc.inn(&bye.resp(200));
        sc.t += 1.0;
    }
    assert_eq!(sc.an.im.live(), 0);
    assert_eq!(sc.an.subs.live(), 0);
    assert!(sc.an.tx.live() < 200, "{}", sc.an.tx.live());
    let o = sc.finish();
    assert_eq!(o.im_sessions.len(), 200);
}

#[test]
fn conversations_are_forgotten_after_their_sessions_end() {
    let mut sc = Sc::new(MSN);
    let alice = "alice@contoso.com";
    // 2,000 two-party conversations, one every 2 s of capture time, each ended by BYE.
    for i in 0..2000 {
        let id = format!("c{i}");
        let inv = r("INVITE", alice, "bob@hotmail.com", &id, 1)
            .h(&format!("Ms-Conversation-ID: CONV{i}"))
            .body("application/sdp", &sdp(&["message"]));
        sc.out(&inv.text());
        sc.inn(&inv.resp(200));
        let bye = r("BYE", alice, "bob@hotmail.com", &id, 2).tag("rtag");
        sc.out(&bye.text());
        sc.inn(&bye.resp(200));
        let _ = sc.an.take_done();
        sc.t += 2.0;
    }
    // Ended ones are kept 10 minutes (300 conversations at this rate), and a
    // sweep runs when the table doubles: far below the 2,000 seen.
    assert!(sc.an.convs.held() <= 1024, "{}", sc.an.convs.held());
    // A conversation whose session ended is still judged when it comes back
    // within the grace period: a third party in it is reported.
    let last = r("MESSAGE", "carl@contoso.com", "bob@hotmail.com", "back", 1)
        .h("Ms-Conversation-ID: CONV1999")
        .body("text/plain", "me too");
    let f = sc.out(&last.text());
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-MULTIPARTY"]);
    assert!(o.violations[0].frames.contains(&f));
    assert!(o.violations[0].message.contains("3 parties"));
}

#[test]
fn undecrypted_tls_flow_attributed_by_sni_and_port_judged() {
    // No SIP seen (not decrypted); server outside every range, SNI under msn.com, port 443.
    let mut sc = Sc::with(
        AnalysisConfig::default(),
        EDGE,
        "192.0.2.44:443",
        TransportKind::Tls,
        true,
    );
    let f = sc.tls(&TlsStatus {
        version: Some("TLS 1.2".into()),
        cipher: Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into()),
        sni: Some("federation.messenger.msn.com".into()),
        ..TlsStatus::default()
    });
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-PORT"]);
    let v = only(&o, "PIC-PORT");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref()),
        (vec![f], Some("MSN"))
    );
    assert!(o.notes.iter().any(|n| n.provider == "MSN"));
}

#[test]
fn mid_dialog_message_is_not_page_mode() {
    let mut sc = Sc::new(MSN);
    let m = r("MESSAGE", "alice@contoso.com", "bob@hotmail.com", "mid", 7)
        .tag("rtag")
        .body("text/plain", "x");
    sc.out(&m.text());
    let o = sc.finish();
    assert_eq!(o.im_sessions[0].outcome, "open");
    assert_eq!(o.im_sessions[0].messages_out, 1);
}

#[test]
fn end_of_capture_leaves_sessions_open_and_easi_reply_is_not_pic_domain() {
    let mut sc = Sc::new(MSN);
    let inv = r("INVITE", "alice@contoso.com", "bob@fabrikam.com", "e1", 1)
        .body("application/sdp", &sdp(&["message"]));
    sc.out(&inv.text());
    sc.inn(&inv.resp(404));
    let good = r(
        "INVITE",
        "alice@contoso.com",
        "bob(fabrikam.com)@msn.com",
        "e2",
        1,
    )
    .body("application/sdp", &sdp(&["message"]));
    sc.out(&good.text());
    sc.inn(&good.resp(200));
    sc.close(CloseReason::EndOfCapture);
    let o = sc.finish();
    assert_eq!(rules_of(&o), ["PIC-EASI", "PIC-INVALID-CONTACT"]);
    let e2 = o.im_sessions.iter().find(|s| s.call_id == "e2").unwrap();
    assert_eq!(e2.outcome, "open");
}

#[test]
fn pic_plaintext_by_request_uri_domain() {
    // Plain TCP to an unlisted address; only the Request-URI names a provider domain.
    let mut sc = Sc::with(
        AnalysisConfig::default(),
        EDGE,
        "192.0.2.80:5061",
        TransportKind::Tcp,
        true,
    );
    let mut m = r(
        "MESSAGE",
        "alice@contoso.com",
        "someone@contoso.net",
        "ru1",
        1,
    )
    .body("text/plain", "x");
    m.ruri = "sip:bob@live.com".into();
    let f = sc.out(&m.text());
    let o = sc.finish();
    assert!(
        rules_of(&o).contains(&"PIC-PLAINTEXT"),
        "{:#?}",
        o.violations
    );
    let v = only(&o, "PIC-PLAINTEXT");
    assert_eq!(
        (v.frames.clone(), v.provider.as_deref()),
        (vec![f], Some("MSN"))
    );
}
