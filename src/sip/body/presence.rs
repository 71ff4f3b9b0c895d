//! Presence documents: PIDF (`application/pidf+xml`), Microsoft
//! `text/xml+msrtc.pidf`, `application/msrtc-event-categories+xml` and
//! `application/msrtc-category-publish+xml`, also inside a multipart body.
//!
//! Read with quick-xml's pull parser: namespace prefixes are ignored (local
//! names only), no DTD is processed and no entity is expanded beyond the five
//! predefined ones and character references. Element and attribute names
//! are compared in place, ASCII case-insensitively, and attribute values
//! borrowed, so a document costs allocations only for what it keeps.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::Serialize;

use super::multipart;

/// The presence state a document carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PresenceState {
    /// Microsoft availability number (3000 Online ... 18000 Offline), if present.
    pub availability: Option<u32>,
    /// Named state from availability or PIDF basic ("Online", "Away", "Be Right Back" ...).
    pub state: Option<String>,
    /// Activity token (`in-a-meeting`, `on-the-phone`, `out-of-office` ...).
    pub activity: Option<String>,
    /// PIDF basic status (`open` / `closed`).
    pub basic: Option<String>,
    /// Free-text note, if any.
    pub note: Option<String>,
}

/// Names the state for a Microsoft availability number (lync-sip.md ranges).
pub fn availability_name(n: u32) -> &'static str {
    match n {
        0..=2999 => "Unknown",
        3000..=4499 => "Online",
        4500..=5999 => "Idle online",
        6000..=7499 => "Busy",
        7500..=8999 => "Idle busy",
        9000..=11999 => "Do Not Disturb",
        12000..=14999 => "Be Right Back",
        15000..=17999 => "Away",
        _ => "Offline",
    }
}

/// The media types this module reads (compared ASCII case-insensitively).
const PRESENCE_TYPES: &[&str] = &[
    "application/pidf+xml",
    "text/xml+msrtc.pidf",
    "application/msrtc-event-categories+xml",
    "application/msrtc-category-publish+xml",
    "application/xpidf+xml",
];

/// True for the content types this module reads.
pub fn is_presence_type(content_type: &str) -> bool {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    PRESENCE_TYPES.iter().any(|t| t.eq_ignore_ascii_case(ct))
}

/// Parses a presence body by content type; `None` when it is not presence or not well-formed.
pub fn parse_presence(content_type: &str, body: &[u8]) -> Option<PresenceState> {
    let ct = content_type.trim();
    if ct
        .as_bytes()
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"multipart/"))
    {
        return multipart::split(multipart::boundary(content_type), body)
            .into_iter()
            .filter(|p| is_presence_type(&p.content_type))
            .find_map(|p| parse_presence(&p.content_type, p.body));
    }
    if !is_presence_type(ct) {
        return None;
    }
    parse_xml(body)
}

/// The element local names the walk acts on (ASCII case-insensitive), so
/// the open-element stack holds one byte per element instead of a copy of
/// its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    /// `basic` (PIDF status).
    Basic,
    /// `availability`.
    Availability,
    /// `note`.
    Note,
    /// `body`.
    Body,
    /// `custom` (custom activity text).
    Custom,
    /// `activity`.
    Activity,
    /// `state`.
    State,
    /// `category`.
    Category,
    /// `tuple`.
    Tuple,
    /// `activities` (RPID).
    Activities,
    /// `status`.
    Status,
    /// Any other name.
    Other,
}

impl Tag {
    /// The tag of a local name.
    fn of(name: &[u8]) -> Tag {
        let is = |want: &[u8]| name.eq_ignore_ascii_case(want);
        match name.len() {
            4 if is(b"note") => Tag::Note,
            4 if is(b"body") => Tag::Body,
            5 if is(b"basic") => Tag::Basic,
            5 if is(b"state") => Tag::State,
            5 if is(b"tuple") => Tag::Tuple,
            6 if is(b"custom") => Tag::Custom,
            6 if is(b"status") => Tag::Status,
            8 if is(b"activity") => Tag::Activity,
            8 if is(b"category") => Tag::Category,
            10 if is(b"activities") => Tag::Activities,
            12 if is(b"availability") => Tag::Availability,
            _ => Tag::Other,
        }
    }

    /// True when the element's text is read at its end.
    fn reads_text(self) -> bool {
        matches!(
            self,
            Tag::Basic | Tag::Availability | Tag::Note | Tag::Body | Tag::Custom | Tag::Activity
        )
    }
}

/// What the walk knows about the elements it is inside.
#[derive(Default)]
struct Scope {
    /// The enclosing `<category>` is named `note` (case-insensitive).
    note_category: bool,
    /// An aggregate `<state>` was seen.
    aggregate_seen: bool,
    /// The enclosing `<state>` is the aggregate one watchers see.
    in_aggregate: bool,
}

/// Walks any presence XML document and collects what it says.
fn parse_xml(body: &[u8]) -> Option<PresenceState> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = false;
    let mut st = PresenceState::default();
    let mut stack: Vec<Tag> = Vec::with_capacity(16);
    // Text of the innermost open element since the last tag, kept only
    // when that element's text is read.
    let mut text = String::new();
    let mut scope = Scope::default();
    let mut saw_element = false;
    while let Ok(ev) = reader.read_event() {
        let reading = stack.last().is_some_and(|t| t.reads_text());
        match ev {
            Event::Start(e) => {
                saw_element = true;
                text.clear();
                let tag = on_open(&e, &stack, &mut st, &mut scope);
                stack.push(tag);
                if stack.len() > 256 {
                    break;
                }
            }
            Event::Empty(e) => {
                saw_element = true;
                on_open(&e, &stack, &mut st, &mut scope);
            }
            Event::Text(t) if reading => text.push_str(&t),
            Event::CData(t) if reading => text.push_str(&t),
            Event::GeneralRef(r) if reading => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    match r.as_ref().as_bytes() {
                        b"amp" => text.push('&'),
                        b"lt" => text.push('<'),
                        b"gt" => text.push('>'),
                        b"quot" => text.push('"'),
                        b"apos" => text.push('\''),
                        _ => {} // never expanded
                    }
                }
            }
            Event::End(_) => {
                let Some(tag) = stack.pop() else { continue };
                let value = text.trim();
                let parent = stack.last().copied();
                match tag {
                    Tag::Basic if st.basic.is_none() && !value.is_empty() => {
                        st.basic = Some(value.to_ascii_lowercase());
                    }
                    Tag::Availability if !value.is_empty() => {
                        if let Ok(n) = value.parse::<u32>()
                            && (st.availability.is_none() || scope.in_aggregate)
                        {
                            st.availability = Some(n);
                        }
                    }
                    Tag::Note | Tag::Body | Tag::Custom if !value.is_empty() => {
                        let is_note = tag == Tag::Note
                            || (tag == Tag::Body && parent == Some(Tag::Note))
                            || scope.note_category;
                        if tag == Tag::Custom && st.activity.is_none() {
                            st.activity = Some(value.to_string());
                        } else if is_note && st.note.is_none() {
                            st.note = Some(value.to_string());
                        }
                    }
                    Tag::Activity
                        if !value.is_empty() && st.activity.is_none() && value.len() < 64 =>
                    {
                        st.activity = Some(value.to_string());
                    }
                    Tag::State => scope.in_aggregate = false,
                    Tag::Category => scope.note_category = false,
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_element {
        return None;
    }
    st.state = match (st.availability, st.basic.as_deref()) {
        (Some(n), _) => Some(availability_name(n).to_string()),
        (None, Some("open")) => Some("Online".to_string()),
        (None, Some("closed")) => Some("Offline".to_string()),
        _ => None,
    };
    Some(st)
}

/// The value of the first attribute whose local name is `want`
/// (case-insensitive), normalized, borrowed when normalizing changed nothing.
fn attr<'e>(e: &'e BytesStart<'_>, want: &[u8]) -> Option<Cow<'e, str>> {
    e.attributes().flatten().find_map(|a| {
        a.key
            .local_name()
            .as_ref()
            .as_bytes()
            .eq_ignore_ascii_case(want)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap_or_else(|_| a.value.clone())
            })
    })
}

/// True when `hay` contains `needle` (lower-case ASCII) ignoring ASCII case.
fn contains_ignore_case(hay: &str, needle: &[u8]) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Reads what an opening (or empty) element says; returns its tag.
fn on_open(e: &BytesStart<'_>, stack: &[Tag], st: &mut PresenceState, scope: &mut Scope) -> Tag {
    let local = e.local_name();
    let name = local.as_ref();
    let tag = Tag::of(name.as_bytes());
    let parent = stack.last().copied();
    match tag {
        Tag::Category => {
            scope.note_category = attr(e, b"name").is_some_and(|n| n.eq_ignore_ascii_case("note"));
        }
        Tag::State => {
            scope.in_aggregate =
                attr(e, b"type").is_some_and(|t| contains_ignore_case(&t, b"aggregatestate"));
            if scope.in_aggregate && !scope.aggregate_seen {
                scope.aggregate_seen = true;
                st.availability = None;
                st.activity = None;
            }
        }
        Tag::Activity => {
            if (st.activity.is_none() || scope.in_aggregate)
                && let Some(tok) = attr(e, b"token")
            {
                st.activity = Some(tok.into_owned());
            }
            // Legacy msrtc.pidf: <activity aggregate="400" note="..."/>.
            if st.note.is_none()
                && let Some(note) = attr(e, b"note")
                && !note.is_empty()
            {
                st.note = Some(note.into_owned());
            }
        }
        Tag::Availability => {
            // Legacy msrtc.pidf: <availability aggregate="300"/> on a 0-999 scale.
            if st.availability.is_none()
                && let Some(n) = attr(e, b"aggregate").and_then(|v| v.trim().parse::<u32>().ok())
            {
                st.availability = Some(if n < 1000 { n * 10 } else { n });
            }
        }
        Tag::Status if parent != Some(Tag::Tuple) => {
            // XPIDF: <status status="open"/>.
            if st.basic.is_none()
                && let Some(s) = attr(e, b"status")
            {
                st.basic = Some(s.to_ascii_lowercase());
            }
        }
        _ if parent == Some(Tag::Activities) && st.activity.is_none() => {
            // RPID: <rpid:activities><rpid:on-the-phone/></rpid:activities>.
            st.activity = Some(name.to_ascii_lowercase());
        }
        _ => {}
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidf_basic_note_activity() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="sip:bob@hotmail.com">
  <tuple id="t1"><status><basic>open</basic></status><note>Working &amp; happy</note></tuple>
  <dm:person id="p1"><rpid:activities><rpid:on-the-phone/></rpid:activities></dm:person>
</presence>"#;
        let st = parse_presence("application/pidf+xml", doc).unwrap();
        assert_eq!(st.basic.as_deref(), Some("open"));
        assert_eq!(st.state.as_deref(), Some("Online"));
        assert_eq!(st.note.as_deref(), Some("Working & happy"));
        assert_eq!(st.activity.as_deref(), Some("on-the-phone"));
    }

    #[test]
    fn msrtc_categories_state() {
        let doc = br#"<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:alice@contoso.com">
<category name="note" instance="0" publishTime="2011-05-01T10:00:00Z"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">At lunch</body></note></category>
<category name="state" instance="1" publishTime="2011-05-01T10:00:00Z"><state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" manual="true" xsi:type="aggregateState"><availability>12000</availability><activity token="in-a-meeting"/></state></category>
</categories>"#;
        let st = parse_presence("application/msrtc-event-categories+xml", doc).unwrap();
        assert_eq!(st.availability, Some(12000));
        assert_eq!(st.state.as_deref(), Some("Be Right Back"));
        assert_eq!(st.activity.as_deref(), Some("in-a-meeting"));
        assert_eq!(st.note.as_deref(), Some("At lunch"));
    }

    #[test]
    fn aggregate_state_wins_over_machine_state() {
        let doc = br#"<categories><category name="state"><state xsi:type="machineState"><availability>3500</availability></state></category><category name="state"><state xsi:type="aggregateState"><availability>15500</availability><activity><custom LCID="1033">Out to lunch</custom></activity></state></category></categories>"#;
        let st = parse_presence("application/msrtc-event-categories+xml", doc).unwrap();
        assert_eq!(st.availability, Some(15500));
        assert_eq!(st.state.as_deref(), Some("Away"));
        assert_eq!(st.activity.as_deref(), Some("Out to lunch"));
    }

    #[test]
    fn msrtc_pidf_and_multipart() {
        let doc = br#"<presentity uri="sip:a@contoso.com" xmlns="http://schemas.microsoft.com/2002/09/sip/presence"><availability aggregate="300" description="online"/><activity aggregate="400" note="Available"/></presentity>"#;
        let st = parse_presence("text/xml+msrtc.pidf", doc).unwrap();
        assert_eq!(st.availability, Some(3000));
        assert_eq!(st.note.as_deref(), Some("Available"));
        let mp = b"--b1\r\nContent-Type: application/rlmi+xml\r\n\r\n<list/>\r\n--b1\r\nContent-Type: application/pidf+xml\r\n\r\n<presence><tuple><status><basic>closed</basic></status></tuple></presence>\r\n--b1--\r\n";
        let st = parse_presence("multipart/related", mp).unwrap();
        let st2 = parse_presence("multipart/related;boundary=b1", mp).unwrap();
        assert_eq!(st, st2);
        assert!(st.state.is_some());
    }

    #[test]
    fn category_publish() {
        let doc = br#"<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:alice@contoso.com"><publication categoryName="state" instance="1" container="3" version="1" expireType="user"><state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" manual="true" xsi:type="userState"><availability>9500</availability></state></publication></publications></publish>"#;
        let st = parse_presence("application/msrtc-category-publish+xml", doc).unwrap();
        assert_eq!(st.availability, Some(9500));
        assert_eq!(st.state.as_deref(), Some("Do Not Disturb"));
    }

    #[test]
    fn no_entity_expansion_and_junk() {
        let doc = br#"<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x "BOOM">]><presence><tuple><note>&x;&x;</note></tuple></presence>"#;
        let st = parse_presence("application/pidf+xml", doc).unwrap();
        assert_eq!(st.note, None);
        assert_eq!(parse_presence("text/plain", b"<presence/>"), None);
        for junk in [&b""[..], b"<", b"<a><b></a>", b"\xff\xfe<\x00", b"&&&;;"] {
            let _ = parse_presence("application/pidf+xml", junk);
        }
    }

    /// The parser before the allocation-free rewrite, kept as the oracle
    /// the rewrite must match on every input.
    mod before {
        use super::super::{PresenceState, availability_name, multipart};
        use quick_xml::Reader;
        use quick_xml::events::{BytesStart, Event};

        /// True for the content types this module reads.
        pub(super) fn is_presence_type(content_type: &str) -> bool {
            let ct = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            matches!(
                ct.as_str(),
                "application/pidf+xml"
                    | "text/xml+msrtc.pidf"
                    | "application/msrtc-event-categories+xml"
                    | "application/msrtc-category-publish+xml"
                    | "application/xpidf+xml"
            )
        }

        /// Parses a presence body by content type; `None` when it is not presence or not well-formed.
        pub(super) fn parse_presence(content_type: &str, body: &[u8]) -> Option<PresenceState> {
            let ct = content_type.trim().to_ascii_lowercase();
            if ct.starts_with("multipart/") {
                return multipart::split(multipart::boundary(content_type), body)
                    .into_iter()
                    .filter(|p| is_presence_type(&p.content_type))
                    .find_map(|p| parse_presence(&p.content_type, p.body));
            }
            if !is_presence_type(&ct) {
                return None;
            }
            parse_xml(body)
        }

        /// Walks any presence XML document and collects what it says.
        fn parse_xml(body: &[u8]) -> Option<PresenceState> {
            let mut reader = Reader::from_reader(body);
            reader.config_mut().check_end_names = false;
            let mut st = PresenceState::default();
            let mut stack: Vec<Vec<u8>> = Vec::new();
            let mut text = String::new();
            // Category name of the enclosing <category>, and whether the enclosing
            // <state> is the aggregate one watchers see.
            let mut category: Option<String> = None;
            let mut aggregate_seen = false;
            let mut in_aggregate = false;
            let mut saw_element = false;
            while let Ok(ev) = reader.read_event() {
                match ev {
                    Event::Start(e) => {
                        saw_element = true;
                        text.clear();
                        let name = e.local_name().as_ref().as_bytes().to_ascii_lowercase();
                        on_open(
                            &e,
                            &name,
                            &stack,
                            &mut st,
                            &mut category,
                            &mut in_aggregate,
                            &mut aggregate_seen,
                        );
                        stack.push(name);
                        if stack.len() > 256 {
                            break;
                        }
                    }
                    Event::Empty(e) => {
                        saw_element = true;
                        let name = e.local_name().as_ref().as_bytes().to_ascii_lowercase();
                        on_open(
                            &e,
                            &name,
                            &stack,
                            &mut st,
                            &mut category,
                            &mut in_aggregate,
                            &mut aggregate_seen,
                        );
                    }
                    Event::Text(t) => text.push_str(&t),
                    Event::CData(t) => text.push_str(&t),
                    Event::GeneralRef(r) => {
                        if let Ok(Some(c)) = r.resolve_char_ref() {
                            text.push(c);
                        } else {
                            match r.as_ref().as_bytes() {
                                b"amp" => text.push('&'),
                                b"lt" => text.push('<'),
                                b"gt" => text.push('>'),
                                b"quot" => text.push('"'),
                                b"apos" => text.push('\''),
                                _ => {} // never expanded
                            }
                        }
                    }
                    Event::End(_) => {
                        let Some(name) = stack.pop() else { continue };
                        let value = text.trim();
                        let parent = stack.last().map(Vec::as_slice);
                        match name.as_slice() {
                            b"basic" if st.basic.is_none() && !value.is_empty() => {
                                st.basic = Some(value.to_ascii_lowercase());
                            }
                            b"availability" if !value.is_empty() => {
                                if let Ok(n) = value.parse::<u32>()
                                    && (st.availability.is_none() || in_aggregate)
                                {
                                    st.availability = Some(n);
                                }
                            }
                            b"note" | b"body" | b"custom" if !value.is_empty() => {
                                let is_note = name.as_slice() == b"note"
                                    || (name.as_slice() == b"body" && parent == Some(b"note"))
                                    || category.as_deref() == Some("note");
                                if name.as_slice() == b"custom" && st.activity.is_none() {
                                    st.activity = Some(value.to_string());
                                } else if is_note && st.note.is_none() {
                                    st.note = Some(value.to_string());
                                }
                            }
                            b"activity"
                                if !value.is_empty()
                                    && st.activity.is_none()
                                    && value.len() < 64 =>
                            {
                                st.activity = Some(value.to_string());
                            }
                            b"state" => in_aggregate = false,
                            b"category" => category = None,
                            _ => {}
                        }
                        text.clear();
                    }
                    Event::Eof => break,
                    _ => {}
                }
            }
            if !saw_element {
                return None;
            }
            st.state = match (st.availability, st.basic.as_deref()) {
                (Some(n), _) => Some(availability_name(n).to_string()),
                (None, Some("open")) => Some("Online".to_string()),
                (None, Some("closed")) => Some("Offline".to_string()),
                _ => None,
            };
            Some(st)
        }

        fn attr(e: &BytesStart<'_>, want: &[u8]) -> Option<String> {
            e.attributes().flatten().find_map(|a| {
                a.key
                    .local_name()
                    .as_ref()
                    .as_bytes()
                    .eq_ignore_ascii_case(want)
                    .then(|| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|v| v.into_owned())
                            .unwrap_or_else(|_| a.value.to_string())
                    })
            })
        }

        fn on_open(
            e: &BytesStart<'_>,
            name: &[u8],
            stack: &[Vec<u8>],
            st: &mut PresenceState,
            category: &mut Option<String>,
            in_aggregate: &mut bool,
            aggregate_seen: &mut bool,
        ) {
            let parent = stack.last().map(Vec::as_slice);
            match name {
                b"category" => *category = attr(e, b"name").map(|n| n.to_ascii_lowercase()),
                b"state" => {
                    let ty = attr(e, b"type").unwrap_or_default().to_ascii_lowercase();
                    *in_aggregate = ty.contains("aggregatestate");
                    if *in_aggregate && !*aggregate_seen {
                        *aggregate_seen = true;
                        st.availability = None;
                        st.activity = None;
                    }
                }
                b"activity" => {
                    if let Some(tok) = attr(e, b"token")
                        && (st.activity.is_none() || *in_aggregate)
                    {
                        st.activity = Some(tok);
                    }
                    // Legacy msrtc.pidf: <activity aggregate="400" note="..."/>.
                    if let Some(note) = attr(e, b"note")
                        && st.note.is_none()
                        && !note.is_empty()
                    {
                        st.note = Some(note);
                    }
                }
                b"availability" => {
                    // Legacy msrtc.pidf: <availability aggregate="300"/> on a 0-999 scale.
                    if let Some(n) =
                        attr(e, b"aggregate").and_then(|v| v.trim().parse::<u32>().ok())
                        && st.availability.is_none()
                    {
                        st.availability = Some(if n < 1000 { n * 10 } else { n });
                    }
                }
                b"status" if parent != Some(b"tuple") => {
                    // XPIDF: <status status="open"/>.
                    if let Some(s) = attr(e, b"status")
                        && st.basic.is_none()
                    {
                        st.basic = Some(s.to_ascii_lowercase());
                    }
                }
                _ if parent == Some(b"activities") && st.activity.is_none() => {
                    // RPID: <rpid:activities><rpid:on-the-phone/></rpid:activities>.
                    st.activity = Some(String::from_utf8_lossy(name).into_owned());
                }
                _ => {}
            }
        }
    }

    #[test]
    fn matches_the_allocating_parser() {
        let docs: &[&[u8]] = &[
            br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="t1"><status><basic>open</basic></status><note>Available</note></tuple></presence>"#,
            br#"<PRESENCE><Tuple><STATUS><Basic> OPEN </Basic></STATUS><NOTE>Hi &amp; &#65;&#x42; &bogus; &lt;&gt;&quot;&apos;</NOTE></Tuple></PRESENCE>"#,
            br#"<p:presence xmlns:p="x"><p:tuple><p:status><p:basic>closed</p:basic></p:status></p:tuple><rpid:Activities><rpid:On-The-Phone/></rpid:Activities></p:presence>"#,
            br#"<presence><activities><status/><note/></activities><tuple><status status="open"/></tuple><status STATUS="Closed"/></presence>"#,
            br#"<presence><x:Activities><category name="note"/></x:Activities></presence>"#,
            br#"<categories><Category NAME="Note"><note><body>In a <![CDATA[meeting <now>]]> room</body></note></Category><category name="x"><custom>c1</custom><body>b1</body></category></categories>"#,
            br#"<categories><category name="state"><state xsi:type="machineState"><availability>3500</availability><activity token="t1"/></state></category><category name="state"><STATE XSI:TYPE="userAggregateStateX"><Availability> 6500 </Availability><ACTIVITY Token="t2" Note="n2"/></STATE></category></categories>"#,
            br#"<categories><category name="state"><state type="aggregatestate"><availability>abc</availability><activity>on-the-phone</activity></state></category><state type="aggregateState" type="x"><availability>9000</availability></state></categories>"#,
            br#"<presentity><availability aggregate=" 300 "/><availability aggregate="4500"/><activity aggregate="400" note=""/><activity note="second"/></presentity>"#,
            br#"<presentity><availability aggregate="1500"/><activity note="a&amp;b&#10;c	d"/></presentity>"#,
            br#"<a note="1" note="2"><activity note="x" note="y" token="t" token="u"/></a>"#,
            br#"<a><activity a="1" a="2"note="z"/></a>"#,
            br#"<a><activity a=1 note="z" token='q'/></a>"#,
            br#"<a><activity token="unterminated/></a>"#,
            br#"<a><activity>0123456789012345678901234567890123456789012345678901234567890123456789</activity><activity>short</activity></a>"#,
            br#"<a>text<note>one<x/>two</note><note>three<y>four</y>five</note></a>"#,
            br#"<note>top</note>trailing</extra></more><note>again</note>"#,
            br#"<a><b></a><note>n</note></c>"#,
            b"<presence><tuple><note>caf\xc3\xa9</note></tuple></presence>",
            b"<presence><tuple><note>bad \xff byte</note><basic>open</basic></tuple></presence>",
            b"<presence a=\"\xff\"><status status=\"\xfe\"/></presence>",
            br#"<?xml version="1.0"?><!-- c --><?pi x?><!DOCTYPE p [<!ENTITY x "BOOM">]><presence><note>&x;</note></presence>"#,
            b"",
            b"   ",
            b"just text",
            b"<",
            b"<a",
            b"<a><b></a>",
            b"\xff\xfe<\x00",
            b"&&&;;",
            b"<note>&#xFFFFFFFF;&#0;&#;&#x;ok</note>",
            b"<availability>12000</availability><availability>3000</availability>",
            b"<basic>open</basic><availability>abc</availability>",
            b"<custom>c</custom><custom>d</custom><activity>a</activity>",
            b"<category name=\"NOTE\"><custom>c</custom><body>b</body></category>",
        ];
        let mut deep = Vec::new();
        for _ in 0..300 {
            deep.extend_from_slice(b"<activities>");
        }
        deep.extend_from_slice(b"<on-the-phone/>");
        let mut all: Vec<&[u8]> = docs.to_vec();
        all.push(&deep);
        for ct in [
            "application/pidf+xml",
            " Application/PIDF+XML ; charset=utf-8",
            "text/xml+msrtc.pidf",
            "APPLICATION/MSRTC-EVENT-CATEGORIES+XML",
            "application/msrtc-category-publish+xml",
            "application/xpidf+xml",
            "application/pidf+xmlx",
            "text/plain",
            "",
            "multipart/related",
            " MULTIPART/Related;boundary=b1",
            "multipart",
            "é",
        ] {
            assert_eq!(is_presence_type(ct), before::is_presence_type(ct), "{ct:?}");
            for d in &all {
                assert_eq!(
                    parse_presence(ct, d),
                    before::parse_presence(ct, d),
                    "{ct:?} {:?}",
                    String::from_utf8_lossy(d)
                );
            }
        }
        let mp = b"--b1\r\nContent-Type: application/rlmi+xml\r\n\r\n<list/>\r\n--b1\r\nContent-Type: Application/PIDF+xml\r\n\r\n<presence><tuple><status><basic>closed</basic></status></tuple></presence>\r\n--b1--\r\n";
        for ct in [
            "multipart/related",
            "Multipart/Related; boundary=\"b1\"",
            "multipart/x;boundary=zz",
        ] {
            assert_eq!(
                parse_presence(ct, mp),
                before::parse_presence(ct, mp),
                "{ct}"
            );
        }
    }
}
