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

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyModule, PyString};
use serde::ser::{self, Serialize};

/// `value` as Python objects.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    value.serialize(ToPy { py }).map_err(|e| e.0)
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

type Names = HashMap<(usize, usize), Py<PyString>, BuildHasherDefault<AddressHasher>>;

thread_local! {
    static NAMES: RefCell<Names> = RefCell::new(Names::default());
}

/// The Python string of a field name, made once per thread.
fn name<'py>(py: Python<'py>, key: &'static str) -> Bound<'py, PyString> {
    let id = (key.as_ptr() as usize, key.len());
    NAMES.with(|names| {
        if let Some(s) = names.borrow().get(&id) {
            return s.bind(py).clone();
        }
        let s = PyString::intern(py, key);
        names.borrow_mut().insert(id, s.clone().unbind());
        s
    })
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
struct ToPy<'py> {
    py: Python<'py>,
}

impl<'py> ToPy<'py> {
    fn int(self, v: impl IntoPyObject<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(v.into_bound_py_any(self.py)?)
    }

    /// `{variant: value}`, as serde_json writes a variant with data.
    fn tagged(self, variant: &'static str, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
        let dict = PyDict::new(self.py);
        dict.set_item(name(self.py, variant), value)?;
        Ok(dict.into_any())
    }
}

impl<'py> ser::Serializer for ToPy<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Items<'py>;
    type SerializeTuple = Items<'py>;
    type SerializeTupleStruct = Items<'py>;
    type SerializeTupleVariant = Items<'py>;
    type SerializeMap = Map<'py>;
    type SerializeStruct = Struct<'py>;
    type SerializeStructVariant = Map<'py>;

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
        Ok(PyString::new(self.py, v).into_any())
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
        Ok(name(self.py, variant).into_any())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<Self::Ok> {
        value.serialize(self)
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
    fn serialize_seq(self, len: Option<usize>) -> Result<Items<'py>> {
        Ok(Items { to: self, items: Vec::with_capacity(len.unwrap_or(0)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<Items<'py>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Items<'py>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Items<'py>> {
        Ok(Items { to: self, items: Vec::with_capacity(len), variant: Some(variant) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'py>> {
        Ok(Map { to: self, dict: PyDict::new(self.py), key: None, variant: None })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Struct<'py>> {
        Ok(Struct { to: self, name, fields: Vec::with_capacity(len) })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Map<'py>> {
        Ok(Map { to: self, dict: PyDict::new(self.py), key: None, variant: Some(variant) })
    }
}

/// A list in the making (sequences and tuples; a tuple variant is `{variant: [...]}`).
pub(crate) struct Items<'py> {
    to: ToPy<'py>,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> Items<'py> {
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

impl<'py> ser::SerializeSeq for Items<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for Items<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for Items<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for Items<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}

/// A dict in the making (maps, structs; a struct variant is `{variant: {...}}`).
pub(crate) struct Map<'py> {
    to: ToPy<'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> Map<'py> {
    fn finish(self) -> Result<Bound<'py, PyAny>> {
        match self.variant {
            Some(variant) => self.to.tagged(variant, self.dict.into_any()),
            None => Ok(self.dict.into_any()),
        }
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let value = value.serialize(self.to)?;
        Ok(self.dict.set_item(name(self.to.py, key), value)?)
    }
}

impl<'py> ser::SerializeMap for Map<'py> {
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

/// A struct in the making: its fields are gathered, then become a dict at the end (see
/// [`Template`]).
pub(crate) struct Struct<'py> {
    to: ToPy<'py>,
    name: &'static str,
    fields: Vec<(&'static str, Bound<'py, PyAny>)>,
}

impl<'py> ser::SerializeStruct for Struct<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.fields.push((key, value.serialize(self.to)?));
        Ok(())
    }
    fn end(self) -> Result<Self::Ok> {
        let py = self.to.py;
        let id = (self.name.as_ptr() as usize, self.fields.len());
        let copied = TEMPLATES.with(|templates| -> Result<Option<Bound<'py, PyDict>>> {
            let templates = templates.borrow();
            let Some(template) = templates.get(&id).filter(|t| t.fits(&self.fields)) else { return Ok(None) };
            let dict = template.dict.bind(py).copy()?;
            // The keys are there, in order, with None: only the other values are set (an
            // existing key's value is replaced in place), each under the template's own key
            // object (no name lookup per field).
            for ((_, value), key) in self.fields.iter().zip(&template.names) {
                if !value.is_none() {
                    dict.set_item(key.bind(py), value)?;
                }
            }
            Ok(Some(dict))
        })?;
        if let Some(dict) = copied {
            return Ok(dict.into_any());
        }
        let dict = PyDict::new(py);
        for (key, value) in &self.fields {
            dict.set_item(name(py, key), value)?;
        }
        TEMPLATES.with(|templates| -> Result<()> {
            if let std::collections::hash_map::Entry::Vacant(slot) = templates.borrow_mut().entry(id) {
                let template = PyDict::new(py);
                for (key, _) in &self.fields {
                    template.set_item(name(py, key), py.None())?;
                }
                let keys = self.fields.iter().map(|(key, _)| (key.as_ptr() as usize, key.len())).collect();
                let names = self.fields.iter().map(|(key, _)| name(py, key).unbind()).collect();
                slot.insert(Template { keys, names, dict: template.unbind() });
            }
            Ok(())
        })?;
        Ok(dict.into_any())
    }
}

/// The dict of a struct's first serialization, every value None. Copying it (CPython copies a
/// dict's key table whole) and setting the values that are not None makes each later dict of
/// that struct without growing it key by key, which was a quarter of a conversion (a result
/// has about 60 keys, most of them None). Used only when a struct gives the same keys in the
/// same order (compared by address, as the names are `&'static str`); otherwise the dict is
/// built key by key.
struct Template {
    keys: Vec<(usize, usize)>,
    /// The key objects, in the fields' order.
    names: Vec<Py<PyString>>,
    dict: Py<PyDict>,
}

impl Template {
    fn fits(&self, fields: &[(&'static str, Bound<'_, PyAny>)]) -> bool {
        self.keys.len() == fields.len()
            && self.keys.iter().zip(fields).all(|(&k, (key, _))| k == (key.as_ptr() as usize, key.len()))
    }
}

thread_local! {
    /// By the struct's name (its address) and its number of fields.
    static TEMPLATES: RefCell<HashMap<(usize, usize), Template, BuildHasherDefault<AddressHasher>>> =
        RefCell::new(HashMap::default());
}

impl<'py> ser::SerializeStructVariant for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<Self::Ok> {
        self.finish()
    }
}
