//! Reassembler behaviour on hand-made segment sequences: ordering,
//! retransmission, overlap, wrap-around, mid-connection starts, gaps, caps,
//! FIN/RST lifecycle, port reuse and idle flushing.

use std::net::SocketAddr;
use std::time::Duration;

use super::*;
use crate::decode::{TcpFlags, TcpSegment};

/// Everything the sink was told, in order.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Ev {
    Open(u64, SocketAddr, bool),
    Data(u64, Direction, Vec<u8>, u64),
    Gap(u64, Direction, u64),
    Close(u64, CloseReason),
}

#[derive(Default)]
struct Rec(Vec<Ev>);

impl StreamSink for Rec {
    fn flow_opened(&mut self, info: &FlowInfo) {
        self.0.push(Ev::Open(info.id.0, info.client, info.saw_syn));
    }
    fn data(&mut self, flow: FlowId, dir: Direction, data: &[u8], meta: SegmentMeta) {
        self.0
            .push(Ev::Data(flow.0, dir, data.to_vec(), meta.frame));
    }
    fn gap(&mut self, flow: FlowId, dir: Direction, len: u64, _meta: SegmentMeta) {
        self.0.push(Ev::Gap(flow.0, dir, len));
    }
    fn flow_closed(&mut self, flow: FlowId, reason: CloseReason, _meta: SegmentMeta) {
        self.0.push(Ev::Close(flow.0, reason));
    }
}

impl Rec {
    /// The bytes delivered in `dir`, concatenated, with gaps as `#`.
    fn stream(&self, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.0 {
            match e {
                Ev::Data(_, d, b, _) if *d == dir => out.extend_from_slice(b),
                Ev::Gap(_, d, n) if *d == dir => out.extend(std::iter::repeat_n(b'#', *n as usize)),
                _ => {}
            }
        }
        out
    }
}

const C: &str = "203.0.113.10:50123";
const S: &str = "134.170.96.10:5061";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

/// A test driver: frame numbers count up, one second apart.
struct Drive {
    r: TcpReassembler,
    sink: Rec,
    frame: u64,
}

impl Drive {
    fn new() -> Self {
        Self::with(ReassemblyConfig::default())
    }
    fn with(cfg: ReassemblyConfig) -> Self {
        Drive {
            r: TcpReassembler::new(cfg),
            sink: Rec::default(),
            frame: 0,
        }
    }
    fn meta(&self) -> SegmentMeta {
        SegmentMeta {
            frame: self.frame,
            ts: crate::time::Timestamp::from_secs_nanos(1_000 + self.frame as i64, 0),
        }
    }
    fn seg(&mut self, from: &str, to: &str, flags: &str, seq: u32, ack: u32, payload: &[u8]) {
        self.frame += 1;
        let (src, dst) = (addr(from), addr(to));
        let seg = TcpSegment {
            src_port: src.port(),
            dst_port: dst.port(),
            seq,
            ack,
            flags: TcpFlags {
                syn: flags.contains('S'),
                ack: flags.contains('A'),
                fin: flags.contains('F'),
                rst: flags.contains('R'),
                psh: flags.contains('P'),
            },
            payload,
        };
        let meta = self.meta();
        self.r.segment(src, dst, &seg, meta, &mut self.sink);
    }
    fn handshake(&mut self, cisn: u32, sisn: u32) {
        self.seg(C, S, "S", cisn, 0, b"");
        self.seg(S, C, "SA", sisn, cisn.wrapping_add(1), b"");
        self.seg(C, S, "A", cisn.wrapping_add(1), sisn.wrapping_add(1), b"");
    }
    fn finish(&mut self) {
        let meta = self.meta();
        self.r.finish(meta, &mut self.sink);
    }
}

#[test]
fn in_order_both_directions_with_fin_close() {
    let mut d = Drive::new();
    d.handshake(1000, 5000);
    d.seg(C, S, "PA", 1001, 5001, b"hello ");
    d.seg(S, C, "PA", 5001, 1007, b"world");
    d.seg(C, S, "PA", 1007, 5006, b"again");
    d.seg(C, S, "FA", 1012, 5006, b"");
    d.seg(S, C, "FA", 5006, 1013, b"");
    assert_eq!(d.sink.stream(Direction::ToServer), b"hello again");
    assert_eq!(d.sink.stream(Direction::ToClient), b"world");
    assert_eq!(d.sink.0[0], Ev::Open(1, addr(C), true));
    assert_eq!(d.sink.0.last(), Some(&Ev::Close(1, CloseReason::Fin)));
    // Data carries the frame that brought it.
    assert!(
        d.sink
            .0
            .contains(&Ev::Data(1, Direction::ToClient, b"world".to_vec(), 5))
    );
    // The last ACK after both FINs opens nothing.
    d.seg(C, S, "A", 1013, 5007, b"");
    d.finish();
    assert_eq!(d.r.stats().flows, 1);
    assert_eq!(d.r.stats().bytes_delivered, 16);
    assert_eq!(d.r.stats().gaps, 0);
}

#[test]
fn reordering_retransmission_and_overlap_deliver_each_byte_once() {
    let mut d = Drive::new();
    d.handshake(1000, 5000);
    d.seg(C, S, "PA", 1011, 5001, b"KLMNOPQRST"); // ahead
    d.seg(C, S, "PA", 1001, 5001, b"ABCDEFGHIJ"); // fills the hole
    d.seg(C, S, "PA", 1001, 5001, b"ABCDEFGHIJ"); // retransmission
    d.seg(C, S, "PA", 1016, 5001, b"pqrstUVWXY"); // overlaps: first copy wins
    d.seg(C, S, "PA", 1031, 5001, b"efgh"); // ahead
    d.seg(C, S, "PA", 1026, 5001, b"ZabcdEFGH"); // fills and overlaps the buffered piece
    d.finish();
    assert_eq!(
        d.sink.stream(Direction::ToServer),
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh"
    );
    let st = d.r.stats();
    assert_eq!(st.bytes_delivered, 34);
    assert_eq!(st.bytes_retransmitted, 10 + 5 + 4);
    assert_eq!(st.gaps, 0);
    assert_eq!(
        d.sink.0.last(),
        Some(&Ev::Close(1, CloseReason::EndOfCapture))
    );
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut d = Drive::new();
    let isn = u32::MAX - 4;
    d.handshake(isn, 7);
    d.seg(C, S, "PA", isn.wrapping_add(1), 8, b"0123");
    d.seg(C, S, "PA", isn.wrapping_add(9), 8, b"89ab"); // after the wrap, ahead
    d.seg(C, S, "PA", isn.wrapping_add(5), 8, b"4567"); // spans the wrap
    d.finish();
    assert_eq!(d.sink.stream(Direction::ToServer), b"0123456789ab");
    assert_eq!(d.r.stats().gaps, 0);
}

#[test]
fn mid_connection_start_picks_the_service_port_as_server() {
    let mut d = Drive::new();
    d.seg(S, C, "PA", 9_000, 100, b"SIP/2.0 200 OK\r\n");
    d.seg(C, S, "PA", 100, 9_016, b"ACK sip:x SIP/2.0\r\n");
    d.finish();
    assert_eq!(d.sink.0[0], Ev::Open(1, addr(C), false));
    assert_eq!(d.sink.stream(Direction::ToClient), b"SIP/2.0 200 OK\r\n");
    assert_eq!(d.sink.stream(Direction::ToServer), b"ACK sip:x SIP/2.0\r\n");
}

#[test]
fn syn_ack_without_syn_makes_the_receiver_the_client() {
    let mut d = Drive::new();
    d.seg(S, C, "SA", 5000, 1001, b"");
    d.seg(C, S, "PA", 1001, 5001, b"x");
    d.finish();
    assert_eq!(d.sink.0[0], Ev::Open(1, addr(C), true));
    assert_eq!(d.sink.stream(Direction::ToServer), b"x");
}

#[test]
fn a_lost_segment_is_a_gap_and_delivery_resumes_after_it() {
    let mut d = Drive::new();
    d.handshake(0, 0);
    d.seg(C, S, "PA", 1, 1, b"aaaa");
    // 1..5 delivered, 5..9 lost, 9..13 arrives.
    d.seg(C, S, "PA", 9, 1, b"cccc");
    assert_eq!(d.sink.stream(Direction::ToServer), b"aaaa");
    // The server acknowledges past the hole: stop waiting.
    d.seg(S, C, "A", 1, 13, b"");
    assert_eq!(d.sink.stream(Direction::ToServer), b"aaaa####cccc");
    d.seg(C, S, "PA", 13, 1, b"dd");
    // The lost bytes arriving late are counted as dropped, not delivered.
    d.seg(C, S, "PA", 5, 1, b"bbbb");
    d.finish();
    assert_eq!(d.sink.stream(Direction::ToServer), b"aaaa####ccccdd");
    let st = d.r.stats();
    assert_eq!((st.gaps, st.gap_bytes, st.ooo_bytes_dropped), (1, 4, 4));
}

#[test]
fn holes_left_at_fin_or_end_of_capture_become_gaps() {
    let mut d = Drive::new();
    d.handshake(0, 0);
    d.seg(C, S, "PA", 1, 1, b"ab");
    d.seg(C, S, "PA", 5, 1, b"ef");
    d.seg(C, S, "FA", 7, 1, b"");
    d.seg(S, C, "FA", 1, 8, b"");
    assert_eq!(d.sink.stream(Direction::ToServer), b"ab##ef");
    assert_eq!(d.sink.0.last(), Some(&Ev::Close(1, CloseReason::Fin)));

    // Bytes acknowledged but never captured at the end are reported too.
    let mut e = Drive::new();
    e.handshake(0, 0);
    e.seg(C, S, "PA", 1, 1, b"ab");
    e.seg(S, C, "A", 1, 9, b"");
    e.finish();
    assert_eq!(e.sink.stream(Direction::ToServer), b"ab######");
    assert_eq!(e.r.stats().gap_bytes, 6);
}

#[test]
fn rst_closes_and_late_segments_open_nothing() {
    let mut d = Drive::new();
    d.handshake(0, 0);
    d.seg(C, S, "PA", 1, 1, b"hi");
    d.seg(S, C, "RA", 1, 3, b"");
    assert_eq!(d.sink.0.last(), Some(&Ev::Close(1, CloseReason::Rst)));
    d.seg(C, S, "PA", 1, 1, b"hi"); // retransmission after the reset
    d.finish();
    assert_eq!(d.r.stats().flows, 1);
    assert_eq!(d.r.stats().bytes_retransmitted, 2);
}

#[test]
fn port_reuse_starts_a_new_flow() {
    let mut d = Drive::new();
    d.handshake(100, 200);
    d.seg(C, S, "PA", 101, 201, b"first");
    d.seg(C, S, "FA", 106, 201, b"");
    d.seg(S, C, "FA", 201, 107, b"");
    d.seg(C, S, "A", 107, 202, b"");
    // Same ports, new ISN.
    d.handshake(90_000, 80_000);
    d.seg(C, S, "PA", 90_001, 80_001, b"second");
    // And a new ISN while the old one never closed.
    d.handshake(500_000, 600_000);
    d.seg(C, S, "PA", 500_001, 600_001, b"third");
    d.finish();
    let opens: Vec<u64> = d
        .sink
        .0
        .iter()
        .filter_map(|e| {
            if let Ev::Open(id, ..) = e {
                Some(*id)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(opens, vec![1, 8, 12]);
    assert!(d.sink.0.contains(&Ev::Close(8, CloseReason::Reused)));
    assert!(
        d.sink
            .0
            .contains(&Ev::Data(12, Direction::ToServer, b"third".to_vec(), 15))
    );
    assert_eq!(d.r.stats().flows, 3);
}

#[test]
fn out_of_order_caps_force_gaps_and_bound_memory() {
    let mut d = Drive::with(ReassemblyConfig {
        max_ooo_per_flow: 10,
        max_ooo_total: 15,
        idle_timeout: Duration::from_secs(600),
    });
    d.handshake(0, 0);
    // The first byte never arrives; 12 bytes ahead exceed the per-flow cap.
    d.seg(C, S, "PA", 2, 1, b"bcdef");
    d.seg(C, S, "PA", 8, 1, b"hijklmn");
    assert_eq!(d.sink.stream(Direction::ToServer), b"#bcdef");
    assert!(d.r.ooo_total <= 10);
    d.finish();
    assert_eq!(d.sink.stream(Direction::ToServer), b"#bcdef#hijklmn");
    assert_eq!(d.r.stats().gaps, 2);
    assert_eq!(d.r.ooo_total, 0);
}

#[test]
fn idle_flows_are_flushed_in_flow_order() {
    let mut d = Drive::with(ReassemblyConfig {
        idle_timeout: Duration::from_secs(5),
        ..ReassemblyConfig::default()
    });
    d.seg("10.0.0.2:40000", S, "PA", 1, 1, b"b");
    d.seg("10.0.0.1:40000", S, "PA", 1, 1, b"a");
    d.frame = 100;
    let meta = d.meta();
    d.r.flush_idle(meta, &mut d.sink);
    let closes: Vec<&Ev> = d
        .sink
        .0
        .iter()
        .filter(|e| matches!(e, Ev::Close(..)))
        .collect();
    assert_eq!(
        closes,
        vec![
            &Ev::Close(1, CloseReason::Idle),
            &Ev::Close(2, CloseReason::Idle)
        ]
    );
    assert_eq!(d.r.open_flows(), 0);
}

#[test]
fn bare_acks_and_resets_of_unknown_flows_open_nothing() {
    let mut d = Drive::new();
    d.seg(C, S, "A", 1, 1, b"");
    d.seg(C, S, "R", 1, 1, b"");
    d.finish();
    assert!(d.sink.0.is_empty());
}
