//! The command line's words: each form the tables document is parsed, nothing else is, and the
//! exit statuses are as `--help` says.

use super::*;

fn parsed(args: &[&str]) -> Invocation {
    parse(args.iter().map(OsString::from))
}

fn pick(account: Option<&str>, server: Option<&str>) -> Pick {
    Pick { account: account.map(str::to_owned), server: server.map(str::to_owned) }
}

#[test]
fn arguments_are_read_as_documented() {
    let none = Pick::default();
    assert!(matches!(parsed(&[]), Invocation::Window));
    assert!(matches!(parsed(&["kanka-link://oauth/callback?code=a&state=b"]), Invocation::DeepLink));
    assert!(
        matches!(parsed(&["status"]), Invocation::Command(Command::Status { json: false, all: false, pick }) if pick == none)
    );
    assert!(matches!(
        parsed(&["status", "--json"]),
        Invocation::Command(Command::Status { json: true, all: false, .. })
    ));
    assert!(matches!(
        parsed(&["status", "--all", "--json"]),
        Invocation::Command(Command::Status { json: true, all: true, .. })
    ));
    assert!(matches!(parsed(&["token"]), Invocation::Command(Command::Token { json: false, .. })));
    assert!(matches!(parsed(&["token", "--json"]), Invocation::Command(Command::Token { json: true, .. })));
    assert!(matches!(parsed(&["disconnect"]), Invocation::Command(Command::Disconnect { .. })));
    assert!(matches!(parsed(&["refresh"]), Invocation::Command(Command::Refresh { if_due: false, .. })));
    assert!(matches!(parsed(&["refresh", "--if-due"]), Invocation::Command(Command::Refresh { if_due: true, .. })));
    assert!(matches!(parsed(&["exec", "--", "sh", "-c", "exit 7"]), Invocation::Command(Command::Exec { .. })));
    assert!(matches!(parsed(&["exec", "env"]), Invocation::Command(Command::Exec { .. })));
    for no_command in [&["exec"][..], &["exec", "--"], &["exec", "--json", "env"], &["exec", "--account", "x"]] {
        assert!(matches!(parsed(no_command), Invocation::Usage { to_stderr: true }), "{no_command:?}");
    }
    assert!(matches!(parsed(&["check"]), Invocation::Command(Command::Check)));
    assert!(matches!(parsed(&["check", "--json"]), Invocation::Usage { to_stderr: true }));
    assert!(matches!(parsed(&["check", "--server", "https://kanka.example"]), Invocation::Usage { to_stderr: true }));
    assert!(matches!(parsed(&["--help"]), Invocation::Usage { to_stderr: false }));
    for unknown in [
        &["frobnicate"][..],
        &["status", "--xml"],
        &["status", "--json", "--json"],
        &["token", "extra"],
        &["token", "--json", "extra"],
        &["refresh", "--if-due", "now"],
        &["kanka-link://x", "more"],
        &["switch", "2", "3"],
        &["completion", "bash", "--server", "x"],
    ] {
        assert!(matches!(parsed(unknown), Invocation::Usage { to_stderr: true }), "{unknown:?}");
    }
}

#[test]
fn a_connection_is_named_by_account_and_server_in_either_form_and_order() {
    let both = pick(Some("Bard Two"), Some("https://kanka.example"));
    for words in [
        &["token", "--account", "Bard Two", "--server", "https://kanka.example"][..],
        &["token", "--server=https://kanka.example", "--account=Bard Two"],
    ] {
        assert!(
            matches!(parsed(words), Invocation::Command(Command::Token { json: false, pick }) if pick == both),
            "{words:?}"
        );
    }
    let id = pick(Some("12"), None);
    assert!(
        matches!(parsed(&["token", "--account", "12", "--json"]), Invocation::Command(Command::Token { json: true, pick }) if pick == id)
    );
    assert!(
        matches!(parsed(&["status", "--json", "--account", "12"]), Invocation::Command(Command::Status { json: true, all: false, pick }) if pick == id)
    );
    assert!(
        matches!(parsed(&["refresh", "--if-due", "--server", "u"]), Invocation::Command(Command::Refresh { if_due: true, pick }) if pick.server.as_deref() == Some("u"))
    );
    assert!(
        matches!(parsed(&["disconnect", "--server", "u"]), Invocation::Command(Command::Disconnect { pick }) if pick.server.as_deref() == Some("u"))
    );
    assert!(
        matches!(parsed(&["switch", "2"]), Invocation::Command(Command::Switch { id: Some(id), pick }) if id == "2" && pick == Pick::default())
    );
    assert!(matches!(parsed(&["switch"]), Invocation::Command(Command::Switch { id: None, .. })));
    assert!(
        matches!(parsed(&["switch", "--account", "12"]), Invocation::Command(Command::Switch { id: None, pick }) if pick == id)
    );
    for bad in [
        &["token", "--account"][..],
        &["token", "--account", ""],
        &["token", "--account="],
        &["token", "--account", "--json"],
        &["token", "--account", "a", "--account", "b"],
        &["token", "--server", "a", "--server=b"],
        &["token", "--user", "a"],
        &["status", "--all", "--server", "u"],
        &["switch", "2", "--account", "12"],
    ] {
        assert!(matches!(parsed(bad), Invocation::Usage { to_stderr: true }), "{bad:?}");
    }
}

#[test]
fn exec_takes_the_connection_first_and_leaves_the_command_as_it_is() {
    let program = |words: &[&str]| match parsed(words) {
        Invocation::Command(Command::Exec { program, pick }) => Some((program.describe(), pick)),
        _ => None,
    };
    let sh = vec!["sh".to_owned(), "-c".to_owned(), "exit 7".to_owned()];
    assert_eq!(
        program(&["exec", "--server", "u", "--", "sh", "-c", "exit 7"]),
        Some((sh.clone(), pick(None, Some("u"))))
    );
    assert_eq!(program(&["exec", "--account=12", "sh", "-c", "exit 7"]), Some((sh, pick(Some("12"), None))));
    // After `--`, and after the command, `--account` is the command's.
    let own = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    assert_eq!(program(&["exec", "--", "--account", "x"]), Some((own(&["--account", "x"]), Pick::default())));
    assert_eq!(program(&["exec", "env", "--server", "u"]), Some((own(&["env", "--server", "u"]), Pick::default())));
    assert_eq!(program(&["exec", "--server", "u", "--server", "v", "env"]), None);
}

#[test]
fn every_command_is_in_the_table_and_the_no_display_line() {
    let named: Vec<&str> = crate::args::SUBCOMMANDS.iter().map(|c| c.name).collect();
    assert_eq!(named, COMMANDS, "args::SUBCOMMANDS and COMMANDS (launch.rs prints them)");
}

#[test]
fn every_form_the_table_documents_is_parsed() {
    for command in crate::args::SUBCOMMANDS {
        // A command with operands needs them (`exec` a COMMAND, `completion` a shell), but for
        // one in brackets (`switch [CONNECTION]`).
        let optional = command.operands.starts_with('[') && !command.operands.contains("COMMAND");
        let mut forms = if command.operands.is_empty() || optional { vec![vec![command.name]] } else { vec![] };
        let exec = command.operands.contains("COMMAND");
        for flag in command.all_flags() {
            let mut form = vec![command.name, flag.name];
            if !flag.value.is_empty() {
                form.push("x");
            }
            if exec {
                form.push("env");
            }
            forms.push(form);
        }
        for operand in command.operands.split('|').filter(|o| !o.is_empty()) {
            forms.push(match operand {
                "[--] COMMAND [ARGS...]" => vec![command.name, "--", "env"],
                "[CONNECTION]" => vec![command.name, "main"],
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
    assert!(
        usage.contains("kanka-link exec [--account NAME|ID] [--server URL] [--] COMMAND")
            && usage.contains("127 when there is")
    );
    assert!(usage.contains("token [--json]") && usage.contains("refresh [--if-due]"));
    assert!(usage.contains("kanka-link switch [--account NAME|ID] [--server URL] [CONNECTION]"));
}
