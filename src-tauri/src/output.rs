//! Where the command line's words go: stdout and stderr through `write()`, so that a reader that
//! went away ends the command quietly and nothing can panic on output (cli.rs uses it); and how
//! a connection's status reads, as text and as JSON.

use std::process::ExitCode;

use chrono::{DateTime, Local, Utc};
use kanka_link_core::{Config, Connections, SetupReport, State, Status};
use serde::Serialize;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// The output could not be written; the command ends with status 1.
pub struct WriteFailed;

/// Every word the command line prints goes through here. A reader that went away
/// (`kanka-link token | head -c0`: EPIPE, as Rust ignores SIGPIPE) ends the command quietly;
/// any other failure (`> /dev/full`) is said on stderr. Never a panic, as `print!` would.
pub fn write(to: Stream, text: &str) -> Result<(), WriteFailed> {
    use std::io::Write;
    let written = match to {
        Stream::Out => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        Stream::Err => {
            let mut err = std::io::stderr().lock();
            err.write_all(text.as_bytes()).and_then(|()| err.flush())
        }
    };
    written.map_err(|e| {
        if to == Stream::Out && e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "Kanka Link could not write its output: {e}.");
        }
        WriteFailed
    })
}

/// The command's exit status, or 1 when its output did not get out.
pub fn finish(written: Result<(), WriteFailed>, code: ExitCode) -> ExitCode {
    match written {
        Ok(()) => code,
        Err(WriteFailed) => ExitCode::FAILURE,
    }
}

/// Which connection a status is of, for a text that shows several (`None`: the only one).
pub struct Label<'a> {
    pub id: &'a str,
    pub default: bool,
}

/// The status as a person reads it.
pub fn describe(status: &Status, config: &Config, label: Option<Label>, now: DateTime<Utc>) -> String {
    let which = match label {
        None => String::new(),
        Some(Label { id, default: true }) => format!(", connection {id} (the default)"),
        Some(Label { id, default: false }) => format!(", connection {id}"),
    };
    let mut text = format!(
        "Kanka Link for {} (client {}){which}\n",
        config.kanka_url.as_str().trim_end_matches('/'),
        config.client_id.as_str()
    );
    let who = status.account.as_ref().map(|a| format!("{} (account {})", a.name, a.id));
    let headline = match status.state {
        State::Connected | State::Refreshing => match &who {
            Some(who) => format!("Connected as {who}"),
            None => "Connected (account name not known yet)".to_owned(),
        },
        State::Connecting => "Waiting for Kanka in the browser".to_owned(),
        State::ReconnectNeeded => format!("Reconnect needed{}", who.map(|w| format!(" for {w}")).unwrap_or_default()),
        State::Disconnected => "Not connected".to_owned(),
        State::Error => "Not working".to_owned(),
    };
    text += &format!("  {headline}\n");
    if let Some(at) = status.expires_at {
        text += &format!("  Token expires: {} ({})\n", local(at), relative(at, now));
    }
    if let Some(at) = status.refreshed_at {
        text += &format!("  Last refresh:  {}\n", local(at));
    }
    if let Some(at) = status.next_refresh_at {
        text += &format!("  Next refresh:  {} ({})\n", local(at), relative(at, now));
    }
    if let Some(error) = &status.last_error {
        text += &format!("  {}\n", error.message);
        if let Some(hint) = &error.hint {
            text += &format!("  {hint}\n");
        }
    }
    text
}

/// One connection in `status --json --all`: the object `status --json` prints for one, with
/// what tells it from the others before it.
#[derive(Serialize)]
pub struct Listed<'a> {
    /// What `switch` takes (`main`: the settings' own).
    pub id: &'a str,
    /// Its Kanka's address, as `--server` takes it.
    pub server: &'a str,
    pub default: bool,
    #[serde(flatten)]
    pub status: &'a Status,
}

/// Which connection a text is about, once there are several.
pub fn label<'a>(connections: &Connections, id: &'a str) -> Option<Label<'a>> {
    (connections.all().count() > 1).then(|| Label { id, default: id == connections.default_id() })
}

/// A connection in a sentence: `2, Bard (account 12) on https://kanka.example`.
pub fn named(connections: &Connections, id: &str) -> String {
    let Some(linker) = connections.get(id) else { return id.to_owned() };
    let server = linker.config().kanka_url.as_str().trim_end_matches('/').to_owned();
    match linker.status().account {
        Some(account) => format!("{id}, {} (account {}) on {server}", account.name, account.id),
        None => format!("{id}, not signed in, on {server}"),
    }
}

pub fn to_json(value: &impl serde::Serialize) -> Result<String, String> {
    let json = serde_json::to_string_pretty(value)
        .map_err(|e| format!("Kanka Link could not write its status as JSON: {e}.\n"))?;
    Ok(json + "\n")
}

/// One line per probe of `check`, then what to do.
pub fn describe_check(report: &SetupReport) -> String {
    let mut text = format!(
        "Checking the settings with {} (client {})\n",
        report.kanka_url.as_str().trim_end_matches('/'),
        report.client_id.as_str()
    );
    text += &format!("  token endpoint:         {}\n", report.token.summary);
    text += &format!("  authorization endpoint: {}\n", report.authorize.summary);
    match &report.problem {
        None => text += "Ready: Connect opens Kanka's sign-in page.\n",
        Some(problem) => {
            text += &format!("{}\n", problem.message);
            if let Some(hint) = &problem.hint {
                text += &format!("{hint}\n");
            }
        }
    }
    text
}

fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%Y-%m-%d %H:%M %Z").to_string()
}

fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    let (amount, past) = (seconds.unsigned_abs(), seconds < 0);
    let span = match amount {
        0..60 => format!("{amount} s"),
        60..3600 => format!("{} min", amount / 60),
        3600..86_400 => format!("{} h", amount / 3600),
        _ => format!("{} days", amount / 86_400),
    };
    if past { format!("{span} ago") } else { format!("in {span}") }
}

/// A GUI-subsystem program on Windows has no console: write to the terminal that started us.
#[cfg(windows)]
pub fn attach_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // Fails harmlessly when there is no parent console (started from Explorer).
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

#[cfg(not(windows))]
pub fn attach_console() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now + chrono::Duration::days(365), now), "in 365 days");
        assert_eq!(relative(now + chrono::Duration::seconds(90), now), "in 1 min");
        assert_eq!(relative(now - chrono::Duration::hours(3), now), "3 h ago");
    }
}
