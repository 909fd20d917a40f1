//! Recursive-descent parser: tokens to a [`Query`].
//!
//! ```text
//! query    := and_list [ '|' pipe ] END
//! and_list := { or_chain }                      (ANDed; stops at ')', '|', END)
//! or_chain := primary { 'OR' primary }
//! primary  := '(' and_list ')' | term
//! term     := FIELD ('=' | '!=' | '~') VALUE   |  ('since' | 'until') '=' TIME
//! pipe     := 'count' 'by' FIELD | 'top' N FIELD
//! ```

use std::net::IpAddr;

use ipnet::IpNet;

use super::ast::{Expr, Op, Pipe, Term, Value};
use super::fields::{suggestions, Field, Kind};
use super::lex::{lex, Tok, TokKind};
use super::{time, Query, QueryError};

/// The largest N accepted by `| top N FIELD`.
const MAX_TOP: u32 = 10_000;

/// A parsed primary: a filter expression, or a time bound (only valid at the top level).
enum Prim {
    Expr(Expr),
    Bound { until: bool, ms: i64, col: usize },
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    now_ms: i64,
    since: Option<i64>,
    until: Option<i64>,
}

/// Parses `text`, resolving relative times against `now_ms`.
pub fn parse(text: &str, now_ms: i64) -> Result<Query, QueryError> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
        now_ms,
        since: None,
        until: None,
    };
    let items = p.and_list(0)?;
    let tok = p.peek().clone();
    let pipe = match tok.kind {
        TokKind::RParen => return Err(QueryError::new(tok.col, "unmatched ')'")),
        TokKind::Pipe => {
            p.pos += 1;
            Some(p.pipe()?)
        }
        _ => None,
    };
    let end = p.peek();
    if end.kind != TokKind::End {
        return Err(QueryError::new(
            end.col,
            "unexpected text after the pipe (only one pipe, at the end)",
        ));
    }
    Ok(Query {
        filter: collapse(items, Expr::And),
        since_ms: p.since,
        until_ms: p.until,
        pipe,
    })
}

/// One expression for a list: `None` if empty, the item if alone, else `wrap(items)`.
fn collapse(mut items: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Option<Expr> {
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => Some(wrap(items)),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        // `lex` always ends with `End`, and `pos` never moves past it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn advance(&mut self) -> Tok {
        let tok = self.peek().clone();
        if tok.kind != TokKind::End {
            self.pos += 1;
        }
        tok
    }

    /// Whether the next token is the `OR` keyword (not a field named `OR`).
    fn at_or(&self) -> bool {
        let next_is_op = matches!(
            self.toks.get(self.pos + 1).map(|t| &t.kind),
            Some(TokKind::Op(_))
        );
        matches!(&self.peek().kind, TokKind::Word(w) if w == "OR") && !next_is_op
    }

    fn and_list(&mut self, depth: usize) -> Result<Vec<Expr>, QueryError> {
        let mut items = Vec::new();
        loop {
            match self.peek().kind {
                TokKind::End | TokKind::Pipe | TokKind::RParen => return Ok(items),
                _ => {}
            }
            match self.or_chain(depth)? {
                Prim::Expr(e) => items.push(e),
                Prim::Bound { col, .. } if depth > 0 => {
                    return Err(QueryError::new(
                        col,
                        "since/until cannot be inside parentheses (time bounds apply to the whole query)",
                    ))
                }
                Prim::Bound { until, ms, col } => {
                    let slot = if until { &mut self.until } else { &mut self.since };
                    if slot.is_some() {
                        let name = if until { "until" } else { "since" };
                        return Err(QueryError::new(col, format!("{name} given twice")));
                    }
                    *slot = Some(ms);
                }
            }
        }
    }

    fn or_chain(&mut self, depth: usize) -> Result<Prim, QueryError> {
        if self.at_or() {
            return Err(QueryError::new(
                self.peek().col,
                "OR needs a term before it",
            ));
        }
        let first = self.primary(depth)?;
        if !self.at_or() {
            return Ok(first);
        }
        let mut items = vec![no_bound(first)?];
        while self.at_or() {
            let or_col = self.advance().col;
            let missing = self.at_or()
                || matches!(
                    self.peek().kind,
                    TokKind::End | TokKind::Pipe | TokKind::RParen
                );
            if missing {
                return Err(QueryError::new(or_col, "OR needs a term after it"));
            }
            items.push(no_bound(self.primary(depth)?)?);
        }
        Ok(Prim::Expr(Expr::Or(items)))
    }

    fn primary(&mut self, depth: usize) -> Result<Prim, QueryError> {
        let tok = self.advance();
        match tok.kind {
            TokKind::LParen => {
                let items = self.and_list(depth + 1)?;
                if self.peek().kind != TokKind::RParen {
                    return Err(QueryError::new(tok.col, "unclosed '('"));
                }
                let close = self.advance();
                collapse(items, Expr::And)
                    .map(Prim::Expr)
                    .ok_or_else(|| QueryError::new(close.col, "empty parentheses"))
            }
            TokKind::Word(name) => self.term(&name, tok.col),
            TokKind::Quoted(_) => Err(QueryError::new(
                tok.col,
                "expected a field name, found a quoted string",
            )),
            TokKind::Op(_) => Err(QueryError::new(
                tok.col,
                "expected a field name before the operator",
            )),
            TokKind::RParen => Err(QueryError::new(tok.col, "unmatched ')'")),
            TokKind::Pipe | TokKind::End => Err(QueryError::new(tok.col, "expected a term")),
        }
    }

    fn term(&mut self, name: &str, col: usize) -> Result<Prim, QueryError> {
        let op_tok = self.advance();
        let TokKind::Op(op) = op_tok.kind else {
            return Err(QueryError::new(
                col,
                format!("\"{name}\" needs an operator and a value (=, != or ~)"),
            ));
        };
        let val_tok = self.advance();
        let raw = match val_tok.kind {
            TokKind::Word(s) | TokKind::Quoted(s) => s,
            // The lexer always puts a value after an operator.
            _ => {
                return Err(QueryError::new(
                    val_tok.col,
                    "missing value after the operator",
                ))
            }
        };
        let lower = name.to_ascii_lowercase();
        if lower == "since" || lower == "until" {
            if op != Op::Eq {
                return Err(QueryError::new(
                    op_tok.col,
                    format!("{lower} only takes '='"),
                ));
            }
            let ms = time::resolve(&raw, self.now_ms).ok_or_else(|| {
                QueryError::new(
                    val_tok.col,
                    format!("bad time \"{raw}\": expected 30s/15m/24h/7d, an RFC 3339 timestamp or a date YYYY-MM-DD"),
                )
            })?;
            return Ok(Prim::Bound {
                until: lower == "until",
                ms,
                col,
            });
        }
        let field = Field::lookup(name).ok_or_else(|| unknown_field(name, col))?;
        let value = if field.kind() == Kind::Ip && op != Op::Contains {
            ip_value(&raw, val_tok.col)?
        } else {
            Value::Text(raw)
        };
        Ok(Prim::Expr(Expr::Term(Term { field, op, value })))
    }

    fn pipe(&mut self) -> Result<Pipe, QueryError> {
        let tok = self.advance();
        let word = match &tok.kind {
            TokKind::Word(w) => w.to_ascii_lowercase(),
            TokKind::End => {
                return Err(QueryError::new(
                    tok.col,
                    "expected 'count by FIELD' or 'top N FIELD' after '|'",
                ))
            }
            _ => String::new(),
        };
        match word.as_str() {
            "count" => {
                let by = self.advance();
                if !matches!(&by.kind, TokKind::Word(w) if w.eq_ignore_ascii_case("by")) {
                    return Err(QueryError::new(by.col, "expected 'by' after 'count'"));
                }
                Ok(Pipe::CountBy(self.pipe_field()?))
            }
            "top" => {
                let n_tok = self.advance();
                let n = match &n_tok.kind {
                    TokKind::Word(w) => w.parse::<u32>().ok().filter(|n| (1..=MAX_TOP).contains(n)),
                    _ => None,
                };
                let n = n.ok_or_else(|| {
                    QueryError::new(
                        n_tok.col,
                        format!("expected a count N from 1 to {MAX_TOP} after 'top'"),
                    )
                })?;
                Ok(Pipe::Top(n, self.pipe_field()?))
            }
            _ => Err(QueryError::new(
                tok.col,
                "unknown pipe: expected 'count by FIELD' or 'top N FIELD'",
            )),
        }
    }

    fn pipe_field(&mut self) -> Result<Field, QueryError> {
        let tok = self.advance();
        match &tok.kind {
            TokKind::Word(w) => Field::lookup(w).ok_or_else(|| unknown_field(w, tok.col)),
            _ => Err(QueryError::new(tok.col, "expected a field name")),
        }
    }
}

/// Rejects a time bound inside an `OR`.
fn no_bound(p: Prim) -> Result<Expr, QueryError> {
    match p {
        Prim::Expr(e) => Ok(e),
        Prim::Bound { col, .. } => Err(QueryError::new(
            col,
            "since/until cannot be combined with OR (time bounds apply to the whole query)",
        )),
    }
}

fn unknown_field(name: &str, col: usize) -> QueryError {
    let close = suggestions(name);
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    };
    QueryError::new(col, format!("unknown field \"{name}\"{hint}"))
}

/// An IP field's `=`/`!=` value: a CIDR if it has a '/', else an address.
fn ip_value(raw: &str, col: usize) -> Result<Value, QueryError> {
    if raw.contains('/') {
        raw.parse::<IpNet>()
            .map(Value::Cidr)
            .map_err(|_| QueryError::new(col, format!("bad CIDR \"{raw}\"")))
    } else {
        raw.parse::<IpAddr>().map(Value::Ip).map_err(|_| {
            QueryError::new(
                col,
                format!("bad IP address \"{raw}\" (use ~ for a substring)"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(name: &str, op: Op, value: Value) -> Expr {
        let field = Field::lookup(name).unwrap();
        Expr::Term(Term { field, op, value })
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn builds_the_tree_with_or_tighter_than_and() {
        let q = parse("user=a ip=1.2.3.4 OR ip~5. (status=2 class!=x)", 0).unwrap();
        let expected = Expr::And(vec![
            term("user", Op::Eq, text("a")),
            Expr::Or(vec![
                term("ip", Op::Eq, Value::Ip("1.2.3.4".parse().unwrap())),
                term("ip", Op::Contains, text("5.")),
            ]),
            Expr::And(vec![
                term("status", Op::Eq, text("2")),
                term("class", Op::Ne, text("x")),
            ]),
        ]);
        assert_eq!(q.filter, Some(expected));
    }

    #[test]
    fn single_items_collapse_and_or_chains_are_flat() {
        let q = parse("((user=a))", 0).unwrap();
        assert_eq!(q.filter, Some(term("user", Op::Eq, text("a"))));
        let q = parse("user=a OR user=b OR user=c", 0).unwrap();
        assert!(matches!(q.filter, Some(Expr::Or(ref v)) if v.len() == 3));
    }

    #[test]
    fn a_field_named_or_is_not_the_keyword() {
        let e = parse("user=a OR=b", 0).unwrap_err();
        assert_eq!(e.column, 8);
        assert!(e.message.contains("unknown field \"OR\""), "{e}");
        let e = parse("user=a or user=b", 0).unwrap_err();
        assert_eq!(e.column, 8, "lower-case `or` is not the keyword");
    }

    #[test]
    fn ip_values_are_typed_only_for_equality() {
        let q = parse("dst_endpoint.ip!=::1/128 ip~10.", 0).unwrap();
        let Some(Expr::And(items)) = q.filter else {
            panic!()
        };
        assert_eq!(
            items[0],
            term(
                "dst_endpoint.ip",
                Op::Ne,
                Value::Cidr("::1/128".parse().unwrap())
            )
        );
        assert_eq!(items[1], term("ip", Op::Contains, text("10.")));
        assert_eq!(parse("dst_endpoint.ip=nope", 0).unwrap_err().column, 17);
    }
}
