//! The alert outputs against real receivers: an HTTP server (axum) and syslog sockets in the
//! test, and a redb file reopened to stand for a restart.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use authtrail_detect::output::{
    Outbox, Outgoing, OutputError, OutputsConfig, SyslogConfig, WebhookConfig,
};
use authtrail_detect::{Alert, Severity};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use redb::Database;
use serde_json::Value;
use sha2::Sha256;

/// 2026-11-27T00:00:00Z, ms.
const T0: i64 = 1_795_737_600_000;
/// How long a test waits for something to arrive before it fails.
const DEADLINE: Duration = Duration::from_secs(30);
/// Retries in tests: a few ms instead of a second.
const RETRY: Duration = Duration::from_millis(20);

/// An alert of the brute-force rule for `ip`, its window starting `i` seconds after T0.
fn alert(i: i64, ip: &str) -> Alert {
    alert_for("ip", ip, i)
}

fn alert_for(field: &str, value: &str, i: i64) -> Alert {
    let group = vec![(field.to_string(), value.to_string())];
    let start = T0 + i * 1_000;
    Alert {
        uid: Alert::make_uid("brute-force-ip", &group, start),
        rule_id: "brute-force-ip".into(),
        title: "Brute force from one source address".into(),
        description: "Many failed logons from one address.".into(),
        severity: Severity::High,
        group,
        window_start_ms: start,
        window_end_ms: start + 60_000,
        count: 12,
        distinct: vec![],
        evidence: vec![1, 2, 3],
        evidence_total: 12,
        related_alerts: Vec::new(),
        details: serde_json::Map::new(),
    }
}

/// `alerts` handed out with seqs from `first_seq`.
fn outgoing(alerts: &[Alert], first_seq: u64) -> Vec<Outgoing<'_>> {
    alerts
        .iter()
        .enumerate()
        .map(|(i, alert)| Outgoing {
            seq: first_seq + i as u64,
            alert,
        })
        .collect()
}

fn open_db(path: &Path) -> Arc<Database> {
    Arc::new(Database::create(path).unwrap())
}

fn webhook(name: &str, port: u16, secret: Option<&str>, format: Option<&str>) -> WebhookConfig {
    WebhookConfig {
        name: Some(name.into()),
        url: format!("http://127.0.0.1:{port}/hook"),
        secret: secret.map(str::to_string),
        format: format.map(str::to_string),
        ..Default::default()
    }
}

fn webhooks(hooks: Vec<WebhookConfig>) -> OutputsConfig {
    OutputsConfig {
        webhook: hooks,
        ..Default::default()
    }
}

/// Polls `done` until it holds or the deadline passes; whether it held.
fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// A port nothing listens on (yet).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// One request the receiver got, and what it answered.
#[derive(Clone, Debug)]
struct Recorded {
    headers: HeaderMap,
    body: Vec<u8>,
    status: u16,
}

impl Recorded {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no header {name}: {:?}", self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone)]
struct Hook {
    seen: Arc<Mutex<Vec<Recorded>>>,
    /// Statuses to answer, in order; 200 after them.
    script: Arc<Mutex<VecDeque<u16>>>,
}

async fn record(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let status = hook.script.lock().unwrap().pop_front().unwrap_or(200);
    hook.seen.lock().unwrap().push(Recorded {
        headers,
        body: body.to_vec(),
        status,
    });
    StatusCode::from_u16(status).unwrap()
}

/// An HTTP receiver on 127.0.0.1 recording every POST to /hook.
struct Receiver {
    port: u16,
    seen: Arc<Mutex<Vec<Recorded>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    /// Listens on `port` (0: any), answering `script` first.
    fn start(port: u16, script: &[u16]) -> Receiver {
        let hook = Hook {
            seen: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let seen = Arc::clone(&hook.seen);
        let (port_tx, port_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .unwrap();
                port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                let app = Router::new().route("/hook", post(record)).with_state(hook);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let port = port_rx.recv_timeout(DEADLINE).unwrap();
        Receiver {
            port,
            seen,
            shutdown: Some(stop_tx),
        }
    }

    fn seen(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests answered 2xx, per alert id.
    fn delivered(&self) -> BTreeMap<String, usize> {
        let mut ids = BTreeMap::new();
        for r in self.seen() {
            if r.status == 200 {
                *ids.entry(r.header("x-authtrail-alert-id").to_string())
                    .or_insert(0) += 1;
            }
        }
        ids
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[test]
fn webhook_delivers_a_signed_json_body() {
    let receiver = Receiver::start(0, &[]);
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let config = webhooks(vec![webhook("siem", receiver.port, Some("s3cret"), None)]);
    let outbox = Outbox::open(db, &config).unwrap();
    let a = alert(0, "203.0.113.9");
    assert_eq!(
        outbox
            .enqueue(&outgoing(std::slice::from_ref(&a), 7))
            .unwrap(),
        1
    );
    let dispatcher = outbox.start_dispatcher().unwrap();
    assert!(wait_until(|| !receiver.seen().is_empty()));
    dispatcher.stop();

    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("x-authtrail-alert-id"), a.uid);
    let body = r.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["alert", "seq"]);
    assert_eq!(body["seq"], 7);
    assert_eq!(body["alert"], a.to_ocsf());

    // As a receiver checks it: HMAC-SHA256 over "<timestamp>.<raw body>", compared in constant
    // time.
    let timestamp = r.header("x-authtrail-timestamp");
    assert!(timestamp.parse::<i64>().is_ok(), "{timestamp}");
    let signature = r.header("x-authtrail-signature");
    let hex_sig = signature.strip_prefix("sha256=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    mac.verify_slice(&hex::decode(hex_sig).unwrap())
        .expect("signature verifies");
    // And a wrong secret does not.
    let mut wrong = Hmac::<Sha256>::new_from_slice(b"other").unwrap();
    wrong.update(format!("{timestamp}.").as_bytes());
    wrong.update(&r.body);
    assert!(wrong.verify_slice(&hex::decode(hex_sig).unwrap()).is_err());
    assert_eq!(outbox.depth().unwrap(), 0);
}

#[test]
fn without_a_secret_there_is_no_signature() {
    let receiver = Receiver::start(0, &[]);
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let outbox =
        Outbox::open(db, &webhooks(vec![webhook("x", receiver.port, None, None)])).unwrap();
    let a = alert(0, "203.0.113.9");
    outbox
        .enqueue(&outgoing(std::slice::from_ref(&a), 1))
        .unwrap();
    let dispatcher = outbox.start_dispatcher().unwrap();
    assert!(wait_until(|| !receiver.seen().is_empty()));
    dispatcher.stop();
    let r = &receiver.seen()[0];
    assert!(r.headers.get("x-authtrail-signature").is_none());
    assert_eq!(r.header("x-authtrail-alert-id"), a.uid);
}

#[test]
fn queued_alerts_survive_a_restart_and_are_delivered_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.redb");
    let port = free_port();
    let config = webhooks(vec![webhook("siem", port, Some("k"), None)]);
    let first: Vec<Alert> = (0..20)
        .map(|i| alert(i, &format!("198.51.100.{i}")))
        .collect();
    let later: Vec<Alert> = (20..25)
        .map(|i| alert(i, &format!("198.51.100.{i}")))
        .collect();

    // The receiver is down: the dispatcher tries, fails, and is stopped; then the process ends.
    {
        let db = open_db(&path);
        let outbox = Outbox::open(Arc::clone(&db), &config)
            .unwrap()
            .with_retry_base(RETRY);
        assert_eq!(outbox.enqueue(&outgoing(&first, 100)).unwrap(), 20);
        let dispatcher = outbox.start_dispatcher().unwrap();
        thread::sleep(Duration::from_millis(300));
        dispatcher.stop();
        assert_eq!(outbox.depth().unwrap(), 20, "nothing could be delivered");
    }

    // Restart: the detector hands the same 20 again, and 5 new ones.
    let db = open_db(&path);
    let outbox = Outbox::open(Arc::clone(&db), &config)
        .unwrap()
        .with_retry_base(RETRY);
    assert_eq!(outbox.depth().unwrap(), 20);
    assert_eq!(outbox.enqueue(&outgoing(&first, 100)).unwrap(), 0);
    assert_eq!(outbox.enqueue(&outgoing(&later, 120)).unwrap(), 5);
    assert_eq!(outbox.depth().unwrap(), 25);

    let receiver = Receiver::start(port, &[]);
    let dispatcher = outbox.start_dispatcher().unwrap();
    assert!(
        wait_until(|| receiver.delivered().len() == 25),
        "got {:?}",
        receiver.delivered()
    );
    // A little longer: anything sent twice would show now.
    thread::sleep(Duration::from_millis(300));
    dispatcher.stop();

    let delivered = receiver.delivered();
    let expected: BTreeMap<String, usize> = first
        .iter()
        .chain(&later)
        .map(|a| (a.uid.clone(), 1))
        .collect();
    assert_eq!(delivered, expected);
    assert_eq!(receiver.seen().len(), 25, "no request beyond the 25");
    assert_eq!(outbox.depth().unwrap(), 0);
    // Handed again after delivery: nothing to do.
    assert_eq!(outbox.enqueue(&outgoing(&first, 100)).unwrap(), 0);
    assert_eq!(outbox.enqueue(&outgoing(&later, 120)).unwrap(), 0);

    // Each body carries its own seq, in the order queued per restart.
    let seqs: HashMap<String, u64> = receiver
        .seen()
        .iter()
        .map(|r| {
            let body = r.json();
            (
                r.header("x-authtrail-alert-id").to_string(),
                body["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    for (i, a) in first.iter().chain(&later).enumerate() {
        assert_eq!(seqs[&a.uid], 100 + i as u64);
    }
}

#[test]
fn a_receiver_failing_twice_gets_the_alert_once_after_retries() {
    let receiver = Receiver::start(0, &[500, 500]);
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let outbox = Outbox::open(db, &webhooks(vec![webhook("x", receiver.port, None, None)]))
        .unwrap()
        .with_retry_base(RETRY);
    let a = alert(0, "203.0.113.9");
    outbox
        .enqueue(&outgoing(std::slice::from_ref(&a), 1))
        .unwrap();
    let dispatcher = outbox.start_dispatcher().unwrap();
    assert!(wait_until(|| receiver.delivered().len() == 1));
    thread::sleep(Duration::from_millis(300));
    dispatcher.stop();

    let seen = receiver.seen();
    let statuses: Vec<u16> = seen.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 200]);
    assert!(seen
        .iter()
        .all(|r| r.header("x-authtrail-alert-id") == a.uid));
    assert!(
        seen.iter().all(|r| r.body == seen[0].body),
        "same body each attempt"
    );
    assert_eq!(outbox.depth().unwrap(), 0);
}

#[test]
fn a_dead_output_does_not_hold_up_a_live_one() {
    let live = Receiver::start(0, &[]);
    let dead = free_port();
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let config = webhooks(vec![
        webhook("dead", dead, None, None),
        webhook("live", live.port, None, None),
    ]);
    let outbox = Outbox::open(db, &config).unwrap().with_retry_base(RETRY);
    let alerts: Vec<Alert> = (0..5).map(|i| alert(i, "203.0.113.9")).collect();
    assert_eq!(outbox.enqueue(&outgoing(&alerts, 1)).unwrap(), 10);
    let dispatcher = outbox.start_dispatcher().unwrap();
    assert!(wait_until(|| live.delivered().len() == 5));
    dispatcher.stop();
    assert_eq!(outbox.depth().unwrap(), 5, "the dead output's five wait");
}

#[test]
fn slack_format_posts_one_line_of_text() {
    let receiver = Receiver::start(0, &[]);
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let config = webhooks(vec![webhook(
        "chat",
        receiver.port,
        Some("k"),
        Some("slack"),
    )]);
    let outbox = Outbox::open(db, &config).unwrap();
    let a = alert(0, "203.0.113.9");
    outbox
        .enqueue(&outgoing(std::slice::from_ref(&a), 9))
        .unwrap();
    let dispatcher = outbox.start_dispatcher().unwrap();
    assert!(wait_until(|| !receiver.seen().is_empty()));
    dispatcher.stop();

    let r = &receiver.seen()[0];
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("x-authtrail-alert-id"), a.uid);
    assert!(r.header("x-authtrail-signature").starts_with("sha256="));
    let body = r.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(
        body["text"],
        format!(
            ":rotating_light: [High] Brute force from one source address: ip=203.0.113.9 \
             (12 events) rule=brute-force-ip alert={} seq=9",
            a.uid
        )
    );
}

/// A parsed RFC 5424 message with one SD element.
#[derive(Debug)]
struct Syslog5424 {
    pri: u32,
    version: String,
    timestamp: String,
    hostname: String,
    app_name: String,
    procid: String,
    msgid: String,
    sd_id: String,
    params: BTreeMap<String, String>,
    msg: String,
}

/// Parses `<PRI>1 TS HOST APP PROCID MSGID [SD-ID k="v" ...] MSG`, undoing the escapes.
fn parse_5424(m: &str) -> Syslog5424 {
    let rest = m.strip_prefix('<').unwrap();
    let (pri, rest) = rest.split_once('>').unwrap();
    let mut head = rest.splitn(7, ' ');
    let mut next = || head.next().unwrap().to_string();
    let (version, timestamp, hostname, app_name, procid, msgid) =
        (next(), next(), next(), next(), next(), next());
    let sd = next();
    let sd = sd.strip_prefix('[').unwrap();
    let (sd_id, mut rest) = sd.split_once(' ').unwrap();
    let mut params = BTreeMap::new();
    loop {
        let (name, after) = rest.split_once("=\"").unwrap();
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().unwrap() {
                (_, '\\') => value.push(chars.next().unwrap().1),
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        params.insert(name.to_string(), value);
        rest = &after[end + 1..];
        if let Some(r) = rest.strip_prefix(' ') {
            rest = r;
        } else {
            rest = rest.strip_prefix("] ").unwrap();
            break;
        }
    }
    Syslog5424 {
        pri: pri.parse().unwrap(),
        version,
        timestamp,
        hostname,
        app_name,
        procid,
        msgid,
        sd_id: sd_id.to_string(),
        params,
        msg: rest.to_string(),
    }
}

/// Checks a received message against `a` sent with `seq` (facility local3, app `at-test`).
fn check_syslog(m: &str, a: &Alert, seq: u64) {
    let p = parse_5424(m);
    assert_eq!(p.pri, 19 * 8 + 3, "local3, High: {m}");
    assert_eq!(p.version, "1");
    assert!(p.timestamp.parse::<jiff::Timestamp>().is_ok(), "{m}");
    assert_eq!(p.timestamp.len(), "2026-11-27T00:00:00.000Z".len(), "{m}");
    assert!(!p.hostname.is_empty());
    assert_eq!(p.app_name, "at-test");
    assert_eq!(p.procid, "-");
    assert_eq!(p.msgid, "ALERT");
    assert_eq!(p.sd_id, "authtrail@32473");
    let expected: BTreeMap<String, String> = [
        ("uid", a.uid.clone()),
        ("rule", "brute-force-ip".to_string()),
        ("severity", "High".to_string()),
        ("seq", seq.to_string()),
        ("group", a.group_text()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(p.params, expected, "{m}");
    assert_eq!(
        p.msg,
        format!(
            "Brute force from one source address: {} (12 events)",
            a.group_text()
        )
    );
}

fn syslog_config(address: String, transport: &str) -> OutputsConfig {
    OutputsConfig {
        syslog: vec![SyslogConfig {
            name: None,
            address,
            transport: transport.into(),
            facility: Some("local3".into()),
            app_name: Some("at-test".into()),
        }],
        ..Default::default()
    }
}

/// A group value that needs SD-PARAM escaping.
const NASTY: &str = r#"ev"il] \x"#;

#[test]
fn syslog_over_udp_is_rfc5424_with_escaped_params() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let address = socket.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let outbox = Outbox::open(db, &syslog_config(address, "udp")).unwrap();
    let a = alert_for("user", NASTY, 0);
    outbox
        .enqueue(&outgoing(std::slice::from_ref(&a), 5))
        .unwrap();
    let dispatcher = outbox.start_dispatcher().unwrap();
    let mut buf = [0u8; 65_536];
    let n = socket.recv(&mut buf).unwrap();
    dispatcher.stop();
    let m = std::str::from_utf8(&buf[..n]).unwrap();
    assert!(m.contains(r#"group="user=ev\"il\] \\x""#), "{m}");
    check_syslog(m, &a, 5);
    assert_eq!(outbox.depth().unwrap(), 0);
}

#[test]
fn syslog_over_tcp_uses_octet_counting() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut frames = Vec::new();
        for _ in 0..2 {
            let mut len = Vec::new();
            let mut byte = [0u8; 1];
            loop {
                conn.read_exact(&mut byte).unwrap();
                if byte[0] == b' ' {
                    break;
                }
                len.push(byte[0]);
            }
            let len: usize = std::str::from_utf8(&len).unwrap().parse().unwrap();
            let mut msg = vec![0u8; len];
            conn.read_exact(&mut msg).unwrap();
            frames.push(String::from_utf8(msg).unwrap());
        }
        tx.send(frames).unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let outbox = Outbox::open(db, &syslog_config(address, "tcp")).unwrap();
    let alerts = vec![alert_for("user", NASTY, 0), alert(1, "203.0.113.9")];
    outbox.enqueue(&outgoing(&alerts, 30)).unwrap();
    let dispatcher = outbox.start_dispatcher().unwrap();
    let frames = rx.recv_timeout(DEADLINE).unwrap();
    dispatcher.stop();
    check_syslog(&frames[0], &alerts[0], 30);
    check_syslog(&frames[1], &alerts[1], 31);
}

/// The config error `toml` (an `[alerts]` section's body) gives, as (output, key).
fn config_error(toml_text: &str) -> (String, &'static str, String) {
    let config: OutputsConfig = toml::from_str(toml_text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    match Outbox::open(db, &config) {
        Err(e @ OutputError::Config { .. }) => {
            let text = e.to_string();
            let OutputError::Config { output, key, .. } = e else {
                unreachable!()
            };
            assert!(text.contains(&output) && text.contains(key), "{text}");
            (output, key, text)
        }
        Err(e) => panic!("not a config error: {e}"),
        Ok(_) => panic!("accepted: {toml_text}"),
    }
}

#[test]
fn config_errors_name_the_output_and_the_key() {
    let (output, key, _) = config_error(
        r#"
        [[webhook]]
        url = "https://example.com/a"
        [[webhook]]
        url = "not a url"
        "#,
    );
    assert_eq!((output.as_str(), key), ("webhook-2", "url"));

    let (output, key, _) = config_error(
        r#"
        [[webhook]]
        name = "ftp"
        url = "ftp://example.com/a"
        "#,
    );
    assert_eq!((output.as_str(), key), ("ftp", "url"));

    let (output, key, text) = config_error(
        r#"
        [[webhook]]
        name = "chat"
        url = "https://example.com/a"
        format = "teams"
        "#,
    );
    assert_eq!((output.as_str(), key), ("chat", "format"));
    assert!(text.contains("teams"), "{text}");

    let (output, key, text) = config_error(
        r#"
        [[syslog]]
        name = "siem"
        address = "127.0.0.1:514"
        transport = "tls"
        "#,
    );
    assert_eq!((output.as_str(), key), ("siem", "transport"));
    assert!(text.contains("tls"), "{text}");

    let (output, key, _) = config_error(
        r#"
        [[syslog]]
        address = "127.0.0.1:514"
        transport = "udp"
        facility = "local9"
        "#,
    );
    assert_eq!((output.as_str(), key), ("syslog-1", "facility"));

    let (output, key, _) = config_error(
        r#"
        [[syslog]]
        address = "127.0.0.1"
        transport = "udp"
        "#,
    );
    assert_eq!((output.as_str(), key), ("syslog-1", "address"));

    let (output, key, _) = config_error(
        r#"
        [[webhook]]
        name = "same"
        url = "https://example.com/a"
        [[syslog]]
        name = "same"
        address = "127.0.0.1:514"
        transport = "udp"
        "#,
    );
    assert_eq!((output.as_str(), key), ("same", "name"));

    let (output, key, _) = config_error(
        r#"
        stdout = true
        [[webhook]]
        name = "stdout"
        url = "https://example.com/a"
        "#,
    );
    assert_eq!((output.as_str(), key), ("stdout", "name"));

    let (output, key, text) = config_error(
        r#"
        [[webhook]]
        name = "signed"
        url = "https://example.com/a"
        secret_env = "AUTHTRAIL_TEST_SECRET_THAT_IS_NEVER_SET_7f3a"
        "#,
    );
    assert_eq!((output.as_str(), key), ("signed", "secret_env"));
    assert!(
        text.contains("AUTHTRAIL_TEST_SECRET_THAT_IS_NEVER_SET_7f3a"),
        "{text}"
    );

    let (output, key, _) = config_error(
        r#"
        [[webhook]]
        url = "https://example.com/a"
        timeout_ms = 0
        "#,
    );
    assert_eq!((output.as_str(), key), ("webhook-1", "timeout_ms"));
}

#[test]
fn unknown_config_keys_are_rejected() {
    let err = toml::from_str::<OutputsConfig>(
        r#"
        [[webhook]]
        url = "https://example.com/a"
        secrett = "x"
        "#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("secrett"), "{err}");
    assert!(toml::from_str::<OutputsConfig>("email = true").is_err());
}

#[test]
fn no_outputs_queue_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let outbox = Outbox::open(db, &OutputsConfig::default()).unwrap();
    let a = alert(0, "203.0.113.9");
    assert_eq!(
        outbox
            .enqueue(&outgoing(std::slice::from_ref(&a), 1))
            .unwrap(),
        0
    );
    assert_eq!(outbox.depth().unwrap(), 0);
    outbox.start_dispatcher().unwrap().stop();
}

#[test]
fn one_dispatcher_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("out.redb"));
    let outbox = Outbox::open(db, &OutputsConfig::default()).unwrap();
    let first = outbox.start_dispatcher().unwrap();
    assert!(matches!(
        outbox.start_dispatcher(),
        Err(OutputError::AlreadyRunning)
    ));
    first.stop();
    // Stopped, another may start; dropping the handle stops it too.
    drop(outbox.start_dispatcher().unwrap());
    outbox.start_dispatcher().unwrap().stop();
}
