//! Event XML text: `<Event xmlns=…><System>…</System><EventData><Data Name='…'>…</Data>…
//! </EventData></Event>` as `wevtutil`, `Get-WinEvent … ToXml()` and forwarders write it, and as
//! Event Viewer copies it (with `- ` tree markers before elements, which are skipped).

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;

use super::{Data, Shape, WinEvent};
use crate::parse::syslog::rfc3339_ms;
use crate::parse::{ParseContext, Unrecognized};

/// Whether a record starts as event XML (after Event Viewer's `- ` marker and an XML
/// declaration, if any).
pub fn looks_like(text: &str) -> bool {
    let t = strip_marker(text.trim_start());
    let t = match t.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r.trim_start()),
        None => t,
    };
    let t = strip_marker(t);
    t.strip_prefix("<Event")
        .is_some_and(|rest| rest.starts_with([' ', '>', '\t', '\r', '\n']))
}

/// Event Viewer's `- ` (or `-`) before an element that has children.
fn strip_marker(text: &str) -> &str {
    match text.strip_prefix('-') {
        Some(rest) if rest.trim_start().starts_with('<') => rest.trim_start(),
        _ => text,
    }
}

/// Where the reader is inside the event.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Elsewhere.
    Other,
    /// A text element of `System` (EventID, EventRecordID, Channel, Computer).
    SystemText(SystemField),
    /// A `Data` element (named or not) of `EventData`, or a field of the `UserData` element.
    Data,
}

/// The `System` elements whose text is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SystemField {
    EventId,
    RecordId,
    Channel,
    Computer,
}

/// What has been read so far.
#[derive(Default)]
struct Fields {
    event_id: Option<String>,
    record_id: Option<String>,
    channel: Option<String>,
    computer: Option<String>,
    provider: Option<String>,
    system_time: Option<String>,
    data: Data<'static>,
}

/// Read an event XML record as a [`WinEvent`].
pub fn read<'a>(text: &'a str, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let fields =
        scan(text).map_err(|e| Unrecognized::because(format!("invalid event XML: {e}")))?;
    let id = fields
        .event_id
        .ok_or(Unrecognized::new("event XML without System/EventID"))?;
    let event_id = id
        .trim()
        .parse()
        .map_err(|_| Unrecognized::because(format!("bad Windows event id {id:?}")))?;
    let time_ms = match fields.system_time {
        Some(t) => rfc3339_ms(t.trim(), ctx)
            .ok_or_else(|| Unrecognized::because(format!("bad TimeCreated SystemTime {t:?}")))?,
        None => ctx.received_ms,
    };
    let owned = |s: Option<String>| s.map(|s| Cow::Owned(s.trim().to_string()));
    Ok(WinEvent {
        event_id,
        time_ms,
        computer: owned(fields.computer),
        channel: owned(fields.channel),
        provider: owned(fields.provider),
        record_id: owned(fields.record_id),
        data: fields.data,
        shape: Shape::Xml,
    })
}

/// Walk the XML of one event, collecting the fields.
fn scan(text: &str) -> Result<Fields, String> {
    let mut reader = Reader::from_str(text);
    let mut fields = Fields::default();
    // Local names of the open elements.
    let mut path: Vec<String> = Vec::new();
    let mut place = Place::Other;
    let mut value = String::new();
    let mut data_name: Option<String> = None;
    let mut unnamed = 0usize;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            XmlEvent::Start(start) => {
                let name = local(&start);
                open(&mut fields, &path, &name, &start)?;
                place = place_of(&path, &name);
                if place == Place::Data {
                    data_name = data_field_name(&path, &name, &start, &mut unnamed)?;
                }
                value.clear();
                path.push(name);
            }
            XmlEvent::Empty(start) => {
                let name = local(&start);
                open(&mut fields, &path, &name, &start)?;
                if place_of(&path, &name) == Place::Data {
                    if let Some(n) = data_field_name(&path, &name, &start, &mut unnamed)? {
                        fields.data.push(Cow::Owned(n), Cow::Borrowed(""));
                    }
                }
            }
            XmlEvent::Text(t) if place != Place::Other => value.push_str(&t.xml10_content()),
            XmlEvent::CData(t) if place != Place::Other => value.push_str(&t.xml10_content()),
            XmlEvent::GeneralRef(r) if place != Place::Other => {
                match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => value.push(c),
                    None => value.push_str(
                        quick_xml::escape::resolve_predefined_entity(&r)
                            .ok_or_else(|| format!("unknown entity &{};", &*r))?,
                    ),
                }
            }
            XmlEvent::End(_) => {
                let name = path.pop().unwrap_or_default();
                match place {
                    Place::SystemText(field) => {
                        let slot = match field {
                            SystemField::EventId => &mut fields.event_id,
                            SystemField::RecordId => &mut fields.record_id,
                            SystemField::Channel => &mut fields.channel,
                            SystemField::Computer => &mut fields.computer,
                        };
                        *slot = Some(std::mem::take(&mut value));
                    }
                    Place::Data => {
                        if let Some(n) = data_name.take() {
                            fields
                                .data
                                .push(Cow::Owned(n), Cow::Owned(std::mem::take(&mut value)));
                        }
                    }
                    Place::Other => {}
                }
                place = Place::Other;
                if name == "Event" && path.is_empty() {
                    return Ok(fields);
                }
            }
            XmlEvent::Eof => {
                return Err(if path.is_empty() {
                    "no <Event> element".into()
                } else {
                    "the text ends before </Event>".into()
                })
            }
            _ => {}
        }
    }
}

/// An element's local name (without its namespace prefix).
fn local(start: &BytesStart<'_>) -> String {
    start.local_name().into_inner().to_string()
}

/// An attribute's value, entities resolved.
fn attribute(start: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        if attr.key.local_name().into_inner() == name {
            let value = quick_xml::escape::unescape(&attr.value).map_err(|e| e.to_string())?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// Read the attributes `System`'s `Provider` and `TimeCreated` carry.
fn open(
    fields: &mut Fields,
    path: &[String],
    name: &str,
    start: &BytesStart<'_>,
) -> Result<(), String> {
    if path.last().map(String::as_str) != Some("System") {
        return Ok(());
    }
    match name {
        "Provider" => fields.provider = attribute(start, "Name")?,
        "TimeCreated" => fields.system_time = attribute(start, "SystemTime")?,
        _ => {}
    }
    Ok(())
}

/// What an element opening at `path` holds.
fn place_of(path: &[String], name: &str) -> Place {
    let parent = path.last().map(String::as_str);
    match (parent, name) {
        (Some("System"), "EventID") => Place::SystemText(SystemField::EventId),
        (Some("System"), "EventRecordID") => Place::SystemText(SystemField::RecordId),
        (Some("System"), "Channel") => Place::SystemText(SystemField::Channel),
        (Some("System"), "Computer") => Place::SystemText(SystemField::Computer),
        (Some("EventData"), _) => Place::Data,
        // UserData holds one element whose children are the fields.
        _ if path.len() >= 2 && path[path.len() - 2] == "UserData" => Place::Data,
        _ => Place::Other,
    }
}

/// The name a data element's value is kept under: `Data`'s `Name` attribute, a `UserData`
/// field's element name, or `Data1`, `Data2`… for unnamed `Data`.
fn data_field_name(
    path: &[String],
    name: &str,
    start: &BytesStart<'_>,
    unnamed: &mut usize,
) -> Result<Option<String>, String> {
    if path.last().map(String::as_str) != Some("EventData") {
        return Ok(Some(name.to_string()));
    }
    if name != "Data" {
        return Ok(None);
    }
    Ok(Some(match attribute(start, "Name")? {
        Some(n) => n,
        None => {
            *unnamed += 1;
            format!("Data{unnamed}")
        }
    }))
}
