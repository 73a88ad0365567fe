//! What kanka.io itself accepts, so that Settings refuse a redirect Kanka's client form would
//! refuse, and propose one it takes. Kanka's form (`app/Http/Requests/Settings/StoreClient.php`
//! in owlchester/kanka) asks `redirect` to be `required|string|max:120|url|active_url`; Laravel's
//! `active_url` (`Illuminate\Validation\Concerns\ValidatesAttributes::validateActiveUrl`) wants
//! A or AAAA records for the host (`dns_get_record($host.'.', DNS_A | DNS_AAAA)`), which an IP
//! literal such as `127.0.0.1` or `[::1]` does not have, and `url` takes no custom scheme.

use url::{Host, Url};

use crate::error::KANKA_NEW_CLIENT_PATH;

/// The app's own address, where deep links arrive whatever redirect URI is registered (a bridge
/// page forwards here); the redirect proposed for servers other than kanka.io.
pub const DEEP_LINK_CALLBACK: &str = "kanka-link://oauth/callback";
/// The host of Kanka's own server (its OAuth endpoints moved there in 2026, KANKA-NOTES.md).
pub const KANKA_HOST: &str = "app.kanka.io";
/// The one localhost port Kanka Link proposes for kanka.io: Kanka matches the redirect exactly,
/// port included (league ignores the port only for 127.0.0.1 and [::1], which Kanka refuses).
pub const LOOPBACK_PORT: u16 = 47813;
/// The path of the proposed localhost redirect.
pub const LOOPBACK_PATH: &str = "/kanka-link/callback";
/// The longest redirect Kanka's client form takes (`max:120`).
pub const MAX_REDIRECT_LEN: usize = 120;

/// Whether this is kanka.io's own server, whose client form has the rules above.
pub fn is_kanka(kanka_url: &Url) -> bool {
    matches!(kanka_url.host(), Some(Host::Domain(host)) if host.eq_ignore_ascii_case(KANKA_HOST))
}

/// Why Kanka's client form would refuse this redirect, in words; `None` when it takes it.
pub fn redirect_refusal(redirect: &str) -> Option<String> {
    let redirect = redirect.trim();
    let length = redirect.chars().count();
    if length > MAX_REDIRECT_LEN {
        return Some(format!(
            "Kanka's client form takes at most {MAX_REDIRECT_LEN} characters and this one has {length}"
        ));
    }
    let Ok(url) = Url::parse(redirect) else {
        return Some("Kanka's client form takes only a web address".to_owned());
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!(
            "Kanka's client form takes only http or https addresses, not {}: (use {})",
            url.scheme(),
            loopback_redirect()
        ));
    }
    match url.host() {
        Some(Host::Domain(_)) => None,
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => Some(format!(
            "Kanka's client form wants a host name with DNS records, not an IP address such as {} \
             (use {})",
            url.host_str().unwrap_or_default(),
            loopback_redirect()
        )),
        None => Some("it has no host".to_owned()),
    }
}

/// The localhost redirect proposed for kanka.io.
pub fn loopback_redirect() -> String {
    format!("http://localhost:{LOOPBACK_PORT}{LOOPBACK_PATH}")
}

/// The redirect to register for a server: for kanka.io the fixed localhost address, unless an
/// https bridge page is already configured (and Kanka would take it); for other servers (self
/// hosted, the sandbox) the app's own deep link, which they may register directly.
pub fn proposed_redirect(kanka_url: &Url, configured: Option<&str>) -> String {
    let bridge =
        configured.map(str::trim).filter(|c| Url::parse(c).is_ok_and(|u| u.scheme() == "https" && u.host().is_some()));
    match bridge {
        Some(bridge) if !is_kanka(kanka_url) || redirect_refusal(bridge).is_none() => bridge.to_owned(),
        _ if is_kanka(kanka_url) => loopback_redirect(),
        _ => DEEP_LINK_CALLBACK.to_owned(),
    }
}

/// Kanka's "new client" page, where the id and secret are made.
pub fn new_client_page(kanka_url: &Url) -> Url {
    let mut url = kanka_url.clone();
    url.set_path(&format!("{}/{KANKA_NEW_CLIENT_PATH}", kanka_url.path().trim_end_matches('/')));
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn only_app_kanka_io_is_kanka() {
        assert!(is_kanka(&url("https://app.kanka.io")));
        assert!(is_kanka(&url("https://APP.Kanka.io/")));
        for other in ["https://kanka.example", "http://127.0.0.1:8080", "https://app.kanka.io.evil.example"] {
            assert!(!is_kanka(&url(other)), "{other}");
        }
    }

    #[test]
    fn redirects_kanka_refuses_are_named_with_the_reason() {
        let custom = redirect_refusal("kanka-link://oauth/callback").unwrap();
        assert!(custom.contains("http or https") && custom.contains("kanka-link:"), "{custom}");
        let ipv4 = redirect_refusal("http://127.0.0.1:47813/kanka-link/callback").unwrap();
        assert!(ipv4.contains("IP address") && ipv4.contains("127.0.0.1"), "{ipv4}");
        let ipv6 = redirect_refusal("http://[::1]:47813/cb").unwrap();
        assert!(ipv6.contains("[::1]"), "{ipv6}");
        let long = format!("https://bridge.example/{}", "a".repeat(100));
        let reason = redirect_refusal(&long).unwrap();
        assert!(reason.contains("120") && reason.contains("123"), "{reason}");
        // Exactly 120 passes.
        let at_limit = format!("https://bridge.example/{}", "a".repeat(120 - 23));
        assert_eq!(at_limit.len(), 120);
        assert_eq!(redirect_refusal(&at_limit), None);
        for fine in ["http://localhost:47813/kanka-link/callback", "https://bridge.example/kanka/"] {
            assert_eq!(redirect_refusal(fine), None, "{fine}");
        }
    }

    #[test]
    fn the_proposal_is_one_the_server_takes() {
        let kanka = url("https://app.kanka.io");
        assert_eq!(proposed_redirect(&kanka, None), "http://localhost:47813/kanka-link/callback");
        assert_eq!(proposed_redirect(&kanka, Some("kanka-link://oauth/callback")), loopback_redirect());
        assert_eq!(proposed_redirect(&kanka, Some("https://bridge.example/k/")), "https://bridge.example/k/");
        let long = format!("https://bridge.example/{}", "a".repeat(120));
        assert_eq!(proposed_redirect(&kanka, Some(&long)), loopback_redirect());
        assert_eq!(redirect_refusal(&proposed_redirect(&kanka, None)), None);

        let sandbox = url("http://127.0.0.1:8080");
        assert_eq!(proposed_redirect(&sandbox, None), DEEP_LINK_CALLBACK);
        assert_eq!(proposed_redirect(&sandbox, Some("http://localhost:9/cb")), DEEP_LINK_CALLBACK);
        assert_eq!(proposed_redirect(&sandbox, Some("https://bridge.example/k/")), "https://bridge.example/k/");
    }

    #[test]
    fn the_new_client_page_is_under_settings() {
        assert_eq!(
            new_client_page(&url("https://app.kanka.io")).as_str(),
            "https://app.kanka.io/settings/client/create"
        );
        assert_eq!(
            new_client_page(&url("http://127.0.0.1:8080/kanka/")).as_str(),
            "http://127.0.0.1:8080/kanka/settings/client/create"
        );
    }
}
