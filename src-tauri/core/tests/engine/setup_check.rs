//! The setup check against the sandbox set up like Kanka: every misconfiguration is named before
//! any sign-in starts, and a server that cannot be reached blocks only settings never checked.

use kanka_link_core::config::{LoopbackHost, Redirect};
use kanka_link_core::{ClientSecret, Config, ErrorCode, Linker, ProbeOutcome, State, Verdict};
use oauth2::ClientId;
use url::Url;

use crate::common::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The world's settings with one changed, as a person mistyping it in Settings.
fn mistyped(world: &World, change: impl FnOnce(&mut Config)) -> Linker {
    let mut config = world.config.clone();
    change(&mut config);
    Linker::open(config, &world.paths(), world.clock.clone())
}

fn loopback(config: &mut Config, port: u16) {
    config.redirect_uri = Url::parse(&format!("http://localhost:{port}/kanka-link/callback")).unwrap();
    config.redirect = Redirect::Loopback { host: LoopbackHost::Localhost, port, path: "/kanka-link/callback".into() };
}

#[tokio::test]
async fn good_settings_pass_with_two_requests_that_spend_nothing() {
    let world = World::start().await;
    let report = world.linker.check_setup().await;
    assert_eq!(report.verdict, Verdict::Passed, "{report:?}");
    assert_eq!((&report.token.outcome, &report.authorize.outcome), (&ProbeOutcome::Passed, &ProbeOutcome::Passed));
    assert_eq!(report.problem, None);
    assert!(report.authorize.summary.contains(DEEP_LINK), "{}", report.authorize.summary);
    let stats = world.sandbox.stats();
    assert_eq!((stats.token_requests, stats.authorize_requests), (1, 1));
    assert_eq!((stats.code_exchanges, stats.consents_shown, stats.consents_skipped), (0, 0, 0));
    assert!(world.sandbox.secrets().codes.is_empty(), "no code was issued");

    // The report goes to the window: no secret in it.
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(&world.sandbox.config().client_secret), "{json}");
    let client = format!("\"client_id\":\"{}\"", world.config.client_id.as_str());
    assert!(json.contains("\"verdict\":\"passed\"") && json.contains(&client), "{json}");
}

#[tokio::test]
async fn a_full_connect_costs_two_extra_requests() {
    let world = World::start().await;
    world.connect().await;
    let stats = world.sandbox.stats();
    // The check's two, the consent page and the code exchange.
    assert_eq!((stats.authorize_requests, stats.token_requests), (2, 2));
    assert_eq!(stats.code_exchanges, 1);
}

#[tokio::test]
async fn an_unknown_client_id_is_named() {
    let world = World::start().await;
    let linker = mistyped(&world, |c| c.client_id = ClientId::new("8".into()));
    let report = linker.check_setup().await;
    assert_eq!(report.verdict, Verdict::SettingWrong);
    assert_eq!(
        (&report.token.outcome, &report.authorize.outcome),
        (&ProbeOutcome::InvalidClient, &ProbeOutcome::InvalidClient)
    );
    let problem = report.problem.unwrap();
    assert_eq!(problem.code, ErrorCode::ClientUnknown);
    assert_eq!(problem.message, format!("Kanka at {} does not know the client id 8.", world.sandbox.base_url()));
    assert!(problem.hint.unwrap().contains("/settings/client/create"));
}

#[tokio::test]
async fn a_wrong_secret_is_named() {
    let world = World::start().await;
    let linker = mistyped(&world, |c| c.client_secret = Some(ClientSecret::new("not-the-secret".into())));
    let report = linker.check_setup().await;
    assert_eq!(report.verdict, Verdict::SettingWrong);
    assert_eq!(
        (&report.token.outcome, &report.authorize.outcome),
        (&ProbeOutcome::InvalidClient, &ProbeOutcome::Passed)
    );
    let problem = report.problem.unwrap();
    assert_eq!(problem.code, ErrorCode::SecretRefused);
    let client = world.config.client_id.as_str();
    assert!(problem.message.contains(&format!("client secret of client {client}")), "{}", problem.message);
    assert!(!serde_json::to_string(&report.token).unwrap().contains("not-the-secret"));
}

#[tokio::test]
async fn a_redirect_not_registered_is_named_with_the_fix() {
    let world = World::start().await;
    let linker = mistyped(&world, |c| loopback(c, 47813));
    let report = linker.check_setup().await;
    assert_eq!(report.verdict, Verdict::SettingWrong);
    assert_eq!(
        (&report.token.outcome, &report.authorize.outcome),
        (&ProbeOutcome::Passed, &ProbeOutcome::InvalidClient)
    );
    let problem = report.problem.unwrap();
    assert_eq!(problem.code, ErrorCode::RedirectNotRegistered);
    assert_eq!(
        problem.message,
        format!(
            "Kanka does not know the redirect URL http://localhost:47813/kanka-link/callback for client {}: copy it \
             into the client's settings in Kanka.",
            world.config.client_id.as_str()
        )
    );
    // Registered in "Kanka", the same settings pass.
    world.sandbox.set_redirect_uris(vec!["http://localhost:47813/kanka-link/callback".into()]);
    assert_eq!(linker.check_setup().await.verdict, Verdict::Passed);
}

#[tokio::test]
async fn a_wrong_setting_refuses_connect_before_anything_starts() {
    let world = World::start().await;
    let port = free_port();
    let linker = mistyped(&world, |c| loopback(c, port));
    let err = linker.begin_connect().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::RedirectNotRegistered, "{err}");
    // No sign-in stored, nothing listening, no consent page asked for: only the check's two requests.
    assert!(linker.pending_request().await.unwrap().is_none());
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err(), "nothing listens");
    let status = linker.status();
    assert_eq!(status.state, State::Error, "{status:?}");
    assert_eq!(status.last_error.unwrap().code, ErrorCode::RedirectNotRegistered);
    let stats = world.sandbox.stats();
    assert_eq!((stats.authorize_requests, stats.token_requests, stats.consents_shown), (1, 1, 0));

    // Fixed in Kanka: the next Connect starts, and the error is gone.
    world.sandbox.set_redirect_uris(vec![format!("http://localhost:{port}/kanka-link/callback")]);
    let request = linker.begin_connect().await.unwrap();
    assert_eq!(linker.status().state, State::Connecting);
    assert!(linker.status().last_error.is_none());
    assert!(linker.pending_request().await.unwrap().is_some());
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok(), "listening now");
    linker.cancel_connect().await.unwrap();
    drop(request);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_before_the_browser_not_after_consent() {
    let world = World::start().await;
    let linker = mistyped(&world, |c| c.client_secret = Some(ClientSecret::new("not-the-secret".into())));
    let err = linker.begin_connect().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::SecretRefused, "{err}");
    assert!(linker.pending_request().await.unwrap().is_none());
    assert_eq!(world.sandbox.stats().consents_shown, 0);
}

#[tokio::test]
async fn an_unreachable_server_blocks_only_settings_that_never_passed() {
    // Never checked: Connect is refused, and says the server could not be reached.
    let World { sandbox, linker, .. } = World::start().await;
    sandbox.shutdown().await;
    let report = linker.check_setup().await;
    assert_eq!(report.verdict, Verdict::Unreachable, "{report:?}");
    assert!(matches!(report.token.outcome, ProbeOutcome::NoAnswer { .. }), "{:?}", report.token);
    let err = linker.begin_connect().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network, "{err}");
    assert!(err.to_string().starts_with("Could not reach 127.0.0.1"), "{err}");
    assert!(linker.pending_request().await.unwrap().is_none());

    // Checked once: the same settings may Connect while the server does not answer.
    let world = World::start().await;
    assert_eq!(world.linker.check_setup().await.verdict, Verdict::Passed);
    let World { sandbox, linker, config, dir, clock, .. } = world;
    sandbox.shutdown().await;
    let request = linker.begin_connect().await.expect("settings that passed go ahead");
    assert!(request.url.as_str().contains("/oauth/authorize"));
    assert_eq!(linker.status().state, State::Connecting);
    linker.cancel_connect().await.unwrap();
    // Another process knows it too (the record file), but not for other settings.
    let paths = kanka_link_core::Paths::under(&dir);
    Linker::open(config.clone(), &paths, clock.clone()).begin_connect().await.expect("the record remembers");
    let mut changed = config;
    changed.client_secret = Some(ClientSecret::new("another-secret".into()));
    let err = Linker::open(changed, &paths, clock).begin_connect().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network, "{err}");
}

#[tokio::test]
async fn without_a_secret_only_the_authorization_endpoint_is_asked() {
    let world = Setup { secret: None, ..Setup::default() }.start().await;
    let report = world.linker.check_setup().await;
    assert_eq!(report.token.outcome, ProbeOutcome::NotAsked);
    assert_eq!(report.authorize.outcome, ProbeOutcome::Passed);
    assert_eq!(report.problem.unwrap().code, ErrorCode::MissingClientSecret);
    let stats = world.sandbox.stats();
    assert_eq!((stats.token_requests, stats.authorize_requests), (0, 1));
}
