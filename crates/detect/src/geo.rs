//! GeoIP: where an event comes from (coordinates, country, autonomous system).
//!
//! What the event carries comes first (`src_endpoint.location.{lat,long,country}`,
//! `src_endpoint.autonomous_system.number`, as Okta and Entra ID give them); what it lacks is
//! looked up for `src_endpoint.ip` in the configured MaxMind databases (a City or Country
//! database, an ASN database), when there are any. Private, loopback, link-local, shared
//! (CGNAT), multicast and unspecified addresses have no place.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use authtrail_store::query::Record;
use maxminddb::Reader;
use serde::Deserialize;
use serde_json::Value;

/// Mean Earth radius used for distances, km.
pub const EARTH_RADIUS_KM: f64 = 6371.0;

/// Coordinates are kept in millionths of a degree (about 0.1 m), so state compares exactly.
const MICRO: f64 = 1_000_000.0;

/// A GeoIP database that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("GeoIP database {}: {reason}", path.display())]
pub struct GeoError {
    /// The file as given.
    pub path: PathBuf,
    /// Why it cannot be used.
    pub reason: String,
}

/// The configured MaxMind databases: a City (or Country) database and an ASN database, each
/// optional.
#[derive(Default)]
pub struct GeoIp {
    city: Option<Reader<Vec<u8>>>,
    asn: Option<Reader<Vec<u8>>>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field(
                "city",
                &self.city.as_ref().map(|r| &r.metadata().database_type),
            )
            .field(
                "asn",
                &self.asn.as_ref().map(|r| &r.metadata().database_type),
            )
            .finish()
    }
}

/// What GeoIP answers for one address (each part when known).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lookup {
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub long: Option<f64>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Autonomous system organisation.
    pub as_org: Option<String>,
}

/// The parts of a City/Country record we read.
#[derive(Deserialize)]
struct CityRecord {
    location: Option<LocationRecord>,
    country: Option<CountryRecord>,
}

/// `location` of a City record.
#[derive(Deserialize)]
struct LocationRecord {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// `country` of a City/Country record.
#[derive(Deserialize)]
struct CountryRecord {
    iso_code: Option<String>,
}

/// An ASN record.
#[derive(Deserialize)]
struct AsnRecord {
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
}

impl GeoIp {
    /// Opens the databases given: `city` (GeoIP2/GeoLite2 City or Country) and `asn`
    /// (GeoLite2 ASN). An unreadable or malformed file is an error naming it.
    pub fn open(city: Option<&Path>, asn: Option<&Path>) -> Result<GeoIp, GeoError> {
        Ok(GeoIp {
            city: city.map(open_reader).transpose()?,
            asn: asn.map(open_reader).transpose()?,
        })
    }

    /// Whether a City/Country database is configured.
    pub fn has_city(&self) -> bool {
        self.city.is_some()
    }

    /// Whether an ASN database is configured.
    pub fn has_asn(&self) -> bool {
        self.asn.is_some()
    }

    /// What the databases know of `ip` (nothing for an address that has no place).
    pub fn lookup(&self, ip: IpAddr) -> Lookup {
        let mut out = Lookup::default();
        if !is_public(ip) {
            return out;
        }
        if let Some(rec) = self.city.as_ref().and_then(|r| decode::<CityRecord>(r, ip)) {
            if let Some(loc) = rec.location {
                out.lat = loc.latitude;
                out.long = loc.longitude;
            }
            out.country = rec.country.and_then(|c| c.iso_code);
        }
        if let Some(rec) = self.asn.as_ref().and_then(|r| decode::<AsnRecord>(r, ip)) {
            out.asn = rec.autonomous_system_number;
            out.as_org = rec.autonomous_system_organization;
        }
        out
    }
}

/// One database, read whole into memory.
fn open_reader(path: &Path) -> Result<Reader<Vec<u8>>, GeoError> {
    Reader::open_readfile(path).map_err(|e| GeoError {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The record for `ip`, when the database has one that decodes as `T`.
fn decode<T: for<'de> Deserialize<'de>>(reader: &Reader<Vec<u8>>, ip: IpAddr) -> Option<T> {
    let found = reader.lookup(ip).ok()?;
    found.decode::<T>().ok().flatten()
}

/// Whether `ip` can have a place: not private, loopback, link-local, shared, multicast,
/// broadcast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let shared = o[0] == 100 && (o[1] & 0xc0) == 64;
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || shared
                || o[0] == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            let unique_local = (first & 0xfe00) == 0xfc00;
            let link_local = (first & 0xffc0) == 0xfe80;
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || unique_local
                || link_local)
        }
    }
}

/// Where one event comes from, as the rules see it: what it carries, else what GeoIP says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Place {
    /// The source address, when it is one.
    pub ip: Option<IpAddr>,
    /// Latitude and longitude in millionths of a degree.
    pub coords: Option<(i64, i64)>,
    /// ISO country code, upper case.
    pub country: Option<String>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Autonomous system organisation.
    pub as_org: Option<String>,
}

impl Place {
    /// The place of `record`'s source: the event's own location and AS first, then `geo`.
    pub fn of(record: &Record<'_>, geo: Option<&GeoIp>) -> Place {
        let src = record.event.get("src_endpoint");
        // Member by member (a JSON pointer would unescape, and copy, every name).
        let at = |path: &[&str]| path.iter().try_fold(src?, |v: &Value, name| v.get(name));
        let ip = at(&["ip"])
            .and_then(Value::as_str)
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        let lat = at(&["location", "lat"]).and_then(Value::as_f64);
        let long = at(&["location", "long"]).and_then(Value::as_f64);
        let mut country = at(&["location", "country"])
            .and_then(Value::as_str)
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.trim().to_ascii_uppercase());
        let mut asn = at(&["autonomous_system", "number"])
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        let mut as_org = at(&["autonomous_system", "name"])
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut coords = match (lat, long) {
            (Some(lat), Some(long)) => micro(lat, long),
            _ => None,
        };
        let public = ip.filter(|ip| is_public(*ip));
        if let (Some(geo), Some(ip)) = (geo, public) {
            let needs_city = coords.is_none() || country.is_none();
            if needs_city || asn.is_none() {
                let found = geo.lookup(ip);
                if coords.is_none() {
                    coords = match (found.lat, found.long) {
                        (Some(lat), Some(long)) => micro(lat, long),
                        _ => None,
                    };
                }
                country = country.or(found.country.map(|c| c.to_ascii_uppercase()));
                if asn.is_none() {
                    asn = found.asn;
                    as_org = as_org.or(found.as_org);
                }
            }
        }
        Place {
            ip,
            coords,
            country,
            asn,
            as_org,
        }
    }
}

impl crate::rule::PlacePart {
    /// This part of `place`, as a first_seen rule remembers it.
    pub(crate) fn read(self, place: &Place) -> Option<String> {
        match self {
            crate::rule::PlacePart::Country => place.country.clone(),
            crate::rule::PlacePart::Asn => place.asn.map(|n| n.to_string()),
        }
    }
}

/// Valid coordinates in millionths of a degree.
fn micro(lat: f64, long: f64) -> Option<(i64, i64)> {
    let ok = lat.is_finite() && long.is_finite() && lat.abs() <= 90.0 && long.abs() <= 180.0;
    ok.then(|| ((lat * MICRO).round() as i64, (long * MICRO).round() as i64))
}

/// Degrees from millionths of a degree.
pub(crate) fn degrees(micro: i64) -> f64 {
    micro as f64 / MICRO
}

/// Great-circle distance between two points (millionths of a degree), km (haversine).
pub(crate) fn distance_km(a: (i64, i64), b: (i64, i64)) -> f64 {
    let (lat1, lon1) = (degrees(a.0).to_radians(), degrees(a.1).to_radians());
    let (lat2, lon2) = (degrees(b.0).to_radians(), degrees(b.1).to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_to_new_york_is_about_5840_km() {
        let paris = micro(48.8566, 2.3522).unwrap();
        let ny = micro(40.7128, -74.0060).unwrap();
        let d = distance_km(paris, ny);
        assert!((5830.0..5845.0).contains(&d), "{d}");
        assert_eq!(distance_km(paris, paris), 0.0);
    }

    #[test]
    fn private_addresses_have_no_place() {
        for ip in [
            "10.1.2.3",
            "192.168.0.1",
            "127.0.0.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_public("203.0.113.9".parse().unwrap()));
        assert!(is_public("2001:db8::1".parse().unwrap()));
    }
}
