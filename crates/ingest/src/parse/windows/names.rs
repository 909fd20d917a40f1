//! The names of the event data fields the mapping reads (`EventData/Data[@Name]`), as one
//! [`Name`] each, and the lookup of a field name as a shape writes it (without regard to case,
//! so Wazuh's `targetUserName` is `TargetUserName`).
//!
//! The lookup is a small open-addressing table built at compile time: a record's keys are looked
//! up one by one as they are read, most of them names the mapping never reads.

/// Declares [`Name`] and the table of its spellings.
macro_rules! names {
    ($($name:ident)*) => {
        /// An event data field the mapping reads.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Name {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                $name,
            )*
        }

        /// Every name, in declaration order (a name's index is its number).
        pub const ALL: &[Name] = &[$(Name::$name,)*];

        /// Each name as Windows spells it, by number.
        const SPELLINGS: &[&str] = &[$(stringify!($name),)*];
    };
}

names! {
    AccountDomain AccountName AuthenticationPackageName CertIssuerName CertSerialNumber
    ClientAddress ClientName ElevatedToken ErrorCode FailureCode FailureReason ImpersonationLevel
    IpAddress IpPort KeyLength LmPackageName LogonGuid LogonID LogonProcessName LogonType
    PackageName PreAuthType PrivilegeList ProcessId ProcessName RestrictedAdminMode ServiceName
    ServiceSid SessionName Status SubStatus SubjectDomainName SubjectLogonId SubjectUserName
    SubjectUserSid TargetDomainName TargetInfo TargetLinkedLogonId TargetLogonGuid TargetLogonId
    TargetOutboundDomainName TargetOutboundUserName TargetServerName TargetSid TargetUserName
    TargetUserSid TicketEncryptionType TicketOptions TransmittedServices VirtualAccount
    Workstation WorkstationName
}

/// How many names there are.
pub const COUNT: usize = ALL.len();

/// Slots of the lookup table (a power of two, several times [`COUNT`], so probes are short).
const SLOTS: usize = 256;

/// The lookup table: `0` for an empty slot, else a name's number plus one.
static TABLE: [u8; SLOTS] = table();

/// The length of the shortest and the longest name (other keys are not looked up).
const LENGTHS: (usize, usize) = lengths();

impl Name {
    /// The name as Windows spells it.
    pub fn as_str(self) -> &'static str {
        SPELLINGS[self as usize]
    }

    /// The name a field is called by, compared without regard to ASCII case; `None` for a
    /// field the mapping does not read.
    pub fn of(key: &str) -> Option<Name> {
        if key.len() < LENGTHS.0 || key.len() > LENGTHS.1 {
            return None;
        }
        let mut at = hash(key.as_bytes());
        // The table has empty slots, so the probe ends.
        loop {
            let slot = TABLE[at];
            let name = ALL.get(usize::from(slot).checked_sub(1)?)?;
            let spelled = name.as_str().as_bytes();
            // Most shapes spell names as Windows does: the exact comparison is the quicker.
            if same(spelled, key.as_bytes()) || spelled.eq_ignore_ascii_case(key.as_bytes()) {
                return Some(*name);
            }
            at = (at + 1) % SLOTS;
        }
    }
}

/// Whether two byte strings are equal, compared eight (or four) bytes at a time, the last word
/// overlapping the one before: for names this short, quicker than a call to `memcmp`.
fn same(a: &[u8], b: &[u8]) -> bool {
    fn word<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
        s.get(at..at + N)?.try_into().ok()
    }
    let len = a.len();
    if len != b.len() {
        return false;
    }
    if len < 4 {
        return a == b;
    }
    if len < 8 {
        return word::<4>(a, 0) == word::<4>(b, 0)
            && word::<4>(a, len.saturating_sub(4)) == word::<4>(b, len.saturating_sub(4));
    }
    let mut at = 0;
    while at + 8 < len {
        if word::<8>(a, at) != word::<8>(b, at) {
            return false;
        }
        at += 8;
    }
    word::<8>(a, len - 8) == word::<8>(b, len - 8)
}

/// A hash of a key into a slot, from its length and four of its bytes (the first, the middle
/// one and the last two), ignoring ASCII case.
const fn hash(key: &[u8]) -> usize {
    let len = key.len();
    let h = len as u64
        | folded(key, 0) << 8
        | folded(key, len / 2) << 16
        | folded(key, len.wrapping_sub(2)) << 24
        | folded(key, len.wrapping_sub(1)) << 32;
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % SLOTS
}

/// The byte at `i` with bit 5 set (ASCII letters in lower case), `0` past the end.
const fn folded(key: &[u8], i: usize) -> u64 {
    if i < key.len() {
        (key[i] | 0x20) as u64
    } else {
        0
    }
}

const fn table() -> [u8; SLOTS] {
    // Names are numbered (and `Data` counts its values) in a `u8`.
    assert!(COUNT < SLOTS / 2 && COUNT < u8::MAX as usize);
    let mut table = [0u8; SLOTS];
    let mut n = 0;
    while n < COUNT {
        let mut at = hash(SPELLINGS[n].as_bytes());
        while table[at] != 0 {
            at = (at + 1) % SLOTS;
        }
        table[at] = n as u8 + 1;
        n += 1;
    }
    table
}

const fn lengths() -> (usize, usize) {
    let (mut min, mut max) = (usize::MAX, 0);
    let mut n = 0;
    while n < COUNT {
        let len = SPELLINGS[n].len();
        if len < min {
            min = len;
        }
        if len > max {
            max = len;
        }
        n += 1;
    }
    (min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_in_any_case_and_others_are_not() {
        for (n, name) in ALL.iter().enumerate() {
            assert_eq!(*name as usize, n);
            let spelled = name.as_str();
            assert_eq!(Name::of(spelled), Some(*name));
            assert_eq!(Name::of(&spelled.to_ascii_lowercase()), Some(*name));
            assert_eq!(Name::of(&spelled.to_ascii_uppercase()), Some(*name));
        }
        for other in [
            "",
            "Message",
            "Hostname",
            "TargetUserNam",
            "TargetUserNameX",
            "ÅccountName",
        ] {
            assert_eq!(Name::of(other), None, "{other}");
        }
        assert_eq!(Name::of("IpPort\u{0}"), None);
    }

    #[test]
    fn same_compares_every_byte() {
        assert!(!same(b"abcdefgh", b"abcdefg"));
        assert!(same(b"ab", b"ab") && !same(b"ab", b"ac"));
        for len in 4..=LENGTHS.1 + 9 {
            let a: Vec<u8> = (0..len as u8).collect();
            assert!(same(&a, &a.clone()), "{len}");
            for i in 0..len {
                let mut b = a.clone();
                b[i] ^= 0x40;
                assert!(!same(&a, &b), "{len} {i}");
            }
        }
    }

    #[test]
    fn probes_are_short() {
        let longest = ALL
            .iter()
            .map(|name| {
                let mut at = hash(name.as_str().as_bytes());
                let mut probes = 1;
                while usize::from(TABLE[at]) != *name as usize + 1 {
                    at = (at + 1) % SLOTS;
                    probes += 1;
                }
                probes
            })
            .max();
        assert!(longest.is_some_and(|p| p <= 3), "{longest:?}");
    }
}
