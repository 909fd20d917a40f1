//! The lexer: words, quoted strings, operators, parentheses and the pipe, each with its column.

use super::ast::Op;
use super::QueryError;

/// A token's kind.
#[derive(Clone, Debug, PartialEq)]
pub enum TokKind {
    /// A bare word (a field, a keyword, or a value after an operator).
    Word(String),
    /// A double-quoted string, unescaped.
    Quoted(String),
    /// `=`, `!=` or `~`.
    Op(Op),
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `|`.
    Pipe,
    /// The end of the input (column = length + 1).
    End,
}

/// A token and its 1-based column in characters.
#[derive(Clone, Debug, PartialEq)]
pub struct Tok {
    /// What it is.
    pub kind: TokKind,
    /// Where it starts (1-based, in chars).
    pub col: usize,
}

/// Characters that end a bare word in field/keyword position.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '=' | '!' | '~' | '(' | ')' | '|' | '"')
}

/// Characters that end a bare value (after an operator).
pub fn ends_value(c: char) -> bool {
    c.is_whitespace() || matches!(c, ')' | '|')
}

/// Splits a query into tokens, ending with `End`.
pub fn lex(text: &str) -> Result<Vec<Tok>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut after_op = false;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if after_op {
            after_op = false;
            if c == '"' {
                let (s, next) = quoted(&chars, i)?;
                toks.push(Tok {
                    kind: TokKind::Quoted(s),
                    col,
                });
                i = next;
            } else if ends_value(c) {
                return Err(QueryError::new(col, "missing value after the operator"));
            } else {
                let start = i;
                while i < chars.len() && !ends_value(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                toks.push(Tok {
                    kind: TokKind::Word(word),
                    col,
                });
            }
            continue;
        }
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => TokKind::LParen,
            ')' => TokKind::RParen,
            '|' => TokKind::Pipe,
            '=' => TokKind::Op(Op::Eq),
            '~' => TokKind::Op(Op::Contains),
            '!' => {
                if chars.get(i + 1) != Some(&'=') {
                    return Err(QueryError::new(
                        col,
                        "expected '!=' ('!' alone is not an operator)",
                    ));
                }
                i += 1;
                TokKind::Op(Op::Ne)
            }
            '"' => {
                let (s, next) = quoted(&chars, i)?;
                toks.push(Tok {
                    kind: TokKind::Quoted(s),
                    col,
                });
                i = next;
                continue;
            }
            _ => {
                let start = i;
                while i < chars.len() && !ends_word(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                toks.push(Tok {
                    kind: TokKind::Word(word),
                    col,
                });
                continue;
            }
        };
        after_op = matches!(kind, TokKind::Op(_));
        toks.push(Tok { kind, col });
        i += 1;
    }
    if after_op {
        return Err(QueryError::new(
            chars.len() + 1,
            "missing value after the operator",
        ));
    }
    toks.push(Tok {
        kind: TokKind::End,
        col: chars.len() + 1,
    });
    Ok(toks)
}

/// Reads a quoted string starting at `chars[start] == '"'`; returns it and the index after it.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let mut out = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((out, i + 1)),
            '\\' => match chars.get(i + 1) {
                Some(&c @ ('"' | '\\')) => {
                    out.push(c);
                    i += 2;
                }
                _ => {
                    return Err(QueryError::new(
                        i + 1,
                        "bad escape: only \\\" and \\\\ are allowed",
                    ))
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError::new(start + 1, "unterminated quoted string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokKind, usize)> {
        lex(text)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.col))
            .collect()
    }

    fn w(s: &str) -> TokKind {
        TokKind::Word(s.into())
    }

    #[test]
    fn splits_terms_without_spaces_and_keeps_columns() {
        assert_eq!(
            kinds("user=alice ip!=10.0.0.0/8"),
            vec![
                (w("user"), 1),
                (TokKind::Op(Op::Eq), 5),
                (w("alice"), 6),
                (w("ip"), 12),
                (TokKind::Op(Op::Ne), 14),
                (w("10.0.0.0/8"), 16),
                (TokKind::End, 26),
            ]
        );
    }

    #[test]
    fn values_may_hold_operator_chars_but_stop_at_paren_and_pipe() {
        assert_eq!(
            kinds("(m~a=b!c)|"),
            vec![
                (TokKind::LParen, 1),
                (w("m"), 2),
                (TokKind::Op(Op::Contains), 3),
                (w("a=b!c"), 4),
                (TokKind::RParen, 9),
                (TokKind::Pipe, 10),
                (TokKind::End, 11),
            ]
        );
    }

    #[test]
    fn quoted_strings_unescape() {
        let toks = kinds(r#"message="say \"hi\" \\ (x) | y""#);
        assert_eq!(
            toks[2],
            (TokKind::Quoted(r#"say "hi" \ (x) | y"#.into()), 9)
        );
        assert_eq!(kinds("é=\"ü\"")[2], (TokKind::Quoted("ü".into()), 3));
    }

    #[test]
    fn lexical_errors_have_columns() {
        assert_eq!(lex("user=").unwrap_err().column, 6);
        assert_eq!(lex("user= x").unwrap_err().column, 6);
        assert_eq!(lex("a!b").unwrap_err().column, 2);
        assert_eq!(lex(r#"m="abc"#).unwrap_err().column, 3);
        assert_eq!(lex(r#"m="a\nb""#).unwrap_err().column, 5);
    }
}
