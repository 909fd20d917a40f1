//! The 16 checkpoints of Tessera's test log (`../shared/vectors/transparency-dev-tessera`): each
//! opens with the log key, parses to size N, serialises back byte-for-byte, and re-signing its
//! body with the published private key reproduces the whole file (Ed25519 is deterministic).

use std::path::PathBuf;

use authtrail_ledger::checkpoint::{open_checkpoint, sign_checkpoint, Checkpoint};
use authtrail_ledger::hash::empty_root;
use authtrail_ledger::note::{Ed25519Signer, NoteSigner as _, NoteVerifier};

const ORIGIN: &str = "example.com/log/testdata";

/// The Tessera vectors folder, or `None` (after saying so) when the vectors are absent outside CI.
fn tessera_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors"
    ));
    if !dir.is_dir() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "../shared/vectors not found at {} (CI is set)",
                dir.display()
            );
        }
        println!("skipping: ../shared/vectors not found");
        return None;
    }
    Some(dir.join("transparency-dev-tessera"))
}

/// The key published in the README as "- Log <which>: `<key>`".
fn readme_key(readme: &str, which: &str) -> String {
    let prefix = format!("- Log {which}: `");
    let line = readme
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {which} in the Tessera README"));
    line.trim_end_matches('`').to_owned()
}

#[test]
fn tessera_checkpoints() {
    let Some(dir) = tessera_dir() else { return };
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let vkey = NoteVerifier::parse(&readme_key(&readme, "vkey")).unwrap();
    let signer = Ed25519Signer::parse(&readme_key(&readme, "skey")).unwrap();
    assert_eq!(signer.verifier(), vkey);
    assert_eq!(vkey.name(), ORIGIN);
    assert_eq!(signer.name(), ORIGIN);

    let log = dir.join("log");
    let mut sizes: Vec<u64> = std::fs::read_dir(&log)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().ok()?;
            name.strip_prefix("checkpoint.")?.parse().ok()
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, (0..16).collect::<Vec<u64>>());

    let mut ran = 0;
    for &n in &sizes {
        let file = std::fs::read(log.join(format!("checkpoint.{n}"))).unwrap();
        let cp = open_checkpoint(&file, &vkey).unwrap_or_else(|e| panic!("checkpoint.{n}: {e}"));
        assert_eq!(cp.size, n);
        assert_eq!(cp.origin, ORIGIN);
        assert!(cp.extensions.is_empty());
        let body = cp.to_body();
        assert!(
            file.starts_with(format!("{body}\n").as_bytes()),
            "checkpoint.{n}"
        );
        assert_eq!(Checkpoint::parse(&body).unwrap(), cp);
        if n == 0 {
            assert_eq!(cp.root, empty_root());
        }
        let resigned = sign_checkpoint(&cp, &signer).unwrap();
        assert_eq!(resigned.as_bytes(), file.as_slice(), "checkpoint.{n}");
        ran += 1;
    }
    assert_eq!(ran, sizes.len());
    assert_eq!(ran, 16);

    // `checkpoint` is the latest one.
    let latest = std::fs::read(log.join("checkpoint")).unwrap();
    assert_eq!(latest, std::fs::read(log.join("checkpoint.15")).unwrap());
}
