//! File tailing: follow files (or glob patterns) as they grow, through rotation, with the read
//! offset kept durably beside the appended entries.
//!
//! Each batch of complete lines is appended (fsynced) first, then the file's state (identity,
//! offset, and the log size after the append) is written to a state file (fsynced, renamed into
//! place). A crash between the two leaves the state one batch behind; on restart the entries
//! appended after the recorded log size are compared with the file from the recorded offset, and
//! every line found already in the log is skipped. So a restart neither loses nor duplicates.
//!
//! Rotation: a file renamed away and replaced (a new inode at the path) is read to its end
//! through the handle still open, then the new file is followed from its start. A file that
//! shrinks below the offset (copytruncate) is read again from its start; lines written between
//! the last read and the truncation are lost, which is inherent to copytruncate. A final line
//! without its newline waits until it is completed.

use crate::received::now_ns;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use authtrail_store::EmbeddedLog;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::IngestError;
use crate::limits::Limits;
use crate::parse::ParseConfig;
use crate::pipeline::{InputFormat, Normalizer};

/// Most bytes read from a file per batch.
const READ_CHUNK: usize = 4 * 1024 * 1024;

/// Why tailing a file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TailError {
    /// Reading a file or writing the state.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The glob pattern is malformed.
    #[error("tail pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// Parsing a batch.
    #[error("{path}: {source}")]
    Ingest {
        /// The file.
        path: PathBuf,
        /// The error.
        source: IngestError,
    },
    /// Appending to the log.
    #[error("{path}: appending: {source}")]
    Append {
        /// The file.
        path: PathBuf,
        /// The error.
        source: authtrail_store::StoreError,
    },
}

/// What to follow and how to read it.
#[derive(Clone, Debug)]
pub struct TailConfig {
    /// A path or glob pattern (`/var/log/auth.log`, `/var/log/nginx/*.log`).
    pub pattern: String,
    /// Input format of the files.
    pub format: InputFormat,
    /// Source name on the entries.
    pub source: String,
    /// Files seen for the first time are read from their end rather than their start.
    pub start_at_end: bool,
    /// How often files are checked for new data.
    pub poll_interval: Duration,
}

/// Where tailed lines go.
#[derive(Clone)]
pub struct TailSink {
    /// The log.
    pub log: Arc<EmbeddedLog>,
    /// Parser settings.
    pub parse: Arc<ParseConfig>,
    /// Limits (the line limit).
    pub limits: Limits,
    /// Directory of the per-file state files.
    pub state_dir: PathBuf,
}

/// The durable state of one followed file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SavedState {
    path: PathBuf,
    dev: u64,
    ino: u64,
    offset: u64,
    /// Log size right after the last batch from this file was appended.
    log_size: u64,
}

/// One file being followed.
struct Followed {
    file: File,
    dev: u64,
    ino: u64,
    offset: u64,
    normalizer: Normalizer,
    /// Discarding the rest of a line longer than a read chunk.
    skipping_long_line: bool,
}

/// Follows the files of one [`TailConfig`].
pub struct Tail {
    config: TailConfig,
    sink: TailSink,
    files: BTreeMap<PathBuf, Followed>,
}

impl Tail {
    /// A tail that has not looked at any file yet.
    pub fn new(config: TailConfig, sink: TailSink) -> Result<Self, TailError> {
        glob::Pattern::new(&config.pattern).map_err(|e| TailError::Pattern {
            pattern: config.pattern.clone(),
            message: e.to_string(),
        })?;
        std::fs::create_dir_all(&sink.state_dir).map_err(|source| TailError::Io {
            path: sink.state_dir.clone(),
            source,
        })?;
        Ok(Tail {
            config,
            sink,
            files: BTreeMap::new(),
        })
    }

    /// Check every file once: pick up new files, handle rotation, append new lines. Returns the
    /// number of entries appended.
    pub fn poll_once(&mut self) -> Result<usize, TailError> {
        let paths = glob::glob(&self.config.pattern).map_err(|e| TailError::Pattern {
            pattern: self.config.pattern.clone(),
            message: e.to_string(),
        })?;
        for path in paths.flatten() {
            if !self.files.contains_key(&path) && path.is_file() {
                let followed = self.open(&path)?;
                self.files.insert(path, followed);
            }
        }
        let mut appended = 0;
        let paths: Vec<PathBuf> = self.files.keys().cloned().collect();
        for path in paths {
            appended += self.poll_file(&path)?;
        }
        Ok(appended)
    }

    /// Run until `stop` is set, polling at the configured interval; errors are logged and retried.
    pub fn run(mut self, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::Relaxed) {
            if let Err(e) = self.poll_once() {
                tracing::error!(pattern = %self.config.pattern, error = %e, "tailing failed; retrying");
            }
            std::thread::sleep(self.config.poll_interval);
        }
    }

    /// Start following `path`: from its saved state (reconciled with the log), or afresh.
    fn open(&self, path: &Path) -> Result<Followed, TailError> {
        let io = |source| TailError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        let saved = self.load_state(path)?;
        let offset = match saved {
            Some(s) if s.dev == meta.dev() && s.ino == meta.ino() && s.offset <= meta.len() => {
                self.reconcile(&file, &s)?
            }
            Some(s) => {
                tracing::warn!(
                    path = %path.display(),
                    saved_offset = s.offset,
                    "file was replaced or truncated while authtrail was not running; reading it from the start"
                );
                0
            }
            None if self.config.start_at_end => meta.len(),
            None => 0,
        };
        Ok(self.followed(file, &meta, offset))
    }

    /// A followed file read from `offset`, with a fresh normalizer.
    fn followed(&self, file: File, meta: &std::fs::Metadata, offset: u64) -> Followed {
        Followed {
            file,
            dev: meta.dev(),
            ino: meta.ino(),
            offset,
            normalizer: Normalizer::new(self.config.format, self.sink.parse.clone()),
            skipping_long_line: false,
        }
    }

    /// The offset after every line of the file that the log already holds: entries of this
    /// source appended after the saved log size are matched, in order, against the file's lines
    /// from the saved offset.
    fn reconcile(&self, file: &File, saved: &SavedState) -> Result<u64, TailError> {
        let io = |source| TailError::Io {
            path: saved.path.clone(),
            source,
        };
        let log = &self.sink.log;
        let end = log.size();
        if end <= saved.log_size {
            return Ok(saved.offset);
        }
        let mut reader = file.try_clone().map_err(io)?;
        reader.seek(SeekFrom::Start(saved.offset)).map_err(io)?;
        let mut rest = Vec::new();
        reader
            .take(READ_CHUNK as u64 * 4)
            .read_to_end(&mut rest)
            .map_err(io)?;
        let mut at = 0usize;
        for seq in saved.log_size..end {
            let Ok(entry) = log.entry(seq) else { continue };
            if entry.header.source != self.config.source {
                continue;
            }
            // Blank lines are never records.
            while let Some(line_end) = rest[at..].iter().position(|&b| b == b'\n') {
                if rest[at..at + line_end].iter().all(u8::is_ascii_whitespace) {
                    at += line_end + 1;
                } else {
                    break;
                }
            }
            let raw = &entry.body.raw;
            if !raw.is_empty() && rest[at..].starts_with(raw) {
                let after = at + raw.len();
                match rest[after..].iter().position(|&b| b == b'\n') {
                    Some(nl) => at = after + nl + 1,
                    None => break,
                }
            }
        }
        if at > 0 {
            tracing::info!(
                path = %saved.path.display(),
                bytes = at,
                "lines appended before a crash were found in the log; skipping them"
            );
        }
        Ok(saved.offset + at as u64)
    }

    /// Read what is new in one file (after rotation checks) and append it.
    fn poll_file(&mut self, path: &Path) -> Result<usize, TailError> {
        let current = std::fs::metadata(path).ok();
        let Some(followed) = self.files.get(path) else {
            return Ok(0);
        };
        let (dev, ino) = (followed.dev, followed.ino);
        let mut appended = 0;
        let replaced = current
            .as_ref()
            .is_some_and(|m| (m.dev(), m.ino()) != (dev, ino));
        if replaced || current.is_none() {
            // Renamed away (maybe replaced): finish the old file through the open handle.
            appended += self.read_new(path)?;
            if replaced {
                tracing::info!(path = %path.display(), "file rotated; following the new one");
                let mut fresh = self.open_fresh(path)?;
                if let Some(old) = self.files.get(path) {
                    fresh.normalizer = old.normalizer.clone();
                }
                self.files.insert(path.to_path_buf(), fresh);
                appended += self.read_new(path)?;
            }
            return Ok(appended);
        }
        let len = current.map_or(0, |m| m.len());
        if let Some(f) = self.files.get_mut(path) {
            if len < f.offset {
                tracing::warn!(
                    path = %path.display(),
                    offset = f.offset,
                    len,
                    "file shrank (copytruncate rotation); reading it from the start"
                );
                f.offset = 0;
                f.skipping_long_line = false;
            }
        }
        appended += self.read_new(path)?;
        Ok(appended)
    }

    /// A followed file for a path seen after rotation: from its start, with no saved state.
    fn open_fresh(&self, path: &Path) -> Result<Followed, TailError> {
        let io = |source| TailError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        Ok(self.followed(file, &meta, 0))
    }

    /// Append the complete lines after the offset, batch by batch; save the state after each.
    fn read_new(&mut self, path: &Path) -> Result<usize, TailError> {
        let mut appended = 0;
        loop {
            let Some(f) = self.files.get_mut(path) else {
                return Ok(appended);
            };
            let io = |source| TailError::Io {
                path: path.to_path_buf(),
                source,
            };
            f.file.seek(SeekFrom::Start(f.offset)).map_err(io)?;
            let mut buf = Vec::with_capacity(64 * 1024);
            (&mut f.file)
                .take(READ_CHUNK as u64)
                .read_to_end(&mut buf)
                .map_err(io)?;
            if buf.is_empty() {
                return Ok(appended);
            }
            let mut start = 0;
            if f.skipping_long_line {
                match buf.iter().position(|&b| b == b'\n') {
                    Some(nl) => {
                        start = nl + 1;
                        f.skipping_long_line = false;
                    }
                    None => {
                        f.offset += buf.len() as u64;
                        continue;
                    }
                }
            }
            let end = match buf[start..].iter().rposition(|&b| b == b'\n') {
                Some(nl) => start + nl + 1,
                // A line longer than a whole chunk: keep its start (cut to the line limit)
                // and skip the rest of it.
                None if buf.len() == READ_CHUNK => {
                    f.skipping_long_line = true;
                    buf.len()
                }
                // An incomplete last line: wait for the rest.
                None => {
                    f.offset += start as u64;
                    return Ok(appended);
                }
            };
            let body = &buf[start..end];
            let batch =
                match f
                    .normalizer
                    .prepare(body, &self.config.source, now_ns(), &self.sink.limits)
                {
                    Ok(batch) => Some(batch),
                    Err(IngestError::Empty) => None,
                    Err(source) => {
                        return Err(TailError::Ingest {
                            path: path.to_path_buf(),
                            source,
                        })
                    }
                };
            if let Some(batch) = batch {
                appended += batch.entries.len();
                self.sink
                    .log
                    .append(batch.entries)
                    .map_err(|source| TailError::Append {
                        path: path.to_path_buf(),
                        source,
                    })?;
                crate::telemetry::record_appended(&self.config.source, &batch.summary);
            }
            f.offset += end as u64;
            let state = SavedState {
                path: path.to_path_buf(),
                dev: f.dev,
                ino: f.ino,
                offset: f.offset,
                log_size: self.sink.log.size(),
            };
            self.save_state(&state)?;
        }
    }

    fn state_path(&self, path: &Path) -> PathBuf {
        let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
        self.sink
            .state_dir
            .join(format!("{}.json", hex::encode(&digest[..16])))
    }

    fn load_state(&self, path: &Path) -> Result<Option<SavedState>, TailError> {
        let file = self.state_path(path);
        match std::fs::read(&file) {
            Ok(bytes) => match serde_json::from_slice::<SavedState>(&bytes) {
                Ok(state) if state.path == path => Ok(Some(state)),
                Ok(_) => Ok(None),
                Err(e) => {
                    tracing::warn!(state = %file.display(), error = %e, "unreadable tail state; reading the file from the start");
                    Ok(None)
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TailError::Io { path: file, source }),
        }
    }

    /// Write the state durably: a temporary file, fsynced, renamed over the old one, dir fsynced.
    fn save_state(&self, state: &SavedState) -> Result<(), TailError> {
        let target = self.state_path(&state.path);
        let tmp = target.with_extension("json.tmp");
        let io = |source| TailError::Io {
            path: target.clone(),
            source,
        };
        let bytes = serde_json::to_vec(state).map_err(|e| io(std::io::Error::other(e)))?;
        let mut f = File::create(&tmp).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &target).map_err(io)?;
        File::open(&self.sink.state_dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        Ok(())
    }
}
