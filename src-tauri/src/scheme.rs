//! Whether this executable is already the desktop's handler for `kanka-link:` URLs (Linux), so
//! that a start runs `update-desktop-database` and `xdg-mime` only when something changed: they
//! compete with WebKit for the CPU while the window opens (BENCHMARKS.md, launch).

use std::path::Path;

/// True when the deep-link plugin's registration is in place for `exe`: its
/// `applications/<exe name>-handler.desktop` in the data folder runs `"<exe>" %u` and lists the
/// scheme, and `mimeapps.list` in the config folder makes that file the scheme's default.
/// Anything else, unreadable files included, means "register again".
pub fn registered(data_dir: &Path, config_dir: &Path, exe: &Path, scheme: &str) -> bool {
    let Some(name) = exe.file_name() else { return false };
    let handler = format!("{}-handler.desktop", name.to_string_lossy());
    let mime = format!("x-scheme-handler/{scheme}");
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let entry = read(&data_dir.join("applications").join(&handler));
    let exec = format!("\"{}\" %u", exe.display());
    let runs_exe = value(&entry, "Desktop Entry", "Exec") == Some(exec.as_str());
    let lists_scheme =
        value(&entry, "Desktop Entry", "MimeType").is_some_and(|types| types.split(';').any(|t| t == mime));
    let mimeapps = read(&config_dir.join("mimeapps.list"));
    let default = value(&mimeapps, "Default Applications", &mime)
        .and_then(|handlers| handlers.split(';').map(str::trim).find(|h| !h.is_empty()));
    runs_exe && lists_scheme && default == Some(handler.as_str())
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

    const EXE: &str = "/opt/kanka/kanka-link";

    fn folders(entry: &str, mimeapps: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let root = fresh_dir("scheme");
        let (data, config) = (root.join("data"), root.join("config"));
        std::fs::create_dir_all(data.join("applications")).unwrap();
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(data.join("applications/kanka-link-handler.desktop"), entry).unwrap();
        std::fs::write(config.join("mimeapps.list"), mimeapps).unwrap();
        (data, config)
    }

    const ENTRY: &str = "[Desktop Entry]\nType=Application\nName=Kanka Link\n\
        Exec=\"/opt/kanka/kanka-link\" %u\nMimeType=x-scheme-handler/kanka-link;\n";
    const DEFAULTS: &str = "[Added Associations]\nx-scheme-handler/kanka-link=other.desktop;\n\n\
        [Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/kanka-link=kanka-link-handler.desktop;\n";

    #[test]
    fn the_plugins_registration_is_recognised() {
        let (data, config) = folders(ENTRY, DEFAULTS);
        assert!(registered(&data, &config, Path::new(EXE), "kanka-link"));
    }

    #[test]
    fn anything_else_registers_again() {
        let moved = ENTRY.replace("/opt/kanka/", "/usr/local/bin/");
        let other_scheme = ENTRY.replace("x-scheme-handler/kanka-link;", "x-scheme-handler/other;");
        let other_default = DEFAULTS.replace("=kanka-link-handler.desktop;", "=some-browser.desktop;");
        let only_added = "[Added Associations]\nx-scheme-handler/kanka-link=kanka-link-handler.desktop;\n";
        for (entry, defaults, why) in [
            (moved.as_str(), DEFAULTS, "the executable moved"),
            (other_scheme.as_str(), DEFAULTS, "the entry lists another scheme"),
            (ENTRY, other_default.as_str(), "another program is the default"),
            (ENTRY, only_added, "an association that is not the default"),
            (ENTRY, "", "no mimeapps.list"),
        ] {
            let (data, config) = folders(entry, defaults);
            assert!(!registered(&data, &config, Path::new(EXE), "kanka-link"), "{why}");
        }
        let nothing = fresh_dir("scheme-none");
        assert!(!registered(&nothing, &nothing, Path::new(EXE), "kanka-link"), "no files at all");
    }
}
