use authtrail_model::Event;

use super::*;
use crate::parse::test_support::{self, ctx, src, user};

fn parsed(text: &str) -> Event {
    test_support::parsed(parse, text, &mut ctx())
}

/// An event in the Winlogbeat shape with these event data fields.
fn beat(id: u32, data: &[(&str, &str)]) -> String {
    let fields: Vec<String> = data.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
    format!(
        r#"{{"@timestamp":"2024-05-01T10:00:00.250Z","winlog":{{"event_id":{id},"channel":"Security","computer_name":"DC1.corp.example","record_id":42,"provider_name":"Microsoft-Windows-Security-Auditing","event_data":{{{}}}}}}}"#,
        fields.join(",")
    )
}

fn session_uid(e: &Event) -> Option<&str> {
    e.session.as_ref()?.uid.as_deref()
}

fn user_extra<'e>(e: &'e Event, key: &str) -> Option<&'e Value> {
    e.user.as_ref()?.extra.get(key)
}

const LOGON_DATA: &[(&str, &str)] = &[
    ("SubjectUserSid", "S-1-5-18"),
    ("SubjectUserName", "DC1$"),
    ("SubjectDomainName", "CORP"),
    ("SubjectLogonId", "0x3E7"),
    ("TargetUserSid", "S-1-5-21-1-2-3-1104"),
    ("TargetUserName", "alice"),
    ("TargetDomainName", "CORP"),
    ("TargetLogonId", "0x1A2B3C"),
    ("TargetLinkedLogonId", "0x1A2B3D"),
    ("LogonType", "10"),
    ("LogonProcessName", "User32 "),
    ("AuthenticationPackageName", "Negotiate"),
    ("WorkstationName", "WS7"),
    ("IpAddress", "::ffff:198.51.100.7"),
    ("IpPort", "51234"),
    ("ProcessId", "0x1f4"),
    ("ProcessName", "C:\\Windows\\System32\\svchost.exe"),
    ("ElevatedToken", "%%1842"),
    ("VirtualAccount", "%%1843"),
    ("ImpersonationLevel", "%%1833"),
    ("LogonGuid", "{ABCDEF01-0000-0000-0000-000000000001}"),
    ("KeyLength", "0"),
];

#[test]
fn a_logon_maps_every_field() {
    let e = parsed(&beat(4624, LOGON_DATA));
    assert_eq!(
        (e.class_uid, e.activity_id, e.status_id),
        (AUTHENTICATION, LOGON, SUCCESS)
    );
    assert_eq!(e.time, 1_714_557_600_250);
    assert_eq!(user(&e), Some("alice"));
    assert_eq!(
        e.user.as_ref().unwrap().uid.as_deref(),
        Some("S-1-5-21-1-2-3-1104")
    );
    assert_eq!(user_extra(&e, "domain"), Some(&Value::from("CORP")));
    assert_eq!(user_extra(&e, "type_id"), None);
    assert_eq!(src(&e), Some("198.51.100.7"));
    let s = e.src_endpoint.as_ref().unwrap();
    assert_eq!((s.port, s.hostname.as_deref()), (Some(51234), Some("WS7")));
    assert_eq!(
        e.dst_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("DC1.corp.example")
    );
    assert_eq!(session_uid(&e), Some("dc1.corp.example/0x1a2b3c"));
    assert_eq!(
        e.session.as_ref().unwrap().extra["uid_alt"],
        "dc1.corp.example/0x1a2b3d"
    );
    assert_eq!(e.logon_type_id, Some(10));
    assert_eq!(e.logon_type.as_deref(), Some("Remote Interactive"));
    assert_eq!(e.other["is_remote"], true);
    assert_eq!(e.unmapped["windows.logon_process"], "User32");
    assert_eq!(
        (e.auth_protocol_id, e.auth_protocol.as_deref()),
        (Some(OTHER), Some("Negotiate"))
    );
    let actor = e.actor.as_ref().unwrap();
    assert_eq!(actor["user"]["name"], "DC1$");
    assert_eq!(actor["user"]["type_id"], 3);
    assert_eq!(actor["session"]["uid"], "dc1.corp.example/0x3e7");
    assert_eq!(actor["process"]["pid"], 500);
    assert_eq!(actor["process"]["name"], "svchost.exe");
    assert_eq!(e.unmapped["windows.elevated_token"], true);
    assert_eq!(e.unmapped["windows.virtual_account"], false);
    assert_eq!(e.unmapped["windows.impersonation_level"], "Impersonation");
    assert_eq!(
        e.unmapped["windows.logon_guid"],
        "abcdef01-0000-0000-0000-000000000001"
    );
    assert_eq!(e.unmapped["windows.key_length"], 0);
    assert_eq!(e.metadata.uid.as_deref(), Some("DC1.corp.example/42"));
    assert_eq!(e.metadata.extra["event_code"], "4624");
    assert_eq!(e.metadata.extra["log_provider"], "Winlogbeat");
    assert_eq!(
        e.message.as_deref(),
        Some("An account was successfully logged on.")
    );
    assert_eq!(e.severity_id, build::INFORMATIONAL);
}

#[test]
fn failed_logons_carry_the_ntstatus_code_and_meaning() {
    let mut data = LOGON_DATA.to_vec();
    data.extend([
        ("Status", "0xc000006d"),
        ("SubStatus", "0xc0000234"),
        ("FailureReason", "%%2307"),
    ]);
    let e = parsed(&beat(4625, &data));
    assert_eq!(
        (e.activity_id, e.status_id, e.severity_id),
        (LOGON, FAILURE, build::LOW)
    );
    assert_eq!(e.status_code.as_deref(), Some("0xC0000234"));
    assert_eq!(e.status_detail.as_deref(), Some("account locked out"));
    assert_eq!(e.unmapped["windows.status"], "0xC000006D");
    assert_eq!(e.unmapped["windows.failure_reason"], "Account locked out.");
    // A zero SubStatus leaves the Status; an unknown code still has the failure reason.
    let e = parsed(&beat(
        4625,
        &[
            ("TargetUserName", "bob"),
            ("Status", "0xC000015B"),
            ("SubStatus", "0x0"),
        ],
    ));
    assert_eq!(e.status_code.as_deref(), Some("0xC000015B"));
    assert_eq!(e.status_detail.as_deref(), Some("logon type not granted"));
    let e = parsed(&beat(
        4625,
        &[
            ("TargetUserName", "bob"),
            ("Status", "0xC0001234"),
            ("FailureReason", "%%2313"),
        ],
    ));
    assert_eq!(
        e.status_detail.as_deref(),
        Some("Unknown user name or bad password.")
    );
}

#[test]
fn addresses_and_ports_that_say_nothing_are_left_out() {
    for (ip, port) in [("-", "-"), ("", "0"), ("-", "0")] {
        let e = parsed(&beat(
            4624,
            &[("TargetUserName", "a"), ("IpAddress", ip), ("IpPort", port)],
        ));
        assert!(e.src_endpoint.is_none(), "{ip:?} {port:?}");
    }
    let e = parsed(&beat(
        4624,
        &[("TargetUserName", "a"), ("IpAddress", "fe80::1%12")],
    ));
    assert_eq!(src(&e), Some("fe80::1"));
    let e = parsed(&beat(
        4624,
        &[("TargetUserName", "a"), ("IpAddress", "not-an-ip")],
    ));
    assert!(e.src_endpoint.is_none());
    assert_eq!(e.unmapped["windows.ip_address"], "not-an-ip");
}

#[test]
fn account_types_follow_names_and_sids() {
    for (name, sid, expected) in [
        ("SYSTEM", "S-1-5-18", Some((3, "System"))),
        ("WS1$", "S-1-5-21-1-2-3-1105", Some((3, "System"))),
        ("NETWORK SERVICE", "S-1-5-20", Some((4, "Service"))),
        ("ANONYMOUS LOGON", "S-1-5-7", Some((99, "Anonymous"))),
        ("Administrator", "S-1-5-21-1-2-3-500", Some((2, "Admin"))),
        ("alice", "S-1-5-21-1-2-3-1104", None),
    ] {
        let e = parsed(&beat(
            4624,
            &[("TargetUserName", name), ("TargetUserSid", sid)],
        ));
        let got = user_extra(&e, "type_id").map(|v| {
            (
                v.as_i64().unwrap() as i32,
                user_extra(&e, "type").unwrap().as_str().unwrap(),
            )
        });
        assert_eq!(got, expected, "{name}");
    }
    // The NULL SID is no id; without name or SID there is no user.
    let e = parsed(&beat(
        4624,
        &[("TargetUserName", "x"), ("TargetUserSid", "S-1-0-0")],
    ));
    assert_eq!(e.user.as_ref().unwrap().uid, None);
    test_support::assert_unrecognized(
        parse,
        ctx,
        [(
            beat(4634, &[("TargetLogonId", "0x5")]).as_str(),
            "Windows event 4634 names no account",
        )],
    );
}

#[test]
fn logoffs_link_to_the_logon_session() {
    let e = parsed(&beat(
        4634,
        &[
            ("TargetUserName", "alice"),
            ("TargetLogonId", "0x1A2B3C"),
            ("LogonType", "3"),
        ],
    ));
    assert_eq!((e.activity_id, e.status_id), (LOGOFF, SUCCESS));
    assert_eq!(session_uid(&e), Some("dc1.corp.example/0x1a2b3c"));
    assert_eq!(e.logon_type_id, Some(3));
    let e = parsed(&beat(
        4647,
        &[("TargetUserName", "alice"), ("TargetLogonId", "0x1a2b3c")],
    ));
    assert_eq!(e.activity_id, LOGOFF);
    assert_eq!(session_uid(&e), Some("dc1.corp.example/0x1a2b3c"));
    assert_eq!(e.status_detail.as_deref(), Some("LOGOFF_USER_INITIATED"));
}

#[test]
fn logon_types_outside_the_enum_are_other() {
    let e = parsed(&beat(4624, &[("TargetUserName", "a"), ("LogonType", "6")]));
    assert_eq!(e.logon_type_id, Some(OTHER));
    assert_eq!(e.logon_type.as_deref(), Some("Windows logon type 6"));
    let e = parsed(&beat(4624, &[("TargetUserName", "a"), ("LogonType", "0")]));
    assert_eq!(e.logon_type.as_deref(), Some("System"));
    let e = parsed(&beat(4624, &[("TargetUserName", "a"), ("LogonType", "x")]));
    assert_eq!(
        (e.logon_type_id, &e.unmapped["windows.logon_type"]),
        (None, &Value::from("x"))
    );
}

#[test]
fn protocols_come_from_the_package_or_the_logon_process() {
    for (package, process, expected) in [
        ("Kerberos", "Kerberos", Some(KERBEROS)),
        ("NTLM", "NtLmSsp ", Some(NTLM)),
        ("WDigest", "Advapi", Some(DIGEST)),
        ("-", "NtLmSsp ", Some(NTLM)),
        ("-", "User32 ", None),
    ] {
        let e = parsed(&beat(
            4624,
            &[
                ("TargetUserName", "a"),
                ("AuthenticationPackageName", package),
                ("LogonProcessName", process),
            ],
        ));
        assert_eq!(e.auth_protocol_id, expected, "{package} {process}");
    }
}

#[test]
fn explicit_credentials_name_both_accounts_and_the_target() {
    let e = parsed(&beat(
        4648,
        &[
            ("SubjectUserName", "user01"),
            ("SubjectDomainName", "CORP"),
            ("SubjectLogonId", "0x18a7875"),
            ("TargetUserName", "administrator"),
            ("TargetDomainName", "CORP.EXAMPLE"),
            ("TargetServerName", "srv2.corp.example"),
            ("TargetInfo", "RPCSS/srv2.corp.example"),
            ("IpAddress", "10.0.0.9"),
            ("ProcessName", "C:\\Windows\\System32\\wbem\\WMIC.exe"),
            ("ProcessId", "0x44c"),
        ],
    ));
    assert_eq!((e.activity_id, e.status_id), (LOGON, SUCCESS));
    assert_eq!(user(&e), Some("administrator"));
    let actor = e.actor.as_ref().unwrap();
    assert_eq!(actor["user"]["name"], "user01");
    assert_eq!(actor["session"]["uid"], "dc1.corp.example/0x18a7875");
    assert_eq!(actor["process"]["pid"], 1100);
    let dst = e.dst_endpoint.as_ref().unwrap();
    assert_eq!(
        (dst.hostname.as_deref(), dst.ip.as_deref()),
        (Some("srv2.corp.example"), Some("10.0.0.9"))
    );
    assert_eq!(
        e.src_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("DC1.corp.example")
    );
    assert_eq!(e.unmapped["windows.target_info"], "RPCSS/srv2.corp.example");
    // Without a target server, the host itself.
    let e = parsed(&beat(4648, &[("TargetUserName", "x")]));
    assert_eq!(
        e.dst_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("DC1.corp.example")
    );
}

#[test]
fn special_privileges_are_an_authorize_session() {
    let e = parsed(&beat(
        4672,
        &[
            ("SubjectUserName", "alice"),
            ("SubjectUserSid", "S-1-5-21-1-2-3-1104"),
            ("SubjectLogonId", "0x1a2b3c"),
            (
                "PrivilegeList",
                "SeDebugPrivilege\r\n\t\t\tSeBackupPrivilege",
            ),
        ],
    ));
    assert_eq!(
        (e.class_uid, e.activity_id),
        (AUTHORIZE_SESSION, ASSIGN_PRIVILEGES)
    );
    assert_eq!(e.activity_name.as_deref(), Some("Assign Privileges"));
    assert_eq!(user(&e), Some("alice"));
    assert_eq!(session_uid(&e), Some("dc1.corp.example/0x1a2b3c"));
    assert_eq!(
        e.other["privileges"],
        serde_json::json!(["SeDebugPrivilege", "SeBackupPrivilege"])
    );
}

#[test]
fn lockouts_are_account_changes_of_medium_severity() {
    let e = parsed(&beat(
        4740,
        &[
            ("TargetUserName", "alice"),
            ("TargetDomainName", "WS7"),
            ("TargetSid", "S-1-5-21-1-2-3-1104"),
            ("SubjectUserName", "DC1$"),
            ("SubjectUserSid", "S-1-5-18"),
        ],
    ));
    assert_eq!(
        (e.class_uid, e.activity_id, e.status_id),
        (ACCOUNT_CHANGE, LOCK, SUCCESS)
    );
    assert_eq!(e.activity_name.as_deref(), Some("Lock"));
    assert_eq!(e.severity_id, MEDIUM);
    assert_eq!(user(&e), Some("alice"));
    assert_eq!(
        e.user.as_ref().unwrap().uid.as_deref(),
        Some("S-1-5-21-1-2-3-1104")
    );
    assert_eq!(user_extra(&e, "domain"), None);
    assert_eq!(
        e.src_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("WS7")
    );
    assert_eq!(e.actor.as_ref().unwrap()["user"]["name"], "DC1$");
    assert_eq!(e.other["device"]["hostname"], "DC1.corp.example");
}

#[test]
fn kerberos_events_carry_the_ticket_and_the_result() {
    let tgt = [
        ("TargetUserName", "pgustavo"),
        ("TargetDomainName", "corp.example"),
        ("TargetSid", "S-1-5-21-1-2-3-1104"),
        ("ServiceName", "krbtgt"),
        ("ServiceSid", "S-1-5-21-1-2-3-502"),
        ("TicketOptions", "0x40810010"),
        ("Status", "0x0"),
        ("TicketEncryptionType", "0x17"),
        ("PreAuthType", "2"),
        ("IpAddress", "::ffff:172.18.39.6"),
        ("IpPort", "53409"),
    ];
    let e = parsed(&beat(4768, &tgt));
    assert_eq!(
        (e.activity_id, e.status_id),
        (AUTHENTICATION_TICKET, SUCCESS)
    );
    assert_eq!(e.auth_protocol.as_deref(), Some("Kerberos"));
    assert_eq!(src(&e), Some("172.18.39.6"));
    assert_eq!(e.service.as_ref().unwrap().name.as_deref(), Some("krbtgt"));
    let token = &e.other["authentication_token"];
    assert_eq!(token["type_id"], 1);
    assert_eq!(token["kerberos_flags"], "0x40810010");
    assert_eq!(token["encryption_details"]["type"], "RC4-HMAC");
    assert_eq!(e.unmapped["windows.ticket_encryption_type"], "0x17");
    assert_eq!(e.unmapped["windows.pre_auth_type"], "2");
    // A failed TGT request says why.
    let mut failed = tgt.to_vec();
    failed[6] = ("Status", "0x6");
    failed[7] = ("TicketEncryptionType", "0xffffffff");
    let e = parsed(&beat(4768, &failed));
    assert_eq!(
        (e.status_id, e.status_code.as_deref()),
        (FAILURE, Some("0x6"))
    );
    assert!(e
        .status_detail
        .as_deref()
        .unwrap()
        .starts_with("unknown principal"));
    assert!(e.other["authentication_token"]
        .get("encryption_details")
        .is_none());
    // Service tickets, renewals, pre-authentication failures.
    let service = [
        ("TargetUserName", "alice@CORP.EXAMPLE"),
        ("ServiceName", "cifs/srv2"),
        ("Status", "0x0"),
        ("TicketEncryptionType", "0x12"),
    ];
    let e = parsed(&beat(4769, &service));
    assert_eq!(
        (e.activity_id, e.status_id),
        (SERVICE_TICKET_REQUEST, SUCCESS)
    );
    assert_eq!(e.other["authentication_token"]["type_id"], 2);
    assert_eq!(
        e.other["authentication_token"]["encryption_details"]["algorithm"],
        "AES"
    );
    let e = parsed(&beat(
        4770,
        &[("TargetUserName", "alice"), ("ServiceName", "cifs/srv2")],
    ));
    assert_eq!(
        (e.activity_id, e.status_id),
        (SERVICE_TICKET_RENEW, SUCCESS)
    );
    let e = parsed(&beat(
        4771,
        &[
            ("TargetUserName", "alice"),
            ("Status", "0x18"),
            ("IpAddress", "10.1.1.1"),
        ],
    ));
    assert_eq!((e.activity_id, e.status_id), (PREAUTH, FAILURE));
    assert_eq!(
        e.status_detail.as_deref(),
        Some("pre-authentication failed: bad password")
    );
    let e = parsed(&beat(
        4772,
        &[("TargetUserName", "alice"), ("FailureCode", "0x25")],
    ));
    assert_eq!(
        (e.activity_id, e.status_id),
        (AUTHENTICATION_TICKET, FAILURE)
    );
    assert_eq!(e.status_detail.as_deref(), Some("clock skew too great"));
    let e = parsed(&beat(4769, &[("TargetUserName", "alice")]));
    assert_eq!(e.status_id, OTHER);
}

#[test]
fn ntlm_validation_is_a_logon_with_the_status() {
    let e = parsed(&beat(
        4776,
        &[
            ("PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"),
            ("TargetUserName", "alice"),
            ("Workstation", "\\\\WS7"),
            ("Status", "0x0"),
        ],
    ));
    assert_eq!((e.activity_id, e.status_id), (LOGON, SUCCESS));
    assert_eq!(e.auth_protocol.as_deref(), Some("NTLM"));
    assert_eq!(
        e.src_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("WS7")
    );
    assert_eq!(
        e.unmapped["windows.package_name"],
        "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"
    );
    let e = parsed(&beat(
        4776,
        &[("TargetUserName", "alice"), ("Status", "0xc0000064")],
    ));
    assert_eq!(e.status_id, FAILURE);
    assert_eq!(e.status_detail.as_deref(), Some("no such user"));
    let e = parsed(&beat(4776, &[("TargetUserName", "alice")]));
    assert_eq!(e.status_id, OTHER);
}

#[test]
fn rdp_reconnects_and_disconnects() {
    let data = [
        ("AccountName", "alice"),
        ("AccountDomain", "CORP"),
        ("LogonID", "0x1A2B3C"),
        ("SessionName", "RDP-Tcp#3"),
        ("ClientName", "LAPTOP9"),
        ("ClientAddress", "203.0.113.20"),
    ];
    let e = parsed(&beat(4778, &data));
    assert_eq!((e.activity_id, e.logon_type_id), (LOGON, Some(10)));
    assert_eq!(user(&e), Some("alice"));
    assert_eq!(session_uid(&e), Some("dc1.corp.example/0x1a2b3c"));
    assert_eq!(e.session.as_ref().unwrap().extra["terminal"], "RDP-Tcp#3");
    assert_eq!(src(&e), Some("203.0.113.20"));
    assert_eq!(
        e.src_endpoint.as_ref().unwrap().hostname.as_deref(),
        Some("LAPTOP9")
    );
    let e = parsed(&beat(4779, &data));
    assert_eq!(e.activity_id, LOGOFF);
    let e = parsed(&beat(
        4778,
        &[
            ("AccountName", "alice"),
            ("SessionName", "Console"),
            ("ClientAddress", "LOCAL"),
        ],
    ));
    assert_eq!(
        (e.logon_type_id, &e.other["is_remote"]),
        (Some(2), &Value::Bool(false))
    );
    assert_eq!(e.unmapped["windows.ip_address"], "LOCAL");
}

#[test]
fn every_shape_gives_the_same_event() {
    let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID><TimeCreated SystemTime='2024-05-01T10:00:00.2500000Z'/><EventRecordID>42</EventRecordID><Channel>Security</Channel><Computer>DC1.corp.example</Computer></System><EventData><Data Name='TargetUserName'>a&amp;b</Data><Data Name='Status'>0xC000006D</Data><Data Name='SubStatus'>0xC000006A</Data><Data Name='IpAddress'>10.0.0.1</Data><Data Name='LogonType'>3</Data></EventData></Event>";
    let evtx = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":{"#attributes":{"Qualifiers":0},"#text":4625},"TimeCreated":{"#attributes":{"SystemTime":"2024-05-01T10:00:00.2500000Z"}},"EventRecordID":42,"Channel":"Security","Computer":"DC1.corp.example"},"EventData":{"TargetUserName":"a&b","Status":"0xC000006D","SubStatus":"0xC000006A","IpAddress":"10.0.0.1","LogonType":3}}}"##;
    let wazuh = r#"{"win":{"system":{"eventID":"4625","systemTime":"2024-05-01T10:00:00.250Z","computer":"DC1.corp.example","channel":"Security","providerName":"Microsoft-Windows-Security-Auditing","eventRecordID":"42"},"eventdata":{"targetUserName":"a&b","status":"0xc000006d","subStatus":"0xc000006a","ipAddress":"10.0.0.1","logonType":"3"}}}"#;
    let nxlog = r#"{"EventID":4625,"Hostname":"DC1.corp.example","Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","RecordNumber":42,"EventTime":"2024-05-01 06:00:00","EventReceivedTime":"2024-05-01 06:00:01","@timestamp":"2024-05-01T10:00:01.300Z","TargetUserName":"a&b","Status":"0xc000006d","SubStatus":"0xc000006a","IpAddress":"10.0.0.1","LogonType":"3","Message":"An account failed to log on.\r\n..."}"#;
    let beat = beat(
        4625,
        &[
            ("TargetUserName", "a&b"),
            ("Status", "0xc000006d"),
            ("SubStatus", "0xc000006a"),
            ("IpAddress", "10.0.0.1"),
            ("LogonType", "3"),
        ],
    );
    let mut events: Vec<(String, Event)> = [xml, evtx, wazuh, nxlog, beat.as_str()]
        .iter()
        .map(|t| {
            let mut e = parsed(t);
            let provider = e.metadata.extra.remove("log_provider").unwrap();
            (provider.as_str().unwrap().to_string(), e)
        })
        .collect();
    // NXLog's EventTime has whole seconds only.
    events[3].1.time += 250;
    let (_, first) = &events[0];
    for (provider, e) in &events[1..] {
        assert_eq!(e, first, "{provider}");
    }
    let providers: Vec<&str> = events.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        providers,
        ["Event XML", "EVTX", "Wazuh", "NXLog", "Winlogbeat"]
    );
    assert_eq!(user(first), Some("a&b"));
    assert_eq!(first.status_code.as_deref(), Some("0xC000006A"));
}

#[test]
fn nxlog_time_falls_back_to_timestamp_then_to_the_configured_zone() {
    let base = r#""EventID":4634,"Hostname":"h","Channel":"Security","TargetUserName":"a""#;
    let e = parsed(&format!(
        r#"{{{base},"@timestamp":"2024-05-01T10:00:01.300Z"}}"#
    ));
    assert_eq!(e.time, 1_714_557_601_300);
    let e = parsed(&format!(r#"{{{base},"EventTime":"2024-05-01 10:00:00"}}"#));
    assert_eq!(e.time, 1_714_557_600_000);
    let e = parsed(&format!(r#"{{{base}}}"#));
    assert_eq!(e.time, test_support::RECEIVED_MS);
}

#[test]
fn splunk_text_is_read_by_its_labels() {
    let text = "05/01/2024 10:00:00 AM\r\nLogName=Security\r\nEventCode=4625\r\nComputerName=DC1.corp.example\r\nRecordNumber=42\r\nMessage=An account failed to log on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n\tAccount Name:\t\tDC1$\r\n\tAccount Domain:\t\tCORP\r\n\tLogon ID:\t\t0x3E7\r\n\r\nLogon Type:\t\t\t3\r\n\r\nAccount For Which Logon Failed:\r\n\tSecurity ID:\t\tNULL SID\r\n\tAccount Name:\t\tbob\r\n\tAccount Domain:\t\tCORP\r\n\r\nFailure Information:\r\n\tFailure Reason:\t\tUnknown user name or bad password.\r\n\tStatus:\t\t\t0xC000006D\r\n\tSub Status:\t\t0xC0000064\r\n\r\nProcess Information:\r\n\tCaller Process ID:\t0x0\r\n\tCaller Process Name:\t-\r\n\r\nNetwork Information:\r\n\tWorkstation Name:\tKALI\r\n\tSource Network Address:\t203.0.113.9\r\n\tSource Port:\t\t4242\r\n\r\nDetailed Authentication Information:\r\n\tLogon Process:\t\tNtLmSsp \r\n\tAuthentication Package:\tNTLM\r\n";
    let e = parsed(text);
    assert_eq!((e.activity_id, e.status_id), (LOGON, FAILURE));
    assert_eq!(e.time, 1_714_557_600_000);
    assert_eq!(user(&e), Some("bob"));
    assert_eq!(e.user.as_ref().unwrap().uid, None);
    assert_eq!(src(&e), Some("203.0.113.9"));
    assert_eq!(e.logon_type_id, Some(3));
    assert_eq!(e.status_code.as_deref(), Some("0xC0000064"));
    assert_eq!(e.auth_protocol_id, Some(NTLM));
    assert_eq!(e.actor.as_ref().unwrap()["user"]["name"], "DC1$");
    assert_eq!(e.metadata.extra["log_provider"], "Splunk WinEventLog");
    // A 4634's Subject is the account logged off; a 4672's privileges are one a line.
    let e = parsed("05/01/2024 01:00:00 PM\nLogName=Security\nEventCode=4634\nComputerName=h\nMessage=An account was logged off.\n\nSubject:\n\tAccount Name:\t\talice\n\tLogon ID:\t\t0x1A\n\nLogon Type:\t\t\t2\n");
    assert_eq!((user(&e), session_uid(&e)), (Some("alice"), Some("h/0x1a")));
    assert_eq!(e.time, 1_714_568_400_000);
    let e = parsed("05/01/2024 12:00:00 AM\nLogName=Security\nEventCode=4672\nComputerName=h\nMessage=Special privileges assigned to new logon.\n\nSubject:\n\tAccount Name:\t\talice\n\tLogon ID:\t\t0x1A\n\nPrivileges:\t\tSeDebugPrivilege\n\t\t\tSeBackupPrivilege\n");
    assert_eq!(
        e.other["privileges"],
        serde_json::json!(["SeDebugPrivilege", "SeBackupPrivilege"])
    );
    assert_eq!(e.time, 1_714_521_600_000);
}

#[test]
fn event_viewer_xml_with_markers_is_read() {
    let text = "- <Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n- <System>\n  <EventID>4740</EventID>\n  <TimeCreated SystemTime=\"2024-05-01T10:00:00Z\" />\n  <Channel>Security</Channel>\n  <Computer>DC1</Computer>\n  </System>\n- <EventData>\n  <Data Name=\"TargetUserName\">alice</Data>\n  <Data Name=\"TargetDomainName\">WS7</Data>\n  <Data Name=\"Note\"><![CDATA[x<y]]>&#x41;</Data>\n  </EventData>\n  </Event>";
    assert!(looks_like(text));
    let e = parsed(text);
    assert_eq!((e.class_uid, e.activity_id), (ACCOUNT_CHANGE, LOCK));
    assert_eq!(user(&e), Some("alice"));
    let ev = read(text, &ctx()).unwrap();
    assert_eq!(ev.raw("Note"), Some("x<yA"));
    // UserData fields are data too.
    let text = "<Event><System><EventID>1102</EventID><Channel>Security</Channel></System><UserData><LogFileCleared><SubjectUserName>bob</SubjectUserName></LogFileCleared></UserData></Event>";
    assert_eq!(
        read(text, &ctx()).unwrap().raw("SubjectUserName"),
        Some("bob")
    );
}

#[test]
fn other_records_are_unrecognized_with_a_reason() {
    let cases = [
        (beat(4688, &[]), "Windows event 4688 is not an authentication event"),
        (
            r#"{"win":{"system":{"eventID":"7045","channel":"System","systemTime":"2021-06-25T18:33:57Z"}}}"#.into(),
            "of the \"System\" channel is not an authentication event",
        ),
        (r#"{"evtx_error":"unexpected token 0x99","record":7}"#.into(), "EVTX record 7 could not be read: unexpected token 0x99"),
        (r#"{"winlog":{"event_id":"x"}}"#.into(), "bad Windows event id"),
        (r#"{"winlog":{"channel":"Security"}}"#.into(), "without an event id"),
        (r#"{"winlog":{"event_id":4624},"@timestamp":"later"}"#.into(), "bad @timestamp"),
        (r#"{"EventID":4624,"EventTime":"never"}"#.into(), "bad EventTime"),
        (r##"{"Event":{"System":{"EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"123"}}}}}"##.into(), "bad TimeCreated SystemTime"),
        (r#"{"Event":{"EventData":{}}}"#.into(), "without Event.System"),
        (r#"{"win":{"eventdata":{}}}"#.into(), "without win.system"),
        (r#"{"a":1}"#.into(), "JSON is not a Windows event"),
        (r#"{"winlog":"#.into(), "invalid JSON Windows event"),
        ("<Event><System><EventID>4624</EventID></System>".into(), "the text ends before </Event>"),
        ("<Other/>".into(), "not a Windows event"),
        ("<Event><System><Channel>Security</Channel></System></Event>".into(), "event XML without System/EventID"),
        ("<Event><System><EventID>4624</EventID><TimeCreated SystemTime='x'/></System></Event>".into(), "bad TimeCreated SystemTime"),
        ("<Event><System><EventID>4624</EventID></System><EventData><Data Name='a'>&bogus;</Data></EventData></Event>".into(), "invalid event XML"),
        ("05/01/2024 10:00:00 AM\nLogName=Security\nMessage=x".into(), "without EventCode"),
        ("13/45/2024 10:00:00 AM\nLogName=Security\nEventCode=4624".into(), "bad Splunk date line"),
        ("just words".into(), "not a Windows event"),
    ];
    test_support::assert_unrecognized(parse, ctx, cases.iter().map(|(t, r)| (t.as_str(), *r)));
}

#[test]
fn looks_like_windows_records_only() {
    for yes in [
        beat(4624, &[]),
        r#"{"EventID":4624,"Channel":"Security","Hostname":"h"}"#.into(),
        r#"{"win":{"system":{"eventID":"4624"}}}"#.into(),
        r#"{"Event":{"System":{"EventID":4624}}}"#.into(),
        r#"{"evtx_error":"x","record":1}"#.into(),
        "<Event xmlns='x'><System/></Event>".into(),
        "- <Event xmlns='x'>".into(),
        "<?xml version='1.0'?><Event>".into(),
        "03/12/2021 10:48:14 AM\nLogName=Security".into(),
    ] {
        assert!(looks_like(&yes), "{yes}");
    }
    for no in [
        r#"{"eventType":"user.session.start"}"#,
        r#"{"EventID":4624}"#,
        "<Events>",
        "<EventsX>",
        "03/12/2021 10:48:14 AM",
        "Dec 10 06:55:46 host sshd[1]: Accepted password",
    ] {
        assert!(!looks_like(no), "{no}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(
        s in "\\PC{0,200}",
        j in r#"\{"winlog":\{"event_id":"(4624|4625|4768|4778|46[0-9]{2})","computer_name":"[a-z]{0,4}","event_data":\{"TargetLogonId":"[0-9a-fx]{0,20}","IpAddress":"[0-9a-f.:%-]{0,20}","IpPort":"[0-9-]{0,7}","LogonType":"[0-9]{0,3}","Status":"[0-9a-fx]{0,12}","ProcessId":"[0-9a-fx]{0,20}","TicketEncryptionType":"[0-9a-fx]{0,12}"\}\},"@timestamp":"[0-9T:.Z-]{0,26}"\}"#,
        x in r#"(- )?<Event><System><EventID>(4624|4625|4740|x)</EventID><TimeCreated SystemTime='[0-9T:.Z-]{0,26}'/></System><EventData><Data Name='[A-Za-z]{0,12}'>[^<]{0,12}</Data></EventData></Event>"#,
        sp in "[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}:[0-9]{2} (AM|PM)\nLogName=Security\nEventCode=(4624|4672|4634)\nMessage=x\n\n[A-Za-z ]{0,10}:\n\t[A-Za-z ]{0,12}:\t[ -~]{0,12}\n",
    ) {
        test_support::parse_never_panics(parse, ctx, [s.as_str(), j.as_str(), x.as_str(), sp.as_str()]);
    }
}

#[test]
fn trim_agrees_with_str_trim() {
    for v in [
        "",
        "a",
        " a",
        "a ",
        "\u{a0}a",
        "a\u{3000}",
        "\ta\r\n",
        "-",
        " - ",
        "ab cd",
        "é",
        "é ",
        "x\u{85}",
        "\u{1c}x",
    ] {
        assert_eq!(trim(v), v.trim(), "{v:?}");
    }
}
