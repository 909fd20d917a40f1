//! How long an event's fields are: the field limit that ingest enforces
//! (`authtrail_ingest::Limits::max_field_bytes`) is checked against every string of the event,
//! typed or not, and every object key.

use serde_json::Value;

use crate::event::Event;

/// A string of an event longer than a limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongField {
    /// Its path in the event: `user.name`, `unmapped.note`, `observables[2].value`; for an object
    /// key, the path of its member.
    pub field: String,
    /// Its length, in bytes.
    pub bytes: usize,
}

impl Event {
    /// A string value or object key longer than `limit` bytes (the first in the event's JSON
    /// form, whose object keys are sorted), if there is one.
    pub fn long_field(&self, limit: usize) -> Option<LongField> {
        // An event that does not serialize has nothing to measure (it cannot be stored either).
        let value = serde_json::to_value(self).ok()?;
        let mut path = String::new();
        first_long(&value, limit, &mut path).map(|bytes| LongField { field: path, bytes })
    }
}

/// The length of the first string longer than `limit` within `value`; `path` is left naming it.
fn first_long(value: &Value, limit: usize, path: &mut String) -> Option<usize> {
    let start = path.len();
    match value {
        Value::String(s) if s.len() > limit => return Some(s.len()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                if let Some(n) = first_long(item, limit, path) {
                    return Some(n);
                }
                path.truncate(start);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if key.len() > limit {
                    return Some(key.len());
                }
                if let Some(n) = first_long(member, limit, path) {
                    return Some(n);
                }
                path.truncate(start);
            }
        }
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(extra: Value) -> Event {
        let mut v = json!({"class_uid": 3002, "activity_id": 1, "time": 1764230400000_i64,
            "severity_id": 1, "status_id": 1, "metadata": {"product": {"name": "test"}},
            "user": {"name": "alice"}});
        if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
            v.extend(extra);
        }
        Event::from_value(v).unwrap()
    }

    #[test]
    fn the_first_string_over_the_limit_is_named_by_its_path() {
        let e = event(json!({"user": {"name": "x".repeat(100)}}));
        assert_eq!(
            e.long_field(99),
            Some(LongField {
                field: "user.name".into(),
                bytes: 100
            })
        );
        assert_eq!(e.long_field(100), None, "at the limit is allowed");
        let e = event(json!({"unmapped": {"list": ["a", "y".repeat(50)]}}));
        assert_eq!(e.long_field(40).unwrap().field, "unmapped.list[1]");
        let e = event(json!({"unmapped": {"k".repeat(50): 1}}));
        let long = e.long_field(40).unwrap();
        assert_eq!((long.field.len(), long.bytes), ("unmapped.".len() + 50, 50));
        assert_eq!(event(json!({})).long_field(64), None);
    }
}
