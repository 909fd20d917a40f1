//! One sequence rule's state for one group: the runs under way.
//!
//! Events are taken in log order; the span is judged by event time. The first step keeps its
//! latest `count` events within the span: once it holds `count`, they make a run waiting for
//! step 2, starting at the oldest of them (a newer such run replaces an older one waiting for
//! the same step, as it has more of the span left, unless the older one has already counted
//! events of that step). A run waiting for step `i` takes each event
//! matching step `i` until `count` of them complete the step, and then waits for the next. A
//! run whose start is more than the span behind an event is dropped; so are all runs of the
//! group on an event matching `cancel_on`. A run that completes the last step fires (unless
//! suppressed), and the group starts again from nothing.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::rule::Sequence;

/// One event a sequence counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    /// The event's time, ms.
    pub t: i64,
    /// The entry's sequence number.
    pub seq: u64,
    /// When the event is an alert fed back to the rules: its uid.
    pub alert: Option<Arc<str>>,
}

/// A sequence that has completed the steps before `waiting`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    /// Time of its first event.
    pub start: i64,
    /// Events of the current step so far.
    pub in_step: u64,
    /// Every event it counted, in order.
    pub hits: Vec<Hit>,
}

/// What a sequence holds when it completes.
#[derive(Debug)]
pub(crate) struct Completed {
    /// Time of its first event.
    pub start: i64,
    /// Time of its last event.
    pub end: i64,
    /// Its events.
    pub hits: Vec<Hit>,
}

/// The state of one (sequence rule, group).
#[derive(Clone, Debug, Default)]
pub(crate) struct SequenceGroup {
    /// The first step's latest events within the span (at most its count).
    pub first: VecDeque<Hit>,
    /// `runs[i]`: the run waiting for step `i` (index 0 is never used).
    pub runs: Vec<Option<Run>>,
    /// Newest event time seen in the group.
    pub newest: Option<i64>,
    /// Time of the last alert's last event.
    pub last_fired: Option<i64>,
    /// The engine's event count when an event last joined this group.
    pub touched: u64,
}

impl SequenceGroup {
    /// An empty group for `rule`.
    pub fn new(rule: &Sequence) -> SequenceGroup {
        SequenceGroup {
            runs: vec![None; rule.steps.len()],
            ..SequenceGroup::default()
        }
    }

    /// Takes one event of the group: `steps[i]` says whether it matches step `i`, `cancel`
    /// whether it matches `cancel_on`. Answers the completed sequence if it fires.
    pub fn observe(
        &mut self,
        rule: &Sequence,
        suppress_ms: i64,
        steps: &[bool],
        cancel: bool,
        hit: Hit,
    ) -> Option<Completed> {
        let t = hit.t;
        self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        if self.runs.len() != rule.steps.len() {
            self.runs = vec![None; rule.steps.len()];
        }
        if cancel {
            self.reset();
            return None;
        }
        let span = rule.maxspan_ms;
        for run in &mut self.runs {
            if run
                .as_ref()
                .is_some_and(|r| t.saturating_sub(r.start) > span)
            {
                *run = None;
            }
        }
        let last = rule.steps.len().saturating_sub(1);
        // From the last step back, so that a run moved on by this event does not take it twice.
        for i in (1..rule.steps.len()).rev() {
            if !steps.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Some(mut run) = self.runs.get_mut(i).and_then(Option::take) else {
                continue;
            };
            run.hits.push(hit.clone());
            run.in_step += 1;
            let needed = rule.steps.get(i).map_or(1, |s| s.count);
            if run.in_step < needed {
                self.runs[i] = Some(run);
            } else if i == last {
                let fired = self.complete(suppress_ms, run, t);
                self.reset();
                return fired;
            } else {
                run.in_step = 0;
                self.wait(i + 1, run);
            }
        }
        if steps.first().copied().unwrap_or(false) {
            self.first.push_back(hit);
            let needed = rule.steps.first().map_or(1, |s| s.count);
            while self.first.len() as u64 > needed
                || self
                    .first
                    .front()
                    .is_some_and(|f| t.saturating_sub(f.t) > span)
            {
                self.first.pop_front();
            }
            if self.first.len() as u64 >= needed {
                if let Some(start) = self.first.front().map(|f| f.t) {
                    let hits = self.first.iter().cloned().collect();
                    self.wait(
                        1,
                        Run {
                            start,
                            in_step: 0,
                            hits,
                        },
                    );
                }
            }
        }
        None
    }

    /// Whether the group can be forgotten at watermark `now`: every run and first-step event
    /// out of the span for an event as late as allowed, and no suppression running.
    pub fn idle(&self, rule: &Sequence, suppress_ms: i64, now: i64, lateness_ms: i64) -> bool {
        let earliest = now.saturating_sub(lateness_ms);
        let stale = self
            .newest
            .is_none_or(|n| n.saturating_add(rule.maxspan_ms) <= earliest);
        let unsuppressed = self
            .last_fired
            .is_none_or(|f| f.saturating_add(suppress_ms) <= earliest);
        stale && unsuppressed
    }

    /// Puts `run` to wait for step `i`, unless the run waiting there started later or has
    /// already counted events of that step.
    fn wait(&mut self, i: usize, run: Run) {
        if let Some(slot) = self.runs.get_mut(i) {
            if slot
                .as_ref()
                .is_none_or(|old| old.in_step == 0 && old.start <= run.start)
            {
                *slot = Some(run);
            }
        }
    }

    /// The completed sequence, unless an alert of the group is still suppressing.
    fn complete(&mut self, suppress_ms: i64, run: Run, end: i64) -> Option<Completed> {
        if self
            .last_fired
            .is_some_and(|f| end < f.saturating_add(suppress_ms))
        {
            return None;
        }
        self.last_fired = Some(end);
        Some(Completed {
            start: run.start,
            end,
            hits: run.hits,
        })
    }

    /// Drops every run and first-step event.
    fn reset(&mut self) {
        self.first.clear();
        for run in &mut self.runs {
            *run = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Step;
    use authtrail_store::query::Query;

    fn rule(counts: &[u64], span: i64) -> Sequence {
        Sequence {
            steps: counts
                .iter()
                .map(|c| Step {
                    filter: Query::default(),
                    count: *c,
                    sigma: None,
                })
                .collect(),
            maxspan_ms: span,
            cancel_on: None,
        }
    }

    fn hit(t: i64) -> Hit {
        Hit {
            t,
            seq: t as u64,
            alert: None,
        }
    }

    /// Feeds `(time, step)` events (step 9: cancel); answers the completions' (start, end).
    fn run(rule: &Sequence, events: &[(i64, usize)]) -> Vec<(i64, i64)> {
        let mut g = SequenceGroup::new(rule);
        let mut out = Vec::new();
        for (t, step) in events {
            let steps: Vec<bool> = (0..rule.steps.len()).map(|i| i == *step).collect();
            if let Some(c) = g.observe(rule, 0, &steps, *step == 9, hit(*t)) {
                out.push((c.start, c.end));
            }
        }
        out
    }

    #[test]
    fn fires_when_steps_come_in_order_within_the_span() {
        let r = rule(&[3, 1], 100);
        assert_eq!(run(&r, &[(0, 0), (10, 0), (20, 0), (30, 1)]), [(0, 30)]);
        // Too few of the first step.
        assert!(run(&r, &[(0, 0), (10, 0), (30, 1)]).is_empty());
        // Wrong order.
        assert!(run(&r, &[(0, 1), (10, 0), (20, 0), (30, 0)]).is_empty());
        // Out of span: 0..101.
        assert!(run(&r, &[(0, 0), (10, 0), (20, 0), (101, 1)]).is_empty());
    }

    #[test]
    fn first_step_slides_to_its_latest_events() {
        let r = rule(&[3, 1], 100);
        // 0 and 5 fall out of the span by 150; 60, 90, 120 make the run.
        let got = run(&r, &[(0, 0), (5, 0), (60, 0), (90, 0), (120, 0), (150, 1)]);
        assert_eq!(got, [(60, 150)]);
    }

    #[test]
    fn cancel_abandons_the_runs() {
        let r = rule(&[2, 1], 100);
        assert!(run(&r, &[(0, 0), (10, 0), (15, 9), (20, 1)]).is_empty());
        assert_eq!(
            run(&r, &[(0, 0), (10, 0), (15, 9), (16, 0), (17, 0), (20, 1)]),
            [(16, 20)]
        );
    }

    #[test]
    fn middle_steps_count_and_one_event_moves_a_run_one_step() {
        let r = rule(&[1, 2, 1], 100);
        assert_eq!(run(&r, &[(0, 0), (1, 1), (2, 1), (3, 2)]), [(0, 3)]);
        assert!(run(&r, &[(0, 0), (1, 1), (3, 2)]).is_empty());
        // An event matching every step completes one step of a run, not all of them.
        let mut g = SequenceGroup::new(&r);
        let all = [true, true, true];
        let fired: Vec<_> = (0..4)
            .filter_map(|t| g.observe(&r, 0, &all, false, hit(t)))
            .map(|c| (c.start, c.end, c.hits.len()))
            .collect();
        assert_eq!(fired, [(0, 3, 4)]);
    }

    #[test]
    fn suppression_holds_a_second_completion() {
        let r = rule(&[1, 1], 100);
        let mut g = SequenceGroup::new(&r);
        let mut fired = Vec::new();
        for (t, s) in [(0, 0), (1, 1), (10, 0), (11, 1), (60, 0), (61, 1)] {
            let steps = [s == 0, s == 1];
            if let Some(c) = g.observe(&r, 50, &steps, false, hit(t)) {
                fired.push(c.end);
            }
        }
        assert_eq!(fired, [1, 61]);
    }
}
