//! A deep link for the window that is already running, handed over before this process starts
//! a window of its own. The single-instance plugin does the same over the same D-Bus interface,
//! but only once GTK and the webview have started, which costs a second launch hundreds of
//! milliseconds between Kanka's redirect and the connection.

/// `identifier` in tauri.conf.json: the single-instance plugin names its D-Bus service after it.
#[cfg(target_os = "linux")]
const IDENTIFIER: &str = "app.kankalink.desktop";

/// Gives this process's arguments to the running instance; false when there is none (or no
/// session bus), and this process becomes the window.
#[cfg(target_os = "linux")]
pub fn to_running_instance() -> bool {
    let name = format!("{IDENTIFIER}.SingleInstance");
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    let Ok(connection) = zbus::blocking::Connection::session() else {
        return false;
    };
    let argv: Vec<String> = std::env::args_os().map(|arg| arg.to_string_lossy().into_owned()).collect();
    let cwd = std::env::current_dir().unwrap_or_default().to_string_lossy().into_owned();
    let answer = connection.call_method(
        Some(name.as_str()),
        path.as_str(),
        Some("org.SingleInstance.DBus"),
        "ExecuteCallback",
        &(argv, cwd),
    );
    answer.is_ok()
}

/// Elsewhere the single-instance plugin hands over as the app starts.
#[cfg(not(target_os = "linux"))]
pub fn to_running_instance() -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_identifier_is_the_apps() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json is JSON");
        assert_eq!(config["identifier"], super::IDENTIFIER);
    }
}
