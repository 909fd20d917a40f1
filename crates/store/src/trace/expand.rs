//! The seed lookup and the breadth-first walk over strong keys (session, token, trace).

use super::bounds::{Bound, Span};
use super::keys::{any_of, Key};
use super::start::Start;
use super::timeline::{LinkedBy, Rule};
use super::tracer::{Added, Tracer};
use crate::error::Result;
use crate::query::{Query, Record};

/// Keys per lookup (`key=a OR key=b …`): one search answers a batch.
pub(super) const BATCH: usize = 32;

/// Adds the events matching the start, and queues their strong keys.
pub(super) fn seed(t: &mut Tracer<'_>, start: &Start) -> Result<()> {
    let key = start.key();
    t.see_start(&key);
    let query = Tracer::query(key.term()?, t.span);
    let mut from = Some(0);
    while let Some(at) = from {
        let (hits, next) = t.page(&query, at)?;
        for hit in hits {
            let seq = hit.seq;
            let linked_by = LinkedBy {
                rule: Rule::Seed,
                key: key.clone(),
                from: None,
            };
            match t.add(hit, linked_by) {
                Added::New => t.collect_keys(seq),
                Added::Present => {}
                Added::Full => return Ok(()),
            }
        }
        from = next;
    }
    Ok(())
}

/// The range strong keys are followed in: the horizon either side of the seed events' times,
/// inside the trace's span.
pub(super) fn horizon(t: &Tracer<'_>) -> Span {
    let times: Vec<i64> = t.steps.values().filter_map(|s| s.time_ms).collect();
    match (times.iter().min(), times.iter().max()) {
        (Some(&lo), Some(&hi)) => Span::closed(
            lo.saturating_sub(t.bounds.horizon_ms),
            hi.saturating_add(t.bounds.horizon_ms),
        )
        .within(t.span),
        _ => t.span,
    }
}

/// Follows the queued keys level by level (one hop per level) within `horizon`, until none are
/// left or a bound stops it.
pub(super) fn follow_keys(t: &mut Tracer<'_>, horizon: Span) -> Result<()> {
    let mut depth = 1;
    while !t.frontier.is_empty() {
        let level = std::mem::take(&mut t.frontier);
        if depth > t.bounds.max_depth {
            t.reached(Bound::MaxDepth);
            t.unfollowed.extend(level.into_iter().map(|(k, _)| k));
            break;
        }
        follow_level(t, level, horizon, true)?;
        depth += 1;
    }
    Ok(())
}

/// Follows the strong keys of the attached host events one hop (an sshd login to its logoff, a
/// sudo to its PAM lines), within `horizon`; what they reach is not followed further.
pub(super) fn follow_host_sessions(t: &mut Tracer<'_>, horizon: Span) -> Result<()> {
    let attached: Vec<u64> = t
        .steps
        .values()
        .filter(|s| s.linked_by.rule == Rule::Window)
        .map(|s| s.seq)
        .collect();
    for seq in attached {
        t.collect_keys(seq);
    }
    let level = std::mem::take(&mut t.frontier);
    follow_level(t, level, horizon, false)
}

/// Looks up one level of keys in batches, as many as `max_keys` leaves room for; with
/// `collect`, the keys of the steps found are queued for the next level.
fn follow_level(
    t: &mut Tracer<'_>,
    mut level: Vec<(Key, u64)>,
    horizon: Span,
    collect: bool,
) -> Result<()> {
    let room = t.bounds.max_keys.saturating_sub(t.keys_followed);
    if level.len() > room {
        t.reached(Bound::MaxKeys);
        t.unfollowed
            .extend(level.split_off(room).into_iter().map(|(k, _)| k));
    }
    for (i, batch) in level.chunks(BATCH).enumerate() {
        if t.is_full() {
            let left = level[i * BATCH..].iter().map(|(k, _)| k.clone());
            t.unfollowed.extend(left);
            break;
        }
        t.keys_followed += batch.len();
        follow_batch(t, batch, horizon, collect)?;
    }
    Ok(())
}

/// Looks up one batch of keys; each hit is linked by the first key of the batch it carries.
fn follow_batch(
    t: &mut Tracer<'_>,
    batch: &[(Key, u64)],
    horizon: Span,
    collect: bool,
) -> Result<()> {
    let terms = batch
        .iter()
        .map(|(k, _)| k.term())
        .collect::<Result<Vec<_>>>()?;
    let singles: Vec<Query> = terms
        .iter()
        .map(|term| Tracer::query(term.clone(), Span::default()))
        .collect();
    let query = Tracer::query(any_of(terms), horizon);
    let mut from = Some(0);
    while let Some(at) = from {
        let (hits, next) = t.page(&query, at)?;
        for hit in hits {
            let record = Record {
                seq: hit.seq,
                source: &hit.source,
                event: &hit.event,
            };
            let Some(i) = singles.iter().position(|q| q.matches(&record)) else {
                continue;
            };
            let (key, parent) = &batch[i];
            let seq = hit.seq;
            let linked_by = LinkedBy {
                rule: Rule::Key,
                key: key.clone(),
                from: Some(*parent),
            };
            match t.add(hit, linked_by) {
                Added::New if collect => {
                    t.threads.join(*parent, seq);
                    t.collect_keys(seq);
                }
                Added::New => {}
                // Found again through another key: the two threads are one.
                Added::Present if collect => t.threads.join(*parent, seq),
                Added::Present => {}
                Added::Full => return Ok(()),
            }
        }
        from = next;
    }
    Ok(())
}
