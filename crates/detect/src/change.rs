//! One change rule's state for one group (a session, a token): what its first event looked
//! like. A later event of the group that differs in a watched attribute (AS number, country,
//! user-agent family), when both are known, fires. An attribute the first events did not give
//! is taken from the first later event that gives it. A group with no event for `expire` starts
//! again from its next event.

use serde::{Deserialize, Serialize};

use crate::rule::{Change, Watch};

/// What one event of a group looked like (stored as it is in the engine's state).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// Event time, ms.
    pub t: i64,
    /// The entry's seq.
    pub seq: u64,
    /// Source autonomous system number.
    pub asn: Option<u32>,
    /// Source country.
    pub country: Option<String>,
    /// User-agent family.
    pub user_agent: Option<String>,
    /// Source address.
    pub ip: Option<String>,
}

impl Seen {
    /// The watched attribute's value, as text.
    fn get(&self, w: Watch) -> Option<String> {
        match w {
            Watch::Asn => self.asn.map(|n| n.to_string()),
            Watch::Country => self.country.clone(),
            Watch::UserAgent => self.user_agent.clone(),
        }
    }
}

/// A change found: the group's first event, the one that differs, and what differs.
#[derive(Clone, Debug)]
pub(crate) struct Changed {
    /// The group's first event (with the attributes taken since).
    pub first: Seen,
    /// The event that differs.
    pub now: Seen,
    /// Each attribute that differs: `(attribute, first value, new value)`.
    pub what: Vec<(Watch, String, String)>,
}

/// The state of one (change rule, group).
#[derive(Clone, Debug, Default)]
pub(crate) struct ChangeGroup {
    /// The group's first event (its baseline).
    pub first: Option<Seen>,
    /// Newest event time seen in the group.
    pub newest: Option<i64>,
    /// Time of the last alert's event.
    pub last_fired: Option<i64>,
    /// The engine's event count when an event last joined this group.
    pub touched: u64,
}

impl ChangeGroup {
    /// Takes one event of the group; answers the change when one fires.
    pub fn observe(&mut self, rule: &Change, suppress_ms: i64, seen: Seen) -> Option<Changed> {
        let t = seen.t;
        if self
            .newest
            .is_some_and(|n| t.saturating_sub(n) > rule.expire_ms)
        {
            self.first = None;
        }
        self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        let Some(first) = self.first.as_mut() else {
            self.first = Some(seen);
            return None;
        };
        let mut what = Vec::new();
        for w in &rule.watch {
            match (first.get(*w), seen.get(*w)) {
                (Some(a), Some(b)) if a != b => what.push((*w, a, b)),
                _ => {}
            }
        }
        // What the baseline lacked, the first event that gives it fills in.
        first.asn = first.asn.or(seen.asn);
        if first.country.is_none() {
            first.country.clone_from(&seen.country);
        }
        if first.user_agent.is_none() {
            first.user_agent.clone_from(&seen.user_agent);
        }
        if what.is_empty()
            || self
                .last_fired
                .is_some_and(|f| t < f.saturating_add(suppress_ms))
        {
            return None;
        }
        self.last_fired = Some(t);
        Some(Changed {
            first: first.clone(),
            now: seen,
            what,
        })
    }

    /// Whether the group can be forgotten at watermark `now`: expired and no suppression
    /// running.
    pub fn idle(&self, rule: &Change, suppress_ms: i64, now: i64, lateness_ms: i64) -> bool {
        let earliest = now.saturating_sub(lateness_ms);
        let stale = self
            .newest
            .is_none_or(|n| n.saturating_add(rule.expire_ms) <= earliest);
        let unsuppressed = self
            .last_fired
            .is_none_or(|f| f.saturating_add(suppress_ms) <= earliest);
        stale && unsuppressed
    }
}
