//! What the command line accepts, written once: `--help`, the man pages (`kanka-link man`, which
//! the packages install) and the shell completions (`kanka-link completion SHELL`) are all
//! generated from the tables here, so none of them can drift from another, and the parser reads a
//! command's words by its entry here (`read`; cli.rs's tests check that it takes every form the
//! tables document). Hand-written rather than clap + clap_mangen + clap_complete: the parser has to keep
//! behaviours clap does not have (a sole `kanka-link:` URL, `exec`'s arguments as raw OsString,
//! usage on stderr with status 2), and three small generators cost no new crates.

pub struct Flag {
    pub name: &'static str,
    /// What the flag takes, as the synopsis writes it (`URL`); empty for a switch.
    pub value: &'static str,
    pub help: &'static str,
}

pub struct Subcommand {
    pub name: &'static str,
    pub flags: &'static [Flag],
    /// It works on one connection, which `--account` and `--server` name (CONNECTION_FLAGS).
    pub picks: bool,
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
        flags: &[
            Flag { name: "--json", value: "", help: "the status as JSON: the default connection's (or the one named)" },
            Flag {
                name: "--all",
                value: "",
                help: "with --json, every connection's, in an array (each with its id, server and default)",
            },
        ],
        picks: true,
        operands: "",
        brief: "show who is connected and when the tokens expire",
        help: &["show each connection: who is connected, when the token", "expires, the last and next refresh"],
    },
    Subcommand {
        name: "token",
        flags: &[Flag {
            name: "--json",
            value: "",
            help: "with its expiry, the account (null while not known yet) and the API's URL, as JSON",
        }],
        picks: true,
        operands: "",
        brief: "print a valid access token",
        help: &["print a valid access token (refreshed first if due)"],
    },
    Subcommand {
        name: "exec",
        flags: &[],
        picks: true,
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
            value: "",
            help: "refresh only when the token is due, as the window would; prints nothing; without \
                   --account or --server, every connection that is due (for the login check)",
        }],
        picks: true,
        operands: "",
        brief: "refresh the token now",
        help: &["refresh the token now"],
    },
    Subcommand {
        name: "disconnect",
        flags: &[],
        picks: true,
        operands: "",
        brief: "forget the tokens",
        help: &["forget the tokens; an added connection leaves the list"],
    },
    Subcommand {
        name: "switch",
        flags: &[],
        picks: true,
        operands: "[CONNECTION]",
        brief: "change the default connection",
        help: &[
            "make the connection named (by --account, --server or",
            "its id, as status shows it) the default; alone, with",
            "two connections, the other one",
        ],
    },
    Subcommand {
        name: "check",
        flags: &[],
        picks: false,
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
        picks: false,
        operands: "bash|zsh|fish",
        brief: "print the shell completion script",
        help: &["print the completion script for bash, zsh or fish"],
    },
];

/// What names a connection, for every command that `picks` one; without them, the default one.
pub const CONNECTION_FLAGS: &[Flag] = &[
    Flag {
        name: "--account",
        value: "NAME|ID",
        help: "the connection signed in as this Kanka account, by its name or id",
    },
    Flag { name: "--server", value: "URL", help: "the connection to this Kanka, by its address" },
];

/// What a command's flags say about the connection (`--account`, `--server`); neither: the default.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pick {
    pub account: Option<String>,
    pub server: Option<String>,
}

impl Pick {
    pub fn is_given(&self) -> bool {
        self.account.is_some() || self.server.is_some()
    }
}

impl Subcommand {
    /// Its own flags, then `--account` and `--server` when it picks a connection.
    pub fn all_flags(&self) -> impl Iterator<Item = &'static Flag> {
        let picks: &'static [Flag] = if self.picks { CONNECTION_FLAGS } else { &[] };
        self.flags.iter().chain(picks)
    }
}

/// What a command was given: its switches (`--json`), the connection, its one operand.
#[derive(Debug, Default)]
pub struct Given<'a> {
    pub switches: Vec<&'a str>,
    pub pick: Pick,
    pub operand: Option<&'a str>,
}

/// Reads `--account NAME`, `--account=NAME`, `--server URL` or `--server=URL` at the start of
/// `words` into `pick`: how many words it took (0: not one of them). A flag given twice, or
/// without a value, is bad usage (`None`).
pub fn read_pick(pick: &mut Pick, words: &[&str]) -> Option<usize> {
    let Some(first) = words.first() else { return Some(0) };
    let (name, value, taken) = match first.split_once('=') {
        Some((name, value)) => (name, Some(value), 1),
        None => (*first, words.get(1).copied(), 2),
    };
    let slot = match name {
        "--account" => &mut pick.account,
        "--server" => &mut pick.server,
        _ => return Some(0),
    };
    // A value that looks like a flag is a flag whose value is missing (`--account --json`).
    let value = value.filter(|v| !v.trim().is_empty() && !v.starts_with('-'))?;
    if slot.replace(value.to_owned()).is_some() {
        return None;
    }
    Some(taken)
}

/// The words after a subcommand, as its table entry allows them: its switches, each once, in
/// any order, the connection flags when it `picks` one, and one operand when it has one. `None`
/// is bad usage.
pub fn read<'a>(command: &Subcommand, words: &[&'a str]) -> Option<Given<'a>> {
    let mut given = Given::default();
    let mut at = 0;
    while at < words.len() {
        let word = words[at];
        if command.picks {
            let taken = read_pick(&mut given.pick, &words[at..])?;
            if taken > 0 {
                at += taken;
                continue;
            }
        }
        if command.flags.iter().any(|f| f.value.is_empty() && f.name == word) {
            if given.switches.contains(&word) {
                return None;
            }
            given.switches.push(word);
        } else if word.starts_with('-') || command.operands.is_empty() || given.operand.is_some() {
            return None;
        } else {
            given.operand = Some(word);
        }
        at += 1;
    }
    Some(given)
}

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
        "$XDG_DATA_HOME/kanka-link/connections.json",
        "the connections added beside the settings' own, and which one is the default; never a token.",
    ),
    (
        "$XDG_DATA_HOME/kanka-link/connection-*.json",
        "a connection's status file: who is connected and when the token expires; never a token (~/.local/share).",
    ),
    ("$XDG_STATE_HOME/kanka-link/logs/", "the log folder (~/.local/state)."),
    (
        "$XDG_CONFIG_HOME/autostart/app.kankalink.desktop",
        "the autostart entry that runs kanka-link refresh --if-due at login, when \"Keep linked\" is on.",
    ),
];

/// A flag as the synopsis writes it: `--json`, `--server URL`.
pub fn with_value(flag: &Flag) -> String {
    if flag.value.is_empty() { flag.name.to_owned() } else { format!("{} {}", flag.name, flag.value) }
}

fn synopsis(command: &Subcommand) -> String {
    let mut line = format!("kanka-link {}", command.name);
    for flag in command.all_flags() {
        line += &format!(" [{}]", with_value(flag));
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
    let connection = "Connections: --account NAME|ID (a Kanka account's name or id) and --server URL (a Kanka's \
                      address) name the connection a command works on; without them, it works on the default \
                      one, which status marks and switch changes.";
    for line in wrap(connection, WIDTH) {
        text += &format!("{line}\n");
    }
    text += "\n";
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
