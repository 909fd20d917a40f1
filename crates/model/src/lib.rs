//! OCSF event types for authtrail, their validation, and the canonical bytes that the log hashes.
//!
//! The model: an [`Event`] is one OCSF event. The attributes authtrail works with (DESIGN.md §3) are
//! typed fields; other OCSF attributes of the class are kept, untyped, in [`Event::other`]; keys
//! that OCSF does not define go to [`Event::unmapped`]. Nothing in the input is dropped.
//! [`Event::from_json`] parses and validates one object; [`Event::canonical_bytes`] is the stored
//! form. Input that cannot become a valid event becomes an [`Event::unparsed`] event instead.
#![forbid(unsafe_code)]

pub mod captions;
mod deserialize;
pub mod ecs;
pub mod error;
pub mod event;
pub mod field_size;
pub mod objects;
pub mod schema;
pub mod validate;

pub use error::ModelError;
pub use event::{Event, AUTHENTICATION_CLASS_UID, UNPARSED_CLASS_UID};
pub use objects::{Endpoint, HttpRequest, Location, Metadata, Product, Service, Session, User};
