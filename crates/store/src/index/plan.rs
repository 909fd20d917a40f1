//! A query's filter and time bounds answered from one segment's index: the entries that may
//! match, and whether they surely do (`exact`). Anything the index cannot decide (an unindexed
//! field, `~` on an address, a value cut short) widens the answer and clears `exact`, so the
//! answer is always a superset of the true matches and the caller checks the events.

use roaring::RoaringBitmap;

use super::keys::{cidr_range, field_paths, ip_key, paths, text_key, MAX_TEXT_KEY};
use super::segment::{SegmentRead, NO_TIME};
use crate::error::Result;
use crate::query::{Expr, Op, Query, Term, Value};

/// Entries of a segment that may match, and whether all of them do.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidates {
    /// Offsets within the segment.
    pub offsets: RoaringBitmap,
    /// Whether every offset surely matches.
    pub exact: bool,
}

/// Whether the segment's time range can hold a match of the query's bounds.
pub fn may_overlap(q: &Query, seg: &dyn SegmentRead) -> bool {
    if q.since_ms.is_none() && q.until_ms.is_none() {
        return true;
    }
    match seg.time_range() {
        None => false,
        Some((lo, hi)) => q.since_ms.is_none_or(|s| hi >= s) && q.until_ms.is_none_or(|u| lo < u),
    }
}

/// The segment's candidates for `q` (its pipe aside).
pub fn candidates(q: &Query, seg: &dyn SegmentRead) -> Result<Candidates> {
    if !may_overlap(q, seg) {
        return Ok(Candidates {
            offsets: RoaringBitmap::new(),
            exact: true,
        });
    }
    let mut all = RoaringBitmap::new();
    all.insert_range(0..seg.entry_count());
    let mut c = match &q.filter {
        None => Candidates {
            offsets: all,
            exact: true,
        },
        Some(e) => expr(e, seg, &all)?,
    };
    if q.since_ms.is_some() || q.until_ms.is_some() {
        let within = |t: i64| {
            t != NO_TIME && q.since_ms.is_none_or(|s| t >= s) && q.until_ms.is_none_or(|u| t < u)
        };
        let times = seg.times()?;
        c.offsets = c
            .offsets
            .iter()
            .filter(|&o| times.get(o as usize).is_some_and(|&t| within(t)))
            .collect();
    }
    Ok(c)
}

fn expr(e: &Expr, seg: &dyn SegmentRead, all: &RoaringBitmap) -> Result<Candidates> {
    match e {
        Expr::Term(t) => term(t, seg, all),
        Expr::And(items) => {
            let mut acc = Candidates {
                offsets: all.clone(),
                exact: true,
            };
            for item in items {
                let c = expr(item, seg, all)?;
                acc.offsets &= c.offsets;
                acc.exact &= c.exact;
                if acc.offsets.is_empty() {
                    // Nothing can match: empty is exact whatever the other terms say.
                    acc.exact = true;
                    break;
                }
            }
            Ok(acc)
        }
        Expr::Or(items) => {
            let mut acc = Candidates {
                offsets: RoaringBitmap::new(),
                exact: true,
            };
            for item in items {
                let c = expr(item, seg, all)?;
                acc.offsets |= c.offsets;
                acc.exact &= c.exact;
            }
            Ok(acc)
        }
    }
}

fn term(t: &Term, seg: &dyn SegmentRead, all: &RoaringBitmap) -> Result<Candidates> {
    let unknown = Candidates {
        offsets: all.clone(),
        exact: false,
    };
    let Some(ids) = field_paths(t.field) else {
        return Ok(unknown);
    };
    let cut = ids.iter().any(|&id| seg.cut() & (1u64 << id) != 0);
    let is_ip = ids
        .first()
        .is_some_and(|&id| paths().get(usize::from(id)).is_some_and(|p| p.ip));
    let mut eq = RoaringBitmap::new();
    match (t.op, &t.value) {
        (Op::Contains, value) => {
            if is_ip || cut {
                return Ok(unknown);
            }
            let needle = match value {
                Value::Text(s) => s.to_ascii_lowercase(),
                other => other.to_string().to_ascii_lowercase(),
            };
            for &id in &ids {
                eq |= seg.scan_path(id, &mut |payload| contains(payload, needle.as_bytes()))?;
            }
            return Ok(Candidates {
                offsets: eq,
                exact: true,
            });
        }
        (_, Value::Text(s)) if !is_ip => {
            for &id in &ids {
                eq |= seg.postings(&text_key(id, s).0)?;
            }
        }
        (_, Value::Ip(ip)) if is_ip => {
            for &id in &ids {
                eq |= seg.postings(&ip_key(id, *ip))?;
            }
        }
        (_, Value::Cidr(net)) if is_ip => {
            for &id in &ids {
                let (lo, hi) = cidr_range(id, net);
                eq |= seg.range(&lo, &hi)?;
            }
        }
        _ => return Ok(unknown),
    }
    // Keys keep MAX_TEXT_KEY bytes. A longer value is looked up by its prefix, which also finds
    // other values sharing it; a value of exactly that length also finds longer ones that were
    // cut (if any were). Shorter values are found exactly.
    let exact = match &t.value {
        Value::Text(s) => s.len() < MAX_TEXT_KEY || (s.len() == MAX_TEXT_KEY && !cut),
        _ => true,
    };
    Ok(match t.op {
        Op::Ne if exact => Candidates {
            offsets: all - eq,
            exact: true,
        },
        Op::Ne => unknown,
        _ => Candidates { offsets: eq, exact },
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}
