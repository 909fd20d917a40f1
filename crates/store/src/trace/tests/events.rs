//! Hand-built OCSF-shaped events for the trace tests: just the fields trace reads.

use serde_json::{json, Value};

/// The time of minute `m` of the test day, ms since the epoch (2025-11-27T10:00:00Z + m).
pub fn at(m: i64) -> i64 {
    1_764_237_600_000 + m * 60_000
}

/// An event being built.
pub struct E(pub Value);

/// An event of `product` at minute `m`: Authentication / Logon, Success.
pub fn ev(product: &str, m: i64) -> E {
    E(json!({
        "time": at(m),
        "class_name": "Authentication",
        "activity_name": "Logon",
        "status": "Success",
        "metadata": {"product": {"name": product}},
    }))
}

impl E {
    fn set(mut self, path: &[&str], v: Value) -> Self {
        let mut at = &mut self.0;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                at[*key] = v;
                break;
            }
            if at.get(*key).is_none() {
                at[*key] = json!({});
            }
            at = &mut at[*key];
        }
        self
    }

    /// `user.name`.
    pub fn user(self, name: &str) -> Self {
        self.set(&["user", "name"], name.into())
    }

    /// `actor.user.name`.
    pub fn actor(self, name: &str) -> Self {
        self.set(&["actor", "user", "name"], name.into())
    }

    /// `session.uid`.
    pub fn session(self, id: &str) -> Self {
        self.set(&["session", "uid"], id.into())
    }

    /// `session.uid_alt`.
    pub fn session_alt(self, id: &str) -> Self {
        self.set(&["session", "uid_alt"], id.into())
    }

    /// `session.credential_uid`.
    pub fn token(self, id: &str) -> Self {
        self.set(&["session", "credential_uid"], id.into())
    }

    /// `trace.uid` (a gateway's traceparent).
    pub fn trace(self, id: &str) -> Self {
        self.set(&["trace", "uid"], id.into())
    }

    /// `metadata.correlation_uid` (an application's trace id).
    pub fn correlation(self, id: &str) -> Self {
        self.set(&["metadata", "correlation_uid"], id.into())
    }

    /// `src_endpoint.ip`.
    pub fn ip(self, ip: &str) -> Self {
        self.set(&["src_endpoint", "ip"], ip.into())
    }

    /// `activity_name`.
    pub fn activity(self, name: &str) -> Self {
        self.set(&["activity_name"], name.into())
    }
}
