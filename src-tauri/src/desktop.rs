//! The window: plugins, deep links and the engine. Single-instance comes first, so a second
//! launch that got past the early hand-over (`kanka-link`, launch.rs) still hands its URL to
//! this process and exits.

use tauri::{AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;
use url::Url;

use crate::commands;
use crate::engine::{Engine, MAIN_WINDOW};

const SCHEME: &str = "kanka-link";

pub fn run() {
    let paths = match kanka_link_core::Paths::platform() {
        Ok(paths) => paths,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| show(app)))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .manage(Engine::new(paths))
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::watch_status,
            commands::connect,
            commands::add_connection,
            commands::open_authorization_page,
            commands::sign_in_page,
            commands::cancel_connect,
            commands::refresh_now,
            commands::make_default,
            commands::disconnect,
            commands::open_kanka_settings,
            commands::settings,
            commands::save_settings,
            commands::check_setup,
            commands::setup_info,
            commands::open_new_client_page,
            commands::login_check,
            commands::set_login_check,
            commands::add_server_connection,
        ])
        .setup(|app| {
            let handle = app.handle().clone();
            paint_without_gpu(&handle);
            {
                // The core spawns its timer on the async runtime.
                let _runtime = tauri::async_runtime::handle().inner().enter();
                let engine = handle.state::<Engine>();
                engine.window_up().open_at_latest(crate::window_up::AT_LATEST);
                engine.start();
            }
            let on_link = handle.clone();
            app.deep_link().on_open_url(move |event| {
                let app = on_link.clone();
                tauri::async_runtime::spawn(async move { answer(&app, event.urls()).await });
            });
            // At a cold start the URL is in our own arguments; on_open_url does not see it.
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                let app = handle.clone();
                tauri::async_runtime::spawn(async move { answer(&app, urls).await });
            }
            register_scheme(&handle);
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("Kanka Link's window could not start");
}

/// A status window gains nothing from GPU compositing, and under Mesa's software GL it costs
/// the web process about 55 MiB (BENCHMARKS.md, memory).
#[cfg(target_os = "linux")]
fn paint_without_gpu(app: &AppHandle) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else { return };
    let switched = window.with_webview(|webview| {
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(e) = switched {
        tracing::warn!("could not switch GPU compositing off: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn paint_without_gpu(_app: &AppHandle) {}

/// Makes this build the `kanka-link:` handler (a `.deb` declares one too, but the user's own
/// default wins and follows the build that last ran). On Linux that runs
/// `update-desktop-database` and `xdg-mime`, so it happens on a blocking thread, only when the
/// registration is not already in place, and once the window is up (window_up.rs).
fn register_scheme(app: &AppHandle) {
    let app = app.clone();
    let up = app.state::<Engine>().window_up().wait();
    tauri::async_runtime::spawn(async move {
        up.await;
        let registered = tauri::async_runtime::spawn_blocking(move || register_handler(&app)).await;
        if let Err(e) = registered.map_err(|e| e.to_string()).and_then(|done| done) {
            tracing::warn!("could not register the {SCHEME}: URL scheme: {e}");
        }
    });
}

#[cfg(target_os = "linux")]
fn register_handler(app: &AppHandle) -> Result<(), String> {
    let data = app.path().data_dir().map_err(|e| e.to_string())?;
    let config = app.path().config_dir().map_err(|e| e.to_string())?;
    let exe = tauri::utils::platform::current_exe().map_err(|e| e.to_string())?;
    let program = crate::scheme::handler_program(&exe);
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(id) = crate::scheme::packaged_entry(&crate::scheme::system_data_dirs(), &program, SCHEME, &path) {
        return crate::scheme::prefer(&config, &id, SCHEME);
    }
    if crate::scheme::registered(&data, &config, &program, SCHEME) {
        return Ok(());
    }
    crate::scheme::register(&data, &config, &program, SCHEME)
}

#[cfg(windows)]
fn register_handler(app: &AppHandle) -> Result<(), String> {
    app.deep_link().register_all().map_err(|e| e.to_string())
}

#[cfg(not(any(windows, target_os = "linux")))]
fn register_handler(_app: &AppHandle) -> Result<(), String> {
    Ok(())
}

/// Kanka's answer, by deep link, handed to the one connection whose sign-in waits for it
/// (connections.rs). The window comes forward only for an answer to a sign-in in progress: a
/// stray link (anyone can open one) changes nothing and shows a passing notice.
async fn answer(app: &AppHandle, urls: Vec<Url>) {
    tracing::info!("a deep link arrived");
    let Ok(connections) = app.state::<Engine>().connections() else { return };
    for url in urls.into_iter().filter(|url| url.scheme() == SCHEME) {
        match connections.handle_callback(url.as_str()).await {
            Ok(_) => show(app),
            Err(e) if e.code().is_stray_callback() => tracing::info!("a stray deep link was ignored: {e}"),
            Err(e) => {
                tracing::info!("a deep link was refused: {e}");
                show(app);
            }
        }
    }
}

fn show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
