//! The window's commands: each is a thin call into the core. None returns a token or secret. Those
//! that act on a connection take its id (`main` for the settings' own, models.rs `ConnectionStatus`).

use std::path::PathBuf;

use kanka_link_core::autostart::{Autostart, LOGIN_CHECK_ARGS};
use kanka_link_core::connections::MAIN;
use kanka_link_core::settings::{self, SettingsInput};
use kanka_link_core::{DisconnectNotice, Error, ErrorInfo, Linker, SetupReport, Sources, Status, Stored};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::engine::Engine;
use crate::models::{
    CommandResult, ConnectionAdded, ConnectionStatus, SettingsForm, SettingsView, SetupInfo, SignInPage,
};

fn info(error: Error) -> ErrorInfo {
    error.info()
}

/// The page asks once, as soon as its script runs: the moment the window is up, which the
/// start-up work waits for (window_up.rs). Every connection, the settings' own first.
#[tauri::command]
pub fn status(engine: State<'_, Engine>) -> Vec<ConnectionStatus> {
    static FIRST: std::sync::Once = std::sync::Once::new();
    FIRST.call_once(|| tracing::info!("the window is up"));
    engine.window_up().open();
    engine.statuses()
}

/// Every list of statuses from now on, the current one first, through the page's own channel.
/// The page listens to no event: its capability grants none (engine.rs says why).
#[tauri::command]
pub fn watch_status(engine: State<'_, Engine>, channel: Channel<Vec<ConnectionStatus>>) {
    engine.watch(channel);
}

/// Starts a sign-in of connection `id` and opens Kanka's page in the system browser, never in a
/// webview. The page gets the address only if no browser opened (models.rs, `SignInPage`).
#[tauri::command]
pub async fn connect(app: AppHandle, engine: State<'_, Engine>, id: String) -> CommandResult<SignInPage> {
    let request = engine.linker(&id)?.begin_connect().await.map_err(info)?;
    let opened = open_in_browser(&app, request.url.as_str());
    Ok(SignInPage::new(request, opened))
}

/// "Connect another account": a new connection to the settings' server and client, and its
/// sign-in. One whose sign-in cannot start is not kept (the error is the answer).
#[tauri::command]
pub async fn add_connection(app: AppHandle, engine: State<'_, Engine>) -> CommandResult<ConnectionAdded> {
    let (id, linker) = engine.add()?;
    sign_in_added(&app, &engine, id, &linker).await
}

#[tauri::command]
pub async fn open_authorization_page(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: String,
) -> CommandResult<SignInPage> {
    let request =
        engine.linker(&id)?.pending_request().await.map_err(info)?.ok_or_else(|| Error::AuthorizationExpired.info())?;
    let opened = open_in_browser(&app, request.url.as_str());
    Ok(SignInPage::new(request, opened))
}

/// The sign-in in progress, to show its countdown again (after a restart, say), without opening
/// the browser; no address: "Open again" opens it, and hands it over if no browser can.
#[tauri::command]
pub async fn sign_in_page(engine: State<'_, Engine>, id: String) -> CommandResult<Option<SignInPage>> {
    let request = engine.linker(&id)?.pending_request().await.map_err(info)?;
    Ok(request.as_ref().map(SignInPage::waiting))
}

#[tauri::command]
pub async fn cancel_connect(engine: State<'_, Engine>, id: String) -> CommandResult<Status> {
    engine.cancel_connect(&id).await
}

/// Asks Kanka whether it accepts the saved settings (the setup check: two requests, no sign-in,
/// nothing opened). The report holds no secret.
#[tauri::command]
pub async fn check_setup(engine: State<'_, Engine>) -> CommandResult<SetupReport> {
    Ok(engine.linker(MAIN)?.check_setup().await)
}

#[tauri::command]
pub async fn refresh_now(engine: State<'_, Engine>, id: String) -> CommandResult<Status> {
    engine.linker(&id)?.refresh_now().await.map_err(info)
}

/// Makes `id` the default connection; the status channel then sends the list that marks it.
#[tauri::command]
pub async fn make_default(engine: State<'_, Engine>, id: String) -> CommandResult<()> {
    engine.make_default(&id)
}

/// Disconnects `id`; an added connection goes from the list with its tokens.
#[tauri::command]
pub async fn disconnect(engine: State<'_, Engine>, id: String) -> CommandResult<DisconnectNotice> {
    engine.disconnect(&id).await
}

/// Kanka's page of authorised applications, where the user revokes Kanka Link.
#[tauri::command]
pub fn open_kanka_settings(app: AppHandle, engine: State<'_, Engine>, id: String) -> CommandResult<bool> {
    let url = engine.linker(&id)?.config().apps_settings_url();
    Ok(open_in_browser(&app, url.as_str()))
}

/// What the setup view shows (models.rs, `SetupInfo`). Asked only when the view opens, so a
/// configured window pays nothing for it. Read from the settings' sources, as the engine may not
/// have a valid configuration yet.
#[tauri::command]
pub fn setup_info(engine: State<'_, Engine>) -> CommandResult<SetupInfo> {
    let sources = Sources::load(&engine.paths.config_file).map_err(info)?;
    SetupInfo::new(&sources)
}

/// Kanka's "new client" page in the system browser, for the setup view; false when no browser
/// could be opened (the view shows the address).
#[tauri::command]
pub fn open_new_client_page(app: AppHandle, engine: State<'_, Engine>) -> CommandResult<bool> {
    let sources = Sources::load(&engine.paths.config_file).map_err(info)?;
    let page = SetupInfo::new(&sources)?.new_client_page;
    Ok(open_in_browser(&app, &page))
}

#[tauri::command]
pub async fn settings(engine: State<'_, Engine>) -> CommandResult<SettingsView> {
    view(&engine).await
}

/// Saves the settings (the secret to the keychain, the rest to config.toml; values the environment
/// sets are left alone) and starts the engine on them. The policy and its order are the core's
/// (settings.rs); a refused save leaves the engine as it was.
#[tauri::command]
pub async fn save_settings(engine: State<'_, Engine>, form: SettingsForm) -> CommandResult<SettingsView> {
    let SettingsForm { url, api_url, client_id, redirect_uri, client_secret } = form;
    let input = SettingsInput { url, api_url, client_id, redirect_uri, client_secret };
    let current = engine.linker(MAIN).ok();
    let saved = settings::save(&engine.paths.config_file, current.as_ref(), input).await.map_err(info)?;
    engine.restart().await;
    Ok(SettingsView { notice: saved.notice, ..view(&engine).await? })
}

/// Whether "Keep linked when Kanka Link is closed" is on: the login check's autostart entry is
/// there and runs this install's command line.
#[tauri::command]
pub fn login_check(app: AppHandle) -> CommandResult<bool> {
    let (autostart, exec, _) = login_check_entry(&app)?;
    Ok(autostart.installed(&exec))
}

/// Switches the login check on (writes the autostart entry) or off (removes it), and says what
/// the file says now.
#[tauri::command]
pub fn set_login_check(app: AppHandle, on: bool) -> CommandResult<bool> {
    let (autostart, exec, program) = login_check_entry(&app)?;
    if on { autostart.install(&exec, &program) } else { autostart.remove() }.map_err(info)?;
    tracing::info!("the login check is {}", if on { "on" } else { "off" });
    Ok(autostart.installed(&exec))
}

/// The autostart entry (named after the app's identifier) and the command it runs: the
/// command line beside this binary, quoted as scheme.rs quotes the URL handler.
#[cfg(target_os = "linux")]
fn login_check_entry(app: &AppHandle) -> CommandResult<(Autostart, String, PathBuf)> {
    let autostart = Autostart::for_user(&app.config().identifier).map_err(info)?;
    let exe = std::env::current_exe()
        .map_err(|e| Error::Storage { what: Stored::Program, path: None, detail: e.to_string() }.info())?;
    let program = exe.with_file_name("kanka-link");
    let Some(quoted) = crate::scheme::exec_program(&program) else {
        let detail = "its folder cannot be named in a desktop entry".to_owned();
        return Err(Error::Storage { what: Stored::Program, path: Some(program), detail }.info());
    };
    Ok((autostart, format!("{quoted} {LOGIN_CHECK_ARGS}"), program))
}

#[cfg(not(target_os = "linux"))]
fn login_check_entry(_app: &AppHandle) -> CommandResult<(Autostart, String, PathBuf)> {
    let detail = "a login check is only available on Linux desktops so far".to_owned();
    Err(Error::Storage { what: Stored::AutostartEntry, path: None, detail }.info())
}

async fn view(engine: &Engine) -> CommandResult<SettingsView> {
    let sources = Sources::load(&engine.paths.config_file).map_err(info)?;
    let saved = match engine.linker(MAIN) {
        Ok(linker) => linker.client_secret_saved().await.map_err(info)?,
        Err(_) => false,
    };
    Ok(SettingsView::new(&sources, saved, engine.paths.config_file.display().to_string()))
}

/// The desktop's default browser. The URL is not logged: it carries the sign-in's `state`.
fn open_in_browser(app: &AppHandle, url: &str) -> bool {
    match app.opener().open_url(url, None::<&str>) {
        Ok(()) => true,
        Err(_) => {
            tracing::warn!("no browser could be opened");
            false
        }
    }
}

/// "Add another Kanka server": a new connection to the Kanka, API and client the user filled in
/// (the settings form's fields; the client secret goes to the keychain and never comes back), and
/// its sign-in, as `add_connection` starts one. A refused form adds nothing; its error names the
/// field (`ErrorInfo::setting`).
#[tauri::command]
pub async fn add_server_connection(
    app: AppHandle,
    engine: State<'_, Engine>,
    form: SettingsForm,
) -> CommandResult<ConnectionAdded> {
    let SettingsForm { url, api_url, client_id, redirect_uri, client_secret } = form;
    let input = SettingsInput { url, api_url, client_id, redirect_uri, client_secret };
    let (id, linker) = engine.add_server(input).await?;
    sign_in_added(&app, &engine, id, &linker).await
}

/// The sign-in of a connection just added; one whose sign-in cannot start is not kept (the error
/// is the answer).
async fn sign_in_added(
    app: &AppHandle,
    engine: &Engine,
    id: String,
    linker: &Linker,
) -> CommandResult<ConnectionAdded> {
    match linker.begin_connect().await {
        Ok(request) => {
            let opened = open_in_browser(app, request.url.as_str());
            Ok(ConnectionAdded { id, sign_in: SignInPage::new(request, opened) })
        }
        Err(e) => {
            // Forgotten with the record of its failure: the error is the answer.
            if let Err(left) = engine.disconnect(&id).await {
                tracing::warn!("the connection that could not sign in stays in the list: {}", left.message);
            }
            Err(e.info())
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use kanka_test_support::fresh_dir;

    /// The entry the switch writes, for a program in an awkward folder: valid for the desktop's
    /// own checker, recognised as ours, not as another install's, and gone when switched off.
    #[test]
    fn the_login_check_entry_names_the_command_line_quoted_and_validates() {
        let root = fresh_dir("login-check");
        let program = root.join("a $pecial \"folder\" 100%").join("kanka-link");
        let exec = format!("{} {LOGIN_CHECK_ARGS}", crate::scheme::exec_program(&program).unwrap());
        let autostart = Autostart::in_folder(&root.join("config"), "app.kankalink.desktop");
        autostart.install(&exec, &program).unwrap();
        assert!(autostart.installed(&exec));
        let other = format!("{} {LOGIN_CHECK_ARGS}", crate::scheme::exec_program(&root.join("kanka-link")).unwrap());
        assert!(!autostart.installed(&other), "another install's entry is not ours");
        let text = std::fs::read_to_string(autostart.path()).unwrap();
        assert!(
            text.contains(r#"Exec="#) && text.contains(r#"a \$pecial \"folder\" 100%%/kanka-link" refresh --if-due"#)
        );
        let validated = std::process::Command::new("desktop-file-validate").arg(autostart.path()).output().unwrap();
        assert!(validated.status.success(), "{text}\n{}", String::from_utf8_lossy(&validated.stdout));
        autostart.remove().unwrap();
        assert!(!autostart.installed(&exec));
    }
}
