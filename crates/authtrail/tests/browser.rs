//! The web UI in a real browser: `authtrail serve` over a data directory holding a few hundred
//! sshd lines from the shared datasets and OCSF events of the last hour (a brute force among
//! them, so alerts exist), then `tests/browser/ui.test.mjs` drives Debian's Chromium through
//! npm `playwright-core`: login, dashboard with its chart and alerts, verify now, a search, an
//! event (raw and OCSF, evidence download), a trace, the alerts page, log out. Screenshots go to
//! `$CARGO_TARGET_TMPDIR/ui-screenshots/`. Any console error, page error or failed request
//! fails it. Without Chromium or the script's `node_modules` it prints `skipping: …` and
//! passes, unless `CI` is set (`.ci/run` installs both).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{create_token, expect_code, init, run_in, Server};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The brute force's source address (the script searches and traces it).
const ATTACKER: &str = "203.0.113.66";
/// A user name the UI must show as text, never as markup.
const XSS_USER: &str = r#"<img src=x onerror="window.__xss=1">"#;

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Why the browser test cannot run here, if it cannot.
fn missing_tools() -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        return Some(format!(
            "no Chromium at {CHROMIUM} (apt-get install chromium)"
        ));
    }
    if !browser_dir().join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "no node_modules/playwright-core in {} (npm ci there)",
            browser_dir().display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node on PATH".into());
    }
    None
}

fn now_ms() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_millis()).expect("ms fit")
}

/// One OCSF authentication event.
fn auth_event(time: i64, ok: bool, user: &str, ip: &str, session: Option<&str>) -> String {
    let mut event = serde_json::json!({
        "class_uid": 3002, "activity_id": 1, "time": time, "severity_id": 1,
        "status_id": if ok { 1 } else { 2 },
        "metadata": {"product": {"name": "portal"}},
        "user": {"name": user},
        "src_endpoint": {"ip": ip},
        "message": if ok { "login succeeded" } else { "bad password" },
    });
    if let Some(s) = session {
        event["session"] = serde_json::json!({"uid": s});
    }
    event.to_string()
}

/// OCSF events of the last hour: background logins, a brute force from [`ATTACKER`] ending in
/// a success with a session, and one user name full of markup.
fn recent_events(now: i64) -> String {
    let users = ["alice", "bob", "carol", "dave", "erin", "frank"];
    let mut lines = Vec::new();
    for i in 0..120i64 {
        let user = users[(i % 6) as usize];
        let ip = format!("198.51.100.{}", i % 9 + 1);
        lines.push(auth_event(
            now - 3_500_000 + i * 28_000,
            i % 4 != 0,
            user,
            &ip,
            None,
        ));
    }
    let start = now - 300_000;
    for i in 0..15 {
        lines.push(auth_event(
            start + i * 2_000,
            false,
            "admin",
            ATTACKER,
            None,
        ));
    }
    lines.push(auth_event(
        start + 40_000,
        true,
        "admin",
        ATTACKER,
        Some("s-ui-1"),
    ));
    lines.push(auth_event(
        now - 60_000,
        false,
        XSS_USER,
        "198.51.100.77",
        None,
    ));
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The first `n` lines of the shared OpenSSH sample, if the datasets are there.
fn sshd_lines(n: usize) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/openssh/loghub/OpenSSH_2k.log");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text.lines().take(n).map(|l| format!("{l}\n")).collect()),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{}: {e} and CI is set",
                path.display()
            );
            eprintln!("note: {} absent; OCSF events only", path.display());
            None
        }
    }
}

/// `authtrail ingest --format FORMAT --source SOURCE` of `text` (through a file beside `data`).
fn ingest(data: &Path, format: &str, source: &str, text: &str) {
    let file = data.with_extension(format!("{source}.in"));
    std::fs::write(&file, text).expect("write input");
    let path = file.to_str().expect("utf-8 path");
    let out = run_in(
        data,
        &["ingest", "--format", format, "--source", source, path],
    );
    expect_code(&out, 0, &format!("ingest {format} as {source}"));
}

#[test]
fn the_ui_works_in_chromium() {
    if let Some(why) = missing_tools() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{why}, and CI is set: .ci/run installs it"
        );
        eprintln!("skipping: {why}");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    init(&data);
    if let Some(lines) = sshd_lines(400) {
        ingest(&data, "syslog", "web1", &lines);
    }
    ingest(&data, "json", "portal", &recent_events(now_ms()));

    let server = Server::start(&data);
    // The UI logs in with a read token, as a person would.
    let read_token = create_token(&data, &["--scope", "read", "--name", "ui"]);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let out = Command::new("node")
        .arg(browser_dir().join("ui.test.mjs"))
        .current_dir(browser_dir())
        .env("AUTHTRAIL_URL", &server.url)
        .env("AUTHTRAIL_TOKEN", &read_token)
        .env("SCREENSHOTS", &shots)
        .env("CHROMIUM", CHROMIUM)
        .env("XSS_USER", XSS_USER)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed ({:?})\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- serve stderr\n{}",
        out.status,
        server.stderr()
    );
    eprintln!("{stdout}");
    for name in [
        "01-login",
        "02-dashboard",
        "04-search",
        "05-event",
        "06-trace",
        "07-alerts",
    ] {
        let png = shots.join(format!("{name}.png"));
        let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        assert!(size > 1000, "screenshot {} missing or empty", png.display());
    }
    server.kill();
}
