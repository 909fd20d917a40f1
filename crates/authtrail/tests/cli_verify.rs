//! `authtrail verify` through the CLI on real data directories built by `authtrail ingest`: a
//! clean log, then each kind of damage on its own fresh copy, named with the first bad seq.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{
    body_location, copy_dir, crc32, events, expect_code, fix_slot_crc, headers_path, init, ndjson,
    read, run, run_in, Server, SLOT_SIZE,
};

/// A data directory of 600 entries built by two `ingest` runs of 300, with the checkpoint
/// printed after the first.
struct Fixture {
    dir: PathBuf,
    vkey: String,
    /// `authtrail checkpoint` output at 300 entries (a file).
    trusted300: PathBuf,
    /// `authtrail checkpoint` output at 600 entries.
    checkpoint600: String,
}

/// Ingest `n` fresh events tagged `tag` into `dir`; expects success.
fn ingest(dir: &Path, scratch: &Path, tag: &str, n: usize) {
    let file = scratch.join(format!("{tag}.ndjson"));
    std::fs::write(&file, ndjson(&events(tag, n))).expect("write input");
    let out = run_in(
        dir,
        &[
            "ingest",
            "--no-detect",
            "--source",
            "e2e-cli",
            file.to_str().unwrap(),
        ],
    );
    let (stdout, _) = expect_code(&out, 0, "ingest");
    assert!(
        stdout.contains(&format!("{n} events")),
        "ingest output: {stdout}"
    );
}

fn checkpoint_of(dir: &Path) -> String {
    let out = run_in(dir, &["checkpoint"]);
    expect_code(&out, 0, "checkpoint").0
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // Kept for the whole test process (statics are never dropped), so it lives in the
        // target directory rather than /tmp; earlier runs' fixtures are removed first.
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let prefix = "cli_verify-fixture-";
        if let Ok(entries) = std::fs::read_dir(base) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(prefix) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let root = base.join(format!("{prefix}{}", std::process::id()));
        std::fs::create_dir_all(&root).expect("fixture root");
        let dir = root.join("data");
        let vkey = init(&dir);
        ingest(&dir, &root, "first", 300);
        let cp300 = checkpoint_of(&dir);
        assert_eq!(cp300.lines().nth(1), Some("300"), "checkpoint: {cp300}");
        let trusted300 = root.join("trusted300");
        std::fs::write(&trusted300, &cp300).expect("save checkpoint");
        ingest(&dir, &root, "second", 300);
        let checkpoint600 = checkpoint_of(&dir);
        assert_eq!(
            checkpoint600.lines().nth(1),
            Some("600"),
            "checkpoint: {checkpoint600}"
        );
        Fixture {
            dir,
            vkey,
            trusted300,
            checkpoint600,
        }
    })
}

/// A fresh copy of the fixture's data directory.
fn copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    copy_dir(&fixture().dir, &dir);
    (tmp, dir)
}

/// Run `verify` on `dir` with extra args; expect exit 1 naming `kind` (and `seq` if given).
fn expect_damage(dir: &Path, extra: &[&str], kind: &str, seq: Option<u64>) -> String {
    let mut args = vec!["verify"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
    let (_, stderr) = expect_code(&out, 1, &format!("verify of a log with damage {kind:?}"));
    assert!(
        stderr.contains(kind),
        "stderr should name {kind:?}:\n{stderr}"
    );
    if let Some(seq) = seq {
        assert!(
            stderr.contains(&format!("first bad seq {seq}:")),
            "stderr should name first bad seq {seq}:\n{stderr}"
        );
    }
    stderr
}

fn slots(dir: &Path) -> Vec<Vec<u8>> {
    let bytes = read(&headers_path(dir));
    assert_eq!(bytes.len() % SLOT_SIZE, 0);
    bytes.chunks(SLOT_SIZE).map(<[u8]>::to_vec).collect()
}

fn write_slots(dir: &Path, slots: &[Vec<u8>]) {
    std::fs::write(headers_path(dir), slots.concat()).expect("write headers");
}

#[test]
fn a_clean_log_verifies_and_reports_size_root_and_time() {
    let f = fixture();
    let (_tmp, dir) = copy();
    let out = run_in(&dir, &["verify"]);
    let (stdout, _) = expect_code(&out, 0, "verify of a clean log");
    let root = f.checkpoint600.lines().nth(2).expect("root line");
    assert!(stdout.contains("size 600"), "{stdout}");
    assert!(stdout.contains(root), "root {root} not in {stdout}");
    // "... root R, 0.012 s (...)": a number of seconds follows the root.
    let after = stdout
        .split(&format!("root {root}, "))
        .nth(1)
        .unwrap_or_else(|| panic!("no seconds after the root: {stdout}"));
    let secs = after.split(" s").next().unwrap_or("");
    assert!(
        secs.parse::<f64>().is_ok_and(|s| s >= 0.0),
        "seconds {secs:?} in {stdout}"
    );

    // The same with the key given explicitly, and as JSON.
    let out = run_in(&dir, &["verify", "--key", &f.vkey, "--format", "json"]);
    let (stdout, _) = expect_code(&out, 0, "verify --format json");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["size"], 600, "{v}");
    assert_eq!(v["entries"], 600, "{v}");
    assert_eq!(v["root"], root, "{v}");

    // The trusted older checkpoint is extended by this log.
    let out = run_in(
        &dir,
        &[
            "verify",
            "--key",
            &f.vkey,
            "--trusted",
            f.trusted300.to_str().unwrap(),
        ],
    );
    expect_code(&out, 0, "verify --trusted (300) of the log it came from");
}

#[test]
fn an_altered_body_byte_is_body_altered() {
    let (_tmp, dir) = copy();
    let headers = read(&headers_path(&dir));
    let (offset, len) = body_location(&headers, 123);
    let segment = dir.join("log/bodies/00000000");
    let mut bodies = read(&segment);
    // A byte of the raw body (the record ends with the raw bytes and a 4-byte CRC).
    let at = offset as usize + len as usize - 30;
    bodies[at] = if bodies[at] == b'.' { b'!' } else { b'.' };
    std::fs::write(&segment, &bodies).expect("write bodies");
    expect_damage(&dir, &[], "body altered", Some(123));
}

#[test]
fn an_altered_body_byte_with_its_record_crc_fixed_is_body_altered() {
    let (_tmp, dir) = copy();
    let headers = read(&headers_path(&dir));
    let (offset, len) = body_location(&headers, 321);
    let (offset, len) = (offset as usize, len as usize);
    let segment = dir.join("log/bodies/00000000");
    let mut bodies = read(&segment);
    let at = offset + len - 30;
    bodies[at] = if bodies[at] == b'.' { b'!' } else { b'.' };
    let crc = crc32(&bodies[offset..offset + len - 4]);
    bodies[offset + len - 4..offset + len].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(&segment, &bodies).expect("write bodies");
    let stderr = expect_damage(&dir, &[], "body altered", Some(321));
    assert!(stderr.contains("raw"), "the raw body is named: {stderr}");
}

#[test]
fn an_altered_header_with_its_slot_crc_fixed_is_entry_altered() {
    let (_tmp, dir) = copy();
    let mut headers = read(&headers_path(&dir));
    // Header byte 12 (inside received_at) of entry 200; the header starts at slot byte 2.
    headers[200 * SLOT_SIZE + 2 + 12] ^= 0x01;
    fix_slot_crc(&mut headers, 200);
    std::fs::write(headers_path(&dir), &headers).expect("write headers");
    expect_damage(&dir, &[], "entry altered", Some(200));
}

#[test]
fn a_slot_removed_from_the_middle_is_missing() {
    let (_tmp, dir) = copy();
    let mut s = slots(&dir);
    s.remove(250);
    write_slots(&dir, &s);
    expect_damage(&dir, &[], "missing", Some(250));
}

#[test]
fn two_swapped_slots_are_reordered() {
    let (_tmp, dir) = copy();
    let mut s = slots(&dir);
    s.swap(100, 101);
    write_slots(&dir, &s);
    expect_damage(&dir, &[], "reordered", Some(100));
}

#[test]
fn a_duplicated_slot_is_inserted() {
    let (_tmp, dir) = copy();
    let mut s = slots(&dir);
    let copy = s[100].clone();
    s.insert(300, copy);
    write_slots(&dir, &s);
    expect_damage(&dir, &[], "inserted", Some(300));
}

#[test]
fn slots_cut_off_the_end_are_truncated() {
    let (_tmp, dir) = copy();
    let s = slots(&dir);
    write_slots(&dir, &s[..550]);
    expect_damage(&dir, &[], "truncated", Some(550));
}

/// A second data directory under the fixture's key holding a different history of 600 entries.
fn rewritten_history(tmp: &Path) -> PathBuf {
    let f = fixture();
    let second = tmp.join("second");
    std::fs::create_dir_all(&second).unwrap();
    for name in ["log.key", "log.vkey"] {
        std::fs::copy(f.dir.join(name), second.join(name)).expect("copy key");
    }
    // `a_data_dir_holding_only_the_key_accepts_ingest` checks that ingest creates these itself.
    std::fs::create_dir_all(second.join("log/bodies")).unwrap();
    std::fs::create_dir_all(second.join("log/hashes")).unwrap();
    ingest(&second, tmp, "other-history", 600);
    second
}

#[test]
fn a_rewritten_history_under_the_same_key_is_a_fork() {
    let f = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let second = rewritten_history(tmp.path());
    // On its own, the rewritten log is consistent and correctly signed.
    let out = run_in(&second, &["verify", "--key", &f.vkey]);
    expect_code(
        &out,
        0,
        "verify of the rewritten log without a trusted checkpoint",
    );
    expect_damage(
        &second,
        &[
            "--key",
            &f.vkey,
            "--trusted",
            f.trusted300.to_str().unwrap(),
        ],
        "fork",
        None,
    );
}

/// `verify --url --trusted` catches the same fork through the tiles.
#[test]
fn verify_url_with_a_trusted_checkpoint_detects_a_fork() {
    let f = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let second = rewritten_history(tmp.path());
    let server = Server::start(&second);
    let nowhere = tmp.path().join("none");
    let trusted = f.trusted300.to_str().unwrap();
    let out = run_in(
        &nowhere,
        &[
            "verify",
            "--url",
            &server.url,
            "--key",
            &f.vkey,
            "--trusted",
            trusted,
        ],
    );
    let (_, stderr) = expect_code(&out, 1, "verify --url --trusted of a rewritten log");
    assert!(stderr.to_lowercase().contains("fork"), "{stderr}");
    server.kill();

    // The original log extends the trusted checkpoint.
    let (_copy, dir) = copy();
    let server = Server::start(&dir);
    let out = run_in(
        &nowhere,
        &[
            "verify",
            "--url",
            &server.url,
            "--key",
            &f.vkey,
            "--trusted",
            trusted,
        ],
    );
    expect_code(&out, 0, "verify --url --trusted of the original log");
    server.kill();
}

/// The kinds of damage are named the same way whether the log is local or remote: `verify`
/// prints "fork" (DamageKind's and AuditFailureKind's Display), not a Rust enum name ("Fork").
#[test]
fn verify_url_names_the_damage_like_the_local_verify() {
    let f = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let second = rewritten_history(tmp.path());
    let trusted = f.trusted300.to_str().unwrap();
    let local = expect_damage(
        &second,
        &["--key", &f.vkey, "--trusted", trusted],
        "fork",
        None,
    );
    let server = Server::start(&second);
    let out = run_in(
        &tmp.path().join("none"),
        &[
            "verify",
            "--url",
            &server.url,
            "--key",
            &f.vkey,
            "--trusted",
            trusted,
        ],
    );
    let (_, remote) = expect_code(&out, 1, "verify --url --trusted of a rewritten log");
    server.kill();
    assert!(
        remote.contains("FAILED: fork"),
        "remote verify should name the damage as the local one does ({local:?}), got {remote:?}"
    );
}

/// A header altered on disk (slot CRC fixed) is caught through the served tiles too.
#[test]
fn verify_url_finds_an_altered_header_at_its_seq() {
    let f = fixture();
    let (_tmp, dir) = copy();
    let mut headers = read(&headers_path(&dir));
    headers[200 * SLOT_SIZE + 2 + 12] ^= 0x01;
    fix_slot_crc(&mut headers, 200);
    std::fs::write(headers_path(&dir), &headers).expect("write headers");
    let server = Server::start(&dir);
    let out = run_in(
        &dir.with_extension("none"),
        &["verify", "--url", &server.url, "--key", &f.vkey],
    );
    let (_, stderr) = expect_code(&out, 1, "verify --url of a log with an altered header");
    assert!(stderr.contains("first bad seq 200"), "{stderr}");
    server.kill();
}

#[test]
fn a_log_shorter_than_the_trusted_checkpoint_is_truncated() {
    let f = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let second = tmp.path().join("second");
    std::fs::create_dir_all(second.join("log/bodies")).unwrap();
    std::fs::create_dir_all(second.join("log/hashes")).unwrap();
    for name in ["log.key", "log.vkey"] {
        std::fs::copy(f.dir.join(name), second.join(name)).expect("copy key");
    }
    ingest(&second, tmp.path(), "short-history", 200);
    expect_damage(
        &second,
        &["--trusted", f.trusted300.to_str().unwrap()],
        "truncated",
        None,
    );
}

/// Restoring a log's key into an empty directory (or pointing `ingest` at a directory holding
/// only `log.key`) must work like a fresh `init`: the log's own directories are created.
#[test]
fn a_data_dir_holding_only_the_key_accepts_ingest() {
    let f = fixture();
    let tmp = tempfile::tempdir().expect("tempdir");
    let second = tmp.path().join("second");
    std::fs::create_dir_all(&second).unwrap();
    for name in ["log.key", "log.vkey"] {
        std::fs::copy(f.dir.join(name), second.join(name)).expect("copy key");
    }
    ingest(&second, tmp.path(), "key-only", 10);
    let out = run_in(&second, &["verify", "--key", &f.vkey]);
    let (stdout, _) = expect_code(&out, 0, "verify");
    assert!(stdout.contains("size 10"), "{stdout}");
}

#[test]
fn another_logs_key_fails_verification() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let other = init(&tmp.path().join("other"));
    let (_tmp, dir) = copy();
    let out = run_in(&dir, &["verify", "--key", &other]);
    let (_, stderr) = expect_code(&out, 1, "verify with another log's key");
    assert!(stderr.contains("checkpoint"), "{stderr}");
    // A key file works the same way as the key itself.
    let key_file = tmp.path().join("other").join("log.vkey");
    let out = run_in(&dir, &["verify", "--key", key_file.to_str().unwrap()]);
    expect_code(&out, 1, "verify with another log's key file");
}

#[test]
fn verify_url_checks_a_running_server_by_its_tiles() {
    let f = fixture();
    let (_tmp, dir) = copy();
    let server = Server::start(&dir);
    assert_eq!(server.log_size, 600);
    assert_eq!(server.vkey, f.vkey);
    let empty = tempfile::tempdir().expect("tempdir");
    let nowhere = empty.path().join("none");
    let out = run_in(
        &nowhere,
        &["verify", "--url", &server.url, "--key", &f.vkey],
    );
    let (stdout, _) = expect_code(&out, 0, "verify --url --key");
    assert!(stdout.contains("size 600"), "{stdout}");
    let root = f.checkpoint600.lines().nth(2).unwrap();
    assert!(stdout.contains(root), "{stdout}");

    let other = init(&empty.path().join("other"));
    let out = run_in(&nowhere, &["verify", "--url", &server.url, "--key", &other]);
    expect_code(&out, 1, "verify --url with another log's key");

    let out = run_in(&nowhere, &["verify", "--url", &server.url]);
    let (_, stderr) = expect_code(&out, 2, "verify --url without --key");
    assert!(stderr.contains("--key"), "{stderr}");
    server.kill();
}

#[test]
fn an_unknown_flag_is_bad_usage() {
    let (_tmp, dir) = copy();
    let out = run_in(&dir, &["verify", "--no-such-flag"]);
    expect_code(&out, 2, "verify --no-such-flag");
    let out = run(&["no-such-command"]);
    expect_code(&out, 2, "an unknown command");
}
