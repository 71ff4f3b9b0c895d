//! SIP transactions (RFC 3261 section 17) keyed by Call-ID, CSeq and the
//! topmost Via branch: retransmissions recognised and not counted again,
//! request-to-final-response times, and what the rules need to know about
//! the request a response answers. State is kept only for live transactions
//! and, briefly, for completed ones (to recognise retransmitted finals).

use std::borrow::Borrow;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::hash::FxHashMap;
use super::model::TransactionStats;
use super::view::Side;
use crate::sip::{Method, SipMessage};
use crate::time::Timestamp;

/// How long (capture time) a completed transaction is remembered: 64*T1.
const COMPLETED_KEEP_NS: i64 = 32_000_000_000;
/// A transaction without a final response is forgotten (and counted unanswered) after this.
const OPEN_KEEP_NS: i64 = 300_000_000_000;

#[derive(Clone, Debug)]
struct TxKey {
    call_id: String,
    cseq: u32,
    method: Method,
    branch: String,
}

/// A transaction key as borrowed parts, so a message can be looked up without copying them.
trait KeyView {
    /// (Call-ID, CSeq number, CSeq method, Via branch).
    fn parts(&self) -> (&str, u32, &Method, &str);
}

impl KeyView for TxKey {
    fn parts(&self) -> (&str, u32, &Method, &str) {
        (&self.call_id, self.cseq, &self.method, &self.branch)
    }
}

impl KeyView for (&str, u32, &Method, &str) {
    fn parts(&self) -> (&str, u32, &Method, &str) {
        (self.0, self.1, self.2, self.3)
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for Arc<TxKey> {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        &**self
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.parts().hash(h);
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, o: &Self) -> bool {
        self.parts() == o.parts()
    }
}

impl Eq for dyn KeyView + '_ {}

impl Hash for TxKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.parts().hash(h);
    }
}

impl PartialEq for TxKey {
    fn eq(&self, o: &Self) -> bool {
        self.parts() == o.parts()
    }
}

impl Eq for TxKey {}

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
    /// Its key (shared with the map and the expiry queues).
    key: Arc<TxKey>,
    /// Insertion number: tells a queued expiry from one of an earlier
    /// transaction the same key replaced.
    seq: u64,
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

/// When a transaction may be forgotten: its completion (or, while it is
/// open, its request) time, ordered by time then insertion.
struct Due {
    at: i64,
    seq: u64,
    key: Arc<TxKey>,
}

impl PartialEq for Due {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Due {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// The live transactions and the counters.
#[derive(Default)]
pub(crate) struct Transactions {
    live: FxHashMap<Arc<TxKey>, TxState>,
    /// Completed transactions by completion time, earliest first.
    done_q: BinaryHeap<Reverse<Due>>,
    /// Transactions by request time, earliest first (those completed since are skipped).
    open_q: BinaryHeap<Reverse<Due>>,
    next_seq: u64,
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
        let Some((cseq, cmethod)) = &msg.cseq else {
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
        let call_id = msg.call_id().unwrap_or("");
        let branch = msg.via_branch().unwrap_or("");
        let view = (call_id, *cseq, cmethod, branch);
        let key: &dyn KeyView = &view;
        match msg.status() {
            None => {
                if let Some(tx) = self.live.get(key)
                    && tx.src == src
                {
                    self.stats.retransmissions += 1;
                    return TxVerdict::Retransmission;
                }
                self.stats.transactions += 1;
                let info = info();
                let key = Arc::new(TxKey {
                    call_id: call_id.to_string(),
                    cseq: *cseq,
                    method: cmethod.clone(),
                    branch: branch.to_string(),
                });
                let seq = self.next_seq;
                self.next_seq += 1;
                let done_at = no_response(&info.method).then_some(ts);
                let due = Due {
                    at: done_at.unwrap_or(info.ts).0,
                    seq,
                    key: key.clone(),
                };
                if done_at.is_some() {
                    self.done_q.push(Reverse(due));
                } else {
                    self.open_q.push(Reverse(due));
                }
                // An equal key already there keeps its `Arc`; only the state is replaced.
                self.live.insert(
                    key.clone(),
                    TxState {
                        key,
                        seq,
                        done_at,
                        info,
                        src,
                        final_code: None,
                        provisional: Vec::new(),
                    },
                );
                TxVerdict::NewRequest
            }
            Some(code) => {
                let Some(tx) = self.live.get_mut(key) else {
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
                self.done_q.push(Reverse(Due {
                    at: ts.0,
                    seq: tx.seq,
                    key: tx.key.clone(),
                }));
                let ms = (ts.seconds_since(tx.info.ts) * 1000.0).max(0.0);
                let method = tx.info.method.as_str();
                match self.stats.response_ms.get_mut(method) {
                    Some(t) => t.add(ms),
                    None => self
                        .stats
                        .response_ms
                        .entry(method.to_string())
                        .or_default()
                        .add(ms),
                }
                TxVerdict::Response(Some(tx.info.clone()))
            }
        }
    }

    /// Forgets completed transactions older than `COMPLETED_KEEP_NS` and
    /// open ones older than `OPEN_KEEP_NS` (counted unanswered), at most
    /// once a second of capture time. The queues give the expired ones
    /// without visiting the others.
    fn purge(&mut self, now: Timestamp) {
        if now.0 - self.last_purge.0 < 1_000_000_000 {
            return;
        }
        self.last_purge = now;
        while let Some(Reverse(due)) = self.done_q.peek() {
            if now.0 - due.at < COMPLETED_KEEP_NS {
                break;
            }
            if let Some(Reverse(due)) = self.done_q.pop()
                && self
                    .live
                    .get(&*due.key)
                    .is_some_and(|tx| tx.seq == due.seq && tx.done_at.is_some())
            {
                self.live.remove(&*due.key);
            }
        }
        while let Some(Reverse(due)) = self.open_q.peek() {
            if now.0 - due.at < OPEN_KEEP_NS {
                break;
            }
            if let Some(Reverse(due)) = self.open_q.pop()
                && self
                    .live
                    .get(&*due.key)
                    .is_some_and(|tx| tx.seq == due.seq && tx.done_at.is_none())
            {
                self.live.remove(&*due.key);
                self.stats.unanswered += 1;
            }
        }
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
