//! The parts of a Windows JSON record the reader takes, read straight from the JSON
//! ([`crate::parse::lenient`]) in one pass, for every shape at once (which shape a record is
//! depends on keys that may come last): header fields as [`Node`]s, the event data into
//! [`Data`] (only the fields the mapping reads), everything else skipped unbuilt. The first of
//! a repeated key counts, header or data. Objects are read in place ([`FirstObj`]), so a record
//! is read without moving its parts.

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::node::{is_skipped, Node, NodeVisitor};
use crate::parse::lenient::{first, read_fields, Fields, Fill, FirstObj, Scalar};
use crate::parse::windows::data::Data;
use crate::parse::windows::names::Name;

/// A key's first value: absent, or as given.
type First<T> = Option<T>;

/// The top level of a record, whatever its shape.
#[derive(Default)]
pub struct Record<'a> {
    /// `evtx_error`: the reason an `.evtx` record could not be read.
    pub evtx_error: First<Node<'a>>,
    /// `record`: the number of that record.
    pub record: First<Node<'a>>,
    /// Winlogbeat's `winlog`.
    pub winlog: FirstObj<Winlog<'a>>,
    /// Wazuh's `win`.
    pub win: FirstObj<Win<'a>>,
    /// `data` (a Wazuh alert's, holding `win`).
    pub alert_data: FirstObj<AlertData<'a>>,
    /// The `evtx` rendering's `Event`.
    pub event: FirstObj<Evtx<'a>>,
    /// `@timestamp` (Winlogbeat, NXLog through Logstash).
    pub timestamp: First<Node<'a>>,
    /// Winlogbeat's `host`.
    pub host: FirstObj<Host<'a>>,
    /// NXLog's header fields.
    pub nxlog: Nxlog<'a>,
    /// NXLog's event data (at the top level).
    pub data: Data<'a>,
}

impl<'de> Fields<'de> for Record<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "evtx_error" => first(&mut self.evtx_error, map),
            "record" => first(&mut self.record, map),
            "winlog" => self.winlog.read(map),
            "win" => self.win.read(map),
            "data" => self.alert_data.read(map),
            "Event" => self.event.read(map),
            "@timestamp" => first(&mut self.timestamp, map),
            "host" => self.host.read(map),
            "EventID" => first(&mut self.nxlog.event_id, map),
            "EventTime" => first(&mut self.nxlog.event_time, map),
            "EventReceivedTime" => first(&mut self.nxlog.received_time, map),
            "Hostname" => first(&mut self.nxlog.hostname, map),
            "Channel" => first(&mut self.nxlog.channel, map),
            "SourceName" => first(&mut self.nxlog.source_name, map),
            "ProviderName" => first(&mut self.nxlog.provider_name, map),
            "RecordNumber" => first(&mut self.nxlog.record_number, map),
            _ => self.data.field(key, map),
        }
    }
}

/// NXLog's header fields: `EventID`, `EventTime`, `EventReceivedTime`, `Hostname`, `Channel`,
/// `SourceName`, `ProviderName`, `RecordNumber`.
#[derive(Default)]
pub struct Nxlog<'a> {
    /// `EventID`.
    pub event_id: First<Node<'a>>,
    /// `EventTime` (local).
    pub event_time: First<Node<'a>>,
    /// `EventReceivedTime` (local).
    pub received_time: First<Node<'a>>,
    /// `Hostname`.
    pub hostname: First<Node<'a>>,
    /// `Channel`.
    pub channel: First<Node<'a>>,
    /// `SourceName`.
    pub source_name: First<Node<'a>>,
    /// `ProviderName`.
    pub provider_name: First<Node<'a>>,
    /// `RecordNumber`.
    pub record_number: First<Node<'a>>,
}

/// Event data: the scalar fields the mapping reads, as text; objects and arrays are skipped.
impl<'de> Fields<'de> for Data<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let Some(name) = Name::of(key).filter(|n| !self.has(*n)) else {
            return Ok(false);
        };
        if let Scalar(Some(value)) = map.next_value()? {
            self.set(name, value);
        }
        Ok(true)
    }
}

/// Winlogbeat's `winlog`.
#[derive(Default)]
pub struct Winlog<'a> {
    /// `event_id`.
    pub event_id: First<Node<'a>>,
    /// `computer_name`.
    pub computer_name: First<Node<'a>>,
    /// `channel`.
    pub channel: First<Node<'a>>,
    /// `provider_name`.
    pub provider_name: First<Node<'a>>,
    /// `record_id`.
    pub record_id: First<Node<'a>>,
    /// `event_data`.
    pub event_data: FirstObj<Data<'a>>,
    /// `user_data`.
    pub user_data: FirstObj<Data<'a>>,
}

impl<'de> Fields<'de> for Winlog<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "event_id" => first(&mut self.event_id, map),
            "computer_name" => first(&mut self.computer_name, map),
            "channel" => first(&mut self.channel, map),
            "provider_name" => first(&mut self.provider_name, map),
            "record_id" => first(&mut self.record_id, map),
            "event_data" => self.event_data.read(map),
            "user_data" => self.user_data.read(map),
            _ => Ok(false),
        }
    }
}

/// Winlogbeat's `host`: `name`, `hostname`.
#[derive(Default)]
pub struct Host<'a> {
    /// `name`.
    pub name: First<Node<'a>>,
    /// `hostname`.
    pub hostname: First<Node<'a>>,
}

impl<'de> Fields<'de> for Host<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "name" => first(&mut self.name, map),
            "hostname" => first(&mut self.hostname, map),
            _ => Ok(false),
        }
    }
}

/// A Wazuh alert's `data`: its `win`.
#[derive(Default)]
pub struct AlertData<'a> {
    /// `win`.
    pub win: FirstObj<Win<'a>>,
}

impl<'de> Fields<'de> for AlertData<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "win" => self.win.read(map),
            _ => Ok(false),
        }
    }
}

/// Wazuh's `win`: `system` and `eventdata`.
#[derive(Default)]
pub struct Win<'a> {
    /// `system`.
    pub system: FirstObj<WazuhSystem<'a>>,
    /// `eventdata`.
    pub eventdata: FirstObj<Data<'a>>,
}

impl<'de> Fields<'de> for Win<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "system" => self.system.read(map),
            "eventdata" => self.eventdata.read(map),
            _ => Ok(false),
        }
    }
}

/// Wazuh's `win.system`.
#[derive(Default)]
pub struct WazuhSystem<'a> {
    /// `eventID`.
    pub event_id: First<Node<'a>>,
    /// `systemTime`.
    pub system_time: First<Node<'a>>,
    /// `computer`.
    pub computer: First<Node<'a>>,
    /// `channel`.
    pub channel: First<Node<'a>>,
    /// `providerName`.
    pub provider_name: First<Node<'a>>,
    /// `eventRecordID`.
    pub event_record_id: First<Node<'a>>,
}

impl<'de> Fields<'de> for WazuhSystem<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "eventID" => first(&mut self.event_id, map),
            "systemTime" => first(&mut self.system_time, map),
            "computer" => first(&mut self.computer, map),
            "channel" => first(&mut self.channel, map),
            "providerName" => first(&mut self.provider_name, map),
            "eventRecordID" => first(&mut self.event_record_id, map),
            _ => Ok(false),
        }
    }
}

/// The `evtx` rendering's `Event`: `System`, `EventData`, `UserData`.
#[derive(Default)]
pub struct Evtx<'a> {
    /// `System`.
    pub system: FirstObj<EvtxSystem<'a>>,
    /// `EventData`.
    pub event_data: FirstObj<Data<'a>>,
    /// `UserData`.
    pub user_data: FirstObj<UserData<'a>>,
}

impl<'de> Fields<'de> for Evtx<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "System" => self.system.read(map),
            "EventData" => self.event_data.read(map),
            "UserData" => self.user_data.read(map),
            _ => Ok(false),
        }
    }
}

/// `Event.UserData`: the fields of the elements it holds (one, in practice), in order.
#[derive(Default)]
pub struct UserData<'a> {
    /// Their fields.
    pub data: Data<'a>,
}

impl<'de> Fields<'de> for UserData<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if is_skipped(key) {
            return Ok(false);
        }
        map.next_value_seed(Fill(&mut self.data))?;
        Ok(true)
    }
}

/// `Event.System`.
#[derive(Default)]
pub struct EvtxSystem<'a> {
    /// `EventID`.
    pub event_id: First<EvtxId<'a>>,
    /// `TimeCreated`.
    pub time_created: FirstObj<Element<'a>>,
    /// `Provider`.
    pub provider: FirstObj<Element<'a>>,
    /// `Computer`.
    pub computer: First<Node<'a>>,
    /// `Channel`.
    pub channel: First<Node<'a>>,
    /// `EventRecordID`.
    pub event_record_id: First<Node<'a>>,
}

impl<'de> Fields<'de> for EvtxSystem<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "EventID" => first(&mut self.event_id, map),
            "TimeCreated" => self.time_created.read(map),
            "Provider" => self.provider.read(map),
            "Computer" => first(&mut self.computer, map),
            "Channel" => first(&mut self.channel, map),
            "EventRecordID" => first(&mut self.event_record_id, map),
            _ => Ok(false),
        }
    }
}

/// An element with XML attributes, rendered `{"#attributes": {…}, …}`: the attributes read.
#[derive(Default)]
pub struct Element<'a> {
    /// `#attributes`.
    pub attributes: FirstObj<Attributes<'a>>,
}

impl<'de> Fields<'de> for Element<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "#attributes" => self.attributes.read(map),
            _ => Ok(false),
        }
    }
}

/// The attributes read: `TimeCreated`'s `SystemTime`, `Provider`'s `Name`.
#[derive(Default)]
pub struct Attributes<'a> {
    /// `SystemTime`.
    pub system_time: First<Node<'a>>,
    /// `Name`.
    pub name: First<Node<'a>>,
}

impl<'de> Fields<'de> for Attributes<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "SystemTime" => first(&mut self.system_time, map),
            "Name" => first(&mut self.name, map),
            _ => Ok(false),
        }
    }
}

/// `Event.System.EventID`: the value, or when it is an element with attributes
/// (`{"#attributes": {"Qualifiers": …}, "#text": 4624}`) its `#text` (`None` without one).
pub struct EvtxId<'a>(pub Option<Node<'a>>);

impl<'de> Deserialize<'de> for EvtxId<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EvtxIdVisitor)
    }
}

/// Reads an [`EvtxId`]: any value as a [`Node`], an object's `#text`.
struct EvtxIdVisitor;

/// `visit_*` methods that read the value as a [`Node`].
macro_rules! as_node {
    ($($method:ident($ty:ty))*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<EvtxId<'de>, E> {
            NodeVisitor.$method(v).map(|n| EvtxId(Some(n)))
        }
    )*};
}

impl<'de> Visitor<'de> for EvtxIdVisitor {
    type Value = EvtxId<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    as_node!(visit_bool(bool) visit_i64(i64) visit_u64(u64) visit_f64(f64)
        visit_borrowed_str(&'de str) visit_str(&str) visit_string(String));
    fn visit_unit<E: de::Error>(self) -> Result<EvtxId<'de>, E> {
        NodeVisitor.visit_unit().map(|n| EvtxId(Some(n)))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<EvtxId<'de>, A::Error> {
        NodeVisitor.visit_seq(seq).map(|n| EvtxId(Some(n)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EvtxId<'de>, A::Error> {
        let mut text = HashText::default();
        read_fields(&mut text, map)?;
        Ok(EvtxId(text.0))
    }
}

/// An element's `#text`.
#[derive(Default)]
struct HashText<'a>(First<Node<'a>>);

impl<'de> Fields<'de> for HashText<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "#text" => first(&mut self.0, map),
            _ => Ok(false),
        }
    }
}
