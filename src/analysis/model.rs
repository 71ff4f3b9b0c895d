//! What the analysis finds: the records of output-contract.md.

use serde::{Serialize, Serializer};

use crate::time::Timestamp;

/// Finding severity (restrictions.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The user will see degraded behaviour.
    Info,
    /// Likely breakage or a security concern.
    Warning,
    /// The traffic breaks a documented restriction.
    Error,
}

impl Severity {
    /// Parses `info`, `warning` or `error`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One IM session (INVITE dialog with `m=message`, or a page-mode MESSAGE exchange).
/// Serialized by hand (`json`: a member added here must be added there too).
#[derive(Clone, Debug, Default)]
pub struct ImSession {
    /// Call-ID.
    pub call_id: String,
    /// Ms-Conversation-ID, if any.
    pub conversation_id: Option<String>,
    /// Enterprise party (EASI decoded).
    pub local: String,
    /// Provider-side party (EASI decoded).
    pub remote: String,
    /// Provider name, if attributed.
    pub provider: Option<String>,
    /// First INVITE / MESSAGE time.
    pub start: Option<Timestamp>,
    /// BYE / final failure / last message time.
    pub end: Option<Timestamp>,
    /// MESSAGEs enterprise → provider.
    pub messages_out: u64,
    /// MESSAGEs provider → enterprise.
    pub messages_in: u64,
    /// "completed" (BYE), "rejected NNN" (4xx/6xx), "failed NNN" (3xx/408/5xx),
    /// "cancelled", "open" (capture ended), "page-mode" (MESSAGEs outside a
    /// dialog), "connection closed" (FIN/RST/idle with the dialog open).
    pub outcome: String,
    /// Typing notifications (INFO / MESSAGE im-iscomposing), counted apart.
    pub typing: u64,
    /// Capture path.
    pub capture: String,
    /// Flow id within the capture.
    pub flow: u64,
    /// Message bodies: (direction "out"/"in", content type, length, text only with --show-content).
    pub bodies: Vec<ImBody>,
}

impl Serialize for ImSession {
    /// The JSON serde's derive would make of the members, written by `json`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        super::json::im_session(self).serialize(s)
    }
}

/// One IM message body as reported (inside an [`ImSession`], written by `json`;
/// the derive is the reference its tests compare with).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImBody {
    /// "out" (enterprise → provider) or "in".
    pub direction: &'static str,
    /// Media type.
    pub content_type: std::borrow::Cow<'static, str>,
    /// Body length in bytes.
    pub length: usize,
    /// Frame number.
    pub frame: u64,
    /// Time.
    pub time: Option<Timestamp>,
    /// Text, only with `--show-content`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One presence subscription with its notifications.
/// Serialized by hand (`json`: a member added here must be added there too).
#[derive(Clone, Debug, Default)]
pub struct PresenceSubscription {
    /// Call-ID of the SUBSCRIBE dialog.
    pub call_id: String,
    /// Subscriber (From of the SUBSCRIBE).
    pub watcher: String,
    /// Subscribed-to party (To of the SUBSCRIBE).
    pub presentity: String,
    /// Provider name, if attributed.
    pub provider: Option<String>,
    /// "pending", "active", "rejected NNN", "failed NNN" (a refresh failed),
    /// "terminated", or one of these followed by " (connection closed)".
    pub outcome: String,
    /// NOTIFY + BENOTIFY count.
    pub notifications: u64,
    /// States carried, in order (named state; for enterprise→provider also what the provider shows).
    pub states: Vec<PresenceStateReport>,
    /// Capture path.
    pub capture: String,
    /// Flow id within the capture.
    pub flow: u64,
    /// SUBSCRIBE time.
    pub start: Option<Timestamp>,
}

impl Serialize for PresenceSubscription {
    /// The JSON serde's derive would make of the members, written by `json`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        super::json::presence_subscription(self).serialize(s)
    }
}

/// A presence state as sent and as the receiving side will display it (inside
/// a [`PresenceSubscription`], written by `json`; the derive is the reference
/// its tests compare with).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PresenceStateReport {
    /// Frame of the NOTIFY / BENOTIFY.
    pub frame: u64,
    /// Time.
    pub time: Option<Timestamp>,
    /// "out" (enterprise state to provider) or "in".
    pub direction: &'static str,
    /// State as sent ("Be Right Back").
    pub sent: String,
    /// State the other side displays ("Away" on MSN).
    pub displayed: String,
    /// Microsoft availability number, if any.
    pub availability: Option<u32>,
    /// Activity token, if any.
    pub activity: Option<String>,
}

/// One rule finding with its evidence (output-contract `violations`).
/// Serialized by hand (`json`: a member added here must be added there too).
#[derive(Clone, Debug)]
pub struct Violation {
    /// Rule ID from restrictions.md, e.g. "PIC-MEDIA".
    pub rule: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Provider name, if attributed.
    pub provider: Option<String>,
    /// Capture path.
    pub capture: String,
    /// Flow id within the capture.
    pub flow: Option<u64>,
    /// Call-ID, if the finding is about a dialog.
    pub call_id: Option<String>,
    /// Frame numbers that show it.
    pub frames: Vec<u64>,
    /// Time of the first evidence.
    pub time: Option<Timestamp>,
    /// What happened and what the KB says.
    pub message: String,
}

impl Serialize for Violation {
    /// The JSON serde's derive would make of the members, written by `json`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        super::json::violation(self).serialize(s)
    }
}

/// A not-visible restriction, reported once per provider seen.
#[derive(Clone, Debug, Serialize)]
pub struct StandingNote {
    /// Provider name.
    pub provider: String,
    /// The note.
    pub note: String,
}

/// Everything one capture's analysis found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AnalysisOutput {
    /// IM sessions.
    pub im_sessions: Vec<ImSession>,
    /// Presence subscriptions.
    pub presence: Vec<PresenceSubscription>,
    /// Findings, in capture order.
    pub violations: Vec<Violation>,
    /// Standing notes.
    pub notes: Vec<StandingNote>,
    /// Transaction counters and response times.
    pub transactions: TransactionStats,
}

/// Response-time statistics of one request method, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ResponseTimes {
    /// Transactions with a final response.
    pub count: u64,
    /// Fastest.
    pub min_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Sum, for merging.
    #[serde(skip)]
    pub sum_ms: f64,
}

impl ResponseTimes {
    /// Adds one response time.
    pub fn add(&mut self, ms: f64) {
        if self.count == 0 || ms < self.min_ms {
            self.min_ms = ms;
        }
        if ms > self.max_ms {
            self.max_ms = ms;
        }
        self.count += 1;
        self.sum_ms += ms;
        self.mean_ms = self.sum_ms / self.count as f64;
    }

    /// Adds another capture's statistics of the same method.
    pub fn merge(&mut self, o: &ResponseTimes) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 || o.min_ms < self.min_ms {
            self.min_ms = o.min_ms;
        }
        self.max_ms = self.max_ms.max(o.max_ms);
        self.count += o.count;
        self.sum_ms += o.sum_ms;
        self.mean_ms = self.sum_ms / self.count as f64;
    }
}

/// SIP transaction counters (RFC 3261 transactions keyed by Call-ID, CSeq and Via branch).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TransactionStats {
    /// Distinct request transactions (retransmissions not counted).
    pub transactions: u64,
    /// Retransmitted requests and responses recognised and not counted again.
    pub retransmissions: u64,
    /// Transactions that never saw a final response (ACK and BENOTIFY excluded).
    pub unanswered: u64,
    /// Responses that matched no request seen in the capture.
    pub unmatched_responses: u64,
    /// Request-to-final-response times by method.
    pub response_ms: std::collections::BTreeMap<String, ResponseTimes>,
}

impl TransactionStats {
    /// Adds another capture's counters.
    pub fn merge(&mut self, o: &TransactionStats) {
        self.transactions += o.transactions;
        self.retransmissions += o.retransmissions;
        self.unanswered += o.unanswered;
        self.unmatched_responses += o.unmatched_responses;
        for (m, t) in &o.response_ms {
            self.response_ms.entry(m.clone()).or_default().merge(t);
        }
    }
}
