//! The desktop's handler for `kanka-link:` URLs on Linux: a desktop entry in the user's data
//! folder that runs `kanka-link` (the command line, which links no GTK, so the hand-over is fast) and
//! `mimeapps.list` making it the scheme's default. A start rewrites them only when they are not
//! already right: `update-desktop-database` and `xdg-mime` compete with WebKit for the CPU while
//! the window opens (BENCHMARKS.md, launch). An installed package's own entry stands for it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The entry's file name, as the deep-link plugin named it before us, so an older registration
/// is replaced rather than left beside this one.
const ENTRY: &str = "kanka-link-handler.desktop";
const COMMAND_LINE: &str = "kanka-link";

/// The program the desktop should run for a URL: `kanka-link` beside the window's `exe` (both
/// ship in the `.deb` and in `target/<profile>`), else `exe` itself, whose single-instance
/// plugin hands over too, only after GTK and WebKit have loaded.
pub fn handler_program(exe: &Path) -> PathBuf {
    let command_line = exe.with_file_name(COMMAND_LINE);
    if command_line.is_file() { command_line } else { exe.to_path_buf() }
}

/// True when the entry in `data_dir/applications` runs `program` for `scheme` and `mimeapps.list`
/// in `config_dir` makes it the default. Anything else, unreadable files included, means
/// "register again".
pub fn registered(data_dir: &Path, config_dir: &Path, program: &Path, scheme: &str) -> bool {
    let mime = format!("x-scheme-handler/{scheme}");
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let entry = read(&data_dir.join("applications").join(ENTRY));
    let runs_program = exec_line(program).is_some_and(|exec| value(&entry, "Desktop Entry", "Exec") == Some(&exec));
    let lists_scheme =
        value(&entry, "Desktop Entry", "MimeType").is_some_and(|types| types.split(';').any(|t| t == mime));
    let mimeapps = read(&config_dir.join("mimeapps.list"));
    let default = value(&mimeapps, "Default Applications", &mime)
        .and_then(|handlers| handlers.split(';').map(str::trim).find(|h| !h.is_empty()));
    runs_program && lists_scheme && default == Some(ENTRY)
}

/// Writes the entry for `program` and makes it the default handler of `scheme`, with the
/// desktop's own tools pointed at these folders.
pub fn register(data_dir: &Path, config_dir: &Path, program: &Path, scheme: &str) -> Result<(), String> {
    let exec = exec_line(program).ok_or_else(|| format!("{} cannot be named in a desktop entry", program.display()))?;
    let applications = data_dir.join("applications");
    std::fs::create_dir_all(&applications).map_err(|e| format!("{}: {e}", applications.display()))?;
    let entry = format!(
        "[Desktop Entry]\nType=Application\nName=Kanka Link\nComment=Hands Kanka's sign-in answers to Kanka Link\n\
         Exec={exec}\nTerminal=false\nNoDisplay=true\nMimeType=x-scheme-handler/{scheme};\n"
    );
    // Written whole, then moved in place: the desktop never reads half an entry.
    let partial = applications.join(format!(".{ENTRY}.partial"));
    std::fs::write(&partial, entry)
        .and_then(|()| std::fs::rename(&partial, applications.join(ENTRY)))
        .map_err(|e| format!("{}: {e}", applications.display()))?;
    let tool = |program: &str, args: &[&str]| -> Result<(), String> {
        let status = Command::new(program)
            .args(args)
            .env("XDG_DATA_HOME", data_dir)
            .env("XDG_CONFIG_HOME", config_dir)
            .status()
            .map_err(|e| format!("{program}: {e}"))?;
        if status.success() { Ok(()) } else { Err(format!("{program} failed ({status})")) }
    };
    tool("update-desktop-database", &[&applications.to_string_lossy()])?;
    tool("xdg-mime", &["default", ENTRY, &format!("x-scheme-handler/{scheme}")])
}

/// The id of a desktop entry in the system's data folders (a package's, in `/usr/share`) that
/// already hands `scheme` URLs to `program`: named by its path, or by its bare name as found
/// first on `path` (the packages' `Exec=kanka-link %u`). An installed Kanka Link writes no entry
/// of its own in the user's folder then: one would outlive the package's removal and send
/// Kanka's answers to a program that is gone.
pub fn packaged_entry(system_data_dirs: &[PathBuf], program: &Path, scheme: &str, path: &OsStr) -> Option<String> {
    let mime = format!("x-scheme-handler/{scheme}");
    let same = |a: &Path| match (a.canonicalize(), program.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let names_program = |exec: &str| {
        let first = exec.split_whitespace().next().unwrap_or_default().trim_matches('"');
        if first.contains('/') {
            return same(Path::new(first));
        }
        std::env::split_paths(path).map(|dir| dir.join(first)).find(|found| found.is_file()).is_some_and(|f| same(&f))
    };
    system_data_dirs.iter().find_map(|dir| {
        let entries = std::fs::read_dir(dir.join("applications")).ok()?;
        entries.flatten().find_map(|entry| {
            let id = entry.file_name().to_str()?.to_owned();
            let text = std::fs::read_to_string(entry.path()).ok().filter(|_| id.ends_with(".desktop"))?;
            let handles = value(&text, "Desktop Entry", "MimeType")?.split(';').any(|t| t == mime);
            (handles && value(&text, "Desktop Entry", "Exec").is_some_and(names_program)).then_some(id)
        })
    })
}

/// Makes the package's entry `id` the user's default for `scheme` when `mimeapps.list` names
/// another (an earlier build's own entry, say); nothing when it names none or this one. The line
/// it writes points at the package's entry, which the desktop skips once the package is gone.
pub fn prefer(config_dir: &Path, id: &str, scheme: &str) -> Result<(), String> {
    let mime = format!("x-scheme-handler/{scheme}");
    let mimeapps = std::fs::read_to_string(config_dir.join("mimeapps.list")).unwrap_or_default();
    let default = value(&mimeapps, "Default Applications", &mime)
        .and_then(|handlers| handlers.split(';').map(str::trim).find(|h| !h.is_empty()));
    if default.is_none_or(|d| d == id) {
        return Ok(());
    }
    let status = Command::new("xdg-mime")
        .args(["default", id, &mime])
        .env("XDG_CONFIG_HOME", config_dir)
        .status()
        .map_err(|e| format!("xdg-mime: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("xdg-mime failed ({status})")) }
}

/// The system's data folders, as the XDG Base Directory Specification defines them.
pub fn system_data_dirs() -> Vec<PathBuf> {
    let dirs = std::env::var_os("XDG_DATA_DIRS").filter(|d| !d.is_empty());
    std::env::split_paths(&dirs.unwrap_or_else(|| "/usr/local/share:/usr/share".into())).collect()
}

/// `Exec=` for `program` with the URL; None for a path no entry can hold (a line break, say).
fn exec_line(program: &Path) -> Option<String> {
    Some(format!("{} %u", exec_program(program)?))
}

/// `program` as the first word of an `Exec=` value: quoted and escaped as the Desktop Entry
/// Specification asks; None for a path no entry can hold. The login check's autostart entry
/// (commands.rs) names the command line with it too.
pub fn exec_program(program: &Path) -> Option<String> {
    let path = program.to_str()?;
    if path.chars().any(char::is_control) {
        return None;
    }
    let mut quoted = String::from("\"");
    for c in path.chars() {
        match c {
            '"' | '`' | '$' => quoted.extend(['\\', c]),
            // Escaped once for the argument and once more for the entry's string value.
            '\\' => quoted.push_str("\\\\\\\\"),
            '%' => quoted.push_str("%%"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    Some(quoted)
}

/// A key's value in a section of a desktop-entry style file.
fn value<'a>(file: &'a str, section: &str, key: &str) -> Option<&'a str> {
    let mut inside = false;
    for line in file.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name == section;
        } else if inside
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use kanka_test_support::fresh_dir;

    const PROGRAM: &str = "/opt/kanka/kanka-link";

    fn folders(entry: &str, mimeapps: &str) -> (PathBuf, PathBuf) {
        let root = fresh_dir("scheme");
        let (data, config) = (root.join("data"), root.join("config"));
        std::fs::create_dir_all(data.join("applications")).unwrap();
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(data.join("applications").join(ENTRY), entry).unwrap();
        std::fs::write(config.join("mimeapps.list"), mimeapps).unwrap();
        (data, config)
    }

    const WRITTEN: &str = "[Desktop Entry]\nType=Application\nName=Kanka Link\n\
        Exec=\"/opt/kanka/kanka-link\" %u\nMimeType=x-scheme-handler/kanka-link;\n";
    const DEFAULTS: &str = "[Added Associations]\nx-scheme-handler/kanka-link=other.desktop;\n\n\
        [Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/kanka-link=kanka-link-handler.desktop;\n";

    #[test]
    fn a_registration_in_place_is_recognised() {
        let (data, config) = folders(WRITTEN, DEFAULTS);
        assert!(registered(&data, &config, Path::new(PROGRAM), "kanka-link"));
    }

    #[test]
    fn anything_else_registers_again() {
        let moved = WRITTEN.replace("/opt/kanka/", "/usr/local/bin/");
        let the_window = WRITTEN.replace("kanka-link\"", "kanka-link-window\"");
        let the_old_handover = WRITTEN.replace("kanka-link\"", "kanka-link-handover\"");
        let other_scheme = WRITTEN.replace("x-scheme-handler/kanka-link;", "x-scheme-handler/other;");
        let other_default = DEFAULTS.replace("=kanka-link-handler.desktop;", "=some-browser.desktop;");
        let only_added = "[Added Associations]\nx-scheme-handler/kanka-link=kanka-link-handler.desktop;\n";
        for (entry, defaults, why) in [
            (moved.as_str(), DEFAULTS, "the program moved"),
            (the_window.as_str(), DEFAULTS, "an entry runs the window's binary"),
            (the_old_handover.as_str(), DEFAULTS, "an older entry runs the hand-over binary, now gone"),
            (other_scheme.as_str(), DEFAULTS, "the entry lists another scheme"),
            (WRITTEN, other_default.as_str(), "another program is the default"),
            (WRITTEN, only_added, "an association that is not the default"),
            (WRITTEN, "", "no mimeapps.list"),
        ] {
            let (data, config) = folders(entry, defaults);
            assert!(!registered(&data, &config, Path::new(PROGRAM), "kanka-link"), "{why}");
        }
        let nothing = fresh_dir("scheme-none");
        assert!(!registered(&nothing, &nothing, Path::new(PROGRAM), "kanka-link"), "no files at all");
    }

    #[test]
    fn registering_writes_what_is_then_recognised() {
        let root = fresh_dir("scheme-register");
        let (data, config) = (root.join("data"), root.join("config"));
        let program = root.join("a $pecial \"folder\" 100%").join(COMMAND_LINE);
        assert!(!registered(&data, &config, &program, "kanka-link"));
        register(&data, &config, &program, "kanka-link").expect("the desktop's tools ran");
        assert!(registered(&data, &config, &program, "kanka-link"));
        let entry = std::fs::read_to_string(data.join("applications").join(ENTRY)).unwrap();
        let validated = Command::new("desktop-file-validate")
            .arg(data.join("applications").join(ENTRY))
            .output()
            .expect("desktop-file-validate runs");
        assert!(validated.status.success(), "{entry}\n{}", String::from_utf8_lossy(&validated.stdout));
        assert!(entry.contains(r#"Exec="#) && entry.contains(r#"a \$pecial \"folder\" 100%%"#), "{entry}");
    }

    #[test]
    fn the_command_line_is_preferred_when_it_is_there() {
        let root = fresh_dir("scheme-program");
        let exe = root.join("kanka-link-window");
        assert_eq!(handler_program(&exe), exe, "alone, the window's binary handles URLs");
        std::fs::write(root.join(COMMAND_LINE), "").unwrap();
        assert_eq!(handler_program(&exe), root.join(COMMAND_LINE));
    }

    /// A package's entry (`Exec=kanka-link %u`, the program found on PATH) stands for an own
    /// entry; one for another program, another scheme or a name PATH finds elsewhere does not.
    #[test]
    fn a_packaged_entry_for_this_program_is_found() {
        let root = fresh_dir("scheme-packaged");
        let (system, bin, elsewhere) = (root.join("usr/share"), root.join("usr/bin"), root.join("opt/bin"));
        for dir in [system.join("applications"), bin.clone(), elsewhere.clone()] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let program = bin.join(COMMAND_LINE);
        std::fs::write(&program, "").unwrap();
        std::fs::write(elsewhere.join(COMMAND_LINE), "").unwrap();
        let package = "[Desktop Entry]\nType=Application\nName=Kanka Link\nExec=kanka-link %u\n\
            MimeType=x-scheme-handler/kanka-link;\n";
        let write =
            |text: &str| std::fs::write(system.join("applications/app.kankalink.desktop.desktop"), text).unwrap();
        let found =
            |path: &Path| packaged_entry(std::slice::from_ref(&system), &program, "kanka-link", path.as_os_str());
        write(package);
        assert_eq!(found(&bin).as_deref(), Some("app.kankalink.desktop.desktop"));
        assert_eq!(found(&elsewhere), None, "PATH finds another kanka-link first");
        write(&package.replace("Exec=kanka-link", &format!("Exec={}", program.display())));
        assert_eq!(found(Path::new("")).as_deref(), Some("app.kankalink.desktop.desktop"), "named by its path");
        write(&package.replace("kanka-link;", "other;"));
        assert_eq!(found(&bin), None, "another scheme");
        write(&package.replace("Exec=kanka-link", "Exec=kanka-link-window"));
        assert_eq!(found(&bin), None, "another program");
        assert_eq!(packaged_entry(&[root.join("nowhere")], &program, "kanka-link", bin.as_os_str()), None);
    }

    /// The user's default moves to the package's entry only from another handler.
    #[test]
    fn the_packaged_entry_is_preferred_over_an_older_default() {
        let (_, config) = folders(WRITTEN, DEFAULTS);
        prefer(&config, "app.kankalink.desktop.desktop", "kanka-link").expect("xdg-mime ran");
        let mimeapps = std::fs::read_to_string(config.join("mimeapps.list")).unwrap();
        let default = value(&mimeapps, "Default Applications", "x-scheme-handler/kanka-link");
        assert_eq!(default.map(|d| d.trim_end_matches(';')), Some("app.kankalink.desktop.desktop"));
        let (_, untouched) = folders(WRITTEN, "");
        prefer(&untouched, "app.kankalink.desktop.desktop", "kanka-link").unwrap();
        assert_eq!(std::fs::read_to_string(untouched.join("mimeapps.list")).unwrap(), "", "no default: left alone");
    }

    #[test]
    fn unnameable_paths_are_refused() {
        assert!(exec_line(Path::new("/tmp/line\nbreak")).is_none());
        let root = fresh_dir("scheme-unnameable");
        assert!(register(&root, &root, Path::new("/tmp/line\nbreak"), "kanka-link").is_err());
    }
}
