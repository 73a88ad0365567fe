//! The loopback receiver for `http://localhost:PORT/PATH` redirects (RFC 8252 §7.3): it listens
//! on loopback addresses only, only while a sign-in is pending, answers the browser with a small
//! self-contained page and hands the request to the same callback handling as a deep link.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::config::{LoopbackHost, Redirect};
use crate::error::{Error, Result};
use crate::linker::Linker;

/// A browser sends its request at once; a connection that dawdles is not a browser.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REQUEST: usize = 16 * 1024;

pub(crate) async fn bind(host: LoopbackHost, port: u16) -> Result<Vec<TcpListener>> {
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    // "localhost" may resolve to either family in the browser: listen on both.
    let addresses = match host {
        LoopbackHost::Localhost => vec![v4, v6],
        LoopbackHost::Ipv4 => vec![v4],
        LoopbackHost::Ipv6 => vec![v6],
    };
    let mut listeners = Vec::new();
    for address in addresses {
        match TcpListener::bind(address).await {
            Ok(listener) => listeners.push(listener),
            // A machine without IPv6 serves "localhost" on IPv4 alone; browsers there use it.
            Err(e) if address == v6 && host == LoopbackHost::Localhost && !ipv6_loopback_works().await => {
                tracing::debug!("no IPv6 loopback on this machine, listening on {v4} only: {e}");
            }
            // Anything else, above all another program on the port, fails the sign-in: a browser
            // that reaches "localhost" on the address we could not take would hand that program
            // the code and `state`. The listeners bound so far close as they are dropped.
            Err(e) => {
                let detail = match e.kind() {
                    std::io::ErrorKind::AddrInUse => {
                        format!("another program is using it, and the browser might hand it your sign-in ({e})")
                    }
                    _ => e.to_string(),
                };
                return Err(Error::LoopbackUnavailable { address: address.to_string(), detail });
            }
        }
    }
    Ok(listeners)
}

/// Whether this machine can listen on [::1] at all. It cannot when IPv6 is switched off (the
/// socket or the address is refused whatever the port); a port that only we fail to take is busy.
async fn ipv6_loopback_works() -> bool {
    TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 0))).await.is_ok()
}

impl Linker {
    pub(crate) fn serve_loopback(&self, listeners: Vec<TcpListener>, attempt: u64) {
        let mut tasks = JoinSet::new();
        for listener in listeners {
            tasks.spawn(self.clone().accept(listener, attempt));
        }
        let handle = tokio::spawn(async move { while tasks.join_next().await.is_some() {} });
        if let Some(old) = self.inner.loopback.lock().unwrap().replace(handle) {
            old.abort();
        }
    }

    /// Stops the listener and waits until its port is free again.
    pub(crate) async fn stop_loopback(&self) {
        let handle = self.inner.loopback.lock().unwrap().take();
        if let Some(handle) = handle {
            handle.abort();
            let _ = handle.await;
        }
    }

    async fn accept(self, listener: TcpListener, attempt: u64) {
        let mut attempts = self.inner.attempt.subscribe();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    // Its own task: stopping the listener must not cut off an exchange under way.
                    Ok((stream, _)) => drop(tokio::spawn(self.clone().answer(stream))),
                    Err(e) => tracing::debug!("loopback accept failed: {e}"),
                },
                _ = attempts.wait_for(|current| *current != attempt) => return,
            }
        }
    }

    async fn answer(self, mut stream: TcpStream) {
        let target = match tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream)).await {
            Ok(Some(target)) => target,
            _ => return,
        };
        let Redirect::Loopback { path, .. } = &self.inner.config.redirect else { return };
        let on_path = target.split('?').next() == Some(path.as_str());
        let response = if !on_path {
            page(404, "Not found", "Kanka Link only answers Kanka's sign-in here.", None)
        } else {
            let url = format!("{}{}", origin(&self.inner.config.redirect_uri), target);
            match self.handle_callback(&url).await {
                Ok(status) => {
                    let who = status.account.map(|a| format!(" as {}", a.name)).unwrap_or_default();
                    page(
                        200,
                        &format!("Connected{who}"),
                        "Kanka Link is linked to your Kanka account. You can close this tab.",
                        None,
                    )
                }
                Err(e) => page(400, "Not connected", &e.to_string(), e.hint().as_deref()),
            }
        };
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

/// The request target of a `GET`, from the request line; `None` for anything else.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    while !buffer.windows(2).any(|w| w == b"\r\n") {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() + read > MAX_REQUEST {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let line = std::str::from_utf8(&buffer[..buffer.windows(2).position(|w| w == b"\r\n")?]).ok()?;
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("GET"), Some(target), Some(version)) if target.starts_with('/') && version.starts_with("HTTP/1.") => {
            Some(target.to_owned())
        }
        _ => None,
    }
}

/// `http://host:port` of the redirect URI, as the browser addressed us.
fn origin(redirect_uri: &url::Url) -> String {
    redirect_uri.origin().ascii_serialization()
}

fn page(status: u16, title: &str, message: &str, hint: Option<&str>) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let hint = hint.map(|h| format!("<p>{}</p>", escape(h))).unwrap_or_default();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Kanka Link</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;\
         color:#1d1d1f;background:#fff}}@media(prefers-color-scheme:dark){{body{{color:#eee;background:#1c1c1e}}}}</style>\
         </head><body><h1>{}</h1><p>{}</p>{hint}</body></html>",
        escape(title),
        escape(message)
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nReferrer-Policy: no-referrer\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        let response = page(400, "Not <b>connected</b>", "a & b", Some("\"quoted\""));
        assert!(response.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(response.contains("Not &lt;b&gt;connected&lt;/b&gt;"));
        assert!(response.contains("a &amp; b") && response.contains("&quot;quoted&quot;"));
        let body = response.split("\r\n\r\n").nth(1).unwrap();
        assert!(response.contains(&format!("Content-Length: {}\r\n", body.len())));
    }

    #[test]
    fn origins_keep_host_and_port() {
        let uri = url::Url::parse("http://localhost:8765/cb").unwrap();
        assert_eq!(origin(&uri), "http://localhost:8765");
    }
}
