//! Where a trace starts: a session, a user or a source address, and the seed lookup for it.

use std::fmt;
use std::net::IpAddr;

use super::bounds::{Bounds, Span};
use super::keys::{Key, KeyKind};
use crate::error::{Result, StoreError};

/// The start of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// The events of one session id (`session=ID`).
    Session(String),
    /// The events of one user (`user=NAME`: `user.name` or `actor.user.name`).
    User(String),
    /// The events from one source address (`ip=ADDR`).
    Ip(IpAddr),
}

impl Start {
    /// The key the seed lookup matches.
    pub fn key(&self) -> Key {
        match self {
            Start::Session(id) => Key::new(KeyKind::Session, id.clone()),
            Start::User(name) => Key::new(KeyKind::User, name.clone()),
            Start::Ip(ip) => Key::new(KeyKind::Ip, ip.to_string()),
        }
    }

    /// Refuses an empty session id or user name.
    pub(super) fn check(&self) -> Result<()> {
        let key = self.key();
        if key.value.trim().is_empty() {
            return Err(StoreError::InvalidRequest(format!(
                "the {} to trace is empty",
                key.kind.name()
            )));
        }
        Ok(())
    }

    /// The time range of the seed lookup: the bounds, and for a user or an address without
    /// `since` the default window back from now.
    pub(super) fn span(&self, bounds: &Bounds) -> Span {
        let since = match (self, bounds.since_ms) {
            (_, Some(s)) => Some(s),
            (Start::Session(_), None) => None,
            (Start::User(_) | Start::Ip(_), None) => {
                Some(bounds.now_ms.saturating_sub(bounds.default_window_ms))
            }
        };
        Span {
            since,
            until: bounds.until_ms,
        }
    }
}

impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_addresses_get_the_default_window_sessions_do_not() {
        let bounds = Bounds::new(1_000_000_000_000);
        let week_ago = Some(1_000_000_000_000 - bounds.default_window_ms);
        assert_eq!(Start::Session("s".into()).span(&bounds).since, None);
        assert_eq!(Start::User("u".into()).span(&bounds).since, week_ago);
        let ip = Start::Ip("10.0.0.1".parse().unwrap());
        assert_eq!(ip.span(&bounds).since, week_ago);
        let bounds = Bounds {
            since_ms: Some(5),
            until_ms: Some(9),
            ..bounds
        };
        assert_eq!(
            ip.span(&bounds),
            Span {
                since: Some(5),
                until: Some(9)
            }
        );
        assert_eq!(ip.to_string(), "ip=10.0.0.1");
        assert!(Start::User(" ".into()).check().is_err());
        assert!(Start::Session("s".into()).check().is_ok());
    }
}
