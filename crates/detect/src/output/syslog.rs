//! Syslog output: an RFC 5424 message per alert, over UDP (one datagram) or TCP (RFC 6587
//! octet counting, one kept connection, opened again after an error).

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};

use super::config::Transport;
use super::defaults;
use super::error::SendError;
use super::payload::{one_line, Delivery};

/// The SD-ID of the alert's structured data (32473 is the example enterprise number of RFC 5612,
/// as in RFC 5424's own examples).
pub(crate) const SD_ID: &str = "authtrail@32473";

/// One syslog receiver.
pub(crate) struct Syslog {
    address: String,
    transport: Transport,
    facility: u8,
    app_name: String,
    hostname: String,
    tcp: Option<TcpStream>,
}

impl Syslog {
    /// A receiver at `address`; messages carry `hostname`.
    pub fn new(
        address: String,
        transport: Transport,
        facility: u8,
        app_name: String,
        hostname: String,
    ) -> Syslog {
        Syslog {
            address,
            transport,
            facility,
            app_name,
            hostname,
            tcp: None,
        }
    }

    /// Sends one alert.
    pub fn send(&mut self, d: &Delivery) -> Result<(), SendError> {
        let message = format_message(d, self.facility, &self.hostname, &self.app_name);
        match self.transport {
            Transport::Udp => self.send_udp(message.as_bytes()),
            Transport::Tcp => {
                let frame = format!("{} {message}", message.len());
                self.send_tcp(frame.as_bytes())
            }
        }
    }

    /// One datagram (delivered means handed to the network: UDP has no acknowledgement).
    fn send_udp(&self, message: &[u8]) -> Result<(), SendError> {
        let addr = self.resolve()?[0];
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        socket.send(message)?;
        Ok(())
    }

    /// One frame on the kept connection, connecting first when there is none or the receiver
    /// closed it.
    fn send_tcp(&mut self, frame: &[u8]) -> Result<(), SendError> {
        if self.tcp.as_ref().is_some_and(closed_by_peer) {
            self.tcp = None;
        }
        let mut stream = match self.tcp.take() {
            Some(s) => s,
            None => self.connect()?,
        };
        stream.write_all(frame)?;
        stream.flush()?;
        self.tcp = Some(stream);
        Ok(())
    }

    /// A connection to the first address that answers.
    fn connect(&self) -> Result<TcpStream, SendError> {
        let mut last = None;
        for addr in self.resolve()? {
            match TcpStream::connect_timeout(&addr, defaults::SYSLOG_TCP_TIMEOUT) {
                Ok(s) => {
                    s.set_write_timeout(Some(defaults::SYSLOG_TCP_TIMEOUT))?;
                    s.set_nodelay(true)?;
                    return Ok(s);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or_else(|| SendError::NoAddress(self.address.clone()), SendError::Io))
    }

    /// The address's socket addresses, at least one.
    fn resolve(&self) -> Result<Vec<SocketAddr>, SendError> {
        let addrs: Vec<SocketAddr> = self.address.to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(SendError::NoAddress(self.address.clone()));
        }
        Ok(addrs)
    }
}

/// Whether the receiver closed a kept connection (a write to it would vanish).
fn closed_by_peer(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let closed = match stream.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    closed || stream.set_nonblocking(false).is_err()
}

/// The RFC 5424 message:
/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - ALERT [authtrail@32473 uid=".." rule=".." severity=".."
/// seq=".." group=".."] MSG`, PRI = facility × 8 + severity.
pub(crate) fn format_message(d: &Delivery, facility: u8, hostname: &str, app_name: &str) -> String {
    let s = &d.stored;
    let pri = u16::from(facility) * 8 + u16::from(severity(s.severity_id));
    let timestamp = jiff::Timestamp::from_millisecond(s.raised_ms)
        .map_or_else(|_| "-".to_string(), |t| format!("{t:.3}"));
    format!(
        "<{pri}>1 {timestamp} {hostname} {app_name} - ALERT [{SD_ID} uid=\"{}\" rule=\"{}\" \
         severity=\"{}\" seq=\"{}\" group=\"{}\"] {}",
        param(&s.uid),
        param(&s.rule_id),
        param(&s.severity),
        d.seq,
        param(&s.group),
        one_line(&s.message()),
    )
}

/// The syslog severity of an OCSF `severity_id`: Critical 2, High 3, Medium 4, Low 5,
/// Informational (and anything else) 6.
fn severity(severity_id: i32) -> u8 {
    match severity_id {
        5 => 2,
        4 => 3,
        3 => 4,
        2 => 5,
        _ => 6,
    }
}

/// A PARAM-VALUE: `"`, `\` and `]` escaped with a backslash (RFC 5424 §6.3.3), control
/// characters replaced.
fn param(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in one_line(value).chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// This machine's name as an RFC 5424 HOSTNAME (printable ASCII, at most 255), or `-`.
pub(crate) fn hostname() -> String {
    let name = gethostname::gethostname();
    let name: String = name
        .to_string_lossy()
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(255)
        .collect();
    if name.is_empty() {
        "-".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::payload::tests::delivery;

    #[test]
    fn message_is_rfc5424() {
        let d = delivery(&[("ip", "203.0.113.9")]);
        let m = format_message(&d, 10, "host1", "authtrail");
        assert_eq!(
            m,
            format!(
                "<83>1 2026-11-27T00:01:01.234Z host1 authtrail - ALERT [authtrail@32473 \
                 uid=\"{}\" rule=\"brute-force-ip\" severity=\"High\" seq=\"42\" \
                 group=\"ip=203.0.113.9\"] Brute force from one source address: \
                 ip=203.0.113.9 (12 events)",
                d.stored.uid
            )
        );
    }

    #[test]
    fn pri_is_facility_times_eight_plus_severity() {
        let mut d = delivery(&[]);
        for (id, sev) in [(5, 2), (4, 3), (3, 4), (2, 5), (1, 6)] {
            d.stored.severity_id = id;
            let m = format_message(&d, 16, "h", "a");
            assert!(m.starts_with(&format!("<{}>1 ", 16 * 8 + sev)), "{m}");
        }
        let m = format_message(&d, 0, "h", "a");
        assert!(m.starts_with("<6>1 "), "{m}");
    }

    #[test]
    fn param_values_are_escaped() {
        assert_eq!(param(r#"a"b]c\d"#), r#"a\"b\]c\\d"#);
        assert_eq!(param("x\ny"), "x\u{FFFD}y");
        let d = delivery(&[("user", r#"ev"il] x"#)]);
        let m = format_message(&d, 10, "h", "a");
        assert!(m.contains(r#"group="user=ev\"il\] x"]"#), "{m}");
    }

    #[test]
    fn timestamp_has_milliseconds_even_when_zero() {
        let mut d = delivery(&[]);
        d.stored.raised_ms = 1_795_737_600_000;
        let m = format_message(&d, 10, "h", "a");
        assert!(
            m.starts_with("<83>1 2026-11-27T00:00:00.000Z h a - ALERT "),
            "{m}"
        );
    }

    #[test]
    fn hostname_is_printable_or_nil() {
        let h = hostname();
        assert!(!h.is_empty() && h.len() <= 255);
        assert!(h.chars().all(|c| c.is_ascii_graphic()), "{h}");
    }

    #[test]
    fn octet_counting_frames_over_tcp() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let mut out = Syslog::new(address, Transport::Tcp, 10, "a".into(), "h".into());
        let d = delivery(&[("ip", "203.0.113.9")]);
        out.send(&d).unwrap();
        out.send(&d).unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        drop(out);
        let mut got = String::new();
        conn.read_to_string(&mut got).unwrap();
        let m = format_message(&d, 10, "h", "a");
        assert_eq!(got, format!("{0} {m}{0} {m}", m.len()));
    }
}
