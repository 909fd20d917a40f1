//! What a token may do: `ingest`, `read`, `admin`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One permission a token carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Append events (`POST /v1/events`, `/v1/raw`, `/v1/logs`), limited to the token's sources
    /// when it names any.
    Ingest,
    /// Read events, traces, alerts, entries and proofs (personal data).
    Read,
    /// Everything, including what `ingest` and `read` allow, for any source.
    Admin,
}

impl Scope {
    /// Every scope, in the order they are listed.
    pub const ALL: [Scope; 3] = [Scope::Ingest, Scope::Read, Scope::Admin];

    /// The scope's name, as written in tokens, the CLI and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is not one of `ingest`, `read`, `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}: the scopes are ingest, read and admin")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        let err = "write".parse::<Scope>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown scope \"write\": the scopes are ingest, read and admin"
        );
        assert!("Admin".parse::<Scope>().is_err(), "names are lower case");
    }
}
