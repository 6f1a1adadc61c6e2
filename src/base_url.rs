//! The base URL of a platform, in one canonical spelling.
//!
//! One value serves the production check, the journal's endpoint key, `history`'s environment
//! filter and every message, so two spellings of one host can never be two endpoints: a
//! notice accepted on `https://avatar.chinahuanong.com.cn` is the same notice on
//! `HTTPS://Avatar.ChinaHuanong.com.cn.:443/`. No I/O here.

use std::net::IpAddr;

/// Why a base URL was refused. Each message quotes the value (shortened) and says what to give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("base URL '{0}' is not a URL ({1}); expected scheme://host[:port][/prefix]")]
    NotAUrl(String, String),
    #[error("base URL '{0}' has no host")]
    NoHost(String),
    #[error("base URL '{0}': scheme '{1}' is not http or https")]
    Scheme(String, String),
    #[error("base URL '{0}': plain http:// is refused except to loopback addresses; use https://")]
    PlainHttp(String),
    #[error("base URL '{0}' must not have a query or fragment")]
    QueryOrFragment(String),
    #[error(
        "base URL '{0}' carries a user name or password; they would be shown, journaled and \
         sent in place of your Authorization header: remove them and pass -H 'Authorization: @FILE'"
    )]
    Credentials(String),
    #[error(
        "base URL '{0}' ends in the 5.30 path {1}, which avatar-cli appends itself: give \
         '{2}' (notices then go to '{2}{1}')"
    )]
    EndpointPath(String, &'static str, String),
}

impl From<BaseUrlError> for crate::error::Refusal {
    fn from(e: BaseUrlError) -> Self {
        crate::error::Refusal::Config(e.to_string())
    }
}

/// `scheme://host[:port][/prefix]`: scheme and host in lower case, the host percent-decoded
/// and without a trailing dot, the default port dropped, `.`/`..` and empty path segments
/// resolved, no trailing slash. Plain http only to loopback: a notice carries customer data.
pub fn normalize(raw: &str) -> Result<String, BaseUrlError> {
    let shown = crate::text::quote(raw.trim());
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| BaseUrlError::NotAUrl(shown.clone(), e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the URL itself here: it holds the secret.
        return Err(BaseUrlError::Credentials(redact_userinfo(&shown)));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BaseUrlError::QueryOrFragment(shown));
    }
    let scheme = url.scheme().to_string();
    if scheme != "http" && scheme != "https" {
        return Err(BaseUrlError::Scheme(shown, scheme));
    }
    // The URL parser has already lower-cased and percent-decoded a domain; the trailing dot
    // of a fully qualified name is the one spelling it keeps.
    let host = match url.host_str() {
        Some(h) => h.trim_end_matches('.').to_ascii_lowercase(),
        None => return Err(BaseUrlError::NoHost(shown)),
    };
    if host.is_empty() {
        return Err(BaseUrlError::NoHost(shown));
    }
    if scheme == "http" && !is_loopback(&host) {
        return Err(BaseUrlError::PlainHttp(shown));
    }
    let mut out = format!("{scheme}://{host}");
    // `port()` is already `None` for the scheme's default port.
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    for segment in url.path().split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    // The full endpoint pasted from the interface document would POST to the path twice.
    if let Some(base) = out.strip_suffix(crate::protocol::REFUND_NOTICE_PATH) {
        return Err(BaseUrlError::EndpointPath(
            shown,
            crate::protocol::REFUND_NOTICE_PATH,
            crate::text::quote(base),
        ));
    }
    Ok(out)
}

/// The host of a normalized base URL (no port), as shown to people.
pub fn host(base_url: &str) -> &str {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or(authority);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// `localhost`, 127.0.0.0/8 or ::1: the only hosts plain http and the proxy bypass apply to.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn redact_userinfo(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{}://…@{}", &text[..start], &text[at + 1..])
        }
        _ => "…".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: &str = "https://avatar.chinahuanong.com.cn";

    #[test]
    fn every_spelling_of_one_host_is_one_value() {
        for raw in [
            "https://avatar.chinahuanong.com.cn",
            "https://avatar.chinahuanong.com.cn/",
            "https://avatar.chinahuanong.com.cn.",
            "https://avatar.chinahuanong.com.cn./",
            "HTTPS://AVATAR.ChinaHuanong.COM.CN",
            "https://avatar.chinahuanong.com.cn:443",
            "https://avatar%2echinahuanong.com.cn",
            "https://avatar.chinahuanong.com.cn%2e",
            "  https://avatar.chinahuanong.com.cn//  ",
        ] {
            assert_eq!(normalize(raw).as_deref(), Ok(PROD), "{raw}");
        }
    }

    #[test]
    fn ports_and_paths_keep_their_meaning() {
        assert_eq!(
            normalize("https://h.example:8443/gw/").unwrap(),
            "https://h.example:8443/gw"
        );
        assert_eq!(
            normalize("https://h.example/a//b/./c/../d/").unwrap(),
            "https://h.example/a/b/d"
        );
        assert_eq!(
            normalize("http://127.0.0.1:80/").unwrap(),
            "http://127.0.0.1"
        );
        assert_eq!(
            normalize("http://[::1]:8080/x").unwrap(),
            "http://[::1]:8080/x"
        );
        assert_eq!(
            normalize("http://LOCALHOST.:9/").unwrap(),
            "http://localhost:9"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(matches!(
            normalize("http://example.com"),
            Err(BaseUrlError::PlainHttp(_))
        ));
        assert!(normalize("http://10.0.0.1").is_err());
        assert!(normalize("http://127.1.2.3").is_ok());
        assert!(normalize("ftp://127.0.0.1").is_err());
        assert!(normalize("not a url").is_err());
        assert!(normalize("https://h?x=1").is_err());
        assert!(normalize("https://h#frag").is_err());
    }

    #[test]
    fn credentials_are_refused_without_echoing_them() {
        for raw in [
            "http://user:s3cret@127.0.0.1:1",
            "https://user@h.example",
            "https://:s3cret@h.example",
        ] {
            let err = normalize(raw).unwrap_err();
            assert!(matches!(err, BaseUrlError::Credentials(_)), "{raw}");
            let text = err.to_string();
            assert!(
                !text.contains("s3cret") && !text.contains("user@"),
                "{text}"
            );
            assert!(text.contains("Authorization: @FILE"), "{text}");
        }
    }

    #[test]
    fn long_values_are_quoted_short() {
        let raw = format!("https://h.example/{}?q", "x".repeat(10_000));
        let text = normalize(&raw).unwrap_err().to_string();
        assert!(text.len() < 300, "{}", text.len());
        assert!(text.contains('…'));
    }

    #[test]
    fn the_host_of_a_normalized_url() {
        assert_eq!(host(PROD), "avatar.chinahuanong.com.cn");
        assert_eq!(host("http://127.0.0.1:8080/x"), "127.0.0.1");
        assert_eq!(host("http://[::1]:8080"), "[::1]");
    }
}
