//! The `search_figures` input: a deterministic stream of realistic raw authentication records
//! from five sources, in time order, made to go through authtrail's real parsers.
//!
//! Sources (each its own input format, as a deployment would configure them):
//! - `okta`: Okta System Log JSON (`user.session.start`, `user.authentication.auth_via_mfa`,
//!   `user.authentication.sso`, `user.session.end`) with outcome, client IP, geographical
//!   context, user agent, session ids, transaction and request ids, targets;
//! - `sshd`: syslog lines in rsyslog's RFC 3339 file format: `Failed password` / `Accepted
//!   password` / `Failed password for invalid user`, PAM session opened / closed, sudo,
//!   `Disconnected from user`;
//! - `gateway`: Envoy JSON access logs carrying `Authorization: Bearer` tokens (hashed by the
//!   parser into `session.credential_uid`) and W3C `traceparent` headers;
//! - `login-api`: OTLP/JSON one-record log requests (NDJSON, as the Collector's file exporter
//!   writes) of an application's own identity events (`authtrail.login`, `authtrail.token.issue`,
//!   `authtrail.token.refresh`, `authtrail.logout`) with `session.id`, `authtrail.token.id` and a
//!   trace id;
//! - `windows`: a few Windows Security events as NXLog JSON (4624, 4625, 4634, 4672).
//!
//! Shape of the data: about `users` accounts (0.4% of them service accounts) drawn with a
//! Zipf–Mandelbrot skew (s = 1, q = 5); sessions of 5–20 events (web sign-in flows that go on
//! through the gateway and the application, API clients, SSH logins, Windows logons, and SSH
//! brute force from public addresses); each session has one client address, so that about 40%
//! of the events with an address come from 10.0.0.0/8 and the rest from public IPv4 (a few
//! IPv6); about 8% of the events are failures. Event times run over the 30 days before `now`, in
//! time order (sessions overlap; each source's clock is a little off, so the raw times jitter by
//! up to half a second against the order).
//!
//! One user, [`Generator::target_user`], is kept out of the skewed draw: it has a modest history
//! over the 30 days and exactly [`TARGET_RECENT`] events that name it (`user.name`) in the last
//! 24 hours, the answer `user=X since=24h` must find.
//!
//! Everything comes from one seeded splitmix64 stream: the same seed, event count, user count and
//! `now` give the same bytes. The generator never reads the datasets in `../shared`; the shapes
//! follow them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use authtrail_ingest::parse::gateway::secret_key;
use authtrail_ingest::InputFormat;

use crate::common::Rng;

/// Changes whenever the bytes generated for a seed change (a data dir built by another version
/// is not reused).
pub const GENERATOR_VERSION: u32 = 1;

/// Events naming the target user in the last 24 hours.
pub const TARGET_RECENT: u64 = 100;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// The time span of the data, ending at `now`.
pub const SPAN_MS: i64 = 30 * DAY;
/// No session lasts longer than this.
const SESSION_MAX_MS: i64 = 55 * 60_000;

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/// One input source: its format and the source name its entries get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Okta,
    Sshd,
    Gateway,
    LoginApi,
    Windows,
}

pub const SOURCES: [Source; 5] = [
    Source::Okta,
    Source::Sshd,
    Source::Gateway,
    Source::LoginApi,
    Source::Windows,
];

impl Source {
    pub fn index(self) -> usize {
        self as usize
    }

    /// The entries' source name.
    pub fn name(self) -> &'static str {
        match self {
            Source::Okta => "okta",
            Source::Sshd => "sshd",
            Source::Gateway => "gateway",
            Source::LoginApi => "login-api",
            Source::Windows => "windows",
        }
    }

    /// The input format it is ingested as.
    pub fn format(self) -> InputFormat {
        match self {
            Source::Okta => InputFormat::Okta,
            Source::Sshd => InputFormat::Syslog,
            Source::Gateway => InputFormat::Envoy,
            Source::LoginApi => InputFormat::Otlp,
            Source::Windows => InputFormat::Windows,
        }
    }
}

/// A piece of the stream: each source's records (one per line) in time order.
#[derive(Default, Clone)]
pub struct Window {
    /// Per source (by [`Source::index`]), the raw input.
    pub bodies: [Vec<u8>; 5],
    /// Per source, the records in `bodies`.
    pub records: [usize; 5],
}

impl Window {
    pub fn events(&self) -> usize {
        self.records.iter().sum()
    }
    pub fn bytes(&self) -> usize {
        self.bodies.iter().map(Vec::len).sum()
    }
}

/// What was generated so far (intended values, before any parsing).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub events: u64,
    pub by_source: [u64; 5],
    pub bytes_by_source: [u64; 5],
    pub sessions_by_kind: [u64; 5],
    /// Events whose outcome is a failure (`status_id` 2).
    pub failures: u64,
    /// Events with a client address, of them in 10.0.0.0/8, of them IPv6.
    pub with_ip: u64,
    pub ip_10: u64,
    pub ip_v6: u64,
    /// Events naming the target user, and of them in the last 24 hours.
    pub target_events: u64,
    pub target_recent: u64,
    pub first_ms: Option<i64>,
    pub last_ms: i64,
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const FIRST: [&str; 64] = [
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "christopher",
    "lisa",
    "daniel",
    "nancy",
    "matthew",
    "betty",
    "anthony",
    "margaret",
    "mark",
    "sandra",
    "donald",
    "ashley",
    "steven",
    "kimberly",
    "paul",
    "emily",
    "andrew",
    "donna",
    "joshua",
    "michelle",
    "kenneth",
    "carol",
    "kevin",
    "amanda",
    "brian",
    "melissa",
    "george",
    "deborah",
    "timothy",
    "stephanie",
    "ronald",
    "rebecca",
    "jason",
    "sharon",
    "edward",
    "laura",
    "jeffrey",
    "cynthia",
    "ryan",
    "kathleen",
    "jacob",
    "amy",
    "gary",
    "angela",
];

const LAST: [&str; 64] = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "gomez",
    "phillips",
    "evans",
    "turner",
    "diaz",
    "parker",
    "cruz",
    "edwards",
    "collins",
    "reyes",
    "stewart",
    "morris",
    "morales",
    "murphy",
];

const DOMAIN: &str = "example.com";

/// (city, state, country, postal code, lat, lon); the first is the head office.
const CITIES: [(&str, &str, &str, &str, f64, f64); 16] = [
    (
        "San Francisco",
        "California",
        "United States",
        "94105",
        37.7898,
        -122.3942,
    ),
    (
        "New York",
        "New York",
        "United States",
        "10001",
        40.7506,
        -73.9972,
    ),
    (
        "Austin",
        "Texas",
        "United States",
        "78701",
        30.2711,
        -97.7437,
    ),
    (
        "Chicago",
        "Illinois",
        "United States",
        "60601",
        41.8858,
        -87.6181,
    ),
    (
        "Seattle",
        "Washington",
        "United States",
        "98101",
        47.6101,
        -122.3344,
    ),
    (
        "Denver",
        "Colorado",
        "United States",
        "80202",
        39.7527,
        -104.9992,
    ),
    ("Toronto", "Ontario", "Canada", "M5H", 43.6511, -79.3832),
    (
        "London",
        "England",
        "United Kingdom",
        "EC2V",
        51.5142,
        -0.0931,
    ),
    ("Dublin", "Leinster", "Ireland", "D02", 53.3382, -6.2591),
    ("Paris", "Ile-de-France", "France", "75002", 48.8686, 2.3412),
    (
        "Berlin",
        "Land Berlin",
        "Germany",
        "10117",
        52.5170,
        13.3889,
    ),
    (
        "Amsterdam",
        "North Holland",
        "Netherlands",
        "1012",
        52.3740,
        4.8897,
    ),
    ("Madrid", "Madrid", "Spain", "28013", 40.4203, -3.7058),
    (
        "Bangalore",
        "Karnataka",
        "India",
        "560001",
        12.9716,
        77.5946,
    ),
    (
        "Singapore",
        "Central Singapore",
        "Singapore",
        "018989",
        1.2800,
        103.8500,
    ),
    (
        "Sydney",
        "New South Wales",
        "Australia",
        "2000",
        -33.8688,
        151.2093,
    ),
];

/// (raw user agent, Okta browser, Okta OS).
const BROWSERS: [(&str, &str, &str); 8] = [
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "CHROME", "Mac OS X"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "CHROME", "Windows 10"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67", "EDGE_CHROMIUM", "Windows 10"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "SAFARI", "Mac OS X"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "FIREFOX", "Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "FIREFOX", "Windows 10"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", "SAFARI", "iOS"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", "CHROME", "Android"),
];

const API_AGENTS: [&str; 5] = [
    "python-requests/2.31.0",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "aws-sdk-java/2.25.40 Linux/5.15.0 OpenJDK_64-Bit_Server_VM/17.0.10",
    "curl/8.5.0",
];

/// (Okta app display name, app instance id suffix).
const APPS: [&str; 8] = [
    "Salesforce",
    "Slack",
    "GitHub Enterprise Cloud",
    "Atlassian Cloud",
    "Workday",
    "Zoom",
    "AWS IAM Identity Center",
    "Google Workspace",
];

const WEB_PATHS: [&str; 8] = [
    "/api/v1/me",
    "/api/v1/orders",
    "/api/v1/orders/{}",
    "/api/v1/customers/{}",
    "/api/v2/invoices",
    "/api/v1/reports/{}/export",
    "/graphql",
    "/api/v1/notifications",
];

const API_PATHS: [&str; 6] = [
    "/api/v1/orders",
    "/api/v1/orders/{}",
    "/api/v1/inventory/{}",
    "/api/v2/invoices",
    "/api/v1/events",
    "/api/v1/customers/{}",
];

const SERVICES: [&str; 10] = [
    "billing-export",
    "inventory-sync",
    "crm-bridge",
    "report-builder",
    "ci-deployer",
    "backup-agent",
    "search-indexer",
    "notifier",
    "fraud-scorer",
    "ledger-replica",
];

const SSH_HOSTS: [&str; 8] = [
    "bastion-1",
    "bastion-2",
    "build-07",
    "db-primary-3",
    "web-prod-12",
    "web-prod-14",
    "k8s-node-21",
    "jump-eu-1",
];

const SUDO: [&str; 8] = [
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/journalctl -u app --since today",
    "/usr/bin/apt-get update",
    "/usr/bin/docker ps",
    "/usr/bin/tail -n 200 /var/log/app/app.log",
    "/usr/sbin/iptables -L -n",
    "/usr/bin/kubectl get pods -A",
    "/bin/cat /etc/app/config.yaml",
];

const ATTACK_NAMES: [&str; 14] = [
    "admin",
    "test",
    "oracle",
    "ubuntu",
    "postgres",
    "git",
    "user",
    "guest",
    "support",
    "deploy",
    "pi",
    "ftpuser",
    "hadoop",
    "webmaster",
];

const WIN_DC: &str = "DC01.corp.example.com";
const WIN_FILE: &str = "FS02.corp.example.com";

/// First octets of public IPv4 space the generator draws client addresses from.
const PUBLIC_V4: [u8; 24] = [
    23, 31, 37, 45, 52, 62, 66, 73, 77, 81, 86, 91, 98, 104, 109, 134, 151, 176, 185, 188, 193,
    203, 212, 217,
];

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

struct User {
    /// Okta login and OTLP `user.name` (an email address; a service account's plain name).
    email: String,
    /// The account name on Linux and Windows hosts.
    short: String,
    display: String,
    okta_id: String,
    corp_ip: Ipv4Addr,
    home_ip: IpAddr,
    city: u8,
    browser: u8,
    rid: u32,
    admin: bool,
}

struct Users {
    humans: Vec<User>,
    services: Vec<User>,
    /// Cumulative Zipf–Mandelbrot weights over the humans but the target, by rank.
    human_cdf: Vec<f64>,
    service_cdf: Vec<f64>,
    target: usize,
    attackers: Vec<IpAddr>,
}

fn zipf_cdf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|r| {
            acc += 1.0 / (r as f64 + 1.0 + 5.0);
            acc
        })
        .collect()
}

fn draw(cdf: &[f64], rng: &mut Rng) -> usize {
    let total = cdf.last().copied().unwrap_or(1.0);
    let u = unit(rng) * total;
    cdf.partition_point(|&c| c <= u).min(cdf.len() - 1)
}

fn unit(rng: &mut Rng) -> f64 {
    (rng.next() >> 11) as f64 / (1u64 << 53) as f64
}

fn chance(rng: &mut Rng, p: f64) -> bool {
    unit(rng) < p
}

fn range(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    lo + rng.below(hi - lo + 1)
}

fn public_v4(rng: &mut Rng) -> Ipv4Addr {
    Ipv4Addr::new(
        PUBLIC_V4[rng.below(PUBLIC_V4.len() as u64) as usize],
        rng.below(256) as u8,
        rng.below(256) as u8,
        1 + rng.below(254) as u8,
    )
}

fn public_v6(rng: &mut Rng) -> Ipv6Addr {
    let prefixes: [u16; 4] = [0x2a01, 0x2600, 0x2a02, 0x2001];
    Ipv6Addr::new(
        prefixes[rng.below(4) as usize],
        if rng.below(4) == 3 { 0x4860 } else { 0xe0a },
        rng.below(0x10000) as u16,
        rng.below(0x10000) as u16,
        rng.below(0x10000) as u16,
        rng.below(0x10000) as u16,
        rng.below(0x10000) as u16,
        1 + rng.below(0xfffe) as u16,
    )
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| BASE62[rng.below(62) as usize] as char)
        .collect()
}

fn hex(rng: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        let _ = write!(s, "{:016x}", rng.next());
    }
    s.truncate(n);
    s
}

fn uuid(rng: &mut Rng) -> String {
    let h = hex(rng, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

impl Users {
    fn new(count: usize, rng: &mut Rng) -> Users {
        let services_n = (count / 250).max(10);
        let humans_n = count.saturating_sub(services_n).max(100);
        let combos = FIRST.len() * LAST.len();
        let humans: Vec<User> = (0..humans_n)
            .map(|i| {
                let (f, l, n) = (
                    FIRST[i % FIRST.len()],
                    LAST[(i / FIRST.len()) % LAST.len()],
                    i / combos,
                );
                let suffix = if n == 0 { String::new() } else { n.to_string() };
                let home_ip = if chance(rng, 0.08) {
                    IpAddr::V6(public_v6(rng))
                } else {
                    IpAddr::V4(public_v4(rng))
                };
                User {
                    email: format!("{f}.{l}{suffix}@{DOMAIN}"),
                    short: format!("{}{l}{suffix}", &f[..1]),
                    display: format!(
                        "{}{} {}{}",
                        f[..1].to_uppercase(),
                        &f[1..],
                        l[..1].to_uppercase(),
                        &l[1..]
                    ),
                    okta_id: format!("00u{}", base62(rng, 17)),
                    corp_ip: Ipv4Addr::new(
                        10,
                        1 + rng.below(60) as u8,
                        rng.below(256) as u8,
                        1 + rng.below(254) as u8,
                    ),
                    home_ip,
                    city: rng.below(CITIES.len() as u64) as u8,
                    browser: rng.below(BROWSERS.len() as u64) as u8,
                    rid: 1100 + i as u32,
                    admin: i % 17 == 0,
                }
            })
            .collect();
        let services: Vec<User> = (0..services_n)
            .map(|i| {
                let name = format!(
                    "svc-{}-{}",
                    SERVICES[i % SERVICES.len()],
                    i / SERVICES.len()
                );
                User {
                    email: name.clone(),
                    short: name.clone(),
                    display: name.clone(),
                    okta_id: format!("00u{}", base62(rng, 17)),
                    corp_ip: Ipv4Addr::new(
                        10,
                        100 + rng.below(8) as u8,
                        rng.below(256) as u8,
                        1 + rng.below(254) as u8,
                    ),
                    home_ip: IpAddr::V4(public_v4(rng)),
                    city: 0,
                    browser: 0,
                    rid: 900 + i as u32,
                    admin: false,
                }
            })
            .collect();
        let attackers = (0..2000)
            .map(|_| {
                if chance(rng, 0.05) {
                    IpAddr::V6(public_v6(rng))
                } else {
                    IpAddr::V4(public_v4(rng))
                }
            })
            .collect();
        // The target: an ordinary user out of the skewed draw.
        let target = 4242 % humans.len();
        Users {
            human_cdf: zipf_cdf(humans.len() - 1),
            service_cdf: zipf_cdf(services.len()),
            humans,
            services,
            target,
            attackers,
        }
    }

    fn draw_human(&self, rng: &mut Rng) -> usize {
        let r = draw(&self.human_cdf, rng);
        if r >= self.target {
            r + 1
        } else {
            r
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions and their steps
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Web,
    Api,
    Ssh,
    Windows,
    Brute,
}

pub const KINDS: [&str; 5] = ["web", "api", "ssh", "windows", "brute"];

impl Kind {
    fn name(self) -> &'static str {
        KINDS[self as usize]
    }
}

/// Who a session's user is.
#[derive(Clone, Copy)]
enum Who {
    Human(usize),
    Service(usize),
    Nobody,
}

struct Session {
    kind: Kind,
    who: Who,
    ip: IpAddr,
    port: u16,
    city: u8,
    /// Okta `externalSessionId` / OTLP `session.id`.
    sid: String,
    root: String,
    tx: String,
    token: String,
    token_key: String,
    trace: String,
    host: u8,
    pid: u32,
    agent: u8,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    OktaStart {
        ok: bool,
    },
    OktaMfa {
        ok: bool,
    },
    OktaSso {
        app: u8,
    },
    OktaEnd,
    OtlpLogin,
    OtlpIssue,
    OtlpRefresh,
    OtlpLogout,
    GatewayCall {
        status: u16,
    },
    GatewayToken {
        status: u16,
    },
    SshFailed,
    SshAccepted,
    SshOpened,
    SshSudo {
        cmd: u8,
    },
    SshDisconnect,
    SshClosed,
    /// A brute-force attempt: its own connection (pid offset), a guessed name.
    SshGuess {
        name: u8,
        pid_offset: u16,
    },
    WinLogon {
        ok: bool,
        logon_type: u8,
        logon_id: u32,
    },
    WinPrivileges {
        logon_id: u32,
    },
    WinLogoff {
        logon_type: u8,
        logon_id: u32,
    },
}

impl Step {
    fn source(self) -> Source {
        match self {
            Step::OktaStart { .. }
            | Step::OktaMfa { .. }
            | Step::OktaSso { .. }
            | Step::OktaEnd => Source::Okta,
            Step::OtlpLogin | Step::OtlpIssue | Step::OtlpRefresh | Step::OtlpLogout => {
                Source::LoginApi
            }
            Step::GatewayCall { .. } | Step::GatewayToken { .. } => Source::Gateway,
            Step::SshFailed
            | Step::SshAccepted
            | Step::SshOpened
            | Step::SshSudo { .. }
            | Step::SshDisconnect
            | Step::SshClosed
            | Step::SshGuess { .. } => Source::Sshd,
            Step::WinLogon { .. } | Step::WinPrivileges { .. } | Step::WinLogoff { .. } => {
                Source::Windows
            }
        }
    }

    /// Whether the event it makes is a failure (`status_id` 2).
    fn failure(self) -> bool {
        match self {
            Step::OktaStart { ok } | Step::OktaMfa { ok } => !ok,
            Step::GatewayCall { status } => status >= 400,
            Step::GatewayToken { status } => (400..500).contains(&status),
            Step::SshFailed | Step::SshGuess { .. } => true,
            Step::WinLogon { ok, .. } => !ok,
            _ => false,
        }
    }

    /// Whether the event carries a client address.
    fn has_ip(self) -> bool {
        !matches!(
            self,
            Step::SshOpened
                | Step::SshSudo { .. }
                | Step::SshClosed
                | Step::WinPrivileges { .. }
                | Step::WinLogoff { .. }
        )
    }

    /// Whether the event's `user.name` is the session user's email (what `user=X` matches).
    fn names_email(self) -> bool {
        matches!(self.source(), Source::Okta | Source::LoginApi)
    }
}

struct Pending {
    time: i64,
    order: u64,
    session: Arc<Session>,
    step: Step,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.order) == (other.time, other.order)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.order).cmp(&(other.time, other.order))
    }
}

/// A session whose start time is fixed in advance (the target user's).
struct Planned {
    start: i64,
    session: Session,
    steps: Vec<(i64, Step)>,
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

/// Generator settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub events: u64,
    pub seed: u64,
    pub users: usize,
    /// The end of the data's time span (ms since the epoch).
    pub now_ms: i64,
}

pub struct Generator {
    cfg: Config,
    rng: Rng,
    users: Users,
    heap: BinaryHeap<Reverse<Pending>>,
    order: u64,
    /// Regular (not planned) events in the stream, and scheduled so far.
    regular: u64,
    scheduled: u64,
    planned: std::collections::VecDeque<Planned>,
    emitted: u64,
    t0: i64,
    pids: [u32; SSH_HOSTS.len()],
    logon_ids: u32,
    record_no: u64,
    /// A reservoir sample of (kind, session uid as stored) for traces.
    sample: Vec<(String, String)>,
    sessions_seen: u64,
    stats: Stats,
}

/// Sessions kept in the trace sample.
const SAMPLE: usize = 2048;

impl Generator {
    pub fn new(cfg: Config) -> Generator {
        let mut rng = Rng(cfg.seed ^ 0x005E_ED0F_A117_7A11);
        let users = Users::new(cfg.users, &mut rng);
        let mut g = Generator {
            cfg,
            rng: Rng(cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5),
            users,
            heap: BinaryHeap::new(),
            order: 0,
            regular: 0,
            scheduled: 0,
            planned: Default::default(),
            emitted: 0,
            t0: cfg.now_ms - SPAN_MS,
            pids: [0; SSH_HOSTS.len()],
            logon_ids: 0x3a_0000,
            record_no: 4_000_000,
            sample: Vec::new(),
            sessions_seen: 0,
            stats: Stats::default(),
        };
        for (i, pid) in g.pids.iter_mut().enumerate() {
            *pid = 2000 + (i as u32) * 97_003 % 400_000;
        }
        g.plan_target();
        let planned: u64 = g.planned.iter().map(|p| p.steps.len() as u64).sum();
        g.regular = cfg.events.saturating_sub(planned);
        g
    }

    /// The target user's name as `user=` matches it.
    pub fn target_user(&self) -> &str {
        &self.users.humans[self.users.target].email
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Up to `SAMPLE` sessions seen so far: (kind, session uid as the parsers store it).
    pub fn session_sample(&self) -> &[(String, String)] {
        &self.sample
    }

    /// The target's sessions: a modest history over the span, and sessions in the last day
    /// (starting 23 h before `now`, every 30 min) until exactly `TARGET_RECENT` events name it.
    fn plan_target(&mut self) {
        let mut rng = Rng(self.cfg.seed ^ 0x007A_46E7);
        let now = self.cfg.now_ms;
        let scale = (self.cfg.events as f64 / 1e6).min(1.0);
        let old = (232.0 * scale).round() as usize;
        let mut starts: Vec<i64> = (0..old)
            .map(|_| self.t0 + rng.below((SPAN_MS - 25 * HOUR) as u64) as i64)
            .collect();
        starts.sort_unstable();
        let who = Who::Human(self.users.target);
        for start in starts {
            let len = range(&mut rng, 5, 20) as usize;
            let (session, steps) = self.plan(Kind::Web, who, len, &mut rng);
            self.planned.push_back(Planned {
                start,
                session,
                steps,
            });
        }
        let mut named = 0;
        let mut start = now - 23 * HOUR;
        while named < TARGET_RECENT {
            let len = range(&mut rng, 5, 20) as usize;
            let (session, mut steps) = self.plan(Kind::Web, who, len, &mut rng);
            // Cut the last session where the count is reached.
            let mut keep = 0;
            for (_, step) in &steps {
                if named == TARGET_RECENT {
                    break;
                }
                keep += 1;
                named += u64::from(step.names_email());
            }
            steps.truncate(keep);
            self.planned.push_back(Planned {
                start,
                session,
                steps,
            });
            start += 30 * 60_000;
            assert!(
                start < now - HOUR,
                "the target's recent sessions overflow the day"
            );
        }
    }

    /// Start time of the next regular session, if any is left.
    fn next_regular_start(&self) -> Option<i64> {
        (self.scheduled < self.regular).then(|| {
            let span = (SPAN_MS - HOUR) as f64;
            self.t0 + (span * self.scheduled as f64 / self.regular as f64) as i64
        })
    }

    fn next_start(&self) -> Option<i64> {
        match (
            self.next_regular_start(),
            self.planned.front().map(|p| p.start),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Puts the next session's events in the heap.
    fn start_next(&mut self) {
        let regular = self.next_regular_start();
        let planned = self.planned.front().map(|p| p.start);
        let take_planned = match (regular, planned) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(r), Some(p)) => p <= r,
        };
        let (start, session, steps) = if take_planned {
            let Some(p) = self.planned.pop_front() else {
                return;
            };
            (p.start, p.session, p.steps)
        } else if let Some(start) = regular {
            let mut rng = Rng(self.rng.next());
            let kind = match unit(&mut rng) {
                u if u < 0.50 => Kind::Web,
                u if u < 0.72 => Kind::Api,
                u if u < 0.91 => Kind::Ssh,
                u if u < 0.95 => Kind::Windows,
                _ => Kind::Brute,
            };
            let who = match kind {
                Kind::Api => Who::Service(draw(&self.users.service_cdf, &mut rng)),
                Kind::Brute => Who::Nobody,
                _ => Who::Human(self.users.draw_human(&mut rng)),
            };
            let left = self.regular - self.scheduled;
            let len = (range(&mut rng, 5, 20)).min(left) as usize;
            let (session, steps) = self.plan(kind, who, len, &mut rng);
            self.scheduled += steps.len() as u64;
            (start, session, steps)
        } else {
            return;
        };
        self.stats.sessions_by_kind[session.kind as usize] += 1;
        self.note_sample(&session);
        let session = Arc::new(session);
        for (offset, step) in steps {
            self.order += 1;
            self.heap.push(Reverse(Pending {
                time: start + offset,
                order: self.order,
                session: session.clone(),
                step,
            }));
        }
    }

    fn note_sample(&mut self, s: &Session) {
        let uid = match s.kind {
            Kind::Web | Kind::Api => s.sid.clone(),
            Kind::Ssh | Kind::Brute => format!("{}/sshd[{}]", SSH_HOSTS[s.host as usize], s.pid),
            Kind::Windows => format!("{}/0x{:x}", WIN_DC.to_ascii_lowercase(), s.pid),
        };
        self.sessions_seen += 1;
        if self.sample.len() < SAMPLE {
            self.sample.push((s.kind.name().to_string(), uid));
        } else {
            let j = self.rng.below(self.sessions_seen) as usize;
            if j < SAMPLE {
                self.sample[j] = (s.kind.name().to_string(), uid);
            }
        }
    }

    /// A session of `kind` for `who`: its constants and `len` steps at offsets from its start.
    fn plan(
        &mut self,
        kind: Kind,
        who: Who,
        len: usize,
        rng: &mut Rng,
    ) -> (Session, Vec<(i64, Step)>) {
        let (ip, city, agent) = self.client(kind, who, rng);
        let host = rng.below(SSH_HOSTS.len() as u64) as u8;
        let pid = match kind {
            Kind::Ssh | Kind::Brute => {
                let p = &mut self.pids[host as usize];
                *p = 1000 + (*p + range(rng, 3, 400) as u32 + 25) % 4_000_000;
                *p
            }
            Kind::Windows => {
                self.logon_ids = self.logon_ids.wrapping_add(range(rng, 16, 4000) as u32);
                self.logon_ids
            }
            _ => 0,
        };
        let token = base62(rng, 43);
        let session = Session {
            kind,
            who,
            ip,
            port: range(rng, 32768, 60999) as u16,
            city,
            sid: match kind {
                Kind::Api => format!("sess_{}", base62(rng, 24)),
                _ => format!("102{}", base62(rng, 22)),
            },
            root: format!("idx{}", base62(rng, 22)),
            tx: base62(rng, 27),
            token_key: secret_key(&token),
            token,
            trace: hex(rng, 32),
            host,
            pid,
            agent,
        };
        let mut steps = match kind {
            Kind::Web => web_steps(len, rng),
            Kind::Api => api_steps(len, rng),
            Kind::Ssh => ssh_steps(len, rng),
            Kind::Windows => {
                let admin = matches!(who, Who::Human(i) if self.users.humans[i].admin);
                self.windows_steps(len, pid, admin, rng)
            }
            Kind::Brute => (0..len)
                .map(|i| {
                    let name = if chance(rng, 0.3) {
                        u8::MAX
                    } else {
                        rng.below(ATTACK_NAMES.len() as u64) as u8
                    };
                    Step::SshGuess {
                        name,
                        pid_offset: (i * 3) as u16,
                    }
                })
                .collect(),
        };
        steps.truncate(len);
        // Offsets: sorted, first at 0, within the session's duration.
        let duration = match kind {
            Kind::Brute => range(rng, 5_000, 120_000),
            Kind::Api => range(rng, 2_000, 20 * 60_000),
            _ => range(rng, 60_000, SESSION_MAX_MS as u64),
        } as i64;
        let mut offsets: Vec<i64> = (0..steps.len())
            .map(|i| {
                if i == 0 {
                    0
                } else {
                    rng.below(duration as u64) as i64
                }
            })
            .collect();
        offsets.sort_unstable();
        (session, offsets.into_iter().zip(steps).collect())
    }

    /// A session's client address, city and agent.
    fn client(&self, kind: Kind, who: Who, rng: &mut Rng) -> (IpAddr, u8, u8) {
        let corp_p = match kind {
            Kind::Web => 0.32,
            Kind::Api | Kind::Ssh => 0.6,
            Kind::Windows => 1.0,
            Kind::Brute => 0.0,
        };
        match who {
            Who::Human(i) => {
                let u = &self.users.humans[i];
                if chance(rng, corp_p) {
                    (IpAddr::V4(u.corp_ip), 0, u.browser)
                } else if chance(rng, 0.85) {
                    (u.home_ip, u.city, u.browser)
                } else {
                    let ip = if chance(rng, 0.08) {
                        IpAddr::V6(public_v6(rng))
                    } else {
                        IpAddr::V4(public_v4(rng))
                    };
                    (ip, rng.below(CITIES.len() as u64) as u8, u.browser)
                }
            }
            Who::Service(i) => {
                let u = &self.users.services[i];
                let ip = if chance(rng, corp_p) {
                    IpAddr::V4(u.corp_ip)
                } else {
                    u.home_ip
                };
                (ip, 0, rng.below(API_AGENTS.len() as u64) as u8)
            }
            Who::Nobody => {
                let ip =
                    self.users.attackers[rng.below(self.users.attackers.len() as u64) as usize];
                (ip, rng.below(CITIES.len() as u64) as u8, 0)
            }
        }
    }

    fn windows_steps(
        &mut self,
        len: usize,
        logon_id: u32,
        admin: bool,
        rng: &mut Rng,
    ) -> Vec<Step> {
        let mut steps = Vec::with_capacity(len);
        if chance(rng, 0.25) {
            steps.push(Step::WinLogon {
                ok: false,
                logon_type: 10,
                logon_id: 0,
            });
        }
        let logon_type = if chance(rng, 0.4) { 10 } else { 2 };
        steps.push(Step::WinLogon {
            ok: true,
            logon_type,
            logon_id,
        });
        if admin {
            steps.push(Step::WinPrivileges { logon_id });
        }
        while steps.len() + 1 < len {
            self.logon_ids = self.logon_ids.wrapping_add(range(rng, 16, 4000) as u32);
            let id = self.logon_ids;
            steps.push(Step::WinLogon {
                ok: true,
                logon_type: 3,
                logon_id: id,
            });
            if steps.len() + 1 < len {
                steps.push(Step::WinLogoff {
                    logon_type: 3,
                    logon_id: id,
                });
            }
        }
        steps.push(Step::WinLogoff {
            logon_type,
            logon_id,
        });
        steps
    }

    /// The next window of up to `max` events, or `None` at the end of the stream.
    pub fn next_window(&mut self, max: usize) -> Option<Window> {
        if self.emitted >= self.cfg.events {
            return None;
        }
        let mut w = Window::default();
        while w.events() < max {
            // Start every session that begins before the earliest pending event.
            while let Some(start) = self.next_start() {
                match self.heap.peek() {
                    Some(Reverse(p)) if p.time < start => break,
                    _ => self.start_next(),
                }
            }
            let Some(Reverse(p)) = self.heap.pop() else {
                break;
            };
            self.render(&p, &mut w);
            self.emitted += 1;
        }
        (w.events() > 0).then_some(w)
    }

    // -----------------------------------------------------------------------------------------
    // Rendering
    // -----------------------------------------------------------------------------------------

    fn render(&mut self, p: &Pending, w: &mut Window) {
        let source = p.step.source();
        let out = &mut w.bodies[source.index()];
        let before = out.len();
        let s = &*p.session;
        let mut rng = Rng(self.rng.next());
        // Each source's clock is a little off.
        let t = p.time
            + match source {
                Source::Sshd | Source::Windows => rng.below(500) as i64,
                _ => 0,
            };
        match p.step {
            Step::OktaStart { .. }
            | Step::OktaMfa { .. }
            | Step::OktaSso { .. }
            | Step::OktaEnd => self.okta(out, s, p.step, t, &mut rng),
            Step::OtlpLogin | Step::OtlpIssue | Step::OtlpRefresh | Step::OtlpLogout => {
                self.otlp(out, s, p.step, t, &mut rng)
            }
            Step::GatewayCall { .. } | Step::GatewayToken { .. } => {
                self.gateway(out, s, p.step, t, &mut rng)
            }
            Step::WinLogon { .. } | Step::WinPrivileges { .. } | Step::WinLogoff { .. } => {
                self.windows(out, s, p.step, t, &mut rng)
            }
            _ => self.sshd(out, s, p.step, t, &mut rng),
        }
        out.push(b'\n');
        w.records[source.index()] += 1;

        let st = &mut self.stats;
        st.events += 1;
        st.by_source[source.index()] += 1;
        st.bytes_by_source[source.index()] += (out.len() - before) as u64;
        st.failures += u64::from(p.step.failure());
        if p.step.has_ip() {
            st.with_ip += 1;
            match s.ip {
                IpAddr::V4(v4) => st.ip_10 += u64::from(v4.octets()[0] == 10),
                IpAddr::V6(_) => st.ip_v6 += 1,
            }
        }
        if matches!(s.who, Who::Human(i) if i == self.users.target) && p.step.names_email() {
            st.target_events += 1;
            if p.time >= self.cfg.now_ms - DAY {
                st.target_recent += 1;
            }
        }
        st.first_ms.get_or_insert(p.time);
        st.last_ms = st.last_ms.max(p.time);
    }

    fn user(&self, s: &Session) -> &User {
        match s.who {
            Who::Human(i) => &self.users.humans[i],
            Who::Service(i) => &self.users.services[i],
            Who::Nobody => &self.users.humans[0],
        }
    }

    fn okta(&self, out: &mut Vec<u8>, s: &Session, step: Step, t: i64, rng: &mut Rng) {
        let u = self.user(s);
        let (event_type, legacy, display, result, reason, mfa) = match step {
            Step::OktaStart { ok: true } => (
                "user.session.start",
                "core.user_auth.login_success",
                "User login to Okta",
                "SUCCESS",
                None,
                false,
            ),
            Step::OktaStart { ok: false } => (
                "user.session.start",
                "core.user_auth.login_failed",
                "User login to Okta",
                "FAILURE",
                Some("INVALID_CREDENTIALS"),
                false,
            ),
            Step::OktaMfa { ok: true } => (
                "user.authentication.auth_via_mfa",
                "core.user.factor.attempt_success",
                "Authentication of user via MFA",
                "SUCCESS",
                None,
                true,
            ),
            Step::OktaMfa { ok: false } => (
                "user.authentication.auth_via_mfa",
                "core.user.factor.attempt_fail",
                "Authentication of user via MFA",
                "FAILURE",
                Some("INVALID_CREDENTIALS"),
                true,
            ),
            Step::OktaSso { .. } => (
                "user.authentication.sso",
                "app.auth.sso",
                "User single sign on to app",
                "SUCCESS",
                None,
                false,
            ),
            _ => (
                "user.session.end",
                "core.user_auth.logout_success",
                "User logout from Okta",
                "SUCCESS",
                None,
                false,
            ),
        };
        let (city, state, country, postal, lat, lon) = CITIES[s.city as usize];
        let (ua, browser, os) = BROWSERS[s.agent as usize % BROWSERS.len()];
        let version = if s.ip.is_ipv4() { "V4" } else { "V6" };
        let geo = format!(
            r#"{{"city":"{city}","state":"{state}","country":"{country}","postalCode":"{postal}","geolocation":{{"lat":{lat:.4},"lon":{lon:.4}}}}}"#
        );
        let reason = reason.map_or("null".to_string(), |r| format!("\"{r}\""));
        let credential = if mfa { r#""OTP""# } else { r#""PASSWORD""# };
        let corp = matches!(s.ip, IpAddr::V4(v4) if v4.octets()[0] == 10);
        let (org, domain) = if corp {
            ("example corp", DOMAIN)
        } else {
            ("comcast cable communications llc", "comcast.net")
        };
        let _ = write!(
            out,
            r#"{{"actor":{{"id":"{}","type":"User","alternateId":"{}","displayName":"{}","detailEntry":null}},"client":{{"userAgent":{{"rawUserAgent":"{ua}","os":"{os}","browser":"{browser}"}},"zone":"null","device":"Computer","id":null,"ipAddress":"{}","geographicalContext":{geo}}},"device":null,"authenticationContext":{{"authenticationProvider":null,"credentialProvider":null,"credentialType":{credential},"issuer":null,"interface":null,"authenticationStep":0,"rootSessionId":"{}","externalSessionId":"{}"}},"displayMessage":"{display}","eventType":"{event_type}","outcome":{{"result":"{result}","reason":{reason}}},"published":""#,
            u.okta_id, u.email, u.display, s.ip, s.root, s.sid,
        );
        rfc3339_ms(out, t);
        let _ = write!(
            out,
            r#"","securityContext":{{"asNumber":{},"asOrg":"{}","isp":"{}","domain":"{}","isProxy":false}},"severity":"{}","debugContext":{{"debugData":{{"requestId":"{}","requestUri":"/idp/idx/{}","url":"/idp/idx/{}?","dtHash":"{}"}}}},"legacyEventType":"{legacy}","transaction":{{"type":"WEB","id":"{}","detail":{{}}}},"uuid":"{}","version":"0","request":{{"ipChain":[{{"ip":"{}","geographicalContext":{geo},"version":"{version}","source":null}}]}},"target":"#,
            if corp { 64512 } else { 7922 + rng.below(60000) },
            org,
            org,
            domain,
            if result == "SUCCESS" { "INFO" } else { "WARN" },
            base62(rng, 27),
            if mfa { "challenge/answer" } else { "identify" },
            if mfa { "challenge/answer" } else { "identify" },
            hex(rng, 64),
            s.tx,
            uuid(rng),
            s.ip,
        );
        match step {
            Step::OktaSso { app } => {
                let _ = write!(
                    out,
                    r#"[{{"id":"0oa{}","type":"AppInstance","alternateId":"{}","displayName":"{}","detailEntry":{{"signOnModeType":"SAML_2_0"}}}},{{"id":"0ua{}","type":"AppUser","alternateId":"{}","displayName":"{}","detailEntry":null}}]}}"#,
                    base62(rng, 17),
                    APPS[app as usize],
                    APPS[app as usize],
                    base62(rng, 17),
                    u.email,
                    u.display,
                );
            }
            _ => {
                let _ = write!(
                    out,
                    r#"[{{"id":"{}","type":"AuthenticatorEnrollment","alternateId":"unknown","displayName":"{}","detailEntry":null}}]}}"#,
                    format_args!("pfd{}", base62(rng, 17)),
                    if mfa { "Okta Verify" } else { "Password" },
                );
            }
        }
    }

    fn otlp(&self, out: &mut Vec<u8>, s: &Session, step: Step, t: i64, rng: &mut Rng) {
        let u = self.user(s);
        let (service, host) = match s.kind {
            Kind::Api => ("token-service", "token-2.example.internal"),
            _ => ("login-api", "login-1.example.internal"),
        };
        let (event, body) = match step {
            Step::OtlpLogin => ("authtrail.login", format!("{} signed in", u.email)),
            Step::OtlpIssue => ("authtrail.token.issue", "access token issued".to_string()),
            Step::OtlpRefresh => (
                "authtrail.token.refresh",
                "access token refreshed".to_string(),
            ),
            _ => ("authtrail.logout", format!("{} signed out", u.email)),
        };
        let ns = t as i128 * 1_000_000 + i128::from(rng.below(1_000_000) as u32);
        let _ = write!(
            out,
            r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}},{{"key":"service.namespace","value":{{"stringValue":"example"}}}},{{"key":"service.version","value":{{"stringValue":"3.14.2"}}}},{{"key":"host.name","value":{{"stringValue":"{host}"}}}},{{"key":"deployment.environment","value":{{"stringValue":"production"}}}}]}},"scopeLogs":[{{"scope":{{"name":"com.example.identity.audit","version":"1.8.0"}},"logRecords":[{{"timeUnixNano":"{ns}","observedTimeUnixNano":"{}","severityNumber":9,"severityText":"INFO","eventName":"{event}","body":{{"stringValue":"{body}"}},"traceId":"{}","spanId":"{}","attributes":[{{"key":"user.id","value":{{"stringValue":"{}"}}}},{{"key":"user.name","value":{{"stringValue":"{}"}}}},{{"key":"client.address","value":{{"stringValue":"{}"}}}},{{"key":"client.port","value":{{"intValue":"{}"}}}},"#,
            ns + 2_000_000,
            s.trace,
            hex(rng, 16),
            u.okta_id,
            u.email,
            s.ip,
            s.port,
        );
        if s.kind != Kind::Api {
            let (ua, _, _) = BROWSERS[s.agent as usize % BROWSERS.len()];
            let _ = write!(
                out,
                r#"{{"key":"user_agent.original","value":{{"stringValue":"{ua}"}}}},"#
            );
        }
        let _ = write!(
            out,
            r#"{{"key":"session.id","value":{{"stringValue":"{}"}}}},{{"key":"authtrail.token.id","value":{{"stringValue":"{}"}}}},{{"key":"authtrail.outcome","value":{{"stringValue":"success"}}}},{{"key":"authtrail.auth_protocol","value":{{"stringValue":"{}"}}}},{{"key":"http.route","value":{{"stringValue":"{}"}}}}]}}]}}]}}]}}"#,
            s.sid,
            s.token_key,
            if s.kind == Kind::Api {
                "oauth2"
            } else {
                "oidc"
            },
            match step {
                Step::OtlpLogin => "/login/callback",
                Step::OtlpLogout => "/logout",
                _ => "/oauth2/token",
            },
        );
    }

    fn gateway(&self, out: &mut Vec<u8>, s: &Session, step: Step, t: i64, rng: &mut Rng) {
        let (method, path, status, host) = match step {
            Step::GatewayToken { status } => (
                "POST",
                "/oauth2/token".to_string(),
                status,
                "auth.example.com",
            ),
            Step::GatewayCall { status } => {
                let paths: &[&str] = if s.kind == Kind::Api {
                    &API_PATHS
                } else {
                    &WEB_PATHS
                };
                let p = paths[rng.below(paths.len() as u64) as usize]
                    .replace("{}", &range(rng, 1000, 999_999).to_string());
                let method = if rng.below(5) == 0 { "POST" } else { "GET" };
                (
                    method,
                    p,
                    status,
                    if s.kind == Kind::Api {
                        "api.example.com"
                    } else {
                        "app.example.com"
                    },
                )
            }
            _ => unreachable!("not a gateway step"),
        };
        let ua = if s.kind == Kind::Api {
            API_AGENTS[s.agent as usize % API_AGENTS.len()]
        } else {
            BROWSERS[s.agent as usize % BROWSERS.len()].0
        };
        let remote = match s.ip {
            IpAddr::V4(v4) => format!("{v4}:{}", s.port),
            IpAddr::V6(v6) => format!("[{v6}]:{}", s.port),
        };
        let sent = if status < 300 {
            range(rng, 120, 48_000)
        } else {
            range(rng, 20, 300)
        };
        let duration = range(rng, 1, 250);
        let _ = write!(out, r#"{{"start_time":""#);
        rfc3339_ms(out, t);
        let _ = write!(
            out,
            r#"","method":"{method}","x-envoy-origin-path":"{path}","protocol":"HTTP/2","response_code":{status},"response_flags":"-","response_code_details":"{}","bytes_received":{},"bytes_sent":{sent},"duration":{duration},"x-envoy-upstream-service-time":"{}","x-forwarded-for":null,"user-agent":"{ua}","x-request-id":"{}",":authority":"{host}","upstream_host":"10.42.{}.{}:8080","upstream_cluster":"outbound|8080||{}.prod.svc.cluster.local","downstream_local_address":"10.42.0.77:10443","downstream_remote_address":"{remote}","route_name":"default","authorization":"Bearer {}","traceparent":"00-{}-{}-01"}}"#,
            if status == 401 {
                "ext_authz_denied"
            } else {
                "via_upstream"
            },
            if method == "POST" {
                range(rng, 40, 4000)
            } else {
                0
            },
            duration.saturating_sub(1),
            uuid(rng),
            rng.below(4),
            range(rng, 2, 250),
            if host.starts_with("auth") {
                "auth"
            } else {
                "api"
            },
            s.token,
            s.trace,
            hex(rng, 16),
        );
    }

    fn sshd(&self, out: &mut Vec<u8>, s: &Session, step: Step, t: i64, rng: &mut Rng) {
        let host = SSH_HOSTS[s.host as usize];
        let name = &self.user(s).short;
        rfc3339_us(out, t, rng);
        let _ = write!(out, " {host} ");
        let pid = s.pid;
        let _ = match step {
            Step::SshFailed => write!(out, "sshd[{pid}]: Failed password for {name} from {} port {} ssh2", s.ip, s.port),
            Step::SshAccepted => write!(out, "sshd[{pid}]: Accepted password for {name} from {} port {} ssh2", s.ip, s.port),
            Step::SshOpened => write!(out, "sshd[{pid}]: pam_unix(sshd:session): session opened for user {name}(uid={}) by (uid=0)", 1000 + self.user(s).rid % 50_000),
            Step::SshSudo { cmd } => write!(
                out,
                "sudo[{}]: {name} : TTY=pts/{} ; PWD=/home/{name} ; USER=root ; COMMAND={}",
                pid + 7 + u32::from(cmd),
                pid % 8,
                SUDO[cmd as usize],
            ),
            Step::SshDisconnect => write!(out, "sshd[{pid}]: Disconnected from user {name} {} port {}", s.ip, s.port),
            Step::SshClosed => write!(out, "sshd[{pid}]: pam_unix(sshd:session): session closed for user {name}"),
            Step::SshGuess { name: n, pid_offset } => {
                let pid = pid + u32::from(pid_offset);
                let port = range(rng, 32768, 60999);
                if n == u8::MAX {
                    write!(out, "sshd[{pid}]: Failed password for root from {} port {port} ssh2", s.ip)
                } else {
                    write!(out, "sshd[{pid}]: Failed password for invalid user {} from {} port {port} ssh2", ATTACK_NAMES[n as usize], s.ip)
                }
            }
            _ => unreachable!("not an sshd step"),
        };
    }

    fn windows(&mut self, out: &mut Vec<u8>, s: &Session, step: Step, t: i64, rng: &mut Rng) {
        self.record_no += 1 + rng.below(40);
        let record_no = self.record_no;
        let u = self.user(s);
        // Network logons are to the file server, the others to the domain controller.
        let host = match step {
            Step::WinLogon { logon_type: 3, .. } | Step::WinLogoff { logon_type: 3, .. } => {
                WIN_FILE
            }
            _ => WIN_DC,
        };
        let (event_id, ok, keywords, category, task) = match step {
            Step::WinLogon { ok: true, .. } => (4624, true, "-9214364837600034816", "Logon", 12544),
            Step::WinLogon { ok: false, .. } => {
                (4625, false, "-9218868437227405312", "Logon", 12544)
            }
            Step::WinPrivileges { .. } => {
                (4672, true, "-9214364837600034816", "Special Logon", 12548)
            }
            _ => (4634, true, "-9214364837600034816", "Logoff", 12545),
        };
        let _ = write!(out, r#"{{"EventTime":""#);
        win_time(out, t);
        let _ = write!(
            out,
            r#"","Hostname":"{host}","Keywords":{keywords},"EventType":"{}","SeverityValue":{},"Severity":"{}","EventID":{event_id},"SourceName":"Microsoft-Windows-Security-Auditing","ProviderGuid":"{{54849625-5478-4994-A5BA-3E3B0328C30D}}","Version":{},"Task":{task},"OpcodeValue":0,"RecordNumber":{},"ExecutionProcessID":{},"ExecutionThreadID":{},"Channel":"Security","Category":"{category}","Opcode":"Info","#,
            if ok { "AUDIT_SUCCESS" } else { "AUDIT_FAILURE" },
            if ok { 2 } else { 4 },
            if ok { "INFO" } else { "ERROR" },
            if event_id == 4624 { 2 } else { 0 },
            record_no,
            640 + rng.below(100),
            1000 + rng.below(8000),
        );
        let sid = format!("S-1-5-21-3623811015-3361044348-30300820-{}", u.rid);
        let domain = "CORP";
        let ip = s.ip.to_string();
        match step {
            Step::WinLogon {
                ok,
                logon_type,
                logon_id,
            } => {
                let workstation = format!("WS-{:04}", u.rid % 9000);
                let (process, package) = match logon_type {
                    3 => ("NtLmSsp ", "NTLM"),
                    10 => ("User32 ", "Negotiate"),
                    _ => ("User32 ", "Negotiate"),
                };
                let message = if ok {
                    format!(
                        r"An account was successfully logged on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n\tAccount Name:\t\tDC01$\r\n\tAccount Domain:\t\t{domain}\r\n\tLogon ID:\t\t0x3E7\r\n\r\nLogon Information:\r\n\tLogon Type:\t\t{logon_type}\r\n\tRestricted Admin Mode:\t-\r\n\tVirtual Account:\t\tNo\r\n\tElevated Token:\t\tYes\r\n\r\nImpersonation Level:\t\tImpersonation\r\n\r\nNew Logon:\r\n\tSecurity ID:\t\t{sid}\r\n\tAccount Name:\t\t{}\r\n\tAccount Domain:\t\t{domain}\r\n\tLogon ID:\t\t0x{logon_id:X}\r\n\r\nNetwork Information:\r\n\tWorkstation Name:\t{workstation}\r\n\tSource Network Address:\t{ip}\r\n\tSource Port:\t\t{}\r\n\r\nDetailed Authentication Information:\r\n\tLogon Process:\t\t{process}\r\n\tAuthentication Package:\t{package}",
                        u.short, s.port
                    )
                } else {
                    format!(
                        r"An account failed to log on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n\tAccount Name:\t\tDC01$\r\n\tAccount Domain:\t\t{domain}\r\n\tLogon ID:\t\t0x3E7\r\n\r\nLogon Type:\t\t\t{logon_type}\r\n\r\nAccount For Which Logon Failed:\r\n\tSecurity ID:\t\tS-1-0-0\r\n\tAccount Name:\t\t{}\r\n\tAccount Domain:\t\t{domain}\r\n\r\nFailure Information:\r\n\tFailure Reason:\t\tUnknown user name or bad password.\r\n\tStatus:\t\t\t0xC000006D\r\n\tSub Status:\t\t0xC000006A\r\n\r\nNetwork Information:\r\n\tWorkstation Name:\t{workstation}\r\n\tSource Network Address:\t{ip}\r\n\tSource Port:\t\t{}",
                        u.short, s.port
                    )
                };
                let _ = write!(
                    out,
                    r#""Message":"{message}","SubjectUserSid":"S-1-5-18","SubjectUserName":"DC01$","SubjectDomainName":"{domain}","SubjectLogonId":"0x3e7","TargetUserSid":"{}","TargetUserName":"{}","TargetDomainName":"{domain}","#,
                    if ok { sid.as_str() } else { "S-1-0-0" },
                    u.short,
                );
                if ok {
                    let _ = write!(
                        out,
                        r#""TargetLogonId":"0x{logon_id:x}","LogonType":"{logon_type}","LogonProcessName":"{process}","AuthenticationPackageName":"{package}","WorkstationName":"{workstation}","LogonGuid":"{{{}}}","TransmittedServices":"-","LmPackageName":"{}","KeyLength":"0","ProcessId":"0x2c8","ProcessName":"C:\\Windows\\System32\\svchost.exe","IpAddress":"{ip}","IpPort":"{}","ImpersonationLevel":"%%1833","RestrictedAdminMode":"-","VirtualAccount":"%%1843","ElevatedToken":"%%1842","#,
                        uuid(rng),
                        if package == "NTLM" { "NTLM V2" } else { "-" },
                        s.port,
                    );
                } else {
                    let _ = write!(
                        out,
                        r#""Status":"0xc000006d","FailureReason":"%%2313","SubStatus":"0xc000006a","LogonType":"{logon_type}","LogonProcessName":"{process}","AuthenticationPackageName":"{package}","WorkstationName":"{workstation}","TransmittedServices":"-","LmPackageName":"-","KeyLength":"0","ProcessId":"0x0","ProcessName":"-","IpAddress":"{ip}","IpPort":"{}","#,
                        s.port,
                    );
                }
            }
            Step::WinPrivileges { logon_id } => {
                let _ = write!(
                    out,
                    r#""Message":"Special privileges assigned to new logon.\r\n\r\nSubject:\r\n\tSecurity ID:\t\t{sid}\r\n\tAccount Name:\t\t{}\r\n\tAccount Domain:\t\t{domain}\r\n\tLogon ID:\t\t0x{logon_id:X}\r\n\r\nPrivileges:\t\tSeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeDebugPrivilege","SubjectUserSid":"{sid}","SubjectUserName":"{}","SubjectDomainName":"{domain}","SubjectLogonId":"0x{logon_id:x}","PrivilegeList":"SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeDebugPrivilege","#,
                    u.short, u.short,
                );
            }
            Step::WinLogoff {
                logon_type,
                logon_id,
            } => {
                let _ = write!(
                    out,
                    r#""Message":"An account was logged off.\r\n\r\nSubject:\r\n\tSecurity ID:\t\t{sid}\r\n\tAccount Name:\t\t{}\r\n\tAccount Domain:\t\t{domain}\r\n\tLogon ID:\t\t0x{logon_id:X}\r\n\r\nLogon Type:\t\t\t{logon_type}","TargetUserSid":"{sid}","TargetUserName":"{}","TargetDomainName":"{domain}","TargetLogonId":"0x{logon_id:x}","LogonType":"{logon_type}","#,
                    u.short, u.short,
                );
            }
            _ => unreachable!("not a windows step"),
        }
        let _ = write!(out, r#""EventReceivedTime":""#);
        win_time(out, t + 1000 + rng.below(2000) as i64);
        let _ = write!(
            out,
            r#"","SourceModuleName":"eventlog","SourceModuleType":"im_msvistalog"}}"#
        );
    }
}

fn web_steps(len: usize, rng: &mut Rng) -> Vec<Step> {
    let mut steps = Vec::with_capacity(len + 4);
    while chance(rng, 0.08) && steps.len() < 3 {
        steps.push(Step::OktaStart { ok: false });
    }
    steps.push(Step::OktaStart { ok: true });
    if chance(rng, 0.85) {
        if chance(rng, 0.03) {
            steps.push(Step::OktaMfa { ok: false });
        }
        steps.push(Step::OktaMfa { ok: true });
    }
    steps.push(Step::OtlpLogin);
    steps.push(Step::OtlpIssue);
    while steps.len() + 1 < len {
        steps.push(match unit(rng) {
            u if u < 0.22 => Step::OktaSso {
                app: rng.below(APPS.len() as u64) as u8,
            },
            u if u < 0.30 => Step::OtlpRefresh,
            _ => Step::GatewayCall {
                status: gateway_status(rng),
            },
        });
    }
    steps.push(match unit(rng) {
        u if u < 0.5 => Step::OktaEnd,
        u if u < 0.8 => Step::OtlpLogout,
        _ => Step::GatewayCall {
            status: gateway_status(rng),
        },
    });
    steps
}

fn api_steps(len: usize, rng: &mut Rng) -> Vec<Step> {
    let mut steps = Vec::with_capacity(len);
    if chance(rng, 0.05) {
        steps.push(Step::GatewayToken { status: 401 });
    }
    steps.push(Step::GatewayToken { status: 200 });
    steps.push(Step::OtlpIssue);
    while steps.len() < len {
        steps.push(if chance(rng, 0.04) {
            Step::OtlpRefresh
        } else {
            Step::GatewayCall {
                status: gateway_status(rng),
            }
        });
    }
    steps
}

fn ssh_steps(len: usize, rng: &mut Rng) -> Vec<Step> {
    let mut steps = Vec::with_capacity(len);
    let fails = match unit(rng) {
        u if u < 0.72 => 0,
        u if u < 0.90 => 1,
        _ => 2,
    };
    steps.extend(std::iter::repeat_n(Step::SshFailed, fails));
    steps.push(Step::SshAccepted);
    steps.push(Step::SshOpened);
    while steps.len() + 2 < len {
        steps.push(Step::SshSudo {
            cmd: rng.below(SUDO.len() as u64) as u8,
        });
    }
    steps.push(Step::SshDisconnect);
    steps.push(Step::SshClosed);
    steps
}

fn gateway_status(rng: &mut Rng) -> u16 {
    match unit(rng) {
        u if u < 0.955 => 200,
        u if u < 0.970 => 401,
        u if u < 0.980 => 403,
        u if u < 0.990 => 404,
        u if u < 0.995 => 500,
        _ => 503,
    }
}

// ---------------------------------------------------------------------------------------------
// Time formats
// ---------------------------------------------------------------------------------------------

/// (year, month, day, hour, minute, second, millisecond) of ms since the epoch (UTC).
fn civil(ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let days = ms.div_euclid(DAY);
    let rem = ms.rem_euclid(DAY);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = rem / 1000;
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
        (rem % 1000) as u32,
    )
}

/// `2026-01-05T10:00:00.123Z`
pub fn rfc3339_ms(out: &mut Vec<u8>, ms: i64) {
    let (y, mo, d, h, mi, s, milli) = civil(ms);
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z"
    );
}

/// rsyslog's file format: `2026-01-05T10:00:00.123456+00:00`
fn rfc3339_us(out: &mut Vec<u8>, ms: i64, rng: &mut Rng) {
    let (y, mo, d, h, mi, s, milli) = civil(ms);
    let micro = rng.below(1000);
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}{micro:03}+00:00"
    );
}

/// NXLog's `EventTime`: `2026-01-05 10:00:00` (the collector's zone, UTC here).
fn win_time(out: &mut Vec<u8>, ms: i64) {
    let (y, mo, d, h, mi, s, _) = civil(ms);
    let _ = write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
}
