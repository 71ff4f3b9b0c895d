//! SDP: the media lines of an offer (`m=message`, `m=audio`, ...).

/// Media types (`m=` first token) in an SDP body, in order.
pub fn media_types(body: &[u8]) -> Vec<String> {
    body.split(|&b| b == b'\n')
        .filter_map(|line| line.strip_prefix(b"m="))
        .filter_map(|rest| rest.split(|&b| b == b' ' || b == b'\r').next())
        .filter(|t| !t.is_empty())
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn im_and_av_offers() {
        let sdp = b"v=0\r\no=- 0 0 IN IP4 203.0.113.10\r\ns=session\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\nm=message 5060 sip null\r\na=accept-types:text/plain\r\n";
        assert_eq!(media_types(sdp), vec!["message"]);
        let sdp = b"v=0\nm=audio 5004 RTP/AVP 0\nm=video 5006 RTP/AVP 34\r\nm=applicationsharing 5008 TCP/RTP/AVP 127\r\nm=";
        assert_eq!(
            media_types(sdp),
            vec!["audio", "video", "applicationsharing"]
        );
        assert!(media_types(b"\xff\xfem=\xff").len() <= 1);
    }
}
