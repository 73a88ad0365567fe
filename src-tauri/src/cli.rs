//! The command line, modelled on `gh auth status` and `gh auth token`. It reads the same
//! keychain and status file as the window and takes the same refresh lock, so `token` and the
//! window's timer never refresh at once.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Local, Utc};
use kanka_link_core::clock::SystemClock;
use kanka_link_core::{Config, Error, Linker, Paths, State, Status};

pub enum Invocation {
    /// No arguments: the window.
    Window,
    /// A `kanka-link://` URL as the only argument: for the running window, or a new one.
    DeepLink,
    Command(Command),
    Usage {
        to_stderr: bool,
    },
}

pub enum Command {
    Status { json: bool },
    Token,
    Refresh,
    Disconnect,
}

const USAGE: &str = "\
Kanka Link: link your Kanka account to your desktop.

Usage:
  kanka-link                 open the window
  kanka-link status [--json] show who is connected and when the token expires
  kanka-link token           print a valid access token (refreshed first if due)
  kanka-link refresh         refresh the token now
  kanka-link disconnect      forget the tokens
  kanka-link --help          show this help

Exit status: 0 on success; 1 when not connected or on an error; 2 on bad usage.
Settings come from KANKA_LINK_URL, KANKA_LINK_API_URL, KANKA_LINK_CLIENT_ID,
KANKA_LINK_CLIENT_SECRET and KANKA_LINK_REDIRECT_URI, then from config.toml.
";

pub fn parse(args: impl Iterator<Item = OsString>) -> Invocation {
    let args: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => Invocation::Window,
        // The single-instance and deep-link plugins take a URL only as the sole argument.
        [url] if url.starts_with("kanka-link:") => Invocation::DeepLink,
        ["status"] => Invocation::Command(Command::Status { json: false }),
        ["status", "--json"] => Invocation::Command(Command::Status { json: true }),
        ["token"] => Invocation::Command(Command::Token),
        ["refresh"] => Invocation::Command(Command::Refresh),
        ["disconnect"] => Invocation::Command(Command::Disconnect),
        ["--help" | "-h" | "help"] => Invocation::Usage { to_stderr: false },
        _ => Invocation::Usage { to_stderr: true },
    }
}

pub fn usage(to_stderr: bool) -> ExitCode {
    attach_console();
    if to_stderr {
        eprint!("{USAGE}");
        ExitCode::from(2)
    } else {
        print!("{USAGE}");
        ExitCode::SUCCESS
    }
}

pub fn run(command: Command) -> ExitCode {
    attach_console();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let outcome = runtime.block_on(async {
        let linker = open()?;
        match command {
            Command::Status { json } => Ok(status(&linker, json)),
            Command::Token => {
                let token = linker.access_token().await?;
                println!("{}", token.secret());
                Ok(ExitCode::SUCCESS)
            }
            Command::Refresh => {
                let status = linker.refresh_now().await?;
                print!("{}", describe(&status, linker.config(), Utc::now()));
                Ok(ExitCode::SUCCESS)
            }
            Command::Disconnect => {
                let notice = linker.disconnect().await?;
                println!("{}", notice.message);
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    outcome.unwrap_or_else(|error: Error| {
        eprintln!("{error}");
        if let Some(hint) = error.hint() {
            eprintln!("{hint}");
        }
        ExitCode::FAILURE
    })
}

fn open() -> Result<Linker, Error> {
    let paths = Paths::platform()?;
    let config = Config::load(&paths.config_file)?;
    Ok(Linker::open(config, &paths, Arc::new(SystemClock)))
}

fn status(linker: &Linker, json: bool) -> ExitCode {
    let status = linker.status();
    if json {
        println!("{}", serde_json::to_string_pretty(&status).expect("the status serialises"));
    } else {
        print!("{}", describe(&status, linker.config(), Utc::now()));
    }
    let linked = matches!(status.state, State::Connected | State::Refreshing);
    if linked { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The status as a person reads it.
fn describe(status: &Status, config: &Config, now: DateTime<Utc>) -> String {
    let mut text = format!(
        "Kanka Link for {} (client {})\n",
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
fn attach_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // Fails harmlessly when there is no parent console (started from Explorer).
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

#[cfg(not(windows))]
fn attach_console() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Invocation {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn arguments_are_read_as_documented() {
        assert!(matches!(parsed(&[]), Invocation::Window));
        assert!(matches!(parsed(&["kanka-link://oauth/callback?code=a&state=b"]), Invocation::DeepLink));
        assert!(matches!(parsed(&["status"]), Invocation::Command(Command::Status { json: false })));
        assert!(matches!(parsed(&["status", "--json"]), Invocation::Command(Command::Status { json: true })));
        assert!(matches!(parsed(&["token"]), Invocation::Command(Command::Token)));
        assert!(matches!(parsed(&["disconnect"]), Invocation::Command(Command::Disconnect)));
        assert!(matches!(parsed(&["refresh"]), Invocation::Command(Command::Refresh)));
        assert!(matches!(parsed(&["--help"]), Invocation::Usage { to_stderr: false }));
        for unknown in [&["frobnicate"][..], &["status", "--xml"], &["token", "extra"], &["kanka-link://x", "more"]] {
            assert!(matches!(parsed(unknown), Invocation::Usage { to_stderr: true }), "{unknown:?}");
        }
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now + chrono::Duration::days(365), now), "in 365 days");
        assert_eq!(relative(now + chrono::Duration::seconds(90), now), "in 1 min");
        assert_eq!(relative(now - chrono::Duration::hours(3), now), "3 h ago");
    }
}
