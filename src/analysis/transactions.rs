//! SIP transactions (RFC 3261 section 17) keyed by Call-ID, CSeq and the
//! topmost Via branch: retransmissions recognised and not counted again,
//! request-to-final-response times, and what the rules need to know about
//! the request a response answers. State is kept only for live transactions
//! and, briefly, for completed ones (to recognise retransmitted finals).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use std::collections::hash_map::Entry;

use super::model::{ResponseTimes, TransactionStats};
use super::view::Side;
use crate::hash::FixedHashMap;
use crate::sip::{Method, SipMessage};
use crate::time::Timestamp;

/// How long (capture time) a completed transaction is remembered: 64*T1.
const COMPLETED_KEEP_NS: i64 = 32_000_000_000;
/// A transaction without a final response is forgotten (and counted unanswered) after this.
const OPEN_KEEP_NS: i64 = 300_000_000_000;

#[derive(Clone, Debug)]
struct TxKey {
    /// Call-ID then branch, in one allocation.
    text: Box<str>,
    /// Where the branch starts in `text` (u32: a message is far smaller,
    /// and the key is in every live transaction's entry).
    split: u32,
    cseq: u32,
    method: Method,
}

/// A transaction key as borrowed parts, so a message can be looked up without copying them.
trait KeyView {
    /// (Call-ID, CSeq number, CSeq method, Via branch).
    fn parts(&self) -> (&str, u32, &Method, &str);
}

impl KeyView for TxKey {
    fn parts(&self) -> (&str, u32, &Method, &str) {
        let (call_id, branch) = self
            .text
            .split_at_checked(self.split as usize)
            .unwrap_or((&self.text, ""));
        (call_id, self.cseq, &self.method, branch)
    }
}

impl KeyView for (&str, u32, &Method, &str) {
    fn parts(&self) -> (&str, u32, &Method, &str) {
        (self.0, self.1, self.2, self.3)
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for TxKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

/// Hashes the Call-ID, branch and CSeq number: the method rarely differs
/// where they agree, so hashing it (equality still compares it) buys nothing.
fn hash_parts<H: Hasher>(k: &(impl KeyView + ?Sized), h: &mut H) {
    let (call_id, cseq, _, branch) = k.parts();
    h.write(call_id.as_bytes());
    h.write_u8(0xff);
    h.write(branch.as_bytes());
    h.write_u32(cseq);
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, h: &mut H) {
        hash_parts(self, h);
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
        hash_parts(self, h);
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
    /// An out-of-dialog (no To tag) INVITE or SUBSCRIBE: the requests whose
    /// failure PIC-INVALID-CONTACT judges (false for every other method, so
    /// their To parameters are not read).
    pub initial: bool,
    /// Frame of the request.
    pub frame: u64,
    /// Time of the request.
    pub ts: Timestamp,
    /// Unsupported things it offered (PIC-MEDIA), for PIC-FALSE-ACCEPT
    /// (boxed: never grown, and 8 bytes less in every live transaction).
    pub unsupported: Box<[String]>,
}

struct TxState {
    /// Number of purges done when its request (or, once completed, its final
    /// response) was seen: only later purges can forget it.
    epoch: u64,
    info: RequestInfo,
    src: std::net::SocketAddr,
    final_code: Option<u16>,
    /// Provisional codes seen, bit `code - 100` (status codes are 100-699):
    /// two words rather than a u128, whose 16-byte alignment padded every entry.
    provisional: [u64; 2],
    done_at: Option<Timestamp>,
}

/// What the tracker made of a message.
pub(crate) enum TxVerdict<'t> {
    /// A retransmission: already counted, not to be analysed again.
    Retransmission,
    /// A new request.
    NewRequest,
    /// A response, with the request it answers if that was seen.
    Response(Option<&'t RequestInfo>),
}

/// The live transactions and the counters.
///
/// Purges (RFC 3261 timers, at most once a second of capture time) are
/// lazy: a transaction a purge would have removed is treated as gone from
/// then on and physically dropped by an occasional sweep, so no purge
/// visits every live transaction.
pub(crate) struct Transactions {
    live: FixedHashMap<TxKey, TxState>,
    /// Counters for the output (`response_ms` is filled in by `finish`).
    stats: TransactionStats,
    /// Request-to-final-response times by method, in the order first seen:
    /// a handful of methods, found by a short scan instead of a map lookup.
    response_ms: Vec<(Box<str>, ResponseTimes)>,
    last_purge: Timestamp,
    /// Purges so far.
    purges: u64,
    /// Sweep when `live` holds this many.
    sweep_at: usize,
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions {
            live: FixedHashMap::default(),
            stats: TransactionStats::default(),
            response_ms: Vec::new(),
            last_purge: Timestamp::default(),
            purges: 0,
            sweep_at: MIN_SWEEP,
        }
    }
}

/// Fewest stored transactions worth a sweep.
const MIN_SWEEP: usize = 1024;

/// True when a purge since `tx` was last updated would have removed it
/// (purge times only grow, so the last purge decides).
fn purged(tx: &TxState, purges: u64, last_purge: Timestamp) -> bool {
    purges > tx.epoch
        && match tx.done_at {
            Some(d) => last_purge.0 - d.0 >= COMPLETED_KEEP_NS,
            None => last_purge.0 - tx.info.ts.0 >= OPEN_KEEP_NS,
        }
}

fn no_response(m: &Method) -> bool {
    matches!(m, Method::Ack | Method::Benotify)
}

impl Transactions {
    /// Classifies `msg` (with Call-ID `call_id`, "" when missing) sent from
    /// `src` at `ts`; `info` describes it when it is a request.
    pub fn observe(
        &mut self,
        msg: &SipMessage,
        call_id: &str,
        src: std::net::SocketAddr,
        ts: Timestamp,
        info: impl FnOnce() -> RequestInfo,
    ) -> TxVerdict<'_> {
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
        let branch = msg.via_branch().unwrap_or("");
        match msg.status() {
            None => {
                let mut text = String::with_capacity(call_id.len() + branch.len());
                text.push_str(call_id);
                text.push_str(branch);
                let key = TxKey {
                    text: text.into_boxed_str(),
                    // Longer cannot be: the message would not have been framed.
                    split: u32::try_from(call_id.len()).unwrap_or(u32::MAX),
                    cseq: *cseq,
                    method: cmethod.clone(),
                };
                let (purges, last_purge) = (self.purges, self.last_purge);
                let fresh = |info: RequestInfo| TxState {
                    epoch: purges,
                    done_at: no_response(&info.method).then_some(ts),
                    info,
                    src,
                    final_code: None,
                    provisional: [0; 2],
                };
                match self.live.entry(key) {
                    Entry::Occupied(mut o) => {
                        let tx = o.get();
                        if !purged(tx, purges, last_purge) && tx.src == src {
                            self.stats.retransmissions += 1;
                            return TxVerdict::Retransmission;
                        }
                        if tx.done_at.is_none() && purged(tx, purges, last_purge) {
                            self.stats.unanswered += 1;
                        }
                        o.insert(fresh(info()));
                    }
                    Entry::Vacant(v) => {
                        v.insert(fresh(info()));
                    }
                }
                self.stats.transactions += 1;
                if self.live.len() >= self.sweep_at {
                    self.sweep();
                }
                TxVerdict::NewRequest
            }
            Some(code) => {
                let view = (call_id, *cseq, cmethod, branch);
                let key: &dyn KeyView = &view;
                let (purges, last_purge) = (self.purges, self.last_purge);
                let Some(tx) = self
                    .live
                    .get_mut(key)
                    .filter(|tx| !purged(tx, purges, last_purge))
                else {
                    self.stats.unmatched_responses += 1;
                    return TxVerdict::Response(None);
                };
                if code < 200 {
                    let n = code.saturating_sub(100).min(127);
                    let [low, high] = &mut tx.provisional;
                    let (seen, bit) = if n < 64 {
                        (low, 1u64 << n)
                    } else {
                        (high, 1u64 << (n - 64))
                    };
                    if *seen & bit != 0 || tx.final_code.is_some() {
                        self.stats.retransmissions += 1;
                        return TxVerdict::Retransmission;
                    }
                    *seen |= bit;
                    return TxVerdict::Response(Some(&tx.info));
                }
                if tx.final_code.is_some() {
                    self.stats.retransmissions += 1;
                    return TxVerdict::Retransmission;
                }
                tx.final_code = Some(code);
                tx.done_at = Some(ts);
                tx.epoch = purges;
                let ms = (ts.seconds_since(tx.info.ts) * 1000.0).max(0.0);
                let method = tx.info.method.as_str();
                match self.response_ms.iter_mut().find(|(m, _)| **m == *method) {
                    Some((_, t)) => t.add(ms),
                    None => {
                        let mut t = ResponseTimes::default();
                        t.add(ms);
                        self.response_ms.push((method.into(), t));
                    }
                }
                TxVerdict::Response(Some(&tx.info))
            }
        }
    }

    /// Forgets completed transactions older than `COMPLETED_KEEP_NS` and
    /// open ones older than `OPEN_KEEP_NS` (counted unanswered), at most
    /// once a second of capture time: lazily, see [`Transactions`].
    fn purge(&mut self, now: Timestamp) {
        if now.0 - self.last_purge.0 < 1_000_000_000 {
            return;
        }
        self.last_purge = now;
        self.purges += 1;
    }

    /// Drops the transactions purges have forgotten.
    fn sweep(&mut self) {
        let (purges, last_purge) = (self.purges, self.last_purge);
        let stats = &mut self.stats;
        self.live.retain(|_, tx| {
            let gone = purged(tx, purges, last_purge);
            if gone && tx.done_at.is_none() {
                stats.unanswered += 1;
            }
            !gone
        });
        self.sweep_at = (self.live.len() * 2).max(MIN_SWEEP);
    }

    /// End of capture: counts transactions still without a final response.
    pub fn finish(mut self) -> TransactionStats {
        // Open ones a purge forgot were unanswered too.
        self.stats.unanswered += self.live.values().filter(|t| t.done_at.is_none()).count() as u64;
        self.stats.response_ms = self
            .response_ms
            .into_iter()
            .map(|(m, t)| (m.into_string(), t))
            .collect();
        self.stats
    }

    /// Live transactions (for memory-bound tests).
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.live
            .values()
            .filter(|t| !purged(t, self.purges, self.last_purge))
            .count()
    }
}
