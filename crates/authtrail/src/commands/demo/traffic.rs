//! The demo's traffic, one second at a time: people signing in through Okta with MFA and then
//! using an API behind a gateway, machines logging in over SSH, and every two minutes a brute
//! force over SSH, a password spray against Okta and a login from the other side of the world.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::{json, Value};

/// A person of the demo: login, name, home city, country, coordinates, address and network.
struct Person {
    login: &'static str,
    name: &'static str,
    city: &'static str,
    country: &'static str,
    lat: f64,
    lon: f64,
    ip: &'static str,
    asn: u32,
    as_org: &'static str,
}

const fn person(
    login: &'static str,
    name: &'static str,
    (city, country): (&'static str, &'static str),
    (lat, lon): (f64, f64),
    (ip, asn, as_org): (&'static str, u32, &'static str),
) -> Person {
    Person {
        login,
        name,
        city,
        country,
        lat,
        lon,
        ip,
        asn,
        as_org,
    }
}

/// The people who sign in every few seconds.
const PEOPLE: [Person; 7] = [
    person(
        "alice@example.com",
        "Alice Martin",
        ("Paris", "France"),
        (48.8566, 2.3522),
        ("192.0.2.10", 3215, "Orange"),
    ),
    person(
        "bob@example.com",
        "Bob Jones",
        ("London", "United Kingdom"),
        (51.5072, -0.1276),
        ("198.51.100.20", 2856, "BT"),
    ),
    person(
        "dave@example.com",
        "Dave Miller",
        ("New York", "United States"),
        (40.7128, -74.006),
        ("203.0.113.40", 7922, "Comcast"),
    ),
    person(
        "erin@example.com",
        "Erin Schmidt",
        ("Berlin", "Germany"),
        (52.52, 13.405),
        ("198.51.100.50", 3320, "Deutsche Telekom"),
    ),
    person(
        "frank@example.com",
        "Frank Garcia",
        ("Madrid", "Spain"),
        (40.4168, -3.7038),
        ("198.51.100.60", 3352, "Telefonica"),
    ),
    person(
        "grace@example.com",
        "Grace Lee",
        ("Toronto", "Canada"),
        (43.6532, -79.3832),
        ("203.0.113.70", 812, "Rogers"),
    ),
    person(
        "heidi@example.com",
        "Heidi de Vries",
        ("Amsterdam", "Netherlands"),
        (52.3676, 4.9041),
        ("192.0.2.80", 1136, "KPN"),
    ),
];

/// Carol, who signs in from Paris and two seconds later from Sydney.
const CAROL: Person = person(
    "carol@example.com",
    "Carol Dubois",
    ("Paris", "France"),
    (48.8566, 2.3522),
    ("192.0.2.30", 3215, "Orange"),
);
const CAROL_ABROAD: Person = Person {
    city: "Sydney",
    country: "Australia",
    lat: -33.8688,
    lon: 151.2093,
    ip: "203.0.113.200",
    asn: 1221,
    as_org: "Telstra",
    ..CAROL
};

/// Where a password spray comes from (the address's last number changes every cycle).
const SPRAYER: Person = person(
    "",
    "",
    ("Frankfurt", "Germany"),
    (50.1109, 8.6821),
    ("185.220.101.0", 60729, "Tor exit"),
);

/// Accounts a password spray tries.
const SPRAYED: [&str; 15] = [
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "erin@example.com",
    "frank@example.com",
    "grace@example.com",
    "heidi@example.com",
    "admin@example.com",
    "it@example.com",
    "hr@example.com",
    "finance@example.com",
    "ops@example.com",
    "sales@example.com",
    "support@example.com",
];

/// How often the attacks come back, in seconds.
const CYCLE: u64 = 120;

/// One second of traffic, per source.
#[derive(Default)]
pub struct Second {
    /// Okta System Log events, one JSON object per line.
    okta: Vec<String>,
    /// sshd syslog lines.
    sshd: Vec<String>,
    /// Gateway access log lines (nginx JSON).
    gateway: Vec<String>,
}

impl Second {
    /// The requests that post this second: (path and query, body).
    pub fn requests(self) -> Vec<(&'static str, String)> {
        [
            ("/v1/events?format=okta&source=okta", self.okta),
            ("/v1/raw?format=syslog&source=sshd", self.sshd),
            ("/v1/raw?format=nginx&source=gateway", self.gateway),
        ]
        .into_iter()
        .filter(|(_, lines)| !lines.is_empty())
        .map(|(path, lines)| (path, lines.join("\n") + "\n"))
        .collect()
    }
}

/// What the demo's world remembers between seconds.
pub struct World {
    /// Numbers events and sessions.
    counter: u64,
}

impl World {
    /// A world at its first second.
    pub fn new() -> World {
        World { counter: 0 }
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The traffic of second `tick`, stamped `now`.
    pub fn second(&mut self, tick: u64, now: Timestamp) -> Second {
        let mut s = Second::default();
        let (cycle, phase) = (tick / CYCLE, tick % CYCLE);
        // Someone signs in every second, with a mistyped password now and then, and uses the API.
        let who = &PEOPLE[(tick % PEOPLE.len() as u64) as usize];
        if tick % 9 == 4 {
            let uuid = self.next();
            s.okta.push(okta_event(
                uuid,
                now,
                "user.session.start",
                who,
                who.ip,
                false,
                None,
            ));
        }
        let session = format!("102demo{}", self.next());
        for kind in ["user.session.start", "user.authentication.auth_via_mfa"] {
            let uuid = self.next();
            s.okta.push(okta_event(
                uuid,
                now,
                kind,
                who,
                who.ip,
                true,
                Some(&session),
            ));
        }
        let cookie = format!("sess-{}", self.next());
        for (method, path) in [
            ("GET", "/api/orders"),
            ("GET", "/api/profile"),
            ("POST", "/api/cart"),
        ] {
            let id = self.next();
            s.gateway
                .push(gateway_line(now, who, &cookie, method, path, id));
        }
        // Machines over SSH.
        if tick.is_multiple_of(2) {
            s.sshd.push(sshd_line(now, 40_000 + tick % 20_000, "Accepted publickey for deploy from 10.20.0.5 port {port} ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4"));
        }
        if tick % 7 == 3 {
            s.sshd.push(sshd_line(
                now,
                41_000 + tick % 20_000,
                "Failed password for invalid user test from 10.20.0.9 port {port} ssh2",
            ));
        }
        // The attacks, every two minutes from new addresses.
        let n = cycle % 200;
        match phase {
            5 | 6 => {
                for i in 0..12 {
                    let text = format!(
                        "Failed password for root from 45.155.205.{} port {{port}} ssh2",
                        10 + n
                    );
                    s.sshd.push(sshd_line(now, 50_000 + i + phase * 100, &text));
                }
            }
            15..=17 => {
                let ip = format!("185.220.101.{}", 10 + n);
                let start = ((phase - 15) * 5) as usize;
                for &login in &SPRAYED[start..start + 5] {
                    let uuid = self.next();
                    let target = Person { login, ..SPRAYER };
                    s.okta.push(okta_event(
                        uuid,
                        now,
                        "user.session.start",
                        &target,
                        &ip,
                        false,
                        None,
                    ));
                }
            }
            25 | 27 => {
                let carol = if phase == 25 { &CAROL } else { &CAROL_ABROAD };
                let session = format!("102demo{}", self.next());
                for kind in ["user.session.start", "user.authentication.auth_via_mfa"] {
                    let uuid = self.next();
                    s.okta.push(okta_event(
                        uuid,
                        now,
                        kind,
                        carol,
                        carol.ip,
                        true,
                        Some(&session),
                    ));
                }
            }
            _ => {}
        }
        s
    }
}

/// An Okta System Log event of `kind` for `who`, a success or a failure.
fn okta_event(
    uuid: u64,
    now: Timestamp,
    kind: &str,
    who: &Person,
    ip: &str,
    ok: bool,
    session: Option<&str>,
) -> String {
    let outcome = if ok {
        json!({"result": "SUCCESS"})
    } else {
        json!({"result": "FAILURE", "reason": "INVALID_CREDENTIALS"})
    };
    let mut event = json!({
        "uuid": format!("demo-{uuid:08}"),
        "published": now.to_string(),
        "eventType": kind,
        "displayMessage": if kind.contains("mfa") { "Authentication of user via MFA" } else { "User login to Okta" },
        "severity": if ok { "INFO" } else { "WARN" },
        "actor": {"id": format!("00u{}", who.login.len()), "type": "User", "alternateId": who.login, "displayName": who.name},
        "client": {
            "ipAddress": ip,
            "userAgent": {"rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"},
            "geographicalContext": {"city": who.city, "country": who.country, "geolocation": {"lat": who.lat, "lon": who.lon}},
        },
        "securityContext": {"asNumber": who.asn, "asOrg": who.as_org},
        "outcome": outcome,
        "target": [{"id": "0oa1demo", "type": "AppInstance", "alternateId": "Okta Dashboard", "displayName": "Okta Dashboard"}],
    });
    if let Some(s) = session {
        event["authenticationContext"] = json!({"externalSessionId": s});
    }
    Value::to_string(&event)
}

/// An sshd line at `now` with `text`, its `{port}` replaced.
fn sshd_line(now: Timestamp, port: u64, text: &str) -> String {
    let stamp = now.to_zoned(TimeZone::UTC).strftime("%b %e %H:%M:%S");
    format!(
        "{stamp} bastion sshd[{}]: {}",
        2000 + port % 5000,
        text.replace("{port}", &port.to_string())
    )
}

/// A gateway access log line (nginx JSON) for `who` calling `path` in session `cookie`.
fn gateway_line(
    now: Timestamp,
    who: &Person,
    cookie: &str,
    method: &str,
    path: &str,
    id: u64,
) -> String {
    let time = now
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S+00:00");
    json!({
        "remote_addr": who.ip,
        "remote_user": who.login,
        "time_iso8601": time.to_string(),
        "request": format!("{method} {path} HTTP/1.1"),
        "status": "200",
        "body_bytes_sent": "512",
        "http_user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "http_cookie": format!("theme=dark; sessionid={cookie}"),
        "request_id": format!("req-{id}"),
        "http_host": "api.example.com",
        "request_time": "0.012",
    })
    .to_string()
}
