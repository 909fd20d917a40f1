//! Syslog listeners on loopback against a real embedded log: UDP datagrams, TCP with newline
//! and octet-counted framing mixed on one connection, a bad PRI kept as unparsed.

use std::sync::Arc;
use std::time::Duration;

use authtrail_ingest::sources::syslog::{run_tcp, run_udp, SyslogSink};
use authtrail_ingest::{InputFormat, Limits, ParseConfig};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

fn open_log(dir: &std::path::Path) -> Arc<EmbeddedLog> {
    keys::init(&Layout::new(dir), "syslog.test/log").expect("init");
    Arc::new(EmbeddedLog::open(dir, LogOptions::default()).expect("open"))
}

fn sink(log: &Arc<EmbeddedLog>, source: &str) -> SyslogSink {
    SyslogSink {
        log: log.clone(),
        config: Arc::new(ParseConfig::default()),
        format: InputFormat::Syslog,
        source: source.into(),
        limits: Limits::default(),
    }
}

/// Wait (up to 20 s) until the log holds `n` entries.
async fn wait_for(log: &EmbeddedLog, n: u64) {
    for _ in 0..400 {
        if log.size() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("log holds {} entries, expected {n}", log.size());
}

fn event(log: &EmbeddedLog, seq: u64) -> (String, Value, Vec<u8>) {
    let e = log.entry(seq).expect("entry");
    let v: Value = serde_json::from_slice(&e.body.event).expect("event json");
    (e.header.source, v, e.body.raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_and_tcp_messages_reach_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = open_log(dir.path());

    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("udp");
    let udp_addr = udp.local_addr().expect("addr");
    tokio::spawn(run_udp(udp, sink(&log, "syslog-udp")));
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("client");
    client
        .send_to(
            b"<38>Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.9 port 5000 ssh2\n",
            udp_addr,
        )
        .await
        .expect("send");
    wait_for(&log, 1).await;
    let (source, v, raw) = event(&log, 0);
    assert_eq!(source, "syslog-udp");
    assert_eq!(v["class_uid"], 3002);
    assert_eq!(v["status_id"], 2);
    assert_eq!(v["user"]["name"], "root");
    // The datagram's trailing newline is framing, not content.
    assert!(raw.ends_with(b"ssh2"));

    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("tcp");
    let tcp_addr = tcp.local_addr().expect("addr");
    tokio::spawn(run_tcp(tcp, sink(&log, "syslog-tcp")));
    let mut stream = tokio::net::TcpStream::connect(tcp_addr)
        .await
        .expect("connect");
    let framed = "<86>Dec 10 07:00:00 web1 sudo[7]: pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=bob";
    let mut bytes = Vec::new();
    bytes.extend_from_slice(
        b"<38>Dec 10 06:56:00 LabSZ sshd[24300]: Accepted password for alice from 198.51.100.4 port 5001 ssh2\n",
    );
    bytes.extend_from_slice(format!("{} {framed}", framed.len()).as_bytes());
    bytes.extend_from_slice(
        b"<999>Dec 10 06:56:01 LabSZ sshd[1]: Accepted password for x from 1.2.3.4 port 1 ssh2\n",
    );
    // Sent in two pieces, split inside the octet-counted frame.
    stream.write_all(&bytes[..150]).await.expect("write");
    stream.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.write_all(&bytes[150..]).await.expect("write");
    stream.shutdown().await.expect("shutdown");
    wait_for(&log, 4).await;
    let mut by_user = Vec::new();
    for seq in 1..4 {
        let (source, v, raw) = event(&log, seq);
        assert_eq!(source, "syslog-tcp");
        by_user.push((
            v["user"]["name"].as_str().unwrap_or("-").to_string(),
            v["class_uid"].as_u64().unwrap_or(99),
            String::from_utf8(raw).expect("utf8"),
            v["status_detail"].as_str().unwrap_or("").to_string(),
        ));
    }
    assert_eq!(by_user[0].0, "alice");
    assert_eq!(by_user[1].0, "bob");
    assert_eq!(by_user[1].2, framed);
    assert_eq!(by_user[2].1, 0, "bad PRI is unparsed: {:?}", by_user[2]);
    assert!(by_user[2].3.contains("bad syslog PRI"), "{:?}", by_user[2]);
}
