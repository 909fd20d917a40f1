//! Lenient borrowed JSON reading for the JSON parsers' hot paths: a record is read straight into
//! the few fields its parser maps, strings borrowed from the input when they have no escapes,
//! everything else skipped unbuilt. A field of an unexpected type reads as absent (as
//! `Value::as_str` would answer), never as an error, so only invalid JSON refuses a record.
//! A key given twice: the last one counts, unless the reader takes it with [`first`].

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

/// The `visit_*` methods of a lenient visitor for the JSON kinds it does not read: each skips
/// the value (nested ones unread) and answers `$absent`.
macro_rules! absent_otherwise {
    ($absent:expr; $($kind:ident)*) => { $(absent_otherwise!(@one $absent; $kind);)* };
    (@one $absent:expr; unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok($absent) }
    };
    (@one $absent:expr; bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok($absent) }
    };
    (@one $absent:expr; i64) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok($absent) }
    };
    (@one $absent:expr; u64) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok($absent) }
    };
    (@one $absent:expr; f64) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($absent) }
    };
    (@one $absent:expr; str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok($absent) }
    };
    (@one $absent:expr; seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| $absent)
        }
    };
    (@one $absent:expr; map) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map).map(|()| $absent)
        }
    };
}

/// A key, borrowed from the input when it can be.
pub struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
            .map(|t| Key(t.unwrap_or_default()))
    }
}

/// A string value, or `None` for any other JSON value (which is skipped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The string when it is not empty.
    pub fn non_empty(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Text)
    }
}

/// Reads strings; skips anything else as `None`.
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    absent_otherwise!(None; unit bool i64 u64 f64 seq map);
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
}

/// A scalar as text: a string as given (borrowed when it has no escapes), a number or a boolean
/// written out (`3`, `1.5`, `true`); `None` for null, arrays and objects (which are skipped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scalar<'a>(pub Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Option<Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            absent_otherwise!(None; unit seq map);
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_string())))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                TextVisitor.visit_borrowed_str(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                TextVisitor.visit_str(v)
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                TextVisitor.visit_string(v)
            }
        }
        d.deserialize_any(ScalarVisitor).map(Scalar)
    }
}

/// A number (integer or not) as `f64`, or `None` for any other JSON value.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Number(pub Option<f64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl<'de> Visitor<'de> for NumberVisitor {
            type Value = Option<f64>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            absent_otherwise!(None; unit bool str seq map);
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
        }
        d.deserialize_any(NumberVisitor).map(Number)
    }
}

/// A JSON object read into `T` field by field: what `T` takes of each key.
pub trait Fields<'de> {
    /// Read `key`'s value from `map` when `T` maps it (and say so); `false` skips the value.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// Read `map`'s next value into `slot` unless a value is there already, for readers where the
/// first of a repeated key counts; `false` (the value left for the caller to skip) when one is.
pub fn first<'de, T, A>(slot: &mut Option<T>, map: &mut A) -> Result<bool, A::Error>
where
    T: Deserialize<'de>,
    A: MapAccess<'de>,
{
    if slot.is_some() {
        return Ok(false);
    }
    *slot = Some(map.next_value()?);
    Ok(true)
}

/// Read every field of an object into `out` ([`Fields::field`]), skipping what it does not take.
pub fn read_fields<'de, T, A>(out: &mut T, mut map: A) -> Result<(), A::Error>
where
    T: Fields<'de>,
    A: MapAccess<'de>,
{
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        if !out.field(&key, &mut map)? {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// A seed that reads an object's fields into a `T` that already exists, so that several objects
/// can fill one value; it answers whether the value was an object (anything else is skipped).
pub struct Fill<'t, T>(pub &'t mut T);

impl<'de, T: Fields<'de>> DeserializeSeed<'de> for Fill<'_, T> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Fields<'de>> Visitor<'de> for Fill<'_, T> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    absent_otherwise!(false; unit bool i64 u64 f64 str seq);
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        read_fields(self.0, map).map(|()| true)
    }
}

/// An object read in place, at the first of its keys (a later one is skipped): whether the key
/// came and its value was an object, and the fields read (none unless it was).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FirstObj<T> {
    /// `None` until the key comes, then whether its value was an object.
    pub seen: Option<bool>,
    /// The object's fields.
    pub fields: T,
}

impl<T> FirstObj<T> {
    /// Read `map`'s next value into the fields unless the key came before; `false` (the value
    /// left for the caller to skip) when it did.
    pub fn read<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<bool, A::Error>
    where
        T: Fields<'de>,
    {
        if self.seen.is_some() {
            return Ok(false);
        }
        self.seen = Some(map.next_value_seed(Fill(&mut self.fields))?);
        Ok(true)
    }

    /// The fields, when the key came with an object.
    pub fn object_mut(&mut self) -> Option<&mut T> {
        (self.seen == Some(true)).then_some(&mut self.fields)
    }
}

/// An object read as `T`, or `None` when the value is not an object (it is skipped).
#[derive(Clone, Debug, PartialEq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Fields<'de> + Default> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData)).map(Obj)
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Fields<'de> + Default> Visitor<'de> for ObjVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    absent_otherwise!(None; unit bool i64 u64 f64 str seq);
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut out = T::default();
        read_fields(&mut out, map)?;
        Ok(Some(out))
    }
}

/// An array's elements read as `T`, or no elements when the value is not an array.
#[derive(Clone, Debug, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            absent_otherwise!(Vec::new(); unit bool i64 u64 f64 str map);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    out.push(item);
                }
                Ok(out)
            }
        }
        d.deserialize_any(ListVisitor(PhantomData)).map(List)
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug, PartialEq)]
    struct Point<'a> {
        name: Text<'a>,
        lat: Number,
        tags: List<Text<'a>>,
        inner: Obj<Box<Point<'a>>>,
    }

    impl<'de> Fields<'de> for Point<'de> {
        fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
            match key {
                "name" => self.name = map.next_value()?,
                "lat" => self.lat = map.next_value()?,
                "tags" => self.tags = map.next_value()?,
                "inner" => self.inner = map.next_value()?,
                _ => return Ok(false),
            }
            Ok(true)
        }
    }

    impl<'de> Fields<'de> for Box<Point<'de>> {
        fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
            self.as_mut().field(key, map)
        }
    }

    fn read(json: &str) -> Option<Point<'_>> {
        serde_json::from_str::<Obj<Point<'_>>>(json).unwrap().0
    }

    #[test]
    fn fields_of_the_right_type_are_read_and_borrowed() {
        let p = read(r#"{"name": "a", "lat": 1, "tags": ["x", 2, "y"], "skip": {"deep": [1, {"a": null}]}, "inner": {"name": "b\n", "lat": 2.5}}"#).unwrap();
        assert!(matches!(p.name.0, Some(Cow::Borrowed("a"))));
        assert_eq!(p.lat, Number(Some(1.0)));
        assert_eq!(
            p.tags.0.iter().map(|t| t.0.as_deref()).collect::<Vec<_>>(),
            [Some("x"), None, Some("y")]
        );
        let inner = p.inner.0.unwrap();
        assert!(matches!(inner.name.0, Some(Cow::Owned(ref s)) if s == "b\n"));
        assert_eq!(inner.lat, Number(Some(2.5)));
    }

    #[test]
    fn fields_of_another_type_read_as_absent_and_the_last_key_counts() {
        let p = read(
            r#"{"name": {"x": 1}, "lat": "north", "tags": {"a": 1}, "inner": [1], "name": 5}"#,
        )
        .unwrap();
        assert_eq!(p, Point::default());
        let p = read(r#"{"name": "first", "name": "second"}"#).unwrap();
        assert_eq!(p.name.non_empty(), Some("second"));
        assert_eq!(read("[1, 2]"), None);
        assert_eq!(read("\"text\""), None);
        assert_eq!(Text(Some(Cow::Borrowed(""))).non_empty(), None);
    }

    #[test]
    fn scalars_read_as_text() {
        fn read(json: &str) -> Option<Cow<'_, str>> {
            serde_json::from_str::<Scalar<'_>>(json).unwrap().0
        }
        assert!(matches!(read(r#""a""#), Some(Cow::Borrowed("a"))));
        assert!(matches!(read(r#""a\tb""#), Some(Cow::Owned(s)) if s == "a\tb"));
        assert_eq!(read("3").as_deref(), Some("3"));
        assert_eq!(read("-3").as_deref(), Some("-3"));
        assert_eq!(read("1.5").as_deref(), Some("1.5"));
        assert_eq!(read("true").as_deref(), Some("true"));
        for absent in ["null", "[1, \"a\"]", r#"{"a": "b"}"#] {
            assert_eq!(read(absent), None, "{absent}");
        }
    }

    /// A name read at its first key only, and a point read in place at its first key.
    #[derive(Default, Debug, PartialEq)]
    struct Firsts<'a> {
        name: Option<Text<'a>>,
        inner: FirstObj<Point<'a>>,
    }

    impl<'de> Fields<'de> for Firsts<'de> {
        fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
            match key {
                "name" => first(&mut self.name, map),
                "inner" => self.inner.read(map),
                _ => Ok(false),
            }
        }
    }

    #[test]
    fn first_keys_and_objects_read_in_place() {
        fn read(json: &str) -> Option<Firsts<'_>> {
            serde_json::from_str::<Obj<Firsts<'_>>>(json).unwrap().0
        }
        let f = read(r#"{"name": 1, "name": "b", "inner": {"name": "i"}, "inner": {"lat": 2}}"#)
            .unwrap();
        assert_eq!(f.name, Some(Text(None)));
        assert_eq!(f.inner.seen, Some(true));
        assert_eq!(f.inner.fields.name.non_empty(), Some("i"));
        assert_eq!(f.inner.fields.lat, Number(None));
        let mut f = read(r#"{"inner": [1], "inner": {"name": "i"}}"#).unwrap();
        assert_eq!((f.name.clone(), f.inner.seen), (None, Some(false)));
        assert!(f.inner.object_mut().is_none());
        assert_eq!(f.inner.fields, Point::default());
    }

    #[test]
    fn objects_fill_a_value_that_exists() {
        fn fill<'a>(point: &mut Point<'a>, json: &'a str) -> bool {
            let mut de = serde_json::Deserializer::from_str(json);
            Fill(point).deserialize(&mut de).unwrap()
        }
        let mut point = Point::default();
        assert!(fill(&mut point, r#"{"name": "a", "lat": 1}"#));
        assert!(fill(&mut point, r#"{"lat": 2}"#));
        assert!(!fill(&mut point, r#""not an object""#));
        assert_eq!(
            (point.name.non_empty(), point.lat),
            (Some("a"), Number(Some(2.0)))
        );
    }

    #[test]
    fn invalid_json_is_still_an_error() {
        assert!(serde_json::from_str::<Obj<Point<'_>>>(r#"{"name": "a""#).is_err());
        assert!(serde_json::from_str::<Obj<Point<'_>>>(r#"{"skip": [1,}"#).is_err());
    }
}
