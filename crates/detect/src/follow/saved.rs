//! The detector's durable state in its redb database: the engine's windows and the seq of the
//! first entry not yet observed, written together in one transaction.

use std::path::{Path, PathBuf};
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

/// The database file, opened once per process (the log's lock keeps other processes out).
pub struct StateDb {
    db: Arc<Database>,
    path: PathBuf,
}

impl StateDb {
    /// Opens (creating if needed) the state database at `path`.
    pub fn open(path: &Path) -> Result<StateDb, FollowError> {
        let err = |e: redb::Error| FollowError::State {
            path: path.display().to_string(),
            source: e,
        };
        let db = Database::create(path).map_err(|e| err(e.into()))?;
        Ok(StateDb {
            db: Arc::new(db),
            path: path.to_path_buf(),
        })
    }

    /// The database, shared with the alert outbox.
    pub fn database(&self) -> Arc<Database> {
        self.db.clone()
    }

    fn err(&self, e: impl Into<redb::Error>) -> FollowError {
        FollowError::State {
            path: self.path.display().to_string(),
            source: e.into(),
        }
    }

    /// The stored state, or `None` when nothing (or another version) is stored.
    pub fn load(&self) -> Result<Option<Saved>, FollowError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = match txn.open_table(TABLE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.err(e)),
        };
        let Some(bytes) = table.get(KEY).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let saved: Saved =
            serde_json::from_slice(bytes.value()).map_err(|e| FollowError::Corrupt {
                path: self.path.display().to_string(),
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
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        let txn = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = txn.open_table(TABLE).map_err(|e| self.err(e))?;
            table
                .insert(KEY, bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        txn.commit().map_err(|e| self.err(e))
    }
}
