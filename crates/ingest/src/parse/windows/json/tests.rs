//! The JSON reader's own cases: repeated keys, escapes, the forms of values it accepts and
//! refuses, and which shape's event data counts when a record holds more than one.

use std::borrow::Cow;

use super::read;
use crate::parse::test_support::{ctx, RECEIVED_MS};
use crate::parse::windows::{Name, Shape, WinEvent};

fn event(text: &str) -> WinEvent<'_> {
    read(text, &ctx()).unwrap_or_else(|u| panic!("{text}: {u}"))
}

fn refusal(text: &str) -> String {
    match read(text, &ctx()) {
        Ok(ev) => panic!("{text}: read as {ev:?}"),
        Err(u) => u.0.into_owned(),
    }
}

#[test]
fn the_first_of_a_repeated_key_counts() {
    let ev = event(
        r#"{"winlog":{"event_id":4624,"event_id":4625,"computer_name":"A","computer_name":"B",
            "event_data":{"TargetUserName":"first","targetusername":"second","IpPort":null,"IpPort":"7"},
            "event_data":{"TargetUserName":"other object"}}}"#,
    );
    assert_eq!(ev.event_id, 4624);
    assert_eq!(ev.computer.as_deref(), Some("A"));
    assert_eq!(ev.data.get(Name::TargetUserName), Some("first"));
    // A null is no value: the next one given counts.
    assert_eq!(ev.data.get(Name::IpPort), Some("7"));
    // NXLog: a header and a data field given twice.
    let ev = event(
        r#"{"EventID":4634,"Hostname":"h1","EventID":"x","Hostname":"h2","TargetUserName":"a","TargetUserName":"b"}"#,
    );
    assert_eq!((ev.event_id, ev.computer.as_deref()), (4634, Some("h1")));
    assert_eq!(ev.data.get(Name::TargetUserName), Some("a"));
    // A first key of the wrong type hides a later good one, as it always did.
    let ev = event(r#"{"winlog":5,"winlog":{"event_id":4624},"EventID":4634}"#);
    assert_eq!((ev.shape, ev.event_id), (Shape::Nxlog, 4634));
}

#[test]
fn strings_are_borrowed_unless_escaped() {
    let ev = event(
        r#"{"winlog":{"event_id":4624,"computer_name":"DC\u0031","event_data":{"TargetUserName":"a\"b","SubjectUserName":"plain"}}}"#,
    );
    assert_eq!(ev.computer.as_deref(), Some("DC1"));
    assert!(matches!(ev.computer, Some(Cow::Owned(_))));
    assert_eq!(ev.data.get(Name::TargetUserName), Some("a\"b"));
    assert_eq!(ev.data.get(Name::SubjectUserName), Some("plain"));
    assert!(ev.record_id.is_none());
}

#[test]
fn event_ids_in_every_form_the_reader_takes() {
    let id = |value: &str| {
        read(&format!(r#"{{"winlog":{{"event_id":{value}}}}}"#), &ctx())
            .map(|ev| ev.event_id)
            .map_err(|u| u.0.into_owned())
    };
    for (value, want) in [("4624", 4624), (r#""4625""#, 4625), (r#"" 4634 ""#, 4634)] {
        assert_eq!(id(value), Ok(want), "{value}");
    }
    for (value, reason) in [
        (r#""x""#, r#"bad Windows event id "x""#),
        ("-1", r#"bad Windows event id "Int(-1)""#),
        ("4624.0", r#"bad Windows event id "Float(4624.0)""#),
        ("99999999999", r#"bad Windows event id "99999999999""#),
        ("true", r#"bad Windows event id "Bool(true)""#),
        ("null", r#"bad Windows event id "Null""#),
        ("[4624]", r#"bad Windows event id "Arr""#),
        (
            r#"{"a":"b","Message":"m"}"#,
            r#"bad Windows event id "Obj([(\"a\", Str(\"b\"))])""#,
        ),
    ] {
        assert_eq!(id(value), Err(reason.into()), "{value}");
    }
    // The evtx rendering: a number, or an element's `#text`.
    let evtx = |id: &str| {
        read(
            &format!(r#"{{"Event":{{"System":{{"EventID":{id}}}}}}}"#),
            &ctx(),
        )
        .map(|ev| ev.event_id)
        .map_err(|u| u.0.into_owned())
    };
    assert_eq!(evtx("4624"), Ok(4624));
    assert_eq!(
        evtx(r##"{"#attributes":{"Qualifiers":0},"#text":4625}"##),
        Ok(4625)
    );
    assert_eq!(
        evtx(r#"{"Qualifiers":0}"#),
        Err("Windows event without an event id".into())
    );
}

#[test]
fn header_fields_of_other_types_read_as_text_or_refuse() {
    let ev = event(
        r#"{"winlog":{"event_id":4624,"computer_name":7,"channel":true,"record_id":42,"provider_name":{"a":1}},"@timestamp":null}"#,
    );
    assert_eq!(ev.computer.as_deref(), Some("7"));
    assert_eq!(ev.channel.as_deref(), Some("true"));
    assert_eq!(ev.record_id.as_deref(), Some("42"));
    assert_eq!(ev.provider, None);
    assert_eq!(ev.time_ms, RECEIVED_MS);
    assert_eq!(
        refusal(r#"{"winlog":{"event_id":4624},"@timestamp":{"a":[1]}}"#),
        r#"bad @timestamp "Obj([(\"a\", Arr)])""#
    );
    assert_eq!(
        refusal(r#"{"win":{"system":{"eventID":"4624","systemTime":1.5}}}"#),
        r#"bad systemTime "Float(1.5)""#
    );
}

#[test]
fn data_values_of_other_types() {
    let ev = event(
        r#"{"winlog":{"event_id":4624,"event_data":{"LogonType":3,"KeyLength":-1,"IpPort":1.5,
            "ElevatedToken":false,"TargetUserName":{"a":1},"TargetUserName":["x"],"Status":"","Note":"n"}}}"#,
    );
    assert_eq!(ev.data.get(Name::LogonType), Some("3"));
    assert_eq!(ev.data.get(Name::KeyLength), Some("-1"));
    assert_eq!(ev.data.get(Name::IpPort), Some("1.5"));
    assert_eq!(ev.data.get(Name::ElevatedToken), Some("false"));
    assert_eq!(ev.data.get(Name::TargetUserName), None);
    // Empty strings are kept (the mapping reads them as absent).
    assert_eq!(ev.data.get(Name::Status), Some(""));
    // Fields the mapping does not read are not kept.
    assert_eq!(ev.raw("Note"), None);
}

#[test]
fn which_event_data_counts() {
    // Winlogbeat: `event_data` first, then what `user_data` adds, whatever their order.
    let ev = event(
        r#"{"winlog":{"event_id":4624,"user_data":{"TargetUserName":"u","SubjectUserName":"us"},"event_data":{"SubjectUserName":"es"}},"TargetUserName":"top"}"#,
    );
    assert_eq!(ev.data.get(Name::SubjectUserName), Some("es"));
    assert_eq!(ev.data.get(Name::TargetUserName), Some("u"));
    // evtx: `EventData` when it is an object, else the elements of `UserData` in order, but
    // not those `Message` and the like name.
    let ev = event(
        r#"{"Event":{"UserData":{"X":{"TargetUserName":"x"}},"System":{"EventID":4624},"EventData":{"SubjectUserName":"e"}}}"#,
    );
    assert_eq!(ev.data.get(Name::SubjectUserName), Some("e"));
    assert_eq!(ev.data.get(Name::TargetUserName), None);
    let ev = event(
        r#"{"Event":{"System":{"EventID":4624},"EventData":null,"UserData":{"Message":{"SubjectUserName":"m"},"X":{"TargetUserName":"x"},"Y":{"TargetUserName":"y","SubjectUserName":"s"}}}}"#,
    );
    assert_eq!(ev.data.get(Name::TargetUserName), Some("x"));
    assert_eq!(ev.data.get(Name::SubjectUserName), Some("s"));
    // Wazuh: `win`, else a Wazuh alert's `data.win`, but not when `win` is there and no object.
    let ev = event(
        r#"{"data":{"win":{"system":{"eventID":"4625"},"eventdata":{"targetUserName":"w"}}},"EventID":4624}"#,
    );
    assert_eq!((ev.shape, ev.event_id), (Shape::Wazuh, 4625));
    assert_eq!(ev.data.get(Name::TargetUserName), Some("w"));
    let ev = event(
        r#"{"data":{"win":{"system":{"eventID":"4625"}}},"win":null,"EventID":4624,"TargetUserName":"n"}"#,
    );
    assert_eq!((ev.shape, ev.event_id), (Shape::Nxlog, 4624));
    assert_eq!(ev.data.get(Name::TargetUserName), Some("n"));
}

#[test]
fn evtx_errors_name_the_record() {
    for (text, reason) in [
        (
            r#"{"record":7,"evtx_error":"bad chunk","Event":{"System":{"EventID":4624}}}"#,
            "EVTX record 7 could not be read: bad chunk",
        ),
        (
            r#"{"evtx_error":null}"#,
            "EVTX record could not be read: unknown error",
        ),
        (
            r#"{"evtx_error":{"a":1},"record":"x"}"#,
            "EVTX record x could not be read: unknown error",
        ),
    ] {
        assert_eq!(refusal(text), reason);
    }
}

#[test]
fn invalid_json_and_other_values_are_refused() {
    assert!(refusal(r#"{"winlog":{"event_id":4624}"#).starts_with("invalid JSON Windows event"));
    assert!(refusal(r#"{"Message":"\q","EventID":1}"#).starts_with("invalid JSON Windows event"));
    assert!(refusal(r#"{"EventID":4624} x"#).contains("trailing characters"));
    assert_eq!(refusal("[1]"), "JSON Windows event is not an object");
}
