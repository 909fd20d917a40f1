//! Trace: one timeline that follows the correlation keys across sources (docs/TRACE.md).
//!
//! The model: a trace starts from a session id, a user or a source address ([`Start`]); the
//! events matching it are the *seeds*. From them it follows the **strong keys** (session id,
//! token id, trace id; [`keys::strong_keys`]) breadth-first, one hop per level, to every event
//! that carries one, within a horizon around the seeds. The events joined by those keys are
//! *threads*; each thread's time window (its first to last event, widened by a slack) is where
//! **host events** (sshd, sudo, su, PAM, auditd, Windows) of the thread's users are attached,
//! and the session ids of those host events are followed one hop (an ssh login to its logoff).
//! User names and addresses are never followed from event to event: they only seed a trace and
//! attach host events inside a window. Every lookup is a [`Query`](crate::query::Query) answered
//! by a [`Search`], page by page, and all of them see the same log prefix. [`Bounds`] cap the
//! depth, the keys looked up and the steps, and the [`Timeline`] says which cap was reached.

pub mod bounds;
mod expand;
pub mod keys;
pub mod start;
mod threads;
pub mod timeline;
mod tracer;
mod window;

pub use bounds::{Bound, Bounds};
pub use keys::{Key, KeyKind};
pub use start::Start;
pub use timeline::{BoundHit, LinkedBy, Rule, Step, Timeline};

use crate::error::Result;
use crate::search::Search;

/// The timeline of `start` over `search`, within `bounds`.
pub fn trace(search: &dyn Search, start: &Start, bounds: &Bounds) -> Result<Timeline> {
    start.check()?;
    let mut t = tracer::Tracer::new(search, bounds, start.span(bounds));
    expand::seed(&mut t, start)?;
    let horizon = expand::horizon(&t);
    expand::follow_keys(&mut t, horizon)?;
    if !t.is_full() {
        window::attach(&mut t)?;
    }
    if !t.is_full() {
        expand::follow_host_sessions(&mut t, horizon)?;
    }
    Ok(t.finish(start))
}

#[cfg(test)]
mod tests;
