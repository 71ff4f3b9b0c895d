//! Realistic Lync federation messages (lync-sip.md) shared by the SIP unit tests.

/// Builds a message from a start line + headers (CRLF-separated, no trailing blank line) and a body.
pub fn build(head: &str, body: &str) -> Vec<u8> {
    let mut m = head.replace('\n', "\r\n").into_bytes();
    m.extend_from_slice(format!("\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
    m.extend_from_slice(body.as_bytes());
    m
}

/// A MESSAGE inside an IM dialog (Edge -> MSN), as in lync-sip.md.
pub fn message() -> Vec<u8> {
    build(
        "MESSAGE sip:bob@hotmail.com SIP/2.0
Via: SIP/2.0/TLS 203.0.113.10:50123;branch=z9hG4bK5a1;ms-received-port=50123;ms-received-cid=1E00
Via: SIP/2.0/TLS 10.0.0.5:5061;branch=z9hG4bK77e2.ac3;ms-internal-info=\"cg2aK8Y\";received=10.0.0.5;ms-received-port=5061;ms-received-cid=2A00
Max-Forwards: 69
From: <sip:alice@contoso.com>;tag=8d2f0c;epid=5f1e6c2b9a
To: <sip:bob@hotmail.com>;tag=1a7e93
Call-ID: 0c1f7d3b6e0a4f7b8b1d
CSeq: 3 MESSAGE
Record-Route: <sip:edge.contoso.com:5061;transport=tls;ms-fe=fe01.contoso.com;opaque=state:T;lr>;ms-key-info=AAEAAQ;ms-route-sig=aaXyZ
Contact: <sip:alice@contoso.com;opaque=user:epid:zVqR1J2mY1y5Hn0PZ2tK0gAA;gruu>
User-Agent: UCCAPI/4.0.7577.0 OC/4.0.7577.0 (Microsoft Lync 2010)
Supported: ms-dialog-route-set-update, timer, histinfo, gruu, ms-sender
Ms-Conversation-ID: AcqEGK3mFJX0p0Z6Q1eJ2w
P-Asserted-Identity: \"Alice Example\" <sip:alice@contoso.com>
ms-edge-proxy-message-trust: ms-source-type=AuthorizedServer;ms-ep-fqdn=edge.contoso.com;ms-source-network=federation
Content-Type: text/plain; charset=UTF-8",
        "hello",
    )
}

/// A BENOTIFY carrying msrtc categories (rsip refuses the method).
pub fn benotify() -> Vec<u8> {
    build(
        "BENOTIFY sip:bob@hotmail.com;opaque=user:epid:abc;gruu SIP/2.0
Via: SIP/2.0/TLS 203.0.113.10:50123;branch=z9hG4bKbe1;ms-received-port=50123;ms-received-cid=1E00
Max-Forwards: 70
From: <sip:alice@contoso.com>;tag=a1b2c3
To: <sip:bob@hotmail.com>;tag=d4e5;epid=77aa
Call-ID: 9f8e7d6c5b4a
CSeq: 12 BENOTIFY
Event: presence
Subscription-State: active;expires=3600
Content-Type: application/msrtc-event-categories+xml",
        r#"<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:alice@contoso.com"><category name="state" instance="1"><state xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="aggregateState"><availability>6500</availability><activity token="on-the-phone"/></state></category></categories>"#,
    )
}

/// A SERVICE request (rsip refuses the method).
pub fn service() -> Vec<u8> {
    build(
        "SERVICE sip:alice@contoso.com SIP/2.0
Via: SIP/2.0/TLS 198.51.100.7:5061;branch=z9hG4bKsv1
From: <sip:bob@hotmail.com>;tag=111
To: <sip:alice@contoso.com>
Call-ID: svc-1
CSeq: 1 SERVICE
Content-Type: application/SOAP+xml",
        "<SOAP-ENV:Envelope/>",
    )
}

/// A 480 with ms-diagnostics.
pub fn response_480() -> Vec<u8> {
    build(
        "SIP/2.0 480 Temporarily Unavailable
ms-user-logon-data: RemoteUser
Via: SIP/2.0/TLS 203.0.113.10:50123;branch=z9hG4bK99;ms-received-port=50123;ms-received-cid=1E00
From: \"Alice\" <sip:alice@contoso.com>;tag=8d2f0c;epid=5f1e6c2b9a
To: <sip:bob@hotmail.com>;tag=fed1
Call-ID: inv-480
CSeq: 1 INVITE
ms-diagnostics: 1034;reason=\"Previous hop federated peer did not report diagnostic information\";Domain=\"hotmail.com\";PeerServer=\"sip.hotmail.com\";source=\"edge.contoso.com\"",
        "",
    )
}

/// An INVITE with an IM SDP offer, using compact headers.
pub fn invite_compact() -> Vec<u8> {
    build(
        "INVITE sip:bob@hotmail.com SIP/2.0
v: SIP/2.0/TLS 203.0.113.10:50123;branch=z9hG4bKinv
f: \"Alice\" <sip:alice@contoso.com>;tag=77;epid=e1
t: <sip:bob@hotmail.com>
i: inv-compact-1
CSeq: 1 INVITE
m: <sip:alice@contoso.com;opaque=user:epid:zz;gruu>
k: ms-dialog-route-set-update
Subject: folded
 subject line
c: application/sdp",
        "v=0\r\no=- 0 0 IN IP4 203.0.113.10\r\ns=session\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\nm=message 5060 sip null\r\na=accept-types:text/plain multipart/alternative\r\n",
    )
}
