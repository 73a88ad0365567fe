fn main() {
    // Declaring the commands makes Tauri generate a permission for each, so the capability
    // can grant the window exactly these and nothing else.
    let commands = &[
        "status",
        "watch_status",
        "connect",
        "add_connection",
        "open_authorization_page",
        "sign_in_page",
        "cancel_connect",
        "refresh_now",
        "make_default",
        "disconnect",
        "open_kanka_settings",
        "settings",
        "save_settings",
        "check_setup",
        "setup_info",
        "open_new_client_page",
        "login_check",
        "set_login_check",
        "add_server_connection",
    ];
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands));
    tauri_build::try_build(attributes).expect("the Tauri build script runs");
}
