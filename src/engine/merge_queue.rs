//! The merger's per-worker queues: each worker sends its events in tag
//! order, so the merger releases them by a k-way merge of the queue fronts
//! instead of gathering and sorting everything released (which moved every
//! event twice more and sorted what was already sorted).
//!
//! A worker's buffer is read in place, without copying its events into
//! another queue, and goes back to that worker once read, events and all:
//! the worker drops them when it reuses the buffer, so what a worker
//! allocated is freed on that worker (mimalloc makes a thread that frees
//! another's blocks, and the owner collecting them, pay on every block), and
//! workers do not allocate and grow a fresh buffer every tick.

use std::collections::VecDeque;

use super::events::Tagged;

/// An event's ordering tag (see `events`).
type Key = (u64, u8, u64, u64);

/// A received buffer and how far into it the merger has read.
struct Cursor {
    buf: Vec<Tagged>,
    /// The next event to release; always `< buf.len()` while queued.
    next: usize,
}

/// One worker's received buffers, oldest first; none is fully read.
#[derive(Default)]
struct WorkerQueue {
    bufs: VecDeque<Cursor>,
    /// The largest tag queued or released so far.
    last: Option<Key>,
}

impl WorkerQueue {
    /// The tag of the next event of this worker.
    fn front_key(&self) -> Option<Key> {
        self.bufs
            .front()
            .and_then(|c| c.buf.get(c.next))
            .map(|t| t.key)
    }
}

/// Events of every worker, released in tag order as watermarks allow.
pub(crate) struct MergeQueues {
    queues: Vec<WorkerQueue>,
    /// Fully read buffers (events still in them), by worker, for the caller to hand back.
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
            q.bufs.push_back(Cursor {
                buf: events,
                next: 0,
            });
            return;
        }
        // A buffer starting before the previous one ended cannot happen by
        // construction; if it ever did, the queue is re-sorted rather than
        // released out of order.
        let mut all: Vec<Tagged> = q
            .bufs
            .drain(..)
            .flat_map(|mut c| c.buf.split_off(c.next))
            .collect();
        all.extend(events);
        all.sort_by_key(|t| t.key);
        q.last = all.last().map(|t| t.key).max(q.last);
        q.bufs.push_back(Cursor { buf: all, next: 0 });
    }

    /// Whether an event at or below `mark` is waiting.
    pub fn has_released(&self, mark: u64) -> bool {
        self.queues
            .iter()
            .any(|q| q.front_key().is_some_and(|k| k.0 <= mark))
    }

    /// Calls `each` on the events with frame at or below `mark`, in tag
    /// order, in place: the smallest front of all queues each time.
    pub fn release(&mut self, mark: u64, mut each: impl FnMut(&mut Tagged)) {
        loop {
            let mut best: Option<(usize, Key)> = None;
            for (w, q) in self.queues.iter().enumerate() {
                if let Some(k) = q.front_key()
                    && k.0 <= mark
                    && best.is_none_or(|(_, b)| k < b)
                {
                    best = Some((w, k));
                }
            }
            let Some((w, _)) = best else {
                return;
            };
            let Some(q) = self.queues.get_mut(w) else {
                return;
            };
            let Some(c) = q.bufs.front_mut() else {
                return;
            };
            if let Some(t) = c.buf.get_mut(c.next) {
                each(t);
            }
            c.next += 1;
            if c.next >= c.buf.len()
                && let Some(done) = q.bufs.pop_front()
            {
                self.emptied.push((w, done.buf));
            }
        }
    }

    /// Buffers read since the last call, with the worker each came from.
    pub fn take_emptied(&mut self) -> std::vec::Drain<'_, (usize, Vec<Tagged>)> {
        self.emptied.drain(..)
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

    /// The frames `release(mark)` hands out.
    fn frames(m: &mut MergeQueues, mark: u64) -> Vec<u64> {
        let mut out = Vec::new();
        m.release(mark, |t| out.push(t.key.0));
        out
    }

    #[test]
    fn merges_workers_in_tag_order_up_to_the_mark() {
        let mut m = MergeQueues::new(2);
        m.push(0, vec![ev(1, 1), ev(4, 2), ev(9, 3)]);
        m.push(1, vec![ev(2, 1), ev(3, 2)]);
        m.push(1, vec![ev(5, 3), ev(10, 4)]);
        assert!(m.has_released(1));
        assert!(!m.has_released(0));
        assert_eq!(frames(&mut m, 5), vec![1, 2, 3, 4, 5]);
        // Worker 1's first buffer was read and is handed back, events and all.
        let emptied: Vec<(usize, usize)> = m.take_emptied().map(|(w, b)| (w, b.len())).collect();
        assert_eq!(emptied, vec![(1, 2)]);
        assert!(!m.has_released(8));
        assert_eq!(frames(&mut m, u64::MAX), vec![9, 10]);
        assert_eq!(m.take_emptied().count(), 2);
        assert!(!m.has_released(u64::MAX));
    }

    #[test]
    fn empty_buffers_go_straight_back() {
        let mut m = MergeQueues::new(1);
        m.push(0, Vec::with_capacity(8));
        assert_eq!(m.take_emptied().count(), 1);
        assert!(frames(&mut m, u64::MAX).is_empty());
    }

    #[test]
    fn a_worker_out_of_order_is_resorted_not_misordered() {
        let mut m = MergeQueues::new(1);
        m.push(0, vec![ev(3, 1), ev(7, 2)]);
        m.push(0, vec![ev(5, 3)]);
        assert_eq!(frames(&mut m, u64::MAX), vec![3, 5, 7]);
        // Only what was not yet released is re-sorted.
        let mut m = MergeQueues::new(1);
        m.push(0, vec![ev(3, 1), ev(7, 2)]);
        assert_eq!(frames(&mut m, 4), vec![3]);
        m.push(0, vec![ev(5, 3)]);
        assert_eq!(frames(&mut m, u64::MAX), vec![5, 7]);
    }
}
