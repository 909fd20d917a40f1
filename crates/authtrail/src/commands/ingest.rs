//! `authtrail ingest`: append files through the same pipeline as the server.
//!
//! OCSF JSON input is all or nothing: every file is read and validated before anything is
//! appended. A file in another format that is one JSON document (an array, a CloudTrail
//! `{"Records": [...]}` file, pretty-printed records) is read and appended whole, file by file.
//! Text input (syslog, audit, access logs) is streamed: each file is read in chunks cut at line
//! boundaries, one thread parses while another appends (each chunk is fsynced before the next
//! is counted), so files of any size go through in bounded memory. A text line never rejects a
//! batch: what no parser understands is stored as unparsed and counted.

use authtrail_ingest::received::now_ns;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use authtrail_ingest::parse::auditd::audit_id;
use authtrail_ingest::pipeline::Message;
use authtrail_ingest::{BatchSummary, InputFormat, Limits, Normalizer, ParseConfig, PreparedBatch};
use authtrail_store::{EmbeddedLog, LogOptions, StoreError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::data_dir::ensure_initialized;
use crate::detection::{print_summary, DetectOptions, Detection};

/// Bytes looked at to tell a JSON document from lines.
const DOCUMENT_PEEK: usize = 64;

/// Bytes of text parsed and appended as one batch.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// What `ingest` was asked to do.
pub struct IngestArgs<'a> {
    /// Data directory.
    pub data: &'a Path,
    /// Input format name.
    pub format: &'a str,
    /// Source name for the entries.
    pub source: &'a str,
    /// Files (`-` for standard input).
    pub files: &'a [PathBuf],
    /// Parser settings.
    pub parse_config: ParseConfig,
    /// Longest text line kept whole.
    pub max_line_bytes: Option<usize>,
    /// Detection over what is appended (and anything in the log not yet observed), or none.
    pub detect: Option<DetectOptions>,
    /// Where alerts are queued for `serve` to deliver.
    pub outputs: authtrail_detect::output::OutputsConfig,
}

/// Ingest the files; print what they held.
pub fn run(args: IngestArgs<'_>) -> Result<ExitCode> {
    let format = InputFormat::parse(args.format)?;
    let defaults = Limits::default();
    let limits = Limits {
        max_body_bytes: usize::MAX,
        max_events_per_batch: usize::MAX,
        max_line_bytes: args.max_line_bytes.unwrap_or(defaults.max_line_bytes),
        ..defaults
    };
    let config = Arc::new(args.parse_config);
    let started = Instant::now();
    if format == InputFormat::Json {
        // Validate everything before writing anything.
        let mut batches = Vec::new();
        for file in args.files {
            let name = display_name(file);
            let bytes = read_all(file).with_context(|| format!("reading {name}"))?;
            let batch = Normalizer::new(format, config.clone())
                .prepare(&bytes, args.source, now_ns(), &limits)
                .with_context(|| name.clone())?;
            batches.push((name, batch));
        }
        let log = open_log(args.data)?;
        let detection = start_detection(&args.detect, args.data, &args.outputs, &log)?;
        let mut total = Totals::default();
        for (name, batch) in batches {
            let summary = batch.summary.clone();
            let range = append(&log, batch).with_context(|| format!("appending {name}"))?;
            total.file_done(&name, &summary, range);
        }
        return total.finish(&log, detection, started);
    }
    let log = open_log(args.data)?;
    let detection = start_detection(&args.detect, args.data, &args.outputs, &log)?;
    let total_bytes: u64 = args
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let progress = ProgressBar::new(total_bytes);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut total = Totals::default();
    for file in args.files {
        let name = display_name(file);
        let (summary, range) =
            stream_file(file, format, args.source, &config, &limits, &log, &progress)
                .with_context(|| name.clone())?;
        total.file_done(&name, &summary, range);
    }
    progress.finish_and_clear();
    total.finish(&log, detection, started)
}

/// The detector over the log, before anything is appended (so a bad rule file writes nothing).
fn start_detection(
    detect: &Option<DetectOptions>,
    data: &Path,
    outputs: &authtrail_detect::output::OutputsConfig,
    log: &Arc<EmbeddedLog>,
) -> Result<Option<Detection>> {
    detect
        .as_ref()
        .map(|d| d.start(d.load()?, log, data, outputs, false))
        .transpose()
}

/// Parse and append one text file chunk by chunk: a parsing thread feeds the appending one.
fn stream_file(
    file: &Path,
    format: InputFormat,
    source: &str,
    config: &Arc<ParseConfig>,
    limits: &Limits,
    log: &EmbeddedLog,
    progress: &ProgressBar,
) -> Result<(BatchSummary, std::ops::Range<u64>)> {
    let mut input: Box<dyn Read + Send> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(file).context("opening")?)
    };
    // JSON documents (arrays, `{"Records": [...]}` files, pretty-printed records) cannot be cut
    // at newlines: such a file is read and appended whole.
    let mut start = Vec::new();
    (&mut input)
        .take(DOCUMENT_PEEK as u64)
        .read_to_end(&mut start)
        .context("reading")?;
    let mut input: Box<dyn Read + Send> =
        Box::new(std::io::Cursor::new(start.clone()).chain(input));
    if Normalizer::new(format, config.clone()).reads_as_document(&start) {
        let mut body = Vec::new();
        input.read_to_end(&mut body).context("reading")?;
        let batch =
            Normalizer::new(format, config.clone()).prepare(&body, source, now_ns(), limits)?;
        let summary = batch.summary.clone();
        let range = append(log, batch)?;
        progress.inc(body.len() as u64);
        return Ok((summary, range));
    }
    let (tx, rx) = sync_channel::<(PreparedBatch, u64)>(2);
    let source = source.to_string();
    let config = config.clone();
    let limits = *limits;
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || -> Result<()> {
            let mut normalizer = Normalizer::new(format, config);
            let mut chunks = Chunker::new(format, limits.max_line_bytes);
            // Lines before the current chunk, so reasons name lines of the whole file.
            let mut lines_before = 0usize;
            while let Some(chunk) = chunks.next(&mut input)? {
                let (prepared, bytes, lines) = match &chunk {
                    Chunk::Lines(body) => (
                        normalizer.prepare(body, &source, now_ns(), &limits),
                        body.len(),
                        body.iter().filter(|&&b| b == b'\n').count(),
                    ),
                    Chunk::LongLine(message) => (
                        normalizer.prepare_messages(
                            std::slice::from_ref(message),
                            &source,
                            now_ns(),
                            &limits,
                        ),
                        message.original_len + 1,
                        1,
                    ),
                };
                let mut batch = match prepared {
                    Ok(batch) => batch,
                    Err(authtrail_ingest::IngestError::Empty) => {
                        lines_before += lines;
                        continue;
                    }
                    Err(e) => return Err(e).context(format!("after line {lines_before}")),
                };
                for (line, _) in &mut batch.summary.unparsed_reasons {
                    *line += lines_before;
                }
                lines_before += lines;
                if tx.send((batch, bytes as u64)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut summary = BatchSummary::default();
        let mut first: Option<u64> = None;
        let mut end = log.size();
        let mut appended: Result<()> = Ok(());
        for (batch, bytes) in rx {
            summary.merge(&batch.summary);
            match append(log, batch) {
                Ok(range) => {
                    first.get_or_insert(range.start);
                    end = range.end;
                }
                Err(e) => {
                    appended = Err(e);
                    break;
                }
            }
            progress.inc(bytes);
            progress.set_message(format!("{} events", summary.events));
        }
        let parsed = parser
            .join()
            .map_err(|_| anyhow::anyhow!("the parsing thread panicked"))?;
        appended?;
        parsed?;
        Ok((summary, first.unwrap_or(end)..end))
    })
}

/// A piece of the input.
enum Chunk {
    /// Whole lines.
    Lines(Vec<u8>),
    /// One line longer than a chunk: its first bytes (up to the line limit) and its length.
    LongLine(Message),
}

/// Reads input in chunks of whole lines (and whole audit events).
struct Chunker {
    format: InputFormat,
    max_line: usize,
    carry: Vec<u8>,
    eof: bool,
}

impl Chunker {
    fn new(format: InputFormat, max_line: usize) -> Self {
        Chunker {
            format,
            max_line,
            carry: Vec::new(),
            eof: false,
        }
    }

    fn fill(&mut self, buf: &mut Vec<u8>, input: &mut dyn Read) -> Result<()> {
        while buf.len() < CHUNK_BYTES && !self.eof {
            let start = buf.len();
            buf.resize(CHUNK_BYTES.max(start + 64 * 1024), 0);
            let n = input.read(&mut buf[start..]).context("reading")?;
            buf.truncate(start + n);
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// The next chunk, or `None` at the end of input.
    fn next(&mut self, input: &mut dyn Read) -> Result<Option<Chunk>> {
        if self.eof && self.carry.is_empty() {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        self.fill(&mut buf, input)?;
        if self.eof {
            return Ok(Some(Chunk::Lines(buf)));
        }
        match self.cut_point(&buf) {
            Some(cut) => {
                self.carry = buf.split_off(cut);
                Ok(Some(Chunk::Lines(buf)))
            }
            None => self.long_line(buf, input).map(Some),
        }
    }

    /// A line longer than a chunk: keep its head, read and count the rest up to its newline.
    fn long_line(&mut self, mut buf: Vec<u8>, input: &mut dyn Read) -> Result<Chunk> {
        let mut len = buf.len();
        buf.truncate(self.max_line);
        let mut scratch = vec![0u8; 1024 * 1024];
        loop {
            let n = input.read(&mut scratch).context("reading")?;
            if n == 0 {
                self.eof = true;
                break;
            }
            if let Some(nl) = scratch[..n].iter().position(|&b| b == b'\n') {
                len += nl;
                self.carry = scratch[nl + 1..n].to_vec();
                break;
            }
            len += n;
        }
        if buf.last() == Some(&b'\r') && len == buf.len() {
            buf.pop();
        }
        Ok(Chunk::LongLine(Message {
            bytes: buf,
            original_len: len,
        }))
    }

    /// Where to end the chunk: after the last full line, not inside one audit event's records;
    /// `None` when the chunk holds no newline at all.
    fn cut_point(&self, buf: &[u8]) -> Option<usize> {
        let last_newline = buf.iter().rposition(|&b| b == b'\n')?;
        let mut cut = last_newline + 1;
        if matches!(self.format, InputFormat::Auditd | InputFormat::Auto) {
            let next_id = line_at(buf, cut).and_then(audit_id).map(<[u8]>::to_vec);
            while let Some(id) = &next_id {
                let Some(prev_start) = buf[..cut - 1].iter().rposition(|&b| b == b'\n') else {
                    break;
                };
                let prev = &buf[prev_start + 1..cut - 1];
                if audit_id(prev) != Some(id.as_slice()) {
                    break;
                }
                cut = prev_start + 1;
            }
        }
        Some(cut)
    }
}

/// The (possibly partial) line that starts at `at`.
fn line_at(buf: &[u8], at: usize) -> Option<&[u8]> {
    let rest = buf.get(at..)?;
    Some(&rest[..rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())])
}

/// Counts over all files, printed at the end.
#[derive(Default)]
struct Totals {
    summary: BatchSummary,
}

impl Totals {
    fn file_done(&mut self, name: &str, summary: &BatchSummary, range: std::ops::Range<u64>) {
        println!(
            "{name}: {} events (seqs {}..={}), {} unparsed{}",
            summary.events,
            range.start,
            range.end.saturating_sub(1),
            summary.unparsed,
            if summary.truncated > 0 {
                format!(
                    ", {} lines over the line limit stored cut",
                    summary.truncated
                )
            } else {
                String::new()
            }
        );
        for (line, reason) in &summary.unparsed_reasons {
            println!("  unparsed at line {line}: {reason}");
        }
        self.summary.merge(summary);
    }

    fn finish(
        self,
        log: &EmbeddedLog,
        detection: Option<Detection>,
        started: Instant,
    ) -> Result<ExitCode> {
        // Detection observes everything appended (and appends its alerts) before the log closes.
        let detected = detection.map(Detection::finish).transpose()?;
        let cp = log.close()?;
        let s = self.summary;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "total: {} events, {} unparsed, in {secs:.2}s ({:.0} events/s); log size {}",
            s.events,
            s.unparsed,
            s.events as f64 / secs.max(1e-9),
            cp.checkpoint.size
        );
        println!("by kind:");
        for (kind, n) in &s.by_kind {
            println!("  {kind}: {n}");
        }
        println!("by parser:");
        for (parser, n) in &s.by_parser {
            println!("  {parser}: {n}");
        }
        if let Some(summary) = &detected {
            print_summary(summary);
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn append(log: &EmbeddedLog, batch: PreparedBatch) -> Result<std::ops::Range<u64>> {
    Ok(log.append(batch.entries)?)
}

fn open_log(data: &Path) -> Result<Arc<EmbeddedLog>> {
    ensure_initialized(data, None)?;
    // No packing while ingesting: on a busy machine the packer took a fifth of the CPU of a
    // large ingest (and never caught up before the close stopped it anyway). Full segments stay
    // plain, as segments the packer had not reached did, until a `serve` packs them.
    let options = LogOptions {
        pack_bodies: false,
        ..LogOptions::default()
    };
    let log = EmbeddedLog::open(data, options).map_err(|e| match e {
        StoreError::Locked(_) => anyhow::anyhow!(
            "{e}: is `authtrail serve` running on it? POST to its /v1/events or /v1/raw instead"
        ),
        e => anyhow::Error::from(e),
    })?;
    Ok(Arc::new(log))
}

fn read_all(file: &Path) -> Result<Vec<u8>> {
    if file.as_os_str() != "-" {
        return Ok(std::fs::read(file)?);
    }
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    Ok(buf)
}

fn display_name(file: &Path) -> String {
    file.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(format: InputFormat, input: &[u8]) -> Vec<Vec<u8>> {
        let mut c = Chunker::new(format, 1000);
        let mut r: &[u8] = input;
        let mut out = Vec::new();
        while let Some(chunk) = c.next(&mut r).unwrap() {
            match chunk {
                Chunk::Lines(b) => out.push(b),
                Chunk::LongLine(m) => out.push(format!("LONG {}", m.original_len).into_bytes()),
            }
        }
        out
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_one_record_with_its_length() {
        let mut input = b"first\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', CHUNK_BYTES * 2 + 5));
        input.extend_from_slice(b"\nlast\n");
        let out = chunks(InputFormat::Syslog, &input);
        assert_eq!(
            out,
            vec![
                b"first\n".to_vec(),
                format!("LONG {}", CHUNK_BYTES * 2 + 5).into_bytes(),
                b"last\n".to_vec()
            ]
        );
    }

    #[test]
    fn chunks_end_on_line_boundaries_and_keep_every_byte() {
        let line = b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 1.2.3.4\n";
        let input: Vec<u8> = line.repeat(CHUNK_BYTES / line.len() * 2 + 7);
        let out = chunks(InputFormat::Syslog, &input);
        assert!(out.len() >= 2);
        assert!(out[..out.len() - 1].iter().all(|c| c.ends_with(b"\n")));
        assert_eq!(out.concat(), input);
    }

    #[test]
    fn chunks_do_not_split_an_audit_event() {
        let mut c = Chunker::new(InputFormat::Auditd, 1000);
        let buf = b"type=A msg=audit(1.0:1): x\ntype=B msg=audit(1.0:2): y\ntype=C msg=audit(1.0:2): z\ntype=D msg=audit(1.0:2): w";
        // The last full line ends before record D, which shares event 2 with B and C.
        assert_eq!(c.cut_point(buf), Some(27));
        c.format = InputFormat::Syslog;
        assert_eq!(
            c.cut_point(buf),
            Some(buf.len() - b"type=D msg=audit(1.0:2): w".len())
        );
    }
}
