//! What Windows writes as codes: NTSTATUS values, Kerberos result codes, ticket encryption
//! types, logon types and `%%NNNN` message-table references, with their meanings.

/// A hexadecimal code (`0xc000006d`, `0XC000006D`, `c000006d`) written one way: `0x` then
/// upper-case digits (`0xC000006D`); text that is not hexadecimal is returned trimmed.
pub fn normalize_hex(code: &str) -> String {
    match parse_hex(code) {
        Some(n) => format!("0x{n:X}"),
        None => code.trim().to_string(),
    }
}

/// Write `n` as `0x` and its lower-case hexadecimal digits (as `format!("0x{n:x}")` would).
pub fn push_hex(out: &mut String, n: u64) {
    out.push_str("0x");
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        let nibble = (n >> (4 * i)) & 0xf;
        out.push(char::from(b"0123456789abcdef"[nibble as usize]));
    }
}

/// The value of a hexadecimal code, with or without its `0x`.
pub fn parse_hex(code: &str) -> Option<u64> {
    let code = super::trim(code);
    let digits = code
        .strip_prefix("0x")
        .or_else(|| code.strip_prefix("0X"))
        .unwrap_or(code);
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// What an NTSTATUS code of a failed logon (4625 `Status`/`SubStatus`, 4776 `Status`) means.
pub fn ntstatus_meaning(code: u64) -> Option<&'static str> {
    Some(match code {
        0x0 => "success",
        0xC000_005E => "no logon servers available",
        0xC000_0064 => "no such user",
        0xC000_006A => "wrong password",
        0xC000_006D => "bad user name or password",
        0xC000_006E => "account restriction",
        0xC000_006F => "logon outside the allowed hours",
        0xC000_0070 => "logon from a workstation not allowed",
        0xC000_0071 => "password expired",
        0xC000_0072 => "account disabled",
        0xC000_00DC => "server in the wrong state",
        0xC000_0133 => "clock skew between the DC and the client",
        0xC000_015B => "logon type not granted",
        0xC000_018C => "trust relationship failed",
        0xC000_0192 => "NetLogon service not started",
        0xC000_0193 => "account expired",
        0xC000_0224 => "user must change password",
        0xC000_0225 => "Windows bug: not a risk",
        0xC000_0234 => "account locked out",
        0xC000_02EE => "failure during logon",
        0xC000_0413 => "authentication firewall: the account may not authenticate to this machine",
        _ => return None,
    })
}

/// What a Kerberos result code (4768/4769/4771 `Status`, RFC 4120 §7.5.9) means.
pub fn kerberos_meaning(code: u64) -> Option<&'static str> {
    Some(match code {
        0x0 => "success",
        0x1 => "client's entry in the database has expired",
        0x2 => "server's entry in the database has expired",
        0x3 => "requested protocol version not supported",
        0x6 => "unknown principal: client not found in the Kerberos database",
        0x7 => "server not found in the Kerberos database",
        0x8 => "multiple principal entries in the database",
        0xC => "policy rejects the request (logon restriction)",
        0xD => "KDC cannot accommodate the requested option",
        0xE => "encryption type not supported",
        0xF => "checksum type not supported",
        0x10 => "pre-authentication type not supported (smart card logon problem)",
        0x12 => "credentials revoked: account disabled, expired or locked out",
        0x17 => "password expired",
        0x18 => "pre-authentication failed: bad password",
        0x19 => "additional pre-authentication required",
        0x1B => "server principal valid for user-to-user only",
        0x1F => "integrity check on a decrypted field failed",
        0x20 => "ticket expired",
        0x21 => "ticket not yet valid",
        0x22 => "request is a replay",
        0x25 => "clock skew too great",
        0x29 => "message stream modified",
        0x3C => "generic error",
        0x44 => "wrong realm",
        _ => return None,
    })
}

/// A Kerberos ticket encryption type (`TicketEncryptionType`): its name, and the OCSF
/// `encryption_details.algorithm_id` and key length when OCSF names the algorithm.
pub struct TicketEncryption {
    /// The encryption type's name.
    pub name: &'static str,
    /// OCSF algorithm id (1 DES, 3 AES), if OCSF has one.
    pub algorithm_id: Option<i32>,
    /// Key length in bits, when the type fixes it.
    pub key_length: Option<u32>,
}

/// The ticket encryption type of a code (`0x17` is RC4, the overpass-the-hash tell).
pub fn ticket_encryption(code: u64) -> Option<TicketEncryption> {
    let (name, algorithm_id, key_length) = match code {
        0x1 => ("DES-CBC-CRC", Some(1), Some(56)),
        0x3 => ("DES-CBC-MD5", Some(1), Some(56)),
        0x11 => ("AES128-CTS-HMAC-SHA1-96", Some(3), Some(128)),
        0x12 => ("AES256-CTS-HMAC-SHA1-96", Some(3), Some(256)),
        0x17 => ("RC4-HMAC", None, Some(128)),
        0x18 => ("RC4-HMAC-EXP", None, None),
        _ => return None,
    };
    Some(TicketEncryption {
        name,
        algorithm_id,
        key_length,
    })
}

/// OCSF `logon_type_id` of a Windows logon type number.
pub fn logon_type_id(windows: u32) -> i32 {
    match windows {
        // Windows' 0 is the System account's own logon at startup.
        0 => 1,
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 10 | 11 | 12 | 13 => windows as i32,
        _ => 99,
    }
}

/// Whether a Windows logon type reaches the host from elsewhere (`None` when it says nothing).
pub fn logon_type_is_remote(windows: u32) -> Option<bool> {
    match windows {
        3 | 8 | 10 | 12 => Some(true),
        0 | 2 | 4 | 5 | 7 | 11 | 13 => Some(false),
        _ => None,
    }
}

/// The text of a `%%NNNN` message-table reference of the Security log, when known.
pub fn message_reference(reference: &str) -> Option<&'static str> {
    let number: u32 = super::trim(reference).strip_prefix("%%")?.parse().ok()?;
    Some(match number {
        1832 => "Identification",
        1833 => "Impersonation",
        1840 => "Delegation",
        1841 => "Denied by Process Trust Label ACE",
        1842 => "Yes",
        1843 => "No",
        1844 => "System",
        1845 => "Not Available",
        1846 => "Default",
        1847 => "DisallowMmConfig",
        1848 => "Off",
        1849 => "Auto",
        2304 => "An Error occured during Logon.",
        2305 => "The specified user account has expired.",
        2306 => "The NetLogon component is not active.",
        2307 => "Account locked out.",
        2308 => "The user has not been granted the requested logon type at this machine.",
        2309 => "The specified account's password has expired.",
        2310 => "Account currently disabled.",
        2311 => "Account logon time restriction violation.",
        2312 => "User not allowed to logon at this computer.",
        2313 => "Unknown user name or bad password.",
        2314 => "Domain sid inconsistent.",
        2315 => "Smartcard logon is required and was not used.",
        _ => return None,
    })
}

/// A field's text with a message-table reference resolved (other text as it is).
pub fn resolve(value: &str) -> &str {
    message_reference(value).unwrap_or(value)
}

/// A yes/no field (`%%1842`/`%%1843` or the words) as a boolean.
pub fn yes_no(value: &str) -> Option<bool> {
    match resolve(value) {
        v if v.eq_ignore_ascii_case("yes") => Some(true),
        v if v.eq_ignore_ascii_case("no") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_codes_are_written_one_way() {
        assert_eq!(normalize_hex("0xc000006d"), "0xC000006D");
        assert_eq!(normalize_hex(" 0XC000006D "), "0xC000006D");
        assert_eq!(normalize_hex("0x0"), "0x0");
        assert_eq!(normalize_hex("0x18"), "0x18");
        assert_eq!(normalize_hex("later"), "later");
        assert_eq!(normalize_hex("0x"), "0x");
        assert_eq!(parse_hex("0x11111111111111111"), None);
        assert_eq!(parse_hex("3e7"), Some(999));
    }

    #[test]
    fn codes_have_meanings() {
        assert_eq!(ntstatus_meaning(0xC000_006A), Some("wrong password"));
        assert_eq!(ntstatus_meaning(0xC000_0234), Some("account locked out"));
        assert_eq!(
            ntstatus_meaning(0xC000_0413).map(|m| m.starts_with("authentication firewall")),
            Some(true)
        );
        assert_eq!(ntstatus_meaning(0x1234), None);
        assert_eq!(
            kerberos_meaning(0x18),
            Some("pre-authentication failed: bad password")
        );
        assert_eq!(
            kerberos_meaning(0x6).map(|m| m.starts_with("unknown principal")),
            Some(true)
        );
        assert_eq!(kerberos_meaning(0x99), None);
        assert_eq!(ticket_encryption(0x17).map(|t| t.name), Some("RC4-HMAC"));
        assert_eq!(
            ticket_encryption(0x12).and_then(|t| t.algorithm_id),
            Some(3)
        );
        assert!(ticket_encryption(0xffff_ffff).is_none());
    }

    #[test]
    fn hex_is_pushed_as_format_writes_it() {
        for n in [0, 1, 0xf, 0x10, 0x3e7, 0x6c6e549, u64::MAX] {
            let mut out = String::from("h/");
            push_hex(&mut out, n);
            assert_eq!(out, format!("h/0x{n:x}"));
        }
    }

    #[test]
    fn logon_types_follow_the_ocsf_enum() {
        assert_eq!(logon_type_id(0), 1);
        assert_eq!(logon_type_id(3), 3);
        assert_eq!(logon_type_id(10), 10);
        assert_eq!(logon_type_id(6), 99);
        assert_eq!(logon_type_id(1), 99);
        assert_eq!(logon_type_is_remote(10), Some(true));
        assert_eq!(logon_type_is_remote(2), Some(false));
        assert_eq!(logon_type_is_remote(9), None);
    }

    #[test]
    fn message_references_are_resolved() {
        assert_eq!(resolve("%%2313"), "Unknown user name or bad password.");
        assert_eq!(resolve("%%1833"), "Impersonation");
        assert_eq!(resolve("%%9999"), "%%9999");
        assert_eq!(resolve("plain"), "plain");
        assert_eq!(yes_no("%%1842"), Some(true));
        assert_eq!(yes_no("No"), Some(false));
        assert_eq!(yes_no("-"), None);
    }
}
