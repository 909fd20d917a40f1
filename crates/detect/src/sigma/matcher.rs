//! The compiled Sigma detection: value patterns, field tests, selections, and the matcher an
//! event goes through.

use std::borrow::Cow;
use std::net::IpAddr;

use authtrail_store::query::Record;
use ipnet::IpNet;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::condition::Cond;
use super::mapping::{Path, Source};

/// One piece of a wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// A literal character (lowercased).
    Char(char),
    /// `*`: any run of characters.
    Any,
    /// `?`: one character.
    One,
}

/// One value a field is compared with.
#[derive(Clone, Debug)]
pub(super) enum Pattern {
    /// A wildcard pattern over the whole value, case-insensitive.
    Glob(Vec<Tok>),
    /// An address in this network.
    Cidr(IpNet),
    /// The field is absent, null or empty.
    Null,
}

/// What one `field|modifiers: values` asks.
#[derive(Clone, Debug)]
pub(super) enum Test {
    /// Any (or, with `all`, every) pattern matches some value of the field.
    Values { patterns: Vec<Pattern>, all: bool },
    /// `exists: true/false`.
    Exists(bool),
}

/// One field test of a selection.
#[derive(Clone, Debug)]
pub(super) struct FieldTest {
    /// Where the field's values are read.
    pub paths: &'static [Path],
    /// The comparison.
    pub test: Test,
}

/// A named selection: any of its maps, each one all of its field tests.
#[derive(Clone, Debug)]
pub(super) struct Selection {
    /// The maps (OR), each a list of tests (AND).
    pub any_of: Vec<Vec<FieldTest>>,
}

/// A compiled Sigma detection (with its log source's filter), or several of them (any).
#[derive(Debug)]
pub struct Matcher {
    inner: Inner,
    fingerprint: String,
}

#[derive(Debug)]
enum Inner {
    Rule {
        source: &'static Source,
        selections: Vec<Selection>,
        condition: Cond,
    },
    Any(Vec<std::sync::Arc<Matcher>>),
}

impl Matcher {
    /// A detection over `source`'s events.
    pub(super) fn rule(
        source: &'static Source,
        selections: Vec<Selection>,
        condition: Cond,
    ) -> Matcher {
        let fingerprint = digest(&format!("{}|{selections:?}|{condition:?}", source.name));
        Matcher {
            inner: Inner::Rule {
                source,
                selections,
                condition,
            },
            fingerprint,
        }
    }

    /// Matches when any of `matchers` does.
    pub(super) fn any(matchers: Vec<std::sync::Arc<Matcher>>) -> Matcher {
        let prints: Vec<&str> = matchers.iter().map(|m| m.fingerprint.as_str()).collect();
        let fingerprint = digest(&prints.join(","));
        Matcher {
            inner: Inner::Any(matchers),
            fingerprint,
        }
    }

    /// A short digest of what the matcher matches (for the engine state's rule fingerprint).
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// Whether the record's event is of the log source and matches the detection.
    pub fn matches(&self, record: &Record<'_>) -> bool {
        match &self.inner {
            Inner::Any(ms) => ms.iter().any(|m| m.matches(record)),
            Inner::Rule {
                source,
                selections,
                condition,
            } => {
                of_source(source, record.event)
                    && condition
                        .eval(&|i| selections.get(i).is_some_and(|s| s.matches(record.event)))
            }
        }
    }
}

/// A 16-hex-digit digest of `text`.
fn digest(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    hex::encode(&d[..8])
}

/// Whether an event comes from `source` (product, and log name when the source has one).
fn of_source(source: &Source, event: &Value) -> bool {
    let is = |path: Path, want: &str| {
        read(event, path)
            .iter()
            .any(|v| v.eq_ignore_ascii_case(want))
    };
    source
        .products
        .iter()
        .any(|p| is(&["metadata", "product", "name"], p))
        && source
            .log_name
            .is_none_or(|l| is(&["metadata", "log_name"], l))
}

/// The text values at `path` (a list's scalar items each; nothing for null or absent).
fn read<'a>(event: &'a Value, path: Path) -> Vec<Cow<'a, str>> {
    let mut v = event;
    for key in path {
        match v.get(key) {
            Some(next) => v = next,
            None => return Vec::new(),
        }
    }
    match v {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// A scalar as text.
fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

impl Selection {
    fn matches(&self, event: &Value) -> bool {
        self.any_of
            .iter()
            .any(|tests| tests.iter().all(|t| t.matches(event)))
    }
}

impl FieldTest {
    fn matches(&self, event: &Value) -> bool {
        let values: Vec<Cow<'_, str>> = self.paths.iter().flat_map(|p| read(event, p)).collect();
        match &self.test {
            Test::Exists(want) => values.is_empty() != *want,
            Test::Values { patterns, all } => {
                let one = |p: &Pattern| p.matches(&values);
                if *all {
                    patterns.iter().all(one)
                } else {
                    patterns.iter().any(one)
                }
            }
        }
    }
}

impl Pattern {
    fn matches(&self, values: &[Cow<'_, str>]) -> bool {
        match self {
            Pattern::Null => values.iter().all(|v| v.is_empty()),
            Pattern::Glob(toks) => values.iter().any(|v| glob(toks, v)),
            Pattern::Cidr(net) => values
                .iter()
                .any(|v| v.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip))),
        }
    }
}

/// Parses a Sigma string value: `*` and `?` are wildcards, `\*`, `\?` and `\\` their literals;
/// another backslash is itself.
pub(super) fn parse_glob(value: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push(Tok::Any),
            '?' => out.push(Tok::One),
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    out.push(Tok::Char(n));
                }
                _ => out.push(Tok::Char('\\')),
            },
            c => out.extend(c.to_lowercase().map(Tok::Char)),
        }
    }
    out
}

/// Whether `text` matches the pattern as a whole, case-insensitively.
fn glob(toks: &[Tok], text: &str) -> bool {
    let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    // Iterative matching with one backtrack point for the last `*`.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < chars.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Char(c)) if *c == chars[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p.min(toks.len())..].iter().all(|t| *t == Tok::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = |p: &str, t: &str| glob(&parse_glob(p), t);
        assert!(g("abc", "ABC"));
        assert!(!g("abc", "abcd"));
        assert!(g("a*c", "abbbc"));
        assert!(g("*admin*", "xAdminx"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("a\\*c", "a*c"));
        assert!(!g("a\\*c", "abc"));
        // Sigma: `\*` is a literal star; `\\*` a backslash, then the wildcard.
        assert!(g("C:\\Windows\\\\*", "c:\\windows\\system32"));
        assert!(!g("C:\\Windows\\*", "c:\\windows\\system32"));
        assert!(g("C:\\Windows\\*", "c:\\windows*"));
        assert!(g("*", ""));
        assert!(!g("", "x"));
    }
}
