//! Decoded text → [`Document`], in one pass over quick-xml events, by element name in any order.
//!
//! No DOCTYPE is accepted, so no entity is ever expanded: only the five predefined entities
//! and character references are resolved. Nothing is dropped: an element or attribute the
//! layout does not know, a second copy of a leaf, and stray text in a container all land in
//! `unknown_elements` with their path.

use std::fmt::Write;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::codes::*;
use crate::decode::{self, Encoding, EncodingSource};
use crate::error::{Error, Limit, MalformedReason, Result};
use crate::layout::names as N;
use crate::layout::*;
use crate::model::*;
use crate::numbers::{NumberKind, NumberText, is_valid_normalized, normalize};
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

/// How to parse. Cheap to clone; build once and reuse.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    layout: Arc<Layout>,
    max_input_bytes: usize,
    max_depth: usize,
    limits: Limits,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            layout: Layout::standard(),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            limits: Limits::default(),
        }
    }
}

impl ParseOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the caller's element aliases (JSON: canonical name → extra names).
    pub fn with_aliases_json(mut self, json: &str) -> Result<Self> {
        self.layout = Arc::new(Layout::with_aliases_json(json)?);
        Ok(self)
    }

    /// Uses a layout file (JSON; see [`Layout::from_json`]): names, places, wrappers and roots
    /// of the real layout, learnt without a release. An alias table is accepted too.
    pub fn with_layout_json(mut self, json: &str) -> Result<Self> {
        self.layout = Arc::new(Layout::from_json(json)?);
        Ok(self)
    }

    /// The layout in use.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn with_max_input_bytes(mut self, limit: usize) -> Self {
        self.max_input_bytes = limit;
        self
    }

    pub fn with_max_depth(mut self, limit: usize) -> Self {
        self.max_depth = limit;
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn max_input_bytes(&self) -> usize {
        self.max_input_bytes
    }

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
    read: fn(&str, Encoding, &ParseOptions) -> Result<Document>,
) -> Result<Document> {
    check_size(bytes.len(), options)?;
    if crate::json_form::looks_like_json(bytes) {
        let json = std::str::from_utf8(bytes)
            .map_err(|e| Error::InvalidEncoding { encoding: "UTF-8", offset: e.valid_up_to() })?;
        return parse_json(json, options);
    }
    let decoded = decode::decode(bytes)?;
    let mut doc = read(&decoded.text, decoded.encoding, options)?;
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
    decode::check_characters(text)?;
    walk(text, Encoding::Utf8, options).map(crate::complete::completed)
}

/// The Web API's JSON form: turned into the XML it stands for, then read like any file.
fn parse_json(json: &str, options: &ParseOptions) -> Result<Document> {
    let xml = crate::json_form::to_xml(json, options.max_input_bytes, options.max_depth)?;
    decode::check_characters(&xml)?;
    walk(&xml, Encoding::Utf8, options).map(crate::complete::completed)
}

/// The fast scanner first; on anything it leaves to quick-xml, quick-xml reads the whole
/// document again (see scan.rs). A walker error on the fast path is final: every event before
/// it, and its position, is the one quick-xml would have given.
fn walk(text: &str, encoding: Encoding, options: &ParseOptions) -> Result<Document> {
    let walker = || {
        let mut walker = Walker::new(options);
        // A bulk file's patients grow one vector: sized once from a count of its units (a
        // quick scan), it never doubles, and a 100,000-unit file does not peak at 1.5 times its
        // patients. Only worth it (and only done) for large texts; a wrong count costs nothing.
        if text.len() > 1 << 20 {
            let tag = format!("<{}", N::BULK_CONFIRM_UNIT);
            let units = memchr::memmem::find_iter(text.as_bytes(), tag.as_bytes()).count();
            walker.units.reserve_exact(units.min(walker.limits.patients));
        }
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

enum Kind {
    Container(Ctx),
    /// A wrapper a layout file declared: its children are looked up in the parent's context.
    Wrapper(Ctx),
    Leaf(Field),
    /// `MaxCopaymentAmount`: its text is the amount, its children are kept by name.
    MaxCopay,
    MaxCopayItem,
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
    pub(crate) header: Header,
    body: Patient,
    bulk: BulkInfo,
    is_bulk: bool,
    units: Vec<Patient>,
    in_unit: bool,
    max_copay: MaxCopayment,
    unknown: Vec<UnknownElement>,
    warnings: Vec<Warning>,
    stack: Vec<Frame>,
    path: String,
    text: String,
    root_seen: bool,
    /// Bulk units opened so far (paths index them; streaming does not keep them).
    units_seen: usize,
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
    unit_marks: (usize, usize),
}

impl Walker {
    pub(crate) fn new(options: &ParseOptions) -> Self {
        Walker {
            layout: options.layout.clone(),
            max_depth: options.max_depth,
            limits: options.limits,
            elements: 0,
            header: Header::default(),
            body: Patient::default(),
            bulk: BulkInfo::default(),
            is_bulk: false,
            units: Vec::new(),
            in_unit: false,
            max_copay: MaxCopayment::default(),
            unknown: Vec::new(),
            warnings: Vec::new(),
            stack: Vec::with_capacity(16),
            path: String::with_capacity(256),
            text: String::with_capacity(1024),
            root_seen: false,
            units_seen: 0,
            kept: 0,
            siblings: Vec::new(),
            sibling_names: String::new(),
            streaming: false,
            finished_units: std::collections::VecDeque::new(),
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
            Event::Text(t) => self.text(&t.xml10_content(), here)?,
            Event::CData(t) => self.text(&t.xml10_content(), here)?,
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) if crate::decode::is_xml_char(c) => c.to_string(),
                        _ => return Err(malformed_at(here(), MalformedReason::InvalidReference)),
                    }
                } else {
                    quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| malformed_at(here(), MalformedReason::InvalidReference))?
                        .to_owned()
                };
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
                    Kind::Container(ctx) | Kind::Wrapper(ctx) => match self.layout.lookup(ctx, name) {
                        Some(Node::Container(child)) => Kind::Container(child),
                        Some(Node::Wrapper) => Kind::Wrapper(ctx),
                        Some(Node::Leaf(Field::MaxCopay)) => Kind::MaxCopay,
                        Some(Node::Leaf(field)) => Kind::Leaf(field),
                        None => Kind::Unknown { top: true },
                    },
                    Kind::MaxCopay => Kind::MaxCopayItem,
                    Kind::Unknown { .. } => Kind::Unknown { top: false },
                    Kind::Leaf(_) | Kind::MaxCopayItem => Kind::Unknown { top: true },
                }
            }
        };
        let path_len = self.path.len();
        if let Kind::Container(ctx) = kind {
            self.check_open(ctx, &here)?;
        }
        let index = match kind {
            Kind::Container(ctx) => self.open(ctx),
            Kind::MaxCopay => {
                self.max_copay = MaxCopayment::default();
                None
            }
            _ => None,
        };
        if !self.path.is_empty() {
            self.path.push('/');
        }
        self.path.push_str(name);
        if let Some(i) = index {
            let _ = write!(self.path, "[{i}]");
        }
        if let Kind::Unknown { .. } = kind {
            self.index_unknown(name);
        }
        if let Kind::Container(ctx) = kind {
            self.record_path(ctx);
        }
        if let Kind::Unknown { top: true } = kind {
            self.warn(WarningCode::UnknownElement);
        }
        // Onshi files carry no attributes: the attribute parser (out of line) runs only when
        // there is something.
        if !e.attributes_raw().trim_ascii().is_empty() {
            self.keep_attributes(e, &here)?;
        }
        let siblings_start = self.siblings.len();
        self.stack.push(Frame { kind, path_len, siblings_start, text_start: self.text.len(), has_child: false });
        Ok(())
    }

    /// Attributes are not part of the layout: every one is kept as `…/@name`.
    #[cold]
    #[inline(never)]
    fn keep_attributes(&mut self, e: &BytesStart<'_>, here: &impl Fn() -> (usize, usize)) -> Result<()> {
        for attr in e.attributes() {
            let attr = attr.map_err(|_| malformed_at(here(), MalformedReason::InvalidAttribute))?;
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|_| malformed_at(here(), MalformedReason::InvalidReference))?;
            self.check(Limit::TextBytes, value.len(), here)?;
            self.check(Limit::NameBytes, attr.key.as_ref().len(), here)?;
            self.check(Limit::UnknownElements, self.unknown.len() + 1, here)?;
            let path = format!("{}/@{}", self.path, attr.key.as_ref());
            self.kept += 2 * path.len() + value.len();
            self.check(Limit::KeptBytes, self.kept, here)?;
            self.warnings.push(Warning { code: WarningCode::UnknownElement, path: path.clone() });
            self.unknown.push(UnknownElement { path, text: Personal::new(value.into_owned()) });
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
        let split =
            frame.has_child && !blank && matches!(frame.kind, Kind::Leaf(_) | Kind::MaxCopay | Kind::MaxCopayItem);
        if split {
            self.warn(WarningCode::MixedContent);
            self.keep_unknown(text.to_owned());
        }
        match frame.kind {
            Kind::MaxCopay if split => self.close_max_copay(String::new()),
            _ if split => {}
            Kind::Leaf(field) if !blank => {
                if !self.assign(field, text) {
                    self.keep_duplicate(field, text);
                }
            }
            Kind::Leaf(_) => {}
            Kind::MaxCopay => self.close_max_copay(text.to_owned()),
            Kind::MaxCopayItem if !blank => {
                let name = self.path[frame.path_len..].trim_start_matches('/').to_owned();
                self.max_copay.items.push(NamedValue { name, value: text.to_owned() });
            }
            Kind::MaxCopayItem => {}
            Kind::Container(ctx) => {
                if !blank {
                    // Text beside child elements: not in the layout, so kept.
                    self.keep_unknown(text.to_owned());
                }
                if ctx == Ctx::Unit {
                    self.in_unit = false;
                    if self.streaming {
                        self.release_unit();
                    }
                }
            }
            Kind::Wrapper(_) if !blank => self.keep_unknown(text.to_owned()),
            Kind::Wrapper(_) => {}
            Kind::Unknown { .. } => {
                if !blank && !frame.has_child && looks_like_payer(text) {
                    self.warn(WarningCode::UnmappedKohiNumber);
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
        let Some(patient) = self.units.pop() else { return };
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
            Ctx::Unit => self.check(Limit::Patients, self.units_seen + 1, here),
            Ctx::Subsidy | Ctx::Result => {
                let person = self.person();
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

    fn warn(&mut self, code: WarningCode) {
        self.kept += self.path.len();
        self.warnings.push(Warning { code, path: self.path.clone() });
    }

    fn close_max_copay(&mut self, text: String) {
        let mut value = std::mem::take(&mut self.max_copay);
        if !is_blank(&text) {
            value.amount = yen_amount(&text);
            value.raw = Some(text);
        }
        if value == MaxCopayment::default() {
            return;
        }
        let Some(subsidy) = self.subsidy() else { return };
        if subsidy.max_copayment.is_some() {
            self.keep_duplicate(Field::MaxCopay, value.raw.as_deref().unwrap_or_default());
        } else {
            subsidy.max_copayment = Some(value);
        }
    }

    fn person(&mut self) -> &mut Patient {
        match self.units.len() {
            n if self.in_unit && n > 0 => &mut self.units[n - 1],
            _ => &mut self.body,
        }
    }

    fn qualification(&mut self) -> Option<&mut Qualification> {
        self.person().qualifications.last_mut()
    }

    fn subsidy(&mut self) -> Option<&mut MedicalSubsidy> {
        self.qualification()?.medical_subsidies.as_mut()?.last_mut()
    }

    /// Creates the model object a container stands for; returns its 1-based index if it repeats.
    fn open(&mut self, ctx: Ctx) -> Option<usize> {
        let index = match ctx {
            Ctx::Unit => {
                self.is_bulk = true;
                self.units.push(Patient::default());
                self.in_unit = true;
                self.units_seen += 1;
                self.unit_marks = (self.warnings.len(), self.unknown.len());
                self.units_seen
            }
            Ctx::SearchInfo => {
                self.person().search_info.get_or_insert_with(Default::default);
                0
            }
            Ctx::Result => {
                let list = &mut self.person().qualifications;
                // Almost every person has one result: room for exactly one, not the four a
                // first push of a struct this size would reserve (~3 KB more per bulk unit).
                if list.is_empty() {
                    list.reserve_exact(1);
                }
                list.push(Qualification::default());
                list.len()
            }
            _ => {
                if matches!(ctx, Ctx::SubsidyList | Ctx::Subsidy) && self.person().qualifications.is_empty() {
                    // PMH data a layout file placed at the person level, before any result: it
                    // gets a result of its own, merged into the person's first real one at the end.
                    self.person().qualifications.push(Qualification::default());
                }
                let q = self.qualification()?;
                match ctx {
                    Ctx::Elderly => {
                        q.elderly_recipient_certificate.get_or_insert_with(Default::default);
                        0
                    }
                    Ctx::Limit => {
                        q.limit_application_certificate.get_or_insert_with(Default::default);
                        0
                    }
                    Ctx::Specific => {
                        q.specific_diseases_certificates.push(Default::default());
                        q.specific_diseases_certificates.len()
                    }
                    Ctx::Ticket => {
                        q.medical_tickets.push(Default::default());
                        q.medical_tickets.len()
                    }
                    Ctx::SubsidyList => {
                        q.medical_subsidies.get_or_insert_with(Vec::new);
                        0
                    }
                    Ctx::Subsidy => {
                        let list = q.medical_subsidies.get_or_insert_with(Vec::new);
                        list.push(MedicalSubsidy::default());
                        list.len()
                    }
                    _ => 0,
                }
            }
        };
        (is_repeatable(ctx) && index > 0).then_some(index)
    }

    /// Objects that report warnings later remember where they were.
    fn record_path(&mut self, ctx: Ctx) {
        if !matches!(ctx, Ctx::SearchInfo | Ctx::Result | Ctx::Subsidy) {
            return;
        }
        let path = self.path.clone();
        match ctx {
            Ctx::SearchInfo => {
                if let Some(s) = self.person().search_info.as_mut() {
                    s.path = path;
                }
            }
            Ctx::Result => {
                if let Some(q) = self.qualification() {
                    q.path = path;
                }
            }
            Ctx::Subsidy => {
                if let Some(s) = self.subsidy() {
                    s.path = path;
                }
            }
            _ => {}
        }
    }

    /// Stores a leaf's text. Returns false when the slot was already filled (a duplicate).
    fn assign(&mut self, field: Field, text: &str) -> bool {
        // Codes only: warnings are rare, so the path is copied only when one occurs.
        let mut codes = Vec::new();
        let v = Value { text, warnings: &mut codes };
        let stored = match field {
            Field::Header(f) => assign_header(&mut self.header, f, v),
            Field::Body(BodyField::ReceptionNumber) => {
                self.is_bulk = true;
                put(&mut self.bulk.reception_number, text.trim().to_owned())
            }
            Field::Person(f) => assign_person(self.person(), f, v),
            Field::Search(f) => match self.person().search_info.as_mut() {
                Some(s) => assign_search(s, f, v),
                None => false,
            },
            Field::Result(f) => self.qualification().is_some_and(|q| assign_result(q, f, v)),
            Field::Elderly(f) => self
                .qualification()
                .and_then(|q| q.elderly_recipient_certificate.as_mut())
                .is_some_and(|c| assign_elderly(c, f, v)),
            Field::Limit(f) => self
                .qualification()
                .and_then(|q| q.limit_application_certificate.as_mut())
                .is_some_and(|c| assign_limit(c, f, v)),
            Field::Specific(f) => self
                .qualification()
                .and_then(|q| q.specific_diseases_certificates.last_mut())
                .is_some_and(|c| assign_specific(c, f, v)),
            Field::Ticket(f) => {
                self.qualification().and_then(|q| q.medical_tickets.last_mut()).is_some_and(|t| assign_ticket(t, f, v))
            }
            Field::Subsidy(f) => self.subsidy().is_some_and(|s| assign_subsidy(s, f, v)),
            Field::MaxCopay => false,
        };
        for code in codes {
            self.warn(code);
        }
        stored
    }

    pub(crate) fn finish(mut self, encoding: Encoding) -> Document {
        let body = std::mem::take(&mut self.body);
        // The units become the patients as they are: a second vector of a 100,000-unit file's
        // patients would double the peak.
        let mut patients = if self.units.is_empty() { Vec::with_capacity(1) } else { std::mem::take(&mut self.units) };
        let bulk = if self.is_bulk {
            let info = BulkInfo {
                reception_number: self.bulk.reception_number.take(),
                processing_result_status: body.processing_result_status.clone(),
                processing_result_code: body.processing_result_code.clone(),
                processing_result_message: body.processing_result_message.clone(),
                qualification_validity: body.qualification_validity.clone(),
            };
            if !body.qualifications.is_empty() || body.search_info.is_some() {
                patients.insert(0, body);
            }
            Some(info)
        } else {
            if has_person_content(&body) {
                patients.insert(0, body);
            }
            None
        };
        Document {
            encoding,
            header: self.header,
            patients,
            unknown_elements: self.unknown,
            warnings: self.warnings,
            bulk,
        }
    }
}

/// `str::trim().is_empty()`, without decoding characters in the common cases: ASCII text
/// decides at its first byte; only non-ASCII text (U+3000 is blank too) takes the full check.
fn is_blank(s: &str) -> bool {
    for &b in s.as_bytes() {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => continue,
            0x80.. => return s.trim().is_empty(),
            _ => return false,
        }
    }
    true
}

fn has_person_content(p: &Patient) -> bool {
    p.reference_number.is_some()
        || p.processing_result_status.is_some()
        || p.processing_result_code.is_some()
        || p.processing_result_message.is_some()
        || p.qualification_validity.is_some()
        || p.prescription_issue_select.is_some()
        || p.search_info.is_some()
        || !p.qualifications.is_empty()
}

/// An unknown leaf that may be a 公費負担者番号 kohi is not reading (cheap test first: 8
/// characters once trimmed, or full-width ones).
#[cold]
fn looks_like_payer(text: &str) -> bool {
    let t = text.trim();
    (t.len() == 8 || t.len() == 24) && crate::numbers::is_kohi_payer_value(t)
}

/// A leaf's text with the means to warn about it (at the leaf's path).
struct Value<'a> {
    text: &'a str,
    warnings: &'a mut Vec<WarningCode>,
}

impl Value<'_> {
    fn warn(&mut self, code: WarningCode) {
        self.warnings.push(code);
    }

    fn string(&self) -> String {
        self.text.to_owned()
    }

    fn trimmed(&self) -> String {
        self.text.trim().to_owned()
    }

    fn personal(&self) -> Personal<String> {
        Personal::new(self.string())
    }

    fn code<C: CodeList>(&mut self) -> C {
        let code = C::from_code(self.text.trim());
        if !code.is_known() {
            self.warn(WarningCode::UnknownCode);
        }
        code
    }

    fn date(&mut self) -> Date {
        let date = Date::parse(self.text);
        if date.value.is_none() {
            self.warn(WarningCode::InvalidDate);
        }
        date
    }

    fn datetime(&mut self) -> DateTime {
        let time = DateTime::parse(self.text);
        if time.value.is_none() {
            self.warn(WarningCode::InvalidDate);
        }
        time
    }

    fn number(&self) -> NumberText {
        NumberText::new(self.text)
    }

    fn checked(&self, kind: NumberKind) -> CheckedNumber {
        let text = NumberText::new(self.text);
        CheckedNumber { valid: is_valid_normalized(kind, text.value()), text }
    }
}

/// Fills an empty slot; reports false if it was already filled (the caller keeps the copy).
fn put<T>(slot: &mut Option<T>, value: T) -> bool {
    if slot.is_some() {
        return false;
    }
    *slot = Some(value);
    true
}

/// `5,000円`, `５０００` → `5000`; anything else is not an amount.
fn yen_amount(text: &str) -> Option<String> {
    let n = normalize(text);
    let digits: String = n.trim_end_matches('円').chars().filter(|&c| c != ',' && c != '，').collect();
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn assign_header(h: &mut Header, f: HeaderField, mut v: Value<'_>) -> bool {
    use HeaderField as H;
    match f {
        H::ProcessExecutionTime => put(&mut h.process_execution_time, v.datetime()),
        H::QualificationConfirmationDate => put(&mut h.qualification_confirmation_date, v.date()),
        H::MedicalInstitutionCode => put(&mut h.medical_institution_code, v.trimmed()),
        H::ArbitraryFileIdentifier => put(&mut h.arbitrary_file_identifier, v.trimmed()),
        H::ReferenceClassification => put(&mut h.reference_classification, v.code()),
        H::SegmentOfResult => put(&mut h.segment_of_result, v.code()),
        H::ErrorCode => put(&mut h.error_code, v.trimmed()),
        H::ErrorMessage => put(&mut h.error_message, v.string()),
        H::CharacterCodeIdentifier => put(&mut h.character_code_identifier, v.code()),
    }
}

fn assign_person(p: &mut Patient, f: PersonField, mut v: Value<'_>) -> bool {
    use PersonField as P;
    match f {
        P::ReferenceNumber => put(&mut p.reference_number, Personal::new(v.trimmed())),
        P::ProcessingResultStatus => put(&mut p.processing_result_status, v.code()),
        P::ProcessingResultCode => put(&mut p.processing_result_code, v.trimmed()),
        P::ProcessingResultMessage => put(&mut p.processing_result_message, v.string()),
        P::QualificationValidity => put(&mut p.qualification_validity, v.code()),
        P::PrescriptionIssueSelect => put(&mut p.prescription_issue_select, v.code()),
    }
}

fn assign_search(s: &mut SearchInfo, f: SearchField, mut v: Value<'_>) -> bool {
    use SearchField as S;
    match f {
        S::InsurerNumber => put(&mut s.insurer_number, v.checked(NumberKind::Insurer)),
        S::InsuredCardSymbol => put(&mut s.insured_card_symbol, v.number()),
        S::InsuredIdentificationNumber => put(&mut s.insured_identification_number, v.number()),
        S::InsuredBranchNumber => put(&mut s.insured_branch_number, v.number()),
        S::Birthdate => put(&mut s.birthdate, Personal::new(v.date())),
        S::LimitConsFlg => put(&mut s.limit_application_certificate_related_cons_flg, v.code()),
        S::ArbitraryIdentifier => put(&mut s.arbitrary_identifier, v.trimmed()),
    }
}

fn assign_result(q: &mut Qualification, f: ResultField, mut v: Value<'_>) -> bool {
    use ResultField as R;
    match f {
        R::InsuredCardClassification => put(&mut q.insured_card_classification, v.code()),
        R::InsurerNumber => put(&mut q.insurer_number, v.checked(NumberKind::Insurer)),
        R::InsuredCardSymbol => put(&mut q.insured_card_symbol, v.number()),
        R::InsuredIdentificationNumber => put(&mut q.insured_identification_number, v.number()),
        R::InsuredBranchNumber => put(&mut q.insured_branch_number, v.number()),
        R::PersonalFamilyClassification => put(&mut q.personal_family_classification, v.code()),
        R::InsuredName => put(&mut q.insured_name, v.personal()),
        R::Name => put(&mut q.name, v.personal()),
        R::NameOfOther => put(&mut q.name_of_other, v.personal()),
        R::NameKana => put(&mut q.name_kana, v.personal()),
        R::NameOfOtherKana => put(&mut q.name_of_other_kana, v.personal()),
        R::Sex1 => put(&mut q.sex1, v.code()),
        R::Sex2 => put(&mut q.sex2, v.code()),
        R::Birthdate => put(&mut q.birthdate, Personal::new(v.date())),
        R::Address => put(&mut q.address, v.personal()),
        R::PostNumber => put(&mut q.post_number, v.personal()),
        R::QualificationDate => put(&mut q.qualification_date, v.date()),
        R::DisqualificationDate => put(&mut q.disqualification_date, v.date()),
        R::InsuredCertificateIssuanceDate => put(&mut q.insured_certificate_issuance_date, v.date()),
        R::InsuredCardValidDate => put(&mut q.insured_card_valid_date, v.date()),
        R::InsuredCardExpirationDate => put(&mut q.insured_card_expiration_date, v.date()),
        R::InsuredPartialContributionRatio => put(&mut q.insured_partial_contribution_ratio, v.trimmed()),
        R::PreschoolClassification => put(&mut q.preschool_classification, v.code()),
        R::ReasonOfLoss => put(&mut q.reason_of_loss, v.code()),
        R::InsurerName => put(&mut q.insurer_name, v.string()),
        R::LimitConsFlg => put(&mut q.consents_mut().limit_application_certificate_related_cons_flg, v.code()),
        R::LimitConsTime => put(&mut q.consents_mut().limit_application_certificate_related_cons_time, v.datetime()),
        R::SpecificDiseasesConsFlg => {
            put(&mut q.consents_mut().specific_diseases_certificate_related_cons_flg, v.code())
        }
        R::SpecificDiseasesConsTime => {
            put(&mut q.consents_mut().specific_diseases_certificate_related_cons_time, v.datetime())
        }
        R::SpecificHealthCheckupsConsFlg => put(&mut q.consents_mut().specific_health_checkups_info_cons_flg, v.code()),
        R::SpecificHealthCheckupsConsTime => {
            put(&mut q.consents_mut().specific_health_checkups_info_cons_time, v.datetime())
        }
        R::SpecificHealthCheckupsAvailableTime => {
            put(&mut q.consents_mut().specific_health_checkups_info_available_time, v.datetime())
        }
        R::PharmacistsConsFlg => put(&mut q.consents_mut().pharmacists_info_cons_flg, v.code()),
        R::PharmacistsConsTime => put(&mut q.consents_mut().pharmacists_info_cons_time, v.datetime()),
        R::PharmacistsAvailableTime => put(&mut q.consents_mut().pharmacists_info_available_time, v.datetime()),
        R::DiagnosisConsFlg => put(&mut q.consents_mut().diagnosis_info_cons_flg, v.code()),
        R::DiagnosisConsTime => put(&mut q.consents_mut().diagnosis_info_cons_time, v.datetime()),
        R::DiagnosisAvailableTime => put(&mut q.consents_mut().diagnosis_info_available_time, v.datetime()),
        R::OperationConsFlg => put(&mut q.consents_mut().operation_info_cons_flg, v.code()),
        R::OperationConsTime => put(&mut q.consents_mut().operation_info_cons_time, v.datetime()),
        R::OperationAvailableTime => put(&mut q.consents_mut().operation_info_available_time, v.datetime()),
        R::ReferenceNumber => put(&mut q.reference_number, Personal::new(v.trimmed())),
        R::ArbitraryIdentifier => put(&mut q.arbitrary_identifier, v.trimmed()),
        R::QualificationConfirmationKey => put(&mut q.qualification_confirmation_key, Personal::new(v.trimmed())),
        R::PublicExpenseNumber => put(&mut q.public_expense_number, v.checked(NumberKind::Payer)),
        R::BeneficiaryNumber => put(&mut q.beneficiary_number, v.number()),
        R::WelfareOfficeName => put(&mut q.welfare_office_name, v.string()),
        R::NumberOfMedicalTickets => put(&mut q.number_of_medical_tickets, v.trimmed()),
        R::MedicalSubsidyConsFlg => put(&mut q.consents_mut().medical_subsidy_cons_flg, v.code()),
        R::MedicalSubsidyConsTime => put(&mut q.consents_mut().medical_subsidy_cons_time, v.datetime()),
    }
}

fn assign_elderly(c: &mut ElderlyRecipientCertificate, f: ElderlyField, mut v: Value<'_>) -> bool {
    use ElderlyField as E;
    match f {
        E::CertificateDate => put(&mut c.certificate_date, v.date()),
        E::ValidStartDate => put(&mut c.valid_start_date, v.date()),
        E::ValidEndDate => put(&mut c.valid_end_date, v.date()),
        E::ContributionRatio => put(&mut c.contribution_ratio, v.trimmed()),
    }
}

fn assign_limit(c: &mut LimitApplicationCertificate, f: LimitField, mut v: Value<'_>) -> bool {
    use LimitField as L;
    match f {
        L::Classification => put(&mut c.classification, v.code()),
        L::ClassificationFlag => put(&mut c.classification_flag, v.code()),
        L::CertificateDate => put(&mut c.certificate_date, v.date()),
        L::ValidStartDate => put(&mut c.valid_start_date, v.date()),
        L::ValidEndDate => put(&mut c.valid_end_date, v.date()),
        L::LongTermDate => put(&mut c.long_term_date, v.date()),
    }
}

fn assign_specific(c: &mut SpecificDiseasesCertificate, f: SpecificField, mut v: Value<'_>) -> bool {
    use SpecificField as S;
    match f {
        S::DiseaseCategory => put(&mut c.disease_category, v.code()),
        S::CertificateDate => put(&mut c.certificate_date, v.date()),
        S::ValidStartDate => put(&mut c.valid_start_date, v.date()),
        S::ValidEndDate => put(&mut c.valid_end_date, v.date()),
        S::SelfPay => put(&mut c.self_pay, v.trimmed()),
    }
}

fn assign_ticket(t: &mut MedicalTicket, f: TicketField, mut v: Value<'_>) -> bool {
    use TicketField as T;
    match f {
        T::TicketType => put(&mut t.ticket_type, v.code()),
        T::ValidDate => put(&mut t.medical_ticket_valid_date, v.date()),
        T::ExpirationDate => put(&mut t.medical_ticket_expiration_date, v.date()),
        T::IssueNumber => put(&mut t.issue_number, Personal::new(v.trimmed())),
        T::MedicalTreatmentMonth => put(&mut t.medical_treatment_month, v.trimmed()),
        T::DesignatedInstitutionCode => put(&mut t.designated_medical_institution_code, v.trimmed()),
        T::DesignatedInstitutionFlag => put(&mut t.designated_medical_institution_flag, v.code()),
        T::DesignatedInstitutionName => put(&mut t.designated_medical_institution_name, v.string()),
        T::PrescriptionIssuerInstitutionCode => put(&mut t.prescription_issuer_medical_institution_code, v.trimmed()),
        T::PrescriptionIssuerInstitutionName => put(&mut t.prescription_issuer_medical_institution_name, v.string()),
        T::InjuryName1 => put(&mut t.injury_name1, v.personal()),
        T::InjuryName2 => put(&mut t.injury_name2, v.personal()),
        T::InjuryName3 => put(&mut t.injury_name3, v.personal()),
        T::MedicalTreatmentType => put(&mut t.medical_treatment_type, v.code()),
        T::SelfPayAmount => put(&mut t.self_pay_amount, v.trimmed()),
        T::DistrictContactName => put(&mut t.district_contact_name, v.personal()),
        T::HandlingContactName => put(&mut t.handling_contact_name, v.personal()),
        T::SingleOrCombinedUse => put(&mut t.single_or_combined_use, v.code()),
        T::StatusOfSocialInsurance => put(&mut t.status_of_social_insurance, v.trimmed()),
        T::ConsistencyFlag => put(&mut t.consistency_flag, v.trimmed()),
        T::StatusOfInfection => put(&mut t.status_of_infection, v.trimmed()),
        T::StatusOfElderlyMedicalCare => put(&mut t.status_of_elderly_medical_care, v.trimmed()),
        T::StatusOfPrefecturalExpenses => put(&mut t.status_of_prefectural_expenses, v.trimmed()),
        T::Remarks1 => put(&mut t.remarks1, v.personal()),
        T::Remarks2 => put(&mut t.remarks2, v.personal()),
        T::Remarks3 => put(&mut t.remarks3, v.personal()),
    }
}

fn assign_subsidy(s: &mut MedicalSubsidy, f: SubsidyField, mut v: Value<'_>) -> bool {
    use SubsidyField as S;
    match f {
        S::InsurerNumber => put(&mut s.insurer_number, v.number()),
        S::RecipientNumber => put(&mut s.recipient_number, v.number()),
        S::CertificationName => put(&mut s.certification_name, v.string()),
        S::CertificationSubKey => put(&mut s.certification_sub_key, v.trimmed()),
        S::Segment => put(&mut s.segment, v.trimmed()),
        S::IncomeSegment => put(&mut s.income_segment, v.trimmed()),
        S::AdditionalConditions => put(&mut s.additional_conditions, v.trimmed()),
        S::DesignatedMedicalInstitutions => put(&mut s.designated_medical_institutions, v.string()),
        S::AlwaysReimbursement => put(&mut s.always_reimbursement, v.code()),
        S::ValidStartDate => put(&mut s.valid_start_date, v.date()),
        S::ValidEndDate => put(&mut s.valid_end_date, v.date()),
    }
}

fn malformed_at((line, column): (usize, usize), reason: MalformedReason) -> Error {
    Error::MalformedXml { line, column, reason }
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

    /// The whole document through quick-xml only, as before the scanner existed.
    fn parse_with_quick_xml(bytes: &[u8]) -> Result<Document> {
        parse_bytes(bytes, &ParseOptions::default(), |text, encoding, options| Walker::new(options).run(text, encoding))
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
        ];
        for case in cases {
            assert_eq!(is_blank(case), case.trim().is_empty(), "{:?}", case.escape_unicode().to_string());
        }
    }
}
