//! The man pages and the shell completion scripts, written from args.rs's tables (the same ones
//! `--help` and the parser use), so they cannot drift. packaging/linux/package.sh runs the freshly
//! built `kanka-link man` and `kanka-link completion SHELL` to put them in the packages.

use crate::args::{self, SUBCOMMANDS, Subcommand};

/// Text made safe for roff: backslashes, minus signs, and no line read as a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) { format!("\\&{escaped}") } else { escaped }
}

fn header(name: &str, summary: &str) -> String {
    format!(
        ".TH {} 1 \"\" \"{name} {}\" \"User Commands\"\n.SH NAME\n{} \\- {}\n",
        roff(&name.to_uppercase()),
        env!("CARGO_PKG_VERSION"),
        roff(name),
        roff(summary)
    )
}

fn tagged(tag: &str, font: &str, text: &str) -> String {
    format!(".TP\n.{font} {}\n{}\n", roff(tag), roff(text))
}

fn environment_and_files(text: &mut String) {
    *text += ".SH ENVIRONMENT\nThe settings come from these variables, then from config.toml:\n";
    for (name, what) in args::ENVIRONMENT.iter().chain(args::EXEC_ENVIRONMENT) {
        *text += &tagged(name, "B", what);
    }
    *text += ".SH FILES\n";
    for (path, what) in args::FILES {
        *text += &tagged(path, "I", what);
    }
}

fn synopsis(command: &Subcommand) -> String {
    let mut line = format!(".B kanka\\-link {}\n", command.name);
    for flag in command.all_flags() {
        match flag.value {
            "" => line += &format!("[\\fB{}\\fR]\n", roff(flag.name)),
            value => line += &format!("[\\fB{}\\fR \\fI{}\\fR]\n", roff(flag.name), roff(value)),
        }
    }
    if !command.operands.is_empty() {
        line += &format!(".I {}\n", roff(command.operands));
    }
    line + ".br\n"
}

/// The man page of one of PAGES, or None for another name.
pub fn man_page(page: &str) -> Option<String> {
    match page {
        "kanka-link" => Some(command_line_page()),
        "kanka-link-window" => Some(window_page()),
        _ => None,
    }
}

fn command_line_page() -> String {
    let mut text = header("kanka-link", args::NAME);
    text += ".SH SYNOPSIS\n.B kanka\\-link\n.br\n.B kanka\\-link\n.I kanka\\-link:URL\n.br\n";
    for command in SUBCOMMANDS {
        text += &synopsis(command);
    }
    text += ".B kanka\\-link \\-\\-help\n";
    text += ".SH DESCRIPTION\n";
    text += &roff(
        "Kanka Link keeps a Kanka (kanka.io) account linked to the desktop: it signs in with OAuth in the \
         browser, keeps the tokens in the keychain and refreshes them. Without arguments, kanka-link opens \
         its window (kanka-link-window); with a kanka-link: URL as its only argument, it hands the URL to \
         the running window, or starts one. The commands below read the same keychain and status file as \
         the window and take the same refresh lock; they need no display. Beside the settings' own connection \
         (main), the window can add others (another account, another Kanka): a command that takes --account and \
         --server works on the connection they name, else on the default one, which status marks and switch \
         changes; each connection refreshes on its own, under its own lock.",
    );
    text += "\n.SH COMMANDS\n";
    for command in SUBCOMMANDS {
        text += &tagged(format!("{} {}", command.name, command.operands).trim_end(), "B", &command.help.join(" "));
        for flag in command.all_flags() {
            text += &format!(".RS\n{}.RE\n", tagged(&args::with_value(flag), "B", flag.help));
        }
    }
    text += &tagged("--help, -h, help", "B", "show the usage on standard output.");
    text += ".SH \"EXIT STATUS\"\n";
    text += &roff(&args::EXIT_STATUS.join(" "));
    text += "\n";
    environment_and_files(&mut text);
    text += ".SH \"SEE ALSO\"\n.BR kanka\\-link\\-window (1)\n";
    text
}

fn window_page() -> String {
    let mut text = header("kanka-link-window", "the window of Kanka Link");
    text += ".SH SYNOPSIS\n.B kanka\\-link\\-window\n[\\fIkanka\\-link:URL\\fR]\n.SH DESCRIPTION\n";
    text += &roff(
        "The window of Kanka Link, where one connects and disconnects a Kanka account and sets Kanka Link up. \
         kanka-link starts it, and hands it the kanka-link: URLs that Kanka's sign-in sends back; run \
         kanka-link rather than this program. It takes no arguments but one kanka-link: URL.",
    );
    text += "\n";
    environment_and_files(&mut text);
    text += ".SH \"SEE ALSO\"\n.BR kanka\\-link (1)\n";
    text
}

/// The completion script for bash, zsh or fish (the choices of `completion`), or None for another shell.
pub fn completion(shell: &str) -> Option<String> {
    match shell {
        "bash" => Some(bash()),
        "zsh" => Some(zsh()),
        "fish" => Some(fish()),
        _ => None,
    }
}

/// The words a command's operand takes, when it is a choice (`bash|zsh|fish`).
fn choices(command: &Subcommand) -> Option<Vec<&'static str>> {
    command.operands.contains('|').then(|| command.operands.split('|').collect())
}

fn runs_a_command(command: &Subcommand) -> bool {
    command.operands.contains("COMMAND")
}

fn bash() -> String {
    let names: Vec<&str> = SUBCOMMANDS.iter().map(|c| c.name).collect();
    let mut text = format!(
        "# bash completion for kanka-link (kanka-link completion bash)\n\
         _kanka_link() {{\n    local cur=\"${{COMP_WORDS[COMP_CWORD]}}\"\n    COMPREPLY=()\n\
         \x20   if [ \"$COMP_CWORD\" -eq 1 ]; then\n\
         \x20       COMPREPLY=($(compgen -W \"{} --help\" -- \"$cur\"))\n        return\n    fi\n\
         \x20   case \"${{COMP_WORDS[1]}}\" in\n",
        names.join(" ")
    );
    for command in SUBCOMMANDS {
        let words = if let Some(choices) = choices(command) {
            choices.join(" ")
        } else {
            command.all_flags().map(|f| f.name).collect::<Vec<_>>().join(" ")
        };
        if runs_a_command(command) {
            text += &format!(
                "        {})\n            if [ \"$COMP_CWORD\" -eq 2 ] || {{ [ \"$COMP_CWORD\" -eq 3 ] && [ \"${{COMP_WORDS[2]}}\" = \"--\" ]; }}; then\n\
                 \x20               COMPREPLY=($(compgen -c -- \"$cur\"))\n            else\n\
                 \x20               COMPREPLY=($(compgen -f -- \"$cur\"))\n            fi ;;\n",
                command.name
            );
        } else if choices(command).is_some() {
            text += &format!(
                "        {})\n            [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W \"{words}\" -- \"$cur\")) ;;\n",
                command.name
            );
        } else if !words.is_empty() {
            // Flags in any order; none after one that takes a value (`--server URL`).
            text += &format!(
                "        {})\n            case \"${{COMP_WORDS[COMP_CWORD-1]}}\" in\n\
                 \x20               --account|--server) ;;\n\
                 \x20               *) COMPREPLY=($(compgen -W \"{words}\" -- \"$cur\")) ;;\n\
                 \x20           esac ;;\n",
                command.name
            );
        }
    }
    text += "    esac\n    return 0\n}\ncomplete -F _kanka_link kanka-link\n";
    text
}

/// Inside zsh's single quotes, as a `name:description` item.
fn zsh_quoted(text: &str) -> String {
    text.replace('\'', "'\\''").replace(':', "\\:")
}

fn zsh() -> String {
    let mut text = "#compdef kanka-link\n# zsh completion for kanka-link (kanka-link completion zsh)\n\
                    _kanka-link() {\n    local -a commands\n    commands=(\n"
        .to_owned();
    for command in SUBCOMMANDS {
        text += &format!("        '{}:{}'\n", command.name, zsh_quoted(command.brief));
    }
    text += "    )\n    if (( CURRENT == 2 )); then\n        _describe -t commands 'kanka-link command' commands\n\
             \x20       compadd -- --help\n        return\n    fi\n    case $words[2] in\n";
    for command in SUBCOMMANDS {
        if runs_a_command(command) {
            text += &format!(
                "        {})\n            shift 2 words\n            (( CURRENT -= 2 ))\n\
                 \x20           if [[ $words[1] == -- ]] && (( CURRENT > 1 )); then\n\
                 \x20               shift words\n                (( CURRENT-- ))\n            fi\n\
                 \x20           _normal ;;\n",
                command.name
            );
        } else if let Some(choices) = choices(command) {
            text += &format!(
                "        {})\n            (( CURRENT == 3 )) && compadd -- {} ;;\n",
                command.name,
                choices.join(" ")
            );
        } else {
            let flags: Vec<&str> = command.all_flags().map(|f| f.name).collect();
            if !flags.is_empty() {
                // Flags in any order; none after one that takes a value (`--server URL`).
                text += &format!(
                    "        {})\n            [[ $words[CURRENT-1] == --(account|server) ]] || compadd -- {} ;;\n",
                    command.name,
                    flags.join(" ")
                );
            }
        }
    }
    text += "    esac\n}\n\
             if [ \"$funcstack[1]\" = \"_kanka-link\" ]; then\n    _kanka-link \"$@\"\nelse\n\
             \x20   compdef _kanka-link kanka-link\nfi\n";
    text
}

/// Inside fish's single quotes.
fn fish_quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "\\'")
}

fn fish() -> String {
    let mut text = "# fish completion for kanka-link (kanka-link completion fish)\ncomplete -c kanka-link -f\n\
                    complete -c kanka-link -n __fish_use_subcommand -s h -l help -d 'show the help'\n"
        .to_owned();
    for command in SUBCOMMANDS {
        let seen = format!("'__fish_seen_subcommand_from {}'", command.name);
        text += &format!(
            "complete -c kanka-link -n __fish_use_subcommand -a {} -d '{}'\n",
            command.name,
            fish_quoted(command.brief)
        );
        for flag in command.all_flags() {
            let long = flag.name.trim_start_matches('-');
            // -x: the flag takes a value, and no file name is offered for it.
            let takes = if flag.value.is_empty() { "" } else { " -x" };
            text += &format!("complete -c kanka-link -n {seen} -l {long}{takes} -d '{}'\n", fish_quoted(flag.help));
        }
        if let Some(choices) = choices(command) {
            text += &format!("complete -c kanka-link -n {seen} -a '{}'\n", choices.join(" "));
        }
        if runs_a_command(command) {
            text += &format!("complete -c kanka-link -n {seen} -a '(__fish_complete_subcommand --fcs-skip=2)'\n");
        }
    }
    text
}
