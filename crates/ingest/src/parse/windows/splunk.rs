//! Splunk WinEventLog text: a date line (`03/12/2021 10:48:14 AM`, local time, read in the
//! configured zone), `Key=Value` lines (`LogName`, `SourceName`, `EventCode`, `ComputerName`,
//! `RecordNumber`, …), then `Message=` and Windows' rendered message, whose `Section:` lines and
//! tab-indented `Label:\t\tvalue` lines are read back into the event data names
//! (`New Logon:` / `Account Name:` is `TargetUserName`, and so on).

use std::borrow::Cow;

use super::{Data, Name, Shape, WinEvent};
use crate::parse::{ParseContext, Unrecognized};

/// Whether text starts as a Splunk WinEventLog event: a date line, then `LogName=`.
pub fn looks_like(text: &str) -> bool {
    let mut lines = text.lines();
    lines.next().is_some_and(is_date_line)
        && lines
            .next()
            .is_some_and(|l| l.trim_start().starts_with("LogName="))
}

/// Whether a line is Splunk's event date: `MM/DD/YYYY HH:MM:SS AM` (or `PM`).
pub fn is_date_line(line: &str) -> bool {
    date_ms_parts(line).is_some()
}

/// The parts of a date line: year, month, day, hour (24 h), minute, second.
fn date_ms_parts(line: &str) -> Option<(i16, i8, i8, i8, i8, i8)> {
    let line = line.trim();
    let (date, rest) = line.split_once(' ')?;
    let (clock, half) = rest.trim().split_once(' ')?;
    let mut d = date.split('/');
    let month: i8 = d.next()?.parse().ok()?;
    let day: i8 = d.next()?.parse().ok()?;
    let year: i16 = d.next()?.parse().ok()?;
    let mut c = clock.split(':');
    let hour: i8 = c.next()?.parse().ok()?;
    let minute: i8 = c.next()?.parse().ok()?;
    let second: i8 = c.next()?.parse().ok()?;
    if d.next().is_some() || c.next().is_some() || !(1..=12).contains(&hour) {
        return None;
    }
    let hour = match half {
        "AM" => hour % 12,
        "PM" => hour % 12 + 12,
        _ => return None,
    };
    Some((year, month, day, hour, minute, second))
}

/// Read a Splunk WinEventLog event as a [`WinEvent`].
pub fn read<'a>(text: &'a str, ctx: &ParseContext) -> Result<WinEvent<'a>, Unrecognized> {
    let mut lines = text.lines();
    let date = lines.next().unwrap_or("");
    let (y, mo, d, h, mi, s) = date_ms_parts(date)
        .ok_or_else(|| Unrecognized::because(format!("bad Splunk date line {date:?}")))?;
    let time_ms = ctx
        .local_to_ms(y, mo, d, (h, mi, s), 0)
        .ok_or_else(|| Unrecognized::because(format!("bad Splunk date line {date:?}")))?;
    let mut event = WinEvent {
        event_id: 0,
        time_ms,
        computer: None,
        channel: None,
        provider: None,
        record_id: None,
        data: Data::default(),
        shape: Shape::Splunk,
    };
    let mut event_code = None;
    for line in lines.by_ref() {
        let line = line.trim_end_matches('\r');
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = Some(Cow::Borrowed(value.trim())).filter(|v| !v.is_empty());
        match key.trim() {
            "LogName" => event.channel = value,
            "SourceName" => event.provider = value,
            "EventCode" => event_code = value,
            "ComputerName" => event.computer = value,
            "RecordNumber" => event.record_id = value,
            "Message" => break,
            _ => {}
        }
    }
    let code = event_code.ok_or(Unrecognized::new(
        "Splunk WinEventLog event without EventCode",
    ))?;
    event.event_id = code
        .parse()
        .map_err(|_| Unrecognized::because(format!("bad EventCode {code:?}")))?;
    read_message(lines, &mut event);
    Ok(event)
}

/// Read the rendered message's labelled values into the event's data.
fn read_message<'a>(lines: impl Iterator<Item = &'a str>, event: &mut WinEvent<'a>) {
    let mut section = "";
    // The field a continuation line (the rest of a privilege list) belongs to.
    let mut last: Option<Name> = None;
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            last = None;
            continue;
        }
        let indented = line.starts_with('\t') || line.starts_with(' ');
        let content = line.trim();
        let labelled = content.split_once(':').map(|(l, v)| (l.trim(), v.trim()));
        match labelled {
            // `Section:` alone on its line.
            Some((label, "")) if !indented => {
                section = label;
                last = None;
            }
            Some((label, value)) if indented || line.contains(":\t") => {
                let section = if indented { section } else { "" };
                // A field given again keeps its first value (and its continuations).
                last = match field_name(event.event_id, section, label) {
                    Some(name) if event.data.set(name, Cow::Borrowed(value)) => Some(name),
                    _ => None,
                };
            }
            // A continuation of the previous value (privileges are listed one a line).
            None if indented => {
                if let Some(value) = last.and_then(|name| event.data.get_mut(name)) {
                    let joined = format!("{value}\n{content}");
                    *value = Cow::Owned(joined);
                }
            }
            // Prose ("This event is generated when…").
            _ => last = None,
        }
    }
}

/// The event data name of a message label in a section (`""` for unindented labels).
fn field_name(event_id: u32, section: &str, label: &str) -> Option<Name> {
    // The `Subject:` of a logoff or session event is the account it is about.
    let subject_is_target = matches!(event_id, 4634 | 4647);
    let session_event = matches!(event_id, 4778 | 4779);
    Some(match (section, label) {
        ("Subject", "Security ID") if subject_is_target => Name::TargetUserSid,
        ("Subject", "Account Name") if subject_is_target => Name::TargetUserName,
        ("Subject", "Account Domain") if subject_is_target => Name::TargetDomainName,
        ("Subject", "Logon ID") if subject_is_target => Name::TargetLogonId,
        ("Subject", "Account Name") if session_event => Name::AccountName,
        ("Subject", "Account Domain") if session_event => Name::AccountDomain,
        ("Subject", "Logon ID") if session_event => Name::LogonID,
        ("Subject", "Security ID") => Name::SubjectUserSid,
        ("Subject", "Account Name") => Name::SubjectUserName,
        ("Subject", "Account Domain") => Name::SubjectDomainName,
        ("Subject", "Logon ID") => Name::SubjectLogonId,
        (
            "New Logon"
            | "Account For Which Logon Failed"
            | "Account Whose Credentials Were Used"
            | "Account That Was Locked Out"
            | "Account Information",
            label,
        ) => match label {
            "Security ID" => Name::TargetUserSid,
            "User ID" => Name::TargetSid,
            "Account Name" => Name::TargetUserName,
            "Account Domain" | "Supplied Realm Name" => Name::TargetDomainName,
            "Logon ID" => Name::TargetLogonId,
            "Linked Logon ID" => Name::TargetLinkedLogonId,
            "Network Account Name" => Name::TargetOutboundUserName,
            "Network Account Domain" => Name::TargetOutboundDomainName,
            "Logon GUID" => Name::LogonGuid,
            _ => return None,
        },
        ("Logon Information" | "", "Logon Type") => Name::LogonType,
        ("Logon Information", "Restricted Admin Mode") => Name::RestrictedAdminMode,
        ("Logon Information", "Virtual Account") => Name::VirtualAccount,
        ("Logon Information", "Elevated Token") => Name::ElevatedToken,
        ("", "Impersonation Level") => Name::ImpersonationLevel,
        ("", "Privileges") => Name::PrivilegeList,
        ("Process Information", "Process ID" | "Caller Process ID") => Name::ProcessId,
        ("Process Information", "Process Name" | "Caller Process Name") => Name::ProcessName,
        ("Network Information", "Workstation Name") => Name::WorkstationName,
        (
            "Network Information",
            "Source Network Address" | "Network Address" | "Client Address",
        ) => Name::IpAddress,
        ("Network Information", "Source Port" | "Port" | "Client Port") => Name::IpPort,
        ("Detailed Authentication Information", label) => match label {
            "Logon Process" => Name::LogonProcessName,
            "Authentication Package" => Name::AuthenticationPackageName,
            "Transited Services" => Name::TransmittedServices,
            "Package Name (NTLM only)" => Name::LmPackageName,
            "Key Length" => Name::KeyLength,
            _ => return None,
        },
        ("Failure Information", "Failure Reason") => Name::FailureReason,
        ("Failure Information", "Status") => Name::Status,
        ("Failure Information", "Sub Status") => Name::SubStatus,
        ("Target Server", "Target Server Name") => Name::TargetServerName,
        ("Target Server", "Additional Information") => Name::TargetInfo,
        ("Service Information", "Service Name") => Name::ServiceName,
        ("Service Information", "Service ID") => Name::ServiceSid,
        ("Session", "Session Name") => Name::SessionName,
        ("Additional Information", label) => match label {
            "Ticket Options" => Name::TicketOptions,
            "Result Code" | "Failure Code" => Name::Status,
            "Ticket Encryption Type" => Name::TicketEncryptionType,
            "Pre-Authentication Type" => Name::PreAuthType,
            "Transited Services" => Name::TransmittedServices,
            "Caller Computer Name" => Name::TargetDomainName,
            "Client Name" => Name::ClientName,
            "Client Address" => Name::ClientAddress,
            _ => return None,
        },
        // 4776 writes its fields unindented.
        ("", "Authentication Package") => Name::PackageName,
        ("", "Logon Account") => Name::TargetUserName,
        ("", "Source Workstation") => Name::Workstation,
        ("", "Error Code") => Name::Status,
        _ => return None,
    })
}
