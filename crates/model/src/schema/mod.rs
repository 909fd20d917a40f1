//! The OCSF schema's own definition (the source tree of `ocsf/ocsf-schema`: `dictionary.json`,
//! `events/`, `objects/`, `profiles/`), loaded to check events against it.
//!
//! [`Schema::load`] resolves what the OCSF server compiles: each class with the classes it
//! extends, each object with its parents, the attributes profiles add, and every attribute's
//! dictionary type and enum. [`Schema::check`] walks one event's JSON and lists every
//! [`Violation`]: an unknown class or attribute, a missing required attribute, an unmet
//! `at_least_one`/`just_one` constraint, a value of the wrong JSON type, an enum value the schema
//! does not define, an enum caption that does not match its id, a profile attribute without its
//! profile in `metadata.profiles`. It reads only what it is given: extensions are not loaded.

mod check;
mod load;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub use check::Violation;

/// Why the schema tree could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not the JSON the schema tree holds.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The OCSF schema: classes and objects with their attributes resolved.
#[derive(Debug)]
pub struct Schema {
    /// The schema's version (`version.json`).
    pub version: String,
    classes: BTreeMap<u32, Class>,
    objects: BTreeMap<String, AttributeSet>,
    categories: BTreeMap<u32, String>,
}

/// One event class, resolved.
#[derive(Debug)]
struct Class {
    name: String,
    caption: String,
    category_uid: u32,
    attributes: AttributeSet,
}

/// The attributes of a class or object, and its constraints.
#[derive(Debug, Default, Clone)]
struct AttributeSet {
    attributes: BTreeMap<String, Attribute>,
    /// Attributes of which at least one must be present (a child's list replaces its parent's).
    at_least_one: Option<Vec<String>>,
    /// Attributes of which exactly one must be present.
    just_one: Option<Vec<String>>,
}

/// One attribute as a class or object defines it, with its dictionary type.
#[derive(Debug, Clone)]
struct Attribute {
    kind: Kind,
    is_array: bool,
    required: bool,
    /// Legal values, by id (as the schema writes it: `"1"`, `"99"`) with their captions.
    enumeration: Option<BTreeMap<String, String>>,
    /// The attribute holding this one's caption (`status` for `status_id`).
    sibling: Option<String>,
    /// The profile that adds it, when only a profile does.
    profile: Option<String>,
}

/// What JSON an attribute holds.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    String,
    Integer {
        range: Option<(i64, i64)>,
    },
    Float,
    Boolean,
    Ip,
    /// Any JSON (`json_t`, and the untyped `object`).
    Any,
    /// One of the schema's objects, by name.
    Object(String),
}

impl Schema {
    /// The class uids the schema defines.
    pub fn class_uids(&self) -> BTreeSet<u32> {
        self.classes.keys().copied().collect()
    }

    /// The category names by uid.
    pub fn categories(&self) -> &BTreeMap<u32, String> {
        &self.categories
    }
}
