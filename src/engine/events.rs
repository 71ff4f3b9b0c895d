//! Analysis events as the application layer emits them, tagged with where in
//! the capture they arose, so one ordering feeds the analyzer whether the
//! capture was processed on one thread or sharded by flow over many.
//!
//! The tag is `(frame, phase, flow, seq)`: the frame being processed when the
//! event arose; phase 0 for events caused by that frame, phase 1 for
//! housekeeping after it (idle flush, end of capture), where events are
//! grouped by flow; and the emitting thread's own sequence number. Every frame
//! is processed by exactly one shard, so sorting by the tag gives the same
//! order for any number of shards.

use std::net::SocketAddr;
use std::sync::Arc;

use super::collect::Collector;
use super::result::{FlowRecord, SipEventRecord};
use crate::analysis::{Analyzer, FlowContext, SipEvent};
use crate::reassembly::{CloseReason, Direction, SegmentMeta};
use crate::sip::SipMessage;
use crate::tls::TlsStatus;

/// Something the analyzer must hear about.
#[derive(Debug)]
pub(crate) enum AnalysisEvent {
    /// A flow was first seen.
    FlowOpened(Arc<FlowContext>),
    /// A SIP message was parsed.
    Sip {
        /// Its flow (a snapshot: transport is final once bytes were seen).
        flow: Arc<FlowContext>,
        /// Direction.
        dir: Direction,
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// First byte's frame.
        first: SegmentMeta,
        /// Last byte's frame.
        last: SegmentMeta,
        /// The message.
        msg: Box<SipMessage>,
    },
    /// A TLS flow's handshake facts, at its end.
    Tls(Arc<FlowContext>, Box<TlsStatus>, SegmentMeta),
    /// A flow ended.
    FlowClosed(Arc<FlowContext>, CloseReason, SegmentMeta),
    /// A flow's report record (for the collector, not the analyzer).
    FlowRecord(Box<FlowRecord>),
    /// A SIP message's NDJSON record (for the collector, not the analyzer).
    SipRecord(Box<SipEventRecord>),
    /// A record already handed to the collector (what `feed` leaves behind).
    Taken,
}

/// An event with its ordering tag.
#[derive(Debug)]
pub(crate) struct Tagged {
    /// `(frame, phase, flow, seq)`, see the module doc.
    pub key: (u64, u8, u64, u64),
    /// The event.
    pub ev: AnalysisEvent,
}

/// Collects tagged events while frames are processed.
#[derive(Debug, Default)]
pub(crate) struct Emitter {
    frame: u64,
    phase: u8,
    seq: u64,
    /// Events not yet handed on.
    pub out: Vec<Tagged>,
}

impl Emitter {
    /// Events from now on arise from processing `frame`.
    pub fn processing(&mut self, frame: u64) {
        self.frame = frame;
        self.phase = 0;
    }

    /// Events from now on arise from housekeeping after `frame` (`u64::MAX`: end of capture).
    pub fn housekeeping(&mut self, frame: u64) {
        self.frame = frame;
        self.phase = 1;
    }

    /// Records an event of `flow_id`'s flow.
    pub fn emit(&mut self, flow_id: u64, ev: AnalysisEvent) {
        let flow = if self.phase == 0 { 0 } else { flow_id };
        self.seq += 1;
        self.out.push(Tagged {
            key: (self.frame, self.phase, flow, self.seq),
            ev,
        });
    }
}

/// Hands events to the analyzer and records to the collector, in the order
/// given, then spools what the analyzer has finished.
///
/// Events are read in place: only the records the collector keeps are moved
/// out (leaving [`AnalysisEvent::Taken`]). The rest, messages above all, are
/// dropped by whoever owns the buffer; for the sharded run that is the worker
/// that allocated them, so no thread frees another's memory (cross-thread
/// frees made the allocator collect remote free lists on every message).
pub(crate) fn feed<'t>(
    analyzer: &mut Analyzer<'_>,
    collector: &mut Collector,
    events: impl IntoIterator<Item = &'t mut Tagged>,
) {
    for t in events {
        feed_one(analyzer, collector, t);
    }
    collector.take(analyzer);
}

/// Hands one event on (see [`feed`]); the caller calls `Collector::take` after a run of them.
pub(crate) fn feed_one(analyzer: &mut Analyzer<'_>, collector: &mut Collector, t: &mut Tagged) {
    match &t.ev {
        AnalysisEvent::FlowOpened(f) => {
            collector.flow_opened(f.id.0);
            analyzer.flow_opened(f)
        }
        AnalysisEvent::FlowRecord(_) | AnalysisEvent::SipRecord(_) => {
            match std::mem::replace(&mut t.ev, AnalysisEvent::Taken) {
                AnalysisEvent::FlowRecord(r) => collector.flow(*r),
                AnalysisEvent::SipRecord(r) => collector.sip_event(*r),
                _ => {}
            }
        }
        AnalysisEvent::Sip {
            flow,
            dir,
            src,
            dst,
            first,
            last,
            msg,
        } => analyzer.sip(&SipEvent {
            flow,
            dir: *dir,
            src: *src,
            dst: *dst,
            first: *first,
            last: *last,
            msg,
        }),
        AnalysisEvent::Tls(f, status, meta) => analyzer.tls_status(f, status, *meta),
        AnalysisEvent::FlowClosed(f, reason, meta) => {
            analyzer.flow_closed(f, *reason, *meta);
            if *reason != CloseReason::EndOfCapture {
                collector.flow_closed(f.id.0, &f.capture);
            }
        }
        AnalysisEvent::Taken => {}
    }
}
