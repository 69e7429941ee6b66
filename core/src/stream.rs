//! Streaming: one patient at a time from a reader, in memory that does not grow with the file.
//!
//! A bulk (一括照会) result can hold thousands of patients. [`PatientReader`] hands out each
//! `BulkConfirmUnit` as soon as it closes, with its own warnings and unknown elements, and keeps
//! nothing of it. The bytes are decoded as they are read (Shift_JIS too, without ever replacing
//! a character), so no transcoded copy of the file exists either. A single (non-bulk) result
//! comes out as one patient at the end. The file-level rest (header, bulk status, document-level
//! warnings) is available from [`PatientReader::remainder`] once the reader is exhausted.
//! The Web API's JSON form is read whole (within the size limit), turned into the XML it stands
//! for, and streamed from that; the JSON is kept too, to say where in it an error lies.
//!
//! The events come from kohi's scanner, as for a whole document: the decoded text is read in
//! segments of about 64 KB, each cut just before its last `<` so that no event is split, and
//! scanned with the names of the elements still open from the segments before. Where the
//! scanner stops (markup it leaves to quick-xml, such as a DOCTYPE or a comment cut by the
//! segment's end, or anything wrong), quick-xml reads on from that point to the end, with the
//! open elements replayed to it first, so its checks, errors and positions are those of the
//! whole-file parse.

use std::collections::VecDeque;
use std::io::{BufReader, Chain, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::decode::{self, Encoding};
use crate::error::{Error, MalformedReason, Result};
use crate::mislabelled::Utf8Japanese;
use crate::model::Document;
use crate::parse::{ParseOptions, Walker};
use crate::scan::Scanner;
use crate::shift_jis::StreamDecoder;

/// How much of the start of the input is read to find its encoding: as far as the whole-file
/// parse looks (`decode::DETECT_BYTES`).
const SNIFF_BYTES: usize = decode::DETECT_BYTES;
/// Decoded chunks remembered for line numbers in quick-xml's error messages at least (it reads
/// ahead by at most one buffer); more while the event being read began before them.
const REMEMBERED_CHUNKS: usize = 4;
/// The scanner reads segments of about this much decoded text (a segment ends before the last
/// `<` read, so it may be shorter, or longer when a text runs on).
const SEGMENT_BYTES: usize = 64 * 1024;
/// Raw bytes read from the input at a time.
const RAW_READ_BYTES: usize = 16 * 1024;
/// Units held back while `MessageHeader` has not been read (element order is not fixed, and a
/// unit's renewals and periods are judged on the header's 資格確認日): a file whose header comes
/// after its first units streams as the whole-file parse reads it, as long as the header comes
/// within this many units. Past it, the oldest unit held is completed without the header, with a
/// `header_after_units` warning, so that memory stays bounded: by this many units and those of
/// the segment being read (the walker finishes a segment's units in one go).
const MAX_HELD_UNITS: usize = 256;

pub use crate::model::StreamedPatient;

/// Reads patients one at a time. An `Iterator` of `Result<StreamedPatient>`; after the first
/// error it ends.
///
/// ```
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"))?;
/// let mut payers = Vec::new();
/// for patient in kohi::PatientReader::new(std::io::BufReader::new(file), &kohi::ParseOptions::default())? {
///     let patient = patient?.patient; // one patient in memory at a time, however many units
///     payers.extend(patient.kohi.iter().filter_map(|k| k.payer_number.as_ref()).map(|n| n.expose().clone()));
/// }
/// assert_eq!(payers, ["52136017", "88131016"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PatientReader<R: Read> {
    reading: Reading<R>,
    walker: Option<Walker>,
    encoding: Encoding,
    buffer: Vec<u8>,
    tail: VecDeque<StreamedPatient>,
    remainder: Option<Document>,
    done: bool,
    /// An error that comes after the units read before it (see `fail`).
    deferred: Option<Error>,
    /// The JSON a stream of the Web API's JSON form was read from: its errors' positions are
    /// moved there from the XML it stands for (`json_form::locate`).
    json: Option<Box<JsonSource>>,
}

/// A JSON document read whole, and the bounds it was turned into XML within.
struct JsonSource {
    text: String,
    max_bytes: usize,
    max_depth: usize,
}

impl JsonSource {
    fn locate(&self, error: Error) -> Error {
        crate::json_form::locate(&self.text, error, self.max_bytes, self.max_depth)
    }
}

/// How the events are read: kohi's scanner, segment by segment (the fast path, as for whole
/// documents); or quick-xml, from where the scanner handed over for good (markup it leaves to
/// quick-xml, see scan.rs) with the elements open there replayed to it first.
enum Reading<R: Read> {
    Scan(Segments<R>),
    Quick(QuickXml<R>),
    /// Only while one becomes the other.
    Switching,
}

/// The scanner's input: decoded text not yet read, where it starts in the decoded document,
/// and the elements open at its start.
struct Segments<R: Read> {
    source: Source<R>,
    /// Decoded straight into this (the decoder writes valid UTF-8 into a `String`: no copy, no
    /// second validation).
    text: String,
    /// Where the text starts in the decoded document, and the lines before it: positions in
    /// the text come from its own bytes (nothing is copied for line numbers while the scanner
    /// reads).
    mark: LineMark,
    open: Vec<String>,
    source_done: bool,
}

impl<R: Read> Segments<R> {
    /// One more chunk of decoded text. A failed read ends the input; what went wrong stays with
    /// the source (input refused: its own error; the reader failed: an I/O error), and quick-xml
    /// reports it when it reads on from there.
    fn read_chunk(&mut self) {
        match self.decode_into() {
            Ok(0) => self.source_done = true,
            Ok(_) => {}
            Err(e) => {
                self.source_done = true;
                if self.source.failure.is_none() {
                    self.source.failure = Some(Error::io(e));
                }
            }
        }
    }

    /// Decodes the next raw bytes onto the end of the text (no copy); how many bytes were
    /// added, 0 at the end. On an error the text is as it was.
    fn decode_into(&mut self) -> std::io::Result<usize> {
        let (source, text) = (&mut self.source, &mut self.text);
        loop {
            let Some((at, end)) = source.next_raw()? else { return Ok(0) };
            let raw = &source.pending[at..end];
            let last = source.input_done;
            let most = source.decoder.max_utf8_len(raw.len());
            text.reserve(most);
            let start = text.len();
            let (result, read) = source.decoder.decode_to_string(raw, text, last);
            match source.decoded(result, read, &text.as_bytes()[start..]) {
                Decoded::Ready(n) => return Ok(n),
                Decoded::NotYet => {}
                Decoded::Forbidden(i) => {
                    let offset = self.mark.start + (start + i) as u64;
                    let (line, column) = self.mark.line_column(text.as_bytes(), offset);
                    let refused =
                        source.stop(Error::MalformedXml { line, column, reason: MalformedReason::InvalidCharacter });
                    return keep_before_refused(text, start, i, refused);
                }
                Decoded::Refused(good, refused) => return keep_before_refused(text, start, good, refused),
            }
        }
    }
}

/// Input refused `good` bytes into what was just decoded onto `text` at `start`: those bytes are
/// good text and are read (the units that close in them are handed out before the error, which
/// the source keeps and gives on its next read); the rest is dropped.
fn keep_before_refused(
    text: &mut String,
    start: usize,
    good: usize,
    refused: std::io::Error,
) -> std::io::Result<usize> {
    text.truncate(start + good);
    if good > 0 { Ok(good) } else { Err(refused) }
}

/// quick-xml's input after a hand-over: the replayed start tags and the scanner's unread text,
/// then the rest of the source.
type Replayed<R> = BufReader<Chain<Cursor<Vec<u8>>, Source<R>>>;

struct QuickXml<R: Read> {
    reader: Reader<Replayed<R>>,
    /// Bytes of replayed start tags before the text, and where that text starts in the decoded
    /// document: quick-xml's position `p` is `p - replayed + base` there.
    replayed: u64,
    base: u64,
    /// Replayed start events still to skip.
    skip: usize,
}

impl<R: Read> QuickXml<R> {
    fn source(&mut self) -> &mut Source<R> {
        self.reader.get_mut().get_mut().get_mut().1
    }

    fn decoded_offset(&self, position: u64) -> u64 {
        position.saturating_sub(self.replayed) + self.base
    }
}

impl<R: Read> PatientReader<R> {
    /// Detects the encoding from the start of the input (BOM, declaration,
    /// `CharacterCodeIdentifier`) and prepares to read.
    pub fn new(mut input: R, options: &ParseOptions) -> Result<Self> {
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut input).take(SNIFF_BYTES as u64).read_to_end(&mut prefix).map_err(Error::io)?;
        if crate::json_form::looks_like_json(&prefix) {
            return Ok(Self::from_json(prefix, input, options));
        }
        let (encoding, skip, mislabelled) = decode::detect_prefix(&prefix)?;
        prefix.drain(..skip);
        Ok(Self::reading(Input::Reader(input), prefix, skip, (encoding, mislabelled), options))
    }

    /// The Web API's JSON form (see `json_form`): read whole, within the size limit (it answers
    /// one query, so it is small), turned into the XML it stands for, and streamed from that
    /// like any file. What goes wrong (a read, the size, the JSON) is the stream's one error.
    fn from_json(mut json: Vec<u8>, input: R, options: &ParseOptions) -> Self {
        let limit = options.max_input_bytes();
        // Checked once, owned: the text is kept for its errors' positions.
        let text = input
            .take(limit.saturating_add(1).saturating_sub(json.len()) as u64)
            .read_to_end(&mut json)
            .map_err(Error::io)
            .and_then(|_| match json.len() {
                size if size > limit => Err(Error::InputTooLarge { size, limit }),
                _ => String::from_utf8(json)
                    .map_err(|e| Error::InvalidEncoding { encoding: "UTF-8", offset: e.utf8_error().valid_up_to() }),
            });
        let (converted, json) = match text {
            Ok(text) => (
                crate::json_form::to_xml(&text, limit, options.max_depth()),
                Some(JsonSource { text, max_bytes: limit, max_depth: options.max_depth() }),
            ),
            Err(error) => (Err(error), None),
        };
        match converted {
            Ok(xml) => {
                let mut reader = Self::reading(
                    Input::Converted(Cursor::new(xml.into_bytes())),
                    Vec::new(),
                    0,
                    (Encoding::Utf8, None),
                    options,
                );
                reader.json = json.map(Box::new);
                reader
            }
            Err(error) => {
                let error = match &json {
                    Some(json) => json.locate(error),
                    None => error,
                };
                let mut reader =
                    Self::reading(Input::Converted(Cursor::default()), Vec::new(), 0, (Encoding::Utf8, None), options);
                reader.walker = None;
                reader.done = true;
                reader.deferred = Some(error);
                reader
            }
        }
    }

    /// Reads `input` (in `encoding`), of which `prefix` was read already, after `skip` bytes
    /// (a byte order mark) that are not part of it; with Shift_JIS, the question whether it is
    /// UTF-8 Japanese after all, if the prefix did not answer it.
    fn reading(
        input: Input<R>,
        prefix: Vec<u8>,
        skip: usize,
        (encoding, mislabelled): (Encoding, Option<Utf8Japanese>),
        options: &ParseOptions,
    ) -> Self {
        let decoder = StreamDecoder::new(encoding == Encoding::ShiftJis);
        let pending_end = prefix.len();
        let source = Source {
            input,
            pending_end,
            pending: prefix,
            pending_at: 0,
            raw_offset: skip as u64,
            decoder,
            mislabelled,
            asked_to: pending_end,
            decoded_total: 0,
            input_done: false,
            failure: None,
            lines: Lines::default(),
            max_input_bytes: options.max_input_bytes() as u64,
            finished: false,
        };
        let mut walker = Walker::new(options);
        walker.streaming = true;
        let segments =
            Segments { source, text: String::new(), mark: LineMark::default(), open: Vec::new(), source_done: false };
        PatientReader {
            reading: Reading::Scan(segments),
            walker: Some(walker),
            encoding,
            buffer: Vec::with_capacity(1024),
            tail: VecDeque::new(),
            remainder: None,
            done: false,
            deferred: None,
            json: None,
        }
    }

    /// The encoding the input is read in.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The header as read so far (complete once it has closed, normally before the first unit).
    pub fn header(&self) -> crate::model::Header {
        match (&self.walker, &self.remainder) {
            (Some(walker), _) => walker.model.header.clone(),
            (None, Some(doc)) => doc.header.clone(),
            _ => crate::model::Header::default(),
        }
    }

    /// The next patient as a one-patient document (see [`StreamedPatient::into_document`]).
    pub fn next_document(&mut self) -> Option<Result<Document>> {
        let next = self.next()?;
        Some(next.map(|p| p.into_document(self.encoding, self.header())))
    }

    /// The document without its patients (header, bulk status, document-level warnings and
    /// unknown elements), once every patient has been read.
    pub fn remainder(&self) -> Option<&Document> {
        self.remainder.as_ref()
    }

    /// Ends the stream with `error`, after the units the walker finished before it (a segment
    /// is read in one go, so some may still be waiting).
    fn fail(&mut self, error: Error) -> Option<Result<StreamedPatient>> {
        self.done = true;
        if let Some(mut walker) = self.walker.take() {
            self.tail_finished_units(&mut walker);
        }
        self.deferred = Some(error);
        self.read_next()
    }

    /// The units the walker finished and nobody has taken yet go first into the tail.
    fn tail_finished_units(&mut self, walker: &mut Walker) {
        let on = crate::complete::confirmation_date(&walker.model.header);
        for mut unit in walker.finished_units.drain(..) {
            crate::complete::patient(&mut unit.patient, &mut unit.warnings, on);
            self.tail.push_back(unit);
        }
    }

    /// The document has ended: the units not yet taken, then what is left of it is the
    /// remainder, and its patients (a single result's) come last.
    ///
    /// A single result is one person: its warnings and unknown elements (a check digit, a 公費
    /// number under a name kohi does not read) go with that patient, so that its one-patient
    /// document is the whole file's. Left in the remainder, they were out of reach of every
    /// binding whose stream hands out patients only.
    fn finish(&mut self) {
        self.done = true;
        if let Some(mut walker) = self.walker.take() {
            self.tail_finished_units(&mut walker);
            let mut doc = crate::complete::completed(walker.finish(self.encoding));
            let one_person = doc.bulk.is_none() && doc.patients.len() == 1;
            for patient in doc.patients.drain(..) {
                let (warnings, unknown_elements) = if one_person {
                    (std::mem::take(&mut doc.warnings), std::mem::take(&mut doc.unknown_elements))
                } else {
                    (Vec::new(), Vec::new())
                };
                self.tail.push_back(StreamedPatient { patient, warnings, unknown_elements });
            }
            self.remainder = Some(doc);
        }
    }

    fn read_next(&mut self) -> Option<Result<StreamedPatient>> {
        loop {
            // The walker hands each finished unit over raw; completing it is the next stage,
            // once the header is read (or too many units wait for it).
            if let Some(walker) = self.walker.as_mut()
                && (walker.header_closed || walker.finished_units.len() > MAX_HELD_UNITS)
                && let Some(mut next) = walker.finished_units.pop_front()
            {
                if !walker.header_closed {
                    next.warnings.push(crate::model::Warning {
                        code: crate::model::WarningCode::HeaderAfterUnits,
                        path: [crate::layout::names::XML_MSG, crate::layout::names::MESSAGE_HEADER].join("/"),
                    });
                }
                let on = crate::complete::confirmation_date(&walker.model.header);
                crate::complete::patient(&mut next.patient, &mut next.warnings, on);
                return Some(Ok(next));
            }
            if self.done {
                return match self.tail.pop_front() {
                    Some(unit) => Some(Ok(unit)),
                    None => self.deferred.take().map(Err),
                };
            }
            let step = match &mut self.reading {
                Reading::Scan(segments) => scan_segment(segments, self.walker.as_mut()?),
                Reading::Quick(quick) => quick_event(quick, &mut self.buffer, self.walker.as_mut()?),
                Reading::Switching => return None,
            };
            match step {
                Step::More => {}
                Step::End => self.finish(),
                Step::Failed(error) => return self.fail(error),
                Step::HandOver(at, open) => self.hand_over(at, open),
            }
        }
    }

    /// From `at` in the scanner's text on, quick-xml reads: the elements open there are
    /// replayed to it as start tags (their events skipped), so it checks end tags as if it had
    /// read the document from the start, and its errors and positions are its own.
    fn hand_over(&mut self, at: usize, open: Vec<String>) {
        let Reading::Scan(segments) = std::mem::replace(&mut self.reading, Reading::Switching) else { return };
        let Segments { mut source, mut text, mark, .. } = segments;
        // From here on quick-xml reads, and its positions come from copies of the last few
        // chunks, starting with the scanner's unread text.
        source.lines = Lines::starting_at(mark.after(&text.as_bytes()[..at]));
        source.lines.record(&text.as_bytes()[at..]);
        let mut replay: Vec<u8> = open.iter().flat_map(|name| [b"<", name.as_bytes(), b">"].concat()).collect();
        let replayed = replay.len() as u64;
        replay.extend_from_slice(&text.as_bytes()[at..]);
        text.clear();
        let input = Cursor::new(replay).chain(source);
        self.reading = Reading::Quick(QuickXml {
            reader: Reader::from_reader(BufReader::with_capacity(16 * 1024, input)),
            replayed,
            base: mark.start + at as u64,
            skip: open.len(),
        });
    }
}

/// What one step of reading did.
enum Step {
    /// Events went to the walker (perhaps none); read on.
    More,
    /// The document ended.
    End,
    Failed(Error),
    /// The scanner stopped at this offset of its text, inside these elements (outermost
    /// first): quick-xml goes on from there.
    HandOver(usize, Vec<String>),
}

/// Reads one segment with the scanner: decoded text up to the last `<` read (so no event is
/// cut), or to the end of the input.
fn scan_segment<R: Read>(segments: &mut Segments<R>, walker: &mut Walker) -> Step {
    while !segments.source_done && segments.text.len() < SEGMENT_BYTES {
        segments.read_chunk();
    }
    let end = if segments.source_done {
        segments.text.len()
    } else {
        match memchr::memrchr(b'<', segments.text.as_bytes()) {
            Some(lt) if lt > 0 => lt,
            // No event ends in what was read: read on (a long text), beyond the segment size.
            _ => {
                segments.read_chunk();
                return Step::More;
            }
        }
    };
    // The end of the input, or a read that failed: quick-xml reports what is wrong there.
    if segments.source_done && segments.source.failure.is_some() && end == 0 {
        return Step::HandOver(0, std::mem::take(&mut segments.open));
    }
    let text = &segments.text[..end];
    let mark = segments.mark;
    let mut scanner = Scanner::resume(text, &segments.open);
    loop {
        let Some((at, event)) = scanner.next_event() else {
            return Step::HandOver(scanner.position(), scanner.open_names());
        };
        let last = matches!(event, Event::Eof);
        if last && !(segments.source_done && segments.source.failure.is_none()) {
            break;
        }
        let here = || mark.line_column(text.as_bytes(), mark.start + at as u64);
        match walker.handle(event, here) {
            Ok(false) => {}
            Ok(true) => return Step::End,
            Err(e) => return Step::Failed(e),
        }
        if last {
            return Step::End;
        }
    }
    // The segment was read whole: the text after it, and the elements open there, go on.
    let open = scanner.open_names();
    segments.open = open;
    segments.mark = segments.mark.after(&segments.text.as_bytes()[..end]);
    segments.text.drain(..end);
    if end == 0 && segments.source_done {
        return Step::HandOver(0, std::mem::take(&mut segments.open));
    }
    Step::More
}

/// One event from quick-xml.
fn quick_event<R: Read>(quick: &mut QuickXml<R>, buffer: &mut Vec<u8>, walker: &mut Walker) -> Step {
    buffer.clear();
    let event_start = quick.decoded_offset(quick.reader.buffer_position());
    quick.source().lines.keep_from(event_start);
    let event = match quick.reader.read_event_into(buffer) {
        Ok(event) => event,
        Err(e) => {
            let position = quick.decoded_offset(quick.reader.error_position());
            let source = quick.source();
            let error = source.failure.take().unwrap_or_else(|| {
                let (line, column) = source.lines.line_column(position);
                crate::parse::malformed_reason(&e, line, column)
            });
            return Step::Failed(error);
        }
    };
    if quick.skip > 0 {
        // A replayed start tag: the walker had it from the scanner.
        quick.skip -= 1;
        return Step::More;
    }
    let lines = &quick.reader.get_ref().get_ref().get_ref().1.lines;
    match walker.handle(event, || lines.line_column(event_start)) {
        Ok(false) => Step::More,
        Ok(true) => Step::End,
        Err(e) => Step::Failed(e),
    }
}

impl<R: Read> Iterator for PatientReader<R> {
    type Item = Result<StreamedPatient>;

    fn next(&mut self) -> Option<Self::Item> {
        match (self.read_next(), &self.json) {
            (Some(Err(error)), Some(json)) => Some(Err(json.locate(error))),
            (next, _) => next,
        }
    }
}

/// Where a stretch of decoded text starts, and the lines before it: enough to say the line and
/// column of any offset in it, given its bytes.
#[derive(Clone, Copy, Default)]
struct LineMark {
    /// Decoded offset of the stretch's first byte.
    start: u64,
    /// Newlines before it.
    lines: usize,
    /// Characters between the last newline before it (or the start) and it: its column, less
    /// one. Counted as the text goes by: a column counted in bytes for the part of a line in
    /// stretches gone put an error after a name in kanji 4 columns further on than the
    /// whole-file parse did (by the proptest of a document broken once).
    line_chars: usize,
}

impl LineMark {
    /// The mark just after `bytes`, which start here. memchr's vectorised search: a byte loop
    /// here was 8 % of a streamed bulk file. Characters are counted after the last newline only.
    fn after(&self, bytes: &[u8]) -> LineMark {
        let line_chars = match memchr::memrchr(b'\n', bytes) {
            Some(i) => chars(&bytes[i + 1..]),
            None => self.line_chars + chars(bytes),
        };
        LineMark {
            start: self.start + bytes.len() as u64,
            lines: self.lines + memchr::memchr_iter(b'\n', bytes).count(),
            line_chars,
        }
    }

    /// 1-based line and column (in characters) of `offset`, in `bytes` that start here.
    fn line_column(&self, bytes: &[u8], offset: u64) -> (usize, usize) {
        let within = (offset.saturating_sub(self.start) as usize).min(bytes.len());
        let before = &bytes[..within];
        let newlines = memchr::memchr_iter(b'\n', before).count();
        // Where the line starts: in these bytes, or (its characters counted) before them.
        let (from, earlier) = match memchr::memrchr(b'\n', before) {
            Some(i) => (i + 1, 0),
            None => (0, self.line_chars),
        };
        (self.lines + newlines + 1, chars(&before[from..]) + earlier + 1)
    }
}

/// The characters of UTF-8 text (its bytes that are not continuation bytes: a stretch cut
/// inside a character counts it once, where it starts). bytecount's vectorised count: on a
/// file written on one line every stretch is counted whole, and a byte loop here was 11 % of
/// streaming a 10,000-unit file.
fn chars(bytes: &[u8]) -> usize {
    bytecount::num_chars(bytes)
}

/// Copies of the last few decoded chunks, for positions in quick-xml's error messages (after a
/// hand-over; while the scanner reads, its text is the only copy, see `Segments::mark`).
#[derive(Default)]
struct Lines {
    chunks: VecDeque<(LineMark, Vec<u8>)>,
    /// Where the next chunk starts.
    next: LineMark,
    /// Chunks that end after this offset (where the event being read began) are kept, however
    /// many: an error in a long text is reported where the text began.
    keep_from: u64,
}

impl Lines {
    fn starting_at(next: LineMark) -> Self {
        Lines { chunks: VecDeque::new(), next, keep_from: next.start }
    }

    fn record(&mut self, chunk: &[u8]) {
        // The oldest chunk's buffer is reused: no allocation per chunk once four are held.
        let mut copy = match self.chunks.front() {
            Some((mark, oldest))
                if self.chunks.len() >= REMEMBERED_CHUNKS && mark.start + oldest.len() as u64 <= self.keep_from =>
            {
                self.chunks.pop_front().map(|(_, buffer)| buffer).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        copy.clear();
        copy.extend_from_slice(chunk);
        self.chunks.push_back((self.next, copy));
        self.next = self.next.after(chunk);
    }

    /// Chunks that end after `offset` are remembered from now on.
    fn keep_from(&mut self, offset: u64) {
        self.keep_from = offset;
    }

    /// 1-based line and column (in characters) of a decoded byte offset; (0, 0) if it is no
    /// longer remembered.
    fn line_column(&self, offset: u64) -> (usize, usize) {
        match self.chunks.iter().rev().find(|(mark, _)| mark.start <= offset) {
            Some((mark, chunk)) => mark.line_column(chunk, offset),
            None => (0, 0),
        }
    }
}

/// The input, decoded to UTF-8 as quick-xml reads it: never a replacement character, never a
/// forbidden control character, never more than the size limit.
struct Source<R: Read> {
    input: Input<R>,
    /// Raw bytes read and not yet decoded: `pending[pending_at..pending_end]` (the buffer keeps
    /// its length: no zeroing per read).
    pending: Vec<u8>,
    pending_at: usize,
    pending_end: usize,
    raw_offset: u64,
    decoder: StreamDecoder,
    /// Shift_JIS that may yet prove UTF-8 Japanese (see `mislabelled`), asked of the raw bytes
    /// as they are read, up to `pending[..asked_to]`.
    mislabelled: Option<Utf8Japanese>,
    asked_to: usize,
    decoded_total: u64,
    input_done: bool,
    failure: Option<Error>,
    lines: Lines,
    max_input_bytes: u64,
    /// The decoder has had the end of the input: every read from now on gives nothing.
    finished: bool,
}

impl<R: Read> Source<R> {
    /// The encoding the decoder reads (it is made for UTF-8 or Shift_JIS only).
    fn encoding(&self) -> Encoding {
        if self.decoder.is_shift_jis() { Encoding::ShiftJis } else { Encoding::Utf8 }
    }

    fn refill(&mut self) -> std::io::Result<()> {
        if self.pending_at < self.pending_end || self.input_done {
            return Ok(());
        }
        if self.pending.len() < RAW_READ_BYTES {
            self.pending.resize(RAW_READ_BYTES, 0);
        }
        self.pending_at = 0;
        self.pending_end = 0;
        self.asked_to = 0;
        let n = self.input.read(&mut self.pending)?;
        self.pending_end = n;
        self.input_done = n == 0;
        Ok(())
    }

    /// Reads more input onto the raw bytes not yet decoded, keeping them.
    fn read_ahead(&mut self) -> std::io::Result<()> {
        self.pending.copy_within(self.pending_at..self.pending_end, 0);
        self.pending_end -= self.pending_at;
        self.asked_to -= self.pending_at;
        self.pending_at = 0;
        if self.pending.len() < self.pending_end + RAW_READ_BYTES {
            self.pending.resize(self.pending_end + RAW_READ_BYTES, 0);
        }
        let n = self.input.read(&mut self.pending[self.pending_end..])?;
        self.pending_end += n;
        self.input_done = n == 0;
        Ok(())
    }

    /// Where decoding must stop for now in `pending`. While a Shift_JIS stream may yet prove
    /// UTF-8 Japanese, its first kana or kanji and what follows are held back and read ahead
    /// of until the question is answered (at most `mislabelled::WINDOW` bytes on), so that no
    /// name is decoded into garbage and handed out; the whole-file parse gives the same answer.
    fn decodable_end(&mut self) -> std::io::Result<usize> {
        while let Some(question) = &mut self.mislabelled {
            let answer = match question.feed(&self.pending[self.asked_to..self.pending_end]) {
                None if self.input_done => Some(question.finish()),
                answer => answer,
            };
            self.asked_to = self.pending_end;
            match answer {
                Some(true) => return Err(self.stop(decode::MISLABELLED)),
                Some(false) => self.mislabelled = None,
                None => {
                    let Some(held) = question.held_from() else { break };
                    // No byte order mark comes before Shift_JIS: `raw_offset` counts from the
                    // question's start, and `pending[pending_at]` is at `raw_offset`.
                    let held = (held - self.raw_offset) as usize + self.pending_at;
                    if held > self.pending_at {
                        return Ok(held);
                    }
                    self.read_ahead()?;
                }
            }
        }
        Ok(self.pending_end)
    }

    fn stop(&mut self, error: Error) -> std::io::Error {
        self.failure = Some(error);
        std::io::Error::new(std::io::ErrorKind::InvalidData, "kohi: input refused")
    }

    /// Before a read: the raw bytes to decode next (read from the input if none are left), or
    /// what ends the reading (a failure, the end, the size limit).
    fn next_raw(&mut self) -> std::io::Result<Option<(usize, usize)>> {
        if self.failure.is_some() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "kohi: input refused"));
        }
        if self.finished {
            return Ok(None);
        }
        self.refill()?;
        let end = self.decodable_end()?;
        let at = self.pending_at;
        if self.raw_offset + (self.pending_end - at) as u64 > self.max_input_bytes {
            let size = (self.raw_offset + (self.pending_end - at) as u64) as usize;
            return Err(self.stop(Error::InputTooLarge { size, limit: self.max_input_bytes as usize }));
        }
        Ok(Some((at, end)))
    }

    /// After the decoder has read `read` raw bytes and written `decoded`: refuses what the
    /// encoding does not allow, finds a character XML does not allow (the caller, who knows
    /// the lines, says where), and says how much to hand out.
    fn decoded(&mut self, result: encoding_rs::DecoderResult, read: usize, decoded: &[u8]) -> Decoded {
        if let encoding_rs::DecoderResult::Malformed(bad, after) = result {
            let offset = (self.raw_offset + read as u64 - u64::from(bad) - u64::from(after)) as usize;
            let refused = self.stop(Error::InvalidEncoding { encoding: self.encoding().name(), offset });
            // What was decoded before the bad bytes is text, up to a forbidden character in it.
            let forbidden = crate::decode::forbidden_in_decoded(decoded, self.encoding());
            return Decoded::Refused(forbidden.unwrap_or(decoded.len()), refused);
        }
        self.pending_at += read;
        self.raw_offset += read as u64;
        if let Some(i) = crate::decode::forbidden_in_decoded(decoded, self.encoding()) {
            return Decoded::Forbidden(i);
        }
        self.decoded_total += decoded.len() as u64;
        if self.input_done && self.pending_at >= self.pending_end {
            // The decoder was told this was the end (`last`): it must not be used again.
            self.finished = matches!(result, encoding_rs::DecoderResult::InputEmpty);
            return Decoded::Ready(decoded.len());
        }
        if decoded.is_empty() { Decoded::NotYet } else { Decoded::Ready(decoded.len()) }
    }
}

/// What a stream reads: the caller's reader, or the XML a JSON document stands for.
enum Input<R> {
    Reader(R),
    Converted(Cursor<Vec<u8>>),
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::Reader(reader) => reader.read(out),
            Input::Converted(xml) => xml.read(out),
        }
    }
}

/// What a decoding step gave.
enum Decoded {
    /// This many bytes to hand out (0: the end).
    Ready(usize),
    /// Nothing yet: decode more.
    NotYet,
    /// A character XML does not allow, at this index of what was decoded.
    Forbidden(usize),
    /// Bytes the encoding does not allow (the source keeps the error): this many bytes of
    /// what was decoded come before them and are good.
    Refused(usize, std::io::Error),
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some((at, end)) = self.next_raw()? else { return Ok(0) };
            // Leave room: one input byte may become up to three output bytes.
            let room = out.len().saturating_sub(8);
            if room == 0 {
                return Ok(0);
            }
            let raw = &self.pending[at..end];
            let (result, read, written) = self.decoder.decode_to_utf8(raw, &mut out[..room], self.input_done);
            // Input refused part-way: the good bytes before it are read first (the units that
            // close in them are handed out), the error comes with the next read.
            let (good, refused) = match self.decoded(result, read, &out[..written]) {
                Decoded::Ready(n) => {
                    self.lines.record(&out[..n]);
                    return Ok(n);
                }
                Decoded::NotYet => continue,
                Decoded::Forbidden(i) => {
                    self.lines.record(&out[..i]);
                    let (line, column) = self.lines.line_column(self.decoded_total + i as u64);
                    let reason = MalformedReason::InvalidCharacter;
                    (i, self.stop(Error::MalformedXml { line, column, reason }))
                }
                Decoded::Refused(good, refused) => {
                    self.lines.record(&out[..good]);
                    (good, refused)
                }
            };
            return if good > 0 { Ok(good) } else { Err(refused) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chars;

    #[test]
    fn chars_counts_characters_and_a_cut_one_where_it_starts() {
        let text = "<Name>見本　太郎</Name>\u{1F600}x".repeat(40);
        assert_eq!(chars(text.as_bytes()), text.chars().count());
        let cut = "見本".as_bytes();
        assert_eq!(chars(&cut[..4]), 2); // 見 whole, 本 cut after its first byte
        assert_eq!(chars(&cut[1..]), 1); // 見 cut before its first byte: only 本 starts here
    }
}
