//! The detector's durable state: the engine's windows and the seq of the first entry not yet
//! observed, written together in one transaction to their own redb file ([`WINDOWS_FILE`],
//! beside the database the alert outbox uses), so a large state's commit never holds up an
//! alert's delivery (redb has one writer per file). A state stored by an earlier version in the
//! outbox's database is read from there until the first store.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};

use super::FollowError;
use crate::state::EngineState;

/// The table of the detector's state: one row, [`KEY`].
const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("detect_state");
/// The row holding [`Saved`] as JSON.
const KEY: &str = "engine";
/// Version of the stored form; another version is read as no state (windows start empty).
const VERSION: u32 = 1;

/// What the detector stores: where it is in the log, and the engine's windows there.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    /// Version of this form.
    pub version: u32,
    /// Every entry before this seq has been observed, and every alert it raised appended.
    pub next_seq: u64,
    /// The engine's state after observing them.
    pub engine: EngineState,
}

/// The file of the detector's windows, in the directory of the outbox's database.
pub const WINDOWS_FILE: &str = "detect-state.redb";

/// The database files, opened once per process (the log's lock keeps other processes out).
pub struct StateDb {
    /// Shared with the outbox; where earlier versions stored the state.
    db: Arc<Database>,
    path: PathBuf,
    /// The state's own file.
    windows: Database,
    windows_path: PathBuf,
    /// Whether a state an earlier version stored in `db` may still be there.
    legacy: AtomicBool,
}

impl StateDb {
    /// Opens (creating if needed) the state database at `path`.
    pub fn open(path: &Path) -> Result<StateDb, FollowError> {
        let db = Database::create(path).map_err(|e| state_error(path, e))?;
        let windows_path = path.with_file_name(WINDOWS_FILE);
        let windows = Database::create(&windows_path).map_err(|e| state_error(&windows_path, e))?;
        Ok(StateDb {
            db: Arc::new(db),
            path: path.to_path_buf(),
            windows,
            windows_path,
            legacy: AtomicBool::new(true),
        })
    }

    /// The database, shared with the alert outbox.
    pub fn database(&self) -> Arc<Database> {
        self.db.clone()
    }

    fn err(&self, e: impl Into<redb::Error>) -> FollowError {
        state_error(&self.path, e)
    }

    /// The stored state, or `None` when nothing (or another version) is stored.
    pub fn load(&self) -> Result<Option<Saved>, FollowError> {
        let (bytes, path) = match read_row(&self.windows, &self.windows_path)? {
            Some(bytes) => (bytes, &self.windows_path),
            None => match read_row(&self.db, &self.path)? {
                Some(bytes) => (bytes, &self.path),
                None => return Ok(None),
            },
        };
        let saved: Saved = serde_json::from_slice(&bytes).map_err(|e| FollowError::Corrupt {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if saved.version != VERSION {
            tracing::warn!(
                version = saved.version,
                "detection state of another version; windows start empty"
            );
            return Ok(None);
        }
        Ok(Some(saved))
    }

    /// Stores `next_seq` and `engine` durably (one transaction, synced on commit).
    pub fn store(&self, next_seq: u64, engine: EngineState) -> Result<(), FollowError> {
        let saved = Saved {
            version: VERSION,
            next_seq,
            engine,
        };
        let bytes = serde_json::to_vec(&saved).map_err(|e| FollowError::Corrupt {
            path: self.windows_path.display().to_string(),
            message: e.to_string(),
        })?;
        let path = &self.windows_path;
        let txn = self
            .windows
            .begin_write()
            .map_err(|e| state_error(path, e))?;
        {
            let mut table = txn.open_table(TABLE).map_err(|e| state_error(path, e))?;
            table
                .insert(KEY, bytes.as_slice())
                .map_err(|e| state_error(path, e))?;
        }
        txn.commit().map_err(|e| state_error(path, e))?;
        if self.legacy.swap(false, Ordering::AcqRel) {
            self.drop_legacy()?;
        }
        Ok(())
    }

    /// Removes a state an earlier version stored in the outbox's database (the state's own
    /// file now holds a newer one).
    fn drop_legacy(&self) -> Result<(), FollowError> {
        let txn = self.db.begin_write().map_err(|e| self.err(e))?;
        match txn.delete_table(TABLE) {
            Ok(_) | Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(self.err(e)),
        }
        txn.commit().map_err(|e| self.err(e))
    }
}

/// A redb error on the database at `path`.
fn state_error(path: &Path, e: impl Into<redb::Error>) -> FollowError {
    FollowError::State {
        path: path.display().to_string(),
        source: e.into(),
    }
}

/// The state row of `db` (at `path`), if any.
fn read_row(db: &Database, path: &Path) -> Result<Option<Vec<u8>>, FollowError> {
    let txn = db.begin_read().map_err(|e| state_error(path, e))?;
    let table = match txn.open_table(TABLE) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(state_error(path, e)),
    };
    Ok(table
        .get(KEY)
        .map_err(|e| state_error(path, e))?
        .map(|v| v.value().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stores a state in the outbox's database, as versions before [`WINDOWS_FILE`] did.
    fn store_legacy(db: &Database, next_seq: u64) {
        let saved = Saved {
            version: VERSION,
            next_seq,
            engine: EngineState::default(),
        };
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(TABLE).unwrap();
            table
                .insert(KEY, serde_json::to_vec(&saved).unwrap().as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }

    #[test]
    fn the_state_has_its_own_file_and_an_earlier_versions_is_carried_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("detect.redb");
        let state = StateDb::open(&path).unwrap();
        assert!(state.load().unwrap().is_none());
        store_legacy(&state.database(), 7);
        // Read from the outbox's database until the first store...
        assert_eq!(state.load().unwrap().map(|s| s.next_seq), Some(7));
        state.store(9, EngineState::default()).unwrap();
        assert_eq!(state.load().unwrap().map(|s| s.next_seq), Some(9));
        // ...which goes to the state's own file and removes the old row.
        assert!(read_row(&state.database(), &path).unwrap().is_none());
        let own = read_row(&state.windows, &state.windows_path).unwrap();
        assert!(own.is_some());
        assert!(dir.path().join(WINDOWS_FILE).exists());
        drop(state);
        let again = StateDb::open(&path).unwrap();
        assert_eq!(again.load().unwrap().map(|s| s.next_seq), Some(9));
    }
}
