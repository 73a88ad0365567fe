//! The save policy without a keychain or Tauri: what the file takes, what is kept, what a save
//! refuses and leaves untouched.

use std::collections::BTreeMap;

use super::*;
use crate::error::Error;

type Env = BTreeMap<&'static str, &'static str>;

fn form(url: &str, client_id: &str, secret: Option<&str>) -> SettingsInput {
    SettingsInput {
        url: url.to_owned(),
        api_url: " https://api.kanka.example/1.0 ".to_owned(),
        client_id: client_id.to_owned(),
        redirect_uri: "https://bridge.example/kanka/".to_owned(),
        client_secret: secret.map(|s| ClientSecret::new(s.to_owned())),
    }
}

/// A config file holding `text` (none if `None`), in a fresh folder.
fn config_file(text: Option<&str>) -> PathBuf {
    let path = crate::files::tests::temp_dir("settings").join("config.toml");
    if let Some(text) = text {
        std::fs::write(&path, text).unwrap();
    }
    path
}

#[test]
fn the_form_values_are_written_trimmed() {
    let path = config_file(None);
    let now = Configured::read(&Env::new(), &path);
    let file = file_to_write(&now, &form("  https://kanka.example/ ", " 12\t", None));
    assert_eq!(file.url.as_deref(), Some("https://kanka.example/"));
    assert_eq!(file.api_url.as_deref(), Some("https://api.kanka.example/1.0"));
    assert_eq!(file.client_id.as_deref(), Some("12"));
    assert_eq!(file.redirect_uri.as_deref(), Some("https://bridge.example/kanka/"));
}

#[test]
fn a_value_the_environment_sets_is_kept_as_the_file_had_it() {
    let path = config_file(Some("url = \"https://on-file.example\"\nclient_id = \"3\"\n"));
    let env: Env =
        [("KANKA_LINK_URL", "https://from-env.example"), ("KANKA_LINK_REDIRECT_URI", "https://b.example/")].into();
    let now = Configured::read(&env, &path);
    let file = file_to_write(&now, &form("https://typed.example", "12", None));
    assert_eq!(file.url.as_deref(), Some("https://on-file.example"), "the environment's, so the file's is kept");
    assert_eq!(file.redirect_uri, None, "the environment's, and the file had none");
    assert_eq!(file.client_id.as_deref(), Some("12"), "not the environment's: the form's");
}

#[test]
fn a_broken_file_is_replaced_by_the_form_and_the_environment_still_wins() {
    let path = config_file(Some("this is not toml = = ="));
    let env: Env = [("KANKA_LINK_CLIENT_ID", "9")].into();
    let plan = plan(&env, &path, form("https://kanka.example", "12", None)).unwrap();
    assert_eq!(plan.file.client_id, None, "set by the environment");
    assert_eq!(plan.file.url.as_deref(), Some("https://kanka.example"));
    assert_eq!(plan.config.unwrap().client_id.as_str(), "9");
}

#[test]
fn a_blank_secret_keeps_the_saved_one() {
    let path = config_file(None);
    for blank in [None, Some(""), Some("  \n")] {
        let plan = plan(&Env::new(), &path, form("https://kanka.example", "12", blank)).unwrap();
        assert!(plan.secret.is_none(), "{blank:?} saves nothing");
    }
    let plan = plan(&Env::new(), &path, form("https://kanka.example", "12", Some("s3cret"))).unwrap();
    assert_eq!(plan.secret.unwrap().secret(), "s3cret");
}

#[test]
fn the_plan_is_the_configuration_the_engine_restarts_on() {
    let path = config_file(None);
    let env: Env = [("KANKA_LINK_API_URL", "https://api.env.example/1.0")].into();
    let config = plan(&env, &path, form("https://kanka.example", "12", None)).unwrap().config.unwrap();
    assert_eq!(config.scope(), "12@https://kanka.example");
    assert_eq!(config.api_url.as_str(), "https://api.env.example/1.0", "the environment's");
    assert_eq!(config.redirect_uri.as_str(), "https://bridge.example/kanka/");
}

#[tokio::test]
async fn an_invalid_form_is_refused_naming_the_form_and_nothing_is_written() {
    let path = config_file(Some("client_id = \"3\"\n"));
    let err = plan(&Env::new(), &path, form("http://kanka.example", "12", Some("s3cret"))).unwrap_err();
    assert!(matches!(err, Error::InvalidSetting { setting: "url", origin: Origin::Input, .. }), "{err:?}");
    let err = plan(&Env::new(), &path, form("https://kanka.example", "1 2", None)).unwrap_err();
    assert!(matches!(err, Error::InvalidSetting { setting: "client_id", .. }), "{err:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "client_id = \"3\"\n");
}

/// A value the environment sets that is not valid: the form cannot change it. Without a secret
/// the file is saved and the engine shows the environment's error, as at start; with one there is
/// no server and client to save it for, so nothing is saved.
#[tokio::test]
async fn with_an_invalid_environment_a_secret_is_not_saved_and_neither_is_the_file() {
    let env: Env = [("KANKA_LINK_API_URL", "ftp://api.example")].into();
    let path = config_file(None);
    let plan_with_secret = plan(&env, &path, form("https://kanka.example", "12", Some("s3cret"))).unwrap();
    let err = plan_with_secret.apply(None).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidSetting { setting: "api_url", origin: Origin::Environment(_), .. }),
        "{err:?}"
    );
    assert!(!path.exists(), "nothing half-saved");

    let without = plan(&env, &path, form("https://kanka.example", "12", None)).unwrap();
    assert_eq!(without.apply(None).await.unwrap(), Saved { notice: None });
    let written = SettingsFile::read(&path).unwrap();
    assert_eq!(written.client_id.as_deref(), Some("12"));
    assert_eq!(written.url.as_deref(), Some("https://kanka.example"));
    assert_eq!(written.api_url, None, "the environment's, bad as it is");
}
