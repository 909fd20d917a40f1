//! File tailing against a real embedded log in a temporary directory: growth, partial lines,
//! rotation by rename and by copytruncate, restarts, and a crash between append and state save.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use authtrail_ingest::sources::tail::{Tail, TailConfig, TailSink};
use authtrail_ingest::{InputFormat, Limits, ParseConfig};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions};

struct Setup {
    dir: tempfile::TempDir,
    log: Arc<EmbeddedLog>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    keys::init(&Layout::new(&data), "tail.test/log").expect("init");
    let log = Arc::new(EmbeddedLog::open(&data, LogOptions::default()).expect("open"));
    Setup { dir, log }
}

impl Setup {
    fn logfile(&self) -> PathBuf {
        self.dir.path().join("auth.log")
    }

    fn tail(&self, pattern: &Path, start_at_end: bool) -> Tail {
        Tail::new(
            TailConfig {
                pattern: pattern.display().to_string(),
                format: InputFormat::Syslog,
                source: "authlog".into(),
                start_at_end,
                poll_interval: Duration::from_millis(10),
            },
            TailSink {
                log: self.log.clone(),
                parse: Arc::new(ParseConfig::default()),
                limits: Limits::default(),
                state_dir: self.dir.path().join("data/sources/tail"),
            },
        )
        .expect("tail")
    }

    /// The raw lines in the log, in order.
    fn raws(&self) -> Vec<String> {
        (0..self.log.size())
            .map(|seq| {
                let e = self.log.entry(seq).expect("entry");
                assert_eq!(e.header.source, "authlog");
                String::from_utf8(e.body.raw).expect("utf8")
            })
            .collect()
    }
}

fn line(n: usize) -> String {
    format!(
        "Dec 10 06:55:{:02} host sshd[{n}]: Invalid user u{n} from 10.0.0.{n}",
        n % 60
    )
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("write");
}

fn lines(range: std::ops::Range<usize>) -> String {
    range.map(|n| line(n) + "\n").collect()
}

fn expected(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(line).collect()
}

#[test]
fn growth_and_partial_lines() {
    let s = setup();
    let path = s.logfile();
    append(&path, &lines(0..3));
    let mut tail = s.tail(&path, false);
    assert_eq!(tail.poll_once().unwrap(), 3);
    assert_eq!(tail.poll_once().unwrap(), 0);
    // A line without its newline waits.
    append(&path, &(lines(3..5) + &line(5)[..20]));
    assert_eq!(tail.poll_once().unwrap(), 2);
    append(&path, &(line(5)[20..].to_string() + "\n"));
    assert_eq!(tail.poll_once().unwrap(), 1);
    assert_eq!(s.raws(), expected(0..6));
}

#[test]
fn rename_and_create_rotation_reads_the_old_file_to_its_end() {
    let s = setup();
    let path = s.logfile();
    append(&path, &lines(0..2));
    let mut tail = s.tail(&path, false);
    assert_eq!(tail.poll_once().unwrap(), 2);
    // The old file gets one more line after our read, then is rotated away.
    append(&path, &lines(2..3));
    std::fs::rename(&path, s.dir.path().join("auth.log.1")).unwrap();
    append(&path, &lines(3..5));
    assert_eq!(tail.poll_once().unwrap(), 3);
    assert_eq!(s.raws(), expected(0..5));
}

#[test]
fn a_file_that_shrinks_is_read_again_from_its_start() {
    let s = setup();
    let path = s.logfile();
    append(&path, &lines(0..4));
    let mut tail = s.tail(&path, false);
    assert_eq!(tail.poll_once().unwrap(), 4);
    // copytruncate: the file is emptied in place and written again.
    std::fs::File::create(&path).unwrap();
    append(&path, &lines(10..12));
    assert_eq!(tail.poll_once().unwrap(), 2);
    let mut want = expected(0..4);
    want.extend(expected(10..12));
    assert_eq!(s.raws(), want);
}

#[test]
fn a_restart_neither_loses_nor_duplicates() {
    let s = setup();
    let path = s.logfile();
    append(&path, &lines(0..3));
    assert_eq!(s.tail(&path, false).poll_once().unwrap(), 3);
    append(&path, &lines(3..6));
    // A new Tail (as after a restart) picks up where the state file says.
    assert_eq!(s.tail(&path, false).poll_once().unwrap(), 3);
    assert_eq!(s.raws(), expected(0..6));
}

#[test]
fn a_crash_between_append_and_state_save_does_not_duplicate() {
    let s = setup();
    let path = s.logfile();
    append(&path, &lines(0..3));
    let state_dir = s.dir.path().join("data/sources/tail");
    assert_eq!(s.tail(&path, false).poll_once().unwrap(), 3);
    let saved: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&state_dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    assert_eq!(saved.len(), 1);
    // Two more batches are appended and saved; then the state is put back to before them,
    // as if the process died after appending but before saving.
    append(&path, &(String::from("\n  \n") + &lines(3..5)));
    assert_eq!(s.tail(&path, false).poll_once().unwrap(), 2);
    append(&path, &lines(5..6));
    assert_eq!(s.tail(&path, false).poll_once().unwrap(), 1);
    for (p, bytes) in &saved {
        std::fs::write(p, bytes).unwrap();
    }
    append(&path, &lines(6..8));
    assert_eq!(s.tail(&path, false).poll_once().unwrap(), 2);
    assert_eq!(s.raws(), expected(0..8));
}

#[test]
fn new_files_can_start_at_their_end_and_globs_pick_up_new_files() {
    let s = setup();
    let old = s.dir.path().join("a.log");
    append(&old, &lines(0..3));
    let pattern = s.dir.path().join("*.log");
    let mut tail = s.tail(&pattern, true);
    assert_eq!(tail.poll_once().unwrap(), 0);
    append(&old, &lines(3..4));
    assert_eq!(tail.poll_once().unwrap(), 1);
    assert_eq!(s.raws(), expected(3..4));
    // A file that appears later matches the pattern; it too starts at its end when first seen,
    // so write to it after it is seen.
    let new = s.dir.path().join("b.log");
    append(&new, "");
    assert_eq!(tail.poll_once().unwrap(), 0);
    append(&new, &lines(4..5));
    assert_eq!(tail.poll_once().unwrap(), 1);
    assert_eq!(s.raws(), expected(3..5));
}

#[test]
fn a_bad_pattern_is_refused() {
    let s = setup();
    let err = Tail::new(
        TailConfig {
            pattern: "/var/log/[".into(),
            format: InputFormat::Syslog,
            source: "x".into(),
            start_at_end: false,
            poll_interval: Duration::from_millis(10),
        },
        TailSink {
            log: s.log.clone(),
            parse: Arc::new(ParseConfig::default()),
            limits: Limits::default(),
            state_dir: s.dir.path().join("st"),
        },
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("/var/log/["), "{err}");
}
