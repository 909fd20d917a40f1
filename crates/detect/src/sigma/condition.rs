//! Sigma `condition:` expressions: `and`, `or`, `not`, parentheses, `1 of`/`all of` a name
//! pattern or `them`. Aggregations (`| count()`) and `near` are refused.

use super::matcher::{parse_glob, Tok};

/// A parsed condition over selections (by index).
#[derive(Clone, Debug)]
pub(crate) enum Cond {
    /// The selection at this index.
    Sel(usize),
    /// All of these.
    And(Vec<Cond>),
    /// Any of these.
    Or(Vec<Cond>),
    /// Not this.
    Not(Box<Cond>),
}

impl Cond {
    /// Evaluates with `sel(i)` telling whether selection `i` matches.
    pub fn eval(&self, sel: &dyn Fn(usize) -> bool) -> bool {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::And(cs) => cs.iter().all(|c| c.eval(sel)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(sel)),
            Cond::Not(c) => !c.eval(sel),
        }
    }
}

/// Parses `text` over the selection `names`; the error says what is wrong.
pub(crate) fn parse(text: &str, names: &[String]) -> Result<Cond, String> {
    if text.contains('|') {
        return Err(format!(
            "unsupported aggregation in {text:?}: the legacy `| count()` syntax is not supported (write a Sigma v2 correlation rule: event_count or value_count)"
        ));
    }
    let toks: Vec<String> = text
        .replace('(', " ( ")
        .replace(')', " ) ")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut p = Parser { toks, at: 0, names };
    let c = p.or()?;
    match p.toks.get(p.at) {
        None => Ok(c),
        Some(t) => Err(format!("unexpected {t:?} in condition {text:?}")),
    }
}

struct Parser<'a> {
    toks: Vec<String>,
    at: usize,
    names: &'a [String],
}

impl Parser<'_> {
    fn peek(&self) -> Option<String> {
        self.toks.get(self.at).map(|t| t.to_ascii_lowercase())
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.and()?];
        while self.peek().as_deref() == Some("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.unary()?];
        while self.peek().as_deref() == Some("and") {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Cond, String> {
        let Some(tok) = self.peek() else {
            return Err("condition ends too early".into());
        };
        self.at += 1;
        match tok.as_str() {
            "not" => Ok(Cond::Not(Box::new(self.unary()?))),
            "(" => {
                let c = self.or()?;
                if self.peek().as_deref() != Some(")") {
                    return Err("missing ')' in condition".into());
                }
                self.at += 1;
                Ok(c)
            }
            "near" => Err("unsupported condition keyword \"near\"".into()),
            "1" | "all" | "any" => {
                if self.peek().as_deref() != Some("of") {
                    return Err(format!("expected 'of' after {tok:?}"));
                }
                self.at += 1;
                let Some(target) = self.toks.get(self.at).cloned() else {
                    return Err(format!("missing a name pattern or 'them' after '{tok} of'"));
                };
                self.at += 1;
                let picked = self.pick(&target)?;
                let sels = picked.into_iter().map(Cond::Sel).collect();
                Ok(if tok == "all" {
                    Cond::And(sels)
                } else {
                    Cond::Or(sels)
                })
            }
            "and" | "or" | ")" => Err(format!("unexpected {tok:?} in condition")),
            _ => {
                let raw = &self.toks[self.at - 1];
                match self.names.iter().position(|n| n == raw) {
                    Some(i) => Ok(Cond::Sel(i)),
                    None => Err(format!(
                        "unknown selection {raw:?} in condition; selections: {}",
                        self.names.join(", ")
                    )),
                }
            }
        }
    }

    /// The selections `1 of`/`all of` names: `them` (all but `_`-prefixed) or a pattern.
    fn pick(&self, target: &str) -> Result<Vec<usize>, String> {
        let picked: Vec<usize> = if target.eq_ignore_ascii_case("them") {
            (0..self.names.len())
                .filter(|i| !self.names[*i].starts_with('_'))
                .collect()
        } else {
            let pat = parse_glob(target);
            (0..self.names.len())
                .filter(|i| name_glob(&pat, &self.names[*i]))
                .collect()
        };
        if picked.is_empty() {
            return Err(format!("no selection matches {target:?}"));
        }
        Ok(picked)
    }
}

/// Whether a selection name matches a pattern (names are compared as written, lowercased).
fn name_glob(pat: &[Tok], name: &str) -> bool {
    fn go(p: &[Tok], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(Tok::Any) => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some(Tok::One) => !t.is_empty() && go(&p[1..], &t[1..]),
            Some(Tok::Char(c)) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    let chars: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    go(pat, &chars)
}
