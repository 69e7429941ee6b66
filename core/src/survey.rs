//! `kohi survey`: learn the real layout from real files, without reading a value out of them.
//!
//! The official PMH element names, and where the data sits, are not public. A survey walks the
//! element tree (attributes too, as `…/@name`: a layout file names them `@name`) of one or more files (XML or the Web API's JSON form), counts every path, says
//! whether the layout in use knows it, and describes each leaf by the *shape* of its values
//! (`8 digits, check digit ok, 公費 法別 54 national`, `YYYYMMDD`, `text ≤ 20 chars`), never the
//! values. From shapes and neighbours it proposes a layout file (see [`crate::layout::Layout::from_json`])
//! that maps the unknown elements onto kohi's PMH fields, each proposal with its evidence and a
//! confidence. Values are held only while the files are walked, to compare shapes and dates;
//! nothing the survey prints or writes holds one.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveTime;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::Serialize;

use crate::error::{Error, Limit, MalformedReason, Result};
use crate::layout::names::{BULK_CONFIRM_UNIT, MESSAGE_BODY};
use crate::layout::{Ctx, Layout, Node, TABLE};
use crate::numbers::{NumberKind, date_value, is_valid_normalized, normalize, payer_law};
use crate::parse::{Limits, ParseOptions, attribute_values};

/// Confidence in one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A guess: the shapes allow it, nothing more.
    Low,
    /// Most values fit, or the shapes fit and the element's name hints at the field.
    Medium,
    /// Every value fits the field's shape (check digits hold, dates fall in order).
    High,
}

/// One path of the element tree, across every file surveyed.
#[derive(Debug, Clone, Serialize)]
pub struct ElementStat {
    /// Element names joined by `/`, without repeat indices.
    pub path: String,
    /// How many times it occurs.
    pub count: usize,
    /// The layout in use knows it here.
    pub known: bool,
    /// It has child elements.
    pub container: bool,
    /// The shapes of its values, with how many values had each (leaves only).
    pub shapes: BTreeMap<String, usize>,
}

/// One proposed mapping: `element` (at `path`) is kohi's `field`.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    /// kohi's canonical element name (the key in the layout file's `rename`).
    pub field: &'static str,
    /// The name in the files.
    pub element: String,
    /// Where the element sits.
    pub path: String,
    /// How sure.
    pub confidence: Confidence,
    /// Why, in shapes and counts.
    pub evidence: String,
}

/// What a survey found.
#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    /// Files read.
    pub files: usize,
    /// Files that could not be read, by error code (their elements are not counted).
    pub failed: BTreeMap<&'static str, usize>,
    /// Every path, in the order first met.
    pub elements: Vec<ElementStat>,
    /// The proposed mappings, best first.
    pub proposals: Vec<Proposal>,
    /// The proposed layout file (JSON object), ready for `--layout`; `None` when nothing is
    /// proposed.
    pub layout: Option<serde_json::Value>,
}

/// Surveys documents (each the bytes of one file) with the layout of `options`.
pub fn survey<'a>(documents: impl IntoIterator<Item = &'a [u8]>, options: &ParseOptions) -> Survey {
    let mut surveyor = Surveyor::new(options);
    for bytes in documents {
        surveyor.add(bytes);
    }
    surveyor.finish()
}

/// A survey built one file at a time (memory: the paths, and the leaves of unknown containers).
pub struct Surveyor {
    options: ParseOptions,
    walk: Walk,
    files: usize,
    failed: BTreeMap<&'static str, usize>,
}

impl Surveyor {
    /// A survey read with these options (their layout says what is known).
    pub fn new(options: &ParseOptions) -> Self {
        Surveyor { options: options.clone(), walk: Walk::default(), files: 0, failed: BTreeMap::new() }
    }

    /// Adds one file's bytes.
    pub fn add(&mut self, bytes: &[u8]) {
        self.files += 1;
        if let Err(e) = self.walk.document(bytes, &self.options) {
            self.add_failure(&e);
        }
    }

    /// Counts a file that could not even be read.
    pub fn add_failure(&mut self, error: &Error) {
        *self.failed.entry(error.code()).or_insert(0) += 1;
    }

    /// Reads and adds one file (a failed read is counted, by its code).
    pub fn add_file(&mut self, path: impl AsRef<std::path::Path>) {
        match crate::read_file(path, self.options.max_input_bytes()) {
            Ok(bytes) => self.add(&bytes),
            Err(e) => self.add_unread(&e),
        }
    }

    /// Counts a file that was not read, failed with `error`: one refused before its bytes were
    /// taken (a binding's buffer past the size limit, which it does not copy).
    pub fn add_unread(&mut self, error: &Error) {
        self.files += 1;
        self.add_failure(error);
    }

    /// The report on every file added.
    pub fn finish(self) -> Survey {
        let walk = self.walk;
        let (proposals, layout) = propose(&walk);
        let elements = walk
            .order
            .iter()
            .map(|path| {
                let p = &walk.paths[path];
                ElementStat {
                    path: path.clone(),
                    count: p.count,
                    known: p.known,
                    container: p.container,
                    shapes: p.shapes.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
                }
            })
            .collect();
        Survey { files: self.files, failed: self.failed, elements, proposals, layout }
    }
}

impl Survey {
    /// The survey as JSON (what `kohi survey --json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The report for people: the tree, then the proposals. No value from the files.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let failed: usize = self.failed.values().sum();
        let _ = writeln!(out, "{} file(s) surveyed, {} could not be read", self.files, failed);
        for (code, n) in &self.failed {
            let _ = writeln!(out, "  {code}: {n}");
        }
        let _ = writeln!(out, "\nElements (count, known to the layout in use, shapes of the values):");
        for e in &self.elements {
            let depth = e.path.matches('/').count();
            let name = e.path.rsplit('/').next().unwrap_or(&e.path);
            let known = if e.known { "known" } else { "UNKNOWN" };
            let shapes: Vec<String> = e.shapes.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
            let _ = writeln!(out, "{}{name}  ×{}  {known}  {}", "  ".repeat(depth), e.count, shapes.join("; "));
        }
        if self.elements.iter().any(|e| e.path.contains("/@")) {
            let _ = writeln!(
                out,
                "\nAttributes (@name above) are read as child elements are: a layout file names one `@name` in `rename` (for a field that holds one value), and the proposals below do. One no layout names is kept as an unknown element (`…/@name`, with a warning)."
            );
        }
        if self.proposals.is_empty() {
            let _ = writeln!(
                out,
                "\nNo proposal: no unknown container holds 公費負担者番号-shaped values, and no certificate kohi reads has a field under another name.\nElements kohi does not know are marked UNKNOWN above, with the shapes of their values: one that is a 公費 field goes in a layout file's `rename` by hand."
            );
            return out;
        }
        let _ = writeln!(out, "\nProposed mapping (review before use):");
        for p in &self.proposals {
            let confidence = match p.confidence {
                Confidence::High => "high",
                Confidence::Medium => "medium",
                Confidence::Low => "low",
            };
            let _ = writeln!(out, "  {} ← {}  [{confidence}] {}  ({})", p.field, p.element, p.evidence, p.path);
        }
        if self.proposals.iter().any(|p| p.element.contains('/')) {
            let _ = writeln!(
                out,
                "\nA name `Group/name` is the leaf `name` inside the element `Group`: the files use that leaf name for more than one field, each in a group of its own."
            );
        }
        if let Some(layout) = &self.layout {
            let _ = writeln!(out, "\nLayout file:\n{}", serde_json::to_string_pretty(layout).unwrap_or_default());
        }
        out
    }
}

/// The shape of one value: what it looks like, never what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Shape {
    Empty,
    /// Eight digits that pass the 公費負担者番号 check, with their 法別 and what it is.
    Payer {
        law: String,
        kind: &'static str,
    },
    /// Seven digits that pass the 受給者番号 check.
    Recipient,
    Digits(usize),
    /// A date, written `YYYYMMDD`, `YYYY-MM-DD` (as the PMH registration API does) or
    /// `YYYY/MM/DD`: the separator, if any.
    Date {
        separator: Option<char>,
        /// Written with a time at a day's edge in Japan (`2025-04-01T00:00:00+09:00`,
        /// `2026-03-30T15:00:00Z`): how a JSON API may write a date.
        with_time: bool,
        /// In 和暦 or with 年月日 (`令和7年4月1日`, `R7.4.1`, `2025年4月1日`).
        japanese: bool,
    },
    /// A moment: `YYYYMMDDHHmmss` (a consent's time), or a date and a time within a day
    /// (`2025-06-04T10:15:41+09:00`): no period starts or ends there.
    DateTime {
        separator: Option<char>,
    },
    /// Digits with `円` or thousands separators.
    Amount,
    /// ASCII letters and digits, with at least one digit (a code or a local 受給者番号).
    Code(usize),
    /// Anything else, by its length rounded up.
    Text(usize),
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Empty => f.write_str("empty"),
            Shape::Payer { law, kind } => write!(f, "8 digits, check digit ok, 法別 {law} {kind}"),
            Shape::Recipient => f.write_str("7 digits, check digit ok"),
            Shape::Digits(1) => f.write_str("1 digit"),
            Shape::Digits(n) => write!(f, "{n} digits"),
            Shape::Date { japanese: true, .. } => f.write_str("和暦 or 年月日"),
            Shape::Date { separator: None, with_time: true, .. } => {
                f.write_str("YYYYMMDDHHmmss at a day's first or last second")
            }
            Shape::Date { separator: None, .. } => f.write_str("YYYYMMDD"),
            Shape::Date { separator: Some(s), with_time: false, .. } => write!(f, "YYYY{s}MM{s}DD"),
            Shape::Date { separator: Some(s), with_time: true, .. } => {
                write!(f, "YYYY{s}MM{s}DD and a day's first or last time")
            }
            Shape::DateTime { separator: None } => f.write_str("YYYYMMDDHHmmss"),
            Shape::DateTime { separator: Some(s) } => write!(f, "YYYY{s}MM{s}DD and a time"),
            Shape::Amount => f.write_str("amount"),
            Shape::Code(n) => write!(f, "code ≤ {n} chars"),
            Shape::Text(n) => write!(f, "text ≤ {n} chars"),
        }
    }
}

/// The last second of a day (a period's end may be written so).
const LAST_SECOND: NaiveTime = NaiveTime::from_hms_opt(23, 59, 59).expect("a time");

fn shape(raw: &str) -> Shape {
    let n = normalize(raw);
    let n = n.trim();
    let chars = n.chars().count();
    let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    if n.is_empty() {
        return Shape::Empty;
    }
    // A date first: some dates pass the 公費負担者番号 check digit too (20260331 does), and a
    // column of dates must not be taken for numbers.
    if date_value(n).is_some() {
        let separator = n.chars().nth(4).filter(|c| !c.is_ascii_digit());
        let japanese = n.contains('年') || n.starts_with(char::is_alphabetic);
        // A date and a time: a date if the time is a day's first or last in Japan (a date
        // written as a moment), else a moment, as a consent's or an update's time is.
        // (As written or in Japan: `2026-03-31T00:00:00.000Z`, written from a date alone, is
        // 09:00 in Japan.)
        let edge = |time: NaiveTime| time == NaiveTime::MIN || time >= LAST_SECOND;
        return match crate::dates::date_and_time(n) {
            None => Shape::Date { separator, with_time: false, japanese },
            Some((written, offset))
                if edge(written.time()) || edge(crate::dates::japan_time(written, offset).time()) =>
            {
                Shape::Date { separator, with_time: true, japanese }
            }
            Some(_) => Shape::DateTime { separator },
        };
    }
    if let Some((law, kind)) = payer_law(n) {
        return Shape::Payer { law: law.to_owned(), kind: kind.as_str() };
    }
    if digits && n.len() == 7 && is_valid_normalized(NumberKind::Recipient, n) {
        return Shape::Recipient;
    }
    if digits && n.len() == 14 && date_value(&n[..8]).is_some() {
        return Shape::DateTime { separator: None };
    }
    if digits {
        return Shape::Digits(n.len());
    }
    let amount = n.trim_end_matches('円');
    if amount.bytes().any(|b| b.is_ascii_digit()) && amount.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '，')
    {
        return Shape::Amount;
    }
    let rounded = if chars <= 10 { 10 } else { chars.next_power_of_two().max(16) };
    if n.bytes().all(|b| b.is_ascii_alphanumeric()) && n.bytes().any(|b| b.is_ascii_digit()) {
        return Shape::Code(rounded);
    }
    Shape::Text(rounded)
}

#[derive(Default)]
struct PathInfo {
    count: usize,
    known: bool,
    container: bool,
    /// The context its children are looked up in (known containers and wrappers).
    ctx: Option<Ctx>,
    parent: Option<String>,
    name: String,
    /// The field a known leaf is (its canonical name), for the proposals of known certificates.
    field: Option<&'static str>,
    shapes: BTreeMap<Shape, usize>,
}

/// The leaf children of one occurrence of a container: (name, value). Held in memory only.
type Occurrence = Vec<(String, String)>;

#[derive(Default)]
struct Walk {
    paths: HashMap<String, PathInfo>,
    order: Vec<String>,
    /// Per container path, its occurrences (unknown containers only).
    occurrences: HashMap<String, Vec<Occurrence>>,
    /// Bytes held for paths and kept values, across every file: bounded by the kept-bytes
    /// limit. A path is held up to four times (key, order, its children's parent, a container's
    /// occurrences) and is as long as every name above it: a file of 250 KB of deep long names
    /// and short leaves made 65 MB of report and 280 MB of memory, a 1 MB one gigabytes.
    kept: usize,
}

/// What one kept value costs beyond its bytes (its two `String`s in a list).
const KEPT_OVERHEAD: usize = 96;

/// How many groups deep inside a certificate a leaf is still read as the certificate's
/// (`Period/Start/Date`: two). A deeper leaf is a part of something else (a list's item, a
/// document of its own), and each level copies the leaves below it once more.
const MAX_GROUP_DEPTH: usize = 2;

/// What one new path costs beyond its bytes (its `PathInfo` and hash table entries).
const PATH_OVERHEAD: usize = 256;

/// Occurrences of an unknown container whose values are kept, across a survey: proposals read
/// shapes and which of two dates comes first, and the first 4,096 certificates of a kind say
/// that as well as all of them. Without a bound, every face file of a folder added its values
/// to the one kept-bytes budget, and files past about 20,000 failed as `limit_exceeded`.
const SAMPLED_OCCURRENCES: usize = 4096;

struct Frame {
    path: String,
    ctx: Option<Ctx>,
    known: bool,
    text: String,
    has_child: bool,
    has_attributes: bool,
    /// This occurrence is among the first [`SAMPLED_OCCURRENCES`] of its path: an unknown
    /// container's values are kept.
    sampled: bool,
    /// A wrapper of the layout in use: it may group fields (`Group/name`).
    wrapper: bool,
    /// Leaf children of this occurrence (kept for sampled unknown containers).
    leaves: Occurrence,
}

impl Frame {
    /// Whether the values of this occurrence's leaves are kept for proposals: an unknown
    /// container (a certificate under a name of its own?) or a certificate kohi knows (a field
    /// under a name of its own?), among the first occurrences of its path.
    fn keeps_values(&self) -> bool {
        self.sampled && (!self.known || self.ctx == Some(Ctx::Subsidy))
    }

    /// What a child's `name` (or `@name`) means under `ctx` here: in a wrapper, by the
    /// wrapper's name first, as a parse looks it up.
    fn lookup(&self, layout: &Layout, ctx: Ctx, name: &str) -> Option<Node> {
        match self.wrapper {
            true => layout.lookup_in(ctx, self.path.rsplit('/').next().unwrap_or(&self.path), name),
            false => layout.lookup(ctx, name),
        }
    }
}

impl Walk {
    fn document(&mut self, bytes: &[u8], options: &ParseOptions) -> Result<()> {
        if bytes.len() > options.max_input_bytes() {
            return Err(Error::InputTooLarge { size: bytes.len(), limit: options.max_input_bytes() });
        }
        let xml;
        let text: &str = if crate::json_form::looks_like_json(bytes) {
            let json = std::str::from_utf8(bytes)
                .map_err(|e| Error::InvalidEncoding { encoding: "UTF-8", offset: e.valid_up_to() })?;
            xml = crate::json_form::to_xml(json, options.max_input_bytes(), options.max_depth())?;
            &xml
        } else {
            let decoded = crate::decode::decode(bytes)?;
            xml = decoded.text.into_owned();
            &xml
        };
        // Walked apart and added only when the whole document was read: a file that fails
        // counts by its code alone, and what it would have held is given back.
        let mut this = Walk { kept: self.kept, ..Walk::default() };
        this.walk(text, options, &self.paths)?;
        self.add(this);
        Ok(())
    }

    /// Adds a document's walk (its paths in the order first met).
    fn add(&mut self, walk: Walk) {
        let Walk { mut paths, order, occurrences, kept } = walk;
        for path in order {
            let Some(info) = paths.remove(&path) else { continue };
            match self.paths.get_mut(&path) {
                Some(known) => {
                    known.count += info.count;
                    known.container |= info.container;
                    for (shape, n) in info.shapes {
                        *known.shapes.entry(shape).or_insert(0) += n;
                    }
                }
                None => {
                    self.order.push(path.clone());
                    self.paths.insert(path, info);
                }
            }
        }
        for (path, mut list) in occurrences {
            self.occurrences.entry(path).or_default().append(&mut list);
        }
        self.kept = kept;
    }

    /// Walks one document; `earlier`: the paths of the documents before it (not counted again).
    fn walk(&mut self, text: &str, options: &ParseOptions, earlier: &HashMap<String, PathInfo>) -> Result<()> {
        let (layout, max_depth, limits) = (options.layout(), options.max_depth(), options.limits());
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Frame> = Vec::new();
        let mut elements = 0usize;
        // The same limits as a parse, named with the place they were passed.
        let exceeded = |reader: &Reader<&[u8]>, limit: Limit| {
            let (line, column) = crate::decode::line_column(text, reader.buffer_position() as usize);
            Error::LimitExceeded { limit, max: limits.get(limit), line, column }
        };
        let malformed = |reader: &Reader<&[u8]>, e: &quick_xml::Error| {
            let (line, column) = crate::decode::line_column(text, reader.error_position() as usize);
            crate::parse::malformed_reason(e, line, column)
        };
        // What a parse refuses the file for, and the survey too: a file it reads as sound is one
        // a parse reads (a CSV file, one cut short, or a second root were surveyed as sound).
        let refused = |reader: &Reader<&[u8]>, reason| {
            crate::parse::malformed_at(crate::decode::line_column(text, reader.buffer_position() as usize), reason)
        };
        // Text goes to the element it is in; outside the root, only white space may stand.
        let text_in = |stack: &mut Vec<Frame>, reader: &Reader<&[u8]>, content: &str| {
            if stack.is_empty() && !crate::parse::is_blank(content) {
                return Err(refused(reader, MalformedReason::ContentOutsideRoot));
            }
            add_text(stack, content, limits.text_bytes).map_err(|l| exceeded(reader, l))
        };
        let mut root_seen = false;
        loop {
            let event = reader.read_event().map_err(|e| malformed(&reader, &e))?;
            match event {
                Event::Start(_) | Event::Empty(_) if stack.is_empty() && root_seen => {
                    return Err(refused(&reader, MalformedReason::ContentOutsideRoot));
                }
                Event::Start(ref e) | Event::Empty(ref e) => {
                    root_seen = true;
                    if stack.len() >= max_depth {
                        return Err(Error::NestingTooDeep { line: 0, column: 0, limit: max_depth });
                    }
                    elements += 1;
                    if elements > limits.elements {
                        return Err(exceeded(&reader, Limit::Elements));
                    }
                    if e.name().as_ref().len() > limits.name_bytes {
                        return Err(exceeded(&reader, Limit::NameBytes));
                    }
                    let name = e.name().as_ref().to_owned();
                    let mut wrapper = false;
                    let (ctx, known, parent, field) = match stack.last_mut() {
                        // A root kohi does not know (a document of PMH data of its own) is read as
                        // an `XmlMsg` would be, so what it holds can still be recognised.
                        None => match layout.lookup(Ctx::Document, &name) {
                            Some(Node::Container(c)) => (Some(c), true, None, None),
                            _ => (Some(Ctx::XmlMsg), false, None, None),
                        },
                        Some(parent) => {
                            parent.has_child = true;
                            let found = parent.ctx.and_then(|c| parent.lookup(layout, c, &name).map(|node| (c, node)));
                            let (ctx, known, field) = match found {
                                Some((_, Node::Container(c))) => (Some(c), true, None),
                                Some((_, Node::Wrapper)) => (parent.ctx, true, None),
                                Some((c, leaf @ Node::Leaf(_))) => (None, true, layout.canonical_name(c, leaf)),
                                None => (None, false, None),
                            };
                            wrapper = matches!(found, Some((_, Node::Wrapper)));
                            (ctx, known, Some(parent.path.clone()), field)
                        }
                    };
                    let path = match &parent {
                        Some(p) => format!("{p}/{name}"),
                        None => name.clone(),
                    };
                    if !self.paths.contains_key(&path) && !earlier.contains_key(&path) {
                        // Key, order, its children's parent and (a container's) its occurrences;
                        // its name; its entry in the table.
                        let cost = 4 * path.len() + name.len() + PATH_OVERHEAD;
                        self.keep(cost, limits.kept_bytes).map_err(|l| exceeded(&reader, l))?;
                    }
                    let info = self.paths.entry(path.clone()).or_insert_with(|| {
                        self.order.push(path.clone());
                        PathInfo { known, ctx, parent, name, field, ..PathInfo::default() }
                    });
                    info.count += 1;
                    let sampled = earlier.get(&path).map_or(0, |e| e.count) + info.count <= SAMPLED_OCCURRENCES;
                    let text_so_far = String::new();
                    stack.push(Frame {
                        path,
                        ctx,
                        known,
                        text: text_so_far,
                        has_child: false,
                        has_attributes: false,
                        sampled,
                        wrapper,
                        leaves: Vec::new(),
                    });
                    if e.len() > e.name().as_ref().len() && !e.attributes_raw().trim_ascii().is_empty() {
                        let here = || crate::decode::line_column(text, reader.buffer_position() as usize);
                        let frame = stack.last_mut().expect("pushed");
                        self.attributes(e, frame, layout, earlier, &limits, here)?;
                    }
                    if matches!(event, Event::Empty(_)) {
                        self.close(&mut stack, limits.kept_bytes).map_err(|l| exceeded(&reader, l))?;
                    }
                }
                Event::End(_) => self.close(&mut stack, limits.kept_bytes).map_err(|l| exceeded(&reader, l))?,
                Event::Text(t) => text_in(&mut stack, &reader, &t.xml10_content())?,
                Event::CData(t) => text_in(&mut stack, &reader, &t.xml10_content())?,
                Event::GeneralRef(r) => {
                    let resolved = crate::parse::resolve_reference(&r)
                        .ok_or_else(|| refused(&reader, MalformedReason::InvalidReference))?;
                    text_in(&mut stack, &reader, &resolved)?;
                }
                Event::DocType(_) => return Err(Error::DoctypeNotAllowed { line: 0, column: 0 }),
                Event::Eof if !stack.is_empty() => return Err(refused(&reader, MalformedReason::UnexpectedEof)),
                Event::Eof if !root_seen => return Err(refused(&reader, MalformedReason::NoRootElement)),
                Event::Eof => return Ok(()),
                _ => {}
            }
        }
    }

    /// An element's attributes, each counted as `…/@name` (the path a parse keeps it under),
    /// with the shape of its value, and, in a container whose values are kept, kept as one of its
    /// leaves: a layout file names an attribute `@name` (in `rename`), so it is proposed as a
    /// child element would be. Malformed ones fail the file as they fail a parse.
    #[cold]
    #[inline(never)]
    fn attributes(
        &mut self,
        e: &BytesStart<'_>,
        frame: &mut Frame,
        layout: &Layout,
        earlier: &HashMap<String, PathInfo>,
        limits: &Limits,
        here: impl Fn() -> (usize, usize),
    ) -> Result<()> {
        let exceeded = |limit: Limit| {
            let (line, column) = here();
            Error::LimitExceeded { limit, max: limits.get(limit), line, column }
        };
        for attr in attribute_values(e, &here) {
            let (key, value) = attr?;
            frame.has_attributes = true;
            if key.len() > limits.name_bytes {
                return Err(exceeded(Limit::NameBytes));
            }
            if value.len() > limits.text_bytes {
                return Err(exceeded(Limit::TextBytes));
            }
            let name = format!("@{key}");
            let attr_path = format!("{}/{name}", frame.path);
            if !self.paths.contains_key(&attr_path) && !earlier.contains_key(&attr_path) {
                // Key and order; its name; its entry in the table.
                let cost = 2 * attr_path.len() + name.len() + PATH_OVERHEAD;
                self.keep(cost, limits.kept_bytes).map_err(exceeded)?;
            }
            let (known, field) =
                match frame.ctx.and_then(|ctx| frame.lookup(layout, ctx, &name).map(|node| (ctx, node))) {
                    Some((ctx, node)) => (true, layout.canonical_name(ctx, node)),
                    None => (false, None),
                };
            let info = self.paths.entry(attr_path.clone()).or_insert_with(|| {
                self.order.push(attr_path);
                PathInfo { known, parent: Some(frame.path.clone()), name: name.clone(), field, ..PathInfo::default() }
            });
            info.count += 1;
            *info.shapes.entry(shape(&value)).or_insert(0) += 1;
            if frame.keeps_values() {
                self.keep(name.len() + value.len() + KEPT_OVERHEAD, limits.kept_bytes).map_err(exceeded)?;
                frame.leaves.push((name, value.into_owned()));
            }
        }
        Ok(())
    }

    fn close(&mut self, stack: &mut Vec<Frame>, max_kept: usize) -> std::result::Result<(), Limit> {
        let Some(frame) = stack.pop() else { return Ok(()) };
        let info = self.paths.get_mut(&frame.path).expect("opened");
        // An element of attributes alone (`<Certificate Payer="…"/>`) holds its values as a
        // container holds its leaves.
        let attributes_alone = frame.has_attributes && frame.text.trim().is_empty();
        if frame.has_child || attributes_alone {
            info.container = true;
            if frame.keeps_values() {
                // A group inside a certificate (`<Period><From>…</From><To>…</To></Period>`): its
                // leaves are the certificate's too, as `Period/From`, and those of a group inside
                // it as `Period/Start/Date` (up to `MAX_GROUP_DEPTH` groups), so a field there is
                // proposed (with the groups as wrappers). One level only, the period of
                // `<Period><Start><Date>` and the cap of `<Copayment><Monthly><Amount>` went
                // unproposed.
                let group = info.name.clone();
                // A certificate (a 公費 number with a date: its period) is not lifted into its
                // list: a list's copies would only cost memory. A group holding a 公費 number and
                // no date is a part of a certificate (`<Futansha><Bango>…</Bango><Meisho>…`, or
                // both numbers: `<Bangou><FutanshaBango>…<JukyushaBango>…`), lifted for
                // `entries` to tell (a list of undated certificates stays one: each holds nothing
                // besides its groups).
                let shapes: Vec<Shape> = frame.leaves.iter().map(|(_, value)| shape(value)).collect();
                let certificate = shapes.iter().any(is_payer) && shapes.iter().any(|s| matches!(s, Shape::Date { .. }));
                if let Some(parent) = stack.last_mut().filter(|parent| parent.keeps_values() && !certificate) {
                    // Its attributes too (`<Kikan from="…" to="…"/>`: a layout names them
                    // `@from` inside the wrapper); they were left behind, and the period with them.
                    let liftable = frame.leaves.iter().filter(|(leaf, _)| leaf.matches('/').count() < MAX_GROUP_DEPTH);
                    for (leaf, value) in liftable {
                        let grouped = format!("{group}/{leaf}");
                        self.keep(grouped.len() + value.len() + KEPT_OVERHEAD, max_kept)?;
                        parent.leaves.push((grouped, value.clone()));
                    }
                }
                self.occurrences.entry(frame.path.clone()).or_default().push(frame.leaves);
            }
        } else {
            *info.shapes.entry(shape(&frame.text)).or_insert(0) += 1;
            // Values are kept only where proposals read them (see `Frame::keeps_values`).
            if let Some(parent) = stack.last_mut().filter(|parent| parent.keeps_values()) {
                let leaf = (info.name.clone(), frame.text);
                self.keep(leaf.0.len() + leaf.1.len() + KEPT_OVERHEAD, max_kept)?;
                parent.leaves.push(leaf);
            }
        }
        Ok(())
    }

    /// Counts `bytes` more held (and their overhead) against the kept-bytes limit.
    fn keep(&mut self, bytes: usize, max_kept: usize) -> std::result::Result<(), Limit> {
        self.kept = self.kept.saturating_add(bytes);
        if self.kept > max_kept { Err(Limit::KeptBytes) } else { Ok(()) }
    }
}

/// Adds text to the open element, within the text limit.
fn add_text(stack: &mut [Frame], text: &str, max: usize) -> std::result::Result<(), Limit> {
    if let Some(frame) = stack.last_mut() {
        if frame.text.len() + text.len() > max {
            return Err(Limit::TextBytes);
        }
        frame.text.push_str(text);
    }
    Ok(())
}

/// The canonical element names kohi maps PMH data from.
mod field {
    pub use crate::layout::names::{
        CERTIFICATION_NAME as NAME, INCOME_SEGMENT as INCOME, MAX_COPAYMENT as CAP, SUBSIDY as ENTRY,
        SUBSIDY_FROM as FROM, SUBSIDY_LIST as LIST, SUBSIDY_PAYER as PAYER, SUBSIDY_RECIPIENT as RECIPIENT,
        SUBSIDY_TO as TO,
    };
}

/// Values of one child name across the occurrences of an entry: (occurrence, value), in the
/// order of the occurrences, only where the child is (a list of every occurrence for every
/// child would grow with their product).
struct Child<'a> {
    name: &'a str,
    values: Vec<(usize, &'a str)>,
    /// The same field written the other way in other certificates (`@Payer` beside `Payer`):
    /// its values are counted with these, and a proposal names both. `name` is the element
    /// when there is one (a cap is read from an element only).
    other: Option<&'a str>,
}

impl Child<'_> {
    fn present(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|&(_, v)| v).filter(|v| !normalize(v).trim().is_empty())
    }

    /// The value in occurrence `at`, if the child is there.
    fn at(&self, at: usize) -> Option<&str> {
        self.values.binary_search_by_key(&at, |&(i, _)| i).ok().map(|i| self.values[i].1)
    }

    fn count(&self, test: impl Fn(&Shape) -> bool) -> (usize, usize) {
        let shapes: Vec<Shape> = self.present().map(shape).collect();
        (shapes.iter().filter(|s| test(s)).count(), shapes.len())
    }
}

/// What a field's name may say, in the words files use: English, romaji and Japanese (a
/// municipality's system may name its elements in Japanese). Matched anywhere in the name, ASCII
/// case aside. A hint only chooses among values of the field's shape, or decides a tie.
mod hint {
    pub(super) const RECIPIENT: &[&str] = &["recip", "jukyu", "benefic", "受給者番号", "受給番号"];
    pub(super) const START: &[&str] = &["start", "from", "begin", "kaishi", "開始", "始期", "から"];
    pub(super) const END: &[&str] = &["end", "to", "expir", "shuryo", "until", "終了", "終期", "満了", "期限", "まで"];
    pub(super) const ISSUE: &[&str] = &["issue", "kofu", "hakko", "交付", "発行", "certificatedate"];
    /// The holder's own data, which a certificate may carry beside its fields (the registration
    /// API's `basicFiveInfo`: name, kana, address, birthdate, sex), in the leaf's or its group's
    /// name.
    #[rustfmt::skip]
    pub(super) const PERSONAL: &[&str] = &[
        "shimei", "氏名", "名前", "kana", "カナ", "address", "jusho", "住所", "sex", "seibetsu", "性別",
        "birth", "seinengappi", "tanjobi", "生年月日", "誕生", "basicfive", "基本5", "基本５", "mynumber",
        "個人番号", "phone", "電話",
    ];
    pub(super) const AMOUNT: &[&str] =
        &["amount", "copay", "limit", "max", "cap", "gaku", "jogen", "futan", "上限", "限度", "負担額", "金額"];
    pub(super) const INCOME: &[&str] = &["income", "shotoku", "segment", "kubun", "class", "所得", "区分", "階層"];
    pub(super) const NAME: &[&str] = &["name", "mei", "certif", "名称", "証名"];
}

/// Whether a certificate's child is its holder's own data (see `hint::PERSONAL`), by its name or
/// its group's; a leaf named `name` in a group is a person's name (`basicFiveInfo/name`), where a
/// certificate's own `Name` may be its title.
fn personal(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    hint::PERSONAL.iter().any(|h| lower.contains(h)) || lower.rsplit_once('/').is_some_and(|(_, leaf)| leaf == "name")
}

/// A group's leaf by its own name (`Period/From` as `From`); any other name as it is.
fn leaf(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// A leaf by its group and its own name (`Period/Start/Date` as `Start/Date`), as a layout file
/// names a leaf in a group: the group a wrapper, and the wrappers above it too.
fn in_its_group(name: &str) -> &str {
    match name.rsplitn(3, '/').nth(2) {
        Some(above) => &name[above.len() + 1..],
        None => name,
    }
}

/// Whether a name (a group's leaf by its own name) says one of `hints`.
fn hinted(name: &str, hints: &[&str]) -> bool {
    let lower = leaf(name).to_ascii_lowercase();
    hints.iter().any(|h| lower.contains(h))
}

/// Whether a leaf, or the group it is named by (`End` of `Period/End/Date`), says one of
/// `hints`: a date two groups down has a leaf name that says nothing (`Date`), and its group says
/// which date it is (`Issue/Date` was taken for the start of the period).
fn hinted_or_its_group(name: &str, hints: &[&str]) -> bool {
    hinted(name, hints) || name.rsplit_once('/').is_some_and(|(group, _)| hinted(group, hints))
}

/// Whether a name says one of `hints`, or its group's name does with it (`Jukyusha/Bango`,
/// `受給者/番号` as `受給者番号`): for a number told apart by its group alone. Not for every hint:
/// a payer's group (`Futansha`) holds `futan`, a hint of an amount.
fn hinted_with_group(name: &str, hints: &[&str]) -> bool {
    let joined = name.replace('/', "").to_ascii_lowercase();
    hinted(name, hints) || hints.iter().any(|h| joined.contains(h))
}

/// The proposals and the layout file they make: one set of proposals for each kind of
/// certificate found (the best first), one layout file reading them all.
fn propose(walk: &Walk) -> (Vec<Proposal>, Option<serde_json::Value>) {
    let entries = entries(walk);
    // Certificates kohi knows, for their fields under names of their own.
    let known =
        walk.order.iter().filter(|path| known_certificate(walk, path) && walk.occurrences.contains_key(path.as_str()));
    let unknown = entries.iter().enumerate().map(|(i, path)| (*path, propose_entry(walk, path, i > 0)));
    let mut proposals: Vec<Proposal> = Vec::new();
    for (certificate, list) in unknown.chain(known.map(|path| (path.as_str(), propose_fields(walk, path)))) {
        for mut p in list {
            // Kinds of certificate in one list propose that list once.
            if proposals.iter().any(|q| (q.field, &q.element, &q.path) == (p.field, &p.element, &p.path)) {
                continue;
            }
            // A layout file's names mean one field wherever a certificate uses them: a leaf of a
            // group is told apart by the group's name, anything else is left out.
            let taken = |proposals: &[Proposal], name: &str| {
                proposals.iter().find(|q| q.element == name && q.field != p.field).map(|q| q.field)
            };
            if let Some(other) = taken(&proposals, &p.element) {
                let grouped = p.path.strip_prefix(certificate).and_then(|rest| rest.strip_prefix('/'));
                match grouped.map(in_its_group).filter(|name| name.contains('/') && taken(&proposals, name).is_none()) {
                    Some(name) => p.element = name.to_owned(),
                    None => {
                        p.confidence = Confidence::Low;
                        p.evidence =
                            format!("{}; left out of the layout: {} is {} already", p.evidence, p.element, other);
                    }
                }
            }
            proposals.push(p);
        }
    }
    if proposals.is_empty() {
        return (proposals, None);
    }
    let layout = layout_file(walk, &entries, &proposals);
    (proposals, Some(layout))
}

/// Whether `path` is a certificate kohi knows: read in a certificate's context, not a wrapper
/// inside one (`Futansha` of `Futansha/Bango`, whose leaves are the certificate's: taken for a
/// certificate of its own, its payer's name was proposed as the certificate's name).
fn known_certificate(walk: &Walk, path: &str) -> bool {
    let info = &walk.paths[path];
    let parent_ctx = info.parent.as_deref().and_then(|p| walk.paths.get(p)).and_then(|p| p.ctx);
    info.known && info.ctx == Some(Ctx::Subsidy) && parent_ctx != Some(Ctx::Subsidy)
}

/// The kinds of certificate proposed at most: real results know a handful (national, municipal);
/// without a bound, thousands of made-up kinds would be compared with each other.
const MAX_KINDS: usize = 16;

/// Whether a value is a 公費負担者番号 (not an insurer's number).
fn is_payer(s: &Shape) -> bool {
    matches!(s, Shape::Payer { kind, .. } if *kind != "insurance")
}

/// The kinds of certificate: the unknown containers whose leaves hold 公費負担者番号-shaped
/// values, the most first (then in the order first met). Past the first, a container must also
/// hold a date (a certificate has its validity), and none sits inside another: a container of
/// numbers that is not a certificate would otherwise be read as one.
fn entries(walk: &Walk) -> Vec<&str> {
    // Its own leaves' numbers; a group's (see `Walk::close`) only as the one 公費 number of an
    // occurrence that holds something of its own besides that group (not the holder's data): a certificate with its payer in a
    // group, not a list of certificates without dates (nor a person's element around one).
    let payers = |path: &str| {
        let of_occurrence = |occurrence: &Occurrence| {
            let own = occurrence.iter().filter(|(name, v)| !name.contains('/') && is_payer(&shape(v))).count();
            let mut grouped = occurrence.iter().filter(|(name, v)| name.contains('/') && is_payer(&shape(v)));
            let payer_group = match (grouped.next(), grouped.next()) {
                (Some((name, _)), None) => name.split_once('/').map(|(group, _)| group),
                _ => None,
            };
            // Something of the certificate's own besides the group: not the holder's data (a
            // person's element around an undated certificate is not a certificate).
            let besides = |group: &str| {
                occurrence
                    .iter()
                    .any(|(name, _)| name.split_once('/').is_none_or(|(other, _)| other != group) && !personal(name))
            };
            own + usize::from(own == 0 && payer_group.is_some_and(besides))
        };
        walk.occurrences[path].iter().map(of_occurrence).sum::<usize>()
    };
    let has_date =
        |path: &str| walk.occurrences[path].iter().flatten().any(|(_, v)| matches!(shape(v), Shape::Date { .. }));
    let mut candidates: Vec<(usize, usize, &str)> = walk
        .order
        .iter()
        .enumerate()
        .filter(|(_, path)| walk.occurrences.contains_key(path.as_str()) && !walk.paths[path.as_str()].known)
        .map(|(seen, path)| (payers(path), seen, path.as_str()))
        .filter(|(payers, _, _)| *payers > 0)
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let nested = |a: &str, b: &str| {
        a.strip_prefix(b).is_some_and(|r| r.starts_with('/')) || b.strip_prefix(a).is_some_and(|r| r.starts_with('/'))
    };
    let mut chosen: Vec<&str> = Vec::new();
    for (_, _, path) in candidates {
        if chosen.len() == MAX_KINDS {
            break;
        }
        if chosen.is_empty() || (has_date(path) && !chosen.iter().any(|c| nested(c, path))) {
            chosen.push(path);
        }
    }
    chosen
}

/// The proposals for one kind of certificate (`another`: not the first kind found).
fn propose_entry(walk: &Walk, entry_path: &str, another: bool) -> Vec<Proposal> {
    let mut proposals = Vec::new();
    let total = walk.occurrences[entry_path].len();
    proposals_entry(&mut proposals, walk, entry_path, &walk.paths[entry_path], total, another);
    proposals.extend(propose_fields(walk, entry_path));
    proposals
}

/// The fields of one kind of certificate, from its children kohi does not know. A known child
/// is never proposed, nor is a field a known child gives in every certificate (an unknown child
/// of the same shape is something else then).
fn propose_fields(walk: &Walk, entry_path: &str) -> Vec<Proposal> {
    let occurrences = &walk.occurrences[entry_path];

    // Children by name, in first-seen order, with their (first) value in each occurrence: one
    // pass over what is kept.
    let mut children: Vec<Child<'_>> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    // Groups that come more than once in a certificate: a list of items (the registration API's
    // `certificationDetail[]`), not a group of the certificate's fields.
    let mut repeated: Vec<&str> = Vec::new();
    for (i, occ) in occurrences.iter().enumerate() {
        for (name, value) in occ {
            // An attribute and an element of one name are one field written two ways, in a
            // group too (`Period/@From`, `Period/From`).
            let field = match name.rsplit_once('/') {
                Some((group, leaf)) => format!("{group}/{}", leaf.strip_prefix('@').unwrap_or(leaf)),
                None => name.strip_prefix('@').unwrap_or(name).to_owned(),
            };
            let child = *by_name.entry(field).or_insert_with(|| {
                children.push(Child { name, values: Vec::new(), other: None });
                children.len() - 1
            });
            let child_ref = &mut children[child];
            if child_ref.name != name.as_str() && child_ref.other.is_none() {
                child_ref.other = Some(name);
                if leaf(child_ref.name).starts_with('@') {
                    std::mem::swap(&mut child_ref.name, child_ref.other.as_mut().expect("just set"));
                }
            }
            let values = &mut children[child].values;
            if values.last().is_none_or(|&(last, _)| last != i) {
                values.push((i, value.as_str()));
            } else if let Some((group, _)) = name.rsplit_once('/')
                && !repeated.contains(&group)
            {
                repeated.push(group);
            }
        }
    }
    let total = occurrences.len();
    let known = |c: &Child<'_>| walk.paths.get(&format!("{entry_path}/{}", c.name)).filter(|p| p.known);
    let mut taken: Vec<String> = children.iter().filter(|c| known(c).is_some()).map(|c| c.name.to_owned()).collect();
    // A layout names a leaf by its group at most (`Start/Date`): two leaves of one group name
    // and name in different places (`Period/Start/Date`, `Notice/Start/Date`) cannot be told
    // apart, and neither is proposed.
    let mut by_group: HashMap<&str, usize> = HashMap::new();
    for c in &children {
        *by_group.entry(in_its_group(c.name)).or_insert(0) += 1;
    }
    taken.extend(children.iter().filter(|c| by_group[in_its_group(c.name)] > 1).map(|c| c.name.to_owned()));
    let covered: Vec<&str> =
        children.iter().filter(|c| c.values.len() == total).filter_map(|c| known(c)?.field).collect();
    let mut proposals = Vec::new();
    // A leaf in a group named by its group too: where another child has its name, or where its
    // name is one kohi gives a certificate's field already (`Income/Segment` as `Segment` is
    // refused: the 区分 is `Segment`).
    let shares_its_name = |name: &str| {
        name.contains('/')
            && (children.iter().any(|other| other.name != name && leaf(other.name) == leaf(name))
                || TABLE.iter().any(|&(ctx, known, _, _)| ctx == Ctx::Subsidy && known == leaf(name)))
    };
    let mut propose_field =
        |field: &'static str, child: &Child<'_>, confidence: Confidence, evidence: String, taken: &mut Vec<String>| {
            if proposals.iter().any(|p: &Proposal| p.field == field) {
                return; // a field once (only a match by name can come after another)
            }
            taken.push(child.name.to_owned());
            if covered.contains(&field) {
                return;
            }
            // The other spelling too, where a layout may name it.
            for name in std::iter::once(child.name).chain(child.other) {
                proposals.push(Proposal {
                    field,
                    // A leaf of a group by its own name, the group a wrapper (`layout_file`); by
                    // the group's and its own where another child has that name too
                    // (`Futansha/Bango`, `Jukyusha/Bango`): a layout's name means one field.
                    element: if shares_its_name(name) { in_its_group(name).to_owned() } else { leaf(name).to_owned() },
                    path: format!("{entry_path}/{name}"),
                    confidence,
                    evidence: evidence.clone(),
                });
            }
        };

    // 公費負担者番号: the most check-digit-valid 公費 numbers.
    let free = |taken: &[String], c: &Child<'_>| !taken.iter().any(|t| t == c.name);
    let best = |taken: &[String], score: &dyn Fn(&Child<'_>) -> (usize, usize)| {
        children
            .iter()
            .filter(|c| free(taken, c))
            .map(|c| (score(c), c))
            .filter(|((hits, _), _)| *hits > 0)
            .max_by_key(|((hits, _), _)| *hits)
    };
    // The payer: the one proposed, or the one the layout in use reads already (a certificate
    // kohi knows).
    let mut payer_name = children.iter().find(|c| known(c).and_then(|p| p.field) == Some(field::PAYER)).map(|c| c.name);
    if let Some(((hits, of), c)) = best(&taken, &|c| c.count(is_payer)) {
        payer_name = Some(c.name);
        let confidence = if hits == of { Confidence::High } else { Confidence::Medium };
        propose_field(
            field::PAYER,
            c,
            confidence,
            format!("8 digits, check digit ok, 公費 法別 in {hits} of {of} values"),
            &mut taken,
        );
    }
    // The rest of a group holding the payer is about the payer (its name, a code), none of the
    // certificate's fields: the payer's name was proposed as the income segment, and, once a
    // layout read the payer, as the certificate's name. But for the 受給者番号 beside it
    // (`<Bangou><FutanshaBango>…<JukyushaBango>…`): 7 digits with the check digit, or named so.
    let recipient_beside = |c: &Child<'_>| {
        let (hits, of) = c.count(|s| matches!(s, Shape::Recipient));
        (hits > 0 && hits == of) || hinted(c.name, hint::RECIPIENT)
    };
    if let Some((group, _)) = payer_name.and_then(|p| p.rsplit_once('/')) {
        taken.extend(
            children
                .iter()
                .filter(|o| o.name.rsplit_once('/').is_some_and(|(g, _)| g == group) && !recipient_beside(o))
                .map(|o| o.name.to_owned()),
        );
    }
    // The holder's own data is none of the fields below (a text of it was proposed as the
    // certificate's name or income segment, and a date as the start of its period), nor is an
    // item of a list in the certificate (its first item's name was the income segment).
    let in_repeated = |c: &Child<'_>| {
        repeated.iter().any(|group| c.name.strip_prefix(group).is_some_and(|rest| rest.starts_with('/')))
    };
    taken.extend(
        children
            .iter()
            .filter(|c| (personal(c.name) || in_repeated(c)) && c.count(is_payer).0 == 0)
            .map(|c| c.name.to_owned()),
    );
    // 受給者番号: 7 digits with a valid check digit, else a short code next to the payer.
    if let Some(((hits, of), c)) = best(&taken, &|c| c.count(|s| matches!(s, Shape::Recipient))) {
        let confidence = if hits == of { Confidence::High } else { Confidence::Medium };
        propose_field(
            field::RECIPIENT,
            c,
            confidence,
            format!("7 digits, check digit ok in {hits} of {of} values (a local 受給者番号 may be free text)"),
            &mut taken,
        );
    } else if let Some(((hits, of), c, named)) = local_recipient(&children, &taken, payer_name) {
        let confidence = if named { Confidence::Medium } else { Confidence::Low };
        propose_field(
            field::RECIPIENT,
            c,
            confidence,
            format!("codes, digits or numbered texts in {hits} of {of} values, no national check digit"),
            &mut taken,
        );
    }
    // Validity: the dates; of two, the one earlier in each certificate is *from*.
    let dates: Vec<&Child<'_>> = children
        .iter()
        .filter(|c| free(&taken, c))
        .filter(|c| {
            let (hits, of) = c.count(|s| matches!(s, Shape::Date { .. }));
            hits > 0 && hits == of
        })
        .collect();
    match dates.as_slice() {
        [] => {}
        [only] => {
            // (`to` is a weak hint: `…TokuteiKaishi…` holds it too.)
            let says = |hints: &[&str]| hinted_or_its_group(only.name, hints);
            let end = says(hint::END) && !says(hint::START);
            let field = if end { field::TO } else { field::FROM };
            let child = *only;
            propose_field(field, child, Confidence::Low, "the only date of the entry".into(), &mut taken);
        }
        [a, b] => {
            let (mut a_first, mut b_first) = (0, 0);
            for (x, y) in a.values.iter().filter_map(|&(i, x)| Some((x, b.at(i)?))) {
                if let (Some(x), Some(y)) = (date_value(normalize(x).trim()), date_value(normalize(y).trim())) {
                    if x < y {
                        a_first += 1;
                    } else if y < x {
                        b_first += 1;
                    }
                }
            }
            let (from, to, earlier, later) =
                if a_first >= b_first { (*a, *b, a_first, b_first) } else { (*b, *a, b_first, a_first) };
            let confidence = if later == 0 && earlier > 0 { Confidence::High } else { Confidence::Low };
            let evidence = format!("dates; the earlier of the two in {earlier} of {total} certificates");
            propose_field(field::FROM, from, confidence, evidence.clone(), &mut taken);
            propose_field(field::TO, to, confidence, evidence.replace("earlier", "later"), &mut taken);
        }
        several => {
            let validity = Validity::of(several, total);
            propose_field(field::FROM, validity.from, validity.confidence, validity.from_evidence, &mut taken);
            propose_field(field::TO, validity.to, validity.confidence, validity.to_evidence, &mut taken);
        }
    }
    // 負担上限額: amounts, or plain digits under a name that says so. A group of such amounts
    // (monthly, inpatient…) is the cap itself: kohi keeps each of its children as an item.
    let amounts = |c: &Child<'_>| {
        let (amounts, of) = c.count(|s| matches!(s, Shape::Amount | Shape::Digits(1..=7)));
        amounts > 0 && amounts == of
    };
    let named_amount = |c: &Child<'_>| hinted(c.name, hint::AMOUNT) || c.count(|s| matches!(s, Shape::Amount)).0 > 0;
    let mut groups: Vec<&str> = Vec::new();
    for c in children.iter().filter(|c| free(&taken, c)) {
        if let Some((group, _)) = c.name.split_once('/')
            && !groups.contains(&group)
        {
            groups.push(group);
        }
    }
    let in_group = |group: &str, c: &Child<'_>| c.name.strip_prefix(group).is_some_and(|rest| rest.starts_with('/'));
    // Most of its leaves amounts, not all: a cap may carry a note or a kind beside them (each
    // kept as an item too); with one such leaf the cap went unread and the note was proposed as
    // the income segment.
    let cap_group = groups.into_iter().find(|&group| {
        let mut leaves = children.iter().filter(|c| in_group(group, c));
        let (of_amounts, all) = (leaves.clone().filter(|c| amounts(c)).count(), leaves.clone().count());
        of_amounts > 0 && of_amounts * 2 >= all && (hinted(group, hint::AMOUNT) || leaves.any(named_amount))
    });
    if let Some(group) = cap_group {
        let whole = Child { name: group, values: Vec::new(), other: None };
        propose_field(
            field::CAP,
            &whole,
            Confidence::Medium,
            "a group of amounts (digits, 円 or separators) for the most part, named like an amount: each child kept as an item".into(),
            &mut taken,
        );
        taken.extend(children.iter().filter(|c| in_group(group, c)).map(|c| c.name.to_owned()));
    } else if let Some(c) = children.iter().filter(|c| free(&taken, c)).find(|c| amounts(c) && named_amount(c)) {
        propose_field(
            field::CAP,
            c,
            Confidence::Medium,
            "amounts (digits, 円 or separators), named like an amount".into(),
            &mut taken,
        );
    }
    // Certificate name and income segment: the texts; the longest is the name, one named like a
    // segment the income segment. Not a text named as another of kohi's fields
    // (`designatedMedicalInstitutions` was the income segment).
    // Not a text two groups down or more either (`certificationDetail/item/value`: an item of a
    // list of one, a disease's name, was the longest text and so the certificate's name).
    let mut texts: Vec<(&Child<'_>, f64)> = children
        .iter()
        .filter(|c| free(&taken, c) && !named_as_another(c.name, &[field::NAME, field::INCOME]))
        .filter(|c| c.name.matches('/').count() < 2)
        .filter_map(|c| {
            let (hits, of) = c.count(|s| matches!(s, Shape::Text(_)));
            let lengths: Vec<usize> = c.present().map(|v| v.trim().chars().count()).collect();
            (hits > 0 && hits == of).then(|| (c, lengths.iter().sum::<usize>() as f64 / lengths.len().max(1) as f64))
        })
        .collect();
    texts.sort_by(|a, b| b.1.total_cmp(&a.1));
    // Of the texts named like a segment, the one most certificates give (the first met of
    // those: one field under two names across files gave the first file's name).
    let income = texts
        .iter()
        .enumerate()
        .filter(|(_, (c, _))| hinted(c.name, hint::INCOME))
        .fold(None::<(usize, usize)>, |best, (pos, (c, _))| match best {
            Some((_, most)) if most >= c.values.len() => best,
            _ => Some((pos, c.values.len())),
        })
        .map(|(pos, _)| texts.remove(pos));
    // The text named as kohi names it (`certificationName`) before the longest.
    let named_so = texts.iter().position(|(c, _)| loose_name(c.name) == loose_name(field::NAME));
    if let Some(pos) = named_so {
        let named = texts.remove(pos);
        texts.insert(0, named);
    }
    if let Some((c, _)) = texts.first() {
        let confidence = if hinted(c.name, hint::NAME) { Confidence::Medium } else { Confidence::Low };
        let evidence = match named_so {
            Some(_) => format!("a text named as kohi's {} (case and separators aside)", field::NAME),
            None => "the longest text of the entry".into(),
        };
        propose_field(field::NAME, c, confidence, evidence, &mut taken);
    }
    // Only a text named like a segment: any other text (a history key, a note, a payer's name)
    // was proposed as "a shorter text of the entry" and read into every 公費's income segment.
    if let Some((c, _)) = income {
        propose_field(field::INCOME, c, Confidence::Medium, "short text named like a segment".into(), &mut taken)
    }
    // The certificate's other fields, by name alone: a child named as one of kohi's (case,
    // separators, an `is` before and a `Flg` after aside: `isAlwaysReimbursement`,
    // `certification_sub_key`), as the PMH registration API names them.
    // A leaf in a group by the two names together first (`Income/Segment` is the
    // IncomeSegment, not the Segment).
    let by_name = TABLE.iter().filter(|&&(ctx, _, node, _)| ctx == Ctx::Subsidy && matches!(node, Node::Leaf(_)));
    for with_group in [true, false] {
        for &(_, canonical, _, _) in by_name.clone() {
            let wanted = loose_name(canonical);
            let named = |c: &&Child<'_>| match with_group {
                true => c.name.contains('/') && loosen(&in_its_group(c.name).replace('/', "")) == wanted,
                false => loose_name(c.name) == wanted,
            };
            if let Some(c) = children.iter().filter(|c| free(&taken, c)).find(named) {
                let evidence = match with_group {
                    true => format!("named as kohi's {canonical} with its group (case and separators aside)"),
                    false => format!("named as kohi's {canonical} (case and separators aside)"),
                };
                propose_field(canonical, c, Confidence::Medium, evidence, &mut taken);
            }
        }
    }
    proposals
}

/// A name with its case, separators, an `is` before and a `Flg`/`Flag` after taken off, and
/// kohi's `MedicalSubsidy` prefix: `isAlwaysReimbursement` and `AlwaysReimbursementFlg` alike.
fn loose_name(name: &str) -> String {
    loosen(leaf(name))
}

/// `loose_name` of a name as it is.
fn loosen(name: &str) -> String {
    let mut loose: String = name.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    for prefix in ["medicalsubsidy", "is"] {
        if let Some(rest) = loose.strip_prefix(prefix) {
            loose = rest.to_owned();
        }
    }
    for suffix in ["flg", "flag"] {
        if let Some(rest) = loose.strip_suffix(suffix) {
            loose = rest.to_owned();
        }
    }
    loose
}

/// The validity of a certificate with more than two dates (a date of issue, 交付日, beside the
/// period; or one field under two names across the files). Taking the first two dates met, as
/// for two, proposed the date of issue as the start and the start as the end, with high
/// confidence, and which two came first depended on the order of the files.
struct Validity<'c, 'a> {
    from: &'c Child<'a>,
    to: &'c Child<'a>,
    confidence: Confidence,
    from_evidence: String,
    to_evidence: String,
}

impl<'c, 'a> Validity<'c, 'a> {
    /// The end is the date that is the latest of its certificate most often; the start, of the
    /// others, one named like a start and not like a date of issue, else the one that is the
    /// latest before the end most often (a period starts on or after its certificate's issue).
    /// High confidence only when the end is always the latest and the start is told by its name
    /// (or is the one date not named like an issue). Ties go to the date met first.
    fn of(dates: &[&'c Child<'a>], total: usize) -> Self {
        let date = |c: &Child<'_>, i: usize| c.at(i).and_then(|v| date_value(normalize(v).trim()));
        let occurrences = dates.iter().flat_map(|c| c.values.iter().map(|&(i, _)| i)).max().map_or(0, |i| i + 1);
        let in_occurrence = |i: usize| -> Vec<(usize, u32)> {
            dates.iter().enumerate().filter_map(|(k, c)| Some((k, date(c, i)?))).collect()
        };
        // How often each date is the latest of two or more.
        let mut latest = vec![0usize; dates.len()];
        let mut compared = vec![0usize; dates.len()];
        for i in 0..occurrences {
            let present = in_occurrence(i);
            if present.len() < 2 {
                continue;
            }
            let max = present.iter().map(|&(_, d)| d).max().expect("two or more");
            for &(k, d) in &present {
                compared[k] += 1;
                latest[k] += usize::from(d == max);
            }
        }
        // The latest most often; of those, one named like an end (a hint such as `to` is too
        // weak to outrank the dates themselves).
        let to = first_best((0..dates.len()).map(|k| (k, (latest[k], hinted_or_its_group(dates[k].name, hint::END)))))
            .unwrap_or(0);
        // Of the others, how often each is the latest date before the end.
        let mut closest = vec![0usize; dates.len()];
        for i in 0..occurrences {
            let Some(end) = date(dates[to], i) else { continue };
            let earlier = in_occurrence(i).into_iter().filter(|&(k, d)| k != to && d <= end).max_by_key(|&(_, d)| d);
            if let Some((k, _)) = earlier {
                closest[k] += 1;
            }
        }
        let issue = |k: usize| hinted_or_its_group(dates[k].name, hint::ISSUE);
        let start_named = |k: usize| hinted_or_its_group(dates[k].name, hint::START) && !issue(k);
        let from =
            first_best((0..dates.len()).filter(|&k| k != to).map(|k| (k, (start_named(k), !issue(k), closest[k]))))
                .unwrap_or(usize::from(to == 0));
        let others_issue = (0..dates.len()).filter(|&k| k != to && k != from).all(issue);
        let always_latest = compared[to] > 0 && latest[to] == compared[to];
        let confidence = if always_latest && (start_named(from) || others_issue) && closest[from] > 0 {
            Confidence::High
        } else {
            Confidence::Low
        };
        let n = dates.len();
        Validity {
            from: dates[from],
            to: dates[to],
            confidence,
            from_evidence: format!(
                "dates; of {n}, the latest before the end in {} of {total} certificates{}",
                closest[from],
                if start_named(from) { ", named like a start" } else { "" }
            ),
            to_evidence: format!("dates; the latest of {n} in {} of {total} certificates", latest[to]),
        }
    }
}

/// The index with the greatest key, the first met of equals.
fn first_best<K: PartialOrd>(keys: impl Iterator<Item = (usize, K)>) -> Option<usize> {
    keys.fold(None::<(usize, K)>, |best, (k, key)| match best {
        Some((_, ref b)) if *b >= key => best,
        _ => Some((k, key)),
    })
    .map(|(k, _)| k)
}

/// A local 受給者番号 (no national check digit): a child of codes or digits, or of short texts
/// mostly of letters and digits (`A-778`, `第123号`: a municipality's numbering), never one of
/// one or two characters (a flag such as `ShokanBaraiFlg`'s `0`, a segment code) nor one named as
/// another of kohi's fields (`AdditionalConditions`' `01-02`). Of several, one named like a
/// recipient (or in a group of its own under the payer's leaf name), then one not named like an
/// amount, then the one with the most codes or digits, then the most such values, then the
/// nearest after the payer. With it, whether it was named so.
fn local_recipient<'c, 'a>(
    children: &'c [Child<'a>],
    taken: &[String],
    payer_name: Option<&str>,
) -> Option<((usize, usize), &'c Child<'a>, bool)> {
    let payer = payer_name.and_then(|p| children.iter().position(|c| c.name == p)).unwrap_or(0);
    let beside_the_payer = |name: &str| {
        payer_name.is_some_and(|p| p.contains('/') && name.contains('/') && p != name && leaf(p) == leaf(name))
    };
    children
        .iter()
        .enumerate()
        .filter(|(_, c)| !taken.iter().any(|t| t == c.name) && !named_as_another(c.name, &[field::RECIPIENT]))
        .filter(|(_, c)| c.present().all(|v| normalize(v).trim().chars().count() >= 3))
        .map(|(i, c)| {
            let (codes, of) = c.count(|s| matches!(s, Shape::Code(_) | Shape::Digits(_)));
            let numbers = c.present().filter(|v| numbered_text(v)).count();
            // Named like the 受給者番号, or in a group of its own by the payer's own leaf name
            // (`Futansha/Bango`, `Jukyusha/Bango`).
            let named = hinted_with_group(c.name, hint::RECIPIENT) || beside_the_payer(c.name);
            ((codes, numbers.max(codes), of), i, c, named)
        })
        .filter(|((_, numbers, _), _, _, _)| *numbers > 0)
        .max_by_key(|((codes, numbers, _), i, c, named)| {
            // Named so first, then not named like an amount (a cap of plain digits is all
            // codes, a free-text 受給者番号 not always).
            let amount = hinted(c.name, hint::AMOUNT);
            (*named, !amount, *codes, *numbers, std::cmp::Reverse(i.wrapping_sub(payer)))
        })
        .map(|((_, numbers, of), _, c, named)| ((numbers, of), c, named))
}

/// Whether `name` is named as one of kohi's certificate fields other than `fields` (case,
/// separators, `is` and `Flg` aside): that field is proposed by name, so no other field takes it.
fn named_as_another(name: &str, fields: &[&str]) -> bool {
    let name = loose_name(name);
    TABLE.iter().any(|&(ctx, canonical, node, _)| {
        ctx == Ctx::Subsidy
            && matches!(node, Node::Leaf(_))
            && !fields.contains(&canonical)
            && loose_name(canonical) == name
    })
}

/// A short text that numbers something: up to 30 characters (a local 受給者番号's most), a digit,
/// and at least as many letters and digits as anything else (`A-778`, `第123号`, not `区分3`).
fn numbered_text(value: &str) -> bool {
    let n = normalize(value);
    let n = n.trim();
    let chars = n.chars().count();
    let alphanumeric = n.chars().filter(char::is_ascii_alphanumeric).count();
    (3..=30).contains(&chars) && n.bytes().any(|b| b.is_ascii_digit()) && alphanumeric * 2 >= chars
}

/// The entry and (if it has one) its list, as proposals.
fn proposals_entry(
    proposals: &mut Vec<Proposal>,
    walk: &Walk,
    entry_path: &str,
    entry: &PathInfo,
    total: usize,
    another: bool,
) {
    // Every occurrence is counted; the values of the first few thousand were kept.
    let count = entry.count.max(total);
    let sample =
        if total >= SAMPLED_OCCURRENCES { format!(" (values read from the first {total})") } else { String::new() };
    let (confidence, evidence) = if another {
        (
            Confidence::Medium,
            format!(
                "another kind of certificate: {count} occurrence(s) holding 公費負担者番号-shaped values and a date{sample}"
            ),
        )
    } else {
        (Confidence::High, format!("{count} occurrence(s) holding 公費負担者番号-shaped values{sample}"))
    };
    proposals.push(Proposal {
        field: field::ENTRY,
        element: entry.name.clone(),
        path: entry_path.to_owned(),
        confidence,
        evidence,
    });
    if let Some(list) = list_of(walk, entry) {
        proposals.push(Proposal {
            field: field::LIST,
            element: list.name.clone(),
            path: entry.parent.clone().unwrap_or_default(),
            confidence: Confidence::Medium,
            evidence: "the unknown parent of every certificate".into(),
        });
    }
}

/// The entry's parent, when it is an unknown container (the list).
fn list_of<'a>(walk: &'a Walk, entry: &PathInfo) -> Option<&'a PathInfo> {
    let parent = walk.paths.get(entry.parent.as_deref()?)?;
    (!parent.known).then_some(parent)
}

/// The canonical name of a known container's context, with the person-level twin (a layout
/// placing something in `MessageBody` places it in `BulkConfirmUnit` too).
fn parents_for(ctx: Ctx) -> Vec<&'static str> {
    let name = |c: Ctx| {
        TABLE.iter().find_map(|&(_, n, node, _)| (node == Node::Container(c)).then_some(n)).unwrap_or(MESSAGE_BODY)
    };
    match ctx {
        Ctx::Body | Ctx::Unit => vec![MESSAGE_BODY, BULK_CONFIRM_UNIT],
        c => vec![name(c)],
    }
}

fn layout_file(walk: &Walk, entries: &[&str], proposals: &[Proposal]) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    // Each name once, for the field it was first proposed for (see `propose`).
    let mut rename: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for p in proposals.iter().filter(|p| p.element != p.field) {
        if named.contains(&p.element.as_str()) {
            continue;
        }
        named.push(&p.element);
        merge(&mut rename, p.field, &[&p.element]);
    }
    let mut roots: Vec<&str> = Vec::new();
    let mut place: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut wrappers: Vec<(&str, Vec<&str>)> = Vec::new();
    for entry_path in entries {
        // Where the list (or the entry, without a list) sits, and the unknown wrappers above it.
        let entry = &walk.paths[*entry_path];
        let (placed, top) = match list_of(walk, entry) {
            Some(list) => (field::LIST, list),
            None => (field::ENTRY, entry),
        };
        let mut wrappers_chain = Vec::new();
        let mut parent = top.parent.as_deref().and_then(|p| walk.paths.get(p));
        while let Some(p) = parent.filter(|p| !p.known) {
            wrappers_chain.push(p.name.as_str());
            parent = p.parent.as_deref().and_then(|q| walk.paths.get(q));
        }
        // Roots kohi does not know, above the data: documents of their own.
        let mut up = Some(entry);
        while let Some(p) = up {
            if p.parent.is_none() && !p.known && !roots.contains(&p.name.as_str()) {
                roots.push(&p.name);
            }
            up = p.parent.as_deref().and_then(|q| walk.paths.get(q));
        }
        if let Some(ctx) = parent.and_then(|p| p.ctx) {
            let parents = parents_for(ctx);
            let expected = if placed == field::LIST { Ctx::Result } else { Ctx::SubsidyList };
            if ctx != expected {
                merge(&mut place, placed, &parents);
            }
            for wrapper in wrappers_chain {
                merge(&mut wrappers, wrapper, &parents);
            }
        }
    }
    // A field proposed inside a group of a certificate: the group wraps certificate content.
    let certificates =
        entries.iter().copied().chain(walk.order.iter().map(String::as_str).filter(|p| known_certificate(walk, p)));
    for certificate in certificates.collect::<Vec<_>>() {
        for p in proposals {
            let group = p.path.strip_prefix(certificate).and_then(|rest| rest.strip_prefix('/'));
            // (Not a name the layout gives a field already: a layout file refuses that.)
            // Each group on the way (`Period` and `Start` of `Period/Start/Date`).
            if let Some((groups, _)) = group.and_then(|rest| rest.rsplit_once('/')) {
                for group in groups.split('/').filter(|group| !named.contains(group)) {
                    merge(&mut wrappers, group, &[field::ENTRY]);
                }
            }
        }
    }
    let object = |list: Vec<(&str, Vec<&str>)>| -> Value {
        Value::Object(list.into_iter().map(|(key, names)| (key.to_owned(), json!(names))).collect())
    };
    let mut out = Map::new();
    out.insert("kohi_layout".into(), json!(1));
    out.insert("rename".into(), object(rename));
    if !roots.is_empty() {
        out.insert("roots".into(), json!(roots));
    }
    if !place.is_empty() {
        out.insert("place".into(), object(place));
    }
    if !wrappers.is_empty() {
        out.insert("wrappers".into(), object(wrappers));
    }
    Value::Object(out)
}

/// Adds `values` to `key`'s list (made if new), each once.
fn merge<'a>(list: &mut Vec<(&'a str, Vec<&'a str>)>, key: &'a str, values: &[&'a str]) {
    let at = match list.iter().position(|(k, _)| *k == key) {
        Some(at) => at,
        None => {
            list.push((key, Vec::new()));
            list.len() - 1
        }
    };
    for v in values {
        if !list[at].1.contains(v) {
            list[at].1.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_say_what_not_which() {
        assert_eq!(shape("52136017").to_string(), "8 digits, check digit ok, 法別 52 national 公費");
        assert_eq!(shape("88131016").to_string(), "8 digits, check digit ok, 法別 88 local 公費");
        assert_eq!(shape("01130012").to_string(), "8 digits, check digit ok, 法別 01 insurance");
        assert_eq!(shape("１２３４５６６").to_string(), "7 digits, check digit ok");
        assert_eq!(shape("20250401").to_string(), "YYYYMMDD");
        assert_eq!(shape("2025-04-01").to_string(), "YYYY-MM-DD");
        assert_eq!(shape("20250604101540").to_string(), "YYYYMMDDHHmmss");
        assert_eq!(shape("5,000円").to_string(), "amount");
        assert_eq!(shape("5000").to_string(), "4 digits");
        assert_eq!(shape("K000012345").to_string(), "code ≤ 10 chars");
        assert_eq!(shape("小児慢性特定疾病医療受給者証").to_string(), "text ≤ 16 chars");
        assert_eq!(shape("  ").to_string(), "empty");
    }

    #[test]
    fn a_file_refused_unread_counts_as_a_file_and_by_its_code() {
        let mut surveyor = Surveyor::new(&ParseOptions::default());
        surveyor.add(b"<XmlMsg><MessageBody/></XmlMsg>");
        surveyor.add_unread(&Error::InputTooLarge { size: 1 << 30, limit: 64 << 20 });
        let survey = surveyor.finish();
        assert_eq!(survey.files, 2);
        assert_eq!(survey.failed, BTreeMap::from([("input_too_large", 1)]));
    }
}
