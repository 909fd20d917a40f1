//! Tiles and entry bundles byte-identical to Tessera's test log
//! (`../shared/vectors/transparency-dev-tessera`): for every size N in 1..=15 our level-0 hash
//! tile, entry bundle and checkpoint body equal Tessera's files, and `audit_tiles` passes over
//! Tessera's own tiles with the signed `checkpoint.N`.

use std::path::{Path, PathBuf};

use authtrail_ledger::audit::{audit_tiles, AuditFailureKind};
use authtrail_ledger::checkpoint::{open_checkpoint, Checkpoint};
use authtrail_ledger::hash::{empty_root, leaf_hash};
use authtrail_ledger::note::NoteVerifier;
use authtrail_ledger::tile::{
    parse_entry_bundle, parse_hash_tile, push_bundle_entry, read_hash_tile, TileId,
};
use authtrail_ledger::tree::MemoryTree;
use authtrail_ledger::LedgerError;

const ORIGIN: &str = "example.com/log/testdata";
const VKEY: &str = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
const WORDS: [&str; 15] = [
    "one", "two", "three", "four", "five", "six", "seven", "eit", "nain", "ten", "ileven", "twelf",
    "threeten", "fourten", "fivten",
];

/// The Tessera log folder, or `None` (after saying so) when the vectors are absent outside CI.
fn tessera_log() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors/transparency-dev-tessera"
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
    Some(dir.join("log"))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The checkpoint body of a signed note file: the text before the last blank line, plus "\n".
fn note_body(note: &[u8]) -> String {
    let text = std::str::from_utf8(note).unwrap();
    let split = text.rfind("\n\n").expect("no blank line in checkpoint");
    format!("{}\n", &text[..split])
}

/// Every file below `dir`, as a `/`-separated path relative to `base`.
fn files_below(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_below(base, &path, out);
        } else {
            let rel = path.strip_prefix(base).unwrap();
            let parts: Vec<&str> = rel.iter().map(|p| p.to_str().unwrap()).collect();
            out.push(parts.join("/"));
        }
    }
}

#[test]
fn tessera_tiles_bundles_and_checkpoints_match_byte_for_byte() {
    let Some(log) = tessera_log() else { return };
    let vkey = NoteVerifier::parse(VKEY).unwrap();
    let mut audits = 0;
    for n in 1..=WORDS.len() {
        let words = &WORDS[..n];
        let mut tree = MemoryTree::new();
        for w in words {
            tree.push(leaf_hash(w.as_bytes()));
        }
        let size = n as u64;
        let width = n as u16;

        // Level-0 hash tile.
        let tile_id = TileId::hashes(0, 0, width);
        let tile_file = read(&log.join(tile_id.path()));
        assert_eq!(tile_id.path(), format!("tile/0/000.p/{n}"));
        assert_eq!(
            read_hash_tile(&tree, tile_id).unwrap(),
            tile_file,
            "tile/0/000.p/{n}"
        );

        // Entry bundle.
        let bundle_id = TileId::entries(0, width);
        let bundle_file = read(&log.join(bundle_id.path()));
        assert_eq!(bundle_id.path(), format!("tile/entries/000.p/{n}"));
        let mut bundle = Vec::new();
        for w in words {
            push_bundle_entry(&mut bundle, w.as_bytes()).unwrap();
        }
        assert_eq!(bundle, bundle_file, "tile/entries/000.p/{n}");

        // Tessera's bundle entries hash to Tessera's tile hashes.
        let entries = parse_entry_bundle(&bundle_file, n).unwrap();
        let hashes = parse_hash_tile(tile_id, &tile_file).unwrap();
        assert_eq!(
            entries,
            words.iter().map(|w| w.as_bytes()).collect::<Vec<_>>()
        );
        let leaf_hashes: Vec<_> = entries.iter().map(|e| leaf_hash(e)).collect();
        assert_eq!(leaf_hashes, hashes, "size {n}");

        // Checkpoint body.
        let note = read(&log.join(format!("checkpoint.{n}")));
        let ours = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: tree.root(),
            extensions: vec![],
        };
        assert_eq!(ours.to_body(), note_body(&note), "checkpoint.{n}");

        // Audit of Tessera's own tiles against its signed checkpoint.
        let cp = open_checkpoint(&note, &vkey).unwrap();
        assert_eq!(cp, ours);
        let mut fetch = |id: TileId| -> Result<Vec<u8>, LedgerError> {
            std::fs::read(log.join(id.path())).map_err(|e| LedgerError::Storage(Box::new(e)))
        };
        let mut seen = Vec::new();
        let report = audit_tiles(&cp, None, &mut fetch, &mut |i, e| {
            seen.push((i, e.to_vec()));
            Ok(())
        })
        .unwrap_or_else(|f| panic!("checkpoint.{n}: {f}"));
        assert_eq!(report.size, size);
        assert_eq!(report.root, tree.root());
        assert_eq!(report.tiles_fetched, 2);
        let want: Vec<(u64, Vec<u8>)> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (i as u64, w.as_bytes().to_vec()))
            .collect();
        assert_eq!(seen, want);

        // Every earlier checkpoint is a trusted prefix; a later one means the log rolled back.
        for t in 0..=WORDS.len() {
            let older = read(&log.join(format!("checkpoint.{t}")));
            let older = open_checkpoint(&older, &vkey).unwrap();
            let result = audit_tiles(&cp, Some(&older), &mut fetch, &mut |_, _| Ok(()));
            if t <= n {
                result.unwrap_or_else(|f| panic!("checkpoint.{n} trusting checkpoint.{t}: {f}"));
            } else {
                assert_eq!(result.unwrap_err().kind, AuditFailureKind::Fork);
            }
        }
        audits += 1;
    }
    assert_eq!(audits, 15);

    // The empty log: nothing to fetch.
    let cp = open_checkpoint(&read(&log.join("checkpoint.0")), &vkey).unwrap();
    assert_eq!(cp.root, empty_root());
    let mut fetch = |id: TileId| -> Result<Vec<u8>, LedgerError> {
        Err(LedgerError::InvalidRequest(format!(
            "unexpected fetch of {}",
            id.path()
        )))
    };
    let report = audit_tiles(&cp, None, &mut fetch, &mut |_, _| Ok(())).unwrap();
    assert_eq!((report.size, report.tiles_fetched), (0, 0));
}

#[test]
fn every_tessera_tile_path_parses() {
    let Some(log) = tessera_log() else { return };
    let mut paths = Vec::new();
    files_below(&log, &log.join("tile"), &mut paths);
    paths.sort();
    assert_eq!(paths.len(), 30, "{paths:?}");
    for path in &paths {
        let id = TileId::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(&id.path(), path);
        assert_eq!(id.index, 0);
        assert!(!id.is_full());
        let len = read(&log.join(path)).len();
        if id.level == Some(0) {
            assert_eq!(len, usize::from(id.width) * 32, "{path}");
        } else {
            assert_eq!(id.level, None, "{path}");
        }
    }
}
