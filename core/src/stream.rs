//! Streaming: one patient at a time from a reader, in memory that does not grow with the file.
//!
//! A bulk (一括照会) result can hold thousands of patients. [`PatientReader`] hands out each
//! `BulkConfirmUnit` as soon as it closes, with its own warnings and unknown elements, and keeps
//! nothing of it. The bytes are decoded as they are read (Shift_JIS too, without ever replacing
//! a character), so no transcoded copy of the file exists either. A single (non-bulk) result
//! comes out as one patient at the end. The file-level rest (header, bulk status, document-level
//! warnings) is available from [`PatientReader::remainder`] once the reader is exhausted.

use std::collections::VecDeque;
use std::io::{BufReader, Read};

use quick_xml::Reader;

use crate::decode::{self, Encoding};
use crate::error::{Error, MalformedReason, Result};
use crate::model::Document;
use crate::parse::{ParseOptions, Walker};

/// How much of the start of the input is read to find its encoding.
const SNIFF_BYTES: usize = 64 * 1024;
/// Decoded chunks remembered for line numbers in error messages (quick-xml reads ahead by at
/// most one buffer, so an error is always within the last few).
const REMEMBERED_CHUNKS: usize = 4;

pub use crate::model::StreamedPatient;

/// Reads patients one at a time. An `Iterator` of `Result<StreamedPatient>`; after the first
/// error it ends.
///
/// ```
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"))?;
/// let mut payers = Vec::new();
/// for patient in kohi::PatientReader::new(std::io::BufReader::new(file), &kohi::ParseOptions::default())? {
///     let patient = patient?.patient; // one patient in memory at a time, whatever the file's size
///     payers.extend(patient.kohi.iter().filter_map(|k| k.payer_number.as_ref()).map(|n| n.expose().clone()));
/// }
/// assert_eq!(payers, ["52136017", "88131016"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PatientReader<R: Read> {
    reader: Reader<BufReader<Source<R>>>,
    walker: Option<Walker>,
    encoding: Encoding,
    buffer: Vec<u8>,
    tail: VecDeque<StreamedPatient>,
    remainder: Option<Document>,
    done: bool,
}

impl<R: Read> PatientReader<R> {
    /// Detects the encoding from the start of the input (BOM, declaration,
    /// `CharacterCodeIdentifier`) and prepares to read.
    pub fn new(mut input: R, options: &ParseOptions) -> Result<Self> {
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut input).take(SNIFF_BYTES as u64).read_to_end(&mut prefix).map_err(Error::io)?;
        let (encoding, skip) = decode::detect_prefix(&prefix)?;
        let decoder = match encoding {
            Encoding::Utf8 => encoding_rs::UTF_8.new_decoder_without_bom_handling(),
            Encoding::ShiftJis => encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling(),
        };
        prefix.drain(..skip);
        let source = Source {
            input,
            pending: prefix,
            pending_at: 0,
            raw_offset: skip as u64,
            decoder,
            decoded_total: 0,
            input_done: false,
            failure: None,
            lines: Lines::default(),
            max_input_bytes: options.max_input_bytes() as u64,
        };
        let mut walker = Walker::new(options);
        walker.streaming = true;
        Ok(PatientReader {
            reader: Reader::from_reader(BufReader::with_capacity(16 * 1024, source)),
            walker: Some(walker),
            encoding,
            buffer: Vec::with_capacity(1024),
            tail: VecDeque::new(),
            remainder: None,
            done: false,
        })
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

    fn fail(&mut self, error: Error) -> Option<Result<StreamedPatient>> {
        self.done = true;
        self.walker = None;
        Some(Err(error))
    }

    fn read_next(&mut self) -> Option<Result<StreamedPatient>> {
        loop {
            // The walker hands each finished unit over raw; completing it is the next stage.
            if let Some(walker) = self.walker.as_mut()
                && let Some(mut next) = walker.finished_units.pop_front()
            {
                let on = crate::complete::confirmation_date(&walker.model.header);
                crate::complete::patient(&mut next.patient, &mut next.warnings, on);
                return Some(Ok(next));
            }
            if self.done {
                return self.tail.pop_front().map(Ok);
            }
            self.buffer.clear();
            let at = self.reader.buffer_position();
            let event = match self.reader.read_event_into(&mut self.buffer) {
                Ok(event) => event,
                Err(e) => {
                    let position = self.reader.error_position();
                    let source = self.reader.get_mut().get_mut();
                    let error = source.failure.take().unwrap_or_else(|| {
                        let (line, column) = source.lines.line_column(position);
                        crate::parse::malformed_reason(&e, line, column)
                    });
                    return self.fail(error);
                }
            };
            let lines = &self.reader.get_ref().get_ref().lines;
            let here = || lines.line_column(at);
            let walker = self.walker.as_mut()?;
            match walker.handle(event, here) {
                Ok(false) => {}
                Ok(true) => {
                    self.done = true;
                    if let Some(walker) = self.walker.take() {
                        let mut doc = crate::complete::completed(walker.finish(self.encoding));
                        for patient in doc.patients.drain(..) {
                            let item = StreamedPatient { patient, warnings: Vec::new(), unknown_elements: Vec::new() };
                            self.tail.push_back(item);
                        }
                        self.remainder = Some(doc);
                    }
                }
                Err(e) => return self.fail(e),
            }
        }
    }
}

impl<R: Read> Iterator for PatientReader<R> {
    type Item = Result<StreamedPatient>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_next()
    }
}

/// Line starts of the last few decoded chunks, for positions in error messages.
#[derive(Default)]
struct Lines {
    /// (decoded offset where the chunk starts, lines before it, offset of the last newline
    /// before it, the chunk).
    chunks: VecDeque<(u64, usize, Option<u64>, Vec<u8>)>,
    lines: usize,
    last_newline: Option<u64>,
    offset: u64,
}

impl Lines {
    fn record(&mut self, chunk: &[u8]) {
        // The oldest chunk's buffer is reused: no allocation per chunk once four are held.
        let mut copy = match self.chunks.len() {
            REMEMBERED_CHUNKS => self.chunks.pop_front().map(|(.., buffer)| buffer).unwrap_or_default(),
            _ => Vec::new(),
        };
        copy.clear();
        copy.extend_from_slice(chunk);
        self.chunks.push_back((self.offset, self.lines, self.last_newline, copy));
        // memchr's vectorised search: a byte loop here was 8 % of a streamed bulk file.
        self.lines += memchr::memchr_iter(b'\n', chunk).count();
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            self.last_newline = Some(self.offset + i as u64);
        }
        self.offset += chunk.len() as u64;
    }

    /// 1-based line and column (in characters) of a decoded byte offset; (0, 0) if it is no
    /// longer remembered.
    fn line_column(&self, offset: u64) -> (usize, usize) {
        let Some((start, lines, last_newline, chunk)) = self.chunks.iter().rev().find(|(start, ..)| *start <= offset)
        else {
            return (0, 0);
        };
        let within = ((offset - start) as usize).min(chunk.len());
        let before = &chunk[..within];
        let newlines = before.iter().filter(|&&b| b == b'\n').count();
        // Where the line starts: in this chunk, or (bytes) before it.
        let (from, earlier) = match before.iter().rposition(|&b| b == b'\n') {
            Some(i) => (i + 1, 0),
            None => (0, (start - last_newline.map_or(0, |n| n + 1)) as usize),
        };
        // Columns count characters: UTF-8 continuation bytes do not start one.
        let column = before[from..].iter().filter(|&&b| (b & 0xC0) != 0x80).count() + earlier + 1;
        (lines + newlines + 1, column)
    }
}

/// The input, decoded to UTF-8 as quick-xml reads it: never a replacement character, never a
/// forbidden control character, never more than the size limit.
struct Source<R: Read> {
    input: R,
    pending: Vec<u8>,
    pending_at: usize,
    raw_offset: u64,
    decoder: encoding_rs::Decoder,
    decoded_total: u64,
    input_done: bool,
    failure: Option<Error>,
    lines: Lines,
    max_input_bytes: u64,
}

impl<R: Read> Source<R> {
    fn refill(&mut self) -> std::io::Result<()> {
        if self.pending_at < self.pending.len() || self.input_done {
            return Ok(());
        }
        self.pending.clear();
        self.pending_at = 0;
        self.pending.resize(16 * 1024, 0);
        let n = self.input.read(&mut self.pending)?;
        self.pending.truncate(n);
        self.input_done = n == 0;
        Ok(())
    }

    fn stop(&mut self, error: Error) -> std::io::Error {
        self.failure = Some(error);
        std::io::Error::new(std::io::ErrorKind::InvalidData, "kohi: input refused")
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.failure.is_some() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "kohi: input refused"));
        }
        loop {
            self.refill()?;
            let raw = &self.pending[self.pending_at..];
            if self.raw_offset + raw.len() as u64 > self.max_input_bytes {
                let size = (self.raw_offset + raw.len() as u64) as usize;
                return Err(self.stop(Error::InputTooLarge { size, limit: self.max_input_bytes as usize }));
            }
            // Leave room: one input byte may become up to three output bytes.
            let room = out.len().saturating_sub(8);
            if room == 0 {
                return Ok(0);
            }
            let (result, read, written) =
                self.decoder.decode_to_utf8_without_replacement(raw, &mut out[..room], self.input_done);
            let encoding = self.decoder.encoding().name();
            if let encoding_rs::DecoderResult::Malformed(bad, after) = result {
                let offset = (self.raw_offset + read as u64 - u64::from(bad) - u64::from(after)) as usize;
                let encoding = if encoding == "UTF-8" { "UTF-8" } else { "Shift_JIS" };
                return Err(self.stop(Error::InvalidEncoding { encoding, offset }));
            }
            self.pending_at += read;
            self.raw_offset += read as u64;
            let decoded = &out[..written];
            if let Some(i) = crate::decode::forbidden_at(decoded) {
                self.lines.record(&decoded[..i]);
                let (line, column) = self.lines.line_column(self.decoded_total + i as u64);
                return Err(self.stop(Error::MalformedXml { line, column, reason: MalformedReason::InvalidCharacter }));
            }
            self.lines.record(decoded);
            self.decoded_total += written as u64;
            if written > 0 || (self.input_done && self.pending_at >= self.pending.len()) {
                return Ok(written);
            }
        }
    }
}
