//! Decoded text → [`Document`], in one pass over quick-xml events, by element name in any order.
//!
//! No DOCTYPE is accepted, so no entity is ever expanded: only the five predefined entities
//! and character references are resolved. Nothing is dropped: an element or attribute the
//! layout does not know, a second copy of a leaf, and stray text in a container all land in
//! `unknown_elements` with their path.

use std::fmt::Write;
use std::sync::Arc;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::codes::*;
use crate::decode::{self, Encoding, EncodingSource};
use crate::error::{Error, Limit, MalformedReason, Result};
use crate::layout::names as N;
use crate::layout::*;
use crate::model::*;
use crate::personal::Personal;
use crate::scan::Scanner;

/// Default input size limit: far above any real result file (a 1,000-unit bulk is ~5 MB).
pub const DEFAULT_MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// Default nesting limit: real files nest 9 deep at most.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Limits on a document's shape, beyond size and depth. Each keeps memory proportional to
/// what a real result needs; exceeding one is the error `limit_exceeded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Elements in the document (a 1,000-unit bulk file has about 20,000).
    pub elements: usize,
    /// Bytes of text in one element (a name is well under 100).
    pub text_bytes: usize,
    /// Patients in one file (bulk units).
    pub patients: usize,
    /// 公費 sources of one patient: PMH certificates plus qualification results.
    pub kohi_per_patient: usize,
    /// Unknown elements and attributes kept (each costs more memory than its bytes in the file).
    pub unknown_elements: usize,
    /// Warnings per document.
    pub warnings: usize,
    /// Bytes in one element or attribute name (the longest onshi name is under 50).
    pub name_bytes: usize,
    /// Bytes of paths and text kept for unknown elements, attributes and warnings together. Each
    /// keeps a copy of its element's path, so without this bound a short file of deep or long
    /// names would need gigabytes (and an allocation failure aborts the process).
    pub kept_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            elements: 4_000_000,
            text_bytes: 64 * 1024,
            patients: 200_000,
            kohi_per_patient: 64,
            unknown_elements: 100_000,
            warnings: 100_000,
            name_bytes: 256,
            kept_bytes: 32 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// One limit's value.
    pub fn get(&self, limit: Limit) -> usize {
        match limit {
            Limit::Elements => self.elements,
            Limit::TextBytes => self.text_bytes,
            Limit::Patients => self.patients,
            Limit::KohiPerPatient => self.kohi_per_patient,
            Limit::UnknownElements => self.unknown_elements,
            Limit::Warnings => self.warnings,
            Limit::NameBytes => self.name_bytes,
            Limit::KeptBytes => self.kept_bytes,
        }
    }

    /// These limits with one set (the struct is `#[non_exhaustive]`: limits are only added).
    pub fn with(mut self, limit: Limit, value: usize) -> Self {
        self.set(limit, value);
        self
    }

    /// Sets one limit.
    pub fn set(&mut self, limit: Limit, value: usize) {
        *match limit {
            Limit::Elements => &mut self.elements,
            Limit::TextBytes => &mut self.text_bytes,
            Limit::Patients => &mut self.patients,
            Limit::KohiPerPatient => &mut self.kohi_per_patient,
            Limit::UnknownElements => &mut self.unknown_elements,
            Limit::Warnings => &mut self.warnings,
            Limit::NameBytes => &mut self.name_bytes,
            Limit::KeptBytes => &mut self.kept_bytes,
        } = value;
    }

    /// These limits with some set by name (`"elements"`, `"kept_bytes"`, … as the fields are
    /// named): how the bindings take them. An unknown name is `invalid_setting`.
    pub fn with_named<'a>(mut self, values: impl IntoIterator<Item = (&'a str, usize)>) -> Result<Self> {
        for (name, value) in values {
            let limit = Limit::from_name(name).ok_or(Error::InvalidSetting { name: "limits" })?;
            self.set(limit, value);
        }
        Ok(self)
    }
}

/// The layout file and the alias table a [`ParseOptions`] was given (as JSON text).
#[derive(Clone, Default, PartialEq)]
struct LayoutTexts {
    layout: Option<Arc<str>>,
    aliases: Option<Arc<str>>,
}

/// Layouts recently built, by the texts they were built from, the last used first. Python and
/// Node take their options with each call, and building a layout (reading the JSON, then the
/// name tables) took 11–13 µs: a parse with a layout file cost three to four times one without.
/// Bounded: a vendor has a layout or two; texts past [`CACHED_TEXT_BYTES`] are built each time.
static BUILT_LAYOUTS: std::sync::Mutex<Vec<(LayoutTexts, Arc<Layout>)>> = std::sync::Mutex::new(Vec::new());
const CACHED_LAYOUTS: usize = 8;
const CACHED_TEXT_BYTES: usize = 64 << 10;

impl LayoutTexts {
    fn build(&self) -> Result<Arc<Layout>> {
        let bytes = self.layout.as_ref().map_or(0, |t| t.len()) + self.aliases.as_ref().map_or(0, |t| t.len());
        if bytes > CACHED_TEXT_BYTES || (self.layout.is_none() && self.aliases.is_none()) {
            return self.build_anew();
        }
        // A panic elsewhere while the list was held leaves it whole (it is only ever reordered,
        // pushed to and truncated), so a poisoned lock is used as it is.
        let cache = || BUILT_LAYOUTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        {
            let mut built = cache();
            if let Some(at) = built.iter().position(|(texts, _)| texts == self) {
                let hit = built.remove(at);
                let layout = hit.1.clone();
                built.insert(0, hit);
                return Ok(layout);
            }
        }
        // Built outside the lock; a failure is not kept (it is quick to find again).
        let layout = self.build_anew()?;
        let mut built = cache();
        built.insert(0, (self.clone(), layout.clone()));
        built.truncate(CACHED_LAYOUTS);
        Ok(layout)
    }

    fn build_anew(&self) -> Result<Arc<Layout>> {
        Ok(match (self.layout.as_deref(), self.aliases.as_deref()) {
            (None, None) => Layout::standard(),
            (Some(layout), None) => Arc::new(Layout::from_json(layout)?),
            (None, Some(aliases)) => Arc::new(Layout::with_aliases_json(aliases)?),
            (Some(layout), Some(aliases)) => Arc::new(Layout::from_json_with_aliases(layout, aliases)?),
        })
    }
}

/// Sizes only: the texts can be long, and [`Layout`]'s own `Debug` says what was built.
impl std::fmt::Debug for LayoutTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = |t: &Option<Arc<str>>| t.as_ref().map(|t| t.len());
        f.debug_struct("LayoutTexts")
            .field("layout_bytes", &bytes(&self.layout))
            .field("aliases_bytes", &bytes(&self.aliases))
            .finish()
    }
}

/// How to parse. Cheap to clone; build once and reuse.
///
/// ```
/// let xml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"))?;
/// // A municipality that spells an element its own way: an alias (or a layout file) reads it.
/// let renamed = xml.replace("MedicalSubsidyInsurerNumber", "FutanshaBango");
/// let options = kohi::ParseOptions::default()
///     .with_max_input_bytes(1 << 20)
///     .with_aliases_json(r#"{"MedicalSubsidyInsurerNumber": ["FutanshaBango"]}"#)?;
/// let doc = kohi::parse_with(renamed.as_bytes(), &options)?;
/// assert_eq!(doc.patients[0].kohi[0].payer_number.as_ref().unwrap().expose(), "52136017");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ParseOptions {
    layout: Arc<Layout>,
    /// The texts `layout` was built from, so that a layout file and an alias table, given in
    /// either order, both apply (each used to replace the other, silently).
    layout_texts: LayoutTexts,
    max_input_bytes: usize,
    max_depth: usize,
    limits: Limits,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            layout: Layout::standard(),
            layout_texts: LayoutTexts::default(),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            limits: Limits::default(),
        }
    }
}

impl ParseOptions {
    /// The defaults (the same as `ParseOptions::default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the caller's element aliases (JSON: canonical name → extra names), to the layout
    /// file's names if one is set (before or after). A second alias table replaces the first.
    pub fn with_aliases_json(mut self, json: &str) -> Result<Self> {
        self.layout_texts.aliases = Some(json.into());
        self.layout = self.layout_texts.build()?;
        Ok(self)
    }

    /// Uses a layout file (JSON; see [`Layout::from_json`]): names, places, wrappers and roots
    /// of the real layout, learnt without a release. An alias table is accepted too. Aliases
    /// set before or after are added to it; a second layout file replaces the first.
    pub fn with_layout_json(mut self, json: &str) -> Result<Self> {
        self.layout_texts.layout = Some(json.into());
        self.layout = self.layout_texts.build()?;
        Ok(self)
    }

    /// The layout in use.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Sets the input size limit in bytes (default 64 MiB).
    pub fn with_max_input_bytes(mut self, limit: usize) -> Self {
        self.max_input_bytes = limit;
        self
    }

    /// Sets the nesting limit.
    pub fn with_max_depth(mut self, limit: usize) -> Self {
        self.max_depth = limit;
        self
    }

    /// Sets the limits on a document's shape.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits on a document's shape.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The input size limit in bytes.
    pub fn max_input_bytes(&self) -> usize {
        self.max_input_bytes
    }

    /// The nesting limit.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }
}

/// Parses a result file given as bytes (UTF-8 or Shift_JIS, detected).
pub fn parse_with(bytes: &[u8], options: &ParseOptions) -> Result<Document> {
    parse_bytes(bytes, options, walk)
}

/// Size, decoding, the walk (`read` is the reader: `walk`, or quick-xml alone in tests), and the
/// encoding cross-check.
fn parse_bytes(
    bytes: &[u8],
    options: &ParseOptions,
    read: fn(&str, Encoding, &ParseOptions, usize) -> Result<Document>,
) -> Result<Document> {
    check_size(bytes.len(), options)?;
    if crate::json_form::looks_like_json(bytes) {
        let json = std::str::from_utf8(bytes)
            .map_err(|e| Error::InvalidEncoding { encoding: "UTF-8", offset: e.valid_up_to() })?;
        return parse_json(json, options);
    }
    let mut units = UnitCount::default();
    let decoded = decode::decode_with(bytes, &mut |text, block| units.count(text, block))?;
    let mut doc = read(&decoded.text, decoded.encoding, options, units.found)?;
    crate::complete::document(&mut doc);
    warn_on_encoding_mismatch(&mut doc, decoded.source);
    Ok(doc)
}

/// Parses already-decoded text. The declaration's encoding is ignored; `encoding` says UTF-8.
pub fn parse_str_with(text: &str, options: &ParseOptions) -> Result<Document> {
    check_size(text.len(), options)?;
    // Text decoded without BOM handling (Python's "utf-8" codec) still starts with U+FEFF.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if crate::json_form::looks_like_json(text.as_bytes()) {
        return parse_json(text, options);
    }
    walk_checked(text, options)
}

/// The Web API's JSON form: turned into the XML it stands for, then read like any file. An
/// error's position is where it lies in the JSON, not in that XML.
fn parse_json(json: &str, options: &ParseOptions) -> Result<Document> {
    let (max_bytes, max_depth) = (options.max_input_bytes, options.max_depth);
    let located = |error| crate::json_form::locate(json, error, max_bytes, max_depth);
    let xml = crate::json_form::to_xml(json, max_bytes, max_depth).map_err(located)?;
    walk_checked(&xml, options).map_err(located)
}

/// UTF-8 text (already decoded, or made from JSON): its characters checked, then read.
fn walk_checked(text: &str, options: &ParseOptions) -> Result<Document> {
    let mut units = UnitCount::default();
    decode::check_characters_with(text, Encoding::Utf8, &mut |text, block| units.count(text, block))?;
    walk(text, Encoding::Utf8, options, units.found).map(crate::complete::completed)
}

/// A bulk file's units (its `<BulkConfirmUnit` tags), counted a block at a time while the
/// character check reads each block (a pass of its own read a large file from memory once
/// more), so that the walk sizes the document's patients once: then that vector never
/// doubles, and a 100,000-unit file does not peak at 1.5 times its patients. Only worth it
/// (and only done) for large texts; a wrong count costs nothing but that.
#[derive(Default)]
struct UnitCount {
    found: usize,
}

impl UnitCount {
    /// Texts up to this size are not counted.
    const FROM: usize = 1 << 20;

    /// Counts the tags that start in `block` of `text` (one may end in the next block).
    fn count(&mut self, text: &[u8], block: std::ops::Range<usize>) {
        static TAG: std::sync::LazyLock<memchr::memmem::Finder<'static>> = std::sync::LazyLock::new(|| {
            memchr::memmem::Finder::new(format!("<{}", N::BULK_CONFIRM_UNIT).as_bytes()).into_owned()
        });
        if text.len() <= Self::FROM {
            return;
        }
        let end = (block.end + TAG.needle().len() - 1).min(text.len());
        let starts = TAG.find_iter(&text[block.start..end]);
        self.found += starts.take_while(|&at| at < block.len()).count();
    }
}

/// The fast scanner first; on anything it leaves to quick-xml, quick-xml reads the whole
/// document again (see scan.rs). A walker error on the fast path is final: every event before
/// it, and its position, is the one quick-xml would have given.
/// `units`: how many bulk units the text holds, as [`UnitCount`] found (0: not counted).
fn walk(text: &str, encoding: Encoding, options: &ParseOptions, units: usize) -> Result<Document> {
    let walker = || {
        let mut walker = Walker::new(options);
        walker.model.units.reserve_exact(units.min(walker.limits.patients));
        walker
    };
    let read_with_quick_xml = || walker().run(text, encoding);
    let Some(mut scanner) = Scanner::new(text) else { return read_with_quick_xml() };
    let mut walker = walker();
    loop {
        let Some((at, event)) = scanner.next_event() else { return read_with_quick_xml() };
        if walker.handle(event, || decode::line_column(text, at))? {
            return Ok(walker.finish(encoding));
        }
    }
}

fn check_size(size: usize, options: &ParseOptions) -> Result<()> {
    if size > options.max_input_bytes {
        return Err(Error::InputTooLarge { size, limit: options.max_input_bytes });
    }
    Ok(())
}

/// A header that contradicts the bytes is worth a look, but the bytes decoded, so they win.
fn warn_on_encoding_mismatch(doc: &mut Document, source: EncodingSource) {
    let declared = match doc.header.character_code_identifier {
        Some(CharacterCode::Utf8) => Encoding::Utf8,
        Some(CharacterCode::ShiftJis) => Encoding::ShiftJis,
        _ => return,
    };
    if declared != doc.encoding && source != EncodingSource::CharacterCodeIdentifier {
        doc.warnings.push(Warning {
            code: WarningCode::EncodingMismatch,
            path: [N::XML_MSG, N::MESSAGE_HEADER, N::CHARACTER_CODE_IDENTIFIER].join("/"),
        });
    }
}

/// The longest name of a group inside the cap whose children (and attributes) are items: a
/// group's name is a part of each item's, and real ones are a word (`Monthly`). A longer one's
/// are kept as unknown, so that no item's name costs more than its element does by far.
const CAP_GROUP_NAME_MAX: usize = 64;

/// Whether an item of the cap (its path below the cap) is a group whose children are items too:
/// one level down, under a name of at most [`CAP_GROUP_NAME_MAX`] bytes.
fn is_cap_group(item: &str) -> bool {
    !item.contains('/') && item.len() <= CAP_GROUP_NAME_MAX
}

enum Kind {
    Container(Ctx),
    /// A wrapper a layout file declared: its children are looked up in the parent's context.
    Wrapper(Ctx),
    Leaf(Field),
    /// `MaxCopaymentAmount`: its text is the amount, its children are kept by name.
    MaxCopay,
    /// A child of the cap, or a child of one (`<Monthly><Amount>`), kept as an item named by
    /// its path below the cap (`Monthly/Amount`), which starts at `name_start` in the path.
    MaxCopayItem {
        name_start: usize,
    },
    /// Not in the layout. `top` is the outermost unknown element of its subtree.
    Unknown {
        top: bool,
    },
}

/// What repeats among one element's children: an unknown element's name (its bytes in
/// `Walker::sibling_names`), or a known leaf sent more than once.
#[derive(Clone, PartialEq)]
enum SiblingKey {
    Name(std::ops::Range<usize>),
    Field(Field),
}

struct Frame {
    kind: Kind,
    path_len: usize,
    /// Where this element's children's counts start in `Walker::siblings`.
    siblings_start: usize,
    /// Where this element's text starts in the walker's shared text buffer (one buffer for
    /// the whole stack: a child's text is truncated away when it ends, so no element needs a
    /// String of its own).
    text_start: usize,
    has_child: bool,
}

pub(crate) struct Walker {
    layout: Arc<Layout>,
    max_depth: usize,
    limits: Limits,
    elements: usize,
    /// The model being built (the walker tracks the XML; the builder knows the model).
    pub(crate) model: crate::build::Builder,
    unknown: Vec<UnknownElement>,
    warnings: Vec<Warning>,
    stack: Vec<Frame>,
    path: String,
    text: String,
    root_seen: bool,
    /// Bytes of paths and text in `unknown` and `warnings` (see `Limits::kept_bytes`).
    kept: usize,
    /// How often each unknown name (and each duplicated leaf) occurred among the open elements'
    /// children, so that a repeat gets `[n]` in its path and which child belonged to which
    /// repeated unknown container stays clear. Truncated as elements close.
    siblings: Vec<(SiblingKey, u32)>,
    sibling_names: String,
    /// Streaming: each unit leaves as soon as it closes, with its own warnings and unknowns;
    /// the element, patient and kept-bytes limits then apply per unit.
    pub(crate) streaming: bool,
    pub(crate) finished_units: std::collections::VecDeque<crate::model::StreamedPatient>,
    /// `MessageHeader` has closed: what completing a unit needs of it (the 資格確認日) is known.
    pub(crate) header_closed: bool,
    unit_marks: (usize, usize),
}

/// A walker's working buffers (its element stack, path and text), kept by the thread for its
/// next parse: made anew, they were three of a face result's 17 allocations, and three frees.
/// Only buffers of an ordinary size are kept, so a deep or long document's do not stay.
struct Scratch {
    stack: Vec<Frame>,
    path: String,
    text: String,
}

impl Scratch {
    /// The most a thread keeps (a face result's buffers are about 1.8 KiB).
    const KEPT_BYTES: usize = 16 * 1024;

    fn new() -> Self {
        Scratch { stack: Vec::with_capacity(16), path: String::with_capacity(256), text: String::with_capacity(1024) }
    }

    /// Kept for the thread's next walker when no larger than [`Scratch::KEPT_BYTES`] in all.
    fn keep(mut self) {
        let bytes = self.stack.capacity() * std::mem::size_of::<Frame>() + self.path.capacity() + self.text.capacity();
        if bytes <= Self::KEPT_BYTES {
            self.stack.clear();
            self.path.clear();
            self.text.clear();
            SCRATCH.with(|kept| kept.set(Some(self)));
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

impl Walker {
    pub(crate) fn new(options: &ParseOptions) -> Self {
        let Scratch { stack, path, text } = SCRATCH.with(|kept| kept.take()).unwrap_or_else(Scratch::new);
        Walker {
            layout: options.layout.clone(),
            max_depth: options.max_depth,
            limits: options.limits,
            elements: 0,
            model: crate::build::Builder::default(),
            unknown: Vec::new(),
            warnings: Vec::new(),
            stack,
            path,
            text,
            root_seen: false,
            kept: 0,
            siblings: Vec::new(),
            sibling_names: String::new(),
            streaming: false,
            finished_units: std::collections::VecDeque::new(),
            header_closed: false,
            unit_marks: (0, 0),
        }
    }

    fn run(mut self, text: &str, encoding: Encoding) -> Result<Document> {
        let mut reader = Reader::from_str(text);
        loop {
            let at = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| malformed(text, reader.error_position() as usize, &e))?;
            if self.handle(event, || decode::line_column(text, at))? {
                break;
            }
        }
        Ok(self.finish(encoding))
    }

    /// One event, from either reader; true at the end of the document.
    pub(crate) fn handle(&mut self, event: Event<'_>, here: impl Fn() -> (usize, usize) + Copy) -> Result<bool> {
        match event {
            Event::Start(e) => self.start(&e, here)?,
            Event::Empty(e) => {
                self.start(&e, here)?;
                self.end();
            }
            Event::End(_) => self.end(),
            // Indentation is skipped before EOL normalisation: most text events are indentation.
            Event::Text(t) if self.skips_blank(&t) => {}
            Event::Text(t) => self.text(&eols_normalized(&t, || t.xml10_content()), here)?,
            Event::CData(t) => self.text(&t.xml10_content(), here)?,
            Event::GeneralRef(r) => {
                let resolved =
                    resolve_reference(&r).ok_or_else(|| malformed_at(here(), MalformedReason::InvalidReference))?;
                self.text(&resolved, here)?;
            }
            Event::DocType(_) => {
                let (line, column) = here();
                return Err(Error::DoctypeNotAllowed { line, column });
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => {
                if !self.stack.is_empty() {
                    return Err(malformed_at(here(), MalformedReason::UnexpectedEof));
                }
                if !self.root_seen {
                    return Err(malformed_at(here(), MalformedReason::NoRootElement));
                }
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn start(&mut self, e: &BytesStart<'_>, here: impl Fn() -> (usize, usize)) -> Result<()> {
        self.elements += 1;
        self.check(Limit::Elements, self.elements, &here)?;
        self.check(Limit::UnknownElements, self.unknown.len(), &here)?;
        self.check(Limit::Warnings, self.warnings.len(), &here)?;
        // Checked here, before anything grows: between two starts an element's end keeps at
        // most a few copies of one path (≤ depth × name limit) and one text (≤ the text limit).
        self.check(Limit::KeptBytes, self.kept, &here)?;
        let name = e.name();
        let name = name.as_ref();
        self.check(Limit::NameBytes, name.len(), &here)?;
        let depth = self.stack.len();
        let kind = match self.stack.last_mut() {
            None => {
                if self.root_seen {
                    return Err(malformed_at(here(), MalformedReason::ContentOutsideRoot));
                }
                self.root_seen = true;
                match self.layout.lookup(Ctx::Document, name) {
                    Some(Node::Container(ctx)) => Kind::Container(ctx),
                    _ => {
                        let (line, column) = here();
                        return Err(Error::UnexpectedRoot { line, column });
                    }
                }
            }
            Some(parent) => {
                if depth >= self.max_depth {
                    let (line, column) = here();
                    return Err(Error::NestingTooDeep { line, column, limit: self.max_depth });
                }
                parent.has_child = true;
                match parent.kind {
                    Kind::Container(ctx) => kind_of(self.layout.lookup(ctx, name), ctx),
                    // A layout file may name a field by its group (the wrapper's name, the last
                    // part of the path).
                    Kind::Wrapper(ctx) => {
                        kind_of(self.layout.lookup_in(ctx, last_part(&self.path, parent.path_len), name), ctx)
                    }
                    Kind::MaxCopay => Kind::MaxCopayItem { name_start: self.path.len() + 1 },
                    // A group of amounts inside the cap (monthly, inpatient…): one level, as a
                    // cap nests them in practice; anything deeper is kept as unknown.
                    Kind::MaxCopayItem { name_start } if is_cap_group(&self.path[name_start..]) => {
                        Kind::MaxCopayItem { name_start }
                    }
                    Kind::Unknown { .. } => Kind::Unknown { top: false },
                    Kind::Leaf(_) | Kind::MaxCopayItem { .. } => Kind::Unknown { top: true },
                }
            }
        };
        let path_len = self.path.len();
        if let Kind::Container(ctx) = kind {
            self.check_open(ctx, &here)?;
        }
        let index = match kind {
            Kind::Container(ctx) => {
                if ctx == Ctx::Unit {
                    // Where this unit's warnings and unknown elements start (streaming hands them over with it).
                    self.unit_marks = (self.warnings.len(), self.unknown.len());
                }
                self.model.open(ctx)
            }
            Kind::MaxCopay => {
                self.model.max_copay = MaxCopayment::default();
                None
            }
            _ => None,
        };
        if !self.path.is_empty() {
            self.path.push('/');
        }
        self.path.push_str(name);
        if let Some(i) = index {
            push_index(&mut self.path, i);
        }
        if let Kind::Unknown { .. } = kind {
            self.index_unknown(name);
        }
        if let Kind::Container(ctx) = kind {
            self.model.record_path(ctx, &self.path);
        }
        if let Kind::Unknown { top: true } = kind {
            self.warn(WarningCode::UnknownElement);
        }
        let (attribute_ctx, wrapper) = match kind {
            Kind::Container(ctx) => (Some(ctx), false),
            Kind::Wrapper(ctx) => (Some(ctx), true),
            _ => (None, false),
        };
        let in_unknown = matches!(kind, Kind::Unknown { top: false });
        // The cap's attributes, and its items', are items too (`Monthly/@yen`), as children are.
        let cap_item = match kind {
            Kind::MaxCopay => Some(self.path.len() + 1),
            Kind::MaxCopayItem { name_start } if self.path.len() - name_start <= CAP_GROUP_NAME_MAX => Some(name_start),
            _ => None,
        };
        let siblings_start = self.siblings.len();
        self.stack.push(Frame { kind, path_len, siblings_start, text_start: self.text.len(), has_child: false });
        // Onshi files carry no attributes: the attribute parser (out of line) runs only when
        // there is something, and a tag that is its name alone is not even looked at. Read
        // once the element is open, as its children are: an attribute is one of them to the
        // duplicate check.
        if e.len() > name.len() && !e.attributes_raw().trim_ascii().is_empty() {
            self.attributes(e, (attribute_ctx, wrapper, cap_item), in_unknown, &here)?;
        }
        Ok(())
    }

    /// An element's attributes. One the layout names (`@name` under the element's context, from
    /// a layout file's `rename`) is read as that field, as a child element of the field would
    /// be; every other one is kept as `…/@name` and, shaped like a 公費 number, flags the person
    /// as a child element would. It warns `unknown_element`, unless its element sits inside an
    /// unknown element (`in_unknown`), whose warning covers its subtree as it covers nested
    /// elements: a certificate under unknown names warned once, not once per attribute.
    /// `ctx`: the element's context, when it is a container or wrapper kohi knows; `wrapper`:
    /// it is a wrapper, whose name may group a field's attribute (`Group/@name`); `cap_item`:
    /// the element is the cap or an item of it, and where an item's name starts in the path.
    #[cold]
    #[inline(never)]
    fn attributes(
        &mut self,
        e: &BytesStart<'_>,
        (ctx, wrapper, cap_item): (Option<Ctx>, bool, Option<usize>),
        in_unknown: bool,
        here: &impl Fn() -> (usize, usize),
    ) -> Result<()> {
        let group = wrapper.then(|| e.name().as_ref().to_owned());
        for attr in attribute_values(e, here) {
            let (key, value) = attr?;
            self.check(Limit::TextBytes, value.len(), here)?;
            self.check(Limit::NameBytes, key.len(), here)?;
            let name = format!("@{key}");
            let node = ctx.and_then(|ctx| match &group {
                Some(group) => self.layout.lookup_in(ctx, group, &name),
                None => self.layout.lookup(ctx, &name),
            });
            let field = match node {
                Some(Node::Leaf(field)) => Some(field),
                _ => None,
            };
            let path_len = self.path.len();
            self.path.push('/');
            self.path.push_str(&name);
            // What keeping it (or a duplicate of a field) would hold: checked for every
            // attribute, since one start tag may hold many and the next check is at the next
            // element.
            self.check(Limit::KeptBytes, self.kept + 2 * self.path.len() + value.len(), here)?;
            match (cap_item, field) {
                (Some(name_start), _) => {
                    if !is_blank(&value) {
                        let name = Text::from(&self.path[name_start..]);
                        self.model.max_copay.items.push(NamedValue { name, value: Text::from(value.as_ref()) });
                    }
                }
                // The cap's amount (`<Certificate Cap="5000">`), as its element's text would be.
                (None, Some(Field::MaxCopay)) if !is_blank(&value) => {
                    self.model.max_copay = MaxCopayment::default();
                    self.close_max_copay(Text::from(value.as_ref()));
                }
                (None, Some(field)) if !is_blank(&value) => {
                    if !self.assign(field, &value) {
                        self.keep_duplicate(field, &value);
                    }
                }
                (None, Some(_)) => {}
                (None, None) => {
                    self.check(Limit::UnknownElements, self.unknown.len() + 1, here)?;
                    if !in_unknown {
                        self.warn(WarningCode::UnknownElement);
                    }
                    let unread = !is_blank(&value)
                        && (looks_like_payer(&value) || (ctx == Some(Ctx::Subsidy) && looks_like_recipient(&value)));
                    if unread {
                        self.warn(WarningCode::UnmappedKohiNumber);
                        self.model.person().unmapped_kohi_number = true;
                    }
                    self.keep_unknown(value.into_owned());
                }
            }
            self.path.truncate(path_len);
        }
        Ok(())
    }

    /// Whitespace that is not content: between a container's children (keeping it would grow
    /// with every unit of a bulk file, and trip the text limit at 65,536 units), or outside the
    /// root.
    fn skips_blank(&self, content: &str) -> bool {
        matches!(self.stack.last(), None | Some(Frame { kind: Kind::Container(_) | Kind::Wrapper(_), .. }))
            && is_blank(content)
    }

    fn text(&mut self, content: &str, here: impl Fn() -> (usize, usize)) -> Result<()> {
        if self.skips_blank(content) {
            return Ok(());
        }
        let max = self.limits.text_bytes;
        match self.stack.last() {
            Some(frame) if self.text.len() - frame.text_start + content.len() > max => {
                let (line, column) = here();
                return Err(Error::LimitExceeded { limit: Limit::TextBytes, max, line, column });
            }
            Some(_) => self.text.push_str(content),
            None => return Err(malformed_at(here(), MalformedReason::ContentOutsideRoot)),
        }
        Ok(())
    }

    fn end(&mut self) {
        let Some(frame) = self.stack.pop() else { return };
        // Its children's counts go with it (its own count stays, for its next sibling).
        if let Some((SiblingKey::Name(range), _)) = self.siblings.get(frame.siblings_start) {
            self.sibling_names.truncate(range.start);
        }
        self.siblings.truncate(frame.siblings_start);
        // Moved out and back so the text can be read while the model is written: no copy.
        let buffer = std::mem::take(&mut self.text);
        let text = &buffer[frame.text_start..];
        let blank = is_blank(text);
        // A value split by child elements (`5213<X>9</X>6017`) is not one kohi can trust: gluing
        // the pieces would make a valid-looking number. Not used; kept with a warning.
        let split = frame.has_child
            && !blank
            && matches!(frame.kind, Kind::Leaf(_) | Kind::MaxCopay | Kind::MaxCopayItem { .. });
        if split {
            self.warn(WarningCode::MixedContent);
            self.keep_unknown(text.to_owned());
        }
        match frame.kind {
            Kind::MaxCopay if split => self.close_max_copay(Text::default()),
            _ if split => {}
            Kind::Leaf(field) if !blank => {
                if !self.assign(field, text) {
                    self.keep_duplicate(field, text);
                }
            }
            Kind::Leaf(_) => {}
            Kind::MaxCopay => self.close_max_copay(Text::from(text)),
            Kind::MaxCopayItem { name_start } if !blank => {
                let name = Text::from(&self.path[name_start..]);
                self.model.max_copay.items.push(NamedValue { name, value: Text::from(text) });
            }
            Kind::MaxCopayItem { .. } => {}
            Kind::Container(ctx) => {
                if !blank {
                    // Text beside child elements: not in the layout, so kept.
                    self.keep_unknown(text.to_owned());
                }
                if ctx == Ctx::Result {
                    self.model.close_result(&self.path, self.layout.result_fields_elsewhere());
                }
                if ctx == Ctx::Header {
                    self.header_closed = true;
                }
                if ctx == Ctx::Unit {
                    self.model.in_unit = false;
                    if self.streaming {
                        self.release_unit();
                    }
                }
            }
            Kind::Wrapper(_) if !blank => self.keep_unknown(text.to_owned()),
            Kind::Wrapper(_) => {}
            Kind::Unknown { .. } => {
                // In a certificate kohi reads, a 受給者番号-shaped value too: the 公費 would be
                // in its slot without its 受給者番号. Text leaves only, tested only then.
                let unread = !blank && !frame.has_child && {
                    let in_certificate = matches!(
                        self.stack.last().map(|f| &f.kind),
                        Some(Kind::Container(Ctx::Subsidy) | Kind::Wrapper(Ctx::Subsidy))
                    );
                    looks_like_payer(text) || (in_certificate && looks_like_recipient(text))
                };
                if unread {
                    self.warn(WarningCode::UnmappedKohiNumber);
                    self.model.person().unmapped_kohi_number = true;
                }
                if !blank || !frame.has_child {
                    self.keep_unknown(text.to_owned());
                }
            }
        }
        let mut buffer = buffer;
        buffer.truncate(frame.text_start);
        self.text = buffer;
        self.path.truncate(frame.path_len);
    }

    /// Streaming: the unit that just closed leaves with its warnings and unknown elements.
    fn release_unit(&mut self) {
        let Some(patient) = self.model.units.pop() else { return };
        let (warnings_from, unknown_from) = self.unit_marks;
        let warnings: Vec<Warning> = self.warnings.drain(warnings_from.min(self.warnings.len())..).collect();
        let unknown_elements: Vec<UnknownElement> =
            self.unknown.drain(unknown_from.min(self.unknown.len())..).collect();
        // Per unit from here on: a stream of any length is fine while each unit is bounded.
        let released: usize = warnings.iter().map(|w| w.path.len()).sum::<usize>()
            + unknown_elements.iter().map(|u| u.path.len() + u.text.expose().len()).sum::<usize>();
        self.kept = self.kept.saturating_sub(released);
        self.elements = self.stack.len();
        // Raw, as read: the reader completes it (the stage after reading, `complete.rs`).
        self.finished_units.push_back(crate::model::StreamedPatient { patient, warnings, unknown_elements });
    }

    /// Fails once `value` is past the limit's maximum.
    fn check(&self, limit: Limit, value: usize, here: &impl Fn() -> (usize, usize)) -> Result<()> {
        let max = self.limits.get(limit);
        if value > max {
            let (line, column) = here();
            return Err(Error::LimitExceeded { limit, max, line, column });
        }
        Ok(())
    }

    /// Containers that add a patient or a 公費 source count against their limits.
    fn check_open(&mut self, ctx: Ctx, here: &impl Fn() -> (usize, usize)) -> Result<()> {
        match ctx {
            // Streamed units leave one by one: only a whole document holds them all.
            Ctx::Unit if self.streaming => Ok(()),
            Ctx::Unit => self.check(Limit::Patients, self.model.units_seen + 1, here),
            Ctx::Subsidy | Ctx::Result => {
                let person = self.model.person();
                let sources: usize =
                    person.qualifications.iter().map(|q| 1 + q.medical_subsidies.as_ref().map_or(0, Vec::len)).sum();
                self.check(Limit::KohiPerPatient, sources + 1, here)
            }
            _ => Ok(()),
        }
    }

    fn keep_unknown(&mut self, text: String) {
        self.kept += self.path.len() + text.len();
        self.unknown.push(UnknownElement { path: self.path.clone(), text: Personal::new(text) });
    }

    /// An unknown element: the first keeps its bare name (as before); a repeat among its
    /// siblings is `Name[2]`, `Name[3]`, … Out of line: real files rarely have unknown elements.
    #[cold]
    #[inline(never)]
    fn index_unknown(&mut self, name: &str) {
        let n = self.occurrence(Some(name), None);
        if n > 1 {
            let _ = write!(self.path, "[{n}]");
        }
    }

    /// A second (third…) copy of a leaf, kept as `Leaf[n]`. Its frame is closed: the parent's
    /// children are counted.
    #[cold]
    #[inline(never)]
    fn keep_duplicate(&mut self, field: Field, text: &str) {
        let path_len = self.path.len();
        let n = self.occurrence(None, Some(field));
        let _ = write!(self.path, "[{n}]");
        self.warn(WarningCode::DuplicateElement);
        self.keep_unknown(text.to_owned());
        self.path.truncate(path_len);
    }

    /// Counts one more child of the innermost open element, by unknown name or by duplicated
    /// field, and returns which occurrence it is (a duplicated field's first copy was used, so
    /// its first count is 2).
    fn occurrence(&mut self, name: Option<&str>, field: Option<Field>) -> u32 {
        let scope = self.stack.last().map_or(0, |f| f.siblings_start);
        let names = &self.sibling_names;
        let found = self.siblings[scope..].iter_mut().find(|(key, _)| match (key, name, field) {
            (SiblingKey::Name(range), Some(name), _) => names[range.clone()] == *name,
            (SiblingKey::Field(f), None, Some(field)) => *f == field,
            _ => false,
        });
        if let Some((_, count)) = found {
            *count += 1;
            return *count;
        }
        let key = match (name, field) {
            (Some(name), _) => {
                let start = self.sibling_names.len();
                self.sibling_names.push_str(name);
                SiblingKey::Name(start..self.sibling_names.len())
            }
            (None, Some(field)) => SiblingKey::Field(field),
            (None, None) => return 1,
        };
        let first = if matches!(key, SiblingKey::Field(_)) { 2 } else { 1 };
        self.siblings.push((key, first));
        first
    }

    /// The document read so far: the builder's model with the walker's unknown elements and
    /// warnings (the completion stage comes after).
    pub(crate) fn finish(self, encoding: Encoding) -> Document {
        Scratch { stack: self.stack, path: self.path, text: self.text }.keep();
        self.model.finish(encoding, self.unknown, self.warnings)
    }

    /// Stores a leaf's text through the builder; its warnings get this element's path. False
    /// when the slot was already filled (a duplicate).
    fn assign(&mut self, field: Field, text: &str) -> bool {
        // Codes only: warnings are rare, so the path is copied only when one occurs.
        let mut codes = Vec::new();
        let stored = self.model.assign(field, text, &mut codes);
        for code in codes {
            self.warn(code);
        }
        stored
    }

    fn warn(&mut self, code: WarningCode) {
        self.kept += self.path.len();
        self.warnings.push(Warning { code, path: self.path.clone() });
    }

    fn close_max_copay(&mut self, text: Text) {
        let mut value = std::mem::take(&mut self.model.max_copay);
        if !is_blank(&text) {
            value.amount = crate::build::yen_amount(&text);
            value.raw = Some(text);
        }
        if value == MaxCopayment::default() {
            return;
        }
        let Some(subsidy) = self.model.subsidy() else { return };
        if subsidy.max_copayment.is_some() {
            self.keep_duplicate(Field::MaxCopay, value.raw.as_deref().unwrap_or_default());
        } else {
            subsidy.max_copayment = Some(value);
        }
    }
}

/// `str::trim().is_empty()`, without decoding characters in the common cases: ASCII text
/// decides at its first byte; only non-ASCII text (U+3000 is blank too) takes the full check.
/// A leaf's text as XML 1.0 reads it (`\r\n` and `\r` become `\n`): quick-xml's normalisation
/// only when there is a `\r`. Leaf texts are short, and this byte loop costs less than the
/// memchr set-up quick-xml pays on every one (7 % of a bulk file's instructions).
fn eols_normalized<'a>(
    text: &'a str,
    normalize: impl FnOnce() -> std::borrow::Cow<'a, str>,
) -> std::borrow::Cow<'a, str> {
    if has_carriage_return(text.as_bytes()) { normalize() } else { std::borrow::Cow::Borrowed(text) }
}

/// Eight bytes at a time: most texts are shorter than the set-up of a vector search.
fn has_carriage_return(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let found = words.by_ref().any(|w| {
        let x = u64::from_ne_bytes(<[u8; 8]>::try_from(w).unwrap_or_default());
        crate::scan::bytes_below(x ^ crate::scan::splat(b'\r'), 1) != 0
    });
    found || words.remainder().contains(&b'\r')
}

/// `[i]` after a path: written by hand, since `write!` cost 335 instructions a repeated element
/// (every unit of a bulk file).
fn push_index(path: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = i;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    path.push('[');
    path.extend(digits[at..].iter().map(|&d| char::from(d)));
    path.push(']');
}

/// What an element is, by what its name means under its parent's context `ctx`.
#[inline(always)]
fn kind_of(node: Option<Node>, ctx: Ctx) -> Kind {
    match node {
        Some(Node::Container(child)) => Kind::Container(child),
        Some(Node::Wrapper) => Kind::Wrapper(ctx),
        Some(Node::Leaf(Field::MaxCopay)) => Kind::MaxCopay,
        Some(Node::Leaf(field)) => Kind::Leaf(field),
        None => Kind::Unknown { top: true },
    }
}

/// The last part of `path` from `from` on: the name of the element whose part starts there
/// (after its `/`).
fn last_part(path: &str, from: usize) -> &str {
    let part = &path[from..];
    part.strip_prefix('/').unwrap_or(part)
}

pub(crate) fn is_blank(s: &str) -> bool {
    // Indentation is a line end and spaces: runs of spaces go by eight at a time.
    const SPACES: u64 = crate::scan::splat(b' ');
    let bytes = s.as_bytes();
    // Most texts that are not blank say so at their first byte.
    if let Some(&first) = bytes.first()
        && first > b' '
        && first < 0x80
    {
        return false;
    }
    let mut at = 0;
    loop {
        if let Some(word) = bytes.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok())
            && u64::from_ne_bytes(word) == SPACES
        {
            at += 8;
            continue;
        }
        match bytes.get(at) {
            None => return true,
            Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => at += 1,
            // Kana and kanji are not whitespace, decided at their bytes (`str::trim` decodes).
            Some(0x80..) => return !crate::text::starts_without_space(&bytes[at..]) && s.trim().is_empty(),
            Some(_) => return false,
        }
    }
}

/// An unknown leaf that may be a 公費負担者番号 kohi is not reading (cheap test first: 8
/// characters once trimmed, or full-width ones).
#[cold]
fn looks_like_payer(text: &str) -> bool {
    let t = text.trim();
    (t.len() == 8 || t.len() == 24) && crate::numbers::is_kohi_payer_value(t)
}

/// An unknown leaf that may be a national 受給者番号 kohi is not reading: 7 digits (half- or
/// full-width) with a valid check digit.
#[cold]
fn looks_like_recipient(text: &str) -> bool {
    let t = text.trim();
    (t.len() == 7 || t.len() == 21) && crate::numbers::check_number(crate::numbers::NumberKind::Recipient, t).valid
}

/// The text of a reference in a text (`&#x35;`, `&amp;`), or None for one a parse refuses: a
/// character XML does not allow, or an entity XML does not predefine (no DOCTYPE declares any).
/// The parse and the survey both resolve references through this.
pub(crate) fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    if r.is_char_ref() {
        r.resolve_char_ref().ok().flatten().filter(|&c| crate::decode::is_xml_char(c)).map(String::from)
    } else {
        quick_xml::escape::resolve_predefined_entity(r).map(str::to_owned)
    }
}

pub(crate) fn malformed_at((line, column): (usize, usize), reason: MalformedReason) -> Error {
    Error::MalformedXml { line, column, reason }
}

/// The attributes of a start tag, each its name and its value (references resolved, whitespace
/// normalised as XML 1.0 says), or the error a malformed one gives; XML's own (see
/// [`is_markup_attribute`]) left out. The parse and the survey both read attributes through
/// this, so that one file fails both by the same code and neither reports what the other skips.
pub(crate) fn attribute_values<'a>(
    e: &'a BytesStart<'_>,
    here: &'a impl Fn() -> (usize, usize),
) -> impl Iterator<Item = Result<(&'a str, std::borrow::Cow<'a, str>)>> {
    let markup = |attr: &std::result::Result<_, _>| matches!(attr, Ok(Attribute { key, .. }) if is_markup_attribute(key.into_inner()));
    e.attributes().filter(move |attr| !markup(attr)).map(|attr| {
        let attr = attr.map_err(|_| malformed_at(here(), MalformedReason::InvalidAttribute))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| malformed_at(here(), MalformedReason::InvalidReference))?;
        Ok((attr.key.into_inner(), value))
    })
}

/// An attribute that is XML's own machinery, never a value of the file's: a namespace
/// declaration (`xmlns`, `xmlns:p`, reserved by Namespaces in XML) or XML Schema's instance
/// attributes (`xsi:nil`, `xsi:type`, `xsi:schemaLocation`, `xsi:noNamespaceSchemaLocation`),
/// which a file written from a schema may carry on its root or on an empty element. Read as
/// values, they were kept as unknown elements and warned `unknown_element` on every such file.
fn is_markup_attribute(key: &str) -> bool {
    key == "xmlns"
        || key.starts_with("xmlns:")
        || matches!(key, "xsi:nil" | "xsi:type" | "xsi:schemaLocation" | "xsi:noNamespaceSchemaLocation")
}

/// Maps quick-xml's error to our closed set: its messages can quote the input.
fn malformed(text: &str, offset: usize, error: &quick_xml::Error) -> Error {
    let (line, column) = decode::line_column(text, offset);
    malformed_reason(error, line, column)
}

pub(crate) fn malformed_reason(error: &quick_xml::Error, line: usize, column: usize) -> Error {
    use quick_xml::errors::{IllFormedError as I, SyntaxError as S};
    let reason = match error {
        quick_xml::Error::Syntax(S::InvalidBangMarkup) => MalformedReason::InvalidSyntax,
        quick_xml::Error::Syntax(_) => MalformedReason::UnexpectedEof,
        quick_xml::Error::IllFormed(I::MismatchedEndTag { .. }) => MalformedReason::MismatchedEndTag,
        quick_xml::Error::IllFormed(I::UnmatchedEndTag(_)) => MalformedReason::UnmatchedEndTag,
        quick_xml::Error::IllFormed(I::MissingEndTag(_)) => MalformedReason::UnexpectedEof,
        quick_xml::Error::IllFormed(I::MissingDeclVersion(_) | I::UnknownVersion) => {
            MalformedReason::InvalidDeclaration
        }
        quick_xml::Error::InvalidAttr(_) => MalformedReason::InvalidAttribute,
        quick_xml::Error::Escape(_) => MalformedReason::InvalidReference,
        _ => MalformedReason::InvalidSyntax,
    };
    Error::MalformedXml { line, column, reason }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A tag split between two blocks is counted once, in the block it starts in, whatever the
    /// blocks' sizes; a text up to a megabyte is not counted.
    #[test]
    fn units_are_counted_once_across_block_ends() {
        let unit = format!("<{0}>x</{0}>", N::BULK_CONFIRM_UNIT);
        let text = format!("<a>{}</a>", unit.repeat((UnitCount::FROM / unit.len()) + 7));
        let tags = text.matches(&format!("<{}", N::BULK_CONFIRM_UNIT)).count();
        for size in [1, 2, 7, 16, 17, 4096, 65536] {
            let mut units = UnitCount::default();
            let mut start = 0;
            while start < text.len() {
                let end = (start + size).min(text.len());
                units.count(text.as_bytes(), start..end);
                start = end;
            }
            assert_eq!(units.found, tags, "blocks of {size}");
        }
        let small = &text[..UnitCount::FROM];
        let mut units = UnitCount::default();
        units.count(small.as_bytes(), 0..small.len());
        assert_eq!(units.found, 0);
    }

    /// A parse leaves its walker's buffers, emptied, for the thread's next one; a document that
    /// grew them past the bound leaves none; the results are the same either way.
    #[test]
    fn walker_buffers_are_kept_empty_for_the_next_parse_unless_large() {
        let face = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml")).unwrap();
        let kept = || SCRATCH.with(|k| k.take());
        kept();
        let first = crate::to_json(&crate::parse(&face).unwrap());
        let scratch = kept().expect("kept after a parse");
        assert!(scratch.stack.is_empty() && scratch.path.is_empty() && scratch.text.is_empty());
        assert!(scratch.text.capacity() >= 1024, "the buffers themselves, not new ones");
        SCRATCH.with(|k| k.set(Some(scratch)));
        let long = format!("<XmlMsg><MessageBody><Unknown>{}</Unknown></MessageBody></XmlMsg>", "x".repeat(20_000));
        crate::parse(long.as_bytes()).unwrap();
        assert!(kept().is_none(), "a 20,000-byte text buffer is not kept");
        assert_eq!(crate::to_json(&crate::parse(&face).unwrap()), first);
        assert_eq!(crate::to_json(&crate::parse(&face).unwrap()), first);
    }

    /// Options made per call (as Python and Node make them) share the layout built for the same
    /// texts; the list stays bounded, and a text past the bound is built each time.
    #[test]
    fn layouts_built_from_the_same_texts_are_shared_and_the_list_is_bounded() {
        let layout = |rename: &str| ParseOptions::default().with_layout_json(rename).unwrap().layout;
        let first = r#"{"rename": {"InsurerName": "CacheTestFirst"}}"#;
        assert!(Arc::ptr_eq(&layout(first), &layout(first)));
        let with_aliases = |aliases: &str| {
            ParseOptions::default().with_layout_json(first).unwrap().with_aliases_json(aliases).unwrap().layout
        };
        let aliases = r#"{"Name": "CacheTestName"}"#;
        assert!(Arc::ptr_eq(&with_aliases(aliases), &with_aliases(aliases)));
        assert!(!Arc::ptr_eq(&with_aliases(aliases), &layout(first)), "the texts together are another layout");
        let kept = layout(first);
        for i in 0..CACHED_LAYOUTS {
            layout(&format!(r#"{{"rename": {{"InsurerName": "CacheTest{i}"}}}}"#));
        }
        assert!(BUILT_LAYOUTS.lock().unwrap().len() <= CACHED_LAYOUTS);
        assert!(!Arc::ptr_eq(&kept, &layout(first)), "the least recently used was let go");
        let long = format!(
            r#"{{"rename": {{"InsurerName": "CacheTestLong"}}, "roots": ["{}"]}}"#,
            "R".repeat(CACHED_TEXT_BYTES)
        );
        assert!(!Arc::ptr_eq(&layout(&long), &layout(&long)), "a text past the bound is not kept");
    }

    #[test]
    fn indexes_are_written_as_format_writes_them() {
        for i in [0, 1, 9, 10, 99, 100, 65_536, 1_000_001, usize::MAX] {
            let mut path = String::from("A/B");
            push_index(&mut path, i);
            assert_eq!(path, format!("A/B[{i}]"));
        }
    }

    #[test]
    fn line_ends_in_leaf_texts_are_normalised_only_when_there_is_a_carriage_return() {
        let crlf = parse_str_with(
            "<XmlMsg><MessageHeader><ErrorMessage>a\r\nb\rc</ErrorMessage></MessageHeader><MessageBody/></XmlMsg>",
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(crlf.header.error_message.as_deref(), Some("a\nb\nc"));
        let plain = eols_normalized("a\nb", || unreachable!("no \\r, no normalisation"));
        assert!(matches!(plain, std::borrow::Cow::Borrowed("a\nb")));
    }

    proptest! {
        /// The word-at-a-time search agrees with a byte search, wherever the `\r` is (in a
        /// word, in the remainder, next to bytes that differ from it by one bit or one value).
        #[test]
        fn carriage_returns_are_found_as_a_byte_search_finds_them(
            bytes in proptest::collection::vec(proptest::sample::select(b"\r\n\x0c\x0e\x8d a\xe3".to_vec()), 0..40),
        ) {
            proptest::prop_assert_eq!(has_carriage_return(&bytes), bytes.contains(&b'\r'));
        }
    }

    /// The whole document through quick-xml only, as before the scanner existed.
    fn parse_with_quick_xml(bytes: &[u8]) -> Result<Document> {
        parse_bytes(bytes, &ParseOptions::default(), |text, encoding, options, _| {
            Walker::new(options).run(text, encoding)
        })
    }

    fn outcome(result: Result<Document>) -> String {
        match result {
            Ok(doc) => crate::to_json(&doc),
            Err(e) => e.to_json(),
        }
    }

    fn fixture_bytes() -> Vec<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
        let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_fixture_parses_the_same_with_and_without_the_scanner() {
        let fixtures = fixture_bytes();
        assert!(fixtures.len() >= 30);
        for bytes in fixtures {
            assert_eq!(outcome(parse_with(&bytes, &ParseOptions::default())), outcome(parse_with_quick_xml(&bytes)));
        }
    }

    const SPLICES: &[&str] = &[
        "",
        "<",
        ">",
        "/",
        "</a>",
        "<a>",
        "<b/>",
        "&",
        "&amp;",
        "&#1;",
        "&#x41;",
        ";",
        "\"",
        "'",
        "<!--",
        "-->",
        "<![CDATA[x]]>",
        "<!DOCTYPE a>",
        "<?p?>",
        "\r\n",
        " ",
        "日本",
        "<Name>",
        "</Name>",
        "\u{FEFF}",
        "\u{0}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// Spliced fixtures: the same document or the same error (code, position), whichever
        /// reader the scanner left it to.
        #[test]
        fn spliced_fixtures_parse_the_same(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(),
                                           len in 0usize..16, insert in proptest::sample::select(SPLICES)) {
            let all = fixture_bytes();
            let original = &all[pick.index(all.len())];
            let start = at.index(original.len() + 1);
            let end = (start + len).min(original.len());
            let mut bytes = original[..start].to_vec();
            bytes.extend_from_slice(insert.as_bytes());
            bytes.extend_from_slice(&original[end..]);
            prop_assert_eq!(outcome(parse_with(&bytes, &ParseOptions::default())), outcome(parse_with_quick_xml(&bytes)));
        }
    }

    #[test]
    fn is_blank_agrees_with_trim() {
        let cases = [
            "",
            " ",
            "\n\t \r",
            "\u{b}\u{c}",
            "\u{3000}",
            " \u{3000} ",
            "\u{a0}",
            "\u{85}",
            "a",
            " a",
            "\n1\n",
            "\u{3000}一",
            "一",
            "\u{200b}",
            "\u{2028}",
            // Indentation: words of eight spaces, then what follows them.
            "\n        ",
            "\r\n                  ",
            "        x",
            "\n                \u{3000}",
            "\n        \u{3000}一",
            "        ア",
            "\u{3000}\u{3000}",
            "\u{2028}a",
            "\u{a0}\u{3000}\u{1680}",
            "        \t        \n",
            "1        ",
        ];
        for case in cases {
            assert_eq!(is_blank(case), case.trim().is_empty(), "{:?}", case.escape_unicode().to_string());
        }
    }
}
