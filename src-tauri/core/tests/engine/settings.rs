//! Saving the settings form (settings.rs) against the real keychain and the sandbox: the secret
//! is saved under the settings it belongs to before anything else, so the engine opened on the
//! new settings finds it; a blank one keeps it; a keychain that refuses it leaves the file as it
//! was; and moving to another server says what becomes of the connection.

use std::collections::BTreeMap;

use kanka_link_core::settings::{self, SettingsInput};
use kanka_link_core::{ClientSecret, Config, ErrorCode, Linker, State};
use kanka_sandbox::{Sandbox, SandboxConfig};

use crate::common::*;

type Env = BTreeMap<&'static str, &'static str>;

/// The form for a sandbox, its redirect the deep link.
fn form(sandbox: &Sandbox, secret: Option<&str>) -> SettingsInput {
    SettingsInput {
        url: format!(" {} ", sandbox.base_url()),
        api_url: sandbox.api_url(),
        client_id: sandbox.config().client_id.clone(),
        redirect_uri: DEEP_LINK.to_owned(),
        client_secret: secret.map(|s| ClientSecret::new(s.to_owned())),
    }
}

#[tokio::test]
async fn settings_save_the_secret_where_the_new_engine_finds_it_and_say_the_connection_stays_behind() {
    let world = World::start().await;
    world.connect().await;
    let elsewhere = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let secret = elsewhere.config().client_secret.clone();
    let path = world.paths().config_file;

    let plan = settings::plan(&Env::new(), &path, form(&elsewhere, Some(&secret))).unwrap();
    let saved = plan.apply(Some(&world.linker)).await.unwrap();
    let notice = saved.notice.expect("moving to another server is said");
    assert!(notice.contains(&elsewhere.base_url()) && notice.contains("stays stored"), "{notice}");

    // The engine the app restarts on the new settings: the file's, and the keychain's secret.
    let config = Config::from_sources(&Env::new(), &path).unwrap();
    assert_eq!(config.kanka_url.as_str().trim_end_matches('/'), elsewhere.base_url(), "trimmed and written");
    assert_eq!(secret_tool_lookup(&format!("client-secret:{}", config.scope())).as_deref(), Some(secret.as_str()));
    let restarted = Linker::open(config, &world.paths(), world.clock.clone());
    assert!(restarted.client_secret_saved().await.unwrap());
    restarted.begin_connect().await.expect("the setup check passes with the saved secret");
    assert_eq!(elsewhere.stats().invalid_client, 0);

    // Saved again with the secret left blank: the saved one stays.
    let plan = settings::plan(&Env::new(), &path, form(&elsewhere, Some("  "))).unwrap();
    assert_eq!(plan.apply(Some(&restarted)).await.unwrap().notice, None, "nothing moves");
    let scope = restarted.config().scope();
    assert_eq!(secret_tool_lookup(&format!("client-secret:{scope}")).as_deref(), Some(secret.as_str()));

    // Where the tokens belong, nothing changed.
    assert_eq!(world.linker.reload().state, State::Connected);
}

#[tokio::test]
async fn settings_a_keychain_that_refuses_the_secret_leaves_the_file_as_it_was() {
    let Some(dir) = in_child("settings::settings_a_keychain_that_refuses_the_secret_leaves_the_file_as_it_was") else {
        return;
    };
    let mut daemons = Daemons::new(&dir);
    daemons.start();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let path = dir.join("config").join("config.toml");
    let before = "client_id = \"3\"\n";
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, before).unwrap();

    daemons.lock();
    let plan = settings::plan(&Env::new(), &path, form(&sandbox, Some("s3cret"))).unwrap();
    let err = plan.apply(None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainLocked, "{err:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "the settings are not half-saved");
}
