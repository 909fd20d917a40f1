//! `authtrail export --query Q`: every event of the local log that matches a query, written as
//! NDJSON (the stored OCSF bytes), CSV or Elastic Common Schema documents, to a file or standard
//! output; with `--evidence FILE`, an evidence set (`authtrail-evidence-set/v1`) proving every
//! exported entry against the one signed checkpoint the export read up to.
//!
//! Files appear under their names only once complete: each is written beside its target and
//! renamed at the end, so a failed export leaves no partial file behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use authtrail_ledger::evidence_set::{write_evidence_set, SetEntry};
use authtrail_model::ecs::entry_to_ecs;
use authtrail_store::search::Hit;
use authtrail_store::{LogReader, SignedCheckpoint};

use crate::cli::ExportFormat;
use crate::commands::results::{for_each_hit, parse_query, CsvOut};
use crate::exit::USAGE;

/// What `export` was asked for.
pub struct ExportArgs<'a> {
    /// The data directory.
    pub data: &'a Path,
    /// The query text (docs/QUERY.md), without a pipe.
    pub query: &'a str,
    /// The output form.
    pub format: ExportFormat,
    /// Output file; standard output if `None`.
    pub out: Option<&'a Path>,
    /// Where to write the evidence set, if wanted.
    pub evidence: Option<&'a Path>,
}

/// Export the events matching the query, and their evidence set if asked.
pub fn run(args: ExportArgs<'_>) -> Result<ExitCode> {
    let query = match parse_query(args.query) {
        Ok(q) => q,
        Err(code) => return Ok(code),
    };
    if query.pipe.is_some() {
        eprintln!(
            "error: export writes events, and a query with a pipe (`| count by`, `| top`) gives \
             rows: drop the pipe, or use `authtrail query` for the rows"
        );
        return Ok(ExitCode::from(USAGE));
    }
    if let (Some(out), Some(evidence)) = (args.out, args.evidence) {
        if out == evidence {
            eprintln!("error: --out and --evidence name the same file");
            return Ok(ExitCode::from(USAGE));
        }
    }
    let reader = LogReader::open(args.data)
        .with_context(|| format!("opening the log in {}", args.data.display()))?;
    let signed = reader.checkpoint().clone();
    let size = signed.checkpoint.size;
    let search = reader.search();

    let dest = match args.out {
        Some(path) => Dest::File(PartialFile::create(path)?),
        None => Dest::Stdout(std::io::stdout()),
    };
    let mut events = Events::new(args.format, dest)?;
    let mut seqs = Vec::new();
    let scanned_to = for_each_hit(search.as_ref(), &query, None, |hit| {
        if hit.seq >= size {
            bail!(
                "the search returned entry {} beyond the checkpoint's {size} entries",
                hit.seq
            );
        }
        events.event(&reader, hit)?;
        seqs.push(hit.seq);
        Ok(())
    })?;
    let dest = events.finish()?;

    let mut proven = None;
    if let Some(path) = args.evidence {
        proven = Some(write_evidence(
            &reader,
            &signed,
            &query.to_string(),
            &seqs,
            path,
        )?);
    }
    dest.commit()?;

    let to = args
        .out
        .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
    let format = match args.format {
        ExportFormat::Ndjson => "ndjson",
        ExportFormat::Csv => "csv",
        ExportFormat::Ecs => "ecs",
    };
    let mut summary = format!(
        "exported {} events ({format}) to {to}, covering the log up to its signed checkpoint of size {size}",
        seqs.len()
    );
    if scanned_to < size {
        summary.push_str(&format!(" (the search covered entries below {scanned_to})"));
    }
    if let (Some(n), Some(path)) = (proven, args.evidence) {
        summary.push_str(&format!(
            "; evidence set for {n} entries against checkpoint size {size} written to {}",
            path.display()
        ));
    }
    eprintln!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// Write the evidence set of entries `seqs` against `signed` to `path`; returns how many
/// entries it holds.
fn write_evidence(
    reader: &LogReader,
    signed: &SignedCheckpoint,
    query: &str,
    seqs: &[u64],
    path: &Path,
) -> Result<u64> {
    let size = signed.checkpoint.size;
    let mut file = PartialFile::create(path)?;
    let mut failure = None;
    // Entries are read one at a time as the set is written, so it never sits in memory whole.
    let entries = seqs
        .iter()
        .map_while(|&seq| match set_entry(reader, signed, seq) {
            Ok(entry) => Some(entry),
            Err(e) => {
                failure = Some(e);
                None
            }
        });
    let written = write_evidence_set(&mut file, size, query, &signed.note, entries);
    if let Some(e) = failure {
        return Err(e);
    }
    let written = written.with_context(|| format!("writing {}", path.display()))?;
    file.commit()?;
    Ok(written)
}

/// Entry `seq` with its bodies and its inclusion proof against the checkpoint.
fn set_entry(reader: &LogReader, signed: &SignedCheckpoint, seq: u64) -> Result<SetEntry> {
    let size = signed.checkpoint.size;
    let entry = reader
        .entry(seq)
        .with_context(|| format!("reading entry {seq}"))?;
    let (proof, root) = reader
        .inclusion_proof(seq, size)
        .with_context(|| format!("proving entry {seq}"))?;
    if root != signed.checkpoint.root {
        bail!(
            "the log's stored hashes give another root than its signed checkpoint of size {size}; \
             run `authtrail verify`"
        );
    }
    Ok(SetEntry {
        seq,
        header: entry.header_bytes,
        salt: Some(entry.body.salt),
        event: Some(entry.body.event),
        raw: Some(entry.body.raw),
        inclusion_proof: proof,
    })
}

/// The events in the chosen form.
enum Events {
    /// One JSON line per event: the stored OCSF bytes, or an ECS document.
    Lines(ExportFormat, BufWriter<Dest>),
    /// CSV rows under a header line (boxed: the CSV writer carries its own buffers).
    Csv(Box<CsvOut<Dest>>),
}

impl Events {
    fn new(format: ExportFormat, dest: Dest) -> Result<Self> {
        Ok(match format {
            ExportFormat::Csv => {
                let mut csv = CsvOut::new(dest);
                // A header even when nothing matches: the file still says what it would hold.
                csv.header()?;
                Events::Csv(Box::new(csv))
            }
            lines => Events::Lines(lines, BufWriter::new(dest)),
        })
    }

    /// One matching event.
    fn event(&mut self, reader: &LogReader, hit: &Hit) -> Result<()> {
        match self {
            Events::Lines(ExportFormat::Ecs, out) => {
                writeln!(out, "{}", entry_to_ecs(hit.seq, &hit.source, &hit.event))?;
            }
            Events::Lines(_, out) => {
                let stored = reader
                    .entry(hit.seq)
                    .with_context(|| format!("reading entry {}", hit.seq))?
                    .body
                    .event;
                // The stored bytes are compact JSON; anything else is written re-encoded.
                if !stored.is_empty() && !stored.contains(&b'\n') {
                    out.write_all(&stored)?;
                    out.write_all(b"\n")?;
                } else {
                    writeln!(out, "{}", hit.event)?;
                }
            }
            Events::Csv(csv) => csv.event(hit.seq, &hit.source, &hit.event)?,
        }
        Ok(())
    }

    /// Flush everything and give back the destination.
    fn finish(self) -> Result<Dest> {
        match self {
            Events::Lines(_, out) => out
                .into_inner()
                .map_err(|e| anyhow::Error::new(e.into_error()).context("writing the export")),
            Events::Csv(csv) => csv.finish(),
        }
    }
}

/// Where the events go.
enum Dest {
    /// Standard output.
    Stdout(std::io::Stdout),
    /// A file, complete only once committed.
    File(PartialFile),
}

impl Dest {
    /// Flush, and put a file in place.
    fn commit(self) -> Result<()> {
        match self {
            Dest::Stdout(mut out) => out.flush().context("writing to standard output"),
            Dest::File(file) => file.commit(),
        }
    }
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Dest::Stdout(out) => out.write(buf),
            Dest::File(file) => file.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Dest::Stdout(out) => out.flush(),
            Dest::File(file) => file.flush(),
        }
    }
}

/// A file written under a temporary name beside its target, renamed into place by
/// [`PartialFile::commit`] and removed if dropped before.
struct PartialFile {
    writer: Option<BufWriter<File>>,
    temp: PathBuf,
    path: PathBuf,
}

impl PartialFile {
    fn create(path: &Path) -> Result<Self> {
        let Some(name) = path.file_name() else {
            bail!("{} is not a file name", path.display());
        };
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".partial-{}", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file = File::create(&temp).with_context(|| format!("creating {}", path.display()))?;
        Ok(PartialFile {
            writer: Some(BufWriter::new(file)),
            temp,
            path: path.to_owned(),
        })
    }

    fn commit(mut self) -> Result<()> {
        let done = match self.writer.take() {
            Some(writer) => writer
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::rename(&self.temp, &self.path)),
            None => Ok(()),
        };
        if done.is_err() {
            let _ = std::fs::remove_file(&self.temp);
        }
        done.with_context(|| format!("writing {}", self.path.display()))
    }
}

impl Write for PartialFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.writer.as_mut() {
            Some(w) => w.write(buf),
            None => Err(std::io::Error::other("the file was already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            // Best effort: a failed export leaves no partial file behind.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
