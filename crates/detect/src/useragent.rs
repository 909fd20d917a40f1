//! A user-agent family: browser or client family and OS family, without versions, so a browser
//! updating itself keeps its family and a session moving from Chrome on Windows to curl does not.

/// Client families, in the order they are tried (Edge and Opera say "Chrome", Chrome says
/// "Safari"): a marker in the string and the family's name.
const CLIENTS: &[(&str, &str)] = &[
    ("edg/", "Edge"),
    ("edge/", "Edge"),
    ("edga/", "Edge"),
    ("edgios/", "Edge"),
    ("opr/", "Opera"),
    ("firefox/", "Firefox"),
    ("fxios/", "Firefox"),
    ("chrome/", "Chrome"),
    ("crios/", "Chrome"),
    ("chromium/", "Chrome"),
    ("curl/", "curl"),
    ("wget/", "Wget"),
    ("python-requests/", "python-requests"),
    ("python-urllib", "python-urllib"),
    ("go-http-client/", "Go-http-client"),
    ("okhttp/", "okhttp"),
    ("safari/", "Safari"),
];

/// OS families, in the order they are tried (iOS says "like Mac OS X", Android says "Linux").
const SYSTEMS: &[(&str, &str)] = &[
    ("windows", "Windows"),
    ("iphone", "iOS"),
    ("ipad", "iOS"),
    ("ipod", "iOS"),
    ("cpu os ", "iOS"),
    ("android", "Android"),
    ("mac os x", "macOS"),
    ("macintosh", "macOS"),
    ("cros", "ChromeOS"),
    ("linux", "Linux"),
];

/// The family of a user-agent string: `Chrome/Windows`, `curl`, `Safari/iOS`. An unknown client
/// is named by its first product token (`MyAgent/1.0 (x)` gives `myagent`); an empty string has
/// no family.
pub(crate) fn family(ua: &str) -> Option<String> {
    let ua = ua.trim();
    if ua.is_empty() {
        return None;
    }
    let lower = ua.to_ascii_lowercase();
    let client = CLIENTS
        .iter()
        .find(|(marker, _)| lower.contains(marker))
        .map(|(_, name)| (*name).to_string())
        .unwrap_or_else(|| {
            let token = lower.split(['/', ' ', '(']).next().unwrap_or_default();
            token.to_string()
        });
    let os = SYSTEMS
        .iter()
        .find(|(marker, _)| lower.contains(marker))
        .map(|(_, name)| *name);
    Some(match os {
        Some(os) => format!("{client}/{os}"),
        None => client,
    })
}

#[cfg(test)]
mod tests {
    use super::family;

    #[test]
    fn common_families() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome/Windows"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge/Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "Safari/macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", "Safari/iOS"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox/Linux"),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", "Chrome/Android"),
            ("curl/8.5.0", "curl"),
            ("python-requests/2.31.0", "python-requests"),
            ("Go-http-client/1.1", "Go-http-client"),
            ("okhttp/4.12.0", "okhttp"),
            ("MyAgent/1.0 (build 7)", "myagent"),
        ];
        for (ua, want) in cases {
            assert_eq!(family(ua).as_deref(), Some(want), "{ua}");
        }
        assert_eq!(family("  "), None);
    }

    #[test]
    fn a_new_version_is_the_same_family() {
        assert_eq!(
            family("Mozilla/5.0 (Windows NT 10.0) Chrome/119.0.0.0 Safari/537.36"),
            family("Mozilla/5.0 (Windows NT 10.0) Chrome/121.0.6167.85 Safari/537.36"),
        );
    }
}
