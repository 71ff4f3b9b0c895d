//! One large capture on every core: the reader (capture + decode) shards
//! frames by flow hash to worker threads (reassembly, TLS, SIP), and a merger
//! thread feeds the analyzer in the same order a single thread would (see
//! `events`). Channels are bounded, so memory stays flat.
//!
//! Watermarks: every so often the reader sends `Tick(F)` to all workers after
//! dispatching every frame up to F; a worker forwards it with the events of
//! those frames, in one message, already in tag order. Events up to the
//! smallest forwarded tick are then complete and are released in tag order
//! by merging the workers' queues (see `merge_queue`).

use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::Instant;

use crate::analysis::{AnalysisOutput, Analyzer};
use crate::capture::{FrameSource, SharedChunk};
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

/// The reader's side: batches per worker.
struct Sharder {
    senders: Vec<SyncSender<ToWorker>>,
    batches: Vec<Batch>,
    /// Batches the workers have emptied, to be filled again: a fresh 200 KB
    /// batch per flush cost the reader an allocation, page faults and a
    /// cross-thread free.
    emptied: Receiver<Batch>,
    frames: u64,
    last: SegmentMeta,
}

impl Sharder {
    /// An emptied batch back from a worker, or a new one.
    fn fresh(&self) -> Batch {
        self.emptied.try_recv().unwrap_or_else(|_| Batch::new())
    }

    fn send(&mut self, w: usize, msg: ToWorker) {
        // A worker that died has already lost its results; the merger reports it.
        let _ = self.senders[w].send(msg);
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
}

impl Dispatch for Sharder {
    fn segment(&mut self, seg: Segment<'_>, meta: SegmentMeta, chunk: Option<&SharedChunk>) {
        let w = (seg.flow_hash() % self.senders.len() as u64) as usize;
        let b = &mut self.batches[w];
        let (src, dst, tcp, payload) = match seg {
            Segment::Tcp(s, d, t) => (s, d, Some(TcpSegment { payload: &[], ..t }), t.payload),
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
        self.frames += 1;
        self.last = meta;
        if self.frames.is_multiple_of(TICK_EVERY) {
            let f = meta.frame;
            self.broadcast(|| ToWorker::Tick(f));
        }
    }

    fn secrets(&mut self, text: &[u8], source: KeySource) {
        let text = Arc::new(text.to_vec());
        self.broadcast(|| ToWorker::Secrets(text.clone(), source));
    }

    fn housekeeping(&mut self, meta: SegmentMeta) {
        self.broadcast(|| ToWorker::Housekeeping(meta));
    }
}

/// A worker's channels: its input, the merger, and the two ways emptied
/// buffers come back.
struct WorkerIo {
    rx: Receiver<ToWorker>,
    out: SyncSender<(usize, FromWorker)>,
    /// Batches it emptied, back to the reader.
    emptied: Sender<Batch>,
    /// Event buffers the merger emptied, back to this worker.
    spares: Receiver<Vec<Tagged>>,
    me: usize,
}

fn worker(name: Arc<str>, cfg: &EngineConfig, shards: usize, io: WorkerIo) {
    let WorkerIo {
        rx,
        out,
        emptied,
        spares,
        me,
    } = io;
    let mut shard = Shard::new(name, cfg, shards);
    let mut last = SegmentMeta {
        frame: 0,
        ts: Default::default(),
    };
    let send = |m: FromWorker| {
        let _ = out.send((me, m));
    };
    for msg in rx {
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
    let pending = shard.take_events(Vec::new());
    if !pending.is_empty() {
        send(FromWorker::Events(pending, 0));
    }
    let (parts, events) = shard.finish(last);
    send(FromWorker::Done(Box::new(parts), events));
}

/// Feeds the analyzer in tag order as watermarks allow; returns the shards'
/// parts and the time spent in analysis (with `timed`).
fn merger(
    analyzer: &mut Analyzer<'_>,
    collector: &mut Collector,
    rx: Receiver<(usize, FromWorker)>,
    spares: Vec<Sender<Vec<Tagged>>>,
    timed: bool,
) -> (Vec<ShardParts>, u64) {
    let shards = spares.len();
    let mut analysis_ns = 0u64;
    let mut queues = MergeQueues::new(shards);
    let mut marks = vec![0u64; shards];
    let mut parts: Vec<Option<ShardParts>> = (0..shards).map(|_| None).collect();
    for (w, msg) in rx {
        match msg {
            FromWorker::Events(ev, f) => {
                queues.push(w, ev);
                if let Some(m) = marks.get_mut(w) {
                    *m = (*m).max(f);
                }
            }
            FromWorker::Done(p, ev) => {
                queues.push(w, ev);
                if let Some(m) = marks.get_mut(w) {
                    *m = u64::MAX;
                }
                if let Some(slot) = parts.get_mut(w) {
                    *slot = Some(*p);
                }
            }
        }
        let m = marks.iter().copied().min().unwrap_or(0);
        if queues.has_released(m) {
            let t0 = timed.then(Instant::now);
            queues.release(m, |t| feed_one(analyzer, collector, t));
            collector.take(analyzer);
            if let Some(t0) = t0 {
                analysis_ns += t0.elapsed().as_nanos() as u64;
            }
        }
        for (w, buf) in queues.take_emptied() {
            // Back with its events: the worker drops them (see
            // `merge_queue`). A worker that has finished no longer receives;
            // then they are dropped here.
            if let Some(tx) = spares.get(w) {
                let _ = tx.send(buf);
            }
        }
    }
    // Anything left (a worker that died) still reaches the analyzer.
    queues.release_all(|t| feed_one(analyzer, collector, t));
    collector.take(analyzer);
    (parts.into_iter().flatten().collect(), analysis_ns)
}

/// Analyzes one capture with its flows sharded over `shards` worker threads.
pub(crate) fn analyze_sharded(
    path: &Path,
    src: &mut dyn FrameSource,
    cfg: &EngineConfig,
    shards: usize,
) -> CaptureResult {
    let wall = Instant::now();
    let name: Arc<str> = Arc::from(path.display().to_string());
    let (out_tx, out_rx) = sync_channel::<(usize, FromWorker)>(CHANNEL_DEPTH * shards);
    let mut analyzer = Analyzer::new(&cfg.providers, cfg.analysis.clone());
    let mut collector = Collector::default();
    let (summary, parts, stats, lost) = std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        // Unbounded, but at most the batches in flight are ever in it.
        let (emptied_tx, emptied) = channel::<Batch>();
        // Unbounded too, and likewise holds at most the buffers in flight.
        let mut spare_txs = Vec::new();
        for me in 0..shards {
            let (tx, rx) = sync_channel::<ToWorker>(CHANNEL_DEPTH);
            senders.push(tx);
            let (spare_tx, spares) = channel::<Vec<Tagged>>();
            spare_txs.push(spare_tx);
            let io = WorkerIo {
                rx,
                out: out_tx.clone(),
                emptied: emptied_tx.clone(),
                spares,
                me,
            };
            let name = name.clone();
            handles.push(scope.spawn(move || worker(name, cfg, shards, io)));
        }
        drop(emptied_tx);
        drop(out_tx);
        let merged =
            scope.spawn(|| merger(&mut analyzer, &mut collector, out_rx, spare_txs, cfg.stats));
        let mut sharder = Sharder {
            batches: (0..shards).map(|_| Batch::new()).collect(),
            senders,
            emptied,
            frames: 0,
            last: SegmentMeta {
                frame: 0,
                ts: Default::default(),
            },
        };
        let (summary, last, stats) = read_capture(&name, src, cfg, &mut sharder);
        let last = if last.frame == 0 { sharder.last } else { last };
        sharder.broadcast(|| ToWorker::End(last));
        drop(sharder);
        let lost = handles
            .into_iter()
            .map(|h| h.join())
            .filter(Result::is_err)
            .count();
        let (parts, analysis_ns) = merged.join().unwrap_or_default();
        let mut stats = stats;
        stats.analysis_ns = analysis_ns;
        (summary, parts, stats, lost)
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
