//! Helpers shared by the binary's end-to-end tests: running the `authtrail` binary, starting and
//! killing `authtrail serve`, valid OCSF events with unique markers, a small PRNG, and raw access
//! to a data directory's files.
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Path of the binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_authtrail");

/// Bytes per entry slot in `log/headers` (docs/FORMAT.md §6).
pub const SLOT_SIZE: usize = 192;
/// Byte offset of the slot CRC.
pub const SLOT_CRC_AT: usize = 188;
/// Byte offset of `u64 body_offset` in a slot (`u32 body_len` follows).
pub const SLOT_BODY_AT: usize = 152;

/// A command for the binary with a clean environment: no `AUTHTRAIL_DATA`, quiet logs.
pub fn authtrail() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("AUTHTRAIL_DATA")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

/// Run the binary with `args` and wait for it.
pub fn run(args: &[&str]) -> Output {
    authtrail()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {BIN} {args:?}: {e}"))
}

/// Run `authtrail --data DIR args...`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&str> = vec!["--data", dir.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    run(&all)
}

/// The exit code of a finished run (panics on death by signal).
pub fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {}", describe(out)))
}

/// The run's exit status, stdout and stderr, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Assert the run exited with `want`; returns (stdout, stderr).
pub fn expect_code(out: &Output, want: i32, what: &str) -> (String, String) {
    assert_eq!(code(out), want, "{what}: {}", describe(out));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `authtrail init` on a fresh directory; returns the verifier key it printed.
pub fn init(dir: &Path) -> String {
    let out = run_in(dir, &["init", "--origin", "example.com/e2e"]);
    let (stdout, _) = expect_code(&out, 0, "init");
    let key = stdout.trim().to_string();
    assert!(key.starts_with("example.com/e2e+"), "verifier key {key:?}");
    key
}

/// A running `authtrail serve`.
pub struct Server {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The log size printed at start.
    pub log_size: u64,
    /// The verifier key printed at start.
    pub vkey: String,
    /// Where its stderr goes.
    pub stderr_path: PathBuf,
    /// A bearer token with the admin scope: created before the start, or the one serve printed.
    pub token: String,
    /// The admin token serve printed at start (only when no live token existed).
    pub printed_token: Option<String>,
    // Kept open so late writes to stdout never fail.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Start `authtrail serve --listen 127.0.0.1:0 --data DIR` and read its start-up lines.
    /// Its stderr goes to `DIR.stderr` (beside the data directory).
    pub fn start(dir: &Path) -> Server {
        Self::start_with(dir, &[])
    }

    /// Like [`Server::start`] with extra arguments; an admin token is created first
    /// (`authtrail token create`), in [`Server::token`].
    pub fn start_with(dir: &Path, extra: &[&str]) -> Server {
        let token = create_token(dir, &["--scope", "admin", "--name", "e2e"]);
        let mut server = Self::launch(dir, extra);
        server.token = token;
        server
    }

    /// Start `authtrail serve --listen 127.0.0.1:0 --data DIR extra...` as it is: no token is
    /// created first, so on a directory without one serve prints its own ([`Server::token`]).
    pub fn launch(dir: &Path, extra: &[&str]) -> Server {
        Self::launch_on(dir, "127.0.0.1:0", extra, &[])
    }

    /// Like [`Server::launch`] on `listen`, with the environment variables `env` set.
    pub fn launch_on(dir: &Path, listen: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let stderr_path = dir.with_extension("stderr");
        let stderr = File::create(&stderr_path).expect("create stderr file");
        let mut child = authtrail()
            .args(["serve", "--listen", listen, "--data"])
            .arg(dir)
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("spawn authtrail serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout piped"));
        let mut lines = Vec::new();
        let (mut url, mut log_size, mut vkey, mut printed_token) = (None, None, None, None);
        while vkey.is_none() {
            let mut line = String::new();
            let n = stdout.read_line(&mut line).expect("read serve stdout");
            if n == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "serve exited before printing its key; stdout so far {lines:?}; stderr:\n{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
            let line = line.trim_end().to_string();
            if let Some(rest) = line.strip_prefix("authtrail listening on ") {
                url = Some(rest.to_string());
            } else if let Some(rest) = line.strip_prefix("log size: ") {
                log_size = Some(rest.parse::<u64>().expect("log size is a number"));
            } else if let Some(rest) = line.strip_prefix("verifier key: ") {
                vkey = Some(rest.to_string());
            } else if let Some(rest) = line.strip_prefix("admin token: ") {
                printed_token = Some(rest.to_string());
            }
            lines.push(line);
        }
        assert!(
            lines[0].starts_with("authtrail listening on http://")
                || lines[0].starts_with("authtrail listening on https://"),
            "the address comes first: {lines:?}"
        );
        Server {
            child,
            url: url.expect("address printed"),
            log_size: log_size.expect("log size printed"),
            vkey: vkey.expect("key printed"),
            stderr_path,
            token: printed_token.clone().unwrap_or_default(),
            printed_token,
            _stdout: stdout,
        }
    }

    /// A client that sends `Authorization: Bearer` [`Server::token`] with every request.
    pub fn client(&self) -> reqwest::blocking::Client {
        bearer_client(&self.token)
    }

    /// The next line the server prints on stdout (after its start-up lines).
    pub fn next_line(&mut self) -> String {
        let mut line = String::new();
        self._stdout
            .read_line(&mut line)
            .expect("read serve stdout");
        line.trim_end().to_string()
    }

    /// SIGKILL the server and reap it.
    pub fn kill(mut self) {
        self.kill_in_place();
    }

    fn kill_in_place(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_in_place();
    }
}

/// A temporary directory with a configuration file `serve.toml` holding `config`, and the path
/// of a data directory in it (not created): `(tmp, data, config)`.
#[allow(dead_code)] // Not every test binary configures serve.
pub fn with_config(config: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (data, file) = (tmp.path().join("data"), tmp.path().join("serve.toml"));
    std::fs::write(&file, config).expect("write the configuration");
    (tmp, data, file)
}

/// `authtrail --data DIR token create ARGS...`, which must succeed; returns the token.
pub fn create_token(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["token", "create"];
    all.extend_from_slice(args);
    let (stdout, _) = expect_code(&run_in(dir, &all), 0, "token create");
    let token = stdout.trim().to_string();
    assert!(token.starts_with("at_"), "a token: {token:?}");
    token
}

/// A blocking HTTP client that sends `Authorization: Bearer TOKEN` with every request.
pub fn bearer_client(token: &str) -> reqwest::blocking::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = format!("Bearer {token}");
    headers.insert(
        reqwest::header::AUTHORIZATION,
        value.parse().expect("a header value"),
    );
    reqwest::blocking::Client::builder()
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

static MARKERS: AtomicU64 = AtomicU64::new(0);

/// A marker unique within this test process run (and, through the time, across runs).
pub fn unique_marker(tag: &str) -> String {
    let n = MARKERS.fetch_add(1, Ordering::Relaxed);
    format!("{tag}-{}-{:x}-{n}", std::process::id(), now_nanos() as u64)
}

/// A valid OCSF Authentication event (one line, about 1 KB) whose `metadata.uid` is `marker`.
pub fn event(marker: &str) -> String {
    let line = format!(
        concat!(
            r#"{{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":2,"#,
            r#""metadata":{{"product":{{"name":"sshd"}},"uid":"{m}"}},"user":{{"name":"alice"}},"#,
            r#""src_endpoint":{{"ip":"203.0.113.7"}},"message":"Failed password for alice from 203.0.113.7 port 52113 ssh2 [{m}] "#
        ),
        m = marker
    );
    let mut line = line;
    let pad = 1000usize.saturating_sub(line.len() + 2);
    line.extend(std::iter::repeat_n('.', pad));
    line.push_str("\"}");
    line
}

/// `n` events with fresh markers, as lines (no newline).
pub fn events(tag: &str, n: usize) -> Vec<String> {
    (0..n).map(|_| event(&unique_marker(tag))).collect()
}

/// Lines joined as NDJSON (each followed by a newline).
pub fn ndjson(lines: &[String]) -> String {
    let mut s = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Nanoseconds since the Unix epoch.
pub fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// SplitMix64: a small seeded PRNG (no `rand` in this workspace).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Seed from `$AUTHTRAIL_TEST_SEED` if set, else from the clock; print it for replay.
    pub fn from_env_or_time(what: &str) -> Self {
        let seed = std::env::var("AUTHTRAIL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| now_nanos() as u64 ^ (u64::from(std::process::id()) << 32));
        eprintln!("{what}: seed {seed} (replay with AUTHTRAIL_TEST_SEED={seed})");
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// Copy a directory tree (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Read a whole file.
pub fn read(path: &Path) -> Vec<u8> {
    let mut buf = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    buf
}

/// The `log/headers` file of a data directory.
pub fn headers_path(dir: &Path) -> PathBuf {
    dir.join("log").join("headers")
}

/// Recompute the CRC of the slot at `seq` in `headers` (the whole file's bytes).
pub fn fix_slot_crc(headers: &mut [u8], seq: usize) {
    let slot = &mut headers[seq * SLOT_SIZE..(seq + 1) * SLOT_SIZE];
    let crc = crc32(&slot[..SLOT_CRC_AT]);
    slot[SLOT_CRC_AT..].copy_from_slice(&crc.to_be_bytes());
}

/// Where the body record of the slot at `seq` lies in its segment: (offset, length).
pub fn body_location(headers: &[u8], seq: usize) -> (u64, u32) {
    let slot = &headers[seq * SLOT_SIZE..(seq + 1) * SLOT_SIZE];
    let mut off = [0u8; 8];
    off.copy_from_slice(&slot[SLOT_BODY_AT..SLOT_BODY_AT + 8]);
    let mut len = [0u8; 4];
    len.copy_from_slice(&slot[SLOT_BODY_AT + 8..SLOT_BODY_AT + 12]);
    (u64::from_be_bytes(off), u32::from_be_bytes(len))
}

/// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), bitwise: no crate needed for a few slots.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `authtrail ingest --format syslog --source SOURCE --timezone UTC FILE` into `dir`, which must
/// succeed.
pub fn ingest_syslog(dir: &Path, source: &str, file: &Path) {
    let file = file.to_str().expect("path");
    let args = [
        "ingest",
        "--format",
        "syslog",
        "--source",
        source,
        "--timezone",
        "UTC",
        file,
    ];
    expect_code(&run_in(dir, &args), 0, "ingest");
}

/// Each line of `text` (a command's `--format json` output) as JSON.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// `authtrail --data DIR serve --listen 127.0.0.1:0 --config CONFIG` run to its end: for a
/// configuration that must refuse the start.
pub fn serve_refused(dir: &Path, config: &Path) -> Output {
    let config = config.to_str().expect("utf-8 path");
    run_in(
        dir,
        &["serve", "--listen", "127.0.0.1:0", "--config", config],
    )
}

/// A bad detection setup refuses the start: `ingest` (its output given) exited 2 with an error
/// holding each of `needles` and wrote nothing to `dir`; `serve` with the configuration file
/// `config` is refused the same way.
pub fn assert_start_refused(dir: &Path, ingest: &Output, config: &Path, needles: &[&str]) {
    let holds = |err: &str| needles.iter().all(|n| err.contains(n));
    let (_, err) = expect_code(ingest, 2, "ingest with a bad detection setup");
    assert!(holds(&err), "{err}");
    let (listed, _) = expect_code(&run_in(dir, &["checkpoint"]), 0, "checkpoint");
    assert!(listed.contains("\n0\n"), "nothing written: {listed}");
    let out = serve_refused(dir, config);
    let (_, err) = expect_code(&out, 2, "serve with a bad detection setup");
    assert!(holds(&err), "{err}");
}
