//! The command line, modelled on `gh auth status` and `gh auth token`. It reads the same
//! keychain and status file as the window and takes the same refresh lock, so `token` and the
//! window's timer never refresh at once. It runs in `kanka-link` (main.rs), which loads no GTK.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::output::{Stream, attach_console, finish, write};
use chrono::{DateTime, Local, Utc};
use kanka_link_core::clock::SystemClock;
use kanka_link_core::{Config, Error, Linker, Origin, Paths, SetupReport, Sources, State, Status, Verdict};

pub enum Invocation {
    /// No arguments: the window.
    Window,
    /// A `kanka-link://` URL as the only argument: for the running window, or a new one.
    DeepLink,
    Command(Command),
    Usage {
        to_stderr: bool,
    },
    /// `completion SHELL` or the hidden `man [PAGE]`: a text generated from args.rs, to stdout.
    Print(String),
}

pub enum Command {
    Status { json: bool },
    Token { json: bool },
    Refresh { if_due: bool },
    Exec(crate::exec::Program),
    Disconnect,
    Check,
}

/// The subcommands, for the line `kanka-link` prints when it has no display to open the window
/// on (launch.rs). Each is in args::SUBCOMMANDS (a test checks both ways).
pub const COMMANDS: &[&str] = &["status", "token", "exec", "refresh", "disconnect", "check", "completion"];

pub fn parse(args: impl Iterator<Item = OsString>) -> Invocation {
    let args: Vec<OsString> = args.collect();
    // The command `exec` runs gets its arguments exactly as given, not as text.
    if args.first().is_some_and(|word| word == "exec") {
        return match crate::exec::parse(&args[1..]) {
            Some(program) => Invocation::Command(Command::Exec(program)),
            None => Invocation::Usage { to_stderr: true },
        };
    }
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => Invocation::Window,
        // The single-instance and deep-link plugins take a URL only as the sole argument.
        [url] if url.starts_with("kanka-link:") => Invocation::DeepLink,
        ["status"] => Invocation::Command(Command::Status { json: false }),
        ["status", "--json"] => Invocation::Command(Command::Status { json: true }),
        ["token"] => Invocation::Command(Command::Token { json: false }),
        ["token", "--json"] => Invocation::Command(Command::Token { json: true }),
        ["refresh"] => Invocation::Command(Command::Refresh { if_due: false }),
        ["refresh", "--if-due"] => Invocation::Command(Command::Refresh { if_due: true }),
        ["disconnect"] => Invocation::Command(Command::Disconnect),
        ["check"] => Invocation::Command(Command::Check),
        ["completion", shell] => {
            crate::manual::completion(shell).map_or(Invocation::Usage { to_stderr: true }, Invocation::Print)
        }
        // Hidden from --help: for packaging/linux/package.sh, which installs the pages.
        ["man", page @ ..] if page.len() <= 1 => crate::manual::man_page(page.first().copied().unwrap_or("kanka-link"))
            .map_or(Invocation::Usage { to_stderr: true }, Invocation::Print),
        ["--help" | "-h" | "help"] => Invocation::Usage { to_stderr: false },
        _ => Invocation::Usage { to_stderr: true },
    }
}

pub fn usage(to_stderr: bool) -> ExitCode {
    attach_console();
    if to_stderr {
        let _ = write(Stream::Err, &crate::args::usage());
        ExitCode::from(2)
    } else {
        print(&crate::args::usage())
    }
}

/// A text to stdout, status 0 (1 when it cannot be written).
pub fn print(text: &str) -> ExitCode {
    attach_console();
    finish(write(Stream::Out, text), ExitCode::SUCCESS)
}

pub fn run(command: Command) -> ExitCode {
    attach_console();
    let outcome = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(execute(command)),
        Err(e) => Err(format!("Kanka Link could not start its runtime: {e}.\n")),
    };
    match outcome {
        Ok((text, code)) => finish(write(Stream::Out, &text), code),
        Err(message) => {
            let _ = write(Stream::Err, &message);
            ExitCode::FAILURE
        }
    }
}

/// How often, and how far apart, the command line tries to keep a pair the keychain refused
/// before it gives up and says the connection is lost.
const SAVE_ATTEMPTS: u32 = 3;
const SAVE_PAUSE: Duration = Duration::from_millis(500);

/// What the command prints and its exit status, or the error it reports on stderr.
async fn execute(command: Command) -> Result<(String, ExitCode), String> {
    let linker = open()?;
    let outcome = perform(&linker, command).await;
    // Never end holding the only copy of a renewed refresh token: it is saved, or the
    // connection is marked lost and that is the error (nothing is printed, not even a token).
    linker.settle(SAVE_ATTEMPTS, SAVE_PAUSE).await.map_err(|e| explain(&e))?;
    outcome
}

async fn perform(linker: &Linker, command: Command) -> Result<(String, ExitCode), String> {
    match command {
        Command::Status { json } => status(linker, json),
        Command::Token { json: false } => {
            let token = linker.access_token().await.map_err(|e| explain(&e))?;
            Ok((format!("{}\n", token.secret()), ExitCode::SUCCESS))
        }
        Command::Token { json: true } => {
            let credential = linker.credential().await.map_err(|e| explain(&e))?;
            let json = serde_json::to_string_pretty(&credential)
                .map_err(|e| format!("Kanka Link could not write the token as JSON: {e}.\n"))?;
            Ok((json + "\n", ExitCode::SUCCESS))
        }
        Command::Exec(program) => {
            let credential = linker.credential().await.map_err(|e| explain(&e))?;
            // Before this process becomes the program: a renewed pair is saved, or the connection
            // is marked lost and nothing runs.
            linker.settle(SAVE_ATTEMPTS, SAVE_PAUSE).await.map_err(|e| explain(&e))?;
            let not_run = crate::exec::run(program, &credential);
            let _ = write(Stream::Err, &not_run.message);
            Ok((String::new(), not_run.code))
        }
        Command::Refresh { if_due: true } => {
            match linker.refresh_if_due().await {
                Ok(()) => {}
                // Kept by the settle in `execute`, or the connection is lost and that is the error.
                Err(Error::TokensNotSaved { .. }) => {}
                Err(e) => return Err(explain(&e)),
            }
            Ok((String::new(), ExitCode::SUCCESS))
        }
        Command::Refresh { if_due: false } => {
            let status = match linker.refresh_now().await {
                Ok(status) => status,
                // Kanka renewed the pair and the keychain refused it: kept now (the refresh
                // worked), or the connection is lost and that is the error.
                Err(Error::TokensNotSaved { .. }) => {
                    linker.settle(SAVE_ATTEMPTS, SAVE_PAUSE).await.map_err(|e| explain(&e))?;
                    linker.status()
                }
                Err(e) => return Err(explain(&e)),
            };
            Ok((describe(&status, linker.config(), Utc::now()), ExitCode::SUCCESS))
        }
        Command::Disconnect => {
            let notice = linker.disconnect().await.map_err(|e| explain(&e))?;
            Ok((format!("{}\n", notice.message), ExitCode::SUCCESS))
        }
        Command::Check => {
            let report = linker.check_setup().await;
            Ok((describe_check(&report), check_status(report.verdict)))
        }
    }
}

/// `check`'s exit status when Kanka could not be reached: neither a pass nor a wrong setting.
const CHECK_UNREACHABLE: u8 = 3;

fn check_status(verdict: Verdict) -> ExitCode {
    match verdict {
        Verdict::Passed => ExitCode::SUCCESS,
        Verdict::SettingWrong => ExitCode::FAILURE,
        Verdict::Unreachable => ExitCode::from(CHECK_UNREACHABLE),
    }
}

/// One line per probe, then what to do.
fn describe_check(report: &SetupReport) -> String {
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

fn explain(error: &Error) -> String {
    match error.hint() {
        Some(hint) => format!("{error}\n{hint}\n"),
        None => format!("{error}\n"),
    }
}

fn open() -> Result<Linker, String> {
    let paths = Paths::platform().map_err(|e| explain(&e))?;
    let sources = Sources::load(&paths.config_file).map_err(|e| explain(&e))?;
    // No client id from the environment, the file or the build: nothing was ever set up, which
    // the check below would report as an empty client id in the built-in defaults.
    if sources.client_id.origin == Origin::Default && sources.client_id.value.trim().is_empty() {
        return Err(not_set_up(&paths));
    }
    let config = Config::check(sources).map_err(|e| explain(&e))?;
    Ok(Linker::open(config, &paths, Arc::new(SystemClock)))
}

fn not_set_up(paths: &Paths) -> String {
    format!(
        "Kanka Link is not set up: it has no Kanka client id yet.\n\
         To set it up, open Kanka Link's window (run kanka-link on your desktop) and follow its setup; \
         or set KANKA_LINK_CLIENT_ID and KANKA_LINK_CLIENT_SECRET (and KANKA_LINK_URL for a Kanka other \
         than app.kanka.io), or put client_id in {}.\n",
        paths.config_file.display()
    )
}

fn status(linker: &Linker, json: bool) -> Result<(String, ExitCode), String> {
    let status = linker.status();
    let text = if json {
        let json = serde_json::to_string_pretty(&status)
            .map_err(|e| format!("Kanka Link could not write its status as JSON: {e}.\n"))?;
        json + "\n"
    } else {
        describe(&status, linker.config(), Utc::now())
    };
    let linked = matches!(status.state, State::Connected | State::Refreshing);
    Ok((text, if linked { ExitCode::SUCCESS } else { ExitCode::FAILURE }))
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
        assert!(matches!(parsed(&["token"]), Invocation::Command(Command::Token { json: false })));
        assert!(matches!(parsed(&["token", "--json"]), Invocation::Command(Command::Token { json: true })));
        assert!(matches!(parsed(&["disconnect"]), Invocation::Command(Command::Disconnect)));
        assert!(matches!(parsed(&["refresh"]), Invocation::Command(Command::Refresh { if_due: false })));
        assert!(matches!(parsed(&["refresh", "--if-due"]), Invocation::Command(Command::Refresh { if_due: true })));
        assert!(matches!(parsed(&["exec", "--", "sh", "-c", "exit 7"]), Invocation::Command(Command::Exec(_))));
        assert!(matches!(parsed(&["exec", "env"]), Invocation::Command(Command::Exec(_))));
        for no_command in [&["exec"][..], &["exec", "--"], &["exec", "--json", "env"]] {
            assert!(matches!(parsed(no_command), Invocation::Usage { to_stderr: true }), "{no_command:?}");
        }
        assert!(matches!(parsed(&["check"]), Invocation::Command(Command::Check)));
        assert!(matches!(parsed(&["check", "--json"]), Invocation::Usage { to_stderr: true }));
        assert!(matches!(parsed(&["--help"]), Invocation::Usage { to_stderr: false }));
        for unknown in [
            &["frobnicate"][..],
            &["status", "--xml"],
            &["token", "extra"],
            &["token", "--json", "extra"],
            &["refresh", "--if-due", "now"],
            &["kanka-link://x", "more"],
        ] {
            assert!(matches!(parsed(unknown), Invocation::Usage { to_stderr: true }), "{unknown:?}");
        }
    }

    #[test]
    fn every_command_is_in_the_table_and_the_no_display_line() {
        let named: Vec<&str> = crate::args::SUBCOMMANDS.iter().map(|c| c.name).collect();
        assert_eq!(named, COMMANDS, "args::SUBCOMMANDS and COMMANDS (launch.rs prints them)");
    }

    #[test]
    fn every_form_the_table_documents_is_parsed() {
        for command in crate::args::SUBCOMMANDS {
            // A command with operands needs them (`exec` a COMMAND, `completion` a shell).
            let mut forms = if command.operands.is_empty() { vec![vec![command.name]] } else { vec![] };
            forms.extend(command.flags.iter().map(|flag| vec![command.name, flag.name]));
            for operand in command.operands.split('|').filter(|o| !o.is_empty()) {
                forms.push(match operand {
                    "[--] COMMAND [ARGS...]" => vec![command.name, "--", "env"],
                    word => vec![command.name, word],
                });
            }
            for form in forms {
                assert!(matches!(parsed(&form), Invocation::Command(_) | Invocation::Print(_)), "{form:?}");
            }
        }
        assert!(matches!(parsed(&["completion", "tcsh"]), Invocation::Usage { to_stderr: true }));
        assert!(matches!(parsed(&["completion"]), Invocation::Usage { to_stderr: true }));
        assert!(matches!(parsed(&["man", "ls"]), Invocation::Usage { to_stderr: true }));
        assert!(matches!(parsed(&["man"]), Invocation::Print(_)));
    }

    #[test]
    fn the_check_exits_with_a_status_per_verdict() {
        assert_eq!(check_status(Verdict::Passed), ExitCode::SUCCESS);
        assert_eq!(check_status(Verdict::SettingWrong), ExitCode::FAILURE);
        assert_eq!(check_status(Verdict::Unreachable), ExitCode::from(3));
        let usage = crate::args::usage();
        assert!(usage.contains("kanka-link check") && usage.contains("3 when `check` could not reach Kanka"));
        assert!(usage.contains("kanka-link exec [--] COMMAND") && usage.contains("127 when there is"));
        assert!(usage.contains("token [--json]") && usage.contains("refresh [--if-due]"));
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now + chrono::Duration::days(365), now), "in 365 days");
        assert_eq!(relative(now + chrono::Duration::seconds(90), now), "in 1 min");
        assert_eq!(relative(now - chrono::Duration::hours(3), now), "3 h ago");
    }
}
