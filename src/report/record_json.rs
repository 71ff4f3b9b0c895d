//! One report record as compact JSON, appended to a byte buffer: the bytes
//! `serde_json::to_writer` makes of it, for the records the engine spools
//! (flows, IM sessions, presence subscriptions, findings, SIP events), which
//! are serialized once each on the thread that runs the analysis.
//!
//! serde_json writes every token through `io::Write` and looks each string
//! byte up in its escape table, so a record's many short strings (keys,
//! names, addresses, times, call ids) cost more in calls than in bytes. Here
//! a string is first checked for bytes that need escaping (control bytes,
//! `"` and `\`) eight at a time and, having none (as record strings almost
//! never do), is copied whole between its quotes; otherwise it is written
//! byte by byte with serde_json's own escapes ([`CompactFormatter`]), which
//! also writes every number. The punctuation of compact JSON (`{`, `:`, `,`
//! …) is pushed straight into the buffer.
//!
//! Map keys are written as serde_json writes them (strings as they are;
//! integers, booleans and finite floats quoted; anything else an error).
//! serde_json's raw values (`RawValue`) are not recognised: no record holds
//! one. The tests hold the output to serde_json's.

use std::io;

use serde::Serialize;
use serde::ser::{self, Error as _};
use serde_json::Error;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

/// Appends `value` as compact JSON to `out` (on error, `out` may hold part of it).
pub(crate) fn write_record<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), Error> {
    value.serialize(&mut Compact { out })
}

/// An I/O result as a serialization result (writing to a `Vec` cannot fail).
fn io(r: io::Result<()>) -> Result<(), Error> {
    r.map_err(Error::custom)
}

/// Eight copies of byte `b`.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// True when some byte of the eight in `w` needs escaping.
fn word_needs_escape(w: u64) -> bool {
    let high = splat(0x80);
    // Some byte is zero ("haszero"), and some byte is below 0x20
    // ("hasless", exact for bounds up to 0x80).
    let zero_in = |x: u64| x.wrapping_sub(splat(0x01)) & !x & high != 0;
    let control = w.wrapping_sub(splat(0x20)) & !w & high != 0;
    control || zero_in(w ^ splat(b'"')) || zero_in(w ^ splat(b'\\'))
}

/// True for a byte JSON strings escape.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The eight bytes of `bytes` at `at` as a word (`None` past the end).
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let w: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_ne_bytes(w))
}

/// True when some byte of `bytes` needs escaping: whole words, the last one
/// overlapping the one before, so no byte is looked at alone once there are eight.
#[inline]
fn any_needs_escape(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n < 8 {
        return bytes.iter().any(|&b| needs_escape(b));
    }
    let mut at = 0;
    while at + 8 < n {
        if word_at(bytes, at).is_none_or(word_needs_escape) {
            return true;
        }
        at += 8;
    }
    word_at(bytes, n - 8).is_none_or(word_needs_escape)
}

/// The escape serde_json writes for byte `b`, if it needs one.
fn escape_of(b: u8) -> Option<CharEscape> {
    Some(match b {
        b'"' => CharEscape::Quote,
        b'\\' => CharEscape::ReverseSolidus,
        0x08 => CharEscape::Backspace,
        0x09 => CharEscape::Tab,
        0x0a => CharEscape::LineFeed,
        0x0c => CharEscape::FormFeed,
        0x0d => CharEscape::CarriageReturn,
        0x00..=0x1f => CharEscape::AsciiControl(b),
        _ => return None,
    })
}

/// Writes `s` as a JSON string (inlined: every key and string value comes here).
#[inline]
fn write_str(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    if any_needs_escape(bytes) {
        return write_escaped(out, s);
    }
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    out.extend_from_slice(bytes);
    out.push(b'"');
    Ok(())
}

/// Writes `s`, which has bytes to escape, as a JSON string.
#[cold]
fn write_escaped(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let f = &mut CompactFormatter;
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let Some(e) = escape_of(b) else {
            continue;
        };
        // `b` is ASCII, so both cuts are on character boundaries.
        f.write_string_fragment(out, s.get(start..i).unwrap_or(""))?;
        f.write_char_escape(out, e)?;
        start = i + 1;
    }
    f.write_string_fragment(out, s.get(start..).unwrap_or(""))?;
    out.push(b'"');
    Ok(())
}

/// The serializer: everything goes straight to the buffer.
struct Compact<'b> {
    out: &'b mut Vec<u8>,
}

/// Where an array or object is: closed when opened (known empty), before
/// its first element, or after one.
#[derive(PartialEq, Eq)]
enum State {
    Empty,
    First,
    Rest,
}

/// An array, object or struct being written.
struct Compound<'a, 'b> {
    ser: &'a mut Compact<'b>,
    state: State,
}

impl<'b> Compact<'b> {
    /// Opens a bracket `open` (closed at once with `close` when known to be empty).
    fn open<'a>(&'a mut self, open: u8, close: u8, len: Option<usize>) -> Compound<'a, 'b> {
        self.out.push(open);
        let state = if len == Some(0) {
            self.out.push(close);
            State::Empty
        } else {
            State::First
        };
        Compound { ser: self, state }
    }

    /// Opens `{"variant":` of an enum variant with content.
    fn variant(&mut self, variant: &str) -> Result<(), Error> {
        self.out.push(b'{');
        io(write_str(self.out, variant))?;
        self.out.push(b':');
        Ok(())
    }

    /// Writes with serde_json's compact formatter.
    fn fmt(
        &mut self,
        write: impl FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> io::Result<()>,
    ) -> Result<(), Error> {
        io(write(&mut CompactFormatter, self.out))
    }
}

impl<'a, 'b> ser::Serializer for &'a mut Compact<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.fmt(|f, o| f.write_bool(o, v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.fmt(|f, o| f.write_i8(o, v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.fmt(|f, o| f.write_i16(o, v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.fmt(|f, o| f.write_i32(o, v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.fmt(|f, o| f.write_i64(o, v))
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.fmt(|f, o| f.write_i128(o, v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.fmt(|f, o| f.write_u8(o, v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.fmt(|f, o| f.write_u16(o, v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.fmt(|f, o| f.write_u32(o, v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.fmt(|f, o| f.write_u64(o, v))
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.fmt(|f, o| f.write_u128(o, v))
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if v.is_finite() {
            self.fmt(|f, o| f.write_f32(o, v))
        } else {
            self.fmt(|f, o| f.write_null(o))
        }
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            self.fmt(|f, o| f.write_f64(o, v))
        } else {
            self.fmt(|f, o| f.write_null(o))
        }
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        let mut buf = [0; 4];
        io(write_str(self.out, v.encode_utf8(&mut buf)))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        io(write_str(self.out, v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.fmt(|f, o| f.write_byte_array(o, v))
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.fmt(|f, o| f.write_null(o))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.fmt(|f, o| f.write_null(o))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.fmt(|f, o| f.write_null(o))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        io(write_str(self.out, variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant(variant)?;
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Ok(self.open(b'[', b']', len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        Ok(self.open(b'[', b']', Some(len)))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        Ok(self.open(b'[', b']', Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.variant(variant)?;
        Ok(self.open(b'[', b']', Some(len)))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Ok(self.open(b'{', b'}', len))
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'b>, Error> {
        Ok(self.open(b'{', b'}', Some(len)))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.variant(variant)?;
        Ok(self.open(b'{', b'}', Some(len)))
    }
}

impl Compound<'_, '_> {
    /// A comma before every element or member but the first.
    fn separator(&mut self) {
        if self.state != State::First {
            self.ser.out.push(b',');
        }
        self.state = State::Rest;
    }

    /// One array element.
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separator();
        value.serialize(&mut *self.ser)
    }

    /// One object key, quoted as serde_json quotes map keys.
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separator();
        let at = self.ser.out.len();
        key.serialize(&mut *self.ser)?;
        let out = &mut *self.ser.out;
        match out.get(at) {
            Some(b'"') => Ok(()),
            // A number or boolean: serde_json writes it quoted.
            Some(b'-' | b'0'..=b'9' | b't' | b'f') => {
                out.insert(at, b'"');
                out.push(b'"');
                Ok(())
            }
            _ => Err(Error::custom("key must be a string")),
        }
    }

    /// One object value (after its key).
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }

    /// One struct field.
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.separator();
        io(write_str(self.ser.out, key))?;
        self.value(value)
    }

    /// Closes with `close` (unless closed when opened), then, for an enum
    /// variant with content, the object around it.
    fn close(self, close: u8, variant: bool) -> Result<(), Error> {
        if self.state != State::Empty {
            self.ser.out.push(close);
        }
        if variant {
            self.ser.out.push(b'}');
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b']', false)
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b']', false)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b']', false)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b']', true)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b'}', false)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b'}', false)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.close(b'}', true)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn ours<T: Serialize + ?Sized>(v: &T) -> String {
        let mut out = Vec::new();
        write_record(&mut out, v).expect("serialize");
        String::from_utf8(out).expect("utf-8")
    }

    fn same<T: Serialize + ?Sized>(v: &T) {
        let theirs = serde_json::to_string(v).expect("serde_json");
        assert_eq!(ours(v), theirs);
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(i32, String),
        Struct { a: Option<u8>, b: Vec<u8> },
        EmptyTuple(),
        EmptyStruct {},
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Tuple(u8, &'static str);

    #[derive(Serialize)]
    struct Empty {}

    #[derive(Serialize)]
    struct Record {
        name: String,
        n: u64,
        neg: i64,
        big: u128,
        f: f64,
        nan: f64,
        none: Option<String>,
        some: Option<u32>,
        list: Vec<String>,
        empty: Vec<u8>,
        pair: (u8, bool),
        c: char,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        #[serde(rename = "re\"named")]
        renamed: u8,
        e: Vec<E>,
        unit: Unit,
        tuple: Tuple,
        nothing: Empty,
        map: BTreeMap<String, u8>,
        int_keys: BTreeMap<i32, u8>,
        bool_keys: BTreeMap<bool, u8>,
        char_keys: BTreeMap<char, u8>,
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut all = String::new();
        for b in 0u8..0x80 {
            all.push(char::from(b));
        }
        let cases = [
            String::new(),
            "plain".into(),
            "exactly8".into(),
            "sixteen bytes!!!".into(),
            all.clone(),
            format!("{all}{all}é\u{1F600}\"\\"),
            "\u{7f}\u{80}\u{ff}ü\u{2028}".into(),
            "a\"b\\c\nd\re\tf\u{8}\u{c}\u{1}\u{1f}".into(),
            "long text without anything to escape, longer than a word or two".into(),
            "0123456\"".into(),
            "01234567\\".into(),
            "ééééééééé".into(),
        ];
        for s in &cases {
            same(s);
        }
        // Every ASCII byte and a few others at every offset of two words, in
        // strings of every length up to three words.
        for c in (0u8..0x80).map(char::from).chain(['é', '\u{1F600}']) {
            for before in 0..17 {
                for after in 0..9 {
                    let s = format!("{}{c}{}", "x".repeat(before), "y".repeat(after));
                    same(&s);
                }
            }
        }
    }

    #[test]
    fn records_are_written_like_serde_json() {
        let r = Record {
            name: "alice@contoso.com".into(),
            n: u64::MAX,
            neg: i64::MIN,
            big: u128::MAX,
            f: 1.5e-7,
            nan: f64::NAN,
            none: None,
            some: Some(7),
            list: vec!["a".into(), "b\"".into()],
            empty: Vec::new(),
            pair: (1, true),
            c: '"',
            skipped: None,
            renamed: 2,
            e: vec![
                E::Unit,
                E::New(3),
                E::Tuple(-1, "x".into()),
                E::Struct {
                    a: None,
                    b: vec![1, 2],
                },
                E::EmptyTuple(),
                E::EmptyStruct {},
            ],
            unit: Unit,
            tuple: Tuple(9, "t"),
            nothing: Empty {},
            map: [("k\n".to_string(), 1), ("j".to_string(), 2)].into(),
            int_keys: [(-3, 1), (4, 2)].into(),
            bool_keys: [(true, 1), (false, 2)].into(),
            char_keys: [('q', 1)].into(),
        };
        same(&r);
        same(&Vec::<Record>::new());
        same(&[1.0f32, f32::INFINITY, 0.1]);
        same(&b"bytes"[..]);
        same(&Some(Some(())));
    }

    #[test]
    fn a_key_that_is_no_string_is_an_error_as_in_serde_json() {
        let m: BTreeMap<Option<u8>, u8> = [(None, 1)].into();
        assert!(serde_json::to_string(&m).is_err());
        let mut out = Vec::new();
        assert!(write_record(&mut out, &m).is_err());
    }
}
