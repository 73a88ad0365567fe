//! What the command line accepts, written once: `--help`, the man pages (`kanka-link man`, which
//! the packages install) and the shell completions (`kanka-link completion SHELL`) are all
//! generated from the tables here, so none of them can drift from another (cli.rs's tests check
//! that its parser takes every form the tables document). Hand-written rather than clap + clap_mangen + clap_complete: the parser has to keep
//! behaviours clap does not have (a sole `kanka-link:` URL, `exec`'s arguments as raw OsString,
//! usage on stderr with status 2), and three small generators cost no new crates.

pub struct Flag {
    pub name: &'static str,
    pub help: &'static str,
}

pub struct Subcommand {
    pub name: &'static str,
    pub flags: &'static [Flag],
    /// The operands after the flags, as the synopsis writes them.
    pub operands: &'static str,
    /// One line for completion menus (no quotes or colons).
    pub brief: &'static str,
    /// Lines as `--help` prints them; the man page joins them into a paragraph.
    pub help: &'static [&'static str],
}

pub const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "status",
        flags: &[Flag { name: "--json", help: "the status as JSON" }],
        operands: "",
        brief: "show who is connected and when the token expires",
        help: &["show who is connected and when the token expires"],
    },
    Subcommand {
        name: "token",
        flags: &[Flag {
            name: "--json",
            help: "with its expiry, the account (null while not known yet) and the API's URL, as JSON",
        }],
        operands: "",
        brief: "print a valid access token",
        help: &["print a valid access token (refreshed first if due)"],
    },
    Subcommand {
        name: "exec",
        flags: &[],
        operands: "[--] COMMAND [ARGS...]",
        brief: "run a command with a valid access token in its environment",
        help: &[
            "run COMMAND with a valid access token in KANKA_TOKEN",
            "and the API's URL in KANKA_API_URL (never on a command",
            "line); it gets stdin, stdout, stderr and signals",
        ],
    },
    Subcommand {
        name: "refresh",
        flags: &[Flag {
            name: "--if-due",
            help: "refresh only when the token is due, as the window would; prints nothing (for the login check)",
        }],
        operands: "",
        brief: "refresh the token now",
        help: &["refresh the token now"],
    },
    Subcommand {
        name: "disconnect",
        flags: &[],
        operands: "",
        brief: "forget the tokens",
        help: &["forget the tokens"],
    },
    Subcommand {
        name: "check",
        flags: &[],
        operands: "",
        brief: "ask Kanka whether it accepts the client settings",
        help: &[
            "ask Kanka whether it accepts the client id, secret and",
            "redirect URL (no sign-in; nothing is spent)",
        ],
    },
    Subcommand {
        name: "completion",
        flags: &[],
        operands: "bash|zsh|fish",
        brief: "print the shell completion script",
        help: &["print the completion script for bash, zsh or fish"],
    },
];

pub const NAME: &str = "link your Kanka account to your desktop";

pub const EXIT_STATUS: &[&str] = &[
    "0 on success; 1 when not connected, when `check` finds a setting",
    "wrong, on an error, or when the output cannot be written (a closed pipe ends it",
    "without a message); 2 on bad usage; 3 when `check` could not reach Kanka, or",
    "Kanka's answer did not tell (no setting is known to be wrong). `exec` ends with",
    "COMMAND's status; 1 when not connected (COMMAND is not run); 127 when there is",
    "no such COMMAND and 126 when it cannot be run, as in a shell.",
];

/// The settings, read before config.toml.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("KANKA_LINK_URL", "Kanka's address (default https://app.kanka.io)."),
    ("KANKA_LINK_API_URL", "Kanka's API address, when it is not the one Kanka's address implies."),
    ("KANKA_LINK_CLIENT_ID", "the OAuth client id of the Kanka application."),
    ("KANKA_LINK_CLIENT_SECRET", "its client secret."),
    ("KANKA_LINK_REDIRECT_URI", "the redirect URL registered with Kanka for that client."),
];

/// What `exec` sets for its command.
pub const EXEC_ENVIRONMENT: &[(&str, &str)] = &[
    ("KANKA_TOKEN", "set by exec for COMMAND: a valid access token."),
    ("KANKA_API_URL", "set by exec for COMMAND: the API's URL."),
];

/// Linux paths, as kanka_link_core::Paths and Autostart find them.
pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/kanka-link/config.toml",
        "the settings, after the environment (~/.config when XDG_CONFIG_HOME is not set).",
    ),
    (
        "$XDG_DATA_HOME/kanka-link/connection-*.json",
        "the status file: who is connected and when the token expires; never a token (~/.local/share).",
    ),
    ("$XDG_STATE_HOME/kanka-link/logs/", "the log folder (~/.local/state)."),
    (
        "$XDG_CONFIG_HOME/autostart/app.kankalink.desktop",
        "the autostart entry that runs kanka-link refresh --if-due at login, when \"Keep linked\" is on.",
    ),
];

fn synopsis(command: &Subcommand) -> String {
    let mut line = format!("kanka-link {}", command.name);
    for flag in command.flags {
        line += &format!(" [{}]", flag.name);
    }
    if !command.operands.is_empty() {
        line += &format!(" {}", command.operands);
    }
    line
}

/// Words in lines of at most `width` characters (a longer word has its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// What `--help` prints.
pub fn usage() -> String {
    const COLUMN: usize = 29;
    const WIDTH: usize = 80;
    let mut text = format!("Kanka Link: {NAME}.\n\nUsage:\n  kanka-link{}open the window\n", " ".repeat(COLUMN - 12));
    for command in SUBCOMMANDS {
        let head = format!("  {}", synopsis(command));
        let mut lines: Vec<String> = command.help.iter().map(|l| (*l).to_owned()).collect();
        for flag in command.flags {
            lines.extend(wrap(&format!("{}: {}", flag.name, flag.help), WIDTH - COLUMN));
        }
        if head.len() < COLUMN {
            text += &format!("{head:COLUMN$}{}\n", lines[0]);
        } else {
            text += &format!("{head}\n{}{}\n", " ".repeat(COLUMN), lines[0]);
        }
        for line in &lines[1..] {
            text += &format!("{}{line}\n", " ".repeat(COLUMN));
        }
    }
    text += &format!("  kanka-link --help{}show this help\n\n", " ".repeat(COLUMN - 19));
    text += "Exit status: ";
    text += &EXIT_STATUS.join("\n");
    let names: Vec<&str> = ENVIRONMENT.iter().map(|(name, _)| *name).collect();
    let (last, first) = names.split_last().map_or((&"", &[][..]), |(l, f)| (l, f));
    let settings = format!("Settings come from {} and {last}, then from config.toml.", first.join(", "));
    text += "\n";
    for line in wrap(&settings, WIDTH) {
        text += &format!("{line}\n");
    }
    text += "See man kanka-link for the files it uses.\n";
    text
}
