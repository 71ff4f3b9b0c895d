//! Minimal packetiser for the TLS samples: Ethernet/IPv4/TCP frames for one
//! conversation (handshake, data with peer ACKs, optional dropped segment,
//! FIN close) and pcap / pcapng writers (pcapng with a Decryption Secrets
//! Block). Local to the examples so they do not wait on `fedscope::synth`.

use std::io::{self, Write};
use std::net::Ipv4Addr;

/// One captured frame: timestamp in microseconds since the epoch and bytes.
pub type Frame = (u64, Vec<u8>);

/// Maximum TCP payload per segment.
pub const MSS: usize = 1460;

/// One TCP conversation between a client and a server, emitting frames.
pub struct TcpConv {
    client: (Ipv4Addr, u16),
    server: (Ipv4Addr, u16),
    client_seq: u32,
    server_seq: u32,
    /// Current capture time in microseconds.
    pub now_us: u64,
    ip_id: u16,
}

const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_PSH: u8 = 0x08;
const TCP_ACK: u8 = 0x10;

impl TcpConv {
    /// A conversation starting at `start_us` with fixed initial sequence numbers.
    pub fn new(client: (Ipv4Addr, u16), server: (Ipv4Addr, u16), start_us: u64) -> Self {
        let isn = u32::from(client.1).wrapping_mul(2_654_435_761);
        TcpConv {
            client,
            server,
            client_seq: isn,
            server_seq: isn.rotate_left(13) ^ 0x5a5a_5a5a,
            now_us: start_us,
            ip_id: client.1,
        }
    }

    fn frame(&mut self, from_client: bool, flags: u8, payload: &[u8]) -> Frame {
        let (src, dst) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let (seq, ack) = if from_client {
            (self.client_seq, self.server_seq)
        } else {
            (self.server_seq, self.client_seq)
        };
        self.ip_id = self.ip_id.wrapping_add(1);
        let f = build_frame(src, dst, seq, ack, flags, self.ip_id, payload);
        (self.now_us, f)
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self, out: &mut Vec<Frame>) {
        out.push(self.frame(true, TCP_SYN, &[]));
        self.client_seq = self.client_seq.wrapping_add(1);
        self.now_us += 20_000;
        out.push(self.frame(false, TCP_SYN | TCP_ACK, &[]));
        self.server_seq = self.server_seq.wrapping_add(1);
        self.now_us += 20_000;
        out.push(self.frame(true, TCP_ACK, &[]));
        self.now_us += 1_000;
    }

    /// Sends `data` in MSS-sized segments, then a pure ACK from the peer.
    /// Segment number `drop` (0-based within this chunk), if any, is left out
    /// of the capture (the endpoints still received it: capture loss).
    pub fn send(
        &mut self,
        from_client: bool,
        data: &[u8],
        drop: Option<usize>,
        out: &mut Vec<Frame>,
    ) {
        for (i, seg) in data.chunks(MSS).enumerate() {
            let f = self.frame(from_client, TCP_ACK | TCP_PSH, seg);
            if drop != Some(i) {
                out.push(f);
            }
            if from_client {
                self.client_seq = self.client_seq.wrapping_add(seg.len() as u32);
            } else {
                self.server_seq = self.server_seq.wrapping_add(seg.len() as u32);
            }
            self.now_us += 150;
        }
        self.now_us += 800;
        out.push(self.frame(!from_client, TCP_ACK, &[]));
        self.now_us += 5_000;
    }

    /// FIN from the client, FIN-ACK from the server, final ACK.
    pub fn close(&mut self, out: &mut Vec<Frame>) {
        out.push(self.frame(true, TCP_FIN | TCP_ACK, &[]));
        self.client_seq = self.client_seq.wrapping_add(1);
        self.now_us += 1_000;
        out.push(self.frame(false, TCP_FIN | TCP_ACK, &[]));
        self.server_seq = self.server_seq.wrapping_add(1);
        self.now_us += 1_000;
        out.push(self.frame(true, TCP_ACK, &[]));
        self.now_us += 1_000;
    }
}

fn checksum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut it = data.chunks_exact(2);
    for c in &mut it {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = it.remainder() {
        sum += u32::from(*b) << 8;
    }
    sum
}

fn checksum_fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Builds an Ethernet II / IPv4 / TCP frame with valid checksums.
pub fn build_frame(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    ip_id: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 20 + 20 + payload.len());
    // Ethernet: fixed MACs per side.
    let mac = |ip: Ipv4Addr| {
        let o = ip.octets();
        [0x02, 0x00, o[0], o[1], o[2], o[3]]
    };
    f.extend_from_slice(&mac(dst.0));
    f.extend_from_slice(&mac(src.0));
    f.extend_from_slice(&[0x08, 0x00]);
    // IPv4
    let total = (20 + 20 + payload.len()) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[4..6].copy_from_slice(&ip_id.to_be_bytes());
    ip[6] = 0x40; // DF
    ip[8] = 64;
    ip[9] = 6;
    ip[12..16].copy_from_slice(&src.0.octets());
    ip[16..20].copy_from_slice(&dst.0.octets());
    let c = checksum_fold(checksum_add(0, &ip));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    // TCP
    let mut tcp = [0u8; 20];
    tcp[0..2].copy_from_slice(&src.1.to_be_bytes());
    tcp[2..4].copy_from_slice(&dst.1.to_be_bytes());
    tcp[4..8].copy_from_slice(&seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&ack.to_be_bytes());
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp[14..16].copy_from_slice(&64240u16.to_be_bytes());
    let mut pseudo = [0u8; 12];
    pseudo[0..4].copy_from_slice(&src.0.octets());
    pseudo[4..8].copy_from_slice(&dst.0.octets());
    pseudo[9] = 6;
    pseudo[10..12].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    let sum = checksum_add(checksum_add(checksum_add(0, &pseudo), &tcp), payload);
    tcp[16..18].copy_from_slice(&checksum_fold(sum).to_be_bytes());
    f.extend_from_slice(&tcp);
    f.extend_from_slice(payload);
    f
}

/// Streaming classic pcap writer (microsecond timestamps, Ethernet).
pub struct PcapOut<W: Write> {
    w: W,
}

impl<W: Write> PcapOut<W> {
    /// Writes the global header.
    pub fn new(mut w: W) -> io::Result<Self> {
        w.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        w.write_all(&2u16.to_le_bytes())?;
        w.write_all(&4u16.to_le_bytes())?;
        w.write_all(&0i32.to_le_bytes())?;
        w.write_all(&0u32.to_le_bytes())?;
        w.write_all(&65535u32.to_le_bytes())?;
        w.write_all(&1u32.to_le_bytes())?;
        Ok(PcapOut { w })
    }

    /// Appends one frame.
    pub fn frame(&mut self, ts_us: u64, data: &[u8]) -> io::Result<()> {
        self.w
            .write_all(&((ts_us / 1_000_000) as u32).to_le_bytes())?;
        self.w
            .write_all(&((ts_us % 1_000_000) as u32).to_le_bytes())?;
        self.w.write_all(&(data.len() as u32).to_le_bytes())?;
        self.w.write_all(&(data.len() as u32).to_le_bytes())?;
        self.w.write_all(data)
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Writes frames to a classic pcap file.
pub fn write_pcap(path: &std::path::Path, frames: &[Frame]) -> io::Result<()> {
    let mut p = PcapOut::new(io::BufWriter::new(std::fs::File::create(path)?))?;
    for (ts, f) in frames {
        p.frame(*ts, f)?;
    }
    p.finish().map(|_| ())
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

fn block(w: &mut impl Write, kind: u32, body: &[u8]) -> io::Result<()> {
    let len = (12 + body.len()) as u32;
    w.write_all(&kind.to_le_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(body)?;
    w.write_all(&len.to_le_bytes())
}

/// Writes frames to a pcapng file (one Ethernet interface, microseconds),
/// with an optional NSS key log embedded as a Decryption Secrets Block
/// before the first packet.
pub fn write_pcapng(
    path: &std::path::Path,
    frames: &[Frame],
    keylog: Option<&[u8]>,
) -> io::Result<()> {
    let mut w = io::BufWriter::new(std::fs::File::create(path)?);
    // Section Header Block.
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut w, 0x0a0d_0d0a, &shb)?;
    // Interface Description Block: Ethernet, snaplen 0 (no limit).
    let mut idb = Vec::new();
    idb.extend_from_slice(&1u16.to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&0u32.to_le_bytes());
    block(&mut w, 1, &idb)?;
    if let Some(secrets) = keylog {
        let mut dsb = Vec::new();
        dsb.extend_from_slice(&0x544c_534bu32.to_le_bytes()); // "TLSK"
        dsb.extend_from_slice(&(secrets.len() as u32).to_le_bytes());
        dsb.extend_from_slice(secrets);
        pad4(&mut dsb);
        block(&mut w, 0x0000_000a, &dsb)?;
    }
    for (ts, f) in frames {
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(*ts as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(f);
        pad4(&mut epb);
        block(&mut w, 6, &epb)?;
    }
    w.flush()
}
