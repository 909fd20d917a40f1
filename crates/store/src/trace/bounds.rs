//! How far a trace goes: the time it covers and the limits on its expansion. Every default is
//! here, with the reason for its value (docs/TRACE.md repeats them).

/// One minute in ms.
const MINUTE_MS: i64 = 60_000;
/// One day in ms.
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// How far back a user or address trace looks without `since`: a week holds the usual
/// investigation and keeps a scan of a busy address bounded. A session id is specific enough to
/// need no default.
pub const DEFAULT_WINDOW_MS: i64 = 7 * DAY_MS;
/// How far from the seed events a key is followed: a day either side. Tokens and sessions rarely
/// live longer, and process session ids (`host/sshd[pid]`) are reused once pids wrap; a key seen
/// again weeks later is another thread.
pub const DEFAULT_HORIZON_MS: i64 = DAY_MS;
/// Slack either side of a thread's span inside which a host event of its user is attached: five
/// minutes covers clock skew between hosts and the pause between a request and the shell.
pub const DEFAULT_SLACK_MS: i64 = 5 * MINUTE_MS;
/// Hops of keys from a seed event: session → trace → token → trace reaches a gateway request
/// carrying the token and the application events of its trace; more hops mostly add noise.
pub const DEFAULT_MAX_DEPTH: usize = 4;
/// Key values looked up (strong keys and the users of the host-window rule): enough for a long
/// session's requests, small enough that a trace is a handful of searches.
pub const DEFAULT_MAX_KEYS: usize = 128;
/// Steps in a timeline: more is no longer a timeline a person reads.
pub const DEFAULT_MAX_STEPS: usize = 2000;

/// The limits of a trace (see [`super::trace`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// "Now", ms since the epoch: the default window of user and address seeds ends here.
    pub now_ms: i64,
    /// Inclusive lower bound on every event's time, ms since the epoch.
    pub since_ms: Option<i64>,
    /// Exclusive upper bound on every event's time, ms since the epoch.
    pub until_ms: Option<i64>,
    /// How far back user and address seeds look when `since_ms` is unset.
    pub default_window_ms: i64,
    /// How far from the seed events strong keys are followed.
    pub horizon_ms: i64,
    /// Slack of the host-window rule.
    pub slack_ms: i64,
    /// Most hops of strong keys from a seed event.
    pub max_depth: usize,
    /// Most key values looked up.
    pub max_keys: usize,
    /// Most steps in the timeline.
    pub max_steps: usize,
}

impl Bounds {
    /// The default bounds at `now_ms`, with no `since`/`until`.
    pub fn new(now_ms: i64) -> Self {
        Bounds {
            now_ms,
            since_ms: None,
            until_ms: None,
            default_window_ms: DEFAULT_WINDOW_MS,
            horizon_ms: DEFAULT_HORIZON_MS,
            slack_ms: DEFAULT_SLACK_MS,
            max_depth: DEFAULT_MAX_DEPTH,
            max_keys: DEFAULT_MAX_KEYS,
            max_steps: DEFAULT_MAX_STEPS,
        }
    }
}

/// A limit a trace reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bound {
    /// Keys were left because they were more hops away than `max_depth`.
    MaxDepth,
    /// Keys were left because `max_keys` were looked up.
    MaxKeys,
    /// Events were left because the timeline holds `max_steps`.
    MaxSteps,
}

impl Bound {
    /// The bound's name, as the output shows it.
    pub fn name(self) -> &'static str {
        match self {
            Bound::MaxDepth => "max_depth",
            Bound::MaxKeys => "max_keys",
            Bound::MaxSteps => "max_steps",
        }
    }

    /// The bound's value in `bounds`.
    pub fn limit(self, bounds: &Bounds) -> usize {
        match self {
            Bound::MaxDepth => bounds.max_depth,
            Bound::MaxKeys => bounds.max_keys,
            Bound::MaxSteps => bounds.max_steps,
        }
    }
}

/// A time range, ms since the epoch: `since` inclusive, `until` exclusive, `None` open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Span {
    /// Inclusive start.
    pub since: Option<i64>,
    /// Exclusive end.
    pub until: Option<i64>,
}

impl Span {
    /// The range `lo..=hi`.
    pub fn closed(lo: i64, hi: i64) -> Self {
        Span {
            since: Some(lo),
            until: Some(hi.saturating_add(1)),
        }
    }

    /// The part of `self` inside `other`.
    pub fn within(self, other: Span) -> Span {
        Span {
            since: combine(self.since, other.since, i64::max),
            until: combine(self.until, other.until, i64::min),
        }
    }

    /// Whether the range holds no time at all.
    pub fn is_empty(self) -> bool {
        matches!((self.since, self.until), (Some(s), Some(u)) if s >= u)
    }

    /// Whether `t` is inside.
    pub fn contains(self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// Combines two optional bounds with `pick` when both are set.
fn combine(a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_intersect_and_hold_their_ends() {
        let a = Span::closed(10, 20);
        assert!(a.contains(10) && a.contains(20) && !a.contains(21) && !a.contains(9));
        let open = Span::default();
        assert_eq!(a.within(open), a);
        assert_eq!(open.within(a), a);
        let b = Span {
            since: Some(15),
            until: None,
        };
        assert_eq!(a.within(b), Span::closed(15, 20));
        assert!(Span::closed(30, 40).within(a).is_empty());
        assert!(!open.is_empty());
    }
}
