//! The query's syntax tree and its canonical printing.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::fields::Field;
use super::lex::ends_value;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`: case-insensitive equality (or IP/CIDR membership).
    Eq,
    /// `!=`: the negation of `=`.
    Ne,
    /// `~`: case-insensitive substring.
    Contains,
}

/// A term's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Text, compared ASCII case-insensitively.
    Text(String),
    /// An IP address (IP fields with `=`/`!=`).
    Ip(IpAddr),
    /// A CIDR network (IP fields with `=`/`!=`).
    Cidr(IpNet),
}

/// One `field OP value` comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// The field compared.
    pub field: Field,
    /// The operator.
    pub op: Op,
    /// The value compared with.
    pub value: Value,
}

/// A filter expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A single comparison.
    Term(Term),
    /// All of these (terms separated by spaces).
    And(Vec<Expr>),
    /// Any of these (terms separated by `OR`).
    Or(Vec<Expr>),
}

/// The trailing aggregation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pipe {
    /// `| count by FIELD`.
    CountBy(Field),
    /// `| top N FIELD`.
    Top(u32, Field),
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Contains => "~",
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Ip(ip) => write!(f, "{ip}"),
            Value::Cidr(net) => write!(f, "{net}"),
            Value::Text(s) => {
                let bare =
                    !s.is_empty() && !s.chars().any(|c| ends_value(c) || matches!(c, '"' | '('));
                if bare {
                    return f.write_str(s);
                }
                f.write_str("\"")?;
                for c in s.chars() {
                    if matches!(c, '"' | '\\') {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.field, self.op, self.value)
    }
}

impl Expr {
    /// Prints `self` as a child of an `And` (`in_and`) or an `Or`, adding parentheses as needed.
    fn fmt_child(&self, f: &mut fmt::Formatter<'_>, in_and: bool) -> fmt::Result {
        match self {
            Expr::Term(_) => write!(f, "{self}"),
            Expr::Or(_) if in_and => write!(f, "{self}"),
            _ => write!(f, "({self})"),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Term(t) => write!(f, "{t}"),
            Expr::And(items) | Expr::Or(items) => {
                let in_and = matches!(self, Expr::And(_));
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if in_and { " " } else { " OR " })?;
                    }
                    e.fmt_child(f, in_and)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pipe::CountBy(field) => write!(f, "| count by {field}"),
            Pipe::Top(n, field) => write!(f, "| top {n} {field}"),
        }
    }
}
