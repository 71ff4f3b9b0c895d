//! The application layer above reassembly: per flow, decide TLS or plain SIP,
//! decrypt, frame and parse SIP, count, and emit analysis events. One `App`
//! serves a whole capture, or one shard of it.
//!
//! Flows are identified inside the engine by the number of their first frame
//! (unique, and the same however the capture is sharded); the report
//! renumbers them 1, 2, 3 … in order of first frame.

use crate::hash::FastHashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::analysis::{FlowContext, TransportKind};
use crate::providers::ProviderTable;
use crate::reassembly::{CloseReason, Direction, FlowId, FlowInfo, SegmentMeta, StreamSink};
use crate::sip::{
    Method, ParsedBy, RawMessage, SipFramer, SipMessage, looks_like_sip, parse_framed,
};
use crate::time::Timestamp;
use crate::tls::{KeySource, KeyStore, TlsFlow, looks_like_tls};

use super::KeyMaterial;
use super::events::{AnalysisEvent, Emitter};
use super::result::{FlowRecord, MAX_DETAILS, SipCounts, SipEventRecord, StageStats};
use super::{EventHook, LiveEvent};

/// How a TCP flow's bytes are read.
enum Mode {
    /// No payload seen yet.
    Unknown,
    /// TLS records.
    Tls(Box<TlsFlow>),
    /// Plain SIP (or something the SIP framer will skip as garbage).
    Plain,
}

/// Per-flow counters a message updates.
#[derive(Default)]
struct FlowCounters {
    sip_messages: u64,
    domain_provider: Option<String>,
}

/// One flow's state while it is live.
struct FlowState {
    ctx: Arc<FlowContext>,
    mode: Mode,
    framers: [SipFramer; 2],
    counters: FlowCounters,
    gaps: u64,
    gap_bytes: u64,
    bytes: [u64; 2],
    first_frame: u64,
    start: Timestamp,
    end: Timestamp,
    notes: Vec<String>,
}

impl FlowState {
    fn new(ctx: FlowContext, first: SegmentMeta) -> Self {
        FlowState {
            ctx: Arc::new(ctx),
            mode: Mode::Unknown,
            framers: [SipFramer::new(), SipFramer::new()],
            counters: FlowCounters::default(),
            gaps: 0,
            gap_bytes: 0,
            bytes: [0, 0],
            first_frame: first.frame,
            start: first.ts,
            end: first.ts,
            notes: Vec::new(),
        }
    }
}

/// Key store in use: the shared one, or a capture's own once it carried secrets.
pub(crate) enum Keys<'a> {
    /// From the command line only.
    Shared(&'a KeyStore),
    /// Command line plus secrets found in the capture (DSB) or a followed key log.
    Own(Box<KeyStore>),
}

impl Keys<'_> {
    fn get(&self) -> &KeyStore {
        match self {
            Keys::Shared(k) => k,
            Keys::Own(k) => k,
        }
    }
}

/// Counts, NDJSON records and analysis events: everything a framed SIP message updates.
pub(crate) struct MessageSink<'a> {
    pub providers: &'a ProviderTable,
    pub sip: SipCounts,
    /// Emit one record per message (NDJSON).
    pub keep_records: bool,
    pub capture: Arc<str>,
    pub hook: Option<EventHook>,
    pub emitter: Emitter,
}

impl MessageSink<'_> {
    /// Parses, counts and emits one framed message.
    fn message(
        &mut self,
        ctx: &Arc<FlowContext>,
        dir: Direction,
        raw: RawMessage<'_>,
        fc: &mut FlowCounters,
    ) {
        fc.sip_messages += 1;
        self.sip.messages += 1;
        let (src, dst) = endpoints(ctx, dir);
        match parse_framed(&raw) {
            Ok(msg) => {
                self.count(&msg);
                if matches!(msg.method(), Some(Method::Notify | Method::Benotify)) {
                    // Read on this (parsing) thread, not the analysis one.
                    let _ = msg.presence();
                }
                if fc.domain_provider.is_none() {
                    fc.domain_provider = domain_provider(self.providers, &msg);
                }
                if self.keep_records || self.hook.is_some() {
                    let rec = event_record(ctx, src, dst, &raw, &msg);
                    if let Some(h) = &self.hook {
                        h(LiveEvent::Sip(&rec));
                    }
                    if self.keep_records {
                        self.emitter
                            .emit(ctx.id.0, AnalysisEvent::SipRecord(Box::new(rec)));
                    }
                }
                let ev = AnalysisEvent::Sip {
                    flow: ctx.clone(),
                    dir,
                    src,
                    dst,
                    first: raw.first,
                    last: raw.last,
                    msg,
                };
                self.emitter.emit(ctx.id.0, ev);
            }
            Err(e) => {
                self.sip.unparsed += 1;
                if self.sip.unparsed_details.len() < MAX_DETAILS {
                    self.sip.unparsed_details.push(format!(
                        "{}: frame {}: {} bytes from {src}: {e}",
                        self.capture,
                        raw.first.frame,
                        raw.bytes.len()
                    ));
                }
            }
        }
    }

    fn count(&mut self, msg: &SipMessage) {
        if msg.parsed_by == ParsedBy::Tolerant {
            self.sip.tolerant += 1;
        }
        match (msg.method(), msg.status()) {
            (Some(m), _) => bump(&mut self.sip.requests, m.as_str()),
            (None, Some(code)) => {
                let mut buf = [0u8; 5];
                bump(&mut self.sip.responses, decimal(code, &mut buf));
            }
            (None, None) => {}
        }
    }
}

/// Adds one to `key`'s counter, allocating the key only the first time.
fn bump(counts: &mut std::collections::BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}

/// `n` in decimal, written into `buf`.
fn decimal(mut n: u16, buf: &mut [u8; 5]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("")
}

/// The provider named by the domain of any party of a message (From, To, P-Asserted-Identity).
fn domain_provider(providers: &ProviderTable, msg: &SipMessage) -> Option<String> {
    [msg.from(), msg.to(), msg.p_asserted_identity()]
        .into_iter()
        .flatten()
        .find_map(|a| {
            crate::analysis::provider_by_domain(providers, &a.host()).map(|(p, _)| p.name.clone())
        })
}

fn endpoints(ctx: &FlowContext, dir: Direction) -> (SocketAddr, SocketAddr) {
    match dir {
        Direction::ToServer => (ctx.client, ctx.server),
        Direction::ToClient => (ctx.server, ctx.client),
    }
}

fn event_record(
    ctx: &FlowContext,
    src: SocketAddr,
    dst: SocketAddr,
    raw: &RawMessage<'_>,
    msg: &SipMessage,
) -> SipEventRecord {
    SipEventRecord {
        time: raw.last.ts,
        capture: ctx.capture.to_string(),
        flow: ctx.id.0,
        frames: [raw.first.frame, raw.last.frame],
        src: src.to_string(),
        dst: dst.to_string(),
        method: msg.method().map(|m| m.as_str().to_string()),
        status: msg.status(),
        call_id: msg.call_id().map(str::to_string),
        from: msg.from().map(|a| a.address().into_owned()),
        to: msg.to().map(|a| a.address().into_owned()),
        cseq: msg
            .cseq
            .as_ref()
            .map(|(n, m)| format!("{n} {}", m.as_str())),
        content_type: msg.content_type.as_deref().map(str::to_string),
        body_length: msg.body.len(),
    }
}

/// True when the first bytes look like a TLS record of any content type
/// (a capture that starts mid-connection sees application data first).
fn looks_like_tls_midstream(data: &[u8]) -> bool {
    looks_like_tls(data) || matches!(data, [20..=23, 0x03, 0x01..=0x04, ..])
}

/// The stream sink the reassembler delivers to, plus UDP flows.
pub(crate) struct App<'a> {
    pub capture: Arc<str>,
    pub keys: Keys<'a>,
    pub providers: &'a ProviderTable,
    pub msgs: MessageSink<'a>,
    flows: FastHashMap<FlowId, FlowState>,
    udp: FastHashMap<(SocketAddr, SocketAddr), FlowState>,
    pub tcp_flows: u64,
    pub udp_flows: u64,
    pub gap_bytes: u64,
    pub keepalives: u64,
    pub garbage_bytes: u64,
    /// TLS and SIP time, when `--stats` asked for it.
    pub timing: Option<StageStats>,
}

impl<'a> App<'a> {
    /// A new application layer for one capture (or shard).
    pub fn new(
        capture: Arc<str>,
        keys: &'a KeyStore,
        providers: &'a ProviderTable,
        keep_records: bool,
        hook: Option<EventHook>,
    ) -> Self {
        let msgs = MessageSink {
            providers,
            sip: SipCounts::default(),
            keep_records,
            capture: capture.clone(),
            hook,
            emitter: Emitter::default(),
        };
        App {
            capture,
            keys: Keys::Shared(keys),
            providers,
            msgs,
            flows: FastHashMap::default(),
            udp: FastHashMap::default(),
            tcp_flows: 0,
            udp_flows: 0,
            gap_bytes: 0,
            keepalives: 0,
            garbage_bytes: 0,
            timing: None,
        }
    }

    /// The event emitter (the driver sets the processing frame and drains events).
    pub fn emitter(&mut self) -> &mut Emitter {
        &mut self.msgs.emitter
    }

    fn new_ctx(
        &self,
        client: SocketAddr,
        server: SocketAddr,
        first: u64,
        transport: TransportKind,
    ) -> FlowContext {
        FlowContext {
            capture: self.capture.clone(),
            id: FlowId(first),
            transport,
            client,
            server,
        }
    }

    /// Adds secrets found in the capture (DSB) or in a followed key log (live).
    pub fn add_secrets(&mut self, text: &[u8], source: KeySource, base: &KeyMaterial) {
        if let Keys::Shared(_) = self.keys {
            self.keys = Keys::Own(Box::new(base.fork()));
        }
        if let Keys::Own(k) = &mut self.keys {
            let origin = if source == KeySource::Dsb {
                "pcapng DSB"
            } else {
                "followed key log"
            };
            k.add_keylog_text(text, source, origin);
        }
    }

    /// One UDP datagram: SIP if it looks like SIP or uses a SIP port.
    pub fn udp(&mut self, src: SocketAddr, dst: SocketAddr, payload: &[u8], meta: SegmentMeta) {
        let sip_port = |p: u16| p == 5060 || p == 5061;
        let key = if self.udp.contains_key(&(dst, src)) {
            (dst, src)
        } else {
            (src, dst)
        };
        let known = self.udp.contains_key(&key);
        if !(known || looks_like_sip(payload) || sip_port(src.port()) || sip_port(dst.port())) {
            return;
        }
        if payload.iter().all(|b| matches!(b, b'\r' | b'\n' | 0)) {
            self.keepalives += 1;
            return;
        }
        if !known {
            let ctx = self.new_ctx(key.0, key.1, meta.frame, TransportKind::Udp);
            let st = FlowState::new(ctx, meta);
            self.msgs
                .emitter
                .emit(meta.frame, AnalysisEvent::FlowOpened(st.ctx.clone()));
            self.udp.insert(key, st);
            self.udp_flows += 1;
        }
        let Some(st) = self.udp.get_mut(&key) else {
            return;
        };
        let dir = if src == key.0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        st.bytes[dir.index()] += payload.len() as u64;
        st.end = meta.ts;
        // A datagram carries one message (RFC 3261 18.3); no Content-Length needed.
        let raw = RawMessage {
            bytes: payload,
            first: meta,
            last: meta,
            head: None,
        };
        self.msgs.message(&st.ctx, dir, raw, &mut st.counters);
    }

    /// End of capture: UDP flows end and become records.
    pub fn finish_udp(&mut self, last: SegmentMeta) {
        let mut udp: Vec<FlowState> = self.udp.drain().map(|(_, v)| v).collect();
        udp.sort_by_key(|f| f.ctx.id);
        for st in udp {
            let meta = SegmentMeta {
                frame: last.frame,
                ts: st.end,
            };
            let ev = AnalysisEvent::FlowClosed(st.ctx.clone(), CloseReason::EndOfCapture, meta);
            self.msgs.emitter.emit(st.ctx.id.0, ev);
            let id = st.ctx.id.0;
            let rec = self.record(st, None, CloseReason::EndOfCapture);
            self.msgs
                .emitter
                .emit(id, AnalysisEvent::FlowRecord(Box::new(rec)));
        }
    }

    fn record(
        &self,
        st: FlowState,
        tls: Option<crate::tls::TlsStatus>,
        reason: CloseReason,
    ) -> FlowRecord {
        let by_addr = self
            .providers
            .by_addr(st.ctx.server.ip())
            .or_else(|| self.providers.by_addr(st.ctx.client.ip()))
            .map(|p| p.name.clone());
        FlowRecord {
            id: st.ctx.id.0,
            capture: self.capture.to_string(),
            client: st.ctx.client.to_string(),
            server: st.ctx.server.to_string(),
            transport: st.ctx.transport,
            provider: by_addr.or(st.counters.domain_provider),
            tls,
            sip_messages: st.counters.sip_messages,
            gaps: st.gaps,
            gap_bytes: st.gap_bytes,
            bytes_to_server: st.bytes[0],
            bytes_to_client: st.bytes[1],
            first_frame: st.first_frame,
            start: st.start,
            end: st.end,
            closed: match reason {
                CloseReason::Fin => "fin",
                CloseReason::Rst => "rst",
                CloseReason::Idle => "idle",
                CloseReason::EndOfCapture => "end-of-capture",
                CloseReason::Reused => "port-reuse",
            }
            .to_string(),
            notes: st.notes,
        }
    }
}

impl StreamSink for App<'_> {
    fn flow_opened(&mut self, info: &FlowInfo) {
        let ctx = self.new_ctx(
            info.client,
            info.server,
            info.first.frame,
            TransportKind::Tcp,
        );
        let st = FlowState::new(ctx, info.first);
        self.msgs
            .emitter
            .emit(info.first.frame, AnalysisEvent::FlowOpened(st.ctx.clone()));
        self.flows.insert(info.id, st);
        self.tcp_flows += 1;
    }

    fn data(&mut self, flow: FlowId, dir: Direction, data: &[u8], meta: SegmentMeta) {
        let Some(st) = self.flows.get_mut(&flow) else {
            return;
        };
        st.bytes[dir.index()] += data.len() as u64;
        st.end = meta.ts;
        if let Mode::Unknown = st.mode {
            if looks_like_tls_midstream(data) {
                st.mode = Mode::Tls(Box::new(TlsFlow::new()));
                let mut ctx = (*st.ctx).clone();
                ctx.transport = TransportKind::Tls;
                st.ctx = Arc::new(ctx);
            } else {
                st.mode = Mode::Plain;
            }
        }
        let FlowState {
            ctx,
            mode,
            framers,
            counters,
            ..
        } = st;
        let msgs = &mut self.msgs;
        // --stats: time in TLS (records, decryption) and in SIP (framing, parsing) apart.
        let clock = self.timing.is_some().then(std::time::Instant::now);
        let mut sip_ns = 0u64;
        let is_tls = matches!(mode, Mode::Tls(_));
        match mode {
            Mode::Tls(tls) => {
                let keys = self.keys.get();
                tls.feed(dir, data, meta, keys, &mut |d, plain, m| {
                    let framer = &mut framers[d.index()];
                    if plain.is_empty() {
                        // Discontinuity in the decrypted stream: resynchronise SIP framing.
                        framer.gap();
                        return;
                    }
                    let t = clock.map(|_| std::time::Instant::now());
                    framer.push(plain, m, &mut |raw| msgs.message(ctx, d, raw, counters));
                    if let Some(t) = t {
                        sip_ns += t.elapsed().as_nanos() as u64;
                    }
                });
            }
            Mode::Plain | Mode::Unknown => {
                framers[dir.index()]
                    .push(data, meta, &mut |raw| msgs.message(ctx, dir, raw, counters));
            }
        }
        if let (Some(t0), Some(tm)) = (clock, self.timing.as_mut()) {
            let total = t0.elapsed().as_nanos() as u64;
            if is_tls {
                tm.tls_ns += total.saturating_sub(sip_ns);
                tm.sip_ns += sip_ns;
            } else {
                tm.sip_ns += total;
            }
        }
    }

    fn gap(&mut self, flow: FlowId, dir: Direction, len: u64, meta: SegmentMeta) {
        let Some(st) = self.flows.get_mut(&flow) else {
            return;
        };
        st.gaps += 1;
        st.gap_bytes += len;
        self.gap_bytes += len;
        st.end = meta.ts;
        match &mut st.mode {
            Mode::Tls(tls) => tls.gap(dir, len),
            _ => st.framers[dir.index()].gap(),
        }
    }

    fn flow_closed(&mut self, flow: FlowId, reason: CloseReason, meta: SegmentMeta) {
        let Some(mut st) = self.flows.remove(&flow) else {
            return;
        };
        let id = st.ctx.id.0;
        let tls = match &mut st.mode {
            Mode::Tls(t) => {
                t.finish();
                let status = t.status().clone();
                let ev = AnalysisEvent::Tls(st.ctx.clone(), Box::new(status.clone()), meta);
                self.msgs.emitter.emit(id, ev);
                Some(status)
            }
            _ => None,
        };
        for (i, f) in st.framers.iter().enumerate() {
            let s = f.stats();
            self.keepalives += s.keepalives;
            self.garbage_bytes += s.garbage_bytes;
            let side = if i == 0 {
                "client→server"
            } else {
                "server→client"
            };
            if s.garbage_bytes > 0 {
                st.notes.push(format!(
                    "{side}: {} bytes were not SIP and were skipped",
                    s.garbage_bytes
                ));
            }
            if f.pending() > 0 {
                st.notes.push(format!(
                    "{side}: {} bytes of an incomplete SIP message at close",
                    f.pending()
                ));
            }
        }
        let payload = st.bytes.iter().sum::<u64>() > 0;
        if st.counters.sip_messages == 0 && payload && tls.as_ref().is_none_or(|t| t.decrypted) {
            st.notes.push("no SIP found in this connection".into());
        }
        self.msgs
            .emitter
            .emit(id, AnalysisEvent::FlowClosed(st.ctx.clone(), reason, meta));
        let rec = self.record(st, tls, reason);
        if let Some(h) = &self.msgs.hook {
            h(LiveEvent::FlowClosed(&rec));
        }
        self.msgs
            .emitter
            .emit(id, AnalysisEvent::FlowRecord(Box::new(rec)));
    }
}
