//! One large capture on every core, `--threads N` being N threads in all:
//! the reader (capture + decode) shards frames by flow hash to worker threads
//! (reassembly, TLS, SIP), and the merge feeds the analyzer in the same order
//! a single thread would (see `events`). Up to 4 threads the reading thread
//! also merges, and with 2 it runs a share of the flows itself (see `Role`);
//! from 5 the merge has a thread of its own. The reader's channels to the
//! workers are bounded, so memory stays flat. A worker with nothing queued
//! reads the capture's next chunks ahead for the reader
//! ([`ReadAheadHandle`]), which takes them in file order.
//!
//! Watermarks: every so often the reader sends `Tick(F)` to all workers after
//! dispatching every frame up to F; a worker forwards it with the events of
//! those frames, in one message, already in tag order. Events up to the
//! smallest forwarded tick (and, for the reader's own shard, up to F) are
//! then complete and are released in tag order by merging the shards'
//! queues (see `merge_queue`).

use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{
    Receiver, Sender, SyncSender, TryRecvError, TrySendError, channel, sync_channel,
};
use std::time::{Duration, Instant};

use crate::analysis::{AnalysisOutput, Analyzer};
use crate::capture::{FrameSource, ReadAheadHandle, SharedChunk};
use crate::decode::TcpSegment;
use crate::reassembly::SegmentMeta;
use crate::tls::KeySource;

use super::EngineConfig;
use super::capture_run::{Dispatch, finalize, read_capture};
use super::collect::Collector;
use super::events::{Tagged, feed_one};
use super::merge_queue::MergeQueues;
use super::result::CaptureResult;
use super::shard::{Segment, Shard, ShardParts};

/// Packets per batch handed to a worker.
const BATCH_PACKETS: usize = 512;
/// Payload bytes per batch handed to a worker.
const BATCH_BYTES: usize = 128 * 1024;
/// Room above `BATCH_BYTES` so the frame that fills a batch seldom reallocates it.
const BATCH_SLACK: usize = 16 * 1024;
/// Frames between watermark ticks.
const TICK_EVERY: u64 = 512;
/// Messages in flight per channel.
const CHANNEL_DEPTH: usize = 4;
/// Longest the reader waits for a worker's events before trying a full
/// worker queue again (a queue makes room as its worker reaches a tick,
/// which is also when it sends events, so this seldom runs out).
const MERGE_WAIT: Duration = Duration::from_micros(200);
/// Largest event buffer (in events) handed back to a worker for reuse.
const SPARE_EVENTS_MAX: usize = 4096;

/// One packet in a batch; its payload is `range` of `chunks[chunk]`, or of
/// the batch's own `buf` when `chunk` is `None`.
struct PacketRec {
    meta: SegmentMeta,
    src: SocketAddr,
    dst: SocketAddr,
    /// The TCP header fields (payload emptied), or `None` for UDP.
    tcp: Option<TcpSegment<'static>>,
    chunk: Option<usize>,
    range: Range<usize>,
}

/// Packets for one worker. Payloads stay in the capture's read chunks,
/// which the batch holds until the worker is done with it; only a payload
/// that lies in no shareable chunk (a reassembled IP fragment, a live
/// capture) is copied into `buf`.
struct Batch {
    chunks: Vec<SharedChunk>,
    buf: Vec<u8>,
    pkts: Vec<PacketRec>,
    /// Payload bytes, wherever they lie.
    bytes: usize,
}

impl Batch {
    /// An empty batch.
    fn new() -> Batch {
        Batch {
            chunks: Vec::new(),
            buf: Vec::new(),
            pkts: Vec::with_capacity(BATCH_PACKETS),
            bytes: 0,
        }
    }

    /// Where `payload` is kept: in `chunk`, held by the batch, or in a copy.
    fn keep(
        &mut self,
        payload: &[u8],
        chunk: Option<&SharedChunk>,
    ) -> (Option<usize>, Range<usize>) {
        self.bytes += payload.len();
        let Some((c, range)) = chunk.and_then(|c| Some((c, c.locate(payload)?))) else {
            let start = self.buf.len();
            self.buf.extend_from_slice(payload);
            return (None, start..self.buf.len());
        };
        if !self.chunks.last().is_some_and(|last| last.same(c)) {
            self.chunks.push(c.clone());
        }
        (Some(self.chunks.len() - 1), range)
    }

    /// The payload of `p`.
    fn payload(&self, p: &PacketRec) -> &[u8] {
        match p.chunk {
            Some(i) => self.chunks.get(i).map_or(&[], |c| c.get(p.range.clone())),
            None => self.buf.get(p.range.clone()).unwrap_or(&[]),
        }
    }

    /// Empties the batch for reuse, letting go of its chunks; `false` if a
    /// giant copied frame made it too large to keep.
    fn clear(&mut self) -> bool {
        self.chunks.clear();
        self.buf.clear();
        self.pkts.clear();
        self.bytes = 0;
        self.buf.capacity() <= BATCH_BYTES + BATCH_SLACK
    }
}

enum ToWorker {
    Batch(Batch),
    Secrets(Arc<Vec<u8>>, KeySource),
    Housekeeping(SegmentMeta),
    Tick(u64),
    End(SegmentMeta),
}

enum FromWorker {
    /// Events in tag order, complete up to the frame given (one message per
    /// tick, so the merger wakes once per tick and worker).
    Events(Vec<Tagged>, u64),
    Done(Box<ShardParts>, Vec<Tagged>),
}

/// Flow-hash buckets a capture's flows are dealt out by.
const BUCKETS: u64 = 32;
/// Buckets the reader's thread keeps for its own shard when one other
/// worker runs (`--threads 2`). It also reads, decodes and analyzes, so it
/// takes fewer flows: interleaved runs put the best share at 6-8 of 32 on the
/// TLS bench capture and 3-5 on a plaintext one (where analysis weighs more);
/// 6 is within 2 % and 5 % of each. With more workers it keeps none.
const LOCAL_BUCKETS_OF_TWO: u64 = 6;

/// From this many threads on, the merge and analysis get a thread of their
/// own. Callgrind's per-thread counts on the 101 MB TLS bench capture
/// (1,494 M instructions in all): reading 145 M, merge and analysis 276 M,
/// shards 1,080 M. Reading and merging on one thread (415 M) caps any
/// thread count at about 3.6 times one, reached at 4 threads; apart, the
/// merge caps at about 5.4 times, and with 5 threads (3 workers, 360 M
/// each) is already ahead.
const OWN_MERGER_FROM: usize = 5;

/// What the reading thread does besides reading and dealing out frames.
enum Role<'a, 'p> {
    /// Up to 4 threads: it runs the merge and a shard of its own (merge
    /// queue 0; frames straight from the read chunk, no batch), which gets
    /// a share of the flows with 2 threads and none with 3 or 4.
    Merging {
        local: Box<Shard<'a>>,
        merge: Box<Merger<'p>>,
    },
    /// From `OWN_MERGER_FROM` threads: nothing else; the merge runs on a
    /// thread of its own.
    Reading,
}

/// The reader's thread: it reads and decodes, batches flows to the workers
/// and, with 2 to 4 threads, also runs a shard and merges everyone's events
/// into the analyzer. Being one thread with three jobs instead of three
/// threads keeps two cores from juggling four threads and waking each other
/// every tick.
struct Sharder<'a, 'p> {
    role: Role<'a, 'p>,
    /// Buckets (of `BUCKETS`) whose flows stay on this thread.
    local_buckets: u64,
    /// The command line's keys, for secrets found on the way.
    keys: &'a super::KeyMaterial,
    /// The workers' inputs; worker `i` is merge queue `i + 1`.
    senders: Vec<SyncSender<ToWorker>>,
    batches: Vec<Batch>,
    /// Batches the workers have emptied, to be filled again: a fresh 200 KB
    /// batch per flush cost the reader an allocation, page faults and a
    /// cross-thread free.
    emptied: Receiver<Batch>,
    frames: u64,
    /// Frames between watermark ticks.
    tick_every: u64,
    last: SegmentMeta,
    /// Time blocked on a full worker queue, with `--stats`.
    waited_ns: Option<u64>,
}

/// The worker (of `workers`) for a flow hash, or `None` for the reader's
/// own shard, which keeps `local_buckets` of every `BUCKETS`.
fn route(hash: u64, local_buckets: u64, workers: usize) -> Option<usize> {
    if hash % BUCKETS < local_buckets || workers == 0 {
        None
    } else {
        Some(((hash / BUCKETS) % workers as u64) as usize)
    }
}

impl Sharder<'_, '_> {
    /// An emptied batch back from a worker, or a new one.
    fn fresh(&self) -> Batch {
        self.emptied.try_recv().unwrap_or_else(|_| Batch::new())
    }

    fn send(&mut self, w: usize, msg: ToWorker) {
        // A worker that died has already lost its results; the merge reports it.
        let mut msg = match self.senders[w].try_send(msg) {
            Err(TrySendError::Full(msg)) => msg,
            Ok(()) | Err(TrySendError::Disconnected(_)) => return,
        };
        // The worker is behind: with --stats, the wait is counted (less
        // the time spent analyzing meanwhile).
        let t0 = self.waited_ns.map(|_| Instant::now());
        let busy_ns = match &mut self.role {
            // Rather than sit idle, analyze what the workers send meanwhile
            // (they send at each tick they reach, having just made room).
            Role::Merging { merge, .. } => {
                let analyzed = merge.analysis_ns;
                loop {
                    merge.wait_and_release(MERGE_WAIT);
                    match self.senders[w].try_send(msg) {
                        Err(TrySendError::Full(m)) => msg = m,
                        Ok(()) | Err(TrySendError::Disconnected(_)) => break,
                    }
                }
                merge.analysis_ns.zip(analyzed).map_or(0, |(a, b)| a - b)
            }
            Role::Reading => {
                let _ = self.senders[w].send(msg);
                0
            }
        };
        if let (Some(ns), Some(t0)) = (&mut self.waited_ns, t0) {
            *ns += (t0.elapsed().as_nanos() as u64).saturating_sub(busy_ns);
        }
    }

    fn flush(&mut self, w: usize) {
        if !self.batches[w].pkts.is_empty() {
            let fresh = self.fresh();
            let b = std::mem::replace(&mut self.batches[w], fresh);
            self.send(w, ToWorker::Batch(b));
        }
    }

    fn flush_all(&mut self) {
        for w in 0..self.senders.len() {
            self.flush(w);
        }
    }

    fn broadcast(&mut self, make: impl Fn() -> ToWorker) {
        self.flush_all();
        for w in 0..self.senders.len() {
            self.send(w, make());
        }
    }

    /// Watermark after frame `f`: the workers are told, this thread's
    /// events up to `f` join the merge, and whatever the workers have sent
    /// so far is released as far as every queue allows.
    fn tick(&mut self, f: u64) {
        // This thread's events first, so whatever the merge can release
        // while the workers' queues are full goes up to `f`.
        if let Role::Merging { local, merge } = &mut self.role {
            let spare = std::mem::take(&mut merge.local_spare);
            let events = local.take_events(spare);
            merge.push(0, events, f);
        }
        self.broadcast(|| ToWorker::Tick(f));
        if let Role::Merging { merge, .. } = &mut self.role {
            merge.poll();
            merge.release();
        }
    }
}

impl Dispatch for Sharder<'_, '_> {
    fn segment(&mut self, seg: Segment<'_>, meta: SegmentMeta, chunk: Option<&SharedChunk>) {
        match route(seg.flow_hash(), self.local_buckets, self.senders.len()) {
            // `local_buckets` is 0 without a local shard, so every flow has a worker.
            None => {
                if let Role::Merging { local, .. } = &mut self.role {
                    local.packet(seg, meta);
                }
            }
            Some(w) => {
                let b = &mut self.batches[w];
                let (src, dst, tcp, payload) = match seg {
                    Segment::Tcp(s, d, t) => {
                        (s, d, Some(TcpSegment { payload: &[], ..t }), t.payload)
                    }
                    Segment::Udp(s, d, p) => (s, d, None, p),
                };
                let (chunk, range) = b.keep(payload, chunk);
                b.pkts.push(PacketRec {
                    meta,
                    src,
                    dst,
                    tcp,
                    chunk,
                    range,
                });
                if b.pkts.len() >= BATCH_PACKETS || b.bytes >= BATCH_BYTES {
                    self.flush(w);
                }
            }
        }
        self.frames += 1;
        self.last = meta;
        if self.frames.is_multiple_of(self.tick_every) {
            self.tick(meta.frame);
        }
    }

    fn secrets(&mut self, text: &[u8], source: KeySource) {
        if let Role::Merging { local, .. } = &mut self.role {
            local.secrets(text, source, self.keys);
        }
        let text = Arc::new(text.to_vec());
        self.broadcast(|| ToWorker::Secrets(text.clone(), source));
    }

    fn housekeeping(&mut self, meta: SegmentMeta) {
        if let Role::Merging { local, .. } = &mut self.role {
            local.housekeeping(meta);
        }
        self.broadcast(|| ToWorker::Housekeeping(meta));
    }
}

/// A worker's way to the merge.
#[derive(Clone)]
enum ToMerge {
    /// When the reader's thread merges, it also feeds the workers, so a
    /// bounded channel could deadlock. This one holds at most the events of
    /// the frames the reader sent since it last drained it.
    Unbounded(Sender<(usize, FromWorker)>),
    /// A merging thread of its own can fall behind the workers (it is the
    /// slowest stage on many cores): workers then wait, so memory stays flat.
    Bounded(SyncSender<(usize, FromWorker)>),
}

impl ToMerge {
    /// Sends, waiting for room on a bounded channel; a merge that has gone
    /// (it failed) is reported by the run, so the message is dropped.
    fn send(&self, m: (usize, FromWorker)) {
        let _ = match self {
            ToMerge::Unbounded(tx) => tx.send(m).map_err(|_| ()),
            ToMerge::Bounded(tx) => tx.send(m).map_err(|_| ()),
        };
    }
}

/// A worker's channels: its input, the merger, and the two ways emptied
/// buffers come back.
struct WorkerIo {
    rx: Receiver<ToWorker>,
    out: ToMerge,
    /// Batches it emptied, back to the reader.
    emptied: Sender<Batch>,
    /// Event buffers the merger emptied, back to this worker.
    spares: Receiver<Vec<Tagged>>,
    me: usize,
    /// Reads the capture ahead while there is nothing else to do.
    ahead: Option<ReadAheadHandle>,
}

fn worker(name: Arc<str>, cfg: &EngineConfig, shards: usize, io: WorkerIo) {
    let WorkerIo {
        rx,
        out,
        emptied,
        spares,
        me,
        ahead,
    } = io;
    let mut shard = Shard::new(name, cfg, shards);
    let mut last = SegmentMeta {
        frame: 0,
        ts: Default::default(),
    };
    let send = |m: FromWorker| {
        out.send((me, m));
    };
    let mut idle_ns = cfg.stats.then_some(0u64);
    let mut ahead_ns = 0u64;
    loop {
        let msg = match rx.try_recv() {
            Ok(msg) => msg,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                // Nothing to do: the reader is behind. Take a read off its
                // hands, or wait (with --stats, the wait is counted).
                let t0 = idle_ns.map(|_| Instant::now());
                if ahead.as_ref().is_some_and(ReadAheadHandle::read_one) {
                    if let Some(t0) = t0 {
                        ahead_ns += t0.elapsed().as_nanos() as u64;
                    }
                    continue;
                }
                let Ok(msg) = rx.recv() else { break };
                if let (Some(ns), Some(t0)) = (&mut idle_ns, t0) {
                    *ns += t0.elapsed().as_nanos() as u64;
                }
                msg
            }
        };
        match msg {
            ToWorker::Batch(mut b) => {
                for p in &b.pkts {
                    let payload = b.payload(p);
                    let seg = match p.tcp {
                        Some(t) => Segment::Tcp(p.src, p.dst, TcpSegment { payload, ..t }),
                        None => Segment::Udp(p.src, p.dst, payload),
                    };
                    shard.packet(seg, p.meta);
                    last = p.meta;
                }
                // Its chunks go back to the reader now. A batch a giant
                // frame made larger is freed, not kept for the rest of the
                // run. The reader may have finished: then the batch is
                // simply freed.
                if b.clear() {
                    let _ = emptied.send(b);
                }
            }
            ToWorker::Secrets(text, source) => shard.secrets(&text, source, &cfg.keys),
            ToWorker::Housekeeping(meta) => shard.housekeeping(meta),
            ToWorker::Tick(f) => {
                // The merger's read events are dropped here, on the thread
                // that allocated them (`take_events` clears the spare). A
                // buffer a burst made large is freed rather than kept.
                let mut spare = spares.try_recv().unwrap_or_default();
                if spare.capacity() > SPARE_EVENTS_MAX {
                    spare = Vec::new();
                }
                send(FromWorker::Events(shard.take_events(spare), f));
            }
            ToWorker::End(meta) => {
                last = meta;
                break;
            }
        }
    }
    // With the events not yet taken at a tick.
    let (mut parts, events) = shard.finish(last);
    parts.stats.worker_idle_ns = idle_ns.unwrap_or(0);
    // Reading is reading, whichever thread does it.
    parts.stats.read_ns += ahead_ns;
    parts.stats.read_ahead_ns = ahead_ns;
    send(FromWorker::Done(Box::new(parts), events));
}

/// The merge, on the reader's thread or (from [`OWN_MERGER_FROM`] threads)
/// its own: feeds the analyzer in tag order as watermarks allow. Queue 0 is
/// the reader's own shard, queue `i + 1` worker `i`.
struct Merger<'p> {
    analyzer: Analyzer<'p>,
    collector: Collector,
    rx: Receiver<(usize, FromWorker)>,
    /// Emptied event buffers back to worker `i` (merge queue `i + 1`).
    spares: Vec<Sender<Vec<Tagged>>>,
    /// An emptied buffer of the reader's own shard, for its next tick.
    local_spare: Vec<Tagged>,
    queues: MergeQueues,
    /// Per queue: events up to this frame have all arrived.
    marks: Vec<u64>,
    /// The workers' results, as they finish.
    parts: Vec<Option<ShardParts>>,
    /// Time in analysis, with `--stats`.
    analysis_ns: Option<u64>,
}

impl<'p> Merger<'p> {
    /// Queues events of queue `q`, complete up to frame `mark`.
    fn push(&mut self, q: usize, events: Vec<Tagged>, mark: u64) {
        self.queues.push(q, events);
        if let Some(m) = self.marks.get_mut(q) {
            *m = (*m).max(mark);
        }
    }

    /// One message from a worker.
    fn take(&mut self, w: usize, msg: FromWorker) {
        match msg {
            FromWorker::Events(ev, f) => self.push(w + 1, ev, f),
            FromWorker::Done(p, ev) => {
                self.push(w + 1, ev, u64::MAX);
                if let Some(slot) = self.parts.get_mut(w) {
                    *slot = Some(*p);
                }
            }
        }
    }

    /// Waits up to `limit` for a worker's message, then takes whatever has
    /// come and releases what it can.
    fn wait_and_release(&mut self, limit: Duration) {
        if let Ok((w, msg)) = self.rx.recv_timeout(limit) {
            self.take(w, msg);
            self.poll();
            self.release();
        }
    }

    /// Whatever the workers have sent so far, without waiting.
    fn poll(&mut self) {
        while let Ok((w, msg)) = self.rx.try_recv() {
            self.take(w, msg);
        }
    }

    /// Feeds the analyzer every event all queues have passed, and hands the
    /// read buffers back to where they came from.
    fn release(&mut self) {
        let m = self.marks.iter().copied().min().unwrap_or(0);
        if self.queues.has_released(m) {
            self.feed(m);
        }
        for (q, buf) in self.queues.take_emptied() {
            // Back with its events: the shard that allocated them drops
            // them (see `merge_queue`). A worker that has finished no
            // longer receives; then they are dropped here.
            match q.checked_sub(1) {
                None => self.local_spare = buf,
                Some(w) => {
                    if let Some(tx) = self.spares.get(w) {
                        let _ = tx.send(buf);
                    }
                }
            }
        }
    }

    /// Feeds the analyzer the queued events up to frame `mark` in tag order
    /// (timed with `--stats`).
    fn feed(&mut self, mark: u64) {
        let t0 = self.analysis_ns.map(|_| Instant::now());
        let (analyzer, collector) = (&mut self.analyzer, &mut self.collector);
        self.queues
            .release(mark, |t| feed_one(analyzer, collector, t));
        collector.take(analyzer);
        if let (Some(ns), Some(t0)) = (&mut self.analysis_ns, t0) {
            *ns += t0.elapsed().as_nanos() as u64;
        }
    }

    /// End of capture: waits for every worker, releases everything and
    /// returns the analyzer, collector, workers' parts and analysis time.
    fn finish(mut self) -> (Analyzer<'p>, Collector, Vec<ShardParts>, u64) {
        while let Ok((w, msg)) = self.rx.recv() {
            self.take(w, msg);
            self.release();
        }
        // Anything left (a worker that died) still reaches the analyzer.
        self.feed(u64::MAX);
        let parts = self.parts.into_iter().flatten().collect();
        (
            self.analyzer,
            self.collector,
            parts,
            self.analysis_ns.unwrap_or(0),
        )
    }
}

/// Analyzes one capture over `threads` threads: this one reads (and, up
/// to 4 threads, runs a shard and merges; see [`Sharder`]), the others are
/// workers and, from [`OWN_MERGER_FROM`] threads, a merging thread.
pub(crate) fn analyze_sharded(
    path: &Path,
    src: &mut dyn FrameSource,
    cfg: &EngineConfig,
    threads: usize,
) -> CaptureResult {
    let wall = Instant::now();
    let name: Arc<str> = Arc::from(path.display().to_string());
    let own_merger = threads >= OWN_MERGER_FROM;
    let workers = if own_merger {
        threads - 2
    } else {
        threads.saturating_sub(1).max(1)
    };
    let local_buckets = if workers == 1 {
        cfg.reader_share
            .unwrap_or(LOCAL_BUCKETS_OF_TWO)
            .min(BUCKETS)
    } else {
        0
    };
    let (depth, tick_every) = cfg
        .hand_off
        .map_or((CHANNEL_DEPTH, TICK_EVERY), |(d, t)| (d.max(1), t.max(1)));
    let (out_tx, out_rx) = if own_merger {
        let (tx, rx) = sync_channel::<(usize, FromWorker)>(depth * workers);
        (ToMerge::Bounded(tx), rx)
    } else {
        let (tx, rx) = channel::<(usize, FromWorker)>();
        (ToMerge::Unbounded(tx), rx)
    };
    let ahead = src.read_ahead();
    let (summary, parts, stats, lost, analyzer, collector) = std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        // Unbounded, but at most the batches in flight are ever in it.
        let (emptied_tx, emptied) = channel::<Batch>();
        // Unbounded too, and likewise holds at most the buffers in flight.
        let mut spare_txs = Vec::new();
        for me in 0..workers {
            let (tx, rx) = sync_channel::<ToWorker>(depth);
            senders.push(tx);
            let (spare_tx, spares) = channel::<Vec<Tagged>>();
            spare_txs.push(spare_tx);
            let io = WorkerIo {
                rx,
                out: out_tx.clone(),
                emptied: emptied_tx.clone(),
                spares,
                me,
                ahead: ahead.clone(),
            };
            let name = name.clone();
            handles.push(scope.spawn(move || worker(name, cfg, threads, io)));
        }
        drop(emptied_tx);
        drop(out_tx);
        let mut merge = Box::new(Merger {
            analyzer: Analyzer::new(&cfg.providers, cfg.analysis.clone()),
            collector: Collector::default(),
            rx: out_rx,
            spares: spare_txs,
            local_spare: Vec::new(),
            queues: MergeQueues::new(workers + 1),
            marks: vec![0; workers + 1],
            parts: (0..workers).map(|_| None).collect(),
            analysis_ns: cfg.stats.then_some(0),
        });
        let (role, merging) = if own_merger {
            // Queue 0 (a local shard) stays empty and never holds the merge back.
            merge.marks[0] = u64::MAX;
            (Role::Reading, Some(scope.spawn(move || merge.finish())))
        } else {
            let local = Box::new(Shard::new(name.clone(), cfg, threads));
            (Role::Merging { local, merge }, None)
        };
        let mut sharder = Sharder {
            role,
            local_buckets,
            keys: &cfg.keys,
            batches: (0..workers).map(|_| Batch::new()).collect(),
            senders,
            emptied,
            frames: 0,
            tick_every,
            last: SegmentMeta {
                frame: 0,
                ts: Default::default(),
            },
            waited_ns: cfg.stats.then_some(0),
        };
        let (summary, last, stats) = read_capture(&name, src, cfg, &mut sharder);
        let last = if last.frame == 0 { sharder.last } else { last };
        sharder.broadcast(|| ToWorker::End(last));
        let Sharder {
            role, waited_ns, ..
        } = sharder;
        // Every worker stops at End; the merge ends when every worker has.
        let merged = match (role, merging) {
            (Role::Merging { local, mut merge }, _) => {
                // With the events not yet taken at a tick.
                let (local_parts, events) = local.finish(last);
                merge.push(0, events, u64::MAX);
                let (analyzer, collector, mut parts, ns) = merge.finish();
                parts.push(local_parts);
                Some((analyzer, collector, parts, ns))
            }
            (Role::Reading, Some(h)) => h.join().ok(),
            (Role::Reading, None) => None,
        };
        let mut lost = handles
            .into_iter()
            .map(|h| h.join())
            .filter(Result::is_err)
            .count();
        let (analyzer, collector, parts, analysis_ns) = merged.unwrap_or_else(|| {
            // The merging thread failed: everything it analyzed is lost.
            lost += 1;
            (
                Analyzer::new(&cfg.providers, cfg.analysis.clone()),
                Collector::default(),
                Vec::new(),
                0,
            )
        });
        let mut stats = stats;
        stats.analysis_ns = analysis_ns;
        stats.reader_waiting_ns = waited_ns.unwrap_or(0);
        stats.threads = threads as u64;
        if let Some(h) = &ahead {
            (stats.chunks, stats.chunks_read_ahead) = h.counts();
        }
        (summary, parts, stats, lost, analyzer, collector)
    });
    let mut summary = summary;
    if lost > 0 {
        summary.errors.push(format!(
            "{name}: {lost} worker thread(s) failed; their flows are missing"
        ));
        summary.unreadable = true;
    }
    let analysis: AnalysisOutput = analyzer.finish();
    finalize(summary, parts, collector, analysis, stats, wall)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddr};

    /// Flow hashes of `n` TLS connections from distinct client ports.
    fn hashes(n: u16) -> Vec<u64> {
        let server = SocketAddr::from((Ipv4Addr::new(134, 170, 96, 10), 5061));
        (0..n)
            .map(|i| {
                let client = SocketAddr::from((Ipv4Addr::new(203, 0, 113, 10), 20000 + i));
                Segment::Udp(client, server, &[]).flow_hash()
            })
            .collect()
    }

    #[test]
    fn two_threads_keep_about_a_fifth_of_the_flows_on_the_reader() {
        let hs = hashes(1200);
        let local = hs
            .iter()
            .filter(|&&h| route(h, LOCAL_BUCKETS_OF_TWO, 1).is_none())
            .count();
        // 6 of 32 buckets: 225 of 1200 expected.
        assert!((175..=275).contains(&local), "{local} of 1200 local");
        assert!(
            hs.iter()
                .all(|&h| route(h, LOCAL_BUCKETS_OF_TWO, 1) != Some(1))
        );
    }

    #[test]
    fn more_threads_give_every_flow_to_the_workers_evenly() {
        let hs = hashes(1200);
        let mut per = [0usize; 3];
        for &h in &hs {
            match route(h, 0, 3) {
                Some(w) => per[w] += 1,
                None => panic!("a flow stayed on the reader"),
            }
        }
        assert!(per.iter().all(|&n| (330..=470).contains(&n)), "{per:?}");
    }

    #[test]
    fn no_workers_keeps_everything_local() {
        assert!(hashes(50).iter().all(|&h| route(h, 0, 0).is_none()));
    }
}
