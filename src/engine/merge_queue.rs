//! The merger's per-worker queues: each worker sends its events in tag
//! order, so the merger releases them by a k-way merge of the queue fronts
//! instead of gathering and sorting everything released (which moved every
//! event twice more and sorted what was already sorted).
//!
//! A worker's buffer is consumed in place, without copying its events into
//! another queue, and goes back to that worker once empty, so workers do not
//! allocate and grow a fresh buffer every tick.

use std::collections::VecDeque;

use super::events::Tagged;

/// An event's ordering tag (see `events`).
type Key = (u64, u8, u64, u64);

/// One worker's received buffers, oldest first; none is empty.
#[derive(Default)]
struct WorkerQueue {
    bufs: VecDeque<VecDeque<Tagged>>,
    /// The largest tag queued or released so far.
    last: Option<Key>,
}

impl WorkerQueue {
    /// The tag of the next event of this worker.
    fn front_key(&self) -> Option<Key> {
        self.bufs.front().and_then(|b| b.front()).map(|t| t.key)
    }
}

/// Events of every worker, released in tag order as watermarks allow.
pub(crate) struct MergeQueues {
    queues: Vec<WorkerQueue>,
    /// Emptied buffers, by worker, for the caller to hand back.
    emptied: Vec<(usize, Vec<Tagged>)>,
}

impl MergeQueues {
    /// Queues for `workers` workers.
    pub fn new(workers: usize) -> Self {
        MergeQueues {
            queues: (0..workers).map(|_| WorkerQueue::default()).collect(),
            emptied: Vec::new(),
        }
    }

    /// Queues `events`, which worker `w` sent in tag order after its earlier
    /// ones (`Shard::take_events` sorts each buffer; only the order across
    /// buffers is checked here, so the merger does not scan every event again).
    pub fn push(&mut self, w: usize, events: Vec<Tagged>) {
        let Some(q) = self.queues.get_mut(w) else {
            return;
        };
        let (Some(first), Some(end)) = (events.first(), events.last()) else {
            self.emptied.push((w, events));
            return;
        };
        let (first, end) = (first.key, end.key);
        if q.last.is_none_or(|l| l <= first) {
            q.last = Some(end);
            q.bufs.push_back(VecDeque::from(events));
            return;
        }
        // A buffer starting before the previous one ended cannot happen by
        // construction; if it ever did, the queue is re-sorted rather than
        // released out of order.
        let mut all: Vec<Tagged> = q.bufs.drain(..).flatten().collect();
        all.extend(events);
        all.sort_by_key(|t| t.key);
        q.last = all.last().map(|t| t.key).max(q.last);
        q.bufs.push_back(VecDeque::from(all));
    }

    /// Whether an event at or below `mark` is waiting.
    pub fn has_released(&self, mark: u64) -> bool {
        self.queues
            .iter()
            .any(|q| q.front_key().is_some_and(|k| k.0 <= mark))
    }

    /// The events with frame at or below `mark`, in tag order.
    pub fn release(&mut self, mark: u64) -> Released<'_> {
        Released { q: self, mark }
    }

    /// Everything still queued, in tag order (end of run).
    pub fn release_all(&mut self) -> Released<'_> {
        self.release(u64::MAX)
    }

    /// Buffers emptied since the last call, with the worker each came from.
    pub fn take_emptied(&mut self) -> std::vec::Drain<'_, (usize, Vec<Tagged>)> {
        self.emptied.drain(..)
    }
}

/// Iterator over released events: the smallest front of all queues each time.
pub(crate) struct Released<'a> {
    q: &'a mut MergeQueues,
    mark: u64,
}

impl Iterator for Released<'_> {
    type Item = Tagged;

    fn next(&mut self) -> Option<Tagged> {
        let mut best: Option<(usize, Key)> = None;
        for (w, q) in self.q.queues.iter().enumerate() {
            if let Some(k) = q.front_key()
                && k.0 <= self.mark
                && best.is_none_or(|(_, b)| k < b)
            {
                best = Some((w, k));
            }
        }
        let (w, _) = best?;
        let q = self.q.queues.get_mut(w)?;
        let buf = q.bufs.front_mut()?;
        let ev = buf.pop_front();
        if buf.is_empty()
            && let Some(done) = q.bufs.pop_front()
        {
            self.q.emptied.push((w, Vec::from(done)));
        }
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::Arc;

    use crate::analysis::{FlowContext, TransportKind};
    use crate::engine::events::AnalysisEvent;
    use crate::reassembly::FlowId;

    fn ev(frame: u64, seq: u64) -> Tagged {
        let end = SocketAddr::from((Ipv4Addr::LOCALHOST, 5061));
        Tagged {
            key: (frame, 0, 0, seq),
            ev: AnalysisEvent::FlowOpened(Arc::new(FlowContext {
                capture: Arc::from("t.pcap"),
                id: FlowId(frame),
                transport: TransportKind::Tls,
                client: end,
                server: end,
            })),
        }
    }

    fn frames(it: impl Iterator<Item = Tagged>) -> Vec<u64> {
        it.map(|t| t.key.0).collect()
    }

    #[test]
    fn merges_workers_in_tag_order_up_to_the_mark() {
        let mut m = MergeQueues::new(2);
        m.push(0, vec![ev(1, 1), ev(4, 2), ev(9, 3)]);
        m.push(1, vec![ev(2, 1), ev(3, 2)]);
        m.push(1, vec![ev(5, 3), ev(10, 4)]);
        assert!(m.has_released(1));
        assert!(!m.has_released(0));
        assert_eq!(frames(m.release(5)), vec![1, 2, 3, 4, 5]);
        // Worker 1's first buffer was emptied and is handed back.
        let emptied: Vec<usize> = m.take_emptied().map(|(w, _)| w).collect();
        assert_eq!(emptied, vec![1]);
        assert!(!m.has_released(8));
        assert_eq!(frames(m.release_all()), vec![9, 10]);
        assert_eq!(m.take_emptied().count(), 2);
    }

    #[test]
    fn empty_buffers_go_straight_back() {
        let mut m = MergeQueues::new(1);
        m.push(0, Vec::with_capacity(8));
        assert_eq!(m.take_emptied().count(), 1);
        assert_eq!(m.release_all().count(), 0);
    }

    #[test]
    fn a_worker_out_of_order_is_resorted_not_misordered() {
        let mut m = MergeQueues::new(1);
        m.push(0, vec![ev(3, 1), ev(7, 2)]);
        m.push(0, vec![ev(5, 3)]);
        assert_eq!(frames(m.release_all()), vec![3, 5, 7]);
    }
}
