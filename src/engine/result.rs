//! What one capture's run produces, before captures are merged into a report.

use std::collections::BTreeMap;

use serde::Serialize;

use super::spool::Spool;
use crate::analysis::{
    ImSession, PresenceSubscription, Severity, StandingNote, TransactionStats, TransportKind,
    Violation,
};
use crate::time::Timestamp;
use crate::tls::TlsStatus;

/// Per-capture summary (output-contract `captures`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CaptureSummary {
    /// Path as given.
    pub path: String,
    /// Frames read.
    pub frames: u64,
    /// Bytes of captured frame data.
    pub bytes: u64,
    /// First frame time.
    pub start: Option<Timestamp>,
    /// Last frame time.
    pub end: Option<Timestamp>,
    /// What could not be read, with file, frame and byte offset.
    pub errors: Vec<String>,
    /// True when the file could not be read to its end (exit status 1).
    pub unreadable: bool,
    /// Frames that were not IP, or not TCP/UDP.
    pub frames_ignored: u64,
    /// Frames whose headers were corrupt (first ones listed in `errors`).
    pub decode_errors: u64,
    /// TCP connections seen.
    pub tcp_flows: u64,
    /// UDP SIP flows seen.
    pub udp_flows: u64,
    /// Decryption Secrets Blocks found.
    pub secrets_blocks: u64,
    /// TCP bytes lost in capture gaps.
    pub gap_bytes: u64,
    /// Retransmitted TCP bytes discarded.
    pub retransmitted_bytes: u64,
    /// Out-of-order bytes dropped at the buffering caps.
    pub ooo_bytes_dropped: u64,
    /// SIP keep-alives (CRLF / CRLFCRLF) skipped.
    pub keepalives: u64,
    /// Bytes skipped while resynchronising SIP framing after garbage or loss.
    pub sip_garbage_bytes: u64,
}

/// One flow of the report (output-contract `flows`).
#[derive(Clone, Debug, Serialize)]
pub struct FlowRecord {
    /// Flow number within its capture (1-based, in order of first frame).
    pub id: u64,
    /// Capture path.
    pub capture: String,
    /// Client end `ip:port`.
    pub client: String,
    /// Server end `ip:port`.
    pub server: String,
    /// Transport.
    pub transport: TransportKind,
    /// Provider by address range, else by SIP domain.
    pub provider: Option<String>,
    /// TLS status, for TLS flows.
    pub tls: Option<TlsStatus>,
    /// SIP messages framed and parsed (unparsed ones included).
    pub sip_messages: u64,
    /// Gaps in the TCP stream (both directions).
    pub gaps: u64,
    /// Bytes missing in those gaps.
    pub gap_bytes: u64,
    /// Payload bytes client → server.
    pub bytes_to_server: u64,
    /// Payload bytes server → client.
    pub bytes_to_client: u64,
    /// First frame number.
    pub first_frame: u64,
    /// First frame time.
    pub start: Timestamp,
    /// Last frame time.
    pub end: Timestamp,
    /// How the flow ended ("fin", "rst", "idle", "end-of-capture").
    pub closed: String,
    /// Anything odd: "not SIP", bytes skipped, partial message at end.
    pub notes: Vec<String>,
}

/// SIP message counts (output-contract `sip`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SipCounts {
    /// Messages framed (parsed + unparsed).
    pub messages: u64,
    /// Requests by method.
    pub requests: BTreeMap<String, u64>,
    /// Responses by status code.
    pub responses: BTreeMap<String, u64>,
    /// Messages no parser could read.
    pub unparsed: u64,
    /// Read by the tolerant parser after rsip refused them.
    pub tolerant: u64,
    /// Why messages were unparsed: (capture, frame, reason), first ones.
    pub unparsed_details: Vec<String>,
}

impl SipCounts {
    /// Adds another capture's counts.
    pub fn add(&mut self, other: &SipCounts) {
        self.messages += other.messages;
        self.unparsed += other.unparsed;
        self.tolerant += other.tolerant;
        for (k, v) in &other.requests {
            *self.requests.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.responses {
            *self.responses.entry(k.clone()).or_default() += v;
        }
        let room = MAX_DETAILS.saturating_sub(self.unparsed_details.len());
        self.unparsed_details
            .extend(other.unparsed_details.iter().take(room).cloned());
    }
}

/// How many unparsed-message details are kept per report.
pub const MAX_DETAILS: usize = 100;

/// One SIP message as an NDJSON event (kept only for `--format ndjson`).
#[derive(Clone, Debug, Serialize)]
pub struct SipEventRecord {
    /// Time of the last byte.
    pub time: Timestamp,
    /// Capture path.
    pub capture: String,
    /// Flow id.
    pub flow: u64,
    /// First and last frame.
    pub frames: [u64; 2],
    /// Sender `ip:port`.
    pub src: String,
    /// Receiver `ip:port`.
    pub dst: String,
    /// Method for requests.
    pub method: Option<String>,
    /// Status for responses.
    pub status: Option<u16>,
    /// Call-ID.
    pub call_id: Option<String>,
    /// From address.
    pub from: Option<String>,
    /// To address.
    pub to: Option<String>,
    /// CSeq.
    pub cseq: Option<String>,
    /// Body media type.
    pub content_type: Option<String>,
    /// Body length.
    pub body_length: usize,
}

/// Time spent per stage, for `--stats` (summed over threads when sharded).
#[derive(Clone, Debug, Default, Serialize)]
pub struct StageStats {
    /// Reading frames from the file (includes decompression).
    pub read_ns: u64,
    /// Link/IP/TCP decoding.
    pub decode_ns: u64,
    /// TCP reassembly (stream time less TLS and SIP).
    pub reassembly_ns: u64,
    /// TLS record processing and decryption.
    pub tls_ns: u64,
    /// SIP framing and parsing.
    pub sip_ns: u64,
    /// Analysis (dialogs, sessions, presence, rules).
    pub analysis_ns: u64,
    /// Wall time of the capture.
    pub wall_ns: u64,
    /// SIP messages of the capture (for the messages/s figure).
    pub sip_messages: u64,
    /// Threads the capture ran on (0 or 1: one).
    pub threads: u64,
    /// Sharded: time the reading thread was blocked on a full worker queue.
    pub reader_waiting_ns: u64,
    /// Sharded: time the workers, together, waited for the reading thread.
    pub worker_idle_ns: u64,
    /// Sharded: time the workers spent reading the capture ahead (part of `read_ns`).
    pub read_ahead_ns: u64,
    /// Sharded: read chunks of the capture in all.
    pub chunks: u64,
    /// Sharded: of `chunks`, those a worker read ahead.
    pub chunks_read_ahead: u64,
}

impl StageStats {
    /// Adds another thread's times (wall time is not added).
    pub fn add(&mut self, o: &StageStats) {
        self.read_ns += o.read_ns;
        self.decode_ns += o.decode_ns;
        self.reassembly_ns += o.reassembly_ns;
        self.tls_ns += o.tls_ns;
        self.sip_ns += o.sip_ns;
        self.analysis_ns += o.analysis_ns;
        self.reader_waiting_ns += o.reader_waiting_ns;
        self.worker_idle_ns += o.worker_idle_ns;
        self.read_ahead_ns += o.read_ahead_ns;
        self.chunks += o.chunks;
        self.chunks_read_ahead += o.chunks_read_ahead;
    }
}

/// One row of the per-provider summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProviderSummary {
    /// Provider name, or "(none)" for flows not attributed.
    pub provider: String,
    /// Flows.
    pub flows: u64,
    /// TLS flows.
    pub tls_flows: u64,
    /// TLS flows decrypted.
    pub decrypted: u64,
    /// SIP messages.
    pub sip_messages: u64,
    /// IM sessions.
    pub im_sessions: u64,
    /// IM messages both ways.
    pub messages: u64,
    /// Presence subscriptions.
    pub presence_subscriptions: u64,
    /// Findings by severity.
    pub findings: BTreeMap<String, u64>,
}

/// Per-provider counts, kept up to date as records are produced (so the
/// summary needs no second pass over records that are no longer in memory).
#[derive(Clone, Debug, Default)]
pub struct ProviderTally {
    by: BTreeMap<String, ProviderSummary>,
    /// The most severe finding seen.
    pub max_severity: Option<Severity>,
    /// SIP messages over the tallied flows.
    pub sip_messages: u64,
}

impl ProviderTally {
    /// The row of a provider ("(none)" when not attributed).
    fn row(&mut self, p: &Option<String>) -> &mut ProviderSummary {
        let name = p.as_deref().unwrap_or("(none)");
        if !self.by.contains_key(name) {
            self.by.insert(
                name.to_string(),
                ProviderSummary {
                    provider: name.to_string(),
                    ..ProviderSummary::default()
                },
            );
        }
        self.by.entry(name.to_string()).or_default()
    }

    /// Counts a finished flow.
    pub fn flow(&mut self, f: &FlowRecord) {
        self.sip_messages += f.sip_messages;
        let e = self.row(&f.provider);
        e.flows += 1;
        e.sip_messages += f.sip_messages;
        if let Some(t) = &f.tls {
            e.tls_flows += 1;
            e.decrypted += t.decrypted as u64;
        }
    }

    /// Counts an IM session.
    pub fn im(&mut self, s: &ImSession) {
        let e = self.row(&s.provider);
        e.im_sessions += 1;
        e.messages += s.messages_in + s.messages_out;
    }

    /// Counts a presence subscription.
    pub fn presence(&mut self, p: &PresenceSubscription) {
        self.row(&p.provider).presence_subscriptions += 1;
    }

    /// Counts a finding.
    pub fn violation(&mut self, v: &Violation) {
        self.max_severity = self.max_severity.max(Some(v.severity));
        *self
            .row(&v.provider)
            .findings
            .entry(v.severity.as_str().to_string())
            .or_default() += 1;
    }

    /// Adds another capture's counts.
    pub fn merge(&mut self, o: ProviderTally) {
        self.max_severity = self.max_severity.max(o.max_severity);
        self.sip_messages += o.sip_messages;
        for (name, r) in o.by {
            let e = self.row(&Some(name));
            e.flows += r.flows;
            e.tls_flows += r.tls_flows;
            e.decrypted += r.decrypted;
            e.sip_messages += r.sip_messages;
            e.im_sessions += r.im_sessions;
            e.messages += r.messages;
            e.presence_subscriptions += r.presence_subscriptions;
            for (sev, n) in r.findings {
                *e.findings.entry(sev).or_default() += n;
            }
        }
    }

    /// The rows, providers by name, "(none)" last.
    pub fn rows(&self) -> Vec<ProviderSummary> {
        let mut rows: Vec<ProviderSummary> = self.by.values().cloned().collect();
        rows.sort_by_key(|r| (r.provider == "(none)", r.provider.clone()));
        rows
    }
}

/// Everything one capture produced. Record lists are spooled (see `spool`).
#[derive(Debug, Default)]
pub struct CaptureResult {
    /// Summary.
    pub summary: CaptureSummary,
    /// Flows in order of first frame.
    pub flows: Spool<FlowRecord>,
    /// SIP counts.
    pub sip: SipCounts,
    /// IM sessions by start.
    pub im_sessions: Spool<ImSession>,
    /// Presence subscriptions by start.
    pub presence: Spool<PresenceSubscription>,
    /// Findings by time.
    pub violations: Spool<Violation>,
    /// Standing notes.
    pub notes: Vec<StandingNote>,
    /// Transaction counters.
    pub transactions: TransactionStats,
    /// Per-message events (only when asked for), by time.
    pub sip_events: Spool<SipEventRecord>,
    /// Per-provider counts.
    pub tally: ProviderTally,
    /// Stage timings.
    pub stats: StageStats,
}
