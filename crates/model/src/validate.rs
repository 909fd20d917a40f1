//! Validation and derived fields: what makes an event acceptable to the log.

use std::net::IpAddr;

use crate::captions::{caption, class_info, AUTH_PROTOCOLS, LOGON_TYPES, SEVERITIES};
use crate::error::ModelError;
use crate::event::{Event, AUTHENTICATION_CLASS_UID};
use crate::objects::{Endpoint, Service, User};
use serde_json::Value;

/// The name given to what OCSF requires and the source does not name: the user of Account
/// Change, Authentication and Authorize Session events, API Activity's caller and source.
pub const UNKNOWN_NAME: &str = "(unknown)";

impl User {
    /// The user of an event whose source names none: [`UNKNOWN_NAME`], type Unknown.
    pub fn unknown() -> User {
        let mut user = User {
            name: Some(UNKNOWN_NAME.into()),
            ..User::default()
        };
        user.extra.insert("type_id".into(), Value::from(0));
        user.extra.insert("type".into(), Value::from("Unknown"));
        user
    }
}

/// OCSF API Activity.
const API_ACTIVITY_CLASS_UID: u32 = 6003;

/// Classes on which OCSF requires `user`.
const USER_REQUIRED: [u32; 3] = [3001, AUTHENTICATION_CLASS_UID, 3003];

/// Earliest accepted event time (1970-01-01) and latest (9999-12-31), in epoch milliseconds.
const TIME_RANGE_MS: std::ops::RangeInclusive<i64> = 0..=253_402_300_799_999;

impl Event {
    /// Check the event against the schema and fill the captions and ids that follow from others.
    pub fn normalize(&mut self) -> Result<(), ModelError> {
        let class =
            class_info(self.class_uid).ok_or(ModelError::UnsupportedClass(self.class_uid))?;
        let activity = caption(class.activities, self.activity_id)
            .ok_or_else(|| enum_error("activity_id", self.activity_id))?;
        let severity = caption(SEVERITIES, self.severity_id)
            .ok_or_else(|| enum_error("severity_id", self.severity_id))?;
        let status = caption(class.statuses, self.status_id)
            .ok_or_else(|| enum_error("status_id", self.status_id))?;
        if !TIME_RANGE_MS.contains(&self.time) {
            return Err(ModelError::invalid(
                "time",
                format!("{} ms is outside 1970..=9999", self.time),
            ));
        }
        let type_uid = i64::from(self.class_uid) * 100 + i64::from(self.activity_id);
        if let Some(given) = self.type_uid {
            if given != type_uid {
                return Err(ModelError::invalid(
                    "type_uid",
                    format!(
                        "{given} does not match class_uid {} and activity_id {}",
                        self.class_uid, self.activity_id
                    ),
                ));
            }
        }
        if let Some(given) = self.category_uid {
            if given != class.category_uid {
                return Err(ModelError::invalid(
                    "category_uid",
                    format!(
                        "{given} is not {} ({}), the category of class {}",
                        class.category_uid, class.category_name, class.uid
                    ),
                ));
            }
        }
        let product = self
            .metadata
            .product
            .as_ref()
            .ok_or(ModelError::MissingField("metadata.product"))?;
        if product.name.as_deref().unwrap_or("").is_empty()
            && product.vendor_name.as_deref().unwrap_or("").is_empty()
        {
            return Err(ModelError::invalid(
                "metadata.product",
                "needs a name or a vendor_name",
            ));
        }
        if let Some(id) = self.auth_protocol_id {
            let c =
                caption(AUTH_PROTOCOLS, id).ok_or_else(|| enum_error("auth_protocol_id", id))?;
            self.auth_protocol.get_or_insert_with(|| c.to_string());
        }
        if let Some(id) = self.logon_type_id {
            let c = caption(LOGON_TYPES, id).ok_or_else(|| enum_error("logon_type_id", id))?;
            self.logon_type.get_or_insert_with(|| c.to_string());
        }
        for (field, endpoint) in [
            ("src_endpoint.ip", &self.src_endpoint),
            ("dst_endpoint.ip", &self.dst_endpoint),
        ] {
            if let Some(ip) = endpoint.as_ref().and_then(|e| e.ip.as_deref()) {
                ip.parse::<IpAddr>().map_err(|_| {
                    ModelError::invalid(field, format!("{ip:?} is not an IP address"))
                })?;
            }
        }

        self.class_name.get_or_insert_with(|| class.name.into());
        self.category_uid = Some(class.category_uid);
        self.category_name
            .get_or_insert_with(|| class.category_name.into());
        self.activity_name.get_or_insert_with(|| activity.into());
        self.type_uid = Some(type_uid);
        self.type_name
            .get_or_insert_with(|| format!("{}: {activity}", class.name));
        self.severity.get_or_insert_with(|| severity.into());
        self.status.get_or_insert_with(|| status.into());
        Ok(())
    }

    /// Fill what OCSF requires and the source left out: a `user` on the classes that require
    /// one ([`UNKNOWN_NAME`], type Unknown, when the source names nobody); a `service` on an
    /// Authentication event that names neither it nor a `dst_endpoint` (the product that logged
    /// it did the authenticating); an `actor` (the unknown user) and a `src_endpoint` (named
    /// [`UNKNOWN_NAME`]) on API Activity that names neither; the `cloud` profile in
    /// `metadata.profiles` when `cloud` is set.
    ///
    /// For events authtrail maps from a source; OCSF events clients send are stored as sent.
    pub fn fill_required(&mut self) {
        if USER_REQUIRED.contains(&self.class_uid) && self.user.is_none() {
            self.user = Some(User::unknown());
        }
        if self.class_uid == AUTHENTICATION_CLASS_UID
            && self.service.is_none()
            && self.dst_endpoint.is_none()
        {
            let product = self.metadata.product.as_ref();
            let name = product
                .and_then(|p| p.name.clone().filter(|n| !n.is_empty()))
                .or_else(|| product.and_then(|p| p.vendor_name.clone()));
            self.service = Some(Service {
                name,
                ..Service::default()
            });
        }
        if self.class_uid == API_ACTIVITY_CLASS_UID {
            // API Activity requires who called and from where.
            if self.actor.is_none() {
                self.actor = Some(serde_json::json!({ "user": User::unknown() }));
            }
            if self.src_endpoint.is_none() {
                let mut unknown = Endpoint::default();
                unknown
                    .extra
                    .insert("name".into(), Value::from(UNKNOWN_NAME));
                self.src_endpoint = Some(unknown);
            }
        }
        if self.other.contains_key("cloud") {
            let profiles = self
                .metadata
                .extra
                .entry("profiles".to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = profiles {
                if !list.iter().any(|p| p == "cloud") {
                    list.push(Value::from("cloud"));
                }
            }
        }
    }
}

fn enum_error(field: &str, value: i32) -> ModelError {
    ModelError::invalid(field, format!("{value} is not a defined value"))
}
