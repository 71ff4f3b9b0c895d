//! Lync-style federation SIP for the TLS samples (see shared docs
//! lync-sip.md): long headers with `ms-*` extensions, an IM session
//! (INVITE/200/ACK, MESSAGEs both ways, BYE) and a presence subscription
//! (SUBSCRIBE/200, NOTIFY/200, BENOTIFY) between an Edge user and a provider
//! user.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The Edge's public address.
pub const EDGE_IP: [u8; 4] = [203, 0, 113, 10];

/// One federated dialog's identities.
#[derive(Clone, Debug)]
pub struct Peer {
    /// Provider's address (in the KB ranges).
    pub provider_ip: [u8; 4],
    /// Provider SIP domain.
    pub domain: &'static str,
    /// Remote user part.
    pub user: &'static str,
    /// Distinguishes Call-IDs, tags and branches between dialogs.
    pub seed: u32,
}

/// MSN / Windows Live.
pub fn msn(seed: u32) -> Peer {
    Peer {
        provider_ip: [134, 170, 96, 10],
        domain: "hotmail.com",
        user: "bob",
        seed,
    }
}
/// AOL.
pub fn aol(seed: u32) -> Peer {
    Peer {
        provider_ip: [64, 12, 24, 10],
        domain: "aol.com",
        user: "carol",
        seed,
    }
}
/// Yahoo!.
pub fn yahoo(seed: u32) -> Peer {
    Peer {
        provider_ip: [98, 136, 47, 10],
        domain: "yahoo.com",
        user: "dave",
        seed,
    }
}

/// One SIP message in a script: `true` when the Edge sends it.
pub type Step = (bool, Vec<u8>);

/// Deterministic filler in base64 alphabet.
fn filler(seed: u32, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = seed.wrapping_mul(2_246_822_519).wrapping_add(0x9e37_79b9);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            A[(x % 64) as usize] as char
        })
        .collect()
}

struct Ctx<'a> {
    p: &'a Peer,
    call_id: String,
    conv: String,
    edge_tag: String,
    remote_tag: String,
}

impl Ctx<'_> {
    fn edge_uri(&self) -> String {
        "sip:alice@contoso.com".to_string()
    }
    fn remote_uri(&self) -> String {
        format!("sip:{}@{}", self.p.user, self.p.domain)
    }
    fn pip(&self) -> String {
        let o = self.p.provider_ip;
        format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])
    }

    /// Headers shared by requests and responses, `edge_originated` saying
    /// who sent the request of this transaction.
    fn common(
        &self,
        edge_originated: bool,
        cseq: u32,
        method: &str,
        branch: &str,
        to_tag: bool,
    ) -> String {
        let mut h = String::new();
        let (from_uri, from_tag, to_uri, to_tag_v) = if edge_originated {
            (
                self.edge_uri(),
                &self.edge_tag,
                self.remote_uri(),
                &self.remote_tag,
            )
        } else {
            (
                self.remote_uri(),
                &self.remote_tag,
                self.edge_uri(),
                &self.edge_tag,
            )
        };
        if edge_originated {
            let _ = write!(
                h,
                "Via: SIP/2.0/TLS 203.0.113.10:50123;branch={branch};ms-received-port=50123;ms-received-cid=1E00\r\n\
                 Via: SIP/2.0/TLS 10.0.1.20:51234;branch=z9hG4bK{}.1;ms-received-port=51234;ms-received-cid=2A00\r\n",
                self.p.seed
            );
        } else {
            let _ = write!(
                h,
                "Via: SIP/2.0/TLS {}:5061;branch={branch};ms-received-port=5061;ms-received-cid=3B00\r\n",
                self.pip()
            );
        }
        let _ = write!(
            h,
            "From: <{from_uri}>;tag={from_tag};epid={:08x}a1\r\n",
            self.p.seed ^ 0x5f1e_6c2b
        );
        if to_tag {
            let _ = write!(h, "To: <{to_uri}>;tag={to_tag_v}\r\n");
        } else {
            let _ = write!(h, "To: <{to_uri}>\r\n");
        }
        let _ = write!(h, "Call-ID: {}\r\nCSeq: {cseq} {method}\r\n", self.call_id);
        h
    }

    fn lync_tail(&self, edge_originated: bool) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "Record-Route: <sip:edge.contoso.com:5061;transport=tls;opaque=state:T:F:Ci.R1e00;lr;ms-key-info={};ms-route-sig=ea{}>;tag=C0A8E2D3\r\n",
            filler(self.p.seed ^ 7, 180),
            filler(self.p.seed ^ 9, 40)
        );
        let _ = write!(
            h,
            "Contact: <sip:alice@contoso.com;opaque=user:epid:{};gruu>\r\n",
            filler(self.p.seed ^ 11, 24)
        );
        h.push_str("User-Agent: UCCAPI/4.0.7577.0 OC/4.0.7577.0 (Microsoft Lync 2010)\r\n");
        let _ = write!(h, "Ms-Conversation-ID: {}\r\n", self.conv);
        h.push_str(
            "Supported: ms-dialog-route-set-update, timer, histinfo, gruu, ms-sender, ms-early-media\r\n",
        );
        if edge_originated {
            h.push_str("P-Asserted-Identity: <sip:alice@contoso.com>\r\n");
            h.push_str(
                "ms-edge-proxy-message-trust: ms-source-type=AuthorizedServer;ms-ep-fqdn=edge.contoso.com;ms-source-network=federation\r\n",
            );
        } else {
            h.push_str("ms-edge-proxy-message-trust: ms-source-type=EdgeProxyGenerated;ms-ep-fqdn=edge.contoso.com;ms-source-verified-user=verified;ms-source-network=publiccloud\r\n");
        }
        h.push_str("ms-keep-alive: UAS;tcp=no;hop-hop=yes;end-end=no;timeout=300\r\n");
        let _ = write!(h, "ms-trace-id: {}\r\n", filler(self.p.seed ^ 13, 32));
        h
    }

    fn request(
        &self,
        edge: bool,
        method: &str,
        cseq: u32,
        ctype: &str,
        body: &str,
        to_tag: bool,
    ) -> Step {
        let target = if edge {
            self.remote_uri()
        } else {
            self.edge_uri()
        };
        let branch = format!(
            "z9hG4bK{}{}{}",
            self.p.seed,
            method.to_ascii_lowercase(),
            cseq
        );
        let mut m = format!("{method} {target} SIP/2.0\r\n");
        m.push_str(&self.common(edge, cseq, method, &branch, to_tag));
        m.push_str("Max-Forwards: 69\r\n");
        m.push_str(&self.lync_tail(edge));
        match method {
            "SUBSCRIBE" => m.push_str(
                "Event: presence\r\nAccept: application/pidf+xml, text/xml+msrtc.pidf, application/msrtc-event-categories+xml\r\nExpires: 3600\r\n",
            ),
            "NOTIFY" | "BENOTIFY" => m.push_str("Event: presence\r\nSubscription-State: active;expires=3600\r\n"),
            _ => {}
        }
        if !body.is_empty() {
            let _ = write!(m, "Content-Type: {ctype}\r\n");
        }
        let _ = write!(m, "Content-Length: {}\r\n\r\n{body}", body.len());
        (edge, m.into_bytes())
    }

    fn response(
        &self,
        edge_originated: bool,
        code: u16,
        reason: &str,
        method: &str,
        cseq: u32,
        body: (&str, &str),
    ) -> Step {
        let branch = format!(
            "z9hG4bK{}{}{}",
            self.p.seed,
            method.to_ascii_lowercase(),
            cseq
        );
        let mut m = format!("SIP/2.0 {code} {reason}\r\n");
        m.push_str(&self.common(edge_originated, cseq, method, &branch, true));
        m.push_str(&self.lync_tail(!edge_originated));
        if !body.1.is_empty() {
            let _ = write!(m, "Content-Type: {}\r\n", body.0);
        }
        let _ = write!(m, "Content-Length: {}\r\n\r\n{}", body.1.len(), body.1);
        (!edge_originated, m.into_bytes())
    }
}

fn sdp(ip: &str) -> String {
    format!(
        "v=0\r\no=- 0 0 IN IP4 {ip}\r\ns=session\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=message 5060 sip null\r\na=accept-types:text/plain text/html text/rtf multipart/alternative\r\n"
    )
}

/// The standard federation exchange of one sample connection: 16 messages.
/// Edge -> provider: INVITE, ACK, MESSAGE, 200 (to MESSAGE), SUBSCRIBE,
/// 200 (to NOTIFY), MESSAGE, BYE; provider -> Edge: 200 (INVITE), 200
/// (MESSAGE), MESSAGE, 200 (SUBSCRIBE), NOTIFY, BENOTIFY, 200 (MESSAGE),
/// 200 (BYE). Counts: INVITE 1, ACK 1, MESSAGE 3, SUBSCRIBE 1, NOTIFY 1,
/// BENOTIFY 1, BYE 1, 200 x7.
pub fn federation_script(p: &Peer) -> Vec<Step> {
    let c = Ctx {
        p,
        call_id: format!(
            "{:08x}{}",
            p.seed.wrapping_mul(0x9e37_79b9),
            filler(p.seed, 12)
        ),
        conv: filler(p.seed ^ 3, 22),
        edge_tag: format!("{:06x}", p.seed.wrapping_mul(77) & 0xffffff),
        remote_tag: format!("{:06x}", p.seed.wrapping_mul(131) & 0xffffff),
    };
    let html = format!(
        "<html><body><span style=\"font-family:Segoe UI;font-size:10pt;color:#000000\">{}</span></body></html>",
        filler(p.seed ^ 21, 2000)
    );
    let pidf = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{}\"><tuple id=\"t1\"><status><basic>open</basic></status><note>Available</note></tuple></presence>",
        c.remote_uri()
    );
    let cats = format!(
        "<categories xmlns=\"http://schemas.microsoft.com/2006/09/sip/categories\" uri=\"{}\"><category name=\"state\" instance=\"0\" publishTime=\"2026-11-20T10:00:05Z\"><state xmlns=\"http://schemas.microsoft.com/2006/09/sip/state\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" manual=\"false\" xsi:type=\"aggregateState\"><availability>6500</availability><activity token=\"in-a-meeting\"/></state></category></categories>",
        c.remote_uri()
    );
    vec![
        c.request(
            true,
            "INVITE",
            1,
            "application/sdp",
            &sdp("203.0.113.10"),
            false,
        ),
        c.response(
            true,
            200,
            "OK",
            "INVITE",
            1,
            ("application/sdp", &sdp(&c.pip())),
        ),
        c.request(true, "ACK", 1, "", "", true),
        c.request(true, "MESSAGE", 2, "text/html; charset=UTF-8", &html, true),
        c.response(true, 200, "OK", "MESSAGE", 2, ("", "")),
        c.request(
            false,
            "MESSAGE",
            1,
            "text/plain; charset=UTF-8",
            "hello from the federated side",
            true,
        ),
        c.response(false, 200, "OK", "MESSAGE", 1, ("", "")),
        c.request(true, "SUBSCRIBE", 3, "", "", false),
        c.response(true, 200, "OK", "SUBSCRIBE", 3, ("", "")),
        c.request(false, "NOTIFY", 2, "application/pidf+xml", &pidf, true),
        c.response(false, 200, "OK", "NOTIFY", 2, ("", "")),
        c.request(
            false,
            "BENOTIFY",
            3,
            "application/msrtc-event-categories+xml",
            &cats,
            true,
        ),
        c.request(
            true,
            "MESSAGE",
            4,
            "text/plain; charset=UTF-8",
            "see you at 3",
            true,
        ),
        c.response(true, 200, "OK", "MESSAGE", 4, ("", "")),
        c.request(true, "BYE", 5, "", "", true),
        c.response(true, 200, "OK", "BYE", 5, ("", "")),
    ]
}

/// Counts a script's messages by method (requests) or status code string.
pub fn count(steps: &[Step]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for (_, msg) in steps {
        let line = msg.split(|&b| b == b'\r').next().unwrap_or(&[]);
        let line = String::from_utf8_lossy(line);
        let key = if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
            rest.split(' ').next().unwrap_or("").to_string()
        } else {
            line.split(' ').next().unwrap_or("").to_string()
        };
        *m.entry(key).or_insert(0) += 1;
    }
    m
}

/// The method or status of one message, for notes ("MESSAGE", "200").
pub fn label(msg: &[u8]) -> String {
    count(&[(true, msg.to_vec())])
        .into_keys()
        .next()
        .unwrap_or_default()
}
