//! The config file through the binary (docs/CONFIG.md): an unknown key, or a secret's
//! environment variable that is not set, refuses the start (exit 2) naming it, before anything
//! is written; with the variable set, the same file starts.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::{authtrail, expect_code, init, run_in, Server};

const WEBHOOK: &str = "[[alerts.webhook]]
name = \"siem\"
url_env = \"AUTHTRAIL_E2E_HOOK_URL\"
secret_env = \"AUTHTRAIL_E2E_HOOK_SECRET\"
";

/// `serve --config FILE` with `env` set (and the two variables removed otherwise); waits.
fn serve(
    dir: &std::path::Path,
    config: &std::path::Path,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = authtrail();
    cmd.arg("--data")
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env_remove("AUTHTRAIL_E2E_HOOK_URL")
        .env_remove("AUTHTRAIL_E2E_HOOK_SECRET")
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run serve")
}

/// A data directory and a config file holding `text`, in a temporary directory.
fn setup(text: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let config = tmp.path().join("authtrail.toml");
    std::fs::write(&config, text).unwrap();
    (tmp, dir, config)
}

#[test]
fn an_unset_secret_variable_refuses_the_start_naming_it() {
    let (_tmp, dir, config) = setup(WEBHOOK);

    let out = serve(&dir, &config, &[]);
    let (_, err) = expect_code(&out, 2, "serve without the URL's variable");
    assert!(err.contains("AUTHTRAIL_E2E_HOOK_URL is not set"), "{err}");
    assert!(err.contains("siem") && err.contains("url_env"), "{err}");

    let out = serve(
        &dir,
        &config,
        &[("AUTHTRAIL_E2E_HOOK_URL", "http://127.0.0.1:9/hook")],
    );
    let (_, err) = expect_code(&out, 2, "serve without the secret's variable");
    assert!(
        err.contains("AUTHTRAIL_E2E_HOOK_SECRET is not set"),
        "{err}"
    );
    let (note, _) = expect_code(&run_in(&dir, &["checkpoint"]), 0, "checkpoint");
    assert!(note.contains("\n0\n"), "nothing written: {note}");

    // With both set, the same file starts (and the secret shows nowhere).
    std::env::set_var("AUTHTRAIL_E2E_HOOK_URL", "http://127.0.0.1:9/hook");
    std::env::set_var("AUTHTRAIL_E2E_HOOK_SECRET", "s3cret-e2e-value");
    let server = Server::start_with(&dir, &["--config", config.to_str().unwrap()]);
    assert!(!server.stderr().contains("s3cret-e2e-value"));
    server.kill();
}

#[test]
fn an_unknown_key_refuses_the_start_naming_key_and_table() {
    let (_tmp, dir, config) = setup("[detect]\nenabled = true\nlateness = 5\n");
    let out = serve(&dir, &config, &[]);
    let (_, err) = expect_code(&out, 2, "serve with an unknown key");
    assert!(err.contains("unknown field `lateness`"), "{err}");
    assert!(err.contains("in table [detect], key lateness"), "{err}");
    assert!(err.contains("authtrail.toml"), "{err}");
}
