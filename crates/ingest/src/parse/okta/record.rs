//! The parts of an Okta LogEvent the mapping reads, read straight from the record's JSON
//! ([`crate::parse::lenient`]): top-level keys without regard to case (some exporters lower-case
//! them), nested keys as Okta spells them; everything else is skipped unbuilt.

use serde::de::MapAccess;
use serde_json::Value;

use crate::parse::lenient::{Fields, List, Number, Obj, Text};

/// One Okta System Log event.
#[derive(Default)]
pub struct Record<'a> {
    /// `eventType`.
    pub event_type: Text<'a>,
    /// `published`, as given (a string, or anything else to be refused).
    pub published: Option<Value>,
    /// `outcome`.
    pub outcome: Obj<Outcome<'a>>,
    /// `actor`.
    pub actor: Obj<Party<'a>>,
    /// `target`.
    pub target: List<Obj<Party<'a>>>,
    /// `client`.
    pub client: Obj<Client<'a>>,
    /// `authenticationContext`.
    pub authentication_context: Obj<AuthenticationContext<'a>>,
    /// `debugContext.debugData.requestId`.
    pub debug_context: Obj<DebugContext<'a>>,
    /// `transaction.id`.
    pub transaction: Obj<Transaction<'a>>,
    /// `severity`.
    pub severity: Text<'a>,
    /// `uuid`.
    pub uuid: Text<'a>,
    /// `displayMessage`.
    pub display_message: Text<'a>,
    /// `securityContext`.
    pub security_context: Obj<SecurityContext<'a>>,
}

impl<'de> Fields<'de> for Record<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        if is("eventType") {
            self.event_type = map.next_value()?;
        } else if is("published") {
            self.published = Some(map.next_value::<Value>()?).filter(|v| !v.is_null());
        } else if is("outcome") {
            self.outcome = map.next_value()?;
        } else if is("actor") {
            self.actor = map.next_value()?;
        } else if is("target") {
            self.target = map.next_value()?;
        } else if is("client") {
            self.client = map.next_value()?;
        } else if is("authenticationContext") {
            self.authentication_context = map.next_value()?;
        } else if is("debugContext") {
            self.debug_context = map.next_value()?;
        } else if is("transaction") {
            self.transaction = map.next_value()?;
        } else if is("severity") {
            self.severity = map.next_value()?;
        } else if is("uuid") {
            self.uuid = map.next_value()?;
        } else if is("displayMessage") {
            self.display_message = map.next_value()?;
        } else if is("securityContext") {
            self.security_context = map.next_value()?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }
}

/// `outcome`: `result` and `reason`.
#[derive(Default)]
pub struct Outcome<'a> {
    /// `result` (SUCCESS, FAILURE, ...).
    pub result: Text<'a>,
    /// `reason`.
    pub reason: Text<'a>,
}

impl<'de> Fields<'de> for Outcome<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "result" => self.result = map.next_value()?,
            "reason" => self.reason = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// An actor or a target: `id`, `type`, `alternateId`, `displayName`.
#[derive(Default)]
pub struct Party<'a> {
    /// `id`.
    pub id: Text<'a>,
    /// `type` (User, AppInstance, ...).
    pub kind: Text<'a>,
    /// `alternateId` (the login name).
    pub alternate_id: Text<'a>,
    /// `displayName`.
    pub display_name: Text<'a>,
}

impl<'de> Fields<'de> for Party<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "id" => self.id = map.next_value()?,
            "type" => self.kind = map.next_value()?,
            "alternateId" => self.alternate_id = map.next_value()?,
            "displayName" => self.display_name = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `client`: `ipAddress`, `userAgent.rawUserAgent`, `geographicalContext`.
#[derive(Default)]
pub struct Client<'a> {
    /// `ipAddress`.
    pub ip_address: Text<'a>,
    /// `userAgent.rawUserAgent`.
    pub user_agent: Obj<UserAgent<'a>>,
    /// `geographicalContext`.
    pub geo: Obj<Geo<'a>>,
}

impl<'de> Fields<'de> for Client<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "ipAddress" => self.ip_address = map.next_value()?,
            "userAgent" => self.user_agent = map.next_value()?,
            "geographicalContext" => self.geo = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `securityContext`: the network the request came from.
#[derive(Default)]
pub struct SecurityContext<'a> {
    /// `asNumber`.
    pub as_number: Number,
    /// `asOrg`.
    pub as_org: Text<'a>,
    /// `isp`.
    pub isp: Text<'a>,
    /// `isProxy`.
    pub is_proxy: Option<bool>,
}

impl<'de> Fields<'de> for SecurityContext<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "asNumber" => self.as_number = map.next_value()?,
            "asOrg" => self.as_org = map.next_value()?,
            "isp" => self.isp = map.next_value()?,
            "isProxy" => self.is_proxy = map.next_value::<Value>()?.as_bool(),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `client.userAgent`.
#[derive(Default)]
pub struct UserAgent<'a> {
    /// `rawUserAgent`.
    pub raw: Text<'a>,
}

impl<'de> Fields<'de> for UserAgent<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if key != "rawUserAgent" {
            return Ok(false);
        }
        self.raw = map.next_value()?;
        Ok(true)
    }
}

/// `client.geographicalContext`.
#[derive(Default)]
pub struct Geo<'a> {
    /// `country`.
    pub country: Text<'a>,
    /// `city`.
    pub city: Text<'a>,
    /// `state`.
    pub state: Text<'a>,
    /// `postalCode`.
    pub postal_code: Text<'a>,
    /// `geolocation`.
    pub point: Obj<Point>,
}

impl<'de> Fields<'de> for Geo<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "country" => self.country = map.next_value()?,
            "city" => self.city = map.next_value()?,
            "state" => self.state = map.next_value()?,
            "postalCode" => self.postal_code = map.next_value()?,
            "geolocation" => self.point = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `geolocation`: `lat`, `lon`.
#[derive(Default)]
pub struct Point {
    /// `lat`.
    pub lat: Number,
    /// `lon`.
    pub lon: Number,
}

impl<'de> Fields<'de> for Point {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "lat" => self.lat = map.next_value()?,
            "lon" => self.lon = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `authenticationContext`.
#[derive(Default)]
pub struct AuthenticationContext<'a> {
    /// `externalSessionId`.
    pub external_session_id: Text<'a>,
    /// `rootSessionId`.
    pub root_session_id: Text<'a>,
    /// `credentialType`.
    pub credential_type: Text<'a>,
}

impl<'de> Fields<'de> for AuthenticationContext<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "externalSessionId" => self.external_session_id = map.next_value()?,
            "rootSessionId" => self.root_session_id = map.next_value()?,
            "credentialType" => self.credential_type = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `debugContext`: its `debugData.requestId`.
#[derive(Default)]
pub struct DebugContext<'a> {
    /// `debugData.requestId`.
    pub request_id: Text<'a>,
}

impl<'de> Fields<'de> for DebugContext<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if key != "debugData" {
            return Ok(false);
        }
        if let Obj(Some(data)) = map.next_value::<Obj<DebugData<'de>>>()? {
            self.request_id = data.request_id;
        } else {
            self.request_id = Text::default();
        }
        Ok(true)
    }
}

/// `debugContext.debugData`.
#[derive(Default)]
struct DebugData<'a> {
    request_id: Text<'a>,
}

impl<'de> Fields<'de> for DebugData<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if key != "requestId" {
            return Ok(false);
        }
        self.request_id = map.next_value()?;
        Ok(true)
    }
}

/// `transaction`: its `id`.
#[derive(Default)]
pub struct Transaction<'a> {
    /// `id`.
    pub id: Text<'a>,
}

impl<'de> Fields<'de> for Transaction<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        if key != "id" {
            return Ok(false);
        }
        self.id = map.next_value()?;
        Ok(true)
    }
}
