//! The man pages and completion scripts that `kanka-link` prints (and the packages install):
//! the man page names exactly the subcommands and options `--help` does, says every exit status,
//! variable and file; both pages render without a groff warning; and each completion script is
//! valid in its shell (bash, zsh and fish from Debian's packages: tests/setup.sh installs them)
//! and completes the subcommands.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kanka_test_support::fresh_dir;

const CLI: &str = env!("CARGO_BIN_EXE_kanka-link");

fn run(args: &[&str]) -> Output {
    Command::new(CLI).args(args).output().expect("kanka-link runs")
}

fn printed(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "kanka-link {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "kanka-link {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `(subcommand, option)` pairs, `(subcommand, "")` for each subcommand.
type Forms = BTreeSet<(String, String)>;

/// From `--help`'s synopsis lines (`  kanka-link status [--json] [--server URL]`).
fn forms_in_help(help: &str) -> Forms {
    let mut forms = Forms::new();
    for line in help.lines() {
        // Not `  kanka-link      open the window`: a subcommand follows the name at once.
        let Some(rest) = line.strip_prefix("  kanka-link ").filter(|rest| !rest.starts_with(' ')) else { continue };
        let mut words = rest.split_whitespace();
        let Some(name) = words.next().filter(|w| !w.starts_with('-')) else { continue };
        forms.insert((name.to_owned(), String::new()));
        // `[--json]`, `[--server` (of `[--server URL]`); not `[--]`, `[CONNECTION]` or `[ARGS...]`.
        for word in words.filter(|w| w.starts_with("[--")) {
            let option = word.trim_matches(['[', ']']);
            if option.starts_with("--") && option.len() > 2 {
                forms.insert((name.to_owned(), option.to_owned()));
            }
        }
    }
    forms
}

/// The roff source's section `name`, up to the next `.SH`.
fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page.find(&format!(".SH {name}\n")).unwrap_or_else(|| panic!("no section {name}:\n{page}"));
    let body = &page[start + 5 + name.len()..];
    &body[..body.find("\n.SH ").unwrap_or(body.len())]
}

/// From the man page's COMMANDS section: `.TP` then `.B name ...`, an option indented (`.RS`).
fn forms_in_man(page: &str) -> Forms {
    let mut forms = Forms::new();
    let (mut command, mut indented) = (String::new(), false);
    let lines: Vec<&str> = section(page, "COMMANDS").lines().collect();
    for (i, line) in lines.iter().enumerate() {
        match *line {
            ".RS" => indented = true,
            ".RE" => indented = false,
            _ => {}
        }
        let Some(tag) = line.strip_prefix(".B ").filter(|_| i > 0 && lines[i - 1] == ".TP") else { continue };
        let first = tag.split_whitespace().next().unwrap_or_default().replace("\\-", "-");
        if indented {
            forms.insert((command.clone(), first));
        } else if !first.starts_with('-') {
            command = first;
            forms.insert((command.clone(), String::new()));
        }
    }
    forms
}

#[test]
fn the_man_page_names_what_help_names() {
    let help = printed(&["--help"]);
    let page = printed(&["man"]);
    let in_help = forms_in_help(&help);
    assert!(in_help.contains(&("refresh".into(), "--if-due".into())) && in_help.len() >= 10, "{in_help:?}");
    for command in ["status", "token", "exec", "refresh", "disconnect", "switch"] {
        for option in ["--account", "--server"] {
            assert!(in_help.contains(&(command.into(), option.into())), "{command} {option} in {in_help:?}");
        }
    }
    assert!(in_help.contains(&("status".into(), "--all".into())), "{in_help:?}");
    assert_eq!(forms_in_man(&page), in_help, "the man page's COMMANDS and --help");
    assert!(!help.contains("kanka-link man"), "man is hidden from --help");

    let exit_status = section(&page, "\"EXIT STATUS\"");
    for code in ["0 on success", "1 when", "2 on bad usage", "3 when", "127 when", "126 when"] {
        assert!(exit_status.contains(code), "{code} in {exit_status}");
    }
    let environment = section(&page, "ENVIRONMENT");
    for variable in [
        "KANKA_LINK_URL",
        "KANKA_LINK_API_URL",
        "KANKA_LINK_CLIENT_ID",
        "KANKA_LINK_CLIENT_SECRET",
        "KANKA_LINK_REDIRECT_URI",
        "KANKA_TOKEN",
        "KANKA_API_URL",
    ] {
        assert!(environment.contains(&format!(".B {variable}\n")), "{variable}");
    }
    let files = section(&page, "FILES").replace("\\-", "-");
    for file in [
        "kanka-link/config.toml",
        "kanka-link/connections.json",
        "kanka-link/connection-",
        "kanka-link/logs",
        "autostart/app.kankalink.desktop",
    ] {
        assert!(files.contains(file), "{file} in {files}");
    }
    for name in ["NAME", "SYNOPSIS", "DESCRIPTION", "\"SEE ALSO\""] {
        section(&page, name);
    }
    assert!(section(&printed(&["man", "kanka-link-window"]), "\"SEE ALSO\"").contains("kanka\\-link (1)"));
}

#[test]
fn the_man_pages_render_without_warnings() {
    let dir = fresh_dir("man-pages");
    for page in ["kanka-link", "kanka-link-window"] {
        let file = dir.join(format!("{page}.1"));
        std::fs::write(&file, printed(&["man", page])).unwrap();
        let out = Command::new("groff").args(["-man", "-Tutf8", "-ww", "-z"]).arg(&file).output().expect("groff runs");
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && warnings.is_empty(), "groff on {page}.1: {warnings}");
    }
    let unknown = run(&["man", "kanka-link-tray"]);
    assert_eq!(unknown.status.code(), Some(2));
}

fn script(dir: &Path, shell: &str) -> PathBuf {
    let file = dir.join(shell);
    std::fs::write(&file, printed(&["completion", shell])).unwrap();
    file
}

/// `shell -n script`: parsed, not run.
fn assert_parses(shell: &str, file: &Path) {
    let out =
        Command::new(shell).arg("-n").arg(file).output().unwrap_or_else(|e| panic!("{shell} (tests/setup.sh): {e}"));
    assert!(out.status.success() && out.stderr.is_empty(), "{shell} -n: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_completion_scripts_are_valid_and_complete_the_subcommands() {
    let dir = fresh_dir("completions");
    for shell in ["bash", "zsh", "fish"] {
        assert_parses(shell, &script(&dir, shell));
    }
    let subcommands: BTreeSet<String> =
        forms_in_help(&printed(&["--help"])).into_iter().map(|(name, _)| name).collect();

    // bash: the function fills COMPREPLY as the shell would.
    let bash = |words: &str, index: usize| -> String {
        let code = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={index}; _kanka_link; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script(&dir, "bash").display()
        );
        let out = Command::new("bash").args(["-c", &code]).output().expect("bash runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let offered: BTreeSet<String> =
        bash("kanka-link ''", 1).lines().filter(|w| !w.starts_with('-')).map(str::to_owned).collect();
    assert_eq!(offered, subcommands);
    assert_eq!(bash("kanka-link ref", 1), "refresh\n");
    assert_eq!(bash("kanka-link refresh --if", 2), "--if-due\n");
    // Flags in any order, and none where a flag's value goes.
    assert_eq!(bash("kanka-link token --server u --j", 4), "--json\n");
    // (printf prints one empty line for no words.)
    assert_eq!(bash("kanka-link token --account ''", 3), "\n");
    assert_eq!(bash("kanka-link status --json --a", 3), "--all\n--account\n");
    assert_eq!(bash("kanka-link completion f", 2), "fish\n");

    // fish: its own completer, on the script as a user's config would load it.
    let fish = |line: &str| -> String {
        let code = format!("source {}; complete -C '{line}'", script(&dir, "fish").display());
        let out = Command::new("fish").args(["--no-config", "-c", &code]).output().expect("fish runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let offered: BTreeSet<String> =
        fish("kanka-link ").lines().filter_map(|l| l.split('\t').next()).map(str::to_owned).collect();
    assert_eq!(offered, subcommands);
    let flags: BTreeSet<String> =
        fish("kanka-link token --").lines().filter_map(|l| l.split('\t').next()).map(str::to_owned).collect();
    assert_eq!(flags, ["--account", "--json", "--server"].map(String::from).into());

    let unknown = run(&["completion", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(unknown.stdout.is_empty() && String::from_utf8_lossy(&unknown.stderr).contains("Usage:"));
}
