//! The outbox's tables in the shared redb database, and every read and write of them.
//!
//! `output_queue` maps (output, alert uid) to (log seq, attempts so far, next attempt in ms since
//! the epoch, the [`Stored`](super::payload::Stored) alert as JSON). `output_delivered` maps
//! (output, alert uid) to the delivery time (ms) for [`DELIVERED_KEEP`](super::defaults::DELIVERED_KEEP).
//! A pair is in at most one of them; a delivery moves from the first to the second in one
//! transaction.

use std::collections::BTreeMap;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::error::OutputError;

/// A delivery's key: (output name, alert uid).
type Key<'a> = (&'a str, &'a str);

/// A queued delivery: (log seq, attempts so far, next attempt ms, stored alert JSON).
type Row<'a> = (u64, u32, i64, &'a [u8]);

/// Deliveries waiting.
const QUEUE: TableDefinition<Key, Row> = TableDefinition::new("output_queue");

/// Deliveries made: (output, uid) -> delivery time ms.
const DELIVERED: TableDefinition<Key, i64> = TableDefinition::new("output_delivered");

/// One alert to queue: its seq, uid and stored JSON.
pub(crate) struct NewItem<'a> {
    /// The alert's log seq.
    pub seq: u64,
    /// The alert's uid.
    pub uid: &'a str,
    /// The [`Stored`](super::payload::Stored) alert as JSON.
    pub stored: &'a [u8],
}

/// A queued delivery read back.
#[derive(Debug)]
pub(crate) struct Queued {
    /// The alert's uid.
    pub uid: String,
    /// The alert's log seq.
    pub seq: u64,
    /// Attempts made so far.
    pub attempts: u32,
    /// The stored alert JSON.
    pub stored: Vec<u8>,
}

/// An output's deliveries due now, and when the next of the others is due.
#[derive(Debug, Default)]
pub(crate) struct Due {
    /// Due deliveries, in the order they became due (then by seq).
    pub items: Vec<Queued>,
    /// The earliest next attempt among those not yet due.
    pub next_ms: Option<i64>,
}

/// What became of one delivery attempt.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Sent: forget it from the queue, remember it as delivered.
    Delivered,
    /// Failed: its attempts so far and when to try again.
    Failed { attempts: u32, next_ms: i64 },
}

/// Creates the tables if missing.
pub(crate) fn create_tables(db: &Database) -> Result<(), OutputError> {
    let txn = db.begin_write()?;
    txn.open_table(QUEUE)?;
    txn.open_table(DELIVERED)?;
    txn.commit()?;
    Ok(())
}

/// Deliveries waiting per output name (configured or not).
pub(crate) fn depth_by_output(db: &Database) -> Result<BTreeMap<String, u64>, OutputError> {
    let txn = db.begin_read()?;
    let queue = txn.open_table(QUEUE)?;
    let mut depth = BTreeMap::new();
    for row in queue.iter()? {
        let (key, _) = row?;
        *depth.entry(key.value().0.to_string()).or_insert(0) += 1;
    }
    Ok(depth)
}

/// Queues each item for each of `outputs` unless that pair is queued or delivered already, in
/// one transaction; how many deliveries were queued.
pub(crate) fn enqueue(
    db: &Database,
    outputs: &[&str],
    items: &[NewItem<'_>],
    now_ms: i64,
) -> Result<usize, OutputError> {
    let txn = db.begin_write()?;
    let mut queued = 0;
    {
        let mut queue = txn.open_table(QUEUE)?;
        let delivered = txn.open_table(DELIVERED)?;
        for item in items {
            for &output in outputs {
                let key = (output, item.uid);
                if queue.get(key)?.is_some() || delivered.get(key)?.is_some() {
                    continue;
                }
                queue.insert(key, (item.seq, 0, now_ms, item.stored))?;
                queued += 1;
            }
        }
    }
    txn.commit()?;
    Ok(queued)
}

/// Up to `max` of `output`'s deliveries due at `now_ms`, oldest due first.
pub(crate) fn due(
    db: &Database,
    output: &str,
    now_ms: i64,
    max: usize,
) -> Result<Due, OutputError> {
    let txn = db.begin_read()?;
    let queue = txn.open_table(QUEUE)?;
    let mut ready: Vec<(i64, u64, String)> = Vec::new();
    let mut next_ms: Option<i64> = None;
    for row in queue.range((output, "")..)? {
        let (key, value) = row?;
        let (name, uid) = key.value();
        if name != output {
            break;
        }
        let (seq, _, next, _) = value.value();
        if next <= now_ms {
            ready.push((next, seq, uid.to_string()));
        } else {
            next_ms = Some(next_ms.map_or(next, |n| n.min(next)));
        }
    }
    ready.sort_unstable();
    let mut items = Vec::with_capacity(ready.len().min(max));
    for (_, _, uid) in ready.into_iter().take(max) {
        if let Some(value) = queue.get((output, uid.as_str()))? {
            let (seq, attempts, _, stored) = value.value();
            items.push(Queued {
                seq,
                attempts,
                stored: stored.to_vec(),
                uid,
            });
        }
    }
    Ok(Due { items, next_ms })
}

/// Records what became of `output`'s attempts, in one transaction.
pub(crate) fn record(
    db: &Database,
    output: &str,
    outcomes: &[(String, Outcome)],
    now_ms: i64,
) -> Result<(), OutputError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let txn = db.begin_write()?;
    {
        let mut queue = txn.open_table(QUEUE)?;
        let mut delivered = txn.open_table(DELIVERED)?;
        for (uid, outcome) in outcomes {
            let key = (output, uid.as_str());
            match outcome {
                Outcome::Delivered => {
                    queue.remove(key)?;
                    delivered.insert(key, now_ms)?;
                }
                Outcome::Failed { attempts, next_ms } => {
                    let current = queue.get(key)?.map(|v| {
                        let (seq, _, _, stored) = v.value();
                        (seq, stored.to_vec())
                    });
                    if let Some((seq, stored)) = current {
                        queue.insert(key, (seq, *attempts, *next_ms, stored.as_slice()))?;
                    }
                }
            }
        }
    }
    txn.commit()?;
    Ok(())
}

/// Forgets deliveries made before `cutoff_ms`; how many.
pub(crate) fn prune_delivered(db: &Database, cutoff_ms: i64) -> Result<u64, OutputError> {
    let txn = db.begin_write()?;
    let mut pruned = 0;
    {
        let mut delivered = txn.open_table(DELIVERED)?;
        delivered.retain(|_, at| {
            let keep = at >= cutoff_ms;
            if !keep {
                pruned += 1;
            }
            keep
        })?;
    }
    txn.commit()?;
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        create_tables(&db).unwrap();
        (dir, db)
    }

    fn item(seq: u64, uid: &str) -> NewItem<'_> {
        NewItem {
            seq,
            uid,
            stored: b"{}",
        }
    }

    #[test]
    fn enqueue_is_idempotent_per_output_and_uid() {
        let (_dir, db) = db();
        let n = enqueue(&db, &["a", "b"], &[item(1, "u1"), item(2, "u2")], 0).unwrap();
        assert_eq!(n, 4);
        let n = enqueue(&db, &["a", "b"], &[item(1, "u1"), item(3, "u3")], 0).unwrap();
        assert_eq!(n, 2);
        record(&db, "a", &[("u1".into(), Outcome::Delivered)], 5).unwrap();
        let n = enqueue(&db, &["a", "b"], &[item(1, "u1")], 10).unwrap();
        assert_eq!(n, 0, "delivered to a, still queued for b");
        let depth = depth_by_output(&db).unwrap();
        assert_eq!(depth.get("a"), Some(&2));
        assert_eq!(depth.get("b"), Some(&3));
    }

    #[test]
    fn due_goes_oldest_due_first_and_skips_backed_off_items() {
        let (_dir, db) = db();
        enqueue(
            &db,
            &["a"],
            &[item(3, "u3"), item(1, "u1"), item(2, "u2")],
            100,
        )
        .unwrap();
        enqueue(&db, &["b"], &[item(9, "u9")], 100).unwrap();
        let d = due(&db, "a", 100, 10).unwrap();
        let seqs: Vec<u64> = d.items.iter().map(|q| q.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(d.next_ms, None);

        let failed = Outcome::Failed {
            attempts: 1,
            next_ms: 1_100,
        };
        record(&db, "a", &[("u1".into(), failed)], 100).unwrap();
        let d = due(&db, "a", 200, 10).unwrap();
        let seqs: Vec<u64> = d.items.iter().map(|q| q.seq).collect();
        assert_eq!(seqs, [2, 3]);
        assert_eq!(d.next_ms, Some(1_100));
        let d = due(&db, "a", 1_100, 2).unwrap();
        let seqs: Vec<u64> = d.items.iter().map(|q| q.seq).collect();
        assert_eq!(seqs, [2, 3], "fresh items were due before the retried one");
        let d = due(&db, "a", 1_100, 10).unwrap();
        assert_eq!(d.items[2].attempts, 1);
    }

    #[test]
    fn prune_forgets_old_deliveries_only() {
        let (_dir, db) = db();
        enqueue(&db, &["a"], &[item(1, "u1"), item(2, "u2")], 0).unwrap();
        record(&db, "a", &[("u1".into(), Outcome::Delivered)], 10).unwrap();
        record(&db, "a", &[("u2".into(), Outcome::Delivered)], 20).unwrap();
        assert_eq!(prune_delivered(&db, 15).unwrap(), 1);
        assert_eq!(
            enqueue(&db, &["a"], &[item(1, "u1"), item(2, "u2")], 30).unwrap(),
            1
        );
    }
}
