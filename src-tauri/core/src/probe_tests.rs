//! Every answer the two probes handle, mapped: league's bodies, redirects, HTML pages, 5xx.

use super::*;
use reqwest::header::{HeaderValue, RETRY_AFTER};

const TOKEN: &str = "https://app.kanka.io/oauth/token";
const AUTHORIZE: &str = "https://app.kanka.io/oauth/authorize";
const REDIRECT: &str = "http://localhost:47813/kanka-link/callback";

fn reply(status: u16, body: &str) -> Reply {
    Reply { status: StatusCode::from_u16(status).unwrap(), headers: HeaderMap::new(), body: body.as_bytes().to_vec() }
}

fn redirect(status: u16, location: &str) -> Reply {
    let mut reply = reply(status, "");
    reply.headers.insert(LOCATION, HeaderValue::from_str(location).unwrap());
    reply
}

fn league(error: &str) -> String {
    format!(r#"{{"error":"{error}","error_description":"league says so","hint":"a hint"}}"#)
}

fn token(reply: &Reply) -> Result<Answer> {
    read_token(reply, &Url::parse(TOKEN).unwrap(), Utc::now())
}

fn authorize(reply: &Reply) -> Result<Answer> {
    read_authorize(reply, &Url::parse(AUTHORIZE).unwrap(), &Url::parse(REDIRECT).unwrap(), Utc::now())
}

fn unexpected(result: Result<Answer>) -> String {
    match result {
        Err(Error::UnexpectedResponse { detail }) => detail,
        other => panic!("not an unexpected answer: {other:?}"),
    }
}

#[test]
fn the_token_probe_reads_league_answers() {
    // league 9, AuthCodeGrant::respondToAccessTokenRequest: the client is authenticated first.
    assert_eq!(token(&reply(400, &league("invalid_request"))).unwrap(), Answer::Passed);
    assert_eq!(token(&reply(400, &league("invalid_grant"))).unwrap(), Answer::Passed);
    assert_eq!(token(&reply(401, &league("invalid_client"))).unwrap(), Answer::InvalidClient);
    assert_eq!(token(&reply(400, &league("unauthorized_client"))).unwrap(), Answer::UnauthorizedClient);
    // Without hint or description, as league may send.
    assert_eq!(token(&reply(401, r#"{"error":"invalid_client"}"#)).unwrap(), Answer::InvalidClient);
    assert!(matches!(token(&reply(400, &league("unsupported_grant_type"))).unwrap(), Answer::NotKanka(_)));
    let odd = unexpected(token(&reply(400, &league("invalid_scope"))));
    assert!(odd.contains("\"invalid_scope\"") && odd.contains("400"), "{odd}");
}

#[test]
fn the_token_probe_tells_a_server_in_trouble_from_a_wrong_address() {
    assert!(matches!(token(&reply(500, "<html>oops</html>")), Err(Error::ServerError { status: 500 })));
    assert!(matches!(token(&reply(503, "")), Err(Error::ServerError { status: 503 })));
    let mut limited = reply(429, "");
    limited.headers.insert(RETRY_AFTER, HeaderValue::from_static("30"));
    assert!(matches!(token(&limited), Err(Error::RateLimited { retry_after: Some(wait) }) if wait.as_secs() == 30));
    for status in [404, 405] {
        let Answer::NotKanka(detail) = token(&reply(status, "<html>Not Found</html>")).unwrap() else { panic!() };
        assert!(detail.contains(TOKEN) && detail.contains(&status.to_string()), "{detail}");
    }
    let Answer::NotKanka(detail) = token(&redirect(301, "https://app.kanka.io/oauth/token?x=secret")).unwrap() else {
        panic!()
    };
    assert!(
        detail.ends_with("redirects to https://app.kanka.io/oauth/token") && !detail.contains("secret"),
        "{detail}"
    );
}

#[test]
fn the_token_probe_never_repeats_a_body_it_does_not_understand() {
    let html = unexpected(token(&reply(400, "  <!DOCTYPE html><p>SECRET-TOKEN</p>")));
    assert_eq!(html, "the token endpoint sent an HTML page (HTTP 400)");
    let json = unexpected(token(&reply(401, r#"{"message":"SECRET-TOKEN"}"#)));
    assert!(json.contains("not an OAuth error") && !json.contains("SECRET"), "{json}");
    assert!(unexpected(token(&reply(403, ""))).contains("an empty answer"));
    // A success for a code no server issued is not Kanka.
    let ok = unexpected(token(&reply(200, r#"{"access_token":"SECRET-TOKEN","token_type":"Bearer"}"#)));
    assert!(ok.contains("cannot be valid") && !ok.contains("SECRET"), "{ok}");
    // An error code from outside is shown filtered.
    let hostile = unexpected(token(&reply(400, "{\"error\":\"bad\\u001b[31m\"}")));
    assert!(hostile.contains("\"bad[31m\"") && !hostile.chars().any(char::is_control), "{hostile:?}");
}

#[test]
fn the_authorize_probe_reads_league_answers() {
    // league 9, AuthCodeGrant::validateAuthorizationRequest: client, redirect, scopes, challenge.
    assert_eq!(authorize(&reply(400, &league("invalid_request"))).unwrap(), Answer::Passed);
    assert_eq!(authorize(&reply(401, &league("invalid_client"))).unwrap(), Answer::InvalidClient);
    assert_eq!(authorize(&reply(400, &league("unauthorized_client"))).unwrap(), Answer::UnauthorizedClient);
    assert!(matches!(authorize(&reply(400, &league("unsupported_grant_type"))).unwrap(), Answer::NotKanka(_)));
    let scope = unexpected(authorize(&reply(400, &league("invalid_scope"))));
    assert!(scope.contains("invalid_scope"), "{scope}");
    // Kanka's authorize errors also carry `message` (Passport renders league's payload).
    let with_message = r#"{"error":"invalid_client","error_description":"Client authentication failed","message":"Client authentication failed"}"#;
    assert_eq!(authorize(&reply(401, with_message)).unwrap(), Answer::InvalidClient);
}

#[test]
fn the_authorize_probe_reads_a_refusal_sent_back_to_the_redirect() {
    let back = format!("{REDIRECT}?error=invalid_request&error_description=x&hint=Code+challenge");
    assert_eq!(authorize(&redirect(302, &back)).unwrap(), Answer::Passed);
    let in_fragment = format!("{REDIRECT}#error=invalid_request");
    assert_eq!(authorize(&redirect(302, &in_fragment)).unwrap(), Answer::Passed);
    // A code would mean the server does not validate as Kanka does: said, never repeated.
    let code = unexpected(authorize(&redirect(302, &format!("{REDIRECT}?code=SECRET-CODE&state=s"))));
    assert!(code.contains("issued a code") && !code.contains("SECRET"), "{code}");
    let denied = unexpected(authorize(&redirect(302, &format!("{REDIRECT}?error=access_denied"))));
    assert!(denied.contains("access_denied"), "{denied}");
    assert!(unexpected(authorize(&redirect(302, REDIRECT))).contains("without an answer"));
    // Elsewhere (a login page, another host, a longer path): not Kanka's sign-in endpoint.
    for elsewhere in [
        "https://app.kanka.io/login",
        "https://kanka.io/oauth/authorize?client_id=1",
        "http://localhost:47813/kanka-link/callback-other?error=invalid_request",
    ] {
        let Answer::NotKanka(detail) = authorize(&redirect(302, elsewhere)).unwrap() else { panic!("{elsewhere}") };
        assert!(detail.contains("redirects to") && !detail.contains('?'), "{detail}");
    }
}

#[test]
fn the_authorize_probe_tells_trouble_pages_and_wrong_addresses_apart() {
    assert!(matches!(authorize(&reply(502, "<html>Bad gateway</html>")), Err(Error::ServerError { status: 502 })));
    assert!(matches!(authorize(&reply(429, "")), Err(Error::RateLimited { retry_after: None })));
    assert!(matches!(authorize(&reply(404, "<html>Not Found</html>")).unwrap(), Answer::NotKanka(_)));
    // A page (login, consent) for a request league refuses before showing any.
    assert!(unexpected(authorize(&reply(200, "<html>Log in</html>"))).contains("showed a page"));
    let html = unexpected(authorize(&reply(401, "<html>Unauthorized</html>")));
    assert_eq!(html, "the authorization endpoint sent an HTML page (HTTP 401)");
    let mut laravel = reply(419, "<!doctype html><title>Page Expired</title>");
    laravel.headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    assert!(unexpected(authorize(&laravel)).contains("HTML page (HTTP 419)"));
}

#[test]
fn the_probe_challenge_is_not_one_league_accepts() {
    // `^[A-Za-z0-9-._~]{43,128}$` (AuthCodeGrant::validateAuthorizationRequest).
    let shaped = |c: &str| {
        (43..=128).contains(&c.len())
            && c.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    };
    assert!(!shaped(PROBE_CHALLENGE));
    assert!(shaped(&"a".repeat(43)));
}
