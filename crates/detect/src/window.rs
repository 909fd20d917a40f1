//! One rule's sliding window for one group: the events in it, sorted by event time, and the
//! running tally the condition reads.
//!
//! At rest the window ends at the group's newest event time (`newest`): it holds the entries
//! with `newest - window < t <= newest`, positions `lo..hi` of `entries` (`hi` is the end).
//! Entries before `lo` are kept while they are within `window + lateness` of `newest`, so that
//! a late event can be evaluated in the windows it belongs to: [`GroupWindow::move_to`] slides
//! the window to any end, adding and removing only the entries that cross its edges.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::rule::{Distinct, Threshold};

/// How many entries [`GroupWindow::move_to`] steps over from an edge's last position before it
/// searches instead.
const EDGE_STEPS: usize = 8;

/// One matching event as a window keeps it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Effective event time, ms (see the engine for late events).
    pub t: i64,
    /// The entry's sequence number in the log.
    pub seq: u64,
    /// The value of each distinct condition's field (`None` when absent).
    pub values: Box<[Option<Arc<str>>]>,
}

/// What the window holds when it fires.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// Time of the window's earliest event.
    pub start: i64,
    /// The window's end: the time of its newest event.
    pub end: i64,
    /// Events in the window.
    pub count: u64,
    /// Qualifying distinct values per distinct condition.
    pub distinct: Vec<u64>,
    /// Sequence numbers of the window's events, oldest first, at most `cap`.
    pub seqs: Vec<u64>,
    /// Per distinct condition: its qualifying values, sorted, at most `cap`.
    pub values: Vec<Vec<Arc<str>>>,
}

/// The running counts of the entries in the window.
#[derive(Clone, Debug)]
struct Tally {
    count: u64,
    /// Per distinct condition: how many times each value is in the window.
    seen: Vec<HashMap<Arc<str>, u32>>,
    /// Per distinct condition: values above this count do not qualify.
    caps: Vec<u32>,
    /// Per distinct condition: how many values qualify.
    qualifying: Vec<u64>,
}

impl Tally {
    fn new(rule: &Threshold) -> Tally {
        let n = rule.distinct.len();
        Tally {
            count: 0,
            seen: vec![HashMap::new(); n],
            caps: rule
                .distinct
                .iter()
                .map(|d| d.max_per_value.unwrap_or(u32::MAX))
                .collect(),
            qualifying: vec![0; n],
        }
    }

    /// Per distinct condition, the values that qualify, sorted, at most `cap` of them.
    fn qualifying_values(&self, cap: usize) -> Vec<Vec<Arc<str>>> {
        self.seen
            .iter()
            .zip(&self.caps)
            .map(|(seen, &max)| {
                let mut values: Vec<Arc<str>> = seen
                    .iter()
                    .filter(|(_, &n)| n >= 1 && n <= max)
                    .map(|(v, _)| Arc::clone(v))
                    .collect();
                values.sort_unstable();
                values.truncate(cap);
                values
            })
            .collect()
    }

    /// Adds (`up`) or removes one entry.
    fn apply(&mut self, e: &Entry, up: bool) {
        if up {
            self.count += 1;
        } else {
            self.count = self.count.saturating_sub(1);
        }
        for (i, value) in e.values.iter().enumerate() {
            let (Some(v), Some(seen), Some(&cap)) = (value, self.seen.get_mut(i), self.caps.get(i))
            else {
                continue;
            };
            let old = seen.get(v).copied().unwrap_or(0);
            let new = if up { old + 1 } else { old.saturating_sub(1) };
            if new == 0 {
                seen.remove(v);
            } else {
                seen.insert(Arc::clone(v), new);
            }
            let qualifies = |c: u32| c >= 1 && c <= cap;
            if let Some(q) = self.qualifying.get_mut(i) {
                *q = *q + u64::from(qualifies(new)) - u64::from(qualifies(old));
            }
        }
    }
}

/// The window state of one (rule, group).
#[derive(Clone, Debug)]
pub(crate) struct GroupWindow {
    entries: VecDeque<Entry>,
    lo: usize,
    hi: usize,
    /// The group's newest effective event time.
    pub newest: i64,
    /// The end of the window of the group's last alert.
    pub last_fired: Option<i64>,
    /// The engine's event count when an event last joined this group.
    pub touched: u64,
    tally: Tally,
}

impl GroupWindow {
    /// An empty window for `rule`.
    pub fn new(rule: &Threshold) -> GroupWindow {
        GroupWindow {
            entries: VecDeque::new(),
            lo: 0,
            hi: 0,
            newest: i64::MIN,
            last_fired: None,
            touched: 0,
            tally: Tally::new(rule),
        }
    }

    /// A window holding `entries` (in time order), as a stored state describes it.
    pub fn from_parts(
        rule: &Threshold,
        entries: impl IntoIterator<Item = Entry>,
        newest: i64,
        last_fired: Option<i64>,
    ) -> GroupWindow {
        let mut w = GroupWindow::new(rule);
        w.entries = entries.into_iter().collect();
        // In time order whatever was stored (a stable sort keeps equal times in arrival order).
        w.entries.make_contiguous().sort_by_key(|e| e.t);
        w.newest = newest;
        w.last_fired = last_fired;
        w.move_to(newest, rule.window_ms);
        w
    }

    /// The group's newest effective event time, if it holds any event.
    pub fn newest(&self) -> Option<i64> {
        (self.newest != i64::MIN).then_some(self.newest)
    }

    /// The entries kept, in time order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Adds an event and answers what the window holds if that makes the rule fire: in the
    /// window ending at the event, or for a late event in the first later window (up to the
    /// newest) that holds it and meets the condition. At most one alert per event.
    pub fn observe(
        &mut self,
        rule: &Threshold,
        suppress_ms: i64,
        entry: Entry,
        cap: usize,
    ) -> Option<Snapshot> {
        let t = entry.t;
        let candidates = if self.entries.is_empty() || t >= self.newest {
            self.entries.push_back(entry);
            self.newest = t;
            self.move_to(t, rule.window_ms);
            vec![t]
        } else {
            self.insert_late(entry, rule.window_ms);
            self.later_ends(t, rule.window_ms)
        };
        let mut fired = None;
        for end in candidates {
            self.move_to(end, rule.window_ms);
            if self.holds(rule) && !self.suppressed(suppress_ms, end) {
                self.last_fired = Some(end);
                fired = Some(self.snapshot(end, cap));
                break;
            }
        }
        self.move_to(self.newest, rule.window_ms);
        fired
    }

    /// Drops entries no late event can reach any more (older than `window + lateness` before
    /// the newest).
    pub fn trim(&mut self, window_ms: i64, lateness_ms: i64) {
        let horizon = self
            .newest
            .saturating_sub(window_ms.saturating_add(lateness_ms));
        while self.lo > 0 && self.entries.front().is_some_and(|e| e.t <= horizon) {
            self.entries.pop_front();
            self.lo -= 1;
            self.hi -= 1;
        }
    }

    /// Whether the group can be forgotten at watermark `now`: nothing a late event could
    /// still join, and no suppression still running for an event as late as allowed.
    pub fn idle(&self, rule: &Threshold, suppress_ms: i64, now: i64, lateness_ms: i64) -> bool {
        let earliest = now.saturating_sub(lateness_ms);
        let stale = self.newest.saturating_add(rule.window_ms) <= earliest;
        let unsuppressed = self
            .last_fired
            .is_none_or(|f| f.saturating_add(suppress_ms) <= earliest);
        stale && unsuppressed
    }

    /// Inserts an event older than the newest, keeping time order (after equal times).
    fn insert_late(&mut self, entry: Entry, window_ms: i64) {
        let t = entry.t;
        let p = self.entries.partition_point(|e| e.t <= t);
        self.entries.insert(p, entry);
        if t > self.newest.saturating_sub(window_ms) {
            if let Some(e) = self.entries.get(p) {
                self.tally.apply(e, true);
            }
        } else {
            self.lo += 1;
        }
        self.hi += 1;
    }

    /// The window ends to try for a late event at `t`: `t`, then each later event time up to
    /// the newest whose window still holds `t`.
    fn later_ends(&self, t: i64, window_ms: i64) -> Vec<i64> {
        let from = self.entries.partition_point(|e| e.t <= t);
        let mut ends = vec![t];
        for e in self.entries.range(from..) {
            if e.t - t >= window_ms {
                break;
            }
            if ends.last() != Some(&e.t) {
                ends.push(e.t);
            }
        }
        ends
    }

    /// Slides the window to end at `end`, touching only the entries that cross its edges.
    fn move_to(&mut self, end: i64, window_ms: i64) {
        let start = end.saturating_sub(window_ms);
        let new_lo = self.edge(start, self.lo);
        let new_hi = self.edge(end, self.hi);
        let (lo, hi) = (self.lo, self.hi);
        for i in (lo..hi.min(new_lo)).chain(lo.max(new_hi)..hi) {
            if let Some(e) = self.entries.get(i) {
                self.tally.apply(e, false);
            }
        }
        for i in (new_lo..new_hi.min(lo)).chain(new_lo.max(hi)..new_hi) {
            if let Some(e) = self.entries.get(i) {
                self.tally.apply(e, true);
            }
        }
        self.lo = new_lo;
        self.hi = new_hi;
    }

    /// The position of the first entry later than `bound` (as `partition_point(t <= bound)`),
    /// looked for from `hint`, the edge's last position: in time order it is there or a few
    /// entries on, so a window slid by one event costs a step or two, not a search.
    fn edge(&self, bound: i64, hint: usize) -> usize {
        let at_most = |i: usize| self.entries.get(i).is_some_and(|e| e.t <= bound);
        let hint = hint.min(self.entries.len());
        let (mut lo, mut hi) = if hint > 0 && !at_most(hint - 1) {
            (0, hint - 1)
        } else {
            let mut i = hint;
            for _ in 0..EDGE_STEPS {
                if !at_most(i) {
                    return i;
                }
                i += 1;
            }
            (i, self.entries.len())
        };
        // Binary search for the first entry later than `bound` in lo..=hi.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if at_most(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Whether the current window meets the rule's condition.
    fn holds(&self, rule: &Threshold) -> bool {
        let met = |(d, q): &(&Distinct, &u64)| **q >= u64::from(d.min);
        let mut conditions = rule.distinct.iter().zip(&self.tally.qualifying);
        self.tally.count >= rule.min_count.max(1)
            && match rule.distinct_needed {
                None => conditions.all(|c| met(&c)),
                Some(needed) => conditions.filter(met).count() >= needed,
            }
    }

    /// Whether an alert at `end` falls within the suppression of the last one.
    fn suppressed(&self, suppress_ms: i64, end: i64) -> bool {
        self.last_fired
            .is_some_and(|f| end < f.saturating_add(suppress_ms))
    }

    /// What the current window (ending at `end`) holds.
    fn snapshot(&self, end: i64, cap: usize) -> Snapshot {
        let window = self.entries.range(self.lo..self.hi);
        Snapshot {
            start: self.entries.get(self.lo).map_or(end, |e| e.t),
            end,
            count: self.tally.count,
            distinct: self.tally.qualifying.clone(),
            seqs: window.take(cap).map(|e| e.seq).collect(),
            values: self.tally.qualifying_values(cap),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window_of(times: &[i64]) -> GroupWindow {
        let mut w = GroupWindow::new(&Threshold {
            window_ms: 1,
            min_count: 1,
            distinct: Vec::new(),
            distinct_needed: None,
        });
        w.entries = times
            .iter()
            .map(|&t| Entry {
                t,
                seq: 0,
                values: Box::new([]),
            })
            .collect();
        w
    }

    proptest! {
        /// An edge looked for from any hint is where a search of the whole window puts it.
        #[test]
        fn an_edge_from_any_hint_is_the_searched_one(
            mut times in prop::collection::vec(0i64..50, 0..40),
            bound in -1i64..52,
            hint in 0usize..45,
        ) {
            times.sort_unstable();
            let w = window_of(&times);
            let want = w.entries.partition_point(|e| e.t <= bound);
            prop_assert_eq!(w.edge(bound, hint), want);
        }
    }
}
