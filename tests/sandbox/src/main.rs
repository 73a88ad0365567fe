//! `kanka-sandbox`: run the Kanka-compatible sandbox until SIGINT/SIGTERM.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use kanka_sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "usage: kanka-sandbox [--port N] [--token-lifetime SECS] [--refresh-token-lifetime SECS]
                     [--client-id ID] [--client-secret S] [--redirect-uri URI]...
                     [--user-name NAME] [--rate-limit N] [--help]

A local Kanka-compatible OAuth2 + API server on 127.0.0.1.
  --port N                       port to listen on (default 0: any free port)
  --token-lifetime SECS          access token lifetime (default 31536000)
  --refresh-token-lifetime SECS  refresh token lifetime (default: same as access)
  --client-id ID                 client id (default 7)
  --client-secret S              client secret
  --redirect-uri URI             registered redirect URI, repeatable
                                 (default kanka-link://oauth/callback)
  --user-name NAME               the signed-in sandbox user (default Sandbox Sage)
  --rate-limit N                 API requests per minute for the account (default 30, as Kanka)";

enum Command {
    Run(SandboxConfig),
    Help,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut config = SandboxConfig::default();
    let mut redirect_uris = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (arg, None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => config.port = number(&flag, &value()?)?,
            "--token-lifetime" => config.token_lifetime = Duration::from_secs(number(&flag, &value()?)?),
            "--refresh-token-lifetime" => {
                config.refresh_token_lifetime = Some(Duration::from_secs(number(&flag, &value()?)?));
            }
            "--client-id" => config.client_id = value()?,
            "--client-secret" => config.client_secret = value()?,
            "--redirect-uri" => redirect_uris.push(value()?),
            "--user-name" => config.user_name = value()?,
            "--rate-limit" => match number(&flag, &value()?)? {
                0 => return Err(format!("{flag}: must be at least 1")),
                n => config.rate_limit_per_minute = n,
            },
            _ => return Err(format!("unknown argument: {flag}")),
        }
    }
    if !redirect_uris.is_empty() {
        config.redirect_uris = redirect_uris;
    }
    Ok(Command::Run(config))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: not a valid number: {value}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("kanka-sandbox: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("kanka-sandbox: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = announce(&sandbox) {
        eprintln!("kanka-sandbox: cannot write to stdout: {error}");
    }
    if let Err(error) = wait_for_signal().await {
        eprintln!("kanka-sandbox: cannot wait for signals: {error}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

/// The first line is parsed by scripts; the rest are for people.
fn announce(sandbox: &Sandbox) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let base = sandbox.base_url();
    writeln!(out, "kanka-sandbox listening on {base}")?;
    out.flush()?;
    let config = sandbox.config();
    writeln!(out, "  client id:       {}", config.client_id)?;
    writeln!(out, "  client secret:   {}", config.client_secret)?;
    writeln!(out, "  redirect URIs:   {}", config.redirect_uris.join(" "))?;
    writeln!(out, "  token lifetime:  {}s", config.token_lifetime.as_secs())?;
    writeln!(out, "Point Kanka Link at it with:")?;
    writeln!(out, "  KANKA_LINK_URL={base}")?;
    writeln!(out, "  KANKA_LINK_API_URL={}", sandbox.api_url())?;
    writeln!(out, "  KANKA_LINK_CLIENT_ID={}", config.client_id)?;
    writeln!(out, "  KANKA_LINK_CLIENT_SECRET={}", config.client_secret)?;
    out.flush()
}

async fn wait_for_signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn the_rate_limit_is_kankas_unless_raised() {
        let Ok(Command::Run(default)) = parse(&[]) else { panic!("no arguments must run") };
        assert_eq!(default.rate_limit_per_minute, 30);
        let Ok(Command::Run(raised)) = parse(&["--rate-limit", "6000"]) else { panic!("a rate limit must run") };
        assert_eq!(raised.rate_limit_per_minute, 6000);
        let Err(message) = parse(&["--rate-limit=0"]) else { panic!("a zero rate limit must be refused") };
        assert!(message.contains("--rate-limit"), "{message}");
    }
}
