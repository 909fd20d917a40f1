//! JSON input: one object, an array of values, or a stream of values (NDJSON).

use serde_json::value::RawValue;

use crate::decode::Record;
use crate::error::IngestError;

/// Split a JSON body into records: a sequence of whitespace-separated values (one object, or
/// NDJSON), except that a body holding exactly one array stands for that array's elements.
pub fn decode(body: &[u8]) -> Result<Vec<Record<'_>>, IngestError> {
    let mut values = Vec::new();
    for item in serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>() {
        values.push(item.map_err(json_error)?);
    }
    if let [only] = values.as_slice() {
        if only.get().starts_with('[') {
            values = serde_json::from_str(only.get()).map_err(json_error)?;
        }
    }
    if values.is_empty() {
        return Err(IngestError::Empty);
    }
    let mut lines = LineCounter::new(body);
    Ok(values
        .into_iter()
        .map(|item| element_record(body, item, &mut lines))
        .collect())
}

/// Replace each record that is a wrapper document, an object holding the records as an array
/// under one of `keys` (`{"Records": [...]}` as AWS CloudTrail files are, `{"records": [...]}`
/// from Azure diagnostic settings, `{"value": [...]}` from Microsoft Graph, `{"items": [...]}`
/// from a Kubernetes `EventList`), with the array's elements, each still a slice of `body`.
pub fn split_wrappers<'a>(
    body: &'a [u8],
    records: Vec<Record<'a>>,
    keys: &[&str],
) -> Result<Vec<Record<'a>>, IngestError> {
    let quoted: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    let mut lines = LineCounter::new(body);
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        // Only a record naming a key is parsed again.
        let named = quoted
            .iter()
            .any(|q| memchr::memmem::find(record.raw, q.as_bytes()).is_some());
        let elements = if named {
            wrapped_elements(record.raw, keys)
        } else {
            None
        };
        match elements {
            Some(elements) => {
                for item in elements {
                    out.push(element_record(body, item, &mut lines));
                }
            }
            None => out.push(record),
        }
    }
    Ok(out)
}

/// The record of a JSON value that borrows from `body`.
fn element_record<'a>(
    body: &'a [u8],
    item: &'a RawValue,
    lines: &mut LineCounter<'_>,
) -> Record<'a> {
    let raw = item.get().as_bytes();
    // The value borrows from `body`, so its offset is the distance between the pointers.
    let offset = raw.as_ptr() as usize - body.as_ptr() as usize;
    Record {
        raw,
        line: lines.line_at(offset),
        original_len: raw.len(),
    }
}

/// The elements of the array under the first of `keys` that `raw`, an object, holds.
fn wrapped_elements<'a>(raw: &'a [u8], keys: &[&str]) -> Option<Vec<&'a RawValue>> {
    let text = std::str::from_utf8(raw).ok()?;
    let fields: std::collections::BTreeMap<std::borrow::Cow<'a, str>, &'a RawValue> =
        serde_json::from_str(text).ok()?;
    keys.iter().find_map(|key| {
        let array = fields.get(*key)?;
        serde_json::from_str(array.get()).ok()
    })
}

fn json_error(e: serde_json::Error) -> IngestError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(at) => full[..at].to_string(),
        None => full,
    };
    IngestError::InvalidJson {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Turns increasing byte offsets into 1-based line numbers in one pass over the input.
pub(crate) struct LineCounter<'a> {
    body: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Self {
        LineCounter {
            body,
            at: 0,
            line: 1,
        }
    }

    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        if offset >= self.at {
            self.line += self.body[self.at..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.at = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::raws;

    #[test]
    fn one_object_an_array_and_ndjson_give_exact_raw_bytes() {
        let one = decode(b"  {\"a\": 1}\n").unwrap();
        assert_eq!(raws(&one), vec![("{\"a\": 1}", 1)]);
        let array = decode(b"[\n {\"a\":1},\n  {\"b\" : 2}\n]").unwrap();
        assert_eq!(raws(&array), vec![("{\"a\":1}", 2), ("{\"b\" : 2}", 3)]);
        let nd = decode(b"{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}").unwrap();
        assert_eq!(
            raws(&nd),
            vec![("{\"a\":1}", 1), ("{\"b\":2}", 3), ("{\"c\":3}", 4)]
        );
    }

    #[test]
    fn bad_json_names_line_and_column() {
        match decode(b"{\"a\":1}\n{\"b\":2}\n{\"c\":}\n") {
            Err(IngestError::InvalidJson { line, column, .. }) => {
                assert_eq!((line, column), (3, 6))
            }
            other => panic!("{other:?}"),
        }
        match decode(b"[{\"a\":1},\n {\"b\" 2}]") {
            Err(IngestError::InvalidJson { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(b"{\"a\":1}{"),
            Err(IngestError::InvalidJson { .. })
        ));
        assert!(matches!(
            decode(b"\xff"),
            Err(IngestError::InvalidJson { .. })
        ));
    }

    #[test]
    fn empty_inputs_are_rejected() {
        assert!(matches!(decode(b""), Err(IngestError::Empty)));
        assert!(matches!(decode(b" \n\t"), Err(IngestError::Empty)));
        assert!(matches!(decode(b"[]"), Err(IngestError::Empty)));
    }

    #[test]
    fn ndjson_of_arrays_keeps_each_array_as_a_record() {
        let nd = decode(b"[1]\n{\"a\":1}\n[2,3]").unwrap();
        assert_eq!(raws(&nd), vec![("[1]", 1), ("{\"a\":1}", 2), ("[2,3]", 3)]);
    }
}

#[cfg(test)]
mod wrapper_tests {
    use super::*;

    #[test]
    fn records_wrappers_are_split_into_their_elements() {
        let body = b"{\"Records\": [\n{\"a\":1},\n{\"b\":2}\n]}\n{\"c\":3}\n";
        let records = split_wrappers(body, decode(body).unwrap(), &["Records"]).unwrap();
        let got: Vec<_> = records.iter().map(|r| (r.raw, r.line)).collect();
        assert_eq!(
            got,
            vec![
                (&b"{\"a\":1}"[..], 2),
                (&b"{\"b\":2}"[..], 3),
                (&b"{\"c\":3}"[..], 5)
            ]
        );
    }

    #[test]
    fn wrappers_are_split_by_their_key_only() {
        // Graph's `value` array is split; an object whose `value` is not an array stays whole,
        // and a wrapper under another key is left alone.
        let body = b"{\"@odata.context\":\"x\",\"value\":[{\"a\":1},{\"b\":2}]}\n{\"value\":\"v\"}\n{\"items\":[{\"c\":3}]}";
        let records = split_wrappers(body, decode(body).unwrap(), &["value"]).unwrap();
        let got: Vec<_> = records.iter().map(|r| r.raw).collect();
        assert_eq!(
            got,
            vec![
                &b"{\"a\":1}"[..],
                &b"{\"b\":2}"[..],
                &b"{\"value\":\"v\"}"[..],
                &b"{\"items\":[{\"c\":3}]}"[..]
            ]
        );
    }
}
