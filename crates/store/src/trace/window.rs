//! The host-window rule: a host event (sshd, sudo, su, PAM, auditd, Windows) of a user of a
//! thread is attached when its time is inside the thread's window, the span of the thread's
//! events widened by the slack. Attached steps are not followed further: a user name is not an
//! identifier, and the window is what keeps the same user's other activity out.

use std::collections::BTreeMap;

use super::bounds::{Bound, Span};
use super::expand::BATCH;
use super::keys::{any_of, host_accounts, term, user_names, Key, KeyKind, HOST_PRODUCTS};
use super::timeline::{LinkedBy, Rule};
use super::tracer::{Added, Tracer};
use crate::error::Result;
use crate::query::{Expr, Value};

/// A step of a thread that names a user, and the thread's window.
#[derive(Clone, Copy, Debug)]
struct Anchor {
    /// The thread's window.
    window: Span,
    /// The step's time.
    time: i64,
    /// The step's seq.
    seq: u64,
}

/// A host account to look for and where it may be attached.
struct Account {
    /// The name as the thread spells it (first seen).
    name: String,
    /// The steps naming it.
    anchors: Vec<Anchor>,
}

/// Attaches the host events of every thread's users inside the thread's window.
pub(super) fn attach(t: &mut Tracer<'_>) -> Result<()> {
    let accounts = accounts(t);
    let mut list: Vec<Account> = accounts.into_values().collect();
    let room = t.bounds.max_keys.saturating_sub(t.keys_followed);
    if list.len() > room {
        t.reached(Bound::MaxKeys);
        let left = list.split_off(room);
        t.unfollowed
            .extend(left.into_iter().map(|a| Key::new(KeyKind::User, a.name)));
    }
    t.keys_followed += list.len();
    for batch in list.chunks(BATCH) {
        if t.is_full() {
            break;
        }
        attach_batch(t, batch)?;
    }
    Ok(())
}

/// The accounts of every thread, by lower-case name.
fn accounts(t: &Tracer<'_>) -> BTreeMap<String, Account> {
    let mut out: BTreeMap<String, Account> = BTreeMap::new();
    let threads = t.threads.groups(t.steps.keys().copied());
    for seqs in threads.values() {
        let steps: Vec<_> = seqs.iter().filter_map(|s| t.steps.get(s)).collect();
        let times = steps.iter().filter_map(|s| s.time_ms);
        let (Some(lo), Some(hi)) = (times.clone().min(), times.max()) else {
            continue;
        };
        let window = Span::closed(
            lo.saturating_sub(t.bounds.slack_ms),
            hi.saturating_add(t.bounds.slack_ms),
        )
        .within(t.span);
        if window.is_empty() {
            continue;
        }
        for step in steps {
            let Some(time) = step.time_ms else { continue };
            for name in user_names(&step.event) {
                for account in host_accounts(name) {
                    let entry =
                        out.entry(account.to_ascii_lowercase())
                            .or_insert_with(|| Account {
                                name: account.to_string(),
                                anchors: Vec::new(),
                            });
                    entry.anchors.push(Anchor {
                        window,
                        time,
                        seq: step.seq,
                    });
                }
            }
        }
    }
    out
}

/// Looks up the host events of a batch of accounts over the hull of their windows, and attaches
/// each to the first account of the batch it names whose window holds its time.
fn attach_batch(t: &mut Tracer<'_>, batch: &[Account]) -> Result<()> {
    let users = batch
        .iter()
        .map(|a| term("user", Value::Text(a.name.clone())))
        .collect::<Result<Vec<_>>>()?;
    let products = HOST_PRODUCTS
        .iter()
        .map(|p| term("product", Value::Text((*p).to_string())))
        .collect::<Result<Vec<_>>>()?;
    let windows = batch
        .iter()
        .flat_map(|a| a.anchors.iter().map(|x| x.window));
    let hull = Span {
        since: windows.clone().filter_map(|w| w.since).min(),
        until: windows.filter_map(|w| w.until).max(),
    };
    let query = Tracer::query(Expr::And(vec![any_of(users), any_of(products)]), hull);
    let mut from = Some(0);
    while let Some(at) = from {
        let (hits, next) = t.page(&query, at)?;
        for hit in hits {
            let Some(time) = hit.event.get("time").and_then(serde_json::Value::as_i64) else {
                continue;
            };
            let names = user_names(&hit.event);
            let found = batch.iter().find_map(|account| {
                let named = names.iter().any(|n| n.eq_ignore_ascii_case(&account.name));
                let anchor = named
                    .then(|| anchor_for(&account.anchors, time))
                    .flatten()?;
                Some((account, anchor))
            });
            let Some((account, anchor)) = found else {
                continue;
            };
            let linked_by = LinkedBy {
                rule: Rule::Window,
                key: Key::new(KeyKind::User, account.name.clone()),
                from: Some(anchor.seq),
            };
            if t.add(hit, linked_by) == Added::Full {
                return Ok(());
            }
        }
        from = next;
    }
    Ok(())
}

/// The step an event at `time` is attached to: of the anchors whose window holds it, the latest
/// at or before it, else the earliest after it (ties by seq).
fn anchor_for(anchors: &[Anchor], time: i64) -> Option<Anchor> {
    let holding = anchors.iter().filter(|a| a.window.contains(time));
    let before = holding
        .clone()
        .filter(|a| a.time <= time)
        .max_by_key(|a| (a.time, a.seq));
    before
        .or_else(|| holding.min_by_key(|a| (a.time, a.seq)))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_is_the_latest_step_before_else_the_first_after() {
        let w = Span::closed(100, 200);
        let other = Span::closed(500, 600);
        let anchors = [
            Anchor {
                window: w,
                time: 110,
                seq: 4,
            },
            Anchor {
                window: w,
                time: 150,
                seq: 2,
            },
            Anchor {
                window: w,
                time: 150,
                seq: 3,
            },
            Anchor {
                window: other,
                time: 520,
                seq: 9,
            },
        ];
        assert_eq!(anchor_for(&anchors, 160).map(|a| a.seq), Some(3));
        assert_eq!(anchor_for(&anchors, 120).map(|a| a.seq), Some(4));
        assert_eq!(anchor_for(&anchors, 100).map(|a| a.seq), Some(4));
        assert_eq!(anchor_for(&anchors, 505).map(|a| a.seq), Some(9));
        assert_eq!(anchor_for(&anchors, 300).map(|a| a.seq), None);
    }
}
