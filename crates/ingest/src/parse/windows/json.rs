//! The JSON shapes of Windows events: Winlogbeat/ECS, NXLog (OTRF/Mordor), Wazuh eventchannel
//! and the `evtx` crate's rendering (also the transcoding of `.evtx` files, whose records that
//! could not be read arrive as `{"evtx_error": …}` lines and are refused with that reason).
//!
//! A record is parsed once into a borrowed tree: strings without escapes are not copied, and
//! the rendered `Message` (most of an NXLog record) is skipped unread.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Shape, WinEvent};
use crate::parse::clock::civil_to_ms;
use crate::parse::syslog::rfc3339_ms;
use crate::parse::{ParseContext, Unrecognized};

/// Whether a JSON record looks like a Windows event in one of the shapes read here.
pub fn looks_like(text: &str) -> bool {
    let has = |key: &str| text.contains(key);
    (has("\"winlog\"") && has("\"event_id\""))
        || (has("\"EventID\"")
            && (has("\"Channel\"") || has("\"SourceName\""))
            && !has("\"System\""))
        || (has("\"win\"") && has("\"system\"") && has("\"eventID\""))
        || (has("\"Event\"") && has("\"System\"") && has("\"EventID\""))
        || has("\"evtx_error\"")
}

/// Read a JSON record as a [`WinEvent`].
pub fn read<'a>(text: &'a str, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let node: Node<'a> = serde_json::from_str(text)
        .map_err(|e| Unrecognized::because(format!("invalid JSON Windows event: {e}")))?;
    let Node::Obj(mut top) = node else {
        return Err(Unrecognized::new("JSON Windows event is not an object"));
    };
    if let Some(error) = take(&mut top, "evtx_error") {
        let record = take(&mut top, "record")
            .and_then(Node::into_text)
            .map_or_else(String::new, |r| format!(" {r}"));
        let error = error.into_text().unwrap_or(Cow::Borrowed("unknown error"));
        return Err(Unrecognized::because(format!(
            "EVTX record{record} could not be read: {error}"
        )));
    }
    if let Some(Node::Obj(winlog)) = take(&mut top, "winlog") {
        return winlogbeat(winlog, top, ctx);
    }
    if let Some(Node::Obj(win)) = take_wazuh(&mut top) {
        return wazuh(win, ctx);
    }
    if let Some(Node::Obj(event)) = take(&mut top, "Event") {
        return evtx(event, ctx);
    }
    if find(&top, "EventID").is_some() {
        return nxlog(top, ctx);
    }
    Err(Unrecognized::new(
        "JSON is not a Windows event: no winlog, win.system, Event.System or EventID",
    ))
}

/// Winlogbeat: `winlog.{event_id, computer_name, channel, provider_name, record_id,
/// event_data, user_data}`, the time in `@timestamp`.
fn winlogbeat<'a>(
    mut winlog: Fields<'a>,
    mut top: Fields<'a>,
    ctx: &ParseContext,
) -> Result<WinEvent<'a>, Unrecognized> {
    let event_id = event_id(take(&mut winlog, "event_id"))?;
    let time_ms = time(take(&mut top, "@timestamp"), "@timestamp", ctx)?;
    let computer =
        text(take(&mut winlog, "computer_name")).or_else(|| match take(&mut top, "host") {
            Some(Node::Obj(mut host)) => {
                text(take(&mut host, "name")).or_else(|| text(take(&mut host, "hostname")))
            }
            _ => None,
        });
    let mut data = Vec::new();
    for key in ["event_data", "user_data"] {
        if let Some(Node::Obj(fields)) = take(&mut winlog, key) {
            push_scalars(&mut data, fields);
        }
    }
    Ok(WinEvent {
        event_id,
        time_ms,
        computer,
        channel: text(take(&mut winlog, "channel")),
        provider: text(take(&mut winlog, "provider_name")),
        record_id: text(take(&mut winlog, "record_id")),
        data,
        shape: Shape::Winlogbeat,
    })
}

/// NXLog `im_msvistalog`: flat `EventID`, `Hostname`, `Channel`, `SourceName`, `RecordNumber`,
/// the event data at the top level; `EventTime` local, `@timestamp` UTC (see [`nxlog_time`]).
fn nxlog<'a>(mut top: Fields<'a>, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let event_id = event_id(take(&mut top, "EventID"))?;
    let time_ms = nxlog_time(
        take(&mut top, "EventTime"),
        take(&mut top, "EventReceivedTime"),
        take(&mut top, "@timestamp"),
        ctx,
    )?;
    let computer = text(take(&mut top, "Hostname"));
    let channel = text(take(&mut top, "Channel"));
    let provider =
        text(take(&mut top, "SourceName")).or_else(|| text(take(&mut top, "ProviderName")));
    let record_id = text(take(&mut top, "RecordNumber"));
    let mut data = Vec::with_capacity(top.len());
    push_scalars(&mut data, top);
    Ok(WinEvent {
        event_id,
        time_ms,
        computer,
        channel,
        provider,
        record_id,
        data,
        shape: Shape::Nxlog,
    })
}

/// NXLog's time. `EventTime` is the collector's local time and `@timestamp` the UTC time of
/// receipt (Logstash's), which `EventReceivedTime` gives in local time: their difference,
/// rounded to the quarter hour, is the collector's UTC offset, so `EventTime` is read exactly.
/// Without all three: `@timestamp`, else `EventTime` in the configured zone.
fn nxlog_time(
    event_time: Option<Node<'_>>,
    received_local: Option<Node<'_>>,
    received_utc: Option<Node<'_>>,
    ctx: &ParseContext,
) -> Result<i64, Unrecognized> {
    let event = match text(event_time) {
        Some(t) => Some(civil(&t).ok_or_else(|| bad_time("EventTime", &t))?),
        None => None,
    };
    let received = text(received_local).and_then(|t| civil(&t));
    let utc = match received_utc {
        Some(t) => Some(time(Some(t), "@timestamp", ctx)?),
        None => None,
    };
    const QUARTER_HOUR: i64 = 15 * 60 * 1000;
    const MAX_OFFSET: i64 = 14 * 60 * 60 * 1000;
    match (event, received, utc) {
        (Some(event), Some(received), Some(utc)) => {
            let local = |dt: jiff::civil::DateTime| ms_in(&jiff::tz::TimeZone::UTC, dt);
            let offset = match local(received) {
                Some(r) => (r - utc + QUARTER_HOUR / 2).div_euclid(QUARTER_HOUR) * QUARTER_HOUR,
                None => i64::MAX,
            };
            match local(event) {
                Some(e) if offset.abs() <= MAX_OFFSET => Ok(e - offset),
                _ => Ok(utc),
            }
        }
        (_, _, Some(utc)) => Ok(utc),
        (Some(event), _, None) => {
            ms_in(&ctx.config.zone, event).ok_or_else(|| bad_time("EventTime", &event.to_string()))
        }
        (None, _, None) => Ok(ctx.received_ms),
    }
}

/// A `YYYY-MM-DD HH:MM:SS` time without a zone.
fn civil(text: &str) -> Option<jiff::civil::DateTime> {
    text.trim().parse().ok()
}

/// A civil time in `zone`, as ms since the epoch.
fn ms_in(zone: &jiff::tz::TimeZone, dt: jiff::civil::DateTime) -> Option<i64> {
    civil_to_ms(
        zone,
        dt.year(),
        dt.month(),
        dt.day(),
        (dt.hour(), dt.minute(), dt.second()),
        dt.subsec_nanosecond(),
    )
}

/// Wazuh: `win.system.{eventID, systemTime, computer, channel, providerName, eventRecordID}`
/// and `win.eventdata` with camelCase names.
fn wazuh<'a>(mut win: Fields<'a>, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let Some(Node::Obj(mut system)) = take(&mut win, "system") else {
        return Err(Unrecognized::new("Wazuh Windows event without win.system"));
    };
    let event_id = event_id(take(&mut system, "eventID"))?;
    let time_ms = time(take(&mut system, "systemTime"), "systemTime", ctx)?;
    let mut data = Vec::new();
    if let Some(Node::Obj(fields)) = take(&mut win, "eventdata") {
        push_scalars(&mut data, fields);
    }
    Ok(WinEvent {
        event_id,
        time_ms,
        computer: text(take(&mut system, "computer")),
        channel: text(take(&mut system, "channel")),
        provider: text(take(&mut system, "providerName")),
        record_id: text(take(&mut system, "eventRecordID")),
        data,
        shape: Shape::Wazuh,
    })
}

/// The `evtx` rendering: `Event.System.{EventID, TimeCreated.#attributes.SystemTime, Computer,
/// Channel, Provider.#attributes.Name, EventRecordID}`, `Event.EventData` (or the one element
/// under `Event.UserData`).
fn evtx<'a>(mut event: Fields<'a>, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let Some(Node::Obj(mut system)) = take(&mut event, "System") else {
        return Err(Unrecognized::new("Windows event JSON without Event.System"));
    };
    let id = match take(&mut system, "EventID") {
        Some(Node::Obj(mut id)) => take(&mut id, "#text"),
        other => other,
    };
    let event_id = event_id(id)?;
    let system_time = match take(&mut system, "TimeCreated") {
        Some(Node::Obj(mut created)) => attribute(&mut created, "SystemTime"),
        _ => None,
    };
    let time_ms = time(system_time, "TimeCreated SystemTime", ctx)?;
    let provider = match take(&mut system, "Provider") {
        Some(Node::Obj(mut p)) => attribute(&mut p, "Name").and_then(|n| n.into_text()),
        _ => None,
    };
    let mut data = Vec::new();
    match take(&mut event, "EventData") {
        Some(Node::Obj(fields)) => push_scalars(&mut data, fields),
        _ => {
            if let Some(Node::Obj(user_data)) = take(&mut event, "UserData") {
                for (_, inner) in user_data {
                    if let Node::Obj(fields) = inner {
                        push_scalars(&mut data, fields);
                    }
                }
            }
        }
    }
    Ok(WinEvent {
        event_id,
        time_ms,
        computer: text(take(&mut system, "Computer")),
        channel: text(take(&mut system, "Channel")),
        provider,
        record_id: text(take(&mut system, "EventRecordID")),
        data,
        shape: Shape::Evtx,
    })
}

/// Wazuh's `win` object, at the top or (in Wazuh alerts) under `data`.
fn take_wazuh<'a>(top: &mut Fields<'a>) -> Option<Node<'a>> {
    if let Some(win) = take(top, "win") {
        return Some(win);
    }
    match find(top, "data") {
        Some(Node::Obj(data)) if find(data, "win").is_some() => match take(top, "data") {
            Some(Node::Obj(mut data)) => take(&mut data, "win"),
            _ => None,
        },
        _ => None,
    }
}

/// An XML attribute of an element rendered as `{"#attributes": {…}}`.
fn attribute<'a>(element: &mut Fields<'a>, name: &str) -> Option<Node<'a>> {
    match take(element, "#attributes")? {
        Node::Obj(mut attributes) => take(&mut attributes, name),
        _ => None,
    }
}

/// The event id: a number or a string of digits.
fn event_id(node: Option<Node<'_>>) -> Result<u32, Unrecognized> {
    match node {
        Some(Node::UInt(n)) => u32::try_from(n).map_err(|_| bad_id(&n.to_string())),
        Some(Node::Str(s)) => s.trim().parse().map_err(|_| bad_id(&s)),
        Some(other) => Err(bad_id(&format!("{other:?}"))),
        None => Err(Unrecognized::new("Windows event without an event id")),
    }
}

fn bad_id(text: &str) -> Unrecognized {
    Unrecognized::because(format!("bad Windows event id {text:?}"))
}

fn bad_time(field: &str, text: &str) -> Unrecognized {
    Unrecognized::because(format!("bad {field} {text:?}"))
}

/// An RFC 3339 time field (the time of receipt when absent).
fn time(node: Option<Node<'_>>, field: &str, ctx: &ParseContext) -> Result<i64, Unrecognized> {
    match node {
        None | Some(Node::Null) => Ok(ctx.received_ms),
        Some(Node::Str(t)) => rfc3339_ms(t.trim(), ctx).ok_or_else(|| bad_time(field, &t)),
        Some(other) => Err(bad_time(field, &format!("{other:?}"))),
    }
}

/// Every scalar field of an object, as text, into `data` (keys of XML attributes and nested
/// objects are left out).
fn push_scalars<'a>(data: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>, fields: Fields<'a>) {
    for (key, value) in fields {
        if key.starts_with('#') {
            continue;
        }
        if let Some(v) = value.into_text() {
            data.push((key, v));
        }
    }
}

/// A scalar node's text (`None` for null, arrays and objects; empty strings are kept).
fn text(node: Option<Node<'_>>) -> Option<Cow<'_, str>> {
    node.and_then(Node::into_text).filter(|t| !t.is_empty())
}

/// An object's fields, in order.
type Fields<'a> = Vec<(Cow<'a, str>, Node<'a>)>;

/// Remove a field by name and return its value.
fn take<'a>(fields: &mut Fields<'a>, key: &str) -> Option<Node<'a>> {
    let i = fields.iter().position(|(k, _)| k == key)?;
    Some(fields.swap_remove(i).1)
}

/// Whether an object has a field.
fn find<'f, 'a>(fields: &'f Fields<'a>, key: &str) -> Option<&'f Node<'a>> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A JSON value whose strings borrow from the input when they hold no escapes.
#[derive(Debug)]
enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Arr,
    Obj(Fields<'a>),
}

impl<'a> Node<'a> {
    /// A scalar's text.
    fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Node::Str(s) => Some(s),
            Node::UInt(n) => Some(Cow::Owned(n.to_string())),
            Node::Int(n) => Some(Cow::Owned(n.to_string())),
            Node::Float(n) => Some(Cow::Owned(n.to_string())),
            Node::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            Node::Null | Node::Arr | Node::Obj(_) => None,
        }
    }
}

/// A key that borrows from the input when it can.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Whether a key's value is one the mapping never reads, to be skipped unbuilt: the rendered
/// message (most of an NXLog record) and the collectors' and the event header's bookkeeping.
fn is_skipped(key: &str) -> bool {
    matches!(
        key,
        "Message"
            | "message"
            | "Keywords"
            | "ProviderGuid"
            | "Opcode"
            | "OpcodeValue"
            | "Task"
            | "ThreadID"
            | "ExecutionProcessID"
            | "SeverityValue"
            | "Severity"
            | "EventType"
            | "Version"
            | "@version"
            | "SourceModuleType"
            | "SourceModuleName"
            | "tags"
    )
}

/// Builds [`Node`]s; skips the values of keys [`is_skipped`] names.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Node::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        // Arrays (ECS tags, evtx `#text` lists) say nothing the mapping reads.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Arr)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        // NXLog records have some fifty fields at the top level: growing from empty would copy
        // them over and over.
        let mut fields = Vec::with_capacity(32);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if is_skipped(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            fields.push((key, map.next_value::<Node<'de>>()?));
        }
        Ok(Node::Obj(fields))
    }
}
