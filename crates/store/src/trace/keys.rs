//! The correlation keys (DESIGN.md §3) a trace follows: where each is read in an event, which
//! values are not keys, and the query term that finds the events carrying one.

use std::fmt;
use std::net::IpAddr;

use authtrail_model::validate::UNKNOWN_NAME;
use serde_json::Value as Json;

use crate::error::{Result, StoreError};
use crate::query::{Expr, Field, Op, Term, Value};

/// A kind of correlation key, named by the query field that finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// A session id (`session`: `session.uid`, `actor.session.uid`).
    Session,
    /// A token id (`token`: `session.credential_uid`).
    Token,
    /// A trace or correlation id (`trace`: `metadata.correlation_uid`, `trace.uid`).
    Trace,
    /// A user name (`user`: `user.name`, `actor.user.name`).
    User,
    /// A source address (`ip`: `src_endpoint.ip`).
    Ip,
}

impl KeyKind {
    /// The query field (and output name) of the kind.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Session => "session",
            KeyKind::Token => "token",
            KeyKind::Trace => "trace",
            KeyKind::User => "user",
            KeyKind::Ip => "ip",
        }
    }
}

/// One key value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// What kind of key.
    pub kind: KeyKind,
    /// The value as the event carries it.
    pub value: String,
}

impl Key {
    /// A key of `kind` with `value`.
    pub fn new(kind: KeyKind, value: impl Into<String>) -> Self {
        Key {
            kind,
            value: value.into(),
        }
    }

    /// The form under which two keys are the same lookup (queries compare text ASCII
    /// case-insensitively).
    pub(super) fn identity(&self) -> (KeyKind, String) {
        (self.kind, self.value.to_ascii_lowercase())
    }

    /// The query term `field=value` that finds the events carrying the key.
    pub(super) fn term(&self) -> Result<Expr> {
        let value = match self.kind {
            KeyKind::Ip => Value::Ip(self.value.parse::<IpAddr>().map_err(|_| {
                StoreError::InvalidRequest(format!("{:?} is not an IP address", self.value))
            })?),
            _ => Value::Text(self.value.clone()),
        };
        term(self.kind.name(), value)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.name(), self.value)
    }
}

/// Where strong keys are read, in the order they are collected from an event. Each path is one
/// the kind's query field reads, so a key found here is found again by its lookup; alternative
/// session ids (`uid_alt`: Okta's root session, Windows' linked logon) are looked up as session
/// ids.
const STRONG_PATHS: &[(KeyKind, &str)] = &[
    (KeyKind::Session, "/session/uid"),
    (KeyKind::Session, "/actor/session/uid"),
    (KeyKind::Session, "/session/uid_alt"),
    (KeyKind::Session, "/actor/session/uid_alt"),
    (KeyKind::Token, "/session/credential_uid"),
    (KeyKind::Trace, "/metadata/correlation_uid"),
    (KeyKind::Trace, "/trace/uid"),
];

/// Windows logon ids shared by every service on a host (SYSTEM, LOCAL SERVICE, NETWORK SERVICE,
/// none): as the subject's session of a logon they say nothing about who it was.
const SHARED_LOGON_IDS: &[&str] = &["/0x3e7", "/0x3e5", "/0x3e4", "/0x0"];

/// Products whose events happen on a host (a login shell, sudo, su, PAM, the audit log,
/// Windows): the ones the host-window rule attaches by user and time.
pub const HOST_PRODUCTS: &[&str] = &[
    "OpenSSH",
    "sudo",
    "su",
    "Linux-PAM",
    "auditd",
    "Microsoft Windows",
];

/// The strong keys (session, token, trace) an event carries, in [`STRONG_PATHS`] order, without
/// repeats and without values that are not keys.
pub fn strong_keys(event: &Json) -> Vec<Key> {
    let mut out: Vec<Key> = Vec::new();
    for (kind, path) in STRONG_PATHS {
        let Some(value) = event.pointer(path).and_then(Json::as_str) else {
            continue;
        };
        let key = Key::new(*kind, value);
        if is_key(&key) && !out.iter().any(|k| k.identity() == key.identity()) {
            out.push(key);
        }
    }
    out
}

/// Whether a value identifies something: not empty, not a placeholder, not an all-zero trace
/// id, not a Windows logon id every service shares.
fn is_key(key: &Key) -> bool {
    let v = key.value.trim();
    if v.is_empty()
        || ["-", "unknown", "null", "none"]
            .iter()
            .any(|p| v.eq_ignore_ascii_case(p))
    {
        return false;
    }
    match key.kind {
        KeyKind::Trace => v.chars().any(|c| c != '0'),
        KeyKind::Session => !SHARED_LOGON_IDS.iter().any(|s| v.ends_with(s)),
        _ => true,
    }
}

/// The user names an event carries (`user.name`, then `actor.user.name`), as the `user` field
/// reads them.
pub fn user_names(event: &Json) -> Vec<&str> {
    let mut out = Vec::new();
    for path in ["/user/name", "/actor/user/name"] {
        if let Some(name) = event.pointer(path).and_then(Json::as_str) {
            if !name.trim().is_empty() && !out.iter().any(|n: &&str| n.eq_ignore_ascii_case(name)) {
                out.push(name);
            }
        }
    }
    out
}

/// The host accounts a user name stands for: the name, and for `local@domain` (an IdP's user)
/// also `local`, the account name hosts use. The placeholder of events naming no user
/// (`(unknown)`) stands for none.
pub fn host_accounts(name: &str) -> Vec<&str> {
    if name == UNKNOWN_NAME {
        return Vec::new();
    }
    let mut out = vec![name];
    if let Some((local, domain)) = name.split_once('@') {
        if !local.is_empty() && !domain.is_empty() {
            out.push(local);
        }
    }
    out
}

/// The term `field=value` for a field of the query table.
pub(super) fn term(field: &str, value: Value) -> Result<Expr> {
    let field = Field::lookup(field)
        .ok_or_else(|| StoreError::InvalidRequest(format!("no query field {field:?}")))?;
    Ok(Expr::Term(Term {
        field,
        op: Op::Eq,
        value,
    }))
}

/// `a OR b OR …` (a single expression as itself).
pub(super) fn any_of(mut exprs: Vec<Expr>) -> Expr {
    if exprs.len() == 1 {
        if let Some(e) = exprs.pop() {
            return e;
        }
    }
    Expr::Or(exprs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strong_keys_are_read_in_order_without_placeholders() {
        let e = json!({
            "session": {"uid": "s1", "uid_alt": "S1", "credential_uid": "sha256:ab"},
            "actor": {"session": {"uid": "WS1/0x3e7"}},
            "metadata": {"correlation_uid": "00000000000000000000000000000000"},
            "trace": {"uid": "4bf9"},
        });
        let keys: Vec<String> = strong_keys(&e).iter().map(Key::to_string).collect();
        assert_eq!(keys, ["session=s1", "token=sha256:ab", "trace=4bf9"]);
        assert!(strong_keys(&json!({"session": {"uid": "-"}})).is_empty());
    }

    #[test]
    fn users_and_host_accounts() {
        let e = json!({"user": {"name": "root"}, "actor": {"user": {"name": "alice"}}});
        assert_eq!(user_names(&e), ["root", "alice"]);
        assert_eq!(
            host_accounts("alice@example.com"),
            ["alice@example.com", "alice"]
        );
        assert_eq!(host_accounts("alice"), ["alice"]);
        assert_eq!(host_accounts("@x"), ["@x"]);
        assert!(host_accounts("(unknown)").is_empty());
    }

    #[test]
    fn every_key_kind_has_a_field() {
        for kind in [
            KeyKind::Session,
            KeyKind::Token,
            KeyKind::Trace,
            KeyKind::User,
        ] {
            assert!(Key::new(kind, "x").term().is_ok(), "{kind:?}");
        }
        assert!(Key::new(KeyKind::Ip, "10.0.0.1").term().is_ok());
        assert!(Key::new(KeyKind::Ip, "nope").term().is_err());
        assert!(term("product", Value::Text("sudo".into())).is_ok());
    }
}
