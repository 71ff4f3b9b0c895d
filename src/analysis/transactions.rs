//! SIP transactions (RFC 3261 section 17) keyed by Call-ID, CSeq and the
//! topmost Via branch: retransmissions recognised and not counted again,
//! request-to-final-response times, and what the rules need to know about
//! the request a response answers. State is kept only for live transactions
//! and, briefly, for completed ones (to recognise retransmitted finals).

use std::collections::HashMap;

use super::model::TransactionStats;
use super::view::Side;
use crate::sip::{Method, SipMessage};
use crate::time::Timestamp;

/// How long (capture time) a completed transaction is remembered: 64*T1.
const COMPLETED_KEEP_NS: i64 = 32_000_000_000;
/// A transaction without a final response is forgotten (and counted unanswered) after this.
const OPEN_KEEP_NS: i64 = 300_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct TxKey {
    call_id: String,
    cseq: u32,
    method: Method,
    branch: String,
}

/// What the rules need about a request.
#[derive(Clone, Debug)]
pub(crate) struct RequestInfo {
    /// Method.
    pub method: Method,
    /// Direction relative to the provider.
    pub side: Side,
    /// Out-of-dialog request (no To tag).
    pub initial: bool,
    /// Frame of the request.
    pub frame: u64,
    /// Time of the request.
    pub ts: Timestamp,
    /// Unsupported things it offered (PIC-MEDIA), for PIC-FALSE-ACCEPT.
    pub unsupported: Vec<String>,
}

struct TxState {
    info: RequestInfo,
    src: std::net::SocketAddr,
    final_code: Option<u16>,
    provisional: Vec<u16>,
    done_at: Option<Timestamp>,
}

/// What the tracker made of a message.
pub(crate) enum TxVerdict {
    /// A retransmission: already counted, not to be analysed again.
    Retransmission,
    /// A new request.
    NewRequest,
    /// A response, with the request it answers if that was seen.
    Response(Option<RequestInfo>),
}

/// The live transactions and the counters.
#[derive(Default)]
pub(crate) struct Transactions {
    live: HashMap<TxKey, TxState>,
    /// Counters for the output.
    pub stats: TransactionStats,
    last_purge: Timestamp,
}

fn no_response(m: &Method) -> bool {
    matches!(m, Method::Ack | Method::Benotify)
}

impl Transactions {
    /// Classifies `msg` sent from `src` at `ts`; `info` describes it when it is a request.
    pub fn observe(
        &mut self,
        msg: &SipMessage,
        src: std::net::SocketAddr,
        ts: Timestamp,
        info: impl FnOnce() -> RequestInfo,
    ) -> TxVerdict {
        self.purge(ts);
        let Some((cseq, cmethod)) = msg.cseq.clone() else {
            return match msg.method() {
                Some(_) => {
                    self.stats.transactions += 1;
                    TxVerdict::NewRequest
                }
                None => {
                    self.stats.unmatched_responses += 1;
                    TxVerdict::Response(None)
                }
            };
        };
        let key = TxKey {
            call_id: msg.call_id.clone().unwrap_or_default(),
            cseq,
            method: cmethod,
            branch: msg.via_branch.clone().unwrap_or_default(),
        };
        match msg.status() {
            None => {
                if let Some(tx) = self.live.get(&key)
                    && tx.src == src
                {
                    self.stats.retransmissions += 1;
                    return TxVerdict::Retransmission;
                }
                self.stats.transactions += 1;
                let info = info();
                self.live.insert(
                    key,
                    TxState {
                        done_at: no_response(&info.method).then_some(ts),
                        info,
                        src,
                        final_code: None,
                        provisional: Vec::new(),
                    },
                );
                TxVerdict::NewRequest
            }
            Some(code) => {
                let Some(tx) = self.live.get_mut(&key) else {
                    self.stats.unmatched_responses += 1;
                    return TxVerdict::Response(None);
                };
                if code < 200 {
                    if tx.provisional.contains(&code) || tx.final_code.is_some() {
                        self.stats.retransmissions += 1;
                        return TxVerdict::Retransmission;
                    }
                    tx.provisional.push(code);
                    return TxVerdict::Response(Some(tx.info.clone()));
                }
                if tx.final_code.is_some() {
                    self.stats.retransmissions += 1;
                    return TxVerdict::Retransmission;
                }
                tx.final_code = Some(code);
                tx.done_at = Some(ts);
                let ms = ts.seconds_since(tx.info.ts) * 1000.0;
                self.stats
                    .response_ms
                    .entry(tx.info.method.as_str().to_string())
                    .or_default()
                    .add(ms.max(0.0));
                TxVerdict::Response(Some(tx.info.clone()))
            }
        }
    }

    fn purge(&mut self, now: Timestamp) {
        if now.0 - self.last_purge.0 < 1_000_000_000 {
            return;
        }
        self.last_purge = now;
        let stats = &mut self.stats;
        self.live.retain(|_, tx| match tx.done_at {
            Some(d) => now.0 - d.0 < COMPLETED_KEEP_NS,
            None => {
                let keep = now.0 - tx.info.ts.0 < OPEN_KEEP_NS;
                if !keep {
                    stats.unanswered += 1;
                }
                keep
            }
        });
    }

    /// End of capture: counts transactions still without a final response.
    pub fn finish(mut self) -> TransactionStats {
        self.stats.unanswered += self.live.values().filter(|t| t.done_at.is_none()).count() as u64;
        self.stats
    }

    /// Live transactions (for memory-bound tests).
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.live.len()
    }
}
