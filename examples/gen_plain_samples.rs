//! Generates the plaintext samples under `samples/` (deterministic, byte for
//! byte): `cargo run --example gen_plain_samples -- samples/`.
//!
//! - `federation-plain.pcap`: Edge <-> MSN (the Edge connects out to 5061)
//!   and AOL <-> Edge (AOL connects in to the Edge's 5061), each the
//!   16-message federation script (IM session, presence, BENOTIFY), CRLFCRLF
//!   keep-alives, plus SIP over UDP 5060 (OPTIONS/200, MESSAGE/200).
//! - `federation-plain-ns-be.pcap`: the same, nanosecond big-endian pcap.
//! - `federation-plain.pcap.gz`: the same, gzip-compressed.
//! - `federation-impaired.pcapng`: an Ethernet interface with an 802.1Q
//!   tagged Yahoo connection whose client ISN wraps past 0xFFFFFFFF, with
//!   reordering, retransmissions, an overlapping segment, a message spread over
//!   many small segments and several messages in one segment; and a Linux SLL
//!   interface carrying an MSN connection.
//! - `two-interfaces.pcapng`: Ethernet (µs, if_tsresol 6) and raw IPv4
//!   (ns, if_tsresol 9), one AOL connection on each.
//!
//! The SIP is the Lync-style federation script of the TLS samples
//! (`examples/tls_samples/sip.rs`).

#[path = "tls_samples/sip.rs"]
#[allow(dead_code)]
mod sip;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::Path;

/// Link-layer framing of a frame.
#[derive(Clone, Copy, Debug)]
enum Link {
    Ethernet,
    Vlan(u16),
    Sll,
    Raw,
}

impl Link {
    fn dlt(self) -> u32 {
        match self {
            Link::Ethernet | Link::Vlan(_) => 1,
            Link::Sll => 113,
            Link::Raw => 101,
        }
    }

    fn wrap(self, ip: &[u8]) -> Vec<u8> {
        let mut f = Vec::with_capacity(ip.len() + 20);
        match self {
            Link::Ethernet => {
                f.extend_from_slice(&[
                    0x00, 0x15, 0x5d, 0x01, 0x02, 0x03, 0x00, 0x15, 0x5d, 0x0a, 0x0b, 0x0c,
                ]);
                f.extend_from_slice(&[0x08, 0x00]);
            }
            Link::Vlan(id) => {
                f.extend_from_slice(&[
                    0x00, 0x15, 0x5d, 0x01, 0x02, 0x03, 0x00, 0x15, 0x5d, 0x0a, 0x0b, 0x0c,
                ]);
                f.extend_from_slice(&[0x81, 0x00]);
                f.extend_from_slice(&(id & 0x0fff).to_be_bytes());
                f.extend_from_slice(&[0x08, 0x00]);
            }
            Link::Sll => {
                // packet type 0 (to us), ARPHRD_ETHER, address length 6, address, protocol.
                f.extend_from_slice(&[
                    0, 0, 0, 1, 0, 6, 0x00, 0x15, 0x5d, 0x0a, 0x0b, 0x0c, 0, 0, 0x08, 0x00,
                ]);
            }
            Link::Raw => {}
        }
        f.extend_from_slice(ip);
        f
    }
}

fn checksum(mut sum: u32, data: &[u8]) -> u32 {
    let mut it = data.chunks_exact(2);
    for c in &mut it {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = it.remainder() {
        sum += u32::from(*b) << 8;
    }
    sum
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 packet carrying `l4` (a TCP or UDP header + payload) with valid checksums.
fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, id: u16, mut l4: Vec<u8>) -> Vec<u8> {
    let mut pseudo = checksum(0, &src.octets());
    pseudo = checksum(pseudo, &dst.octets());
    pseudo += u32::from(proto) + l4.len() as u32;
    let ck = fold(checksum(pseudo, &l4));
    let at = if proto == 6 { 16 } else { 6 };
    l4[at..at + 2].copy_from_slice(&ck.to_be_bytes());
    let total = (20 + l4.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&id.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0, 64, proto, 0, 0]);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let hck = fold(checksum(0, &ip));
    ip[10..12].copy_from_slice(&hck.to_be_bytes());
    ip.extend_from_slice(&l4);
    ip
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// A captured frame: time in nanoseconds, interface index, bytes.
type Frame = (u64, usize, Vec<u8>);

/// One TCP connection being written, with impairment knobs.
struct Conn {
    client: (Ipv4Addr, u16),
    server: (Ipv4Addr, u16),
    seq: [u32; 2],
    link: Link,
    iface: usize,
    id: u16,
    now: u64,
}

impl Conn {
    fn new(
        client: (Ipv4Addr, u16),
        server: (Ipv4Addr, u16),
        isn: [u32; 2],
        link: Link,
        iface: usize,
        now: u64,
    ) -> Self {
        Conn {
            client,
            server,
            seq: isn,
            link,
            iface,
            id: client.1,
            now,
        }
    }

    fn frame_at(&mut self, from_client: bool, seq: u32, flags: u8, payload: &[u8]) -> Frame {
        let (s, d) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let ack = self.seq[usize::from(from_client)];
        self.id = self.id.wrapping_add(1);
        let ip = ipv4(
            s.0,
            d.0,
            6,
            self.id,
            tcp(s.1, d.1, seq, ack, flags, payload),
        );
        self.now += 250_000;
        (self.now, self.iface, self.link.wrap(&ip))
    }

    fn seg(&mut self, from_client: bool, flags: u8, payload: &[u8], out: &mut Vec<Frame>) {
        let i = usize::from(!from_client);
        let f = self.frame_at(from_client, self.seq[i], flags, payload);
        out.push(f);
        let adv = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        self.seq[i] = self.seq[i].wrapping_add(adv);
    }

    fn open(&mut self, out: &mut Vec<Frame>) {
        self.seg(true, SYN, &[], out);
        self.seg(false, SYN | ACK, &[], out);
        self.seg(true, ACK, &[], out);
    }

    /// Sends `data` in segments of `mss`, then the peer's ACK.
    fn send(&mut self, from_client: bool, data: &[u8], mss: usize, out: &mut Vec<Frame>) {
        for chunk in data.chunks(mss.max(1)) {
            self.seg(from_client, ACK | PSH, chunk, out);
        }
        self.seg(!from_client, ACK, &[], out);
    }

    fn close(&mut self, out: &mut Vec<Frame>) {
        self.seg(true, FIN | ACK, &[], out);
        self.seg(false, FIN | ACK, &[], out);
        self.seg(true, ACK, &[], out);
    }
}

/// Runs a federation script over `c`; `edge_is_client` says which end the Edge is.
fn run_script(c: &mut Conn, steps: &[sip::Step], edge_is_client: bool, out: &mut Vec<Frame>) {
    for (from_edge, msg) in steps {
        c.send(*from_edge == edge_is_client, msg, 1460, out);
    }
}

fn edge() -> Ipv4Addr {
    Ipv4Addr::from(sip::EDGE_IP)
}

fn udp_frame(
    link: Link,
    iface: usize,
    now: u64,
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    p: &[u8],
) -> Frame {
    (
        now,
        iface,
        link.wrap(&ipv4(src.0, dst.0, 17, 7, udp(src.1, dst.1, p))),
    )
}

fn udp_messages() -> Vec<(bool, String)> {
    let common = |method: &str, cseq: u32, branch: &str| {
        format!(
            "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK{branch};rport\r\n\
             From: <sip:alice@contoso.com>;tag=u81f;epid=5f1e6c2b9a\r\n\
             To: <sip:erin@live.com>\r\n\
             Call-ID: udp-{branch}\r\n\
             CSeq: {cseq} {method}\r\n"
        )
    };
    let options = format!(
        "OPTIONS sip:erin@live.com SIP/2.0\r\n{}Max-Forwards: 70\r\nUser-Agent: RTCC/4.0.0.0 Edge\r\nContent-Length: 0\r\n\r\n",
        common("OPTIONS", 1, "opt1")
    );
    let ok1 = format!(
        "SIP/2.0 200 OK\r\n{}Content-Length: 0\r\n\r\n",
        common("OPTIONS", 1, "opt1")
    );
    let body = "are you there?";
    let message = format!(
        "MESSAGE sip:erin@live.com SIP/2.0\r\n{}Max-Forwards: 70\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        common("MESSAGE", 2, "msg1"),
        body.len()
    );
    let ok2 = format!(
        "SIP/2.0 200 OK\r\n{}Content-Length: 0\r\n\r\n",
        common("MESSAGE", 2, "msg1")
    );
    vec![(true, options), (false, ok1), (true, message), (false, ok2)]
}

/// Counts of SIP messages by method / status, for samples/README.md.
fn count_all(scripts: &[&[sip::Step]], extra: &[(bool, String)]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for s in scripts {
        for (k, v) in sip::count(s) {
            *m.entry(k).or_insert(0) += v;
        }
    }
    for (_, msg) in extra {
        for (k, v) in sip::count(&[(true, msg.clone().into_bytes())]) {
            *m.entry(k).or_insert(0) += v;
        }
    }
    m
}

const T0_NS: u64 = 1_763_632_800_000_000_000; // 2025-11-20T10:00:00Z

/// The plaintext federation capture's frames (interface 0, Ethernet).
fn plain_frames() -> (Vec<Frame>, BTreeMap<String, u64>) {
    let mut out = Vec::new();
    let msn = sip::msn(101);
    let aol = sip::aol(202);
    let msn_steps = sip::federation_script(&msn);
    let aol_steps = sip::federation_script(&aol);
    // Edge connects out to MSN's 5061.
    let mut c1 = Conn::new(
        (edge(), 50123),
        (Ipv4Addr::from(msn.provider_ip), 5061),
        [1000, 5000],
        Link::Ethernet,
        0,
        T0_NS,
    );
    c1.open(&mut out);
    c1.send(true, b"\r\n\r\n", 1460, &mut out);
    run_script(&mut c1, &msn_steps, true, &mut out);
    c1.send(false, b"\r\n\r\n", 1460, &mut out);
    c1.close(&mut out);
    // AOL connects in to the Edge's 5061.
    let mut c2 = Conn::new(
        (Ipv4Addr::from(aol.provider_ip), 40001),
        (edge(), 5061),
        [77, 99],
        Link::Ethernet,
        0,
        c1.now,
    );
    c2.open(&mut out);
    run_script(&mut c2, &aol_steps, false, &mut out);
    c2.send(true, b"\r\n\r\n", 1460, &mut out);
    c2.close(&mut out);
    // SIP over UDP 5060 with MSN (live.com).
    let msn_ip = Ipv4Addr::from(msn.provider_ip);
    let mut now = c2.now;
    let udp_msgs = udp_messages();
    for (from_edge, m) in &udp_msgs {
        now += 250_000;
        let (s, d) = if *from_edge {
            ((edge(), 5060), (msn_ip, 5060))
        } else {
            ((msn_ip, 5060), (edge(), 5060))
        };
        out.push(udp_frame(Link::Ethernet, 0, now, s, d, m.as_bytes()));
    }
    let counts = count_all(&[&msn_steps, &aol_steps], &udp_msgs);
    (out, counts)
}

/// The impaired capture: interface 0 Ethernet (VLAN-tagged Yahoo, ISN wrap,
/// reorder, retransmit, overlap, tiny segments, coalesced messages),
/// interface 1 Linux SLL (MSN).
fn impaired_frames() -> (Vec<Frame>, BTreeMap<String, u64>) {
    let mut out = Vec::new();
    let y = sip::yahoo(303);
    let steps = sip::federation_script(&y);
    let yip = Ipv4Addr::from(y.provider_ip);
    let mut c = Conn::new(
        (edge(), 50200),
        (yip, 5061),
        [0xFFFF_F000, 0x1000],
        Link::Vlan(42),
        0,
        T0_NS,
    );
    c.open(&mut out);
    for (i, (from_edge, msg)) in steps.iter().enumerate() {
        let from_client = *from_edge;
        match i {
            // INVITE over many small segments.
            0 => c.send(from_client, msg, 97, &mut out),
            // 200 OK to INVITE and ACK go normally; the HTML MESSAGE (index 3) is
            // sent in 4 segments whose 2nd and 3rd are swapped (reordering),
            // the 1st is retransmitted, and an overlapping segment is added.
            3 => {
                let mss = msg.len().div_ceil(4);
                let base = c.seq[0];
                let mut segs = Vec::new();
                for chunk in msg.chunks(mss) {
                    c.seg(true, ACK | PSH, chunk, &mut segs);
                }
                // overlap: bytes [mss/2, mss + mss/2) again, same content.
                let ov = &msg[mss / 2..mss + mss / 2];
                let overlap = c.frame_at(true, base.wrapping_add((mss / 2) as u32), ACK | PSH, ov);
                let retrans = c.frame_at(true, base, ACK | PSH, &msg[..mss]);
                let mut frames = vec![
                    segs[0].clone(),
                    segs[2].clone(),
                    segs[1].clone(),
                    retrans,
                    overlap,
                    segs[3].clone(),
                ];
                for (k, f) in frames.iter_mut().enumerate() {
                    f.0 = c.now + k as u64 * 1000;
                }
                c.now += 10_000;
                out.extend(frames);
                c.seg(false, ACK, &[], &mut out);
            }
            // Its 200 OK and the provider's MESSAGE coalesced into one segment.
            4 => {
                let mut both = msg.clone();
                both.extend_from_slice(&steps[5].1);
                c.send(from_client, &both, 4000, &mut out);
            }
            5 => {}
            _ => c.send(from_client, msg, 1460, &mut out),
        }
    }
    c.close(&mut out);
    // Interface 1: Linux SLL, MSN connecting in.
    let m = sip::msn(404);
    let msteps = sip::federation_script(&m);
    let mut c2 = Conn::new(
        (Ipv4Addr::from(m.provider_ip), 41000),
        (edge(), 5061),
        [5, 6],
        Link::Sll,
        1,
        c.now,
    );
    c2.open(&mut out);
    run_script(&mut c2, &msteps, false, &mut out);
    c2.close(&mut out);
    out.sort_by_key(|f| f.0);
    (out, count_all(&[&steps, &msteps], &[]))
}

/// Two interfaces of different link types and timestamp resolutions.
fn two_interface_frames() -> (Vec<Frame>, BTreeMap<String, u64>) {
    let mut out = Vec::new();
    let a = sip::aol(505);
    let b = sip::aol(606);
    let (sa, sb) = (sip::federation_script(&a), sip::federation_script(&b));
    let mut c1 = Conn::new(
        (edge(), 50300),
        (Ipv4Addr::from(a.provider_ip), 5061),
        [10, 20],
        Link::Ethernet,
        0,
        T0_NS,
    );
    let mut c2 = Conn::new(
        (edge(), 50301),
        ([205, 188, 8, 20].into(), 5061),
        [30, 40],
        Link::Raw,
        1,
        T0_NS + 123,
    );
    c1.open(&mut out);
    c2.open(&mut out);
    run_script(&mut c1, &sa, true, &mut out);
    run_script(&mut c2, &sb, true, &mut out);
    c1.close(&mut out);
    c2.close(&mut out);
    out.sort_by_key(|f| f.0);
    (out, count_all(&[&sa, &sb], &[]))
}

fn write_pcap(
    w: &mut dyn Write,
    frames: &[Frame],
    dlt: u32,
    nanos: bool,
    be: bool,
) -> io::Result<()> {
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    w.write_all(&u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }))?;
    w.write_all(&u16b(2))?;
    w.write_all(&u16b(4))?;
    w.write_all(&u32b(0))?;
    w.write_all(&u32b(0))?;
    w.write_all(&u32b(262_144))?;
    w.write_all(&u32b(dlt))?;
    for (ts, _, data) in frames {
        let frac = if nanos {
            ts % 1_000_000_000
        } else {
            ts % 1_000_000_000 / 1000
        };
        w.write_all(&u32b((ts / 1_000_000_000) as u32))?;
        w.write_all(&u32b(frac as u32))?;
        w.write_all(&u32b(data.len() as u32))?;
        w.write_all(&u32b(data.len() as u32))?;
        w.write_all(data)?;
    }
    Ok(())
}

fn block(w: &mut dyn Write, btype: u32, body: &[u8]) -> io::Result<()> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    w.write_all(&btype.to_le_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(body)?;
    w.write_all(&vec![0u8; pad])?;
    w.write_all(&len.to_le_bytes())
}

/// pcapng with one interface per (link type, if_tsresol) and an unknown block to skip.
fn write_pcapng(w: &mut dyn Write, frames: &[Frame], ifaces: &[(u32, u8)]) -> io::Result<()> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    block(w, 0x0A0D_0D0A, &shb)?;
    for (dlt, resol) in ifaces {
        let mut idb = Vec::new();
        idb.extend_from_slice(&(*dlt as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&262_144u32.to_le_bytes());
        // option if_tsresol (9), length 1, value, padded; then opt_endofopt.
        idb.extend_from_slice(&[9, 0, 1, 0, *resol, 0, 0, 0, 0, 0, 0, 0]);
        block(w, 1, &idb)?;
    }
    // A custom block nobody reads: must be skipped.
    block(w, 0x0000_0BAD, b"fedscope sample: skip me")?;
    for (ts, iface, data) in frames {
        let units = if ifaces[*iface].1 == 9 {
            *ts
        } else {
            ts / 1000
        };
        let mut epb = Vec::new();
        epb.extend_from_slice(&(*iface as u32).to_le_bytes());
        epb.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(units as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(data);
        while epb.len() % 4 != 0 {
            epb.push(0);
        }
        block(w, 6, &epb)?;
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "samples".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let mut notes = String::new();
    let mut note = |name: &str, frames: &[Frame], counts: &BTreeMap<String, u64>| {
        let list: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        notes.push_str(&format!(
            "{name}: {} frames; SIP {}\n",
            frames.len(),
            list.join(", ")
        ));
    };

    let (frames, counts) = plain_frames();
    let mut f = io::BufWriter::new(std::fs::File::create(dir.join("federation-plain.pcap"))?);
    write_pcap(&mut f, &frames, 1, false, false)?;
    f.flush()?;
    let mut f = io::BufWriter::new(std::fs::File::create(
        dir.join("federation-plain-ns-be.pcap"),
    )?);
    write_pcap(&mut f, &frames, 1, true, true)?;
    f.flush()?;
    let gz = std::fs::File::create(dir.join("federation-plain.pcap.gz"))?;
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    write_pcap(&mut enc, &frames, 1, false, false)?;
    enc.finish()?;
    note(
        "federation-plain.pcap (and -ns-be.pcap, .pcap.gz)",
        &frames,
        &counts,
    );

    let (frames, counts) = impaired_frames();
    let mut f = io::BufWriter::new(std::fs::File::create(
        dir.join("federation-impaired.pcapng"),
    )?);
    write_pcapng(
        &mut f,
        &frames,
        &[(Link::Vlan(42).dlt(), 6), (Link::Sll.dlt(), 6)],
    )?;
    f.flush()?;
    note("federation-impaired.pcapng", &frames, &counts);

    let (frames, counts) = two_interface_frames();
    let mut f = io::BufWriter::new(std::fs::File::create(dir.join("two-interfaces.pcapng"))?);
    write_pcapng(
        &mut f,
        &frames,
        &[(Link::Ethernet.dlt(), 6), (Link::Raw.dlt(), 9)],
    )?;
    f.flush()?;
    note("two-interfaces.pcapng", &frames, &counts);
    print!("{notes}");
    Ok(())
}
