//! `authtrail serve` with its other doors open: syslog over UDP and TCP and a tailed file all
//! reach the log, each under its own source name.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{init, Server};
use serde_json::Value;

#[test]
fn syslog_and_tailed_files_reach_the_log() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    init(&dir);
    let tailed = tmp.path().join("auth.log");
    std::fs::write(
        &tailed,
        "Dec 10 06:55:46 LabSZ sshd[1]: Failed password for root from 203.0.113.1 port 1 ssh2\n",
    )
    .unwrap();
    let mut server = Server::start_with(
        &dir,
        &[
            "--syslog-udp",
            "127.0.0.1:0",
            "--syslog-tcp",
            "127.0.0.1:0",
            "--tail",
            tailed.to_str().unwrap(),
        ],
    );
    let mut udp = None;
    let mut tcp = None;
    loop {
        let line = server.next_line();
        if let Some(a) = line.strip_prefix("syslog udp listening on ") {
            udp = Some(a.to_string());
        } else if let Some(a) = line.strip_prefix("syslog tcp listening on ") {
            tcp = Some(a.to_string());
        } else if line == "ready" || line.is_empty() {
            break;
        }
    }
    let (udp, tcp) = (udp.expect("udp address"), tcp.expect("tcp address"));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(
        b"<38>Dec 10 06:55:47 LabSZ sshd[2]: Failed password for admin from 203.0.113.2 port 2 ssh2",
        &udp,
    )
    .unwrap();
    let mut stream = std::net::TcpStream::connect(&tcp).unwrap();
    stream
        .write_all(b"<38>Dec 10 06:55:48 LabSZ sshd[3]: Accepted password for alice from 203.0.113.3 port 3 ssh2\n")
        .unwrap();
    drop(stream);

    let http = server.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        seen.clear();
        for seq in 0..3 {
            let resp = http
                .get(format!("{}/v1/entries/{seq}", server.url))
                .send()
                .unwrap();
            if resp.status().is_success() {
                let v: Value = resp.json().unwrap();
                seen.push((
                    v["header"]["source"].as_str().unwrap().to_string(),
                    v["event"]["user"]["name"]
                        .as_str()
                        .unwrap_or("-")
                        .to_string(),
                ));
            }
        }
        if seen.len() == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("file".to_string(), "root".to_string()),
            ("syslog".to_string(), "admin".to_string()),
            ("syslog".to_string(), "alice".to_string()),
        ],
        "stderr: {}",
        server.stderr()
    );
}
