//! Notifications through the freedesktop notification service
//! (`org.freedesktop.Notifications.Notify` on the session bus), with libdbus through the `dbus`
//! crate: a plain blocking call with a short timeout, which a record write under the connection
//! lock and a command-line process about to exit can both wait for. No GTK.

use std::time::Duration;

use dbus::arg::PropMap;
use dbus::blocking::SyncConnection;

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
/// A desktop that does not answer in this time is not going to show it either.
const TIMEOUT: Duration = Duration::from_secs(3);
/// The packages' desktop entry (`app.kankalink.desktop.desktop`, named by the application id in
/// tauri.conf.json; without its suffix, as the hint wants), which is also the name of the icon
/// they install: the desktop shows its name and icon, and may open it when the notification is
/// clicked.
const DESKTOP_ENTRY: &str = "app.kankalink.desktop";

/// Shows one notification. Errors are the reason in words: no session bus, no service.
pub(crate) fn show_notification(summary: &str, body: &str) -> Result<(), String> {
    let connection = session_bus()?;
    let proxy = connection.with_proxy(SERVICE, PATH, TIMEOUT);
    let mut hints = PropMap::new();
    hints.insert("desktop-entry".to_owned(), dbus::arg::Variant(Box::new(DESKTOP_ENTRY.to_owned())));
    // Normal urgency: it waits in the message tray, it does not interrupt.
    hints.insert("urgency".to_owned(), dbus::arg::Variant(Box::new(1u8)));
    let actions: Vec<&str> = Vec::new();
    // -1: the notification service's own expiry.
    let (_id,): (u32,) = proxy
        .method_call(SERVICE, "Notify", ("Kanka Link", 0u32, DESKTOP_ENTRY, summary, body, actions, hints, -1i32))
        .map_err(|e| e.message().unwrap_or("the notification service refused").to_owned())?;
    Ok(())
}

/// A private connection to the session bus, for the notifications and the Secret Service.
pub(crate) fn session_bus() -> Result<SyncConnection, String> {
    // Without a session bus, libdbus would try to start one (X11 autolaunch): not for a
    // command run over ssh or by a service manager.
    let runtime_bus = std::env::var_os("XDG_RUNTIME_DIR").map(|dir| std::path::Path::new(&dir).join("bus"));
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() && !runtime_bus.is_some_and(|bus| bus.exists()) {
        return Err("no session bus".to_owned());
    }
    SyncConnection::new_session().map_err(|e| e.message().unwrap_or("no session bus").to_owned())
}
