//! Golden tests of the Windows Security parser over the shared datasets: OTRF (NXLog JSON),
//! EVTX-ATTACK-SAMPLES (binary `.evtx`), the Sigma regression 4648 (`.evtx` and its JSON),
//! CrowdSec's Event Viewer XML, Wazuh's eventchannel JSON and the OCSF project's 4624 example in
//! Splunk text; plus auto-detection against the explicit format.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use authtrail_ingest::decode::evtx;
use authtrail_ingest::limits::Limits;
use authtrail_ingest::parse::ParseConfig;
use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::{InputFormat, Normalizer};
use authtrail_model::Event;
use serde_json::Value;

const WIN: &str = "windows-security";

/// The OTRF files and their README counts per event id.
const OTRF: [(&str, &[(u32, usize)]); 3] = [
    (
        "empire_shell_rubeus_asktgt_ptt_2020-09-21223848",
        &[(4624, 7), (4634, 8), (4672, 6), (4768, 1)],
    ),
    (
        "empire_shell_rubeus_asktgt_createnetonly_2020-09-21230246",
        &[(4624, 9), (4634, 7), (4672, 6), (4768, 1)],
    ),
    (
        "mimikatz_CVE-2020-1472_Unauthenticated_NetrServerAuthenticate2_2020-09-16233923",
        &[(4624, 4), (4634, 4), (4672, 3)],
    ),
];

/// The EVTX-ATTACK-SAMPLES files and their README counts per event id. The README lists no
/// 1102 for the last file, but it holds one (its first record, the author's "log cleared"
/// marker as in the others; the `evtx` crate reads the same 8 records).
const EVTX_SAMPLES: [(&str, &[(u32, usize)]); 7] = [
    (
        "CA_4624_4625_LogonType2_LogonProc_chrome",
        &[(4624, 3), (4625, 1)],
    ),
    ("LM_WMIC_4648_rpcss", &[(4648, 3), (4688, 1), (1102, 1)]),
    ("LM_WMI_4624_4688_TargetHost", &[(4624, 6), (4688, 2)]),
    (
        "Runas_4624_4648_Webshell_CreateProcessAsUserA",
        &[(4648, 1), (4624, 1), (1102, 1)],
    ),
    ("DE_RDP_Tunneling_4624", &[(4624, 18)]),
    (
        "4624 LT3 AnonymousLogon Localhost - JuicyPotato",
        &[(4624, 1), (4634, 1), (1102, 1)],
    ),
    (
        "remote task update 4624 4702 same logonid",
        &[(4624, 6), (4702, 1), (1102, 1)],
    ),
];

/// Event ids the parser maps; the others must be unparsed as "not an authentication event".
const MAPPED: [u32; 16] = [
    4624, 4625, 4634, 4647, 4648, 4672, 4740, 4768, 4769, 4770, 4771, 4772, 4773, 4776, 4778, 4779,
];

/// An event's Windows event id, from its `metadata.event_code`.
fn event_code(e: &Event) -> Option<u32> {
    e.metadata.extra.get("event_code")?.as_str()?.parse().ok()
}

/// The event id of an unparsed record, from the reason "Windows event N is not …".
fn unparsed_id(reason: &str) -> Option<u32> {
    let rest = reason.split("Windows event ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

/// Counts per event id of normalized records; every record must be mapped or refused as not
/// an authentication event (with its id in the reason).
fn counts(name: &str, records: &[(usize, Normalized)]) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for (line, n) in records {
        let id = if n.event.is_unparsed() {
            let reason = n.unparsed_reason.as_deref().unwrap_or("");
            assert!(
                reason.contains("is not an authentication event"),
                "{name} L{line}: {reason}"
            );
            let id = unparsed_id(reason).unwrap_or_else(|| panic!("{name} L{line}: {reason}"));
            assert!(!MAPPED.contains(&id), "{name} L{line}: {reason}");
            id
        } else {
            let id = event_code(&n.event).unwrap_or_else(|| panic!("{name} L{line}: no code"));
            assert!(MAPPED.contains(&id), "{name} L{line}: {id}");
            id
        };
        *counts.entry(id).or_default() += 1;
    }
    counts
}

#[test]
fn otrf_nxlog_json() {
    let mut all = String::new();
    for (name, expected) in OTRF {
        let path = format!("{WIN}/otrf-security-datasets/{name}.security-auth-events.jsonl");
        let Some(records) = support::normalized(&path, InputFormat::Windows) else {
            return;
        };
        let got = counts(name, &records);
        assert_eq!(got, expected.iter().copied().collect(), "{name}");
        assert!(
            records.iter().all(|(_, n)| !n.event.is_unparsed()),
            "{name}"
        );
        all.push_str(&format!(
            "## {name}\n{}\n",
            support::render_with_events(&records)
        ));
    }
    insta::assert_snapshot!("windows_otrf", all);
}

#[test]
fn otrf_overpass_the_hash_tgt_is_rc4_from_the_workstation() {
    let path = format!(
        "{WIN}/otrf-security-datasets/empire_shell_rubeus_asktgt_ptt_2020-09-21223848.security-auth-events.jsonl"
    );
    let Some(records) = support::normalized(&path, InputFormat::Windows) else {
        return;
    };
    let tgt = records
        .iter()
        .map(|(_, n)| &n.event)
        .find(|e| event_code(e) == Some(4768))
        .expect("a 4768");
    assert_eq!(tgt.activity_name.as_deref(), Some("Authentication Ticket"));
    assert_eq!(tgt.auth_protocol.as_deref(), Some("Kerberos"));
    assert_eq!(
        tgt.user.as_ref().and_then(|u| u.name.as_deref()),
        Some("pgustavo")
    );
    assert_eq!(
        tgt.src_endpoint.as_ref().and_then(|s| s.ip.as_deref()),
        Some("172.18.39.6")
    );
    assert_eq!(tgt.unmapped["windows.ticket_encryption_type"], "0x17");
    assert_eq!(
        tgt.other["authentication_token"]["encryption_details"]["type"],
        "RC4-HMAC"
    );
    // EventTime 22:39:13 local (UTC-4) per the README.
    assert_eq!(
        jiff::Timestamp::from_millisecond(tgt.time)
            .unwrap()
            .to_string(),
        "2020-09-22T02:39:13Z"
    );
}

/// An EVTX sample transcoded and normalized, or `None` to skip.
fn evtx_records(rel: &str) -> Option<Vec<(usize, Normalized)>> {
    let body = support::dataset(rel)?;
    assert!(evtx::is_evtx(&body), "{rel}");
    Some(support::normalize(
        &evtx::to_ndjson(&body),
        InputFormat::Windows,
    ))
}

#[test]
fn evtx_attack_samples() {
    let mut all = String::new();
    for (name, expected) in EVTX_SAMPLES {
        let Some(records) = evtx_records(&format!("{WIN}/evtx-attack-samples/{name}.evtx")) else {
            return;
        };
        let got = counts(name, &records);
        assert_eq!(got, expected.iter().copied().collect(), "{name}");
        all.push_str(&format!(
            "## {name}\n{}\n",
            support::render_with_events(&records)
        ));
    }
    insta::assert_snapshot!("windows_evtx_attack_samples", all);
}

#[test]
fn sigma_evtx_and_json_give_the_same_event() {
    let dir = format!("{WIN}/sigma-regression-data/e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62");
    let Some(from_evtx) = evtx_records(&format!("{dir}.evtx")) else {
        return;
    };
    let Some(from_json) = support::normalized(&format!("{dir}.json"), InputFormat::Windows) else {
        return;
    };
    assert_eq!((from_evtx.len(), from_json.len()), (1, 1));
    let (a, b) = (&from_evtx[0].1.event, &from_json[0].1.event);
    assert!(!a.is_unparsed(), "{:?}", from_evtx[0].1.unparsed_reason);
    assert_eq!(a, b);
    assert_eq!(a.activity_name.as_deref(), Some("Logon"));
    assert_eq!(
        a.user.as_ref().and_then(|u| u.name.as_deref()),
        Some("testuser")
    );
    assert_eq!(a.actor.as_ref().unwrap()["user"]["name"], "xodih");
    assert_eq!(
        a.dst_endpoint.as_ref().and_then(|d| d.hostname.as_deref()),
        Some("localhost")
    );
    insta::assert_snapshot!("windows_sigma", support::render_with_events(&from_json));
}

#[test]
fn crowdsec_event_viewer_xml() {
    let path = "windows-security/crowdsec-hub/windows-logs/windows-logs.log";
    let Some((body, asserts)) = support::crowdsec_test(path) else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Windows);
    assert_eq!(records.len(), 1);
    let e = &records[0].1.event;
    assert!(!e.is_unparsed(), "{:?}", records[0].1.unparsed_reason);
    // CrowdSec's values, as parser.assert states them for the raw stage.
    let mut compared = 0;
    for line in asserts.lines() {
        let Some(rest) = line.strip_prefix(
            "results[\"s00-raw\"][\"crowdsecurity/windows-eventlog\"][0].Evt.Parsed[\"",
        ) else {
            continue;
        };
        let (key, value) = rest.split_once("\"] == ").expect("assertion");
        let theirs = support::go_unquote(value).expect("string");
        let ours = match key {
            "Computer" => e.dst_endpoint.as_ref().and_then(|d| d.hostname.clone()),
            "EventID" => event_code(e).map(|c| c.to_string()),
            "Channel" => e
                .metadata
                .extra
                .get("log_name")
                .and_then(|v| v.as_str())
                .map(String::from),
            "Source" => e
                .unmapped
                .get("windows.provider")
                .and_then(|v| v.as_str())
                .map(String::from),
            _ => continue,
        };
        assert_eq!(ours.as_deref(), Some(theirs.as_str()), "{key}");
        compared += 1;
    }
    assert_eq!(compared, 4);
    let marshaled = asserts
        .lines()
        .find_map(|l| l.split("Enriched[\"MarshaledTime\"] == ").nth(1))
        .and_then(support::go_unquote)
        .expect("MarshaledTime");
    let theirs: jiff::Timestamp = marshaled.parse().unwrap();
    assert_eq!(e.time, theirs.as_millisecond());
    // What CrowdSec does not name: the failure.
    assert_eq!(e.status.as_deref(), Some("Failure"));
    assert_eq!(e.status_code.as_deref(), Some("0xC0000064"));
    assert_eq!(
        e.user.as_ref().and_then(|u| u.name.as_deref()),
        Some("testuser@mydomain.test")
    );
    assert_eq!(
        e.src_endpoint.as_ref().and_then(|s| s.ip.as_deref()),
        Some("192.168.9.212")
    );
    insta::assert_snapshot!(
        "windows_crowdsec_xml",
        support::render_with_events(&records)
    );
}

/// The `log N pass = …` lines of a Wazuh rule-test `.ini`, with their section.
fn wazuh_cases(ini: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut cases = Vec::new();
    for line in ini.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, value)) = line.split_once(" = ") {
            if key.starts_with("log ") && key.ends_with(" pass") {
                cases.push((section.clone(), value.to_string()));
            }
        }
    }
    cases
}

#[test]
fn wazuh_eventchannel_cases() {
    let mut table = String::new();
    let mut logons = 0;
    for file in ["win_event_channel", "win_security"] {
        let Some(ini) = support::dataset(&format!("{WIN}/wazuh-ruleset-tests/{file}.ini")) else {
            return;
        };
        let cases = wazuh_cases(&String::from_utf8(ini).expect("utf-8"));
        // The CSV lists the same cases.
        let csv = support::dataset(&format!("{WIN}/wazuh-ruleset-tests/{file}.cases.csv"))
            .map(|c| String::from_utf8(c).expect("utf-8"))
            .unwrap_or_default();
        assert_eq!(csv.lines().count(), cases.len() + 1, "{file}");
        let body: String = cases.iter().map(|(_, log)| format!("{log}\n")).collect();
        let records = support::normalize(body.as_bytes(), InputFormat::Windows);
        assert_eq!(records.len(), cases.len(), "{file}");
        table.push_str(&format!("## {file}\n"));
        for ((section, log), (line, n)) in cases.iter().zip(&records) {
            let logon_case = log.contains("\"eventID\":\"4624\"");
            let e = &n.event;
            if logon_case {
                logons += 1;
                assert_eq!(
                    (e.class_uid, e.activity_id, e.status_id),
                    (3002, 1, 1),
                    "{section}"
                );
                assert!(e.user.is_some() && e.src_endpoint.is_some(), "{section}");
            } else {
                assert!(e.is_unparsed(), "{section}");
            }
            let got = if e.is_unparsed() {
                format!("unparsed: {}", n.unparsed_reason.as_deref().unwrap_or(""))
            } else {
                let user = e
                    .user
                    .as_ref()
                    .and_then(|u| u.name.as_deref())
                    .unwrap_or("-");
                let src = e.src_endpoint.as_ref();
                format!(
                    "{} {} user={user} src={}/{} logon_type={} protocol={} session={}",
                    e.type_name.as_deref().unwrap_or("?"),
                    e.status.as_deref().unwrap_or("?"),
                    src.and_then(|s| s.ip.as_deref()).unwrap_or("-"),
                    src.and_then(|s| s.hostname.as_deref()).unwrap_or("-"),
                    e.logon_type.as_deref().unwrap_or("-"),
                    e.auth_protocol.as_deref().unwrap_or("-"),
                    e.session
                        .as_ref()
                        .and_then(|s| s.uid.as_deref())
                        .unwrap_or("-"),
                )
            };
            table.push_str(&format!("L{line} [{section}] -> {got}\n"));
        }
        table.push_str(&format!("\n{}\n", support::render_with_events(&records)));
    }
    assert_eq!(logons, 6);
    insta::assert_snapshot!("windows_wazuh_cases", table);
}

#[test]
fn ocsf_example_agrees_with_the_ocsf_mapping() {
    let dir = format!("{WIN}/ocsf-examples/4624_0");
    let Some(text) = support::dataset(&format!("{dir}.event.txt")) else {
        return;
    };
    let Some(theirs) = support::dataset(&format!("{dir}.ocsf.json")) else {
        return;
    };
    let theirs: Value = serde_json::from_slice(&theirs).unwrap();
    // Splunk's date line has no zone; the OCSF project read it as US Eastern (UTC-5 then).
    let config = ParseConfig {
        zone: jiff::tz::TimeZone::get("America/New_York").unwrap(),
        ..ParseConfig::default()
    };
    let records = support::normalize_with(&text, InputFormat::Windows, config);
    assert_eq!(records.len(), 1);
    let e = &records[0].1.event;
    assert!(!e.is_unparsed(), "{:?}", records[0].1.unparsed_reason);
    assert_eq!(
        u64::from(e.class_uid),
        theirs["class_uid"].as_u64().unwrap()
    );
    assert_eq!(
        i64::from(e.activity_id),
        theirs["activity_id"].as_i64().unwrap()
    );
    assert_eq!(
        i64::from(e.status_id),
        theirs["status_id"].as_i64().unwrap()
    );
    assert_eq!(e.time, theirs["time"].as_i64().unwrap());
    let user = e.user.as_ref().unwrap();
    assert_eq!(user.name.as_deref(), theirs["user"]["name"].as_str());
    assert_eq!(user.extra["domain"], theirs["user"]["domain"]);
    assert_eq!(user.uid.as_deref(), theirs["user"]["uid"].as_str());
    // They write "-" for "no source address"; we write none.
    assert_eq!(theirs["src_endpoint"]["ip"], "-");
    assert!(e.src_endpoint.is_none());
    assert_eq!(
        i64::from(e.logon_type_id.unwrap()),
        theirs["logon_type_id"].as_i64().unwrap()
    );
    assert_eq!(
        i64::from(e.auth_protocol_id.unwrap()),
        theirs["auth_protocol_id"].as_i64().unwrap()
    );
    assert_eq!(
        e.dst_endpoint.as_ref().and_then(|d| d.hostname.as_deref()),
        theirs["dst_endpoint"]["hostname"].as_str()
    );
    assert_eq!(
        e.actor.as_ref().unwrap()["user"]["name"],
        theirs["actor"]["user"]["name"]
    );
    assert_eq!(
        e.actor.as_ref().unwrap()["process"]["pid"],
        theirs["actor"]["process"]["pid"]
    );
    assert_eq!(e.message.as_deref(), theirs["message"].as_str());
    insta::assert_snapshot!(
        "windows_ocsf_example",
        support::render_with_events(&records)
    );
}

#[test]
fn auto_agrees_for_json_and_xml_shapes() {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, _) in OTRF {
        let path = format!("{WIN}/otrf-security-datasets/{name}.security-auth-events.jsonl");
        let Some(body) = support::dataset(&path) else {
            return;
        };
        files.push((path, body));
    }
    let Some(xml) = support::dataset("windows-security/crowdsec-hub/windows-logs/windows-logs.log")
    else {
        return;
    };
    files.push(("crowdsec xml".into(), xml));
    let Some(ini) = support::dataset(&format!("{WIN}/wazuh-ruleset-tests/win_event_channel.ini"))
    else {
        return;
    };
    let wazuh: String = wazuh_cases(&String::from_utf8(ini).unwrap())
        .iter()
        .map(|(_, log)| format!("{log}\n"))
        .collect();
    files.push(("wazuh".into(), wazuh.into_bytes()));
    for (name, _) in EVTX_SAMPLES {
        let Some(body) = support::dataset(&format!("{WIN}/evtx-attack-samples/{name}.evtx")) else {
            return;
        };
        files.push((name.to_string(), evtx::to_ndjson(&body)));
    }
    files.push(("winlogbeat".into(), WINLOGBEAT.as_bytes().to_vec()));
    let mut mapped = 0;
    for (path, body) in &files {
        for (line, a, b) in support::explicit_and_auto(path, body, InputFormat::Windows) {
            assert_eq!(
                b.parser.map(|p| p.name()),
                Some("windows"),
                "{path} L{line}"
            );
            if a.event.is_unparsed() {
                assert_eq!(a.unparsed_reason, b.unparsed_reason, "{path} L{line}");
                continue;
            }
            mapped += 1;
            support::assert_auto_agrees(path, line, &a, &b);
        }
    }
    assert!(mapped >= 100, "only {mapped} mapped");
}

/// A Winlogbeat 8 event (ECS), written for this test.
const WINLOGBEAT: &str = r#"{"@timestamp":"2024-03-01T10:00:00.123Z","event":{"code":"4625","provider":"Microsoft-Windows-Security-Auditing","outcome":"failure"},"host":{"name":"ws1.example.org"},"winlog":{"channel":"Security","computer_name":"WS1.example.org","event_id":"4625","provider_name":"Microsoft-Windows-Security-Auditing","record_id":98765,"event_data":{"SubjectUserSid":"S-1-0-0","TargetUserSid":"S-1-0-0","TargetUserName":"alice","TargetDomainName":"EXAMPLE","Status":"0xc000006d","SubStatus":"0xc000006a","FailureReason":"%%2313","LogonType":"3","LogonProcessName":"NtLmSsp ","AuthenticationPackageName":"NTLM","WorkstationName":"KALI","IpAddress":"::ffff:203.0.113.5","IpPort":"0"}},"message":"An account failed to log on."}"#;

#[test]
fn winlogbeat_json() {
    let records = support::normalize(WINLOGBEAT.as_bytes(), InputFormat::Windows);
    let e = &records[0].1.event;
    assert!(!e.is_unparsed(), "{:?}", records[0].1.unparsed_reason);
    assert_eq!(e.status_code.as_deref(), Some("0xC000006A"));
    assert_eq!(e.status_detail.as_deref(), Some("wrong password"));
    assert_eq!(e.metadata.uid.as_deref(), Some("WS1.example.org/98765"));
    assert_eq!(
        e.src_endpoint.as_ref().and_then(|s| s.ip.as_deref()),
        Some("203.0.113.5")
    );
    assert_eq!(e.src_endpoint.as_ref().and_then(|s| s.port), None);
    assert_eq!(e.auth_protocol.as_deref(), Some("NTLM"));
}

/// Splunk text with two events, the second a 4625: split into records and both read.
#[test]
fn splunk_text_is_split_into_events() {
    let Some(text) = support::dataset(&format!("{WIN}/ocsf-examples/4624_0.event.txt")) else {
        return;
    };
    let mut body = text.clone();
    body.extend_from_slice(b"\n");
    body.extend_from_slice(&text);
    let mut normalizer = Normalizer::new(InputFormat::Windows, Arc::new(ParseConfig::default()));
    let records = normalizer.records(&body, &Limits::default()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].raw, text.trim_ascii_end());
    assert_eq!(
        records[1].line,
        text.iter().filter(|&&b| b == b'\n').count() + 2
    );
    for r in &records {
        assert!(!normalizer.normalize(r).event.is_unparsed());
    }
}
