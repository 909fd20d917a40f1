//! `authtrail prove` and `authtrail verify-evidence` through the CLI: a bundle verifies with
//! nothing but the verifier key, and any changed byte makes it fail (exit 1).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;

use common::{events, expect_code, init, ndjson, run, run_in, Rng};

/// Process runs spent on altered bundles (the exhaustive per-byte check is a ledger unit test).
const ALTERED_RUNS: usize = 300;
/// Leading bytes altered one by one, before the sampled positions.
const LEADING: usize = 100;

/// A data directory of 40 entries; returns (tempdir, data dir, verifier key).
fn log_of_40() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let vkey = init(&dir);
    let input = tmp.path().join("in.ndjson");
    std::fs::write(&input, ndjson(&events("evidence", 40))).unwrap();
    let out = run_in(&dir, &["ingest", "--no-detect", input.to_str().unwrap()]);
    expect_code(&out, 0, "ingest");
    (tmp, dir, vkey)
}

fn verify_evidence(key: &str, file: &Path) -> std::process::Output {
    run(&["verify-evidence", "--key", key, file.to_str().unwrap()])
}

#[test]
fn a_bundle_verifies_and_every_altered_byte_is_rejected() {
    let (tmp, dir, vkey) = log_of_40();
    let bundle = tmp.path().join("entry17.json");
    let out = run_in(
        &dir,
        &["prove", "--seq", "17", "--out", bundle.to_str().unwrap()],
    );
    expect_code(&out, 0, "prove --seq 17");
    let out = verify_evidence(&vkey, &bundle);
    let (stdout, _) = expect_code(&out, 0, "verify-evidence of an untouched bundle");
    assert!(stdout.contains("entry 17"), "{stdout}");
    assert!(stdout.contains("size 40"), "{stdout}");
    // The key file works as well as the key.
    let out = verify_evidence(dir.join("log.vkey").to_str().unwrap(), &bundle);
    expect_code(&out, 0, "verify-evidence --key FILE");

    // Positions: all of the first LEADING bytes, then a sample of the rest that reaches every
    // line of the file (every field) before it spreads at random.
    let original = std::fs::read(&bundle).unwrap();
    let mut rng = Rng::from_env_or_time("evidence_cli");
    let mut positions: Vec<usize> = (0..LEADING.min(original.len())).collect();
    let mut line_starts = vec![0usize];
    line_starts.extend(
        original
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| i < original.len()),
    );
    line_starts.push(original.len());
    for w in line_starts.windows(2) {
        let (start, end) = (w[0].max(LEADING), w[1]);
        if start < end {
            // The line's last byte (its newline or closing quote) and one inside it.
            positions.push(end - 1);
            positions.push(rng.range(start as u64, end as u64 - 1) as usize);
        }
    }
    while positions.len() < ALTERED_RUNS && original.len() > LEADING {
        positions.push(rng.range(LEADING as u64, original.len() as u64 - 1) as usize);
    }
    positions.sort_unstable();
    positions.dedup();

    let alterations: Vec<(usize, u8)> = positions
        .into_iter()
        .map(|at| {
            // A different printable ASCII byte.
            let mut b = original[at];
            while b == original[at] {
                b = rng.range(0x20, 0x7e) as u8;
            }
            (at, b)
        })
        .collect();
    eprintln!(
        "bundle of {} bytes; {} altered copies",
        original.len(),
        alterations.len()
    );
    let original = Arc::new(original);
    let dir = Arc::new(tmp.path().to_path_buf());
    let vkey = Arc::new(vkey);
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let mine: Vec<(usize, u8)> = alterations.iter().copied().skip(w).step_by(2).collect();
            let (original, dir, vkey) = (original.clone(), dir.clone(), vkey.clone());
            thread::spawn(move || {
                let file = dir.join(format!("altered-{w}.json"));
                let mut wrong = Vec::new();
                for (at, b) in mine {
                    let mut bytes = (*original).clone();
                    bytes[at] = b;
                    std::fs::write(&file, &bytes).unwrap();
                    let out = verify_evidence(&vkey, &file);
                    if out.status.code() != Some(1) {
                        wrong.push(format!(
                            "byte {at} {:?} -> {:?}: exit {:?}, stdout {}, stderr {}",
                            original[at] as char,
                            b as char,
                            out.status.code(),
                            String::from_utf8_lossy(&out.stdout),
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                }
                wrong
            })
        })
        .collect();
    let wrong: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} altered bundles not rejected with exit 1:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn proving_a_seq_beyond_the_log_finds_nothing() {
    let (tmp, dir, _) = log_of_40();
    let out_file = tmp.path().join("nothing.json");
    let out = run_in(
        &dir,
        &[
            "prove",
            "--seq",
            "999999",
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    let (_, stderr) = expect_code(&out, 1, "prove --seq 999999");
    assert!(stderr.contains("999999"), "{stderr}");
    assert!(!out_file.exists(), "no bundle is written");
    // The last entry is still provable.
    let out = run_in(&dir, &["prove", "--seq", "39"]);
    let (stdout, _) = expect_code(&out, 0, "prove --seq 39 to stdout");
    assert!(stdout.contains("\"seq\": 39"), "{stdout}");
}

#[test]
fn a_malformed_key_is_bad_usage_and_another_logs_key_fails() {
    let (tmp, dir, vkey) = log_of_40();
    let bundle = tmp.path().join("entry0.json");
    let out = run_in(
        &dir,
        &["prove", "--seq", "0", "--out", bundle.to_str().unwrap()],
    );
    expect_code(&out, 0, "prove --seq 0");
    for bad in [
        "not-a-key",
        "example.com/e2e+00000000+AAAA",
        &vkey[..vkey.len() - 4],
        "",
    ] {
        let out = verify_evidence(bad, &bundle);
        expect_code(&out, 2, &format!("verify-evidence --key {bad:?}"));
    }
    let other = init(&tmp.path().join("other"));
    let out = verify_evidence(&other, &bundle);
    expect_code(&out, 1, "verify-evidence with another log's key");
    let missing = tmp.path().join("no-such-bundle.json");
    let out = verify_evidence(&vkey, &missing);
    expect_code(&out, 2, "verify-evidence of a missing file");
}
