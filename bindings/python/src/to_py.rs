//! `to_dict()`: the model as Python objects through its `Serialize` (the shape of the JSON
//! contract: objects are dicts, sequences and tuples are lists, unit variants are strings), built
//! directly, with no JSON text in between.
//!
//! Why not pythonize (used before): it makes a new Python string for every field name of every
//! object. A face result has about 200 of them, and making them was half of the conversion. Here
//! each name (a `&'static str` of a `Serialize` impl) is made once per thread and reused, and
//! dicts get keys whose hash Python has already computed.
//! A struct's dict is a copy of a template with its keys (see `Template`), not grown key by key.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyModule, PyString};
use serde::ser::{self, Serialize};

/// `value` as Python objects. `share`: a short text (up to [`SHARED_MAX`] bytes) that comes
/// again and again is made about once and shared, for a conversion of many patients (see
/// [`SHARED_SLOTS`]).
pub(crate) fn to_py<'py>(py: Python<'py>, value: &impl Serialize, share: bool) -> PyResult<Bound<'py, PyAny>> {
    // The caches live in the thread between calls (names and templates are made once) and are
    // lent to the call whole: one thread-local access a conversion, not one per field.
    let mut caches = CACHES.with(|c| c.take());
    if share && caches.shared.is_empty() {
        caches.shared.resize_with(SHARED_SLOTS, || None);
    }
    let caches = RefCell::new(caches);
    let made = value.serialize(ToPy { py, caches: &caches, static_text: false, share }).map_err(|e| e.0);
    let mut caches = caches.into_inner();
    // The document's texts are not kept past the call (the slots of the shared ones are).
    caches.last = None;
    if share {
        // Only a conversion that shares fills the slots: one that does not (a single result)
        // does not walk the 4,096 of them (28 k instructions, a quarter of a face result's conversion).
        caches.shared.iter_mut().for_each(|slot| drop(slot.take()));
    }
    CACHES.with(|c| c.replace(caches));
    made
}

/// The longest text a conversion of many patients shares: a bulk file's codes, numbers, dates
/// and short names. In a 10,000-unit file 115,000 of the 150,000 strings `to_dict()` made were
/// a short text made before in the same conversion (JSON parsers share such strings too).
pub(crate) const SHARED_MAX: usize = 16;

/// The shared texts' slots (a power of two): a cache, not a table of every text. A slot holds
/// the text that came last of those that fall in it, so a text that comes again and again (a
/// code, a date, a program's number) is made about once, and a text of one patient's own (a
/// number, a birthdate) takes a slot until another comes. Why not a map of every text (used
/// before): in a 10,000-unit file it grew to 20,000 texts, most of them never met again, and
/// looking them up missed the cache (a tenth of the conversion in `perf`). These slots take
/// 128 KiB, kept by the thread between conversions.
const SHARED_SLOTS: usize = 4096;

/// A short text as a key: its bytes in two words and its length.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Shared(u64, u64, u8);

impl Shared {
    /// Every byte of `text` (at most [`SHARED_MAX`]) is in the two words, so with the length
    /// they name the text. Read in place, in overlapping pieces: copying the text into a
    /// buffer and reading the words back stalled the load behind the copy (a fifth of this
    /// function in `perf`).
    fn of(text: &str) -> Shared {
        let b = text.as_bytes();
        let n = b.len();
        // Longer texts would not be named by two words (the caller shares none).
        debug_assert!(n <= SHARED_MAX);
        let u32_at = |at: usize| u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]));
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
        let (first, last) = match n {
            8.. => (u64_at(0), u64_at(n - 8)),
            4..8 => (u32_at(0), u32_at(n - 4)),
            1..4 => (u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16, 0),
            0 => (0, 0),
        };
        Shared(first, last, n as u8)
    }

    /// Its slot: the words mixed (a multiply's high bits), so texts that differ in one digit
    /// fall apart.
    fn slot(self) -> usize {
        let mixed = (self.0 ^ self.1.rotate_left(29) ^ u64::from(self.2)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> (64 - SHARED_SLOTS.trailing_zeros())) as usize
    }
}

/// A shared text's slot: the text and its Python string.
struct SharedSlot {
    key: Shared,
    string: Py<PyString>,
}

/// From this many patients on, `to_dict()` pauses Python's cyclic garbage collector while it
/// builds (see [`GcPaused`]). Below it a conversion makes fewer containers than one collection
/// waits for (about ten per patient; CPython collects every 700), so pausing would cost more
/// (three calls into the `gc` module) than it saves.
pub(crate) const GC_PAUSE_PATIENTS: usize = 64;

/// Python's cyclic garbage collector, paused until this is dropped (only if it was running).
///
/// Why: a conversion makes hundreds of thousands of dicts and lists and no cycle. Each 700 of
/// them start a collection that walks the young containers, and the older generations' walks
/// cover the growing result: about a seventh of a bulk file's conversion in callgrind, for
/// nothing, as none of it is garbage. No Python code runs while the GIL is held here, so no
/// other code sees the pause; if the collector was already off, it stays off.
pub(crate) struct GcPaused<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPaused<'py> {
    pub(crate) fn when(py: Python<'py>, pause: bool) -> PyResult<Self> {
        if !pause {
            return Ok(GcPaused { gc: None });
        }
        let gc = py.import("gc")?;
        if !gc.call_method0("isenabled")?.is_truthy()? {
            return Ok(GcPaused { gc: None });
        }
        gc.call_method0("disable")?;
        Ok(GcPaused { gc: Some(gc) })
    }
}

impl Drop for GcPaused<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            // Cannot fail in practice (a method of a built-in module); if it did, the error is
            // dropped here rather than left pending.
            let _ = gc.call_method0("enable");
        }
    }
}

/// A field name's address is its identity (a name is a `&'static str`): one multiply, no hashing
/// of the text.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Mixed into what came before: a key is (address, length), and the length alone would
        // put every name of one length in one bucket.
        self.0 = (self.0.rotate_left(26) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type ByAddress<T> = HashMap<(usize, usize), T, BuildHasherDefault<AddressHasher>>;

/// The address and length of a text that lives as long as the program: its identity.
fn id(text: &str) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// What a conversion reuses.
#[derive(Default)]
struct Caches {
    /// Field names, variant names and kohi's own texts (`kohi::STATIC_TEXT`) as Python strings,
    /// by address: each made once per thread.
    names: ByAddress<Py<PyString>>,
    /// By the struct's name (its address) and its number of fields.
    templates: ByAddress<Rc<Template>>,
    /// The string made last (see [`Last`]).
    last: Option<Last>,
    /// A conversion's short texts (`to_py`'s `share`, see [`SHARED_SLOTS`]); emptied after it.
    /// No slots until the thread's first conversion that shares (`to_py` makes them).
    shared: Vec<Option<SharedSlot>>,
}

thread_local! {
    static CACHES: RefCell<Caches> = RefCell::new(Caches::default());
}

/// The longest text [`Last`] keeps: a number is at most 20 bytes or so, as sent.
const LAST_MAX: usize = 24;

/// The string made last, and its text: a number's normalised form and its raw one come one after
/// the other and are nearly always the same text (a number field's two keys, a 公費's
/// `payer_number` and `payer_number_raw`), so the second is the same Python string, not a new
/// one. Compared by content, so any two equal texts in a row share their (immutable) string.
struct Last {
    string: Py<PyString>,
    len: usize,
    bytes: [u8; LAST_MAX],
}

/// A Python error carried through serde.
pub(crate) struct Error(PyErr);

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("to_dict error")
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("to_dict error")
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(PyValueError::new_err(msg.to_string()))
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error(e)
    }
}

type Result<T> = std::result::Result<T, Error>;

#[derive(Clone, Copy)]
struct ToPy<'a, 'py> {
    py: Python<'py>,
    caches: &'a RefCell<Caches>,
    /// Inside a `kohi::STATIC_TEXT` newtype: the string is one of kohi's own texts.
    static_text: bool,
    /// Short texts are shared (see `to_py`).
    share: bool,
}

impl<'a, 'py> ToPy<'a, 'py> {
    fn int(self, v: impl IntoPyObject<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(v.into_bound_py_any(self.py)?)
    }

    /// The Python string of a text that lives as long as the program (a field name, a variant,
    /// a `kohi::STATIC_TEXT`), made once per thread. Field names are interned, as Python's own
    /// attribute names are.
    fn name(self, text: &str) -> Bound<'py, PyString> {
        let mut caches = self.caches.borrow_mut();
        let py = self.py;
        caches.names.entry(id(text)).or_insert_with(|| PyString::intern(py, text).unbind()).bind(py).clone()
    }

    /// A Python string of `text`: the one made last when it has the same text, or when sharing,
    /// the one its slot keeps for the same short text.
    fn string(self, text: &str) -> Bound<'py, PyString> {
        if self.share && text.len() <= SHARED_MAX {
            let key = Shared::of(text);
            let mut caches = self.caches.borrow_mut();
            let slot = &mut caches.shared[key.slot()];
            if let Some(kept) = slot.as_ref().filter(|kept| kept.key == key) {
                return kept.string.bind(self.py).clone();
            }
            let made = PyString::new(self.py, text);
            *slot = Some(SharedSlot { key, string: made.clone().unbind() });
            return made;
        }
        if text.len() > LAST_MAX {
            return PyString::new(self.py, text);
        }
        let mut caches = self.caches.borrow_mut();
        if let Some(last) = caches.last.as_ref().filter(|l| l.bytes[..l.len] == *text.as_bytes()) {
            return last.string.bind(self.py).clone();
        }
        let made = PyString::new(self.py, text);
        let mut bytes = [0; LAST_MAX];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        caches.last = Some(Last { string: made.clone().unbind(), len: text.len(), bytes });
        made
    }

    /// `{variant: value}`, as serde_json writes a variant with data.
    fn tagged(self, variant: &'static str, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
        let dict = PyDict::new(self.py);
        dict.set_item(self.name(variant), value)?;
        Ok(dict.into_any())
    }
}

impl<'a, 'py> ser::Serializer for ToPy<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Items<'a, 'py>;
    type SerializeTuple = Items<'a, 'py>;
    type SerializeTupleStruct = Items<'a, 'py>;
    type SerializeTupleVariant = Items<'a, 'py>;
    type SerializeMap = Map<'a, 'py>;
    type SerializeStruct = Struct<'a, 'py>;
    type SerializeStructVariant = Map<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok> {
        self.int(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok> {
        self.int(v)
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok> {
        match self.static_text {
            true => Ok(self.name(v).into_any()),
            false => Ok(self.string(v).into_any()),
        }
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok> {
        Ok(PyBytes::new(self.py, v).into_any())
    }
    fn serialize_none(self) -> Result<Self::Ok> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Self::Ok> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Self::Ok> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<Self::Ok> {
        Ok(self.name(variant).into_any())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<Self::Ok> {
        // `kohi::STATIC_TEXT` wraps only a `&'static str` (the core's `StaticText`): its address
        // names it for good.
        value.serialize(ToPy { static_text: name == kohi_core::STATIC_TEXT, ..self })
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Self::Ok> {
        let value = value.serialize(self)?;
        self.tagged(variant, value)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items<'a, 'py>> {
        Ok(Items { to: self, items: Vec::with_capacity(len.unwrap_or(0)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<Items<'a, 'py>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Items<'a, 'py>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Items<'a, 'py>> {
        Ok(Items { to: self, items: Vec::with_capacity(len), variant: Some(variant) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'a, 'py>> {
        Ok(Map { to: self, dict: PyDict::new(self.py), key: None, variant: None })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Struct<'a, 'py>> {
        let template = self.caches.borrow().templates.get(&(name.as_ptr() as usize, len)).cloned();
        let dict = match &template {
            Some(template) => template.dict.bind(self.py).copy()?,
            None => PyDict::new(self.py),
        };
        Ok(Struct { to: self, name, len, dict, template, seen: 0, keys: Vec::new() })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Map<'a, 'py>> {
        Ok(Map { to: self, dict: PyDict::new(self.py), key: None, variant: Some(variant) })
    }
}

/// A list in the making (sequences and tuples; a tuple variant is `{variant: [...]}`).
pub(crate) struct Items<'a, 'py> {
    to: ToPy<'a, 'py>,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'a, 'py> Items<'a, 'py> {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(self.to)?);
        Ok(())
    }

    fn finish(self) -> Result<Bound<'py, PyAny>> {
        let list = PyList::new(self.to.py, self.items)?.into_any();
        match self.variant {
            Some(variant) => self.to.tagged(variant, list),
            None => Ok(list),
        }
    }
}

impl<'a, 'py> ser::SerializeSeq for Items<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeTuple for Items<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeTupleStruct for Items<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeTupleVariant for Items<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

/// A dict in the making (maps; a struct variant is `{variant: {...}}`).
pub(crate) struct Map<'a, 'py> {
    to: ToPy<'a, 'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'a, 'py> Map<'a, 'py> {
    fn finish(self) -> Result<Bound<'py, PyAny>> {
        match self.variant {
            Some(variant) => self.to.tagged(variant, self.dict.into_any()),
            None => Ok(self.dict.into_any()),
        }
    }
}

impl<'a, 'py> ser::SerializeMap for Map<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(self.to)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
        Ok(self.dict.set_item(key, value.serialize(self.to)?)?)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeStructVariant for Map<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let value = value.serialize(self.to)?;
        Ok(self.dict.set_item(self.to.name(key), value)?)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

/// The dict of a struct's first serialization, every value None. A later struct of the same
/// name and number of fields starts as a copy of it (CPython copies a dict's key table whole)
/// and has only its values that are not None set, in place: growing a dict key by key was a
/// quarter of a conversion (a result has about 60 keys, most of them None). Used while the
/// struct gives the template's keys in its order (compared by address: the names are
/// `&'static str`); a struct that does not is made key by key (see [`Struct::leave_template`]).
struct Template {
    keys: Vec<&'static str>,
    /// The key objects, in the fields' order.
    names: Vec<Py<PyString>>,
    dict: Py<PyDict>,
}

/// A struct's dict in the making: a copy of its template filled in as the fields come, or,
/// without one, a dict grown key by key that becomes the template at the end.
pub(crate) struct Struct<'a, 'py> {
    to: ToPy<'a, 'py>,
    name: &'static str,
    len: usize,
    dict: Bound<'py, PyDict>,
    template: Option<Rc<Template>>,
    /// Fields given so far, while there is a template.
    seen: usize,
    /// The keys given so far, without a template.
    keys: Vec<&'static str>,
}

impl<'a, 'py> Struct<'a, 'py> {
    /// The fields so far, as a dict of their own keys: for a struct whose keys are not its
    /// template's (the first `seen` were).
    fn leave_template(&mut self, template: &Template) -> Result<()> {
        let dict = PyDict::new(self.to.py);
        for name in &template.names[..self.seen] {
            let name = name.bind(self.to.py);
            dict.set_item(name, self.dict.get_item(name)?)?;
        }
        self.keys = template.keys[..self.seen].to_vec();
        self.dict = dict;
        self.template = None;
        Ok(())
    }
}

impl<'a, 'py> ser::SerializeStruct for Struct<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let value = value.serialize(self.to)?;
        if let Some(template) = &self.template {
            if template.keys.get(self.seen).is_some_and(|&k| id(k) == id(key)) {
                // The key is in the copy with None: only another value is set (in place).
                if !value.is_none() {
                    self.dict.set_item(template.names[self.seen].bind(self.to.py), value)?;
                }
                self.seen += 1;
                return Ok(());
            }
            let template = Rc::clone(template);
            self.leave_template(&template)?;
        }
        self.dict.set_item(self.to.name(key), value)?;
        self.keys.push(key);
        Ok(())
    }
    fn end(mut self) -> Result<Self::Ok> {
        let py = self.to.py;
        if let Some(template) = self.template.clone() {
            if self.seen == template.keys.len() {
                return Ok(self.dict.into_any());
            }
            self.leave_template(&template)?; // fewer fields than the template
            return Ok(self.dict.into_any());
        }
        let id = (self.name.as_ptr() as usize, self.len);
        if !self.to.caches.borrow().templates.contains_key(&id) {
            let template = PyDict::new(py);
            let names: Vec<Py<PyString>> = self.keys.iter().map(|key| self.to.name(key).unbind()).collect();
            for name in &names {
                template.set_item(name.bind(py), py.None())?;
            }
            let made = Template { keys: std::mem::take(&mut self.keys), names, dict: template.unbind() };
            self.to.caches.borrow_mut().templates.insert(id, Rc::new(made));
        }
        Ok(self.dict.into_any())
    }
}
