//! Auditing a log from its C2SP tiles alone: what `authtrail verify --url` runs.
//!
//! [`audit_tiles`] streams the log: it fetches the entry bundles in order, hashes every entry into
//! a [`Frontier`], and checks every complete subtree at the tile levels (tree levels 0, 8, 16, ...)
//! against the served hash tiles, each fetched once, when its first hash is needed. At the end the
//! rebuilt root must be the checkpoint's. Memory holds one hash tile per tile level, one entry
//! bundle and the frontier, whatever the size of the log.
//!
//! A failure names the leaf (entry index) where the damage was found: the entry being read for an
//! entry bundle, the first leaf below the mismatching hash for a hash tile, the first leaf a tile
//! covers when the tile cannot be fetched or parsed. Root mismatches and forks carry no index.

use std::fmt;

use crate::checkpoint::Checkpoint;
use crate::error::LedgerError;
use crate::hash::{empty_root, leaf_hash, Hash};
use crate::tile::{parse_hash_tile, TileId, TILE_HEIGHT, TILE_WIDTH};
use crate::tree::Frontier;

/// What an audit of a tile-served log found when it is clean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    /// Number of entries checked (the checkpoint's tree size).
    pub size: u64,
    /// The root hash rebuilt from the entries, equal to the checkpoint's.
    pub root: Hash,
    /// Number of tiles (entry bundles and hash tiles) fetched.
    pub tiles_fetched: u64,
}

/// Where and how an audit failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFailure {
    /// The kind of damage found.
    pub kind: AuditFailureKind,
    /// The entry index (leaf) where the damage was found, when it can be pinned to one.
    pub index: Option<u64>,
    /// What exactly was found, for a person to act on.
    pub detail: String,
}

/// The kinds of damage an audit can find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditFailureKind {
    /// A tile could not be fetched.
    Fetch,
    /// A tile's bytes do not have the tile's format (wrong length, truncated or trailing entry data).
    MalformedTile,
    /// `check_entry` rejected an entry.
    EntryRejected,
    /// A hash tile disagrees with the hashes rebuilt from the entries (a bundle or a hash tile was altered).
    TileMismatch,
    /// The entries rebuild to a root other than the checkpoint's.
    RootMismatch,
    /// The log is not an extension of the trusted checkpoint (rolled back or rewritten history).
    Fork,
}

impl fmt::Display for AuditFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuditFailureKind::Fetch => "fetch failed",
            AuditFailureKind::MalformedTile => "malformed tile",
            AuditFailureKind::EntryRejected => "entry rejected",
            AuditFailureKind::TileMismatch => "tile mismatch",
            AuditFailureKind::RootMismatch => "root mismatch",
            AuditFailureKind::Fork => "fork",
        })
    }
}

impl fmt::Display for AuditFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{} at entry {i}: {}", self.kind, self.detail),
            None => write!(f, "{}: {}", self.kind, self.detail),
        }
    }
}

impl std::error::Error for AuditFailure {}

impl AuditFailure {
    fn new(kind: AuditFailureKind, index: Option<u64>, detail: impl Into<String>) -> Self {
        AuditFailure {
            kind,
            index,
            detail: detail.into(),
        }
    }
}

/// Check every entry bundle and hash tile of the tree `checkpoint` describes; `fetch` returns a tile's bytes
/// by id; `check_entry(index, bytes)` may reject an entry (authtrail checks that an entry header decodes and
/// carries seq == index). With `trusted` (an older checkpoint of the same log, already signature-checked), the
/// tree's first trusted.size leaves must hash to trusted.root, else Fork.
#[allow(clippy::type_complexity)] // the callback types are the API, spelled out
pub fn audit_tiles(
    checkpoint: &Checkpoint,
    trusted: Option<&Checkpoint>,
    fetch: &mut dyn FnMut(TileId) -> Result<Vec<u8>, LedgerError>,
    check_entry: &mut dyn FnMut(u64, &[u8]) -> Result<(), String>,
) -> Result<AuditReport, AuditFailure> {
    let size = checkpoint.size;
    if let Some(t) = trusted {
        if t.origin != checkpoint.origin {
            return Err(AuditFailure::new(
                AuditFailureKind::Fork,
                None,
                format!(
                    "the trusted checkpoint is of log {:?}, not {:?}: pass a checkpoint of this log",
                    t.origin, checkpoint.origin
                ),
            ));
        }
        if t.size > size {
            return Err(AuditFailure::new(
                AuditFailureKind::Fork,
                None,
                format!(
                    "log rolled back: it serves a checkpoint of size {size}, but a trusted checkpoint has size {}",
                    t.size
                ),
            ));
        }
        if t.size == 0 && t.root != empty_root() {
            return Err(fork_failure(t, &empty_root()));
        }
    }

    let mut hashes = HashTiles {
        size,
        fetch,
        tiles: Default::default(),
        fetched: 0,
    };
    let mut frontier = Frontier::new();
    let mut bundle_index = 0u64;
    while bundle_index
        .checked_mul(TILE_WIDTH)
        .is_some_and(|first| first < size)
    {
        let first = bundle_index * TILE_WIDTH;
        let width = (size - first).min(TILE_WIDTH) as u16;
        let id = TileId::entries(bundle_index, width);
        let bytes = (hashes.fetch)(id).map_err(|e| fetch_failure(id, first, &e))?;
        hashes.fetched += 1;

        let mut rest = bytes.as_slice();
        for k in 0..u64::from(width) {
            let index = first + k;
            let entry = next_entry(&mut rest).ok_or_else(|| {
                AuditFailure::new(
                    AuditFailureKind::MalformedTile,
                    Some(index),
                    format!(
                        "{}: entry {index} is truncated (the bundle holds fewer than {width} entries or a length was altered)",
                        id.path()
                    ),
                )
            })?;
            let leaf = leaf_hash(entry);
            hashes.check(0, index, &leaf)?;
            check_entry(index, entry).map_err(|reason| {
                AuditFailure::new(
                    AuditFailureKind::EntryRejected,
                    Some(index),
                    format!("entry {index} in {}: {reason}", id.path()),
                )
            })?;
            let mut failure = None;
            let appended = frontier.append(leaf, |level, node_index, hash| {
                if level == 0 {
                    return Ok(());
                }
                hashes.check(level, node_index, &hash).map_err(|f| {
                    failure = Some(f);
                    LedgerError::InvalidRequest("audit failed".into())
                })
            });
            if let Err(e) = appended {
                return Err(failure.unwrap_or_else(|| {
                    AuditFailure::new(
                        AuditFailureKind::RootMismatch,
                        Some(index),
                        format!("rebuilding the tree failed at entry {index}: {e}"),
                    )
                }));
            }
            if let Some(t) = trusted {
                if frontier.size() == t.size {
                    let root = frontier.root();
                    if root != t.root {
                        return Err(fork_failure(t, &root));
                    }
                }
            }
        }
        if !rest.is_empty() {
            let last = first + u64::from(width) - 1;
            return Err(AuditFailure::new(
                AuditFailureKind::MalformedTile,
                Some(last),
                format!(
                    "{}: {} unexpected bytes after its {width} entries",
                    id.path(),
                    rest.len()
                ),
            ));
        }
        bundle_index += 1;
    }

    let root = frontier.root();
    if root != checkpoint.root {
        return Err(AuditFailure::new(
            AuditFailureKind::RootMismatch,
            None,
            format!(
                "the {size} entries hash to root {}, but the checkpoint says {}: the checkpoint does not describe the served tiles",
                hex(&root),
                hex(&checkpoint.root)
            ),
        ));
    }
    Ok(AuditReport {
        size,
        root,
        tiles_fetched: hashes.fetched,
    })
}

/// A hash tile as fetched, split into hashes.
struct LoadedTile {
    id: TileId,
    hashes: Vec<Hash>,
}

/// The hash tiles of a log, fetched lazily, at most one held per tile level.
struct HashTiles<'a> {
    size: u64,
    fetch: &'a mut dyn FnMut(TileId) -> Result<Vec<u8>, LedgerError>,
    /// Current tile per tile level (tree levels 0, 8, ..., 56).
    tiles: [Option<LoadedTile>; 8],
    fetched: u64,
}

impl HashTiles<'_> {
    /// Compare the rebuilt hash of subtree (`level`, `index`) with the hash tiles, if `level` is a tile level.
    fn check(&mut self, level: u8, index: u64, hash: &Hash) -> Result<(), AuditFailure> {
        if u32::from(level) % TILE_HEIGHT != 0 {
            return Ok(());
        }
        let tile_level = (u32::from(level) / TILE_HEIGHT) as u8;
        let tile_index = index / TILE_WIDTH;
        let first_leaf = index.checked_shl(u32::from(level)).unwrap_or(u64::MAX);
        // A tree of at most 2^64 - 1 leaves has levels 0..=63, so tile levels 0..=7.
        let Some(slot) = self.tiles.get_mut(usize::from(tile_level)) else {
            return Err(AuditFailure::new(
                AuditFailureKind::RootMismatch,
                Some(first_leaf),
                format!("subtree level {level} is beyond any tree"),
            ));
        };
        let current = match slot {
            Some(t) if t.id.index == tile_index => t,
            _ => {
                let count = self.size >> level;
                let first = tile_index * TILE_WIDTH;
                let width = count.saturating_sub(first).min(TILE_WIDTH) as u16;
                let id = TileId::hashes(tile_level, tile_index, width);
                let tile_first_leaf = first.checked_shl(u32::from(level)).unwrap_or(u64::MAX);
                let bytes = (self.fetch)(id).map_err(|e| fetch_failure(id, tile_first_leaf, &e))?;
                self.fetched += 1;
                let hashes = parse_hash_tile(id, &bytes).map_err(|e| {
                    AuditFailure::new(
                        AuditFailureKind::MalformedTile,
                        Some(tile_first_leaf),
                        e.to_string(),
                    )
                })?;
                slot.insert(LoadedTile { id, hashes })
            }
        };
        let position = (index % TILE_WIDTH) as usize;
        let Some(want) = current.hashes.get(position) else {
            return Err(AuditFailure::new(
                AuditFailureKind::MalformedTile,
                Some(first_leaf),
                format!("{} has no hash at position {position}", current.id.path()),
            ));
        };
        if want != hash {
            let detail = if level == 0 {
                format!(
                    "the leaf hash of entry {index} is {}, but {} holds {} at position {position}: the entry bundle or that hash tile was altered",
                    hex(hash),
                    current.id.path(),
                    hex(want)
                )
            } else {
                let end = (index + 1)
                    .checked_shl(u32::from(level))
                    .unwrap_or(u64::MAX);
                format!(
                    "entries [{first_leaf}, {end}) hash to {}, but {} holds {} at position {position}: that hash tile was altered",
                    hex(hash),
                    current.id.path(),
                    hex(want)
                )
            };
            return Err(AuditFailure::new(
                AuditFailureKind::TileMismatch,
                Some(first_leaf),
                detail,
            ));
        }
        Ok(())
    }
}

/// Take the next length-prefixed entry off the front of a bundle, or `None` if it is truncated.
fn next_entry<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, after) = rest.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len));
    let entry = after.get(..len)?;
    *rest = after.get(len..)?;
    Some(entry)
}

fn fetch_failure(id: TileId, first_leaf: u64, e: &LedgerError) -> AuditFailure {
    AuditFailure::new(
        AuditFailureKind::Fetch,
        Some(first_leaf),
        format!("fetching {}: {e}", id.path()),
    )
}

fn fork_failure(trusted: &Checkpoint, root: &Hash) -> AuditFailure {
    AuditFailure::new(
        AuditFailureKind::Fork,
        None,
        format!(
            "the log's first {} entries hash to {}, but the trusted checkpoint says {}: the log rewrote history",
            trusted.size,
            hex(root),
            hex(&trusted.root)
        ),
    )
}

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::tile::{push_bundle_entry, read_hash_tile, tiles_for_size};
    use crate::tree::{root_at, MemoryTree};

    /// Deterministic pseudo-random numbers (SplitMix64).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    /// A tile-served log held in memory.
    struct FakeLog {
        entries: Vec<Vec<u8>>,
        tree: MemoryTree,
    }

    impl FakeLog {
        fn new(n: u64, seed: u64) -> Self {
            let mut rng = Rng(seed);
            let mut entries = Vec::new();
            let mut tree = MemoryTree::new();
            for _ in 0..n {
                let len = (rng.next() % 12) as usize;
                let e: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                tree.push(leaf_hash(&e));
                entries.push(e);
            }
            FakeLog { entries, tree }
        }

        fn checkpoint(&self) -> Checkpoint {
            checkpoint_of(&self.tree, self.tree.size())
        }

        fn tile(&self, id: TileId) -> Result<Vec<u8>, LedgerError> {
            let size = self.tree.size();
            if !tiles_for_size(size).contains(&id) {
                return Err(LedgerError::InvalidRequest(format!(
                    "no tile {}",
                    id.path()
                )));
            }
            match id.level {
                Some(_) => read_hash_tile(&self.tree, id),
                None => {
                    let mut bundle = Vec::new();
                    for i in id.first()..id.first() + u64::from(id.width) {
                        push_bundle_entry(&mut bundle, &self.entries[i as usize])?;
                    }
                    Ok(bundle)
                }
            }
        }
    }

    fn checkpoint_of(tree: &MemoryTree, size: u64) -> Checkpoint {
        Checkpoint {
            origin: "example.org/log".into(),
            size,
            root: root_at(tree, size).unwrap(),
            extensions: vec![],
        }
    }

    /// Audit `log` against `cp`, flipping byte `tamper.1` of tile `tamper.0` (if any) as it is served.
    fn audit(
        log: &FakeLog,
        cp: &Checkpoint,
        trusted: Option<&Checkpoint>,
        tamper: Option<(TileId, usize)>,
        fetches: &mut HashMap<TileId, u32>,
    ) -> Result<AuditReport, AuditFailure> {
        let mut fetch = |id: TileId| {
            *fetches.entry(id).or_default() += 1;
            let mut bytes = log.tile(id)?;
            if let Some((t, pos)) = tamper {
                if t == id {
                    bytes[pos] ^= 0x01;
                }
            }
            Ok(bytes)
        };
        audit_tiles(cp, trusted, &mut fetch, &mut |_, _| Ok(()))
    }

    fn audit_plain(
        log: &FakeLog,
        tamper: Option<(TileId, usize)>,
    ) -> Result<AuditReport, AuditFailure> {
        audit(log, &log.checkpoint(), None, tamper, &mut HashMap::new())
    }

    /// The failure flipping byte `pos` of tile `id` must produce.
    fn expected(log: &FakeLog, id: TileId, pos: usize) -> (AuditFailureKind, u64) {
        match id.level {
            Some(level) => {
                let hash_index = id.first() + (pos / 32) as u64;
                (
                    AuditFailureKind::TileMismatch,
                    hash_index << (8 * u32::from(level)),
                )
            }
            None => {
                let bundle = log.tile(id).unwrap();
                let mut at = 0usize;
                for k in 0..u64::from(id.width) {
                    let entry = &log.entries[(id.first() + k) as usize];
                    let end = at + 2 + entry.len();
                    if pos < at + 2 {
                        // The length prefix: the entry is read with another length.
                        let mut len = [bundle[at], bundle[at + 1]];
                        len[pos - at] ^= 0x01;
                        let new_len = usize::from(u16::from_be_bytes(len));
                        let kind = if at + 2 + new_len > bundle.len() {
                            AuditFailureKind::MalformedTile
                        } else {
                            AuditFailureKind::TileMismatch
                        };
                        return (kind, id.first() + k);
                    }
                    if pos < end {
                        return (AuditFailureKind::TileMismatch, id.first() + k);
                    }
                    at = end;
                }
                unreachable!("byte {pos} outside bundle {}", id.path())
            }
        }
    }

    #[test]
    fn clean_logs_audit_clean_and_fetch_every_tile_once() {
        for n in [0u64, 1, 255, 256, 257, 70_000] {
            let log = FakeLog::new(n, n);
            let mut fetches = HashMap::new();
            let report = audit(&log, &log.checkpoint(), None, None, &mut fetches).unwrap();
            assert_eq!(report.size, n);
            assert_eq!(report.root, log.tree.root());
            let tiles = tiles_for_size(n);
            assert_eq!(report.tiles_fetched, tiles.len() as u64, "size {n}");
            assert_eq!(fetches.len(), tiles.len(), "size {n}");
            assert!(tiles.iter().all(|t| fetches.get(t) == Some(&1)), "size {n}");
            // Every trusted prefix of the same log is consistent with it.
            for t in [0, 1, n / 2, n.saturating_sub(1), n] {
                if t <= n {
                    let trusted = checkpoint_of(&log.tree, t);
                    audit(
                        &log,
                        &log.checkpoint(),
                        Some(&trusted),
                        None,
                        &mut HashMap::new(),
                    )
                    .unwrap_or_else(|f| panic!("size {n}, trusted {t}: {f}"));
                }
            }
        }
    }

    #[test]
    fn every_altered_byte_of_every_tile_is_found_at_its_entry() {
        for n in [1u64, 255, 256, 257] {
            let log = FakeLog::new(n, 1000 + n);
            for id in tiles_for_size(n) {
                let len = log.tile(id).unwrap().len();
                for pos in 0..len {
                    let got = audit_plain(&log, Some((id, pos))).unwrap_err();
                    let (kind, index) = expected(&log, id, pos);
                    assert_eq!(
                        (got.kind, got.index),
                        (kind, Some(index)),
                        "{} byte {pos}: {got}",
                        id.path()
                    );
                }
            }
        }
    }

    #[test]
    fn altered_bytes_in_a_large_log_are_found_at_every_level() {
        let log = FakeLog::new(70_000, 7);
        let mut rng = Rng(99);
        let tiles = tiles_for_size(70_000);
        let mut picks: Vec<TileId> = vec![
            TileId::hashes(2, 0, 1),
            TileId::hashes(1, 0, 256),
            TileId::hashes(1, 1, 17),
            TileId::hashes(0, 0, 256),
            TileId::hashes(0, 273, 112),
            TileId::entries(0, 256),
            TileId::entries(273, 112),
        ];
        for _ in 0..6 {
            picks.push(tiles[(rng.next() % tiles.len() as u64) as usize]);
        }
        for id in picks {
            assert!(tiles.contains(&id), "{}", id.path());
            let len = log.tile(id).unwrap().len();
            for pos in [0, len - 1, (rng.next() % len as u64) as usize] {
                let got = audit_plain(&log, Some((id, pos))).unwrap_err();
                let (kind, index) = expected(&log, id, pos);
                assert_eq!(
                    (got.kind, got.index),
                    (kind, Some(index)),
                    "{} byte {pos}: {got}",
                    id.path()
                );
            }
        }
    }

    #[test]
    fn an_altered_root_is_a_root_mismatch() {
        for n in [0u64, 1, 255, 256, 257, 70_000] {
            let log = FakeLog::new(n, 3 * n);
            for byte in [0usize, 17, 31] {
                let mut cp = log.checkpoint();
                cp.root[byte] ^= 0x80;
                let got = audit(&log, &cp, None, None, &mut HashMap::new()).unwrap_err();
                assert_eq!(
                    (got.kind, got.index),
                    (AuditFailureKind::RootMismatch, None),
                    "size {n}"
                );
            }
        }
    }

    #[test]
    fn a_trusted_checkpoint_of_another_history_is_a_fork() {
        let log = FakeLog::new(1000, 5);
        let mut other = FakeLog::new(1000, 5);
        other.entries[300].push(b'!');
        let mut tree = MemoryTree::new();
        for e in &other.entries {
            tree.push(leaf_hash(e));
        }
        other.tree = tree;
        for t in [301u64, 512, 999, 1000] {
            let trusted = checkpoint_of(&other.tree, t);
            let got = audit(
                &log,
                &log.checkpoint(),
                Some(&trusted),
                None,
                &mut HashMap::new(),
            )
            .unwrap_err();
            assert_eq!(got.kind, AuditFailureKind::Fork, "trusted size {t}");
        }
        // Before the divergence the histories agree.
        let trusted = checkpoint_of(&other.tree, 300);
        audit(
            &log,
            &log.checkpoint(),
            Some(&trusted),
            None,
            &mut HashMap::new(),
        )
        .unwrap();

        // Rolled back: the trusted checkpoint is larger than the served one.
        let trusted = checkpoint_of(&log.tree, 1000);
        let cp = checkpoint_of(&log.tree, 999);
        let got = audit(&log, &cp, Some(&trusted), None, &mut HashMap::new()).unwrap_err();
        assert_eq!(got.kind, AuditFailureKind::Fork);
        assert!(got.detail.contains("rolled back"), "{}", got.detail);

        // A size-0 trusted checkpoint with a root other than the empty tree's.
        let mut trusted = checkpoint_of(&log.tree, 0);
        trusted.root[0] ^= 1;
        let got = audit(
            &log,
            &log.checkpoint(),
            Some(&trusted),
            None,
            &mut HashMap::new(),
        )
        .unwrap_err();
        assert_eq!(got.kind, AuditFailureKind::Fork);

        // Another log's checkpoint.
        let mut trusted = checkpoint_of(&log.tree, 10);
        trusted.origin = "example.org/other".into();
        let got = audit(
            &log,
            &log.checkpoint(),
            Some(&trusted),
            None,
            &mut HashMap::new(),
        )
        .unwrap_err();
        assert_eq!(got.kind, AuditFailureKind::Fork);
    }

    #[test]
    fn rejected_entries_fetch_errors_and_bad_lengths_are_reported() {
        let log = FakeLog::new(600, 11);
        let cp = log.checkpoint();

        let mut fetch = |id: TileId| log.tile(id);
        let got = audit_tiles(&cp, None, &mut fetch, &mut |i, _| {
            if i == 345 {
                Err("seq is 9, not 345".into())
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(
            (got.kind, got.index),
            (AuditFailureKind::EntryRejected, Some(345))
        );
        assert!(got.detail.contains("seq is 9"), "{}", got.detail);

        for (missing, index) in [
            (TileId::entries(1, 256), 256),
            (TileId::hashes(0, 2, 88), 512),
            (TileId::hashes(1, 0, 2), 0),
        ] {
            let mut fetch = |id: TileId| {
                if id == missing {
                    Err(LedgerError::InvalidRequest("404".into()))
                } else {
                    log.tile(id)
                }
            };
            let got = audit_tiles(&cp, None, &mut fetch, &mut |_, _| Ok(())).unwrap_err();
            assert_eq!(
                (got.kind, got.index),
                (AuditFailureKind::Fetch, Some(index)),
                "{}",
                missing.path()
            );
            assert!(got.detail.contains(&missing.path()), "{}", got.detail);
        }

        for (tile, index) in [
            (TileId::entries(2, 88), 599),
            (TileId::hashes(0, 1, 256), 256),
            (TileId::hashes(1, 0, 2), 0),
        ] {
            for grow in [false, true] {
                let mut fetch = |id: TileId| {
                    let mut bytes = log.tile(id)?;
                    if id == tile {
                        if grow {
                            bytes.push(0);
                        } else {
                            bytes.pop();
                        }
                    }
                    Ok(bytes)
                };
                let got = audit_tiles(&cp, None, &mut fetch, &mut |_, _| Ok(())).unwrap_err();
                assert_eq!(
                    (got.kind, got.index),
                    (AuditFailureKind::MalformedTile, Some(index)),
                    "{} grow={grow}: {got}",
                    tile.path()
                );
            }
        }
    }

    #[test]
    fn failures_display_kind_index_and_detail() {
        let f = AuditFailure::new(AuditFailureKind::TileMismatch, Some(7), "x");
        assert_eq!(f.to_string(), "tile mismatch at entry 7: x");
        let f = AuditFailure::new(AuditFailureKind::RootMismatch, None, "y");
        assert_eq!(f.to_string(), "root mismatch: y");
    }
}
