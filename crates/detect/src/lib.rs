//! Streaming detection engine, rule format, built-in rules and alert outputs (DESIGN.md §2).
//!
//! [`Rules`] loads rules from YAML (the built-ins, [`BUILTIN_YAML`], overridden by a user file;
//! docs/RULES.md is the format); [`Engine`] feeds committed events through them one at a time
//! and answers the [`Alert`]s each one raises; [`Alert::to_ocsf`] is an OCSF Detection Finding.
//! [`Engine::state`] and [`Engine::restore`] carry the windows across a restart. [`Detector`]
//! follows a live log with them, appending alerts as entries and storing its state.
#![forbid(unsafe_code)]

pub mod alert;
mod change;
mod dormant;
pub mod engine;
mod finding;
mod first_seen;
pub mod follow;
pub mod geo;
pub mod listing;
pub mod output;
pub mod rule;
mod sequence;
pub mod sigma;
pub mod state;
pub mod telemetry;
mod useragent;
mod velocity;
mod window;

pub use alert::Alert;
pub use engine::{Engine, DEFAULT_LATENESS_MS};
pub use follow::{Detector, Running, DETECT_SOURCE};
pub use geo::{GeoError, GeoIp};
pub use rule::{
    Change, Condition, Counted, Distinct, Rule, RuleError, Rules, Sequence, Severity, Step,
    Threshold, Velocity, Watch, BUILTIN_FILE, BUILTIN_YAML,
};
pub use state::{EngineState, FrozenState};
