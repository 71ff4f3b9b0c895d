//! Capture file framing shared by the fuzz targets that read captures: the
//! first input byte picks how the rest becomes a capture file, so the
//! fuzzer reaches record parsing without first discovering a valid header.

/// The capture file for mode byte `mode`: 0, the bytes as they are; 1, a
/// little-endian microsecond pcap header (Ethernet) then the bytes; 2, a
/// pcapng Section Header + Ethernet IDB then the bytes as blocks.
pub fn capture_bytes(mode: u8, rest: &[u8]) -> Vec<u8> {
    match mode % 3 {
        0 => rest.to_vec(),
        1 => [pcap_header(), rest.to_vec()].concat(),
        _ => [pcapng_header(), rest.to_vec()].concat(),
    }
}

fn pcap_header() -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

fn pcapng_header() -> Vec<u8> {
    let mut h = Vec::new();
    // Section Header Block, no options.
    h.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
    h.extend_from_slice(&28u32.to_le_bytes());
    h.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&u64::MAX.to_le_bytes());
    h.extend_from_slice(&28u32.to_le_bytes());
    // Interface Description Block: Ethernet, snaplen 65535.
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&20u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&20u32.to_le_bytes());
    h
}
