//! `result.toJSON()`'s objects, built by index.js from the model's values: no JSON text.
//!
//! A serde serializer writes what serde_json would write as JSON as a part: a control string
//! (each value a tag and its content, each object its shape's number and then a value per key;
//! a short Latin-1 text in place), the short texts past Latin-1, and a buffer of the longer
//! texts. index.js makes one builder per shape, an object literal of its keys, and reads the
//! values into it. JSON text made every key and every punctuation mark a character to write,
//! escape, read and look up again; `JSON.parse` also read the keys of each of a bulk file's
//! 60,000 objects afresh.
//!
//! Why so: V8 copies a substring shorter than 13 characters and makes a longer one a slice that
//! keeps the whole string it came from alive (one patient kept from a bulk file's `toJSON()` kept
//! its part of a single string alive, 1,024 patients' values: 25 MB more for 20 of them). So the
//! control string (tags, counts, short Latin-1 texts, one byte a character) and the string of
//! short texts past Latin-1 are read and dropped, each text copied out of them by V8; a longer
//! text is made from a buffer (`Buffer.toString`), a string of its own, and the buffer dropped
//! too. A Latin-1 text is one byte a character, as `JSON.parse` makes it. A short text met
//! before in the part is that string again (`SAME`), as `JSON.parse` makes each short value once
//! (a bulk file's codes, dates and labels repeat in every unit).
//!
//! Shapes are numbered for good, per thread (`Shapes`): a part lists only the shapes from the
//! count its reader says it has, so after the first result a part is values alone.
//!
//! A part is the control string, the short texts past Latin-1 (UTF-16) and the buffer of longer
//! texts: the Latin-1 ones, then the others as UTF-16LE. The control string, one byte a
//! character (Latin-1): the number of the first shape the part lists (four bytes, high first),
//! the length of the table in bytes (four), where the buffer's UTF-16 texts start (four), the
//! table (each shape its key count as a head, then each key as a head and its UTF-16 units, two
//! bytes each), then one value. A head is a number + 1 in one byte when that is below 255, else
//! 255 and four bytes.
//!
//! | tag | value | then |
//! |---|---|---|
//! | `NULL` | `null` | — |
//! | `FALSE`, `TRUE` | a boolean | — |
//! | `TEXT` | a Latin-1 string shorter than 13 characters | its length (a head), its bytes |
//! | `LATIN1` | a longer Latin-1 string | its length (a head): the buffer's next Latin-1 bytes |
//! | `WIDE` | a shorter other string | its length in units (a head): the next units of the short texts |
//! | `WIDE_LONG` | a longer other string | its length in units (a head): the buffer's next UTF-16 units |
//! | `SAME` | the same string as a `TEXT` or `WIDE` before it in the part | which one, counting both from 0 (a head) |
//! | `NUMBER` | a number | its decimal text's length (a head), the text, as serde_json writes it |
//! | `ARRAY` | an array | the item count (four bytes), the items |
//! | `OBJECT` | an object of a shape | the shape's number (two bytes), a value per key |
//! | `MAP` | an object of any keys | the key count (four bytes), each key (a string value) and value |
//!
//! Everything serde_json writes as JSON is written here as the same value: a struct is an
//! object of its fields, an enum's unit variant a string, any other variant an object of one key
//! (the variant), a map an object, a tuple an array, a non-finite float `null`.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;
use serde::ser;

// The tags, given to index.js in this order by `value_tags`.
pub(crate) const NULL: u8 = 0;
pub(crate) const FALSE: u8 = 1;
pub(crate) const TRUE: u8 = 2;
pub(crate) const TEXT: u8 = 3;
pub(crate) const NUMBER: u8 = 4;
pub(crate) const ARRAY: u8 = 5;
pub(crate) const OBJECT: u8 = 6;
pub(crate) const MAP: u8 = 7;
pub(crate) const LATIN1: u8 = 8;
pub(crate) const WIDE: u8 = 9;
pub(crate) const WIDE_LONG: u8 = 10;
pub(crate) const SAME: u8 = 11;

/// The tags for index.js, in the order above (it takes its numbers from here).
#[napi_derive::napi(skip_typescript)]
pub fn value_tags() -> Vec<u32> {
    [NULL, FALSE, TRUE, TEXT, NUMBER, ARRAY, OBJECT, MAP, LATIN1, WIDE, WIDE_LONG, SAME].map(u32::from).to_vec()
}

/// V8's `SlicedString::kMinLength`: a substring this long or longer is a slice of its string.
const SLICED_FROM: usize = 13;

/// The hasher of this file's tables, whose keys are hashes or addresses already mixed
/// (`address_key`, `text_hash`): a `u64` key is its own hash.
#[derive(Default)]
struct Unmixed(u64);

impl Hasher for Unmixed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The shapes made on this thread, numbered in the order they were first made: the numbers
/// stay, so index.js keeps a builder per number and a part lists only the shapes index.js does
/// not have yet. A model has a few dozen shapes (its structs'), so this stays small.
#[derive(Default)]
struct Shapes {
    /// Each shape's keys, by number. Keys are the `&'static str` serde hands over: a struct's
    /// field names are the same texts at the same addresses every time.
    keys: Vec<Vec<&'static str>>,
    /// Shape numbers by the hash of their keys' addresses (checked against `keys`).
    by_hash: HashMap<u64, u32, BuildHasherDefault<Unmixed>>,
    /// The shape a struct of this name (its address) had last (checked against `keys`): found
    /// without hashing its keys, which a model's largest struct has 64 of.
    by_name: HashMap<u64, u32, BuildHasherDefault<Unmixed>>,
}

/// The short texts written in a part (`TEXT`, `WIDE`), in order, and their numbers by their
/// hash: emptied for each part, kept for its room.
#[derive(Default)]
struct Shorts {
    list: Vec<Short>,
    by_hash: HashMap<u64, u32, BuildHasherDefault<Unmixed>>,
}

/// What a thread keeps between parts.
#[derive(Default)]
struct Kept {
    shapes: Shapes,
    shorts: Shorts,
}

thread_local! {
    static KEPT: std::cell::RefCell<Kept> = std::cell::RefCell::new(Kept::default());
}

/// An address and a length as one well-mixed number (a hash map's key).
fn address_key(text: &str) -> u64 {
    (text.as_ptr() as u64 ^ (text.len() as u64) << 48).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// One part being written.
pub(crate) struct Writer<'s> {
    control: Vec<u8>,
    short_wide: Vec<u16>,
    latin1_long: Vec<u8>,
    wide_long: Vec<u16>,
    shapes: &'s mut Shapes,
    /// The keys of the objects being written, innermost last.
    keys: Vec<&'static str>,
    /// The first shape the part's table lists: the reader's count of shapes, or this thread's
    /// if fewer (see `finish`).
    from: usize,
    /// The table's length in bytes, for the shapes up to `counted` (see `len`).
    table_bytes: usize,
    counted: usize,
    shorts: &'s mut Shorts,
}

/// A short text written in a part: where its characters are, in the control string or (`wide`)
/// in the short texts past Latin-1.
struct Short {
    wide: bool,
    at: usize,
    len: usize,
}

/// A part as index.js takes it: the control string's bytes, the short texts past Latin-1, the
/// buffer of longer texts.
pub(crate) type Part = (Vec<u8>, Vec<u16>, Vec<u8>);

impl<'s> Writer<'s> {
    /// A part for a reader that has the builders of the first `known` shapes.
    fn new(kept: &'s mut Kept, known: usize) -> Self {
        let Kept { shapes, shorts } = kept;
        shorts.clear();
        let from = known.min(shapes.keys.len());
        Writer {
            control: Vec::new(),
            short_wide: Vec::new(),
            latin1_long: Vec::new(),
            wide_long: Vec::new(),
            shapes,
            keys: Vec::new(),
            from,
            table_bytes: 0,
            counted: from,
            shorts,
        }
    }

    /// The table: the shapes from `from` on, each its key count and its keys.
    fn table(&self, from: usize) -> Vec<u8> {
        let mut table = Vec::new();
        for keys in &self.shapes.keys[from..] {
            push_head(&mut table, keys.len());
            for key in keys {
                push_head(&mut table, key.encode_utf16().count());
                table.extend(key.encode_utf16().flat_map(u16::to_be_bytes));
            }
        }
        table
    }

    /// The part as index.js reads it. The number of its first shape is the reader's count, or
    /// this thread's if fewer, which index.js then takes as its own: a count it can only have
    /// if this thread's shapes were made anew.
    fn finish(self) -> Part {
        let table = self.table(self.from);
        let mut control = Vec::with_capacity(12 + table.len() + self.control.len());
        for n in [self.from, table.len(), self.latin1_long.len()] {
            control.extend_from_slice(&(n as u32).to_be_bytes());
        }
        control.extend_from_slice(&table);
        control.extend_from_slice(&self.control);
        let mut long = self.latin1_long;
        long.extend(self.wide_long.iter().flat_map(|u| u.to_le_bytes()));
        (control, self.short_wide, long)
    }

    /// The length in characters of the part's longest string or text if it were finished now.
    fn len(&mut self) -> usize {
        if self.counted < self.shapes.keys.len() {
            self.table_bytes += self.table(self.counted).len();
            self.counted = self.shapes.keys.len();
        }
        let control = 12 + self.table_bytes + self.control.len();
        control.max(self.short_wide.len()).max(self.latin1_long.len()).max(self.wide_long.len())
    }

    /// A tag and four bytes for a count written when it is known (`set_count`); where they are.
    fn start_counted(&mut self, tag: u8) -> usize {
        self.control.extend_from_slice(&[tag, 0, 0, 0, 0]);
        self.control.len() - 4
    }

    fn set_count(&mut self, at: usize, count: usize) {
        self.control[at..at + 4].copy_from_slice(&(count as u32).to_be_bytes());
    }

    /// The number of the shape of the keys from `keys_from` on, of a struct named `name`, made
    /// if new.
    fn shape(&mut self, name: &'static str, keys_from: usize) -> u32 {
        let keys = &self.keys[keys_from..];
        let shapes = &mut *self.shapes;
        let same =
            |shape: &[&str]| shape.len() == keys.len() && shape.iter().zip(keys).all(|(a, b)| std::ptr::eq(*a, *b));
        let name = address_key(name);
        if let Some(&id) = shapes.by_name.get(&name)
            && same(&shapes.keys[id as usize])
        {
            return id;
        }
        let hash = keys.iter().fold(keys.len() as u64, |h, k| h.rotate_left(26) ^ address_key(k));
        let id = match shapes.by_hash.get(&hash) {
            Some(&id) if same(&shapes.keys[id as usize]) => id,
            // Another shape with the same hash (never seen, but possible): looked for one by one.
            _ => match shapes.keys.iter().position(|shape| same(shape)) {
                Some(id) => id as u32,
                None => {
                    let id = shapes.keys.len() as u32;
                    shapes.keys.push(keys.to_vec());
                    shapes.by_hash.entry(hash).or_insert(id);
                    id
                }
            },
        };
        shapes.by_name.insert(name, id);
        id
    }

    fn number(&mut self, n: impl Display) {
        use std::fmt::Write;
        let mut text = Digits::default();
        let _ = write!(text, "{n}");
        self.control.push(NUMBER);
        push_head(&mut self.control, text.len);
        self.control.extend_from_slice(text.as_str().as_bytes());
    }

    /// A string: in place when short and Latin-1, else with the short texts past Latin-1 or
    /// in the buffer of longer texts.
    fn string(&mut self, text: &str) {
        if text.is_ascii() {
            self.latin1_text(text.as_bytes());
        } else if encoding_rs::mem::is_str_latin1(text) {
            let mut bytes = vec![0; text.len()];
            let written = encoding_rs::mem::convert_utf8_to_latin1_lossy(text.as_bytes(), &mut bytes);
            self.latin1_text(&bytes[..written]);
        } else {
            let mut units = std::mem::take(&mut self.wide_long);
            let start = units.len();
            units.resize(start + text.len(), 0);
            let written = encoding_rs::mem::convert_str_to_utf16(text, &mut units[start..]);
            units.truncate(start + written);
            if written < SLICED_FROM {
                let hash = text_hash(
                    true,
                    units[start..].chunks(4).map(|c| c.iter().rev().fold(0, |w, &u| w << 16 | u64::from(u))),
                );
                let text = &units[start..];
                if !self.same_as_before(hash, |w, s| s.wide && w.short_wide[s.at..s.at + s.len] == *text) {
                    self.remember(hash, true, self.short_wide.len(), written);
                    self.short_wide.extend_from_slice(text);
                    self.control.push(WIDE);
                    push_head(&mut self.control, written);
                }
                units.truncate(start);
            } else {
                self.control.push(WIDE_LONG);
                push_head(&mut self.control, written);
            }
            self.wide_long = units;
        }
    }

    /// Writes `SAME` for the short text with this hash written before in the part, if `is_it`
    /// finds its characters the same; whether it did.
    fn same_as_before(&mut self, hash: u64, is_it: impl Fn(&Self, &Short) -> bool) -> bool {
        match self.shorts.find(hash) {
            Some((i, before)) if is_it(self, before) => {
                self.control.push(SAME);
                push_head(&mut self.control, i as usize);
                true
            }
            _ => false,
        }
    }

    /// A short text written at `at` (in the control string, or in the short texts past Latin-1),
    /// for `SAME` to name later.
    fn remember(&mut self, hash: u64, wide: bool, at: usize, len: usize) {
        self.shorts.by_hash.insert(hash, self.shorts.list.len() as u32);
        self.shorts.list.push(Short { wide, at, len });
    }

    fn latin1_text(&mut self, bytes: &[u8]) {
        if bytes.len() < SLICED_FROM {
            let hash = text_hash(false, bytes.chunks(8).map(|c| c.iter().rev().fold(0, |w, &b| w << 8 | u64::from(b))));
            if !self.same_as_before(hash, |w, s| !s.wide && w.control[s.at..s.at + s.len] == *bytes) {
                self.control.push(TEXT);
                push_head(&mut self.control, bytes.len());
                self.remember(hash, false, self.control.len(), bytes.len());
                self.control.extend_from_slice(bytes);
            }
        } else {
            self.control.push(LATIN1);
            push_head(&mut self.control, bytes.len());
            self.latin1_long.extend_from_slice(bytes);
        }
    }

    /// An object of one key (an enum variant that is not a unit), its value written after.
    fn variant(&mut self, variant: &'static str) {
        let at = self.start_counted(MAP);
        self.set_count(at, 1);
        self.string(variant);
    }
}

impl Shorts {
    /// Empties the index, keeping room for a part of a few patients (done after each part too:
    /// the hashes are of a patient's texts; a bulk file's part of 1,024 patients needs far more).
    fn clear(&mut self) {
        const ROOM: usize = 4096;
        self.list.clear();
        self.by_hash.clear();
        self.list.shrink_to(ROOM);
        self.by_hash.shrink_to(ROOM);
    }

    /// The number and place of the short text written before with this hash, if any (its
    /// characters are still to be compared).
    fn find(&self, hash: u64) -> Option<(u32, &Short)> {
        self.by_hash.get(&hash).and_then(|&i| self.list.get(i as usize).map(|s| (i, s)))
    }
}

/// A short text's hash, by its kind and its characters taken eight bytes at a time.
fn text_hash(wide: bool, words: impl Iterator<Item = u64>) -> u64 {
    words.fold(u64::from(wide), |h, w| (h.rotate_left(26) ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A length or a count: + 1 in one byte below 255, else 255 and the number in four bytes (a
/// part is shorter than V8's longest string, 2^29 characters, so every number fits).
fn push_head(out: &mut Vec<u8>, n: usize) {
    match u8::try_from(n + 1) {
        Ok(head) if head < u8::MAX => out.push(head),
        _ => {
            out.push(u8::MAX);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
}

/// A number's text without an allocation (the longest, an `i128`, takes 40 bytes; a float's
/// shortest form no more than 24).
struct Digits {
    bytes: [u8; 40],
    len: usize,
}

impl Default for Digits {
    fn default() -> Self {
        Digits { bytes: [0; 40], len: 0 }
    }
}

impl Digits {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for Digits {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// What cannot be written as JSON either (a map key that is not a string, a number or a
/// boolean): never in kohi's model.
#[derive(Debug)]
pub(crate) struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, Error>;

/// serde's ten integer methods, each `body` with the serializer as `this` and the number as `v`
/// (a number is written as its decimal text, whatever its width).
macro_rules! integers {
    (|$this:ident, $v:ident| $body:expr) => {
        integers!(@each |$this, $v| $body; serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
            serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
            serialize_u32(u32), serialize_u64(u64), serialize_u128(u128));
    };
    (@each |$this:ident, $v:ident| $body:expr; $($method:ident($ty:ty)),+) => {$(
        fn $method(self, $v: $ty) -> Result<()> {
            let $this = self;
            $body
        }
    )+};
}

impl<'a, 's> ser::Serializer for &'a mut Writer<'s> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a, 's>;
    type SerializeTuple = Seq<'a, 's>;
    type SerializeTupleStruct = Seq<'a, 's>;
    type SerializeTupleVariant = Seq<'a, 's>;
    type SerializeMap = Map<'a, 's>;
    type SerializeStruct = Object<'a, 's>;
    type SerializeStructVariant = Object<'a, 's>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.control.push(if v { TRUE } else { FALSE });
        Ok(())
    }
    integers!(|this, v| {
        this.number(v);
        Ok(())
    });
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        // serde_json writes a non-finite float as null. A finite one in Rust's shortest form
        // that reads back exactly (`{:?}`: an exponent past 1e16, so never longer than 24
        // bytes), which JavaScript's Number() reads as the same double as serde_json's form.
        match v.is_finite() {
            true => self.number(format_args!("{v:?}")),
            false => self.control.push(NULL),
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        let at = self.start_counted(ARRAY);
        for &b in v {
            self.number(b);
        }
        self.set_count(at, v.len());
        Ok(())
    }
    fn serialize_none(self) -> Result<()> {
        self.control.push(NULL);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.variant(variant);
        value.serialize(self)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a, 's>> {
        let at = self.start_counted(ARRAY);
        Ok(Seq { to: self, at, count: 0 })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 's>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a, 's>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a, 's>> {
        self.variant(variant);
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'a, 's>> {
        let at = self.start_counted(MAP);
        Ok(Map { to: self, at, count: 0 })
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Object<'a, 's>> {
        self.control.extend_from_slice(&[OBJECT, 0, 0]);
        let (at, keys_from) = (self.control.len() - 2, self.keys.len());
        Ok(Object { to: self, name, at, keys_from })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Object<'a, 's>> {
        self.variant(variant);
        self.serialize_struct(name, len)
    }
}

/// An array being written.
pub(crate) struct Seq<'a, 's> {
    to: &'a mut Writer<'s>,
    at: usize,
    count: usize,
}

impl Seq<'_, '_> {
    fn item<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.count += 1;
        value.serialize(&mut *self.to)
    }
    fn finish(self) -> Result<()> {
        self.to.set_count(self.at, self.count);
        Ok(())
    }
}

/// Every serde list (a sequence, a tuple, a tuple struct's or a tuple variant's fields) is an
/// array (`Seq`): the same two methods under each trait's names.
macro_rules! as_array {
    ($($trait:ident :: $add:ident),+) => {$(
        impl ser::$trait for Seq<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $add<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
                self.item(value)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    )+};
}

as_array!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// An object of any keys being written (a map).
pub(crate) struct Map<'a, 's> {
    to: &'a mut Writer<'s>,
    at: usize,
    count: usize,
}

impl ser::SerializeMap for Map<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.count += 1;
        key.serialize(Key(&mut *self.to))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.to)
    }
    fn end(self) -> Result<()> {
        self.to.set_count(self.at, self.count);
        Ok(())
    }
}

/// An object of a shape being written: its values now, its shape at the end.
pub(crate) struct Object<'a, 's> {
    to: &'a mut Writer<'s>,
    name: &'static str,
    at: usize,
    keys_from: usize,
}

impl ser::SerializeStruct for Object<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.to.keys.push(key);
        value.serialize(&mut *self.to)
    }
    fn end(self) -> Result<()> {
        let id = self.to.shape(self.name, self.keys_from);
        // A model has a few dozen shapes; this many would be a fault of the writer's.
        let id = u16::try_from(id).map_err(|_| Error("more shapes than a part can number".into()))?;
        self.to.control[self.at..self.at + 2].copy_from_slice(&id.to_be_bytes());
        self.to.keys.truncate(self.keys_from);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Object<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeStruct::end(self)
    }
}

/// A map's key as a string value: a string, or a number or boolean written as serde_json
/// writes it as a key.
struct Key<'a, 's>(&'a mut Writer<'s>);

impl Key<'_, '_> {
    fn text(self, text: &str) -> Result<()> {
        self.0.string(text);
        Ok(())
    }
    fn display(self, v: impl Display) -> Result<()> {
        use std::fmt::Write;
        let mut text = Digits::default();
        let _ = write!(text, "{v}");
        self.text(text.as_str())
    }
}

fn not_a_key<T>() -> Result<T> {
    Err(Error("a map key must be a string, a number or a boolean".into()))
}

impl ser::Serializer for Key<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.text(if v { "true" } else { "false" })
    }
    integers!(|this, v| this.display(v));
    fn serialize_f32(self, _v: f32) -> Result<()> {
        not_a_key()
    }
    fn serialize_f64(self, _v: f64) -> Result<()> {
        not_a_key()
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.text(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        not_a_key()
    }
    fn serialize_none(self) -> Result<()> {
        not_a_key()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<()> {
        not_a_key()
    }
    fn serialize_unit(self) -> Result<()> {
        not_a_key()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        not_a_key()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        not_a_key()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        not_a_key()
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        not_a_key()
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct> {
        not_a_key()
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        not_a_key()
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        not_a_key()
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        not_a_key()
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        not_a_key()
    }
}

/// `value` as one part for a reader that has the builders of the first `known` shapes: `None`
/// if one of its strings or texts would be longer than `limit` characters (or if serde refused
/// it, which kohi's model cannot make it do).
pub(crate) fn part(value: &impl Serialize, known: usize, limit: usize) -> Option<Part> {
    KEPT.with_borrow_mut(|kept| {
        let mut writer = Writer::new(kept, known);
        let written = value.serialize(&mut writer).ok().and_then(|()| (writer.len() <= limit).then(|| writer.finish()));
        kept.shorts.clear();
        written
    })
}

/// An array of the first of `patients` whose part's strings and texts fit in `limit` characters each:
/// every one when they fit, else up to the one that would pass it. `None` when the first alone
/// does not fit (an empty slice gives an empty array). `known` as for [`part`].
pub(crate) fn patients_part<T: Serialize>(patients: &[T], limit: usize, known: usize) -> Option<Part> {
    let part = KEPT.with_borrow_mut(|kept| {
        let mut writer = Writer::new(kept, known);
        let at = writer.start_counted(ARRAY);
        let mut count = 0;
        for patient in patients {
            let marks =
                (writer.control.len(), writer.short_wide.len(), writer.latin1_long.len(), writer.wide_long.len());
            let shorts = writer.shorts.list.len();
            patient.serialize(&mut writer).ok()?;
            if writer.len() > limit {
                if count == 0 {
                    return None;
                }
                writer.control.truncate(marks.0);
                writer.short_wide.truncate(marks.1);
                writer.latin1_long.truncate(marks.2);
                writer.wide_long.truncate(marks.3);
                // Numbers past the list are never matched again (`SAME` is written only for a
                // text found in the list, with the same characters).
                writer.shorts.list.truncate(shorts);
                break;
            }
            count += 1;
        }
        writer.set_count(at, count);
        Some(writer.finish())
    });
    KEPT.with_borrow_mut(|kept| kept.shorts.clear());
    part
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The reading index.js does (`objectsOf`), into serde_json's values: the shapes of the
    /// parts read before are kept, as index.js keeps their builders.
    #[derive(Default)]
    struct Reader {
        shapes: Vec<Vec<String>>,
    }

    /// Where the reading of a part is in each of its strings, and where the buffer's UTF-16
    /// texts start.
    struct At<'p> {
        part: &'p Part,
        /// The short texts read so far, for `SAME`, and where the last value's tag was.
        seen: Vec<String>,
        last_tag: usize,
        control: usize,
        short_wide: usize,
        latin1_long: usize,
        wide_long: usize,
    }

    impl At<'_> {
        fn byte(&mut self) -> u8 {
            self.control += 1;
            self.part.0[self.control - 1]
        }

        fn four(&mut self) -> usize {
            (0..4).fold(0, |n, _| n << 8 | usize::from(self.byte()))
        }

        fn head(&mut self) -> usize {
            match self.byte() {
                u8::MAX => self.four(),
                head => usize::from(head) - 1,
            }
        }

        fn bytes(&mut self, n: usize) -> String {
            self.control += n;
            self.part.0[self.control - n..self.control].iter().map(|&b| char::from(b)).collect()
        }
    }

    /// The length in characters of a part's longest string or text kind (what its limit counts).
    fn longest(part: &Part) -> usize {
        let latin1 = u32::from_be_bytes(part.0[8..12].try_into().unwrap()) as usize;
        part.0.len().max(part.1.len()).max(latin1).max((part.2.len() - latin1) / 2)
    }

    impl Reader {
        fn known(&self) -> usize {
            self.shapes.len()
        }

        fn read(&mut self, part: &Part) -> Value {
            let mut at =
                At { part, seen: Vec::new(), last_tag: 0, control: 0, short_wide: 0, latin1_long: 0, wide_long: 0 };
            let from = at.four();
            assert!(from <= self.shapes.len());
            self.shapes.truncate(from);
            let table_end = 12 + at.four();
            let latin1_end = at.four();
            at.wide_long = latin1_end;
            while at.control < table_end {
                let count = at.head();
                let keys = (0..count)
                    .map(|_| {
                        let units: Vec<u16> =
                            (0..at.head()).map(|_| u16::from_be_bytes([at.byte(), at.byte()])).collect();
                        String::from_utf16(&units).unwrap()
                    })
                    .collect();
                self.shapes.push(keys);
            }
            assert_eq!(at.control, table_end, "the table reads to its length");
            let value = self.value(&mut at);
            assert_eq!(
                (at.control, at.short_wide, at.latin1_long, at.wide_long),
                (part.0.len(), part.1.len(), latin1_end, part.2.len()),
                "read to the end"
            );
            value
        }

        fn value(&self, at: &mut At<'_>) -> Value {
            let value = self.one(at);
            if let (Value::String(text), Some(&(TEXT | WIDE))) = (&value, at.part.0.get(at.last_tag)) {
                at.seen.push(text.clone());
            }
            value
        }

        fn one(&self, at: &mut At<'_>) -> Value {
            at.last_tag = at.control;
            match at.byte() {
                NULL => Value::Null,
                FALSE => Value::Bool(false),
                TRUE => Value::Bool(true),
                TEXT => {
                    let n = at.head();
                    assert!(n < SLICED_FROM);
                    Value::String(at.bytes(n))
                }
                LATIN1 => {
                    let n = at.head();
                    assert!(n >= SLICED_FROM);
                    at.latin1_long += n;
                    let bytes = &at.part.2[at.latin1_long - n..at.latin1_long];
                    Value::String(bytes.iter().map(|&b| char::from(b)).collect())
                }
                WIDE => {
                    let n = at.head();
                    assert!(n < SLICED_FROM);
                    at.short_wide += n;
                    Value::String(String::from_utf16(&at.part.1[at.short_wide - n..at.short_wide]).unwrap())
                }
                WIDE_LONG => {
                    let n = at.head();
                    assert!(n >= SLICED_FROM);
                    at.wide_long += 2 * n;
                    let bytes = &at.part.2[at.wide_long - 2 * n..at.wide_long];
                    let units: Vec<u16> = bytes.chunks(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
                    Value::String(String::from_utf16(&units).unwrap())
                }
                // As JavaScript's Number() would read it.
                NUMBER => {
                    let n = at.head();
                    json!(at.bytes(n).parse::<f64>().unwrap())
                }
                SAME => {
                    let i = at.head();
                    Value::String(at.seen[i].clone())
                }
                ARRAY => Value::Array((0..at.four()).map(|_| self.value(at)).collect()),
                OBJECT => {
                    let shape = &self.shapes[usize::from(u16::from_be_bytes([at.byte(), at.byte()]))];
                    Value::Object(shape.iter().map(|key| (key.clone(), self.value(at))).collect())
                }
                MAP => Value::Object(
                    (0..at.four())
                        .map(|_| {
                            let Value::String(key) = self.value(at) else { panic!("a key that is no string") };
                            (key, self.value(at))
                        })
                        .collect(),
                ),
                tag => panic!("tag {tag}"),
            }
        }

        fn part(&mut self, value: &impl Serialize) -> Value {
            let part = part(value, self.known(), usize::MAX).unwrap();
            self.read(&part)
        }
    }

    /// A part read by a reader that knows no shape.
    fn read(part: &Part) -> Value {
        Reader::default().read(part)
    }

    /// serde_json's value with every number as JavaScript holds it (a double).
    fn as_js(value: Value) -> Value {
        match value {
            Value::Number(n) => json!(n.as_f64().unwrap()),
            Value::Array(items) => Value::Array(items.into_iter().map(as_js).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, as_js(v))).collect()),
            other => other,
        }
    }

    fn fixture(name: &str) -> kohi_core::Document {
        let path = format!("{}/../../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        kohi_core::parse(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn every_fixture_reads_back_as_its_json() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
        let mut read_back = 0;
        // One reader for them all, as index.js reads every result of a process.
        let mut reader = Reader::default();
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let Ok(bytes) = std::fs::read(format!("{dir}/{name}")) else { continue };
            let Ok(doc) = kohi_core::parse(&bytes) else { continue };
            let json = as_js(serde_json::to_value(&doc).unwrap());
            let mut doc_part = reader.part(&crate::json::WithoutPatients::of(&doc));
            let patients = reader.read(&patients_part(&doc.patients, usize::MAX, reader.known()).unwrap());
            doc_part["patients"] = patients;
            // The same keys in the same order, the same values.
            assert_eq!(doc_part.to_string(), json.to_string(), "{name}");
            read_back += 1;
        }
        assert!(read_back >= 10, "{read_back} fixtures");
    }

    /// What kohi's model does not use, written as serde_json writes it all the same.
    #[derive(Serialize)]
    #[serde(rename = "Shape")]
    struct Odd {
        map: std::collections::BTreeMap<&'static str, Variant>,
        numbers: (i8, u64, i64, f32, f64, f64),
        long: String,
        bytes: serde_bytes_like::Bytes,
        unit: (),
        letter: char,
        keyed: std::collections::BTreeMap<u16, bool>,
        latin1: (&'static str, String, &'static str),
    }

    /// Another struct of the same name, other keys: a shape of its own.
    #[derive(Serialize)]
    #[serde(rename = "Shape")]
    struct Other {
        long: &'static str,
    }

    #[derive(Serialize)]
    enum Variant {
        Unit,
        Newtype(u8),
        Tuple(u8, &'static str),
        Struct { a: Option<u8> },
    }

    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn what_the_model_does_not_use_reads_back_as_serde_json_writes_it() {
        let odd = Odd {
            map: [
                ("u", Variant::Unit),
                ("n", Variant::Newtype(7)),
                ("t", Variant::Tuple(1, "x")),
                ("s", Variant::Struct { a: None }),
            ]
            .into_iter()
            .collect(),
            numbers: (-128, u64::MAX, i64::MIN, 0.1, 1e300, f64::NAN),
            // Past one head unit, with a surrogate pair and the characters JSON escapes.
            long: format!("{}𠮷\"\\\n\u{0}", "見".repeat(70_000)),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
            unit: (),
            letter: 'ｱ',
            keyed: [(1, true), (65535, false)].into_iter().collect(),
            // Latin-1 past ASCII: one byte a character, in place or in the Latin-1 string.
            latin1: ("é", "Zoë ".repeat(80), "abcdefghijkl"),
        };
        let both = (&odd, [Other { long: "short" }], &odd);
        let back = Reader::default().part(&both);
        // Each text where it belongs: short Latin-1 ones in place (V8 copies them), longer
        // Latin-1 ones in their own string, the rest in the UTF-16 one.
        let (control, short_wide, long) = part(&both, usize::MAX, usize::MAX).unwrap();
        let zoe: Vec<u8> = "Zoë ".repeat(80).chars().map(|c| c as u8).collect();
        let latin1 = [zoe.clone(), zoe].concat();
        assert_eq!(&control[8..12], &(latin1.len() as u32).to_be_bytes());
        assert_eq!(&long[..latin1.len()], &latin1[..]);
        assert!(control.windows(13).any(|w| w == b"\x0dabcdefghijkl"));
        // The second of each short text is the first again.
        assert_eq!(String::from_utf16(&short_wide).unwrap(), "ｱ");
        assert_eq!(control.windows(13).filter(|w| *w == b"\x0dabcdefghijkl").count(), 1);
        let units: Vec<u16> = long[latin1.len()..].chunks(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        let wide = String::from_utf16(&units).unwrap();
        assert!(wide.starts_with('見') && wide.ends_with('\u{0}') && !wide.contains('Z') && !wide.contains('ｱ'));
        assert_eq!(back.to_string(), as_js(serde_json::to_value(&both).unwrap()).to_string());
        assert_eq!(back[0]["numbers"][1], json!(u64::MAX as f64));
        assert_eq!(back[1][0], json!({"long": "short"}));
    }

    #[test]
    fn a_part_ends_before_the_patient_that_would_pass_the_limit() {
        let patients = fixture("bulk_three_units.xml").patients;
        assert_eq!(patients.len(), 3);
        let all = patients_part(&patients, usize::MAX, 0).unwrap();
        assert_eq!(read(&all), as_js(serde_json::to_value(&patients).unwrap()));
        assert_eq!(patients_part(&patients, longest(&all), 0).unwrap(), all);
        // One unit short of all three: the first two, read back as they are.
        let two = patients_part(&patients, longest(&all) - 1, 0).unwrap();
        assert_eq!(read(&two), as_js(serde_json::to_value(&patients[..2]).unwrap()));
        let one = patients_part(&patients[..1], usize::MAX, 0).unwrap();
        assert_eq!(patients_part(&patients, longest(&one), 0).unwrap(), one);
        // Not even the first.
        assert_eq!(patients_part(&patients, longest(&one) - 1, 0), None);
        assert_eq!(read(&patients_part::<kohi_core::Patient>(&[], 4, 0).unwrap()), json!([]));
    }

    #[test]
    fn a_reader_gets_only_the_shapes_it_does_not_have() {
        let doc = fixture("face_pmh_two.xml");
        let json = as_js(serde_json::to_value(&doc.patients).unwrap());
        let mut reader = Reader::default();
        assert_eq!(reader.read(&patients_part(&doc.patients, usize::MAX, 0).unwrap()), json);
        let known = reader.known();
        assert!(known >= 5, "{known} shapes");
        // Read again: no table, the values alone, read by the builders already made.
        let again = patients_part(&doc.patients, usize::MAX, known).unwrap();
        assert_eq!(&again.0[..8], &[0, 0, 0, known as u8, 0, 0, 0, 0]);
        assert_eq!(reader.read(&again), json);
        // A reader that counts more shapes than this thread has (index.js's shapes outlived
        // the addon's, say) is told this thread's count, and reads right from it.
        std::thread::spawn(move || {
            let mut reader = Reader { shapes: vec![vec!["wrong".to_owned()]; 40] };
            let fresh = patients_part(&doc.patients, usize::MAX, reader.known()).unwrap();
            assert_eq!(&fresh.0[..4], &[0, 0, 0, 0]);
            assert_eq!(reader.read(&fresh), json);
        })
        .join()
        .unwrap();
    }
}
