//! What a storage error says: which file or folder, the system's reason, and what to do; and that
//! real failures name the right one. The code the page sees stays `storage` for all of them.

use super::*;
use std::sync::Arc;

fn storage(what: Stored, path: Option<&str>) -> Error {
    let detail = "Permission denied (os error 13)".to_owned();
    Error::Storage { what, path: path.map(PathBuf::from), detail }
}

#[test]
fn a_storage_error_names_what_it_failed_on_and_where() {
    let cases = [
        (Stored::StatusFile, "/d/kanka-link/connection-1.json", "status file", "Disconnect and connect again"),
        (Stored::ConfigFile, "/c/kanka-link/config.toml", "config file", "save the settings again"),
        (Stored::LockFile, "/d/kanka-link/connection-1.lock", "lock file", "restart Kanka Link"),
        (Stored::AutostartEntry, "/c/autostart/app.kankalink.desktop", "autostart entry", "\"Keep linked\" on again"),
    ];
    for (what, path, name, todo) in cases {
        let error = storage(what, Some(path));
        let info = error.info();
        assert_eq!(
            info.message,
            format!("Kanka Link could not use its {name} {path}: Permission denied (os error 13).")
        );
        let hint = info.hint.unwrap();
        let folder = std::path::Path::new(path).parent().unwrap().display().to_string();
        assert!(hint.contains(&format!("({folder})")) && hint.contains("writable"), "{hint}");
        assert!(hint.contains(todo), "{hint}");
        assert_eq!(info.code, ErrorCode::Storage, "the page's code is unchanged");
        assert_eq!(serde_json::to_value(info.code).unwrap(), "storage");
    }
}

#[test]
fn a_missing_platform_folder_is_named_without_a_path() {
    for (what, name) in [(Stored::ConfigFolder, "config"), (Stored::DataFolder, "data"), (Stored::LogFolder, "log")] {
        let error = crate::files::missing_folder(what);
        assert_eq!(
            error.to_string(),
            format!(
                "Kanka Link could not use its {name} folder: the platform has no such folder for this user (is HOME \
                 set?)."
            )
        );
        assert!(error.hint().unwrap().contains("set HOME"), "{:?}", error.hint());
    }
    let program = storage(Stored::Program, None);
    assert!(program.to_string().starts_with("Kanka Link could not use its own program: "), "{program}");
    assert!(program.hint().unwrap().contains("installed"));
}

/// Real failures: the data folder is a file (so even root cannot write under it).
#[tokio::test]
async fn a_data_folder_that_cannot_be_used_names_the_status_file_and_the_lock_file() {
    let root = crate::files::tests::temp_dir("unusable-data");
    let paths = crate::files::Paths::under(&root);
    std::fs::write(&paths.data_dir, "not a folder").unwrap();
    let env: std::collections::BTreeMap<&str, &str> = [("KANKA_LINK_CLIENT_ID", "12")].into();
    let config = crate::config::Config::from_sources(&env, &paths.config_file).unwrap();
    let linker = crate::linker::Linker::open(config, &paths, Arc::new(crate::clock::SystemClock));

    let error = linker.status().last_error.expect("the status file could not be read");
    assert_eq!(error.code, ErrorCode::Storage);
    assert!(error.message.starts_with("Kanka Link could not use its status file "), "{}", error.message);
    assert!(error.message.contains(&paths.data_dir.display().to_string()), "{}", error.message);
    assert!(error.hint.unwrap().contains(&format!("({})", paths.data_dir.display())));

    let lock = crate::lock::ConnectionLock::new(paths.data_dir.join("connection-1.lock"));
    let Err(error) = lock.acquire().await else { panic!("a lock under a file") };
    assert!(matches!(error, Error::Storage { what: Stored::LockFile, .. }), "{error:?}");
    assert!(error.to_string().starts_with("Kanka Link could not use its lock file "), "{error}");
}

/// Saving the settings where the config folder is a file: the config file is named.
#[tokio::test]
async fn settings_that_cannot_be_written_name_the_config_file() {
    let root = crate::files::tests::temp_dir("unusable-config");
    std::fs::write(root.join("config"), "not a folder").unwrap();
    let path = root.join("config").join("config.toml");
    let form = crate::settings::SettingsInput {
        url: "https://kanka.example".to_owned(),
        api_url: "https://api.kanka.example/1.0".to_owned(),
        client_id: "12".to_owned(),
        redirect_uri: "https://bridge.example/k/".to_owned(),
        client_secret: None,
    };
    let plan = crate::settings::plan(&std::collections::BTreeMap::<&str, &str>::new(), &path, form).unwrap();
    let error = plan.apply(None).await.unwrap_err();
    assert!(matches!(error, Error::Storage { what: Stored::ConfigFile, .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("Kanka Link could not use its config file {}: ", path.display())),
        "{message}"
    );
    assert!(error.hint().unwrap().contains("save the settings again"));
}
