//! A Sigma `logsource` and `detection` compiled to a [`Matcher`].

use ipnet::IpNet;
use serde_saphyr::Spanned;

use super::condition::{self, Cond};
use super::mapping::{self, Source, MESSAGE};
use super::matcher::{parse_glob, FieldTest, Matcher, Pattern, Selection, Test, Tok};
use super::model::Node;
use super::Doc;
use crate::rule::RuleError;

/// The log source of a detection document.
pub(super) fn source(doc: &Doc) -> Result<&'static Source, RuleError> {
    let at = &doc.at;
    let Some(ls) = &doc.raw.logsource else {
        return Err(at.err(
            Some("logsource"),
            "missing (a Sigma detection rule needs one)",
        ));
    };
    let l = &ls.value;
    if let Some(c) = &l.category {
        return Err(at.err_at(
            ls,
            "logsource.category",
            format!(
                "unsupported logsource category {c:?}: give product and service; supported: {}",
                mapping::supported()
            ),
        ));
    }
    let product = l.product.as_deref().unwrap_or("");
    let service = l.service.as_deref().unwrap_or("");
    mapping::source(product, service).ok_or_else(|| {
        at.err_at(
            ls,
            "logsource",
            format!(
                "unsupported logsource product {product:?} service {service:?}; supported: {}",
                mapping::supported()
            ),
        )
    })
}

/// Compiles the document's detection over `src`.
pub(super) fn compile(doc: &Doc, src: &'static Source) -> Result<Matcher, RuleError> {
    let at = &doc.at;
    if let Some(t) = &doc.raw.timeframe {
        return Err(at.err_at(
            t,
            "timeframe",
            "unsupported legacy aggregation window (write a Sigma v2 correlation rule)",
        ));
    }
    let Some(det) = &doc.raw.detection else {
        return Err(at.err(
            Some("detection"),
            "missing (a Sigma detection rule needs one)",
        ));
    };
    let Node::Map(entries) = &det.value else {
        return Err(at.err_at(det, "detection", "must be a mapping"));
    };
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut cond: Option<(&Spanned<Node>, Vec<String>)> = None;
    for (key, value) in entries {
        match key.value.as_str() {
            "condition" => {
                let texts = match &value.value {
                    Node::Str(s) => vec![s.clone()],
                    Node::Seq(items) => items
                        .iter()
                        .map(|i| match &i.value {
                            Node::Str(s) => Ok(s.clone()),
                            other => Err(at.err_at(
                                i,
                                "detection.condition",
                                format!("expected a string, found {}", other.kind()),
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(at.err_at(
                            value,
                            "detection.condition",
                            format!("expected a string, found {}", other.kind()),
                        ))
                    }
                };
                cond = Some((value, texts));
            }
            "timeframe" => {
                return Err(at.err_at(
                    key,
                    "detection.timeframe",
                    "unsupported legacy aggregation window (write a Sigma v2 correlation rule)",
                ))
            }
            name => {
                names.push(name.to_string());
                selections.push(selection(doc, src, name, value)?);
            }
        }
    }
    let Some((cv, texts)) = cond else {
        return Err(at.err_at(det, "detection.condition", "missing"));
    };
    let parsed: Vec<Cond> = texts
        .iter()
        .map(|t| condition::parse(t, &names))
        .collect::<Result<_, _>>()
        .map_err(|m| at.err_at(cv, "detection.condition", m))?;
    let condition = if parsed.len() == 1 {
        parsed.into_iter().next().unwrap_or(Cond::Or(Vec::new()))
    } else {
        Cond::Or(parsed)
    };
    Ok(Matcher::rule(src, selections, condition))
}

/// One named selection.
fn selection(
    doc: &Doc,
    src: &'static Source,
    name: &str,
    node: &Spanned<Node>,
) -> Result<Selection, RuleError> {
    let at = &doc.at;
    let key = format!("detection.{name}");
    match &node.value {
        Node::Map(fields) => Ok(Selection {
            any_of: vec![field_tests(doc, src, name, fields)?],
        }),
        Node::Seq(items) if items.iter().all(|i| matches!(i.value, Node::Map(_))) => {
            let mut any_of = Vec::new();
            for i in items {
                if let Node::Map(fields) = &i.value {
                    any_of.push(field_tests(doc, src, name, fields)?);
                }
            }
            Ok(Selection { any_of })
        }
        Node::Seq(items) => {
            // Keywords: each value anywhere in the message.
            let mut patterns = Vec::new();
            for i in items {
                let text = scalar(&i.value).ok_or_else(|| {
                    at.err_at(
                        i,
                        &key,
                        format!(
                            "a keyword list holds only strings or numbers, found {}",
                            i.value.kind()
                        ),
                    )
                })?;
                patterns.push(contains(&text));
            }
            Ok(Selection {
                any_of: vec![vec![FieldTest {
                    paths: MESSAGE,
                    test: Test::Values {
                        patterns,
                        all: false,
                    },
                }]],
            })
        }
        Node::Str(s) => Ok(Selection {
            any_of: vec![vec![FieldTest {
                paths: MESSAGE,
                test: Test::Values {
                    patterns: vec![contains(s)],
                    all: false,
                },
            }]],
        }),
        other => Err(at.err_at(
            node,
            &key,
            format!(
                "a selection is a mapping, a list of mappings or a keyword list, found {}",
                other.kind()
            ),
        )),
    }
}

/// A keyword: the value anywhere in the text.
fn contains(text: &str) -> Pattern {
    let mut toks = vec![Tok::Any];
    toks.extend(parse_glob(text));
    toks.push(Tok::Any);
    Pattern::Glob(toks)
}

/// A scalar's text (null and lists: none).
fn scalar(node: &Node) -> Option<String> {
    match node {
        Node::Str(s) | Node::Num(s) => Some(s.clone()),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The tests of one selection map.
fn field_tests(
    doc: &Doc,
    src: &'static Source,
    sel: &str,
    fields: &[(Spanned<String>, Spanned<Node>)],
) -> Result<Vec<FieldTest>, RuleError> {
    let at = &doc.at;
    let mut out = Vec::new();
    for (key, value) in fields {
        let where_ = format!("detection.{sel}.{}", key.value);
        let mut parts = key.value.split('|');
        let field = parts.next().unwrap_or("");
        if field.is_empty() {
            return Err(at.err_at(
                key,
                &where_,
                "unsupported: a modifier without a field (full-text search) is not supported",
            ));
        }
        let Some(map) = src.field(field) else {
            return Err(at.err_at(
                key,
                &where_,
                format!(
                    "field {field:?} is not mapped for logsource {}; mapped fields: {}",
                    src.name,
                    src.field_names()
                ),
            ));
        };
        let mut place: Option<&str> = None;
        let (mut all, mut cidr, mut exists) = (false, false, false);
        for m in parts {
            match m {
                "contains" | "startswith" | "endswith" => {
                    if let Some(p) = place {
                        return Err(at.err_at(
                            key,
                            &where_,
                            format!("unsupported: modifiers {p:?} and {m:?} together"),
                        ));
                    }
                    place = Some(m);
                }
                "all" => all = true,
                "cidr" => cidr = true,
                "exists" => exists = true,
                "re" => {
                    return Err(at.err_at(
                        key,
                        &where_,
                        "unsupported modifier \"re\": regular expressions are not supported (no regex engine in this build)",
                    ))
                }
                other => {
                    return Err(at.err_at(
                        key,
                        &where_,
                        format!("unsupported modifier {other:?}"),
                    ))
                }
            }
        }
        let values: Vec<&Spanned<Node>> = match &value.value {
            Node::Seq(items) => items.iter().collect(),
            _ => vec![value],
        };
        if exists {
            let [v] = values.as_slice() else {
                return Err(at.err_at(value, &where_, "exists takes one value, true or false"));
            };
            let Node::Bool(b) = v.value else {
                return Err(at.err_at(value, &where_, "exists takes true or false"));
            };
            out.push(FieldTest {
                paths: map.paths,
                test: Test::Exists(b),
            });
            continue;
        }
        let mut patterns = Vec::new();
        for v in values {
            let pattern = match (&v.value, cidr) {
                (Node::Null, _) => Pattern::Null,
                (Node::Seq(_) | Node::Map(_), _) => {
                    return Err(at.err_at(
                        v,
                        &where_,
                        format!(
                            "a value is a string, number, boolean or null, found {}",
                            v.value.kind()
                        ),
                    ))
                }
                (n, true) => {
                    let text = scalar(n).unwrap_or_default();
                    let net = text
                        .parse::<IpNet>()
                        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
                        .map_err(|_| {
                            at.err_at(v, &where_, format!("invalid network {text:?} for cidr"))
                        })?;
                    Pattern::Cidr(net)
                }
                (n, false) => {
                    let mut toks = parse_glob(&scalar(n).unwrap_or_default());
                    match place {
                        Some("contains") => {
                            toks.insert(0, Tok::Any);
                            toks.push(Tok::Any);
                        }
                        Some("startswith") => toks.push(Tok::Any),
                        Some("endswith") => toks.insert(0, Tok::Any),
                        _ => {}
                    }
                    Pattern::Glob(toks)
                }
            };
            patterns.push(pattern);
        }
        if patterns.is_empty() {
            return Err(at.err_at(value, &where_, "an empty list of values"));
        }
        out.push(FieldTest {
            paths: map.paths,
            test: Test::Values { patterns, all },
        });
    }
    Ok(out)
}
