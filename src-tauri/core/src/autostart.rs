//! "Keep linked when Kanka Link is closed": an XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/<identifier>.desktop`, the Desktop Application Autostart
//! Specification) that runs the headless login check `kanka-link refresh --if-due` once per
//! login. No resident process: the check refreshes a due token, notifies when the connection
//! needs the user (notify.rs) and exits. The caller names the command, quoted for `Exec=`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result, Stored};
use crate::files;

/// The login check, as the autostart entry runs it after the quoted program.
pub const LOGIN_CHECK_ARGS: &str = "refresh --if-due";

#[derive(Debug, Clone)]
pub struct Autostart {
    path: PathBuf,
}

impl Autostart {
    /// The entry in the user's autostart folder (`$XDG_CONFIG_HOME`, else `~/.config`).
    pub fn for_user(identifier: &str) -> Result<Autostart> {
        let config = dirs::config_dir().ok_or_else(|| files::missing_folder(Stored::ConfigFolder))?;
        Ok(Autostart::in_folder(&config, identifier))
    }

    /// The entry under `config_dir/autostart`; for tests.
    pub fn in_folder(config_dir: &Path, identifier: &str) -> Autostart {
        Autostart { path: config_dir.join("autostart").join(format!("{identifier}.desktop")) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry is there, runs `exec` (the quoted program and its arguments) and is not
    /// switched off in it (`Hidden=true`, or GNOME's own switch).
    pub fn installed(&self, exec: &str) -> bool {
        let Ok(entry) = std::fs::read_to_string(&self.path) else { return false };
        let mut runs_us = false;
        let mut inside = false;
        for line in entry.lines().map(str::trim) {
            if line.starts_with('[') {
                inside = line == "[Desktop Entry]";
                continue;
            }
            let Some((key, value)) = line.split_once('=').filter(|_| inside) else { continue };
            match (key.trim(), value.trim()) {
                ("Exec", value) => runs_us = value == exec,
                ("Hidden", "true") | ("X-GNOME-Autostart-enabled", "false") => return false,
                _ => {}
            }
        }
        runs_us
    }

    /// Writes the entry (in one step: a login never reads half of it). `program` is the
    /// program `exec` starts, for `TryExec`: once it is gone (the package removed), the desktop
    /// skips the entry instead of failing at every login.
    pub fn install(&self, exec: &str, program: &Path) -> Result<()> {
        let try_exec = program.to_str().filter(|path| !path.chars().any(char::is_control));
        let (false, Some(try_exec)) = (exec.chars().any(char::is_control), try_exec) else {
            let detail = "the command has a line break".to_owned();
            return Err(Error::Storage { what: Stored::AutostartEntry, path: Some(self.path.clone()), detail });
        };
        files::write_atomically(Stored::AutostartEntry, &self.path, entry(exec, try_exec).as_bytes())
    }

    /// Removes the entry; one that is not there is fine.
    pub fn remove(&self) -> Result<()> {
        files::remove(Stored::AutostartEntry, &self.path)
    }
}

/// The entry; `try_exec` is a string value, where only a backslash needs escaping.
fn entry(exec: &str, try_exec: &str) -> String {
    let try_exec = try_exec.replace('\\', "\\\\");
    // The icon the packages install, named by the application id.
    format!(
        "[Desktop Entry]\nType=Application\nName=Kanka Link login check\n\
         Comment=Renews the Kanka connection at login when it is due, and says when it needs you\n\
         TryExec={try_exec}\nExec={exec}\nIcon=app.kankalink.desktop\nTerminal=false\nNoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXEC: &str = "\"/opt/a \\$pecial folder/kanka-link\" refresh --if-due";
    const PROGRAM: &str = "/opt/a $pecial folder/kanka-link";

    #[test]
    fn the_entry_is_written_valid_recognised_and_removed() {
        let dir = crate::files::tests::temp_dir("autostart");
        let autostart = Autostart::in_folder(&dir, "app.kankalink.desktop");
        assert_eq!(autostart.path(), dir.join("autostart").join("app.kankalink.desktop.desktop"));
        assert!(!autostart.installed(EXEC));
        autostart.install(EXEC, Path::new(PROGRAM)).unwrap();
        assert!(autostart.installed(EXEC));
        assert!(!autostart.installed("\"/elsewhere/kanka-link\" refresh --if-due"), "another program's entry");
        let text = std::fs::read_to_string(autostart.path()).unwrap();
        assert!(text.contains(&format!("\nExec={EXEC}\n")), "{text}");
        assert!(text.contains(&format!("\nTryExec={PROGRAM}\n")), "{text}");
        let validated = std::process::Command::new("desktop-file-validate")
            .arg(autostart.path())
            .output()
            .expect("desktop-file-validate runs (tests/setup.sh installs desktop-file-utils)");
        assert!(
            validated.status.success() && validated.stdout.is_empty(),
            "{text}\n{}",
            String::from_utf8_lossy(&validated.stdout)
        );
        autostart.remove().unwrap();
        assert!(!autostart.path().exists() && !autostart.installed(EXEC));
        autostart.remove().unwrap();
    }

    #[test]
    fn an_entry_switched_off_in_the_desktop_is_not_on() {
        let dir = crate::files::tests::temp_dir("autostart-off");
        let autostart = Autostart::in_folder(&dir, "app.kankalink.desktop");
        autostart.install(EXEC, Path::new(PROGRAM)).unwrap();
        for off in ["Hidden=true", "X-GNOME-Autostart-enabled=false"] {
            let text = entry(EXEC, PROGRAM).replace("X-GNOME-Autostart-enabled=true", off);
            std::fs::write(autostart.path(), text).unwrap();
            assert!(!autostart.installed(EXEC), "{off}");
        }
        assert!(autostart.install("\"/x\"\nExec=evil", Path::new("/x")).is_err());
        assert!(autostart.install(EXEC, Path::new("/x\nExec=evil")).is_err());
    }
}
