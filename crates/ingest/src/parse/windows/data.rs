//! An event's data fields (`EventData/Data[@Name]`): those the mapping reads, one slot per
//! [`Name`], and any other a reader keeps, by the name its shape gave it.
//!
//! A field given twice (in any case) keeps its first value, as a search from the start would
//! find it.

use std::borrow::Cow;
use std::fmt;

use super::names::{Name, ALL, COUNT};

/// The data fields of one event.
#[derive(Clone)]
pub struct Data<'a> {
    /// For each [`Name`], by number: one more than the index of its value, `0` for none.
    slots: [u8; COUNT],
    /// The values of the fields the mapping reads, in the order they were kept.
    values: Vec<Cow<'a, str>>,
    /// Other fields, in the order given.
    other: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl Default for Data<'_> {
    fn default() -> Self {
        Data {
            slots: [0; COUNT],
            values: Vec::new(),
            other: Vec::new(),
        }
    }
}

impl<'a> Data<'a> {
    /// Where a field's value is in `values`.
    fn index(&self, name: Name) -> Option<usize> {
        usize::from(self.slots[name as usize]).checked_sub(1)
    }

    /// A field's value as written.
    pub fn get(&self, name: Name) -> Option<&str> {
        self.values.get(self.index(name)?).map(Cow::as_ref)
    }

    /// Whether the field has a value.
    pub fn has(&self, name: Name) -> bool {
        self.slots[name as usize] != 0
    }

    /// Keep `value` for `name` unless the field has a value already; whether it was kept.
    pub fn set(&mut self, name: Name, value: Cow<'a, str>) -> bool {
        if self.has(name) {
            return false;
        }
        // Each name is kept once, so the values never outgrow one allocation.
        if self.values.capacity() == 0 {
            self.values.reserve_exact(COUNT);
        }
        self.values.push(value);
        // At most `COUNT` values, fewer than `u8::MAX`.
        self.slots[name as usize] = self.values.len() as u8;
        true
    }

    /// A field's value, to change it.
    pub fn get_mut(&mut self, name: Name) -> Option<&mut Cow<'a, str>> {
        let i = self.index(name)?;
        self.values.get_mut(i)
    }

    /// Keep a field by the name its shape gave it (in its slot when the mapping reads it).
    pub fn push(&mut self, name: Cow<'a, str>, value: Cow<'a, str>) {
        match Name::of(&name) {
            Some(known) => {
                self.set(known, value);
            }
            None => self.other.push((name, value)),
        }
    }

    /// A field's value by any name, compared without regard to ASCII case.
    pub fn raw(&self, name: &str) -> Option<&str> {
        match Name::of(name) {
            Some(known) => self.get(known),
            None => self
                .other
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_ref()),
        }
    }

    /// Add the fields of `later` (given after these): those this has no value for.
    pub fn extend(&mut self, mut later: Data<'a>) {
        for name in ALL {
            if let Some(i) = later.index(*name) {
                if let Some(value) = later.values.get_mut(i) {
                    self.set(*name, std::mem::take(value));
                }
            }
        }
        self.other.extend(later.other);
    }
}

/// The same fields with the same values (whatever order they were kept in).
impl PartialEq for Data<'_> {
    fn eq(&self, other: &Self) -> bool {
        ALL.iter().all(|n| self.get(*n) == other.get(*n)) && self.other == other.other
    }
}

impl fmt::Debug for Data<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known = ALL.iter().filter_map(|n| Some((n.as_str(), self.get(*n)?)));
        let other = self.other.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
        f.debug_map().entries(known.chain(other)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_value_of_a_field_counts_whatever_its_case() {
        let mut data = Data::default();
        data.push("targetUserName".into(), "first".into());
        data.push("TargetUserName".into(), "second".into());
        data.push("Note".into(), "a".into());
        data.push("note".into(), "b".into());
        assert_eq!(data.get(Name::TargetUserName), Some("first"));
        assert_eq!(data.raw("TARGETUSERNAME"), Some("first"));
        assert_eq!(data.raw("NOTE"), Some("a"));
        assert_eq!(data.raw("Other"), None);
        assert!(!data.set(Name::TargetUserName, "third".into()));
        assert_eq!(
            format!("{data:?}"),
            r#"{"TargetUserName": "first", "Note": "a", "note": "b"}"#
        );
    }

    #[test]
    fn later_fields_fill_only_the_gaps() {
        let mut first = Data::default();
        first.set(Name::Status, "0x0".into());
        let mut later = Data::default();
        later.set(Name::Status, "0x1".into());
        later.set(Name::SubStatus, "0x2".into());
        first.extend(later);
        assert_eq!(first.get(Name::Status), Some("0x0"));
        assert_eq!(first.get(Name::SubStatus), Some("0x2"));
        if let Some(v) = first.get_mut(Name::SubStatus) {
            v.to_mut().push('3');
        }
        assert_eq!(first.raw("substatus"), Some("0x23"));
        assert!(first.has(Name::Status) && !first.has(Name::IpPort));
        let mut same = Data::default();
        same.set(Name::SubStatus, "0x23".into());
        same.set(Name::Status, "0x0".into());
        assert_eq!(first, same);
        same.set(Name::IpPort, "1".into());
        assert_ne!(first, same);
    }
}
