//! A `http://127.0.0.1:PORT/...` redirect: the engine listens on loopback only while a
//! sign-in is pending and answers the browser itself.

use std::time::Duration;

use kanka_link_core::State;

use crate::common::*;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn is_listening(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
}

async fn wait_until_closed(port: u16) {
    for _ in 0..100 {
        if !is_listening(port).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("port {port} is still open");
}

#[tokio::test]
async fn the_browser_is_answered_on_loopback_and_the_port_closes_after() {
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/kanka/callback");
    let world = Setup::default().loopback(&redirect).start().await;
    assert!(!is_listening(port).await, "nothing listens before a sign-in");

    let request = world.linker.begin_connect().await.unwrap();
    assert!(is_listening(port).await);
    let location = world.consent(&request.url, true).await;
    assert!(location.starts_with(&format!("{redirect}?code=")), "{location}");

    // The browser follows the redirect to us.
    let browser = browser();
    let stray = browser.get(format!("http://127.0.0.1:{port}/favicon.ico")).send().await.unwrap();
    assert_eq!(stray.status(), 404);
    let page = browser.get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-security-policy"], "default-src 'none'; style-src 'unsafe-inline'");
    let html = page.text().await.unwrap();
    assert!(html.contains("Connected as Sandbox Sage"), "{html}");

    assert_eq!(world.linker.status().state, State::Connected);
    wait_until_closed(port).await;
}

#[tokio::test]
async fn a_forged_request_gets_a_page_and_the_listener_keeps_waiting() {
    let port = free_port();
    let redirect = format!("http://localhost:{port}/cb");
    let world = Setup::default().loopback(&redirect).start().await;
    let request = world.linker.begin_connect().await.unwrap();

    let forged = browser().get(format!("http://127.0.0.1:{port}/cb?code=x&state=y")).send().await.unwrap();
    assert_eq!(forged.status(), 400);
    let html = forged.text().await.unwrap();
    assert!(html.contains("does not belong to the connection in progress"), "{html}");
    assert!(is_listening(port).await);

    let location = world.consent(&request.url, true).await;
    let page = browser().get(location.replace("localhost", "127.0.0.1")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(world.sandbox.stats().code_exchanges, 1);
}

#[tokio::test]
async fn cancelling_stops_listening() {
    let port = free_port();
    let world = Setup::default().loopback(&format!("http://127.0.0.1:{port}/cb")).start().await;
    world.linker.begin_connect().await.unwrap();
    // Starting again rebinds the same port.
    world.linker.begin_connect().await.unwrap();
    assert!(is_listening(port).await);
    world.linker.cancel_connect().await.unwrap();
    wait_until_closed(port).await;
}

#[tokio::test]
async fn a_busy_port_fails_the_sign_in_before_anything_is_stored() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let world = Setup::default().loopback(&format!("http://127.0.0.1:{port}/cb")).start().await;
    let err = world.linker.begin_connect().await.unwrap_err();
    assert_eq!(err.code(), kanka_link_core::ErrorCode::LoopbackUnavailable, "{err:?}");
    assert!(err.to_string().contains(&port.to_string()));
    assert_ne!(world.linker.status().state, State::Connecting);
    assert!(secret_tool_search(&world.scope()).is_empty());
}

/// A program that took [::1]:PORT would get the code and `state` from any browser that reaches
/// "localhost" over IPv6: the sign-in fails, names the address and leaves nothing behind.
#[tokio::test]
async fn a_program_on_the_ipv6_loopback_port_fails_the_sign_in() {
    let squatter = std::net::TcpListener::bind("[::1]:0").expect("this test needs IPv6 on loopback");
    let port = squatter.local_addr().unwrap().port();
    assert!(!is_listening(port).await, "127.0.0.1:{port} is free; only [::1]:{port} is taken");
    let world = Setup::default().loopback(&format!("http://localhost:{port}/cb")).start().await;

    let err = world.linker.begin_connect().await.unwrap_err();
    assert_eq!(err.code(), kanka_link_core::ErrorCode::LoopbackUnavailable, "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("[::1]:{port}")) && message.contains("another program"), "{message}");
    assert!(err.hint().unwrap().contains("Close the program using that port"), "{:?}", err.hint());

    let status = world.linker.status();
    assert_ne!(status.state, State::Connecting, "{status:?}");
    assert!(world.linker.pending_request().await.unwrap().is_none(), "no sign-in is pending");
    assert!(secret_tool_search(&world.scope()).is_empty(), "nothing in the keychain");
    assert!(!is_listening(port).await, "the IPv4 listener was closed again");
    // The squatter's connections are its own: nothing was taken from it.
    assert!(tokio::net::TcpStream::connect(("::1", port)).await.is_ok());
}
