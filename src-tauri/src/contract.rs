//! The contract with the page: `ui/src/generated/contract.ts` is generated from the Rust types
//! that cross to it (ts-rs, honouring their serde renames), and the page imports its types from
//! there, so a renamed code, state or field breaks `tsc` instead of the page. The test here fails
//! when the committed file is not what the types generate now; `npm run contract` rewrites it.
//! `samples.json` beside it holds values the Rust code makes (a settings view, errors), which the
//! UI tests (tests/ui) feed to the page's code, so a changed value breaks them too.
//! Test builds only: ts-rs is a dev-dependency, and the core's `ts` feature is on only for them.

use std::collections::BTreeMap;
use std::path::Path;

use kanka_link_core::{
    Account, AuthorizeProbe, Config as Settings, DisconnectNotice, Error, ErrorCode, ErrorInfo, ProbeOutcome,
    SetupReport, Sources, State, Status, TokenProbe, Verdict,
};
use ts_rs::{Config, TS};

use crate::models::{
    ConnectionAdded, ConnectionStatus, OriginKind, SettingOrigins, SettingValues, SettingVariables, SettingsForm,
    SettingsView, SetupInfo, SignInPage,
};

/// The files, from the crate's folder (src-tauri).
const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/generated/contract.ts");
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/generated/samples.json");
/// Set (to anything) to write the file instead of comparing it: `npm run contract`.
const WRITE: &str = "KANKA_LINK_WRITE_CONTRACT";

const HEADER: &str = "\
// Generated from the Rust types by `npm run contract` (src-tauri/src/contract.rs, ts-rs): do not
// edit. `npm test` fails when this file is not what the Rust types generate.
";

fn declaration<T: TS>(config: &Config, out: &mut String) {
    out.push('\n');
    out.push_str(&T::docs().unwrap_or_default());
    out.push_str("export ");
    out.push_str(&T::decl(config));
    out.push('\n');
}

/// Every type the page receives or sends, in one module.
fn generate() -> String {
    // JSON has one kind of number: a u64 (an account id) arrives as a number.
    let config = Config::new().with_large_int("number");
    let mut out = HEADER.to_owned();
    declaration::<ErrorCode>(&config, &mut out);
    declaration::<ErrorInfo>(&config, &mut out);
    declaration::<Account>(&config, &mut out);
    declaration::<State>(&config, &mut out);
    declaration::<Status>(&config, &mut out);
    declaration::<SignInPage>(&config, &mut out);
    declaration::<ConnectionStatus>(&config, &mut out);
    declaration::<ConnectionAdded>(&config, &mut out);
    declaration::<DisconnectNotice>(&config, &mut out);
    declaration::<OriginKind>(&config, &mut out);
    declaration::<SettingValues>(&config, &mut out);
    declaration::<SettingOrigins>(&config, &mut out);
    declaration::<SettingVariables>(&config, &mut out);
    declaration::<SettingsView>(&config, &mut out);
    declaration::<SettingsForm>(&config, &mut out);
    declaration::<SetupInfo>(&config, &mut out);
    declaration::<Verdict>(&config, &mut out);
    declaration::<ProbeOutcome>(&config, &mut out);
    declaration::<TokenProbe>(&config, &mut out);
    declaration::<AuthorizeProbe>(&config, &mut out);
    declaration::<SetupReport>(&config, &mut out);
    out
}

/// A config file that is not there: the samples come from the environment given and the defaults.
const NO_FILE: &str = "/nonexistent/kanka-link/config.toml";

fn environment<'a>(vars: &[(&'a str, &'a str)]) -> BTreeMap<&'a str, &'a str> {
    vars.iter().copied().collect()
}

/// What checking these settings says is wrong.
fn refusal(vars: &[(&str, &str)]) -> ErrorInfo {
    match Settings::from_sources(&environment(vars), Path::new(NO_FILE)) {
        Ok(_) => panic!("the settings {vars:?} were accepted"),
        Err(error) => error.info(),
    }
}

/// Values as the Rust code makes them, for the UI tests.
fn samples() -> String {
    let vars = [("KANKA_LINK_API_URL", "http://127.0.0.1:8123/1.0"), ("KANKA_LINK_CLIENT_SECRET", "not-a-secret")];
    let sources = Sources::gather(&environment(&vars), Path::new(NO_FILE)).unwrap();
    let samples = serde_json::json!({
        "//": "Generated from the Rust code by `npm run contract` (src-tauri/src/contract.rs): do not edit.",
        "settings_view": SettingsView::new(&sources, false, NO_FILE.to_owned()),
        "unset_client_id": refusal(&[]),
        "bad_api_url": refusal(&[("KANKA_LINK_CLIENT_ID", "7"), ("KANKA_LINK_API_URL", "ftp://x.example")]),
        "missing_client_secret": Error::MissingClientSecret { client_id: "7".to_owned() }.info(),
        "invalid_client": Error::InvalidClient.info(),
        "network": Error::Network { host: "app.kanka.io".to_owned(), detail: "offline".to_owned() }.info(),
        "account_already_connected": Error::AccountAlreadyConnected {
            account: "Sandbox Sage".to_owned(),
            id: 1234,
            server: "http://127.0.0.1:8123".to_owned(),
        }
        .info(),
    });
    serde_json::to_string_pretty(&samples).unwrap() + "\n"
}

/// Writes `file` (`npm run contract`), or fails when the committed one is not `generated`.
fn check(file: &str, generated: &str) {
    let name = file.rsplit('/').next().unwrap_or(file);
    if std::env::var_os(WRITE).is_some() {
        std::fs::write(file, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(file).unwrap_or_default();
    if committed != generated {
        let differs = committed.lines().zip(generated.lines()).position(|(a, b)| a != b);
        let line = differs.unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "ui/src/generated/{name} is not what the Rust code generates (first difference at line {}):\n\
             committed: {:?}\ngenerated: {:?}\nRun `npm run contract` and commit the file.",
            line + 1,
            committed.lines().nth(line).unwrap_or("(end of file)"),
            generated.lines().nth(line).unwrap_or("(end of file)"),
        );
    }
}

#[test]
fn the_committed_contract_is_what_the_rust_types_generate() {
    check(FILE, &generate());
}

#[test]
fn the_committed_samples_are_what_the_rust_code_makes() {
    check(SAMPLES, &samples());
}

/// The form marks the input an error is about from these fields, never from the message.
#[test]
fn errors_name_their_setting_and_whether_it_is_empty() {
    let unset = refusal(&[]);
    assert_eq!(
        (unset.code, unset.setting.as_deref(), unset.setting_empty),
        (ErrorCode::InvalidSetting, Some("client_id"), true)
    );
    let bad = refusal(&[("KANKA_LINK_CLIENT_ID", "7"), ("KANKA_LINK_API_URL", "ftp://x.example")]);
    assert_eq!((bad.setting.as_deref(), bad.setting_empty), (Some("api_url"), false));
    let named = |error: Error| error.info().setting;
    assert_eq!(named(Error::MissingClientSecret { client_id: "7".to_owned() }).as_deref(), Some("client_secret"));
    assert_eq!(named(Error::InvalidClient).as_deref(), Some("client_id"));
    assert_eq!(named(Error::InvalidRequest { description: "x".to_owned() }).as_deref(), Some("redirect_uri"));
    assert_eq!(named(Error::Network { host: "the setting url".to_owned(), detail: String::new() }), None);
}
