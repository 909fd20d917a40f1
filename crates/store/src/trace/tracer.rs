//! A trace in progress: the steps found so far, their threads, the keys seen and waiting, and
//! the lookups, which all cover the same log prefix.

use std::collections::{BTreeMap, BTreeSet};

use super::bounds::{Bound, Bounds, Span};
use super::keys::{Key, KeyKind};
use super::start::Start;
use super::threads::Threads;
use super::timeline::{BoundHit, LinkedBy, Step, Timeline};
use crate::error::Result;
use crate::query::{Expr, Query};
use crate::search::{Hit, Search};

/// Hits asked of the search per call.
const PAGE: usize = 500;

/// What adding a hit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Added {
    /// A new step.
    New,
    /// The event is a step already.
    Present,
    /// The timeline is full (`max_steps`): nothing more is added.
    Full,
}

/// The state of one trace.
pub(super) struct Tracer<'a> {
    search: &'a dyn Search,
    /// The limits.
    pub bounds: &'a Bounds,
    /// The time range every lookup stays in.
    pub span: Span,
    /// The log size of the first answer: hits at or past it are ignored, so every lookup sees
    /// the same log even while entries arrive.
    size: Option<u64>,
    /// The steps by seq.
    pub steps: BTreeMap<u64, Step>,
    /// Which steps are one thread.
    pub threads: Threads,
    /// Keys already followed or waiting, by identity, with the first step carrying each.
    seen: BTreeMap<(KeyKind, String), Option<u64>>,
    /// Keys waiting to be followed, each with the step it came from.
    pub frontier: Vec<(Key, u64)>,
    /// Key values looked up so far.
    pub keys_followed: usize,
    /// Bounds reached.
    hits: BTreeSet<Bound>,
    /// Keys not followed because of a bound.
    pub unfollowed: Vec<Key>,
}

impl<'a> Tracer<'a> {
    /// A trace over `search` within `span`.
    pub fn new(search: &'a dyn Search, bounds: &'a Bounds, span: Span) -> Self {
        Tracer {
            search,
            bounds,
            span,
            size: None,
            steps: BTreeMap::new(),
            threads: Threads::default(),
            seen: BTreeMap::new(),
            frontier: Vec::new(),
            keys_followed: 0,
            hits: BTreeSet::new(),
            unfollowed: Vec::new(),
        }
    }

    /// Whether the timeline is full.
    pub fn is_full(&self) -> bool {
        self.hits.contains(&Bound::MaxSteps)
    }

    /// Notes that a bound was reached.
    pub fn reached(&mut self, bound: Bound) {
        self.hits.insert(bound);
    }

    /// Marks the start's key as seen, so it is not looked up again.
    pub fn see_start(&mut self, key: &Key) {
        self.seen.insert(key.identity(), None);
    }

    /// The query `filter` within `span`.
    pub fn query(filter: Expr, span: Span) -> Query {
        Query {
            filter: Some(filter),
            since_ms: span.since,
            until_ms: span.until,
            pipe: None,
        }
    }

    /// One page of `query` from seq `from`: the hits below the pinned log size and where the
    /// next page starts (`None` when done).
    pub fn page(&mut self, query: &Query, from: u64) -> Result<(Vec<Hit>, Option<u64>)> {
        let page = self.search.find(query, from, PAGE)?;
        let size = *self.size.get_or_insert(page.scanned_to);
        let mut hits = page.hits;
        hits.retain(|h| h.seq < size);
        Ok((hits, page.next.filter(|&n| n < size)))
    }

    /// Adds a hit as a step, unless it is one already or the timeline is full.
    pub fn add(&mut self, hit: Hit, linked_by: LinkedBy) -> Added {
        if self.steps.contains_key(&hit.seq) {
            return Added::Present;
        }
        if self.steps.len() >= self.bounds.max_steps {
            self.reached(Bound::MaxSteps);
            return Added::Full;
        }
        self.steps.insert(hit.seq, Step::new(hit, linked_by));
        Added::New
    }

    /// Queues the strong keys of step `seq` not seen yet, and joins its thread with the first
    /// step that carried each key seen before: steps sharing a key are one thread whether or
    /// not a lookup found one from the other.
    pub fn collect_keys(&mut self, seq: u64) {
        let Some(step) = self.steps.get(&seq) else {
            return;
        };
        for key in super::keys::strong_keys(&step.event) {
            match self.seen.get_mut(&key.identity()) {
                Some(Some(carrier)) => {
                    let carrier = *carrier;
                    self.threads.join(carrier, seq);
                }
                Some(first @ None) => *first = Some(seq),
                None => {
                    self.seen.insert(key.identity(), Some(seq));
                    self.frontier.push((key, seq));
                }
            }
        }
    }

    /// The timeline: the steps in time order and what limited them.
    pub fn finish(self, start: &Start) -> Timeline {
        let mut steps: Vec<Step> = self.steps.into_values().collect();
        steps.sort_by_key(Step::order);
        Timeline {
            start: start.clone(),
            since_ms: self.span.since,
            until_ms: self.span.until,
            steps,
            bounds_hit: self
                .hits
                .iter()
                .map(|&bound| BoundHit {
                    bound,
                    limit: bound.limit(self.bounds),
                })
                .collect(),
            unfollowed: self.unfollowed,
            scanned_to: self.size.unwrap_or(0),
        }
    }
}
