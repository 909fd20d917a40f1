//! Checking one event's JSON against the resolved schema.

use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::{Attribute, AttributeSet, Kind, Schema};

/// One way an event departs from the schema, at an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The attribute's path (`src_endpoint.ip`, `user.groups[0].name`), or empty for the event.
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

/// State of one check: the violations found and the profiles the event declares.
struct Walk<'a> {
    schema: &'a Schema,
    profiles: Vec<String>,
    found: Vec<Violation>,
}

impl Schema {
    /// Every way `event` (an OCSF event as JSON) departs from the schema; empty when it conforms.
    pub fn check(&self, event: &Value) -> Vec<Violation> {
        let mut walk = Walk {
            schema: self,
            profiles: event
                .pointer("/metadata/profiles")
                .and_then(Value::as_array)
                .map(|p| {
                    p.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            found: Vec::new(),
        };
        let Some(map) = event.as_object() else {
            walk.report("", "an event is a JSON object");
            return walk.found;
        };
        let Some(class_uid) = map
            .get("class_uid")
            .and_then(Value::as_u64)
            .and_then(|u| u32::try_from(u).ok())
        else {
            walk.report("class_uid", "missing or not an integer");
            return walk.found;
        };
        let Some(class) = self.class(class_uid) else {
            walk.report(
                "class_uid",
                format!("{class_uid} is not a class of the schema"),
            );
            return walk.found;
        };
        walk.header(map, class_uid, class.category_uid, &class.caption);
        walk.object(map, &class.attributes, "", &format!("class {}", class.name));
        walk.found
    }
}

impl Walk<'_> {
    fn report(&mut self, path: &str, problem: impl Into<String>) {
        self.found.push(Violation {
            path: path.to_string(),
            problem: problem.into(),
        });
    }

    /// The ids that follow from the class: category, type uid.
    fn header(
        &mut self,
        map: &Map<String, Value>,
        class_uid: u32,
        category_uid: u32,
        caption: &str,
    ) {
        if let Some(c) = map.get("category_uid") {
            if c.as_u64() != Some(u64::from(category_uid)) {
                self.report(
                    "category_uid",
                    format!("{c} is not {category_uid}, the category of class {class_uid}"),
                );
            }
        }
        if let Some(name) = map.get("class_name").and_then(Value::as_str) {
            if name != caption {
                self.report(
                    "class_name",
                    format!("{name:?} is not the class's caption {caption:?}"),
                );
            }
        }
        let activity = map.get("activity_id").and_then(Value::as_i64);
        if let (Some(t), Some(a)) = (map.get("type_uid"), activity) {
            let expected = i64::from(class_uid) * 100 + a;
            if t.as_i64() != Some(expected) {
                self.report(
                    "type_uid",
                    format!("{t} is not class_uid * 100 + activity_id = {expected}"),
                );
            }
        }
    }

    /// An object's attributes: known, typed, required ones present, constraints met.
    fn object(&mut self, map: &Map<String, Value>, set: &AttributeSet, path: &str, what: &str) {
        for (key, value) in map {
            let at = join(path, key);
            match set.attributes.get(key) {
                None => self.report(&at, format!("not an attribute of {what}")),
                Some(attribute) => {
                    if let Some(profile) = &attribute.profile {
                        if !self.profiles.contains(profile) {
                            self.report(
                                &at,
                                format!("comes from profile {profile:?}, which metadata.profiles does not name"),
                            );
                        }
                    }
                    self.attribute(value, attribute, map, key, &at);
                }
            }
        }
        for (key, attribute) in &set.attributes {
            let applies = match &attribute.profile {
                None => true,
                Some(p) => self.profiles.contains(p),
            };
            if attribute.required && applies && map.get(key).is_none_or(Value::is_null) {
                self.report(&join(path, key), format!("required by {what} but missing"));
            }
        }
        if let Some(group) = &set.at_least_one {
            if !group.iter().any(|k| map.contains_key(k)) {
                self.report(
                    path,
                    format!("{what} needs at least one of {}", group.join(", ")),
                );
            }
        }
        if let Some(group) = &set.just_one {
            if group.iter().filter(|k| map.contains_key(*k)).count() != 1 {
                self.report(
                    path,
                    format!("{what} needs exactly one of {}", group.join(", ")),
                );
            }
        }
    }

    /// One attribute's value (each element when it is an array).
    fn attribute(
        &mut self,
        value: &Value,
        attribute: &Attribute,
        parent: &Map<String, Value>,
        key: &str,
        at: &str,
    ) {
        if value.is_null() {
            return;
        }
        if attribute.is_array {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(item, attribute, parent, key, &format!("{at}[{i}]"));
                    }
                }
                None => self.report(at, "must be an array"),
            }
        } else {
            self.value(value, attribute, parent, key, at);
        }
    }

    fn value(
        &mut self,
        value: &Value,
        attribute: &Attribute,
        parent: &Map<String, Value>,
        key: &str,
        at: &str,
    ) {
        match &attribute.kind {
            Kind::Any => {}
            Kind::String => {
                if !value.is_string() {
                    self.report(at, format!("must be a string, not {value}"));
                }
            }
            Kind::Ip => match value.as_str() {
                Some(s) if s.parse::<IpAddr>().is_ok() => {}
                _ => self.report(at, format!("must be an IP address, not {value}")),
            },
            Kind::Boolean => {
                if !value.is_boolean() {
                    self.report(at, format!("must be true or false, not {value}"));
                }
            }
            Kind::Float => {
                if !value.is_number() {
                    self.report(at, format!("must be a number, not {value}"));
                }
            }
            Kind::Integer { range } => match value.as_i64() {
                Some(n) => {
                    if let Some((lo, hi)) = range {
                        if n < *lo || n > *hi {
                            self.report(at, format!("{n} is outside {lo}..={hi}"));
                        }
                    }
                }
                None => self.report(at, format!("must be an integer, not {value}")),
            },
            Kind::Object(name) => match (value.as_object(), self.schema.object(name)) {
                (Some(map), Some(set)) => self.object(map, set, at, &format!("object {name}")),
                (None, _) => self.report(at, format!("must be a {name} object, not {value}")),
                (Some(_), None) => self.report(at, format!("object {name} is not in the schema")),
            },
        }
        // The class and its category are checked by `header`: their enums list only the base event.
        let identity = matches!(at, "class_uid" | "category_uid");
        if let Some(values) = attribute.enumeration.as_ref().filter(|_| !identity) {
            let id = match value {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => return,
            };
            match values.get(&id) {
                None => self.report(at, format!("{id} is not one of the enum's values")),
                Some(caption) => {
                    // The sibling holds the caption; for Other (99) it holds the source's value.
                    let sibling = attribute
                        .sibling
                        .as_deref()
                        .and_then(|s| parent.get(s))
                        .and_then(Value::as_str);
                    if let Some(given) = sibling {
                        if id != "99" && given != caption {
                            let name = attribute.sibling.as_deref().unwrap_or(key);
                            self.report(
                                at,
                                format!("{id} means {caption:?} but {name} says {given:?}"),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
