//! Where each setting comes from, what is refused and why, and the file's round trip.

use super::*;

fn load(vars: &[(&'static str, &'static str)], file: Option<&str>) -> Result<Config> {
    let dir = crate::files::tests::temp_dir("config");
    let path = dir.join("config.toml");
    if let Some(text) = file {
        std::fs::write(&path, text).unwrap();
    }
    let env: BTreeMap<&str, &str> = vars.iter().copied().collect();
    Config::from_sources(&env, &path)
}

#[test]
fn defaults_point_at_kanka() {
    let config = load(&[("KANKA_LINK_CLIENT_ID", "12")], None).unwrap();
    assert_eq!(config.authorize_url().as_str(), "https://app.kanka.io/oauth/authorize");
    assert_eq!(config.token_url().as_str(), "https://app.kanka.io/oauth/token");
    assert_eq!(config.profile_url().as_str(), "https://api.kanka.io/1.0/profile");
    // kanka.io refuses the deep link: the default is the fixed localhost address.
    assert_eq!(config.redirect_uri.as_str(), "http://localhost:47813/kanka-link/callback");
    assert!(matches!(config.redirect, Redirect::Loopback { port: 47813, .. }));
    assert_eq!(config.scope(), "12@https://app.kanka.io");
    assert_eq!(config.apps_settings_url().as_str(), "https://app.kanka.io/settings/api");
}

#[test]
fn environment_wins_over_file_which_wins_over_defaults() {
    let file = "url = \"https://kanka.example\"\nclient_id = \"3\"\napi_url = \"https://api.example/1.0/\"\n";
    let config = load(&[("KANKA_LINK_CLIENT_ID", "9")], Some(file)).unwrap();
    assert_eq!(config.client_id.as_str(), "9");
    assert_eq!(config.kanka_url.as_str(), "https://kanka.example/");
    assert_eq!(config.profile_url().as_str(), "https://api.example/1.0/profile");
    assert_eq!(config.redirect_uri.as_str(), DEFAULT_REDIRECT_URI);
}

#[test]
fn an_empty_client_id_names_the_setting_and_its_origin() {
    let err = load(&[], None).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::InvalidSetting { setting: "client_id", origin: Origin::Default, .. }));
    assert!(message.contains("client_id") && message.contains("built-in defaults"), "{message}");
}

#[test]
fn a_bad_url_names_the_variable_it_came_from() {
    let err = load(&[("KANKA_LINK_CLIENT_ID", "1"), ("KANKA_LINK_URL", "not a url")], None).unwrap_err();
    assert!(err.to_string().contains("KANKA_LINK_URL"), "{err}");
    let err = load(&[("KANKA_LINK_CLIENT_ID", "1"), ("KANKA_LINK_API_URL", "ftp://x.example")], None).unwrap_err();
    assert!(matches!(err, Error::InvalidSetting { setting: "api_url", .. }), "{err}");
}

#[test]
fn a_bad_value_in_the_file_names_the_file() {
    let err = load(&[], Some("client_id = \"\"\n")).unwrap_err();
    assert!(matches!(&err, Error::InvalidSetting { origin: Origin::File(_), .. }), "{err}");
    assert!(err.to_string().contains("config.toml"), "{err}");
}

#[test]
fn unknown_keys_in_the_file_are_refused() {
    let err = load(&[], Some("clientid = \"4\"\n")).unwrap_err();
    assert!(err.to_string().contains("clientid"), "{err}");
}

#[test]
fn a_secret_in_the_file_is_refused() {
    let err = load(&[("KANKA_LINK_CLIENT_ID", "1")], Some("client_secret = \"abc\"\n")).unwrap_err();
    assert!(matches!(err, Error::InvalidSetting { setting: "client_secret", .. }), "{err}");
}

#[test]
fn the_secret_comes_from_the_environment() {
    let config = load(&[("KANKA_LINK_CLIENT_ID", "1"), ("KANKA_LINK_CLIENT_SECRET", "s3cret")], None).unwrap();
    assert_eq!(config.client_secret.unwrap().secret(), "s3cret");
}

#[test]
fn server_urls_must_be_https_without_credentials() {
    for bad in [
        "http://kanka.example",
        "https://user:pw@kanka.example",
        "javascript:alert(1)",
        "https://kanka.example/?a=b",
        "file:///etc/passwd",
    ] {
        let settings = SettingsFile { url: Some(bad.to_owned()), ..Default::default() };
        let err = settings.validate().unwrap_err();
        assert!(matches!(err, Error::InvalidSetting { setting: "url", origin: Origin::Input, .. }), "{bad}: {err}");
    }
    let long = format!("https://kanka.example/{}", "a".repeat(MAX_URL_LEN));
    let settings = SettingsFile { url: Some(long), ..Default::default() };
    assert!(settings.validate().unwrap_err().to_string().contains("longer than"));
    let sandbox = SettingsFile { url: Some("http://127.0.0.1:8080".to_owned()), ..Default::default() };
    sandbox.validate().unwrap();
}

#[test]
fn kanka_io_rules_follow_the_kanka_address_in_force() {
    let file = SettingsFile { redirect_uri: Some(DEEP_LINK_CALLBACK.to_owned()), ..Default::default() };
    let none: BTreeMap<&str, &str> = BTreeMap::new();
    assert!(file.validate_in(&none).is_err(), "kanka.io (the default) takes no custom scheme");
    let sandbox: BTreeMap<&str, &str> = [("KANKA_LINK_URL", "http://127.0.0.1:8080")].into();
    file.validate_in(&sandbox).expect("the environment's server takes the deep link");
    let on_file = SettingsFile { url: Some("https://kanka.example".to_owned()), ..file.clone() };
    on_file.validate_in(&none).expect("a self-hosted Kanka in the file takes it too");
    let kanka: BTreeMap<&str, &str> = [("KANKA_LINK_URL", "https://app.kanka.io")].into();
    assert!(on_file.validate_in(&kanka).is_err(), "the environment's kanka.io wins over the file");
}

#[test]
fn redirect_uris_are_classified() {
    let check = |uri: &str| parse_redirect_uri(uri, &Origin::Input).map(|(_, r)| r);
    assert_eq!(check("kanka-link://oauth/callback").unwrap(), Redirect::DeepLink);
    assert_eq!(check("https://bridge.example/kanka/").unwrap(), Redirect::Bridge);
    assert_eq!(
        check("http://localhost:8765/callback").unwrap(),
        Redirect::Loopback { host: LoopbackHost::Localhost, port: 8765, path: "/callback".to_owned() }
    );
    assert_eq!(
        check("http://127.0.0.1:9/cb").unwrap(),
        Redirect::Loopback { host: LoopbackHost::Ipv4, port: 9, path: "/cb".to_owned() }
    );
    for bad in
        ["http://localhost/cb", "http://example.com:80/cb", "kanka-link://other", "ftp://x/y", "https://u:p@b.example/"]
    {
        assert!(check(bad).is_err(), "{bad}");
    }
}

#[test]
fn with_kanka_io_a_redirect_its_form_refuses_is_flagged_before_saving() {
    for (bad, why) in [
        ("kanka-link://oauth/callback", "http or https"),
        ("http://127.0.0.1:47813/kanka-link/callback", "IP address"),
        ("http://[::1]:47813/kanka-link/callback", "IP address"),
    ] {
        for url in [None, Some("https://app.kanka.io")] {
            let settings =
                SettingsFile { url: url.map(str::to_owned), redirect_uri: Some(bad.to_owned()), ..Default::default() };
            let err = settings.validate().unwrap_err();
            assert!(matches!(err, Error::InvalidSetting { setting: "redirect_uri", .. }), "{bad}: {err}");
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
        // Other servers (self-hosted, the sandbox) may take them.
        let settings = SettingsFile {
            url: Some("http://127.0.0.1:8080".to_owned()),
            redirect_uri: Some(bad.to_owned()),
            ..Default::default()
        };
        settings.validate().unwrap();
    }
    let long = format!("https://bridge.example/{}", "a".repeat(100));
    let settings = SettingsFile { redirect_uri: Some(long), ..Default::default() };
    assert!(settings.validate().unwrap_err().to_string().contains("at most 120 characters"));

    // The same rule when the settings are loaded, naming where the redirect came from.
    let err = load(&[("KANKA_LINK_CLIENT_ID", "12"), ("KANKA_LINK_REDIRECT_URI", "kanka-link://oauth/callback")], None)
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidSetting { setting: "redirect_uri", origin: Origin::Environment(_), .. }),
        "{err}"
    );
    assert!(err.to_string().contains("KANKA_LINK_REDIRECT_URI"), "{err}");
}
