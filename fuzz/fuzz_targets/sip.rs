#![no_main]
//! Fuzz target: SIP framing + parsing + bodies. The first byte picks the
//! chunking of the rest (fixed sizes or a size per chunk from the data), every
//! framed message is parsed and its body handed to every body reader, and
//! the result must not depend on the chunking.
use fedscope::reassembly::SegmentMeta;
use fedscope::sip::body::{filetransfer, im, multipart, presence, sdp};
use fedscope::sip::{SipFramer, looks_like_sip, parse_message};
use fedscope::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fn frame_all(
    data: &[u8],
    sizes: &mut dyn FnMut(usize) -> usize,
    gap_at: Option<usize>,
) -> Vec<Vec<u8>> {
    let mut f = SipFramer::new();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0u64;
    while pos < data.len() {
        let n = sizes(pos).clamp(1, data.len() - pos);
        if gap_at == Some(i as usize) {
            f.gap();
        }
        let meta = SegmentMeta {
            frame: i + 1,
            ts: Timestamp(i as i64),
        };
        f.push(&data[pos..pos + n], meta, &mut |m| {
            assert!(m.first.frame <= m.last.frame);
            out.push(m.bytes.to_vec())
        });
        assert!(
            f.pending() <= fedscope::sip::MAX_BODY_BYTES + fedscope::sip::MAX_HEADER_BYTES + 1024
        );
        pos += n;
        i += 1;
    }
    out
}

fn bodies(ct: &str, body: &[u8]) {
    let _ = presence::parse_presence(ct, body);
    let _ = presence::parse_presence("application/msrtc-event-categories+xml", body);
    let _ = presence::parse_presence("multipart/related", body);
    let _ = sdp::media_types(body);
    let _ = filetransfer::parse_file_transfer(ct, body);
    let _ = filetransfer::parse_file_transfer("text/x-msmsgsinvite", body);
    let _ = im::classify(ct, body);
    let _ = multipart::split(None, body);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let _ = looks_like_sip(rest);
    let whole = frame_all(rest, &mut |_| usize::MAX, None);
    let chunked = match mode % 4 {
        0 => frame_all(rest, &mut |_| 1, None),
        1 => frame_all(rest, &mut |_| usize::from(mode / 4) + 1, None),
        2 => frame_all(rest, &mut |p| usize::from(rest[p]) % 64 + 1, None),
        _ => {
            // With a gap: only no-panic matters.
            let _ = frame_all(
                rest,
                &mut |p| usize::from(rest[p]) % 200 + 1,
                Some(usize::from(mode / 4) % 8),
            );
            whole.clone()
        }
    };
    assert_eq!(whole, chunked, "chunking changed the framed messages");
    for m in &whole {
        if let Ok(msg) = parse_message(m) {
            let ct = msg.content_type.clone().unwrap_or_default();
            bodies(&ct, &msg.body);
        }
    }
    bodies("application/pidf+xml", rest);
});
