//! Hand-written compact JSON for the IM session, presence subscription and
//! finding records, byte for byte what `serde_json::to_writer` makes of
//! their members.
//!
//! Why by hand: every finished record is serialized once into the report
//! spool, and on the 101 MB benchmark capture (3,600 sessions, 3,600
//! subscriptions, 866 findings) serde_json's derive path cost 85 M
//! instructions of the run's 1,566 M (`Serialize` of `ImSession` 44 M, of
//! `PresenceSubscription` 35 M, of `Violation` 5.5 M): every member name went
//! through the string escaper and every member through the serializer's
//! state machine, and each time through the `time` crate's general date
//! conversion. Here member names and punctuation are literals, a string
//! needing no escape (almost all) is found with one word-at-a-time scan and
//! copied whole, times are formatted directly, and the text is checked as
//! UTF-8 once per record (every piece is a `&str` or ASCII, so the check
//! always passes). The finished text reaches the serializer as a
//! [`RawValue`], which serde_json copies as it is: about 34 M instructions
//! for the three record types, the copy included.
//!
//! The tests below compare this writer with serde_json's output for a
//! serde-derived copy of each record.

use serde_json::value::RawValue;

use super::model::{ImBody, ImSession, PresenceStateReport, PresenceSubscription, Violation};
use crate::swar::{any_below, eq_marks, word_at};
use crate::time::Timestamp;

/// What serde_json writes after a backslash for bytes below 0x20, `"` and
/// `\` (`u`: a `\u00XX` escape); 0 for bytes written as they are.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// True when one of the eight bytes of `w` is below 0x20, `"` or `\`.
fn word_needs_escape(w: u64) -> bool {
    any_below(w, 0x20) || eq_marks(w, b'"') | eq_marks(w, b'\\') != 0
}

/// The length of the start of `bytes` that needs no escape (a lower bound:
/// the word holding the first escape is left to the caller's byte loop).
fn clean_prefix(bytes: &[u8]) -> usize {
    let mut clean = 0;
    while clean + 8 <= bytes.len() && !word_needs_escape(word_at(bytes, clean)) {
        clean += 8;
    }
    clean
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let clean = clean_prefix(bytes);
    let tail = bytes.get(clean..).unwrap_or_default();
    if !tail.iter().any(|&b| ESCAPE[usize::from(b)] != 0) {
        // Most strings: one copy between the quotes.
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    out.push(b'"');
    out.extend_from_slice(&bytes[..clean]);
    let mut run = 0;
    for (i, &b) in tail.iter().enumerate() {
        let e = ESCAPE[usize::from(b)];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&tail[run..i]);
        run = i + 1;
        if e == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
    }
    out.extend_from_slice(&tail[run..]);
    out.push(b'"');
}

/// Appends `s` as a JSON string, or `null`.
fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// "00" to "99".
static PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Appends `n` in decimal, as serde_json writes unsigned integers.
fn number(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while n >= 100 {
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[(n % 100) as usize]);
        n /= 100;
    }
    if n >= 10 {
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[n as usize]);
    } else {
        at -= 1;
        digits[at] = b'0' + n as u8;
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends `n` in decimal, or `null`.
fn opt_number(out: &mut Vec<u8>, n: Option<u64>) {
    match n {
        Some(n) => number(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends a time as the quoted text of [`Timestamp::rfc3339_text`]
/// (`"2013-05-27T10:00:00.000123Z"`; no character of it needs escaping).
fn time(out: &mut Vec<u8>, t: Timestamp) {
    out.push(b'"');
    out.extend_from_slice(t.rfc3339_text().as_bytes());
    out.push(b'"');
}

/// Appends a time, or `null`.
fn opt_time(out: &mut Vec<u8>, t: Option<Timestamp>) {
    match t {
        Some(t) => time(out, t),
        None => out.extend_from_slice(b"null"),
    }
}

/// Hands JSON text written by this module to a serializer as it is.
fn raw(json: Vec<u8>) -> Box<RawValue> {
    // Every piece written is a `&str` or ASCII, so this check (once per
    // record) always passes; the fallback only keeps it free of panics.
    let json = String::from_utf8(json)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    // SAFETY: `json` comes from `write_im_session`,
    // `write_presence_subscription` or `write_violation`, which always write exactly one complete
    // JSON object with no whitespace around it (strings escaped as serde_json
    // escapes them; a lossy replacement above would only put U+FFFD, which
    // needs no escape, inside a string), so it is the single well-formed JSON
    // value `RawValue` requires.
    unsafe { RawValue::from_string_unchecked(json) }
}

/// An IM session as compact JSON, ready to hand to a serializer.
pub(crate) fn im_session(s: &ImSession) -> Box<RawValue> {
    let mut o = Vec::with_capacity(320 + 160 * s.bodies.len());
    write_im_session(&mut o, s);
    raw(o)
}

/// A presence subscription as compact JSON, ready to hand to a serializer.
pub(crate) fn presence_subscription(p: &PresenceSubscription) -> Box<RawValue> {
    let mut o = Vec::with_capacity(320 + 200 * p.states.len());
    write_presence_subscription(&mut o, p);
    raw(o)
}

/// A finding as compact JSON, ready to hand to a serializer.
pub(crate) fn violation(v: &Violation) -> Box<RawValue> {
    let mut o = Vec::with_capacity(256 + v.message.len() + 8 * v.frames.len());
    write_violation(&mut o, v);
    raw(o)
}

/// Appends a finding as compact JSON: what `serde_json::to_writer` made of
/// its derived `Serialize` (members in declaration order).
fn write_violation(o: &mut Vec<u8>, v: &Violation) {
    o.extend_from_slice(b"{\"rule\":");
    string(o, v.rule);
    o.extend_from_slice(b",\"severity\":");
    string(o, v.severity.as_str());
    o.extend_from_slice(b",\"provider\":");
    opt_string(o, v.provider.as_deref());
    o.extend_from_slice(b",\"capture\":");
    string(o, &v.capture);
    o.extend_from_slice(b",\"flow\":");
    opt_number(o, v.flow);
    o.extend_from_slice(b",\"call_id\":");
    opt_string(o, v.call_id.as_deref());
    o.extend_from_slice(b",\"frames\":[");
    for (i, &f) in v.frames.iter().enumerate() {
        if i > 0 {
            o.push(b',');
        }
        number(o, f);
    }
    o.extend_from_slice(b"],\"time\":");
    opt_time(o, v.time);
    o.extend_from_slice(b",\"message\":");
    string(o, &v.message);
    o.push(b'}');
}

/// Appends an IM session as compact JSON: what `serde_json::to_writer` made
/// of its derived `Serialize` (members in declaration order).
fn write_im_session(o: &mut Vec<u8>, s: &ImSession) {
    o.extend_from_slice(b"{\"call_id\":");
    string(o, &s.call_id);
    o.extend_from_slice(b",\"conversation_id\":");
    opt_string(o, s.conversation_id.as_deref());
    o.extend_from_slice(b",\"local\":");
    string(o, &s.local);
    o.extend_from_slice(b",\"remote\":");
    string(o, &s.remote);
    o.extend_from_slice(b",\"provider\":");
    opt_string(o, s.provider.as_deref());
    o.extend_from_slice(b",\"start\":");
    opt_time(o, s.start);
    o.extend_from_slice(b",\"end\":");
    opt_time(o, s.end);
    o.extend_from_slice(b",\"messages_out\":");
    number(o, s.messages_out);
    o.extend_from_slice(b",\"messages_in\":");
    number(o, s.messages_in);
    o.extend_from_slice(b",\"outcome\":");
    string(o, &s.outcome);
    o.extend_from_slice(b",\"typing\":");
    number(o, s.typing);
    o.extend_from_slice(b",\"capture\":");
    string(o, &s.capture);
    o.extend_from_slice(b",\"flow\":");
    number(o, s.flow);
    o.extend_from_slice(b",\"bodies\":[");
    for (i, b) in s.bodies.iter().enumerate() {
        if i > 0 {
            o.push(b',');
        }
        im_body(o, b);
    }
    o.extend_from_slice(b"]}");
}

/// Appends one IM body object.
fn im_body(o: &mut Vec<u8>, b: &ImBody) {
    o.extend_from_slice(b"{\"direction\":");
    string(o, b.direction);
    o.extend_from_slice(b",\"content_type\":");
    string(o, &b.content_type);
    o.extend_from_slice(b",\"length\":");
    number(o, b.length as u64);
    o.extend_from_slice(b",\"frame\":");
    number(o, b.frame);
    o.extend_from_slice(b",\"time\":");
    opt_time(o, b.time);
    if let Some(text) = &b.text {
        o.extend_from_slice(b",\"text\":");
        string(o, text);
    }
    o.push(b'}');
}

/// Appends a presence subscription as compact JSON: what
/// `serde_json::to_writer` made of its derived `Serialize` (members in
/// declaration order).
fn write_presence_subscription(o: &mut Vec<u8>, p: &PresenceSubscription) {
    o.extend_from_slice(b"{\"call_id\":");
    string(o, &p.call_id);
    o.extend_from_slice(b",\"watcher\":");
    string(o, &p.watcher);
    o.extend_from_slice(b",\"presentity\":");
    string(o, &p.presentity);
    o.extend_from_slice(b",\"provider\":");
    opt_string(o, p.provider.as_deref());
    o.extend_from_slice(b",\"outcome\":");
    string(o, &p.outcome);
    o.extend_from_slice(b",\"notifications\":");
    number(o, p.notifications);
    o.extend_from_slice(b",\"states\":[");
    for (i, r) in p.states.iter().enumerate() {
        if i > 0 {
            o.push(b',');
        }
        state_report(o, r);
    }
    o.extend_from_slice(b"],\"capture\":");
    string(o, &p.capture);
    o.extend_from_slice(b",\"flow\":");
    number(o, p.flow);
    o.extend_from_slice(b",\"start\":");
    opt_time(o, p.start);
    o.push(b'}');
}

/// Appends one presence state object.
fn state_report(o: &mut Vec<u8>, r: &PresenceStateReport) {
    o.extend_from_slice(b"{\"frame\":");
    number(o, r.frame);
    o.extend_from_slice(b",\"time\":");
    opt_time(o, r.time);
    o.extend_from_slice(b",\"direction\":");
    string(o, r.direction);
    o.extend_from_slice(b",\"sent\":");
    string(o, &r.sent);
    o.extend_from_slice(b",\"displayed\":");
    string(o, &r.displayed);
    o.extend_from_slice(b",\"availability\":");
    opt_number(o, r.availability.map(u64::from));
    o.extend_from_slice(b",\"activity\":");
    opt_string(o, r.activity.as_deref());
    o.push(b'}');
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde::Serialize;

    use super::*;
    use crate::analysis::Severity;

    /// `ImSession` with serde's derived `Serialize`: the reference.
    #[derive(Serialize)]
    struct ImSessionRef<'a> {
        call_id: &'a String,
        conversation_id: &'a Option<String>,
        local: &'a String,
        remote: &'a String,
        provider: &'a Option<String>,
        start: &'a Option<Timestamp>,
        end: &'a Option<Timestamp>,
        messages_out: u64,
        messages_in: u64,
        outcome: &'a String,
        typing: u64,
        capture: &'a String,
        flow: u64,
        bodies: &'a Vec<ImBody>,
    }

    /// `PresenceSubscription` with serde's derived `Serialize`: the reference.
    #[derive(Serialize)]
    struct PresenceSubscriptionRef<'a> {
        call_id: &'a String,
        watcher: &'a String,
        presentity: &'a String,
        provider: &'a Option<String>,
        outcome: &'a String,
        notifications: u64,
        states: &'a Vec<PresenceStateReport>,
        capture: &'a String,
        flow: u64,
        start: &'a Option<Timestamp>,
    }

    /// `Violation` with serde's derived `Serialize`: the reference.
    #[derive(Serialize)]
    struct ViolationRef<'a> {
        rule: &'static str,
        severity: Severity,
        provider: &'a Option<String>,
        capture: &'a String,
        flow: Option<u64>,
        call_id: &'a Option<String>,
        frames: &'a Vec<u64>,
        time: Option<Timestamp>,
        message: &'a String,
    }

    fn serde_violation(v: &Violation) -> String {
        serde_json::to_string(&ViolationRef {
            rule: v.rule,
            severity: v.severity,
            provider: &v.provider,
            capture: &v.capture,
            flow: v.flow,
            call_id: &v.call_id,
            frames: &v.frames,
            time: v.time,
            message: &v.message,
        })
        .expect("serde")
    }

    fn serde_im(s: &ImSession) -> String {
        serde_json::to_string(&ImSessionRef {
            call_id: &s.call_id,
            conversation_id: &s.conversation_id,
            local: &s.local,
            remote: &s.remote,
            provider: &s.provider,
            start: &s.start,
            end: &s.end,
            messages_out: s.messages_out,
            messages_in: s.messages_in,
            outcome: &s.outcome,
            typing: s.typing,
            capture: &s.capture,
            flow: s.flow,
            bodies: &s.bodies,
        })
        .expect("serde")
    }

    fn serde_presence(p: &PresenceSubscription) -> String {
        serde_json::to_string(&PresenceSubscriptionRef {
            call_id: &p.call_id,
            watcher: &p.watcher,
            presentity: &p.presentity,
            provider: &p.provider,
            outcome: &p.outcome,
            notifications: p.notifications,
            states: &p.states,
            capture: &p.capture,
            flow: p.flow,
            start: &p.start,
        })
        .expect("serde")
    }

    /// Strings that exercise the escaper: every control character, quote,
    /// backslash, DEL, multi-byte UTF-8, escapes at either end, empty.
    fn strings() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            "alice@contoso.com",
            "\"",
            "\\",
            "a\"b\\c",
            "\u{7f}\u{80}é中😀",
            "\n",
            "line1\r\nline2\tend\u{8}\u{c}",
            "\"quoted\"",
            "trailing\\",
            "/ not escaped </script>",
            "mixed é\u{1}中\u{1f}😀\"",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push((0u8..0x20).map(char::from).collect());
        v.push((0u8..0x80).map(char::from).collect());
        v.push("x".repeat(1000) + "\u{0}");
        v
    }

    fn numbers() -> [u64; 7] {
        [0, 1, 9, 10, 12_345, u64::from(u32::MAX), u64::MAX]
    }

    fn times() -> [Option<Timestamp>; 6] {
        [
            None,
            Some(Timestamp(0)),
            Some(Timestamp(-1)),
            Some(Timestamp(1_795_000_000_123_456_789)),
            Some(Timestamp(i64::MIN)),
            Some(Timestamp(i64::MAX)),
        ]
    }

    fn opt(strings: &[String], i: usize) -> Option<String> {
        (!i.is_multiple_of(3)).then(|| strings[i % strings.len()].clone())
    }

    #[test]
    fn im_sessions_are_written_as_serde_writes_them() {
        let st = strings();
        let n = numbers();
        let t = times();
        for i in 0..st.len() * 4 {
            let bodies = (0..i % 4)
                .map(|j| ImBody {
                    direction: if j % 2 == 0 { "out" } else { "in" },
                    content_type: if j % 2 == 0 {
                        Cow::Borrowed("text/plain")
                    } else {
                        Cow::Owned(st[(i + j) % st.len()].clone())
                    },
                    length: if j == 2 { usize::MAX } else { i * 7 + j },
                    frame: n[(i + j) % n.len()],
                    time: t[(i + j) % t.len()],
                    text: opt(&st, i + j),
                })
                .collect();
            let s = ImSession {
                call_id: st[i % st.len()].clone(),
                conversation_id: opt(&st, i + 1),
                local: st[(i + 2) % st.len()].clone(),
                remote: st[(i + 3) % st.len()].clone(),
                provider: opt(&st, i + 4),
                start: t[i % t.len()],
                end: t[(i + 1) % t.len()],
                messages_out: n[i % n.len()],
                messages_in: n[(i + 1) % n.len()],
                outcome: st[(i + 5) % st.len()].clone(),
                typing: n[(i + 2) % n.len()],
                capture: st[(i + 6) % st.len()].clone(),
                flow: n[(i + 3) % n.len()],
                bodies,
            };
            let want = serde_im(&s);
            assert_eq!(im_session(&s).get(), want, "session {i}");
            assert_eq!(serde_json::to_string(&s).expect("json"), want);
        }
        let empty = ImSession::default();
        assert_eq!(im_session(&empty).get(), serde_im(&empty));
    }

    #[test]
    fn presence_subscriptions_are_written_as_serde_writes_them() {
        let st = strings();
        let n = numbers();
        let t = times();
        let avail = [None, Some(0), Some(3500), Some(u32::MAX)];
        for i in 0..st.len() * 4 {
            let states = (0..i % 4)
                .map(|j| PresenceStateReport {
                    frame: n[(i + j) % n.len()],
                    time: t[(i + j) % t.len()],
                    direction: if j % 2 == 0 { "out" } else { "in" },
                    sent: st[(i + j) % st.len()].clone(),
                    displayed: st[(i + j + 1) % st.len()].clone(),
                    availability: avail[(i + j) % avail.len()],
                    activity: opt(&st, i + j),
                })
                .collect();
            let p = PresenceSubscription {
                call_id: st[i % st.len()].clone(),
                watcher: st[(i + 1) % st.len()].clone(),
                presentity: st[(i + 2) % st.len()].clone(),
                provider: opt(&st, i + 3),
                outcome: st[(i + 4) % st.len()].clone(),
                notifications: n[i % n.len()],
                states,
                capture: st[(i + 5) % st.len()].clone(),
                flow: n[(i + 1) % n.len()],
                start: t[i % t.len()],
            };
            let want = serde_presence(&p);
            assert_eq!(presence_subscription(&p).get(), want, "subscription {i}");
            assert_eq!(serde_json::to_string(&p).expect("json"), want);
        }
        let empty = PresenceSubscription::default();
        assert_eq!(presence_subscription(&empty).get(), serde_presence(&empty));
    }

    #[test]
    fn violations_are_written_as_serde_writes_them() {
        let st = strings();
        let n = numbers();
        let t = times();
        let severities = [Severity::Info, Severity::Warning, Severity::Error];
        let rules = ["PIC-MEDIA", "", "a\"b"];
        for i in 0..st.len() * 4 {
            let v = Violation {
                rule: rules[i % rules.len()],
                severity: severities[i % severities.len()],
                provider: opt(&st, i),
                capture: st[(i + 1) % st.len()].clone(),
                flow: (i % 4 != 1).then(|| n[i % n.len()]),
                call_id: opt(&st, i + 2),
                frames: (0..i % 5).map(|j| n[(i + j) % n.len()]).collect(),
                time: t[i % t.len()],
                message: st[(i + 3) % st.len()].clone(),
            };
            let want = serde_violation(&v);
            assert_eq!(violation(&v).get(), want, "violation {i}");
            assert_eq!(serde_json::to_string(&v).expect("json"), want);
        }
    }

    /// What the writer appends for one value, as text.
    fn written(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut o = Vec::new();
        f(&mut o);
        String::from_utf8(o).expect("utf-8")
    }

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        let mut all = strings();
        // Every single byte and every escape at every offset of a word.
        for c in (0u8..0x80).map(char::from).chain(['é', '中', '😀']) {
            for at in 0..17 {
                let mut s = "a".repeat(at);
                s.push(c);
                s.push_str("bcdefghij");
                all.push(s);
            }
        }
        for s in all {
            let want = serde_json::to_string(&s).expect("json");
            assert_eq!(written(|o| string(o, &s)), want, "{s:?}");
        }
    }

    #[test]
    fn numbers_are_written_as_serde_writes_them() {
        let mut n = vec![
            0u64,
            1,
            9,
            10,
            11,
            99,
            100,
            101,
            999,
            1_000,
            u64::MAX,
            u64::MAX - 1,
        ];
        let mut p = 1u64;
        while let Some(q) = p.checked_mul(10) {
            n.extend([p - 1, p, p + 1, q - 1]);
            p = q;
        }
        for v in n {
            assert_eq!(written(|o| number(o, v)), v.to_string());
        }
    }

    #[test]
    fn records_still_become_json_values() {
        let s = ImSession {
            call_id: "c\"1".into(),
            ..ImSession::default()
        };
        let v = serde_json::to_value(&s).expect("value");
        assert_eq!(v["call_id"], "c\"1");
        assert!(v["bodies"].as_array().is_some_and(|b| b.is_empty()));
    }
}
