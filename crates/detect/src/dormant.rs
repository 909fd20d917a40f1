//! One dormant rule's memory for one group: when its last matching event was.

use crate::rule::Dormant;

/// The memory of one (dormant rule, group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DormantGroup {
    /// Newest event time seen.
    pub last: i64,
    /// Time of the last alert.
    pub last_fired: Option<i64>,
    /// The engine's event count when an event last joined this group.
    pub touched: u64,
}

impl DormantGroup {
    /// A group first seen at `t`: it has no past, so it is not dormant.
    pub fn new(t: i64) -> DormantGroup {
        DormantGroup {
            last: t,
            ..DormantGroup::default()
        }
    }

    /// Takes one event at `t`; answers the time of the group's previous event when `t` comes
    /// more than the gap after it.
    pub fn observe(&mut self, rule: &Dormant, suppress_ms: i64, t: i64) -> Option<i64> {
        let previous = self.last;
        self.last = self.last.max(t);
        let suppressed = self
            .last_fired
            .is_some_and(|f| t < f.saturating_add(suppress_ms));
        if t.saturating_sub(previous) <= rule.gap_ms || suppressed {
            return None;
        }
        self.last_fired = Some(t);
        Some(previous)
    }

    /// Whether the group can be forgotten at watermark `now`: past its history.
    pub fn idle(&self, rule: &Dormant, now: i64, lateness_ms: i64) -> bool {
        self.last.saturating_add(rule.history_ms) <= now.saturating_sub(lateness_ms)
    }
}
