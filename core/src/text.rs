//! The text type of the model.

/// The text of a field as the model keeps it: a string of up to 24 bytes is stored inline, with
/// no heap allocation (nearly every code, number and date of a result), a longer one on the heap.
/// It is the size of a `String` and derefs to `str`; use `.as_str()`, `.to_string()` or
/// `String::from` where a `&str` or a `String` is wanted.
///
/// Why not `String`: a result is mostly short texts, and one heap allocation for each (and one
/// free when the document is dropped) was most of the allocator's work and a fifth of a parse.
pub type Text = compact_str::CompactString;
