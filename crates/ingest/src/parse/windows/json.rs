//! The JSON shapes of Windows events: Winlogbeat/ECS, NXLog (OTRF/Mordor), Wazuh eventchannel
//! and the `evtx` crate's rendering (also the transcoding of `.evtx` files, whose records that
//! could not be read arrive as `{"evtx_error": …}` lines and are refused with that reason).
//!
//! A record is read in one pass straight into the fields the mapping takes (module `record`):
//! strings without escapes are not copied, and everything else (the rendered `Message`, most of
//! an NXLog record) is skipped unbuilt.

mod node;
mod record;

use std::borrow::Cow;
use std::mem::take;

use serde::de::DeserializeSeed;

use self::node::Node;
use self::record::{Evtx, Nxlog, Record, Win, Winlog};
use super::data::Data;
use super::{Shape, WinEvent};
use crate::parse::clock::civil_to_ms;
use crate::parse::lenient::{Fill, FirstObj};
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
    let invalid =
        |e: serde_json::Error| Unrecognized::because(format!("invalid JSON Windows event: {e}"));
    let mut top = Record::default();
    let mut json = serde_json::Deserializer::from_str(text);
    let is_object = Fill(&mut top).deserialize(&mut json).map_err(invalid)?;
    json.end().map_err(invalid)?;
    if !is_object {
        return Err(Unrecognized::new("JSON Windows event is not an object"));
    }
    if let Some(error) = top.evtx_error {
        let record = top
            .record
            .and_then(Node::into_text)
            .map_or_else(String::new, |r| format!(" {r}"));
        let error = error.into_text().unwrap_or(Cow::Borrowed("unknown error"));
        return Err(Unrecognized::because(format!(
            "EVTX record{record} could not be read: {error}"
        )));
    }
    // The record's parts are taken where they lie (it is large).
    if let Some(winlog) = top.winlog.object_mut() {
        return winlogbeat(winlog, top.timestamp.take(), top.host.object_mut(), ctx);
    }
    // Wazuh's `win`, at the top or (in Wazuh alerts) under `data`.
    let win = match top.win.seen {
        Some(_) => top.win.object_mut(),
        None => top
            .alert_data
            .object_mut()
            .and_then(|data| data.win.object_mut()),
    };
    if let Some(win) = win {
        return wazuh(win, ctx);
    }
    if let Some(event) = top.event.object_mut() {
        return evtx(event, ctx);
    }
    if top.nxlog.event_id.is_some() {
        return nxlog(
            &mut top.nxlog,
            top.timestamp.take(),
            take(&mut top.data),
            ctx,
        );
    }
    Err(Unrecognized::new(
        "JSON is not a Windows event: no winlog, win.system, Event.System or EventID",
    ))
}

/// Winlogbeat: `winlog.{event_id, computer_name, channel, provider_name, record_id,
/// event_data, user_data}`, the time in `@timestamp`.
fn winlogbeat<'a>(
    winlog: &mut Winlog<'a>,
    timestamp: Option<Node<'a>>,
    host: Option<&mut record::Host<'a>>,
    ctx: &ParseContext,
) -> Result<WinEvent<'a>, Unrecognized> {
    let event_id = event_id(winlog.event_id.take())?;
    let time_ms = time(timestamp, "@timestamp", ctx)?;
    let computer = text(winlog.computer_name.take()).or_else(|| {
        host.and_then(|host| text(host.name.take()).or_else(|| text(host.hostname.take())))
    });
    let mut data = object(&mut winlog.event_data);
    if let Some(user_data) = winlog.user_data.object_mut() {
        data.extend(take(user_data));
    }
    Ok(WinEvent {
        event_id,
        time_ms,
        computer,
        channel: text(winlog.channel.take()),
        provider: text(winlog.provider_name.take()),
        record_id: text(winlog.record_id.take()),
        data,
        shape: Shape::Winlogbeat,
    })
}

/// NXLog `im_msvistalog`: flat `EventID`, `Hostname`, `Channel`, `SourceName`, `RecordNumber`,
/// the event data at the top level; `EventTime` local, `@timestamp` UTC (see [`nxlog_time`]).
fn nxlog<'a>(
    header: &mut Nxlog<'a>,
    timestamp: Option<Node<'a>>,
    data: Data<'a>,
    ctx: &ParseContext,
) -> Result<WinEvent<'a>, Unrecognized> {
    let event_id = event_id(header.event_id.take())?;
    let time_ms = nxlog_time(
        header.event_time.take(),
        header.received_time.take(),
        timestamp,
        ctx,
    )?;
    Ok(WinEvent {
        event_id,
        time_ms,
        computer: text(header.hostname.take()),
        channel: text(header.channel.take()),
        provider: text(header.source_name.take()).or_else(|| text(header.provider_name.take())),
        record_id: text(header.record_number.take()),
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
    super::trim(text).parse().ok()
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
fn wazuh<'a>(win: &mut Win<'a>, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let Some(system) = win.system.object_mut() else {
        return Err(Unrecognized::new("Wazuh Windows event without win.system"));
    };
    let event_id = event_id(system.event_id.take())?;
    let time_ms = time(system.system_time.take(), "systemTime", ctx)?;
    Ok(WinEvent {
        event_id,
        time_ms,
        computer: text(system.computer.take()),
        channel: text(system.channel.take()),
        provider: text(system.provider_name.take()),
        record_id: text(system.event_record_id.take()),
        data: object(&mut win.eventdata),
        shape: Shape::Wazuh,
    })
}

/// The `evtx` rendering: `Event.System.{EventID, TimeCreated.#attributes.SystemTime, Computer,
/// Channel, Provider.#attributes.Name, EventRecordID}`, `Event.EventData` (or the one element
/// under `Event.UserData`).
fn evtx<'a>(event: &mut Evtx<'a>, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let Some(system) = event.system.object_mut() else {
        return Err(Unrecognized::new("Windows event JSON without Event.System"));
    };
    let event_id = event_id(system.event_id.take().and_then(|id| id.0))?;
    let system_time = attributes(&mut system.time_created).and_then(|a| a.system_time.take());
    let time_ms = time(system_time, "TimeCreated SystemTime", ctx)?;
    let provider = attributes(&mut system.provider)
        .and_then(|a| a.name.take())
        .and_then(Node::into_text);
    let data = match event.event_data.seen {
        Some(true) => take(&mut event.event_data.fields),
        _ => event
            .user_data
            .object_mut()
            .map(|user_data| take(&mut user_data.data))
            .unwrap_or_default(),
    };
    Ok(WinEvent {
        event_id,
        time_ms,
        computer: text(system.computer.take()),
        channel: text(system.channel.take()),
        provider,
        record_id: text(system.event_record_id.take()),
        data,
        shape: Shape::Evtx,
    })
}

/// The attributes of an element (`{"#attributes": {…}}`), when it was one.
fn attributes<'r, 'a>(
    element: &'r mut FirstObj<record::Element<'a>>,
) -> Option<&'r mut record::Attributes<'a>> {
    element.object_mut()?.attributes.object_mut()
}

/// The fields of a data object (none when it was absent or not an object).
fn object<'a>(data: &mut FirstObj<Data<'a>>) -> Data<'a> {
    data.object_mut().map(take).unwrap_or_default()
}

/// The event id: a number or a string of digits.
fn event_id(node: Option<Node<'_>>) -> Result<u32, Unrecognized> {
    match node {
        Some(Node::UInt(n)) => u32::try_from(n).map_err(|_| bad_id(&n.to_string())),
        Some(Node::Str(s)) => super::trim(&s).parse().map_err(|_| bad_id(&s)),
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
        Some(Node::Str(t)) => rfc3339_ms(super::trim(&t), ctx).ok_or_else(|| bad_time(field, &t)),
        Some(other) => Err(bad_time(field, &format!("{other:?}"))),
    }
}

/// A scalar node's text (`None` for null, arrays and objects; empty strings are kept).
fn text(node: Option<Node<'_>>) -> Option<Cow<'_, str>> {
    node.and_then(Node::into_text).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests;
