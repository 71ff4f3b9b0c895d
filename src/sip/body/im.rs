//! Instant-message body classification: text, HTML, RTF, multipart
//! alternatives, and `application/im-iscomposing+xml` typing notifications.

use serde::Serialize;

use crate::sip::parse::media_type;

use super::multipart;

/// What an IM body is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ImBody {
    /// `text/plain`.
    Text {
        /// Body length in bytes.
        len: usize,
    },
    /// `text/html`.
    Html {
        /// Body length in bytes.
        len: usize,
    },
    /// `text/rtf` / `application/rtf`.
    Rtf {
        /// Body length in bytes.
        len: usize,
    },
    /// `multipart/alternative` (or other multipart) with its parts' media types.
    Multipart {
        /// Media type of every part, in order.
        parts: Vec<String>,
        /// Body length in bytes.
        len: usize,
    },
    /// `application/im-iscomposing+xml`: a typing notification.
    Typing {
        /// `active` (typing) or `idle`; `None` when absent.
        state: Option<String>,
    },
    /// Anything else.
    Other {
        /// Media type, lower-cased.
        content_type: String,
        /// Body length in bytes.
        len: usize,
    },
}

impl ImBody {
    /// True for a typing notification (counted apart from messages).
    pub fn is_typing(&self) -> bool {
        matches!(self, ImBody::Typing { .. })
    }
}

/// Classifies an IM body by its Content-Type.
pub fn classify(content_type: &str, body: &[u8]) -> ImBody {
    let ct = media_type(content_type);
    let len = body.len();
    match ct.as_str() {
        "text/plain" | "" => ImBody::Text { len },
        "text/html" => ImBody::Html { len },
        "text/rtf" | "application/rtf" | "text/richtext" => ImBody::Rtf { len },
        "application/im-iscomposing+xml" => ImBody::Typing {
            state: composing_state(body),
        },
        m if m.starts_with("multipart/") => ImBody::Multipart {
            parts: multipart::split(multipart::boundary(content_type), body)
                .into_iter()
                .map(|p| p.content_type)
                .collect(),
            len,
        },
        _ => ImBody::Other {
            content_type: ct,
            len,
        },
    }
}

/// The `<state>` of an RFC 3994 is-composing document (lower-cased).
pub fn composing_state(body: &[u8]) -> Option<String> {
    use quick_xml::Reader;
    use quick_xml::events::Event;
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = false;
    let mut in_state = false;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                in_state = e.local_name().as_ref().eq_ignore_ascii_case("state");
                text.clear();
            }
            Ok(Event::Text(t)) if in_state => text.push_str(&t),
            Ok(Event::End(_)) if in_state => {
                let v = text.trim().to_ascii_lowercase();
                return (!v.is_empty()).then_some(v);
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(
            classify("text/plain; charset=UTF-8", b"hello"),
            ImBody::Text { len: 5 }
        );
        assert_eq!(classify("text/html", b"<b>x</b>"), ImBody::Html { len: 8 });
        assert_eq!(classify("text/rtf", b"{\\rtf1}"), ImBody::Rtf { len: 7 });
        let typing = br#"<?xml version="1.0" encoding="UTF-8"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><contenttype>text/plain</contenttype></isComposing>"#;
        let t = classify("application/im-iscomposing+xml", typing);
        assert_eq!(
            t,
            ImBody::Typing {
                state: Some("active".into())
            }
        );
        assert!(t.is_typing());
        let idle = b"<isComposing><state> Idle </state></isComposing>";
        assert_eq!(composing_state(idle).as_deref(), Some("idle"));
        let mp = b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--x--";
        match classify("multipart/alternative; boundary=x", mp) {
            ImBody::Multipart { parts, .. } => assert_eq!(parts, vec!["text/plain", "text/html"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify("application/octet-stream", b"x"),
            ImBody::Other { .. }
        ));
        let _ = classify("application/im-iscomposing+xml", b"<state>\xff");
    }
}
