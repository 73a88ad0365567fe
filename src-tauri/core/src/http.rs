//! The one HTTP client: bounded timeouts, `Accept: application/json` on every call, no
//! redirects (a token endpoint that redirects is not one we should follow), a cap on body size,
//! and transport failures turned into errors a user understands.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use url::Url;

use crate::error::{Error, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Kanka's answers are a few kilobytes; anything far larger is not Kanka.
const MAX_BODY: usize = 256 * 1024;
/// The longest `Retry-After` taken as said. A server asking for more than a day (or for the year
/// 9999) does not mean it, and a bounded wait can be added to any clock reading without
/// overflowing; the refresh timer bounds it further (`timer::retry_time`).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The process's one client, shared by every connection. Built when first needed, or ahead of
/// time on a thread of its own ([`Http::warm_up`]): the platform's TLS parses the system's CA
/// bundle, a good part of a second on a slow machine with OpenSSL 3, so a window with several
/// connections parses it once, not once per connection. A short command that sends no request
/// (`kanka-link token` with a token not due) never builds it: on two cores a thread parsing
/// certificates took CPU, and OpenSSL's locks, from the keychain's Diffie-Hellman session the
/// command waits for.
static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
/// Whether a warm-up thread was started: one per process, however many connections ask.
static WARMING: AtomicBool = AtomicBool::new(false);
/// Clients built, for the test that there is one.
static BUILT: AtomicUsize = AtomicUsize::new(0);

/// A connection's way to the network: the process's client, with the connection's own request
/// timeout on each request (the settings'; tests shorten it).
#[derive(Clone, Copy)]
pub struct Http {
    request_timeout: Duration,
}

impl Http {
    pub fn new(request_timeout: Duration) -> Http {
        Http { request_timeout }
    }

    /// Builds the client on a thread of its own, for a process that stays (the window): its
    /// first request does not wait for the CA bundle. On Linux the thread runs at the lowest
    /// priority, so it takes no CPU from the window starting. A request made before it is ready
    /// waits for it; should the thread not start, the first request builds the client itself.
    pub fn warm_up(&self) {
        if WARMING.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = std::thread::Builder::new().name("http-setup".into()).spawn(|| {
            yield_to_other_threads();
            client();
        });
    }

    /// A request with this connection's timeout, which bounds the whole exchange (connecting
    /// included: the client's own connect timeout is only an upper bound).
    pub fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        client().request(method, url).timeout(self.request_timeout)
    }

    pub fn get(&self, url: Url) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    pub fn post(&self, url: Url) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, url)
    }

    /// Sends a request built by the oauth2 crate. 5xx and 429 become our errors here, because
    /// the oauth2 crate would report them as unparseable bodies and lose the status.
    pub async fn send_oauth(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse> {
        let url = Url::parse(&request.uri().to_string())
            .map_err(|e| Error::UnexpectedResponse { detail: format!("bad token URL: {e}") })?;
        let (parts, body) = request.into_parts();
        let response = self
            .request(parts.method, url.clone())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(&url, &e))?;
        check_transient_status(&response, Utc::now())?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_body(response, &url).await?;
        let mut answer = oauth2::HttpResponse::new(body);
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        Ok(answer)
    }
}

/// Lets the oauth2 crate send its requests through our client.
impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.send_oauth(request))
    }
}

/// Statuses that say "not now" rather than "no": worth a retry with backoff.
pub fn check_transient_status(response: &Response, now: DateTime<Utc>) -> Result<()> {
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::RateLimited { retry_after: retry_after(response.headers(), now) });
    }
    if status.is_server_error() {
        return Err(Error::ServerError { status: status.as_u16() });
    }
    if status.is_redirection() {
        let target = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
        return Err(Error::UnexpectedResponse {
            detail: format!("HTTP {status} redirect to {}", target.map(strip_query).unwrap_or_default()),
        });
    }
    Ok(())
}

/// Reads a body up to [`MAX_BODY`].
pub async fn read_body(mut response: Response, url: &Url) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(url, &e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Error::UnexpectedResponse {
                detail: format!("the answer is larger than {} KiB", MAX_BODY / 1024),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Retry-After` in seconds or as an HTTP date (RFC 9110, section 10.2.3), at most
/// [`MAX_RETRY_AFTER`]. A date in the past asks for no wait.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is still a number of seconds: a very long one.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    // Subtracting two dates cannot overflow in chrono (the difference of its extremes fits).
    Some((at - now).to_std().unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

pub fn transport_error(url: &Url, error: &reqwest::Error) -> Error {
    let host = url.host_str().unwrap_or("the server").to_owned();
    if error.is_timeout() {
        return Error::Timeout { host };
    }
    // reqwest's own message names the URL; the innermost cause says what actually happened.
    let mut chain = vec![];
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(next) = cause {
        chain.push(next.to_string());
        cause = next.source();
    }
    let innermost = chain.pop().unwrap_or_default();
    let detail = if chain.iter().any(|level| level.contains("dns error")) {
        format!("the name could not be resolved by DNS ({innermost})")
    } else {
        innermost
    };
    if error.is_decode() || error.is_body() {
        return Error::UnexpectedResponse { detail: format!("the answer was cut off ({detail})") };
    }
    Error::Network { host, detail }
}

fn client() -> &'static reqwest::Client {
    CLIENT.get_or_init(build_client)
}

fn build_client() -> reqwest::Client {
    BUILT.fetch_add(1, Ordering::Relaxed);
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    reqwest::Client::builder()
        .default_headers(headers)
        .user_agent(concat!("KankaLink/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // The platform's TLS may still allow 1.0 and 1.1 (older Windows); RFC 9700 does not.
        .min_tls_version(reqwest::tls::Version::TLS_1_2)
        // A request every few months needs no pool: an idle connection only wakes the app
        // to expire it.
        .pool_max_idle_per_host(0)
        .build()
        .expect("the TLS backend initialises")
}

/// Gives the calling thread the lowest priority. On Linux the nice value belongs to a thread, not
/// to its process (setpriority(2), NOTES).
#[cfg(target_os = "linux")]
fn yield_to_other_threads() {
    // SAFETY: plain system calls on this thread's own id; no memory is shared with them.
    let lowered = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19) };
    if lowered != 0 {
        tracing::debug!("http-setup keeps its priority: {}", std::io::Error::last_os_error());
    }
}

#[cfg(not(target_os = "linux"))]
fn yield_to_other_threads() {}

/// A URL without its query, which may carry codes.
fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    fn nice_of_this_thread() -> i32 {
        // SAFETY: as in yield_to_other_threads.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn yielding_lowers_only_the_calling_thread() {
        let before = nice_of_this_thread();
        let lowered = std::thread::spawn(|| {
            yield_to_other_threads();
            nice_of_this_thread()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, 19);
        assert_eq!(nice_of_this_thread(), before);
    }

    /// No other test of this binary makes a request, so the process's client is this test's to
    /// watch (a test that does must go into this one).
    #[test]
    fn one_client_is_built_ahead_only_when_asked_however_many_connections() {
        let _lazy = Http::new(REQUEST_TIMEOUT);
        std::thread::sleep(Duration::from_millis(200));
        assert!(CLIENT.get().is_none(), "a short command parses no CA bundle");
        let connections: Vec<Http> = (0..3).map(|n| Http::new(Duration::from_secs(n + 1))).collect();
        connections.iter().for_each(Http::warm_up);
        for _ in 0..600 {
            if CLIENT.get().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(CLIENT.get().is_some(), "warm_up did not build the client");
        // Each request carries its own connection's timeout.
        let request = connections[2].get(Url::parse("http://127.0.0.1:1/").unwrap()).build().unwrap();
        assert_eq!(request.timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(BUILT.load(Ordering::Relaxed), 1, "three connections, one CA bundle parse");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z").unwrap().with_timezone(&Utc);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("17"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(17)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Fri, 27 Nov 2026 10:01:00 GMT"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(60)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn retry_after_is_at_most_a_day_and_never_negative() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z").unwrap().with_timezone(&Utc);
        let read = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
            retry_after(&headers, now)
        };
        assert_eq!(read("86400"), Some(MAX_RETRY_AFTER));
        for huge in ["99999999999", "18446744073709551615", "18446744073709551616", "999999999999999999999999999"] {
            assert_eq!(read(huge), Some(MAX_RETRY_AFTER), "{huge}");
        }
        assert_eq!(read("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_RETRY_AFTER));
        assert_eq!(read("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(read("-5"), None);
        assert_eq!(read("1.5"), None);
    }

    /// HTTP dates of any date chrono holds (years of up to six digits), numbers of seconds of any
    /// size, and any text at all.
    fn any_retry_after() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            crate::record::tests::any_date().prop_map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
            any::<u64>().prop_map(|s| s.to_string()),
            "[0-9]{1,40}",
            "[ -~]{0,60}",
            any::<String>(),
        ]
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics_and_stays_within_a_day(
            value in any_retry_after(), now in crate::record::tests::any_date(),
        ) {
            let Ok(value) = HeaderValue::from_str(&value) else { return Ok(()) };
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, value);
            let wait = retry_after(&headers, now);
            proptest::prop_assert!(wait.is_none_or(|w| w <= MAX_RETRY_AFTER), "{wait:?}");
        }
    }

    #[test]
    fn redirect_targets_lose_their_query() {
        assert_eq!(strip_query("https://x.example/login?code=abc"), "https://x.example/login");
    }
}
