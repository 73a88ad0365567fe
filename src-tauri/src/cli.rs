//! The command line, modelled on `gh auth status`, `gh auth token` and `gh auth switch`. It reads
//! the same keychain and status files as the window and takes the same refresh locks, so `token`
//! and the window's timer never refresh at once. Each connection (core connections.rs) is an
//! engine of its own: a command works on the one `--account` and `--server` name, else on the
//! default one, and never touches another. It runs in `kanka-link` (main.rs), which loads no GTK.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::args::{self, Pick};
use crate::output::{Listed, Stream, attach_console, describe, describe_check, finish, label, named, to_json, write};
use chrono::Utc;
use kanka_link_core::clock::SystemClock;
use kanka_link_core::connections::MAIN;
use kanka_link_core::{Config, Connections, Error, Linker, Origin, Paths, Sources, State, Verdict};

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
    /// `all`: every connection's JSON, in an array.
    Status {
        json: bool,
        all: bool,
        pick: Pick,
    },
    Token {
        json: bool,
        pick: Pick,
    },
    /// `if_due` without a pick: every connection that is due (the login check).
    Refresh {
        if_due: bool,
        pick: Pick,
    },
    Exec {
        program: crate::exec::Program,
        pick: Pick,
    },
    Disconnect {
        pick: Pick,
    },
    /// The new default: the one picked, the one with this id, or (neither) the other of two.
    Switch {
        pick: Pick,
        id: Option<String>,
    },
    Check,
}

/// The subcommands, for the line `kanka-link` prints when it has no display to open the window
/// on (launch.rs). Each is in args::SUBCOMMANDS (a test checks both ways).
pub const COMMANDS: &[&str] = &["status", "token", "exec", "refresh", "disconnect", "switch", "check", "completion"];

pub fn parse(args: impl Iterator<Item = OsString>) -> Invocation {
    let args: Vec<OsString> = args.collect();
    // The command `exec` runs gets its arguments exactly as given, not as text.
    if args.first().is_some_and(|word| word == "exec") {
        return parse_exec(&args[1..]).map_or(Invocation::Usage { to_stderr: true }, Invocation::Command);
    }
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => Invocation::Window,
        // The single-instance and deep-link plugins take a URL only as the sole argument.
        [url] if url.starts_with("kanka-link:") => Invocation::DeepLink,
        ["check"] => Invocation::Command(Command::Check),
        ["completion", shell] => {
            crate::manual::completion(shell).map_or(Invocation::Usage { to_stderr: true }, Invocation::Print)
        }
        // Hidden from --help: for packaging/linux/package.sh, which installs the pages.
        ["man", page @ ..] if page.len() <= 1 => crate::manual::man_page(page.first().copied().unwrap_or("kanka-link"))
            .map_or(Invocation::Usage { to_stderr: true }, Invocation::Print),
        ["--help" | "-h" | "help"] => Invocation::Usage { to_stderr: false },
        [name, rest @ ..] => command(name, rest).map_or(Invocation::Usage { to_stderr: true }, Invocation::Command),
    }
}

/// A command that works on a connection, its words read by its entry in args::SUBCOMMANDS.
fn command(name: &str, words: &[&str]) -> Option<Command> {
    let entry = args::SUBCOMMANDS.iter().find(|c| c.name == name && c.picks)?;
    let given = args::read(entry, words)?;
    let on = |switch: &str| given.switches.contains(&switch);
    let pick = given.pick.clone();
    Some(match name {
        // `--all` is every connection: naming one as well says two things.
        "status" if on("--all") && pick.is_given() => return None,
        "status" => Command::Status { json: on("--json"), all: on("--all"), pick },
        "token" => Command::Token { json: on("--json"), pick },
        "refresh" => Command::Refresh { if_due: on("--if-due"), pick },
        "disconnect" => Command::Disconnect { pick },
        "switch" if given.operand.is_some() && pick.is_given() => return None,
        "switch" => Command::Switch { pick, id: given.operand.map(str::to_owned) },
        _ => return None,
    })
}

/// `exec`'s words: `--account` and `--server` first, then the command exactly as given (after
/// `--`, everything is the command's, however it looks).
fn parse_exec(words: &[OsString]) -> Option<Command> {
    let mut pick = Pick::default();
    let mut at = 0;
    loop {
        let flag: Vec<&str> = words[at..].iter().take(2).map_while(|w| w.to_str()).collect();
        match args::read_pick(&mut pick, &flag)? {
            0 => break,
            taken => at += taken,
        }
    }
    let program = crate::exec::parse(&words[at..])?;
    Some(Command::Exec { program, pick })
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
    let (config, paths) = settings()?;
    // The check is of the settings alone: the list of other connections plays no part in it.
    if let Command::Check = command {
        return Ok(check(&Linker::open(config, &paths, Arc::new(SystemClock))).await);
    }
    let mut connections = Connections::open(config, &paths, Arc::new(SystemClock)).map_err(|e| explain(&e))?;
    let outcome = perform(&mut connections, command).await;
    // Never end holding the only copy of a renewed refresh token: it is saved, or the
    // connection is marked lost and that is the error (nothing is printed, not even a token).
    // Every connection settles, whatever another's keychain did.
    let mut lost = String::new();
    for (_, linker) in connections.all() {
        if let Err(e) = linker.settle(SAVE_ATTEMPTS, SAVE_PAUSE).await {
            lost += &explain(&e);
        }
    }
    if !lost.is_empty() {
        return Err(lost);
    }
    outcome
}

async fn perform(connections: &mut Connections, command: Command) -> Result<(String, ExitCode), String> {
    match command {
        Command::Status { json, all, pick } => status(connections, json, all, &pick),
        Command::Token { json: false, pick } => {
            let token = picked(connections, &pick)?.1.access_token().await.map_err(|e| explain(&e))?;
            Ok((format!("{}\n", token.secret()), ExitCode::SUCCESS))
        }
        Command::Token { json: true, pick } => {
            let credential = picked(connections, &pick)?.1.credential().await.map_err(|e| explain(&e))?;
            let json = serde_json::to_string_pretty(&credential)
                .map_err(|e| format!("Kanka Link could not write the token as JSON: {e}.\n"))?;
            Ok((json + "\n", ExitCode::SUCCESS))
        }
        Command::Exec { program, pick } => {
            let (_, linker) = picked(connections, &pick)?;
            let credential = linker.credential().await.map_err(|e| explain(&e))?;
            // Before this process becomes the program: a renewed pair is saved, or the connection
            // is marked lost and nothing runs.
            linker.settle(SAVE_ATTEMPTS, SAVE_PAUSE).await.map_err(|e| explain(&e))?;
            let not_run = crate::exec::run(program, &credential);
            let _ = write(Stream::Err, &not_run.message);
            Ok((String::new(), not_run.code))
        }
        Command::Refresh { if_due: true, pick } if !pick.is_given() => refresh_every_due(connections).await,
        Command::Refresh { if_due: true, pick } => {
            refresh_if_due(picked(connections, &pick)?.1).await.map_err(|e| explain(&e))?;
            Ok((String::new(), ExitCode::SUCCESS))
        }
        Command::Refresh { if_due: false, pick } => {
            let (id, linker) = picked(connections, &pick)?;
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
            Ok((describe(&status, linker.config(), label(connections, id), Utc::now()), ExitCode::SUCCESS))
        }
        Command::Disconnect { pick } => disconnect(connections, &pick).await,
        Command::Switch { pick, id } => switch(connections, &pick, id.as_deref()),
        Command::Check => Ok(check(connections.get(MAIN).unwrap_or(connections.default_linker())).await),
    }
}

async fn check(linker: &Linker) -> (String, ExitCode) {
    let report = linker.check_setup().await;
    (describe_check(&report), check_status(report.verdict))
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

fn explain(error: &Error) -> String {
    match error.hint() {
        Some(hint) => format!("{error}\n{hint}\n"),
        None => format!("{error}\n"),
    }
}

/// The connection `--account` and `--server` name, else the default one.
fn picked<'a>(connections: &'a Connections, pick: &Pick) -> Result<(&'a str, &'a Linker), String> {
    connections.select(pick.account.as_deref(), pick.server.as_deref()).map_err(|e| explain(&e))
}

fn settings() -> Result<(Config, Paths), String> {
    let paths = Paths::platform().map_err(|e| explain(&e))?;
    let sources = Sources::load(&paths.config_file).map_err(|e| explain(&e))?;
    // No client id from the environment, the file or the build: nothing was ever set up, which
    // the check below would report as an empty client id in the built-in defaults.
    if sources.client_id.origin == Origin::Default && sources.client_id.value.trim().is_empty() {
        return Err(not_set_up(&paths));
    }
    let config = Config::check(sources).map_err(|e| explain(&e))?;
    Ok((config, paths))
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

/// Every connection as text (or the one named); as JSON, the default's (or the one named) as
/// before there were several, or with `--all` every one's in an array. The exit status says
/// whether that connection (the default, or the one named) is linked.
fn status(connections: &Connections, json: bool, all: bool, pick: &Pick) -> Result<(String, ExitCode), String> {
    let (id, linker) = picked(connections, pick)?;
    let now = Utc::now();
    let text = if json && all {
        let rows: Vec<_> = connections
            .all()
            .map(|(id, l)| (id, l.config().kanka_url.as_str().trim_end_matches('/').to_owned(), l.status()))
            .collect();
        let listed: Vec<Listed> = rows
            .iter()
            .map(|(id, server, status)| Listed { id, server, default: *id == connections.default_id(), status })
            .collect();
        to_json(&listed)?
    } else if json {
        to_json(&linker.status())?
    } else if pick.is_given() {
        describe(&linker.status(), linker.config(), label(connections, id), now)
    } else {
        let each: Vec<String> =
            connections.all().map(|(id, l)| describe(&l.status(), l.config(), label(connections, id), now)).collect();
        each.join("\n")
    };
    let linked = matches!(linker.status().state, State::Connected | State::Refreshing);
    Ok((text, if linked { ExitCode::SUCCESS } else { ExitCode::FAILURE }))
}

/// `refresh --if-due` for one connection: a pair Kanka renewed and the keychain refused is kept
/// by the settle in `execute`, or the connection is lost and that is the error.
async fn refresh_if_due(linker: &Linker) -> Result<(), Error> {
    match linker.refresh_if_due().await {
        Err(Error::TokensNotSaved { .. }) => Ok(()),
        result => result,
    }
}

/// The login check: every connection with tokens is refreshed if it is due, each under its own
/// lock; one that fails is said and does not keep the others from theirs. Not connected at all
/// is the error it was with one connection.
async fn refresh_every_due(connections: &Connections) -> Result<(String, ExitCode), String> {
    let several = connections.all().count() > 1;
    let (mut linked, mut failed) = (0, String::new());
    for (id, linker) in connections.all() {
        match refresh_if_due(linker).await {
            Err(Error::NotConnected) => continue,
            Ok(()) => {}
            Err(e) if several => failed += &format!("Connection {}: {}", named(connections, id), explain(&e)),
            Err(e) => failed += &explain(&e),
        }
        linked += 1;
    }
    if linked == 0 {
        return Err(explain(&Error::NotConnected));
    }
    if !failed.is_empty() {
        return Err(failed);
    }
    Ok((String::new(), ExitCode::SUCCESS))
}

/// Forgets the tokens of the connection named; an added one also leaves the list (the settings'
/// own stays: it is the settings).
async fn disconnect(connections: &mut Connections, pick: &Pick) -> Result<(String, ExitCode), String> {
    let (id, linker) = picked(connections, pick)?;
    let id = id.to_owned();
    let notice = linker.disconnect().await.map_err(|e| explain(&e))?;
    let mut text = format!("{}\n", notice.message);
    if id != MAIN {
        let was_default = connections.default_id() == id;
        connections.remove(&id).map_err(|e| explain(&e))?;
        text += &format!("Connection {id} is no longer listed.\n");
        if was_default {
            text += &format!("The default connection is now {}.\n", named(connections, connections.default_id()));
        }
    }
    Ok((text, ExitCode::SUCCESS))
}

/// Makes a connection the default: the one named by its flags or its id; without either, of
/// two connections the other one (as `gh auth switch`).
fn switch(connections: &mut Connections, pick: &Pick, id: Option<&str>) -> Result<(String, ExitCode), String> {
    let chosen = match id {
        Some(id) => id.to_owned(),
        None if pick.is_given() => picked(connections, pick)?.0.to_owned(),
        None => {
            let others: Vec<&str> =
                connections.all().map(|(id, _)| id).filter(|id| *id != connections.default_id()).collect();
            match others.as_slice() {
                [other] => (*other).to_owned(),
                [] => {
                    let only = named(connections, connections.default_id());
                    return Err(format!("Kanka Link has one connection only ({only}): there is none to switch to.\n"));
                }
                _ => {
                    let known: Vec<String> = connections.all().map(|(id, _)| named(connections, id)).collect();
                    return Err(format!(
                        "Name the connection to make the default with --account, --server or its id.\n\
                         The connections: {}.\n",
                        known.join("; ")
                    ));
                }
            }
        }
    };
    connections.set_default(&chosen).map_err(|e| explain(&e))?;
    Ok((format!("The default connection is now {}.\n", named(connections, &chosen)), ExitCode::SUCCESS))
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
