//! The code flow against the sandbox over real HTTP, with the real keychain.

use std::collections::HashMap;

use kanka_link_core::{Error, ErrorCode, State};

use crate::common::*;

#[tokio::test]
async fn the_full_code_flow_connects_and_keeps_the_tokens_in_the_keychain() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    assert_eq!(world.linker.status().state, State::Connecting);
    let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(!query.contains_key("scope"), "Kanka has no scopes: {query:?}");

    let callback = world.consent(&request.url, true).await;
    assert!(callback.starts_with("kanka-link://oauth/callback?code="), "{callback}");
    let status = world.linker.handle_callback(&callback).await.unwrap();

    assert_eq!(status.state, State::Connected);
    assert_eq!(status.account.as_ref().unwrap().name, "Sandbox Sage");
    assert_eq!(status.account.as_ref().unwrap().id, 1234);
    let lifetime = status.expires_at.unwrap() - status.refreshed_at.unwrap();
    assert_eq!(lifetime.num_days(), 365);
    assert!(status.last_error.is_none(), "{status:?}");

    // The token request carried exactly Kanka's form fields, plus the PKCE verifier.
    let stats = world.sandbox.stats();
    assert_eq!(stats.code_exchanges, 1);
    assert_eq!(
        stats.last_token_request_fields,
        ["client_id", "client_secret", "code", "code_verifier", "grant_type", "redirect_uri"]
    );
    assert_eq!(stats.last_token_request_accept.as_deref(), Some("application/json"));

    // secret-tool, not our code, finds both tokens in the Secret Service, in separate entries.
    let scope = world.scope();
    assert_eq!(secret_tool_search(&scope), [format!("access-token:{scope}"), format!("refresh-token:{scope}")]);
    let access = secret_tool_lookup(&format!("access-token:{scope}")).expect("the access token is stored");
    assert!(world.sandbox.access_token_is_valid(access.trim()));
    assert_eq!(world.access_token().await, access.trim());
    let refresh = secret_tool_lookup(&format!("refresh-token:{scope}")).unwrap();
    assert!(refresh.starts_with("def50200"));

    // No token in any file we wrote.
    for (path, bytes) in files_under(&world.dir) {
        assert!(!contains(&bytes, access.trim()), "access token in {}", path.display());
        assert!(!contains(&bytes, refresh.trim()), "refresh token in {}", path.display());
    }
}

#[tokio::test]
async fn cancelling_in_kanka_says_so_and_stores_nothing() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let callback = world.consent(&request.url, false).await;
    assert!(callback.contains("error=access_denied"), "{callback}");

    let err = world.linker.handle_callback(&callback).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert_eq!(err.to_string(), "You cancelled the connection in Kanka.");
    let status = world.linker.status();
    assert_eq!(status.state, State::Disconnected);
    assert_eq!(status.last_error.unwrap().message, "You cancelled the connection in Kanka.");
    assert_eq!(world.sandbox.stats().token_requests, CHECK_TOKEN_REQUESTS, "no code exchange");
    assert!(secret_tool_search(&world.scope()).is_empty());
}

#[tokio::test]
async fn a_code_bound_to_another_pkce_challenge_is_refused() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    // An attacker's challenge in the authorization request: our verifier cannot match it.
    let mut forged = request.url.clone();
    let pairs: Vec<(String, String)> =
        request
            .url
            .query_pairs()
            .into_owned()
            .map(|(k, v)| {
                if k == "code_challenge" {
                    (k, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = world.consent(&forged, true).await;

    let err = world.linker.handle_callback(&callback).await.unwrap_err();
    assert!(matches!(&err, Error::InvalidGrant { description } if description.contains("invalid")), "{err:?}");
    assert_eq!(world.sandbox.stats().invalid_grant, 1);
    assert_eq!(world.linker.status().state, State::Error);
    assert!(secret_tool_search(&world.scope()).is_empty());
}

#[tokio::test]
async fn a_replayed_code_fails_and_the_connection_stays() {
    let world = World::start().await;
    let request = world.linker.begin_connect().await.unwrap();
    let first = world.consent(&request.url, true).await;
    world.linker.handle_callback(&first).await.unwrap();
    let token = world.access_token().await;

    // A new attempt answered with the old, spent code.
    let retry = world.linker.begin_connect().await.unwrap();
    let state = retry.url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let old_code = url::Url::parse(&first).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let mut replay = url::Url::parse(DEEP_LINK).unwrap();
    replay.query_pairs_mut().append_pair("code", &old_code).append_pair("state", &state);

    let err = world.linker.handle_callback(replay.as_str()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidGrant { .. }), "{err:?}");
    let status = world.linker.status();
    assert_eq!(status.state, State::Connected, "{status:?}");
    assert_eq!(status.last_error.unwrap().code, ErrorCode::InvalidGrant);
    assert_eq!(world.access_token().await, token);
    assert!(world.sandbox.access_token_is_valid(&token));
}

#[tokio::test]
async fn a_wrong_client_secret_is_reported_as_such() {
    let world = Setup { secret: Some("not-the-secret".to_owned()), ..Setup::default() }.start().await;
    // Before any browser opens, not after the user approved (the setup check, check.rs).
    let err = world.linker.begin_connect().await.unwrap_err();
    assert!(matches!(err, Error::SecretRefused { .. }), "{err:?}");
    let status = world.linker.status();
    assert_eq!(status.state, State::Error);
    assert!(status.last_error.unwrap().hint.unwrap().contains("secret Kanka showed"));
    assert_eq!(world.sandbox.stats().invalid_client, 1);
    assert_eq!(world.sandbox.stats().consents_shown, 0);
}

#[tokio::test]
async fn the_client_secret_can_live_in_the_keychain() {
    let world = Setup { secret: None, ..Setup::default() }.start().await;
    let err = world.linker.begin_connect().await.unwrap_err();
    assert!(matches!(err, Error::MissingClientSecret { .. }), "{err:?}");
    assert_eq!(world.sandbox.stats().token_requests, 0, "no request without a secret");

    let secret = world.sandbox.config().client_secret.clone();
    world.linker.save_client_secret(kanka_link_core::ClientSecret::new(secret.clone())).await.unwrap();
    let scope = world.scope();
    assert_eq!(secret_tool_lookup(&format!("client-secret:{scope}")).as_deref(), Some(secret.as_str()));
    world.connect().await;
}

#[tokio::test]
async fn a_restarted_app_is_still_connected() {
    let world = World::start().await;
    world.connect().await;
    let token = world.access_token().await;
    let restarted = world.open_another();
    let status = restarted.status();
    assert_eq!(status.state, State::Connected);
    assert_eq!(status.account.unwrap().name, "Sandbox Sage");
    assert_eq!(restarted.access_token().await.unwrap().secret(), &token);
    assert_eq!(world.sandbox.stats().code_exchanges, 1, "no second sign-in");
}

#[tokio::test]
async fn disconnecting_forgets_every_token_and_says_where_to_revoke() {
    let world = World::start().await;
    world.connect().await;
    let notice = world.linker.disconnect().await.unwrap();
    assert!(notice.message.contains("no way for an app to revoke"), "{}", notice.message);
    assert_eq!(notice.settings_url.as_str(), format!("{}/settings/api", world.sandbox.base_url()));
    assert_eq!(world.linker.status().state, State::Disconnected);
    assert!(secret_tool_search(&world.scope()).is_empty());
    assert!(files_under(&world.paths().data_dir).iter().all(|(path, _)| path.extension().is_some_and(|e| e == "lock")));
    assert!(matches!(world.linker.access_token().await, Err(Error::NotConnected)));
    assert_eq!(world.open_another().status().state, State::Disconnected);
}

#[tokio::test]
async fn a_refresh_rotates_the_pair_and_the_old_refresh_token_is_refused() {
    let world = World::start().await;
    let first = world.connect().await;
    let scope = world.scope();
    let old_refresh = secret_tool_lookup(&format!("refresh-token:{scope}")).unwrap();
    let old_access = world.access_token().await;

    let status = world.linker.refresh_now().await.unwrap();
    assert!(status.refreshed_at > first.refreshed_at);
    let new_refresh = secret_tool_lookup(&format!("refresh-token:{scope}")).unwrap();
    let new_access = world.access_token().await;
    assert_ne!(new_refresh, old_refresh);
    assert_ne!(new_access, old_access);
    assert!(world.sandbox.access_token_is_valid(&new_access));
    assert!(!world.sandbox.access_token_is_valid(&old_access), "the old access token was revoked");

    // Kanka refuses the old refresh token now: we must never send it again.
    let config = world.sandbox.config();
    let answer = browser()
        .post(format!("{}/oauth/token", world.sandbox.base_url()))
        .header("Accept", "application/json")
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh.trim()),
            ("client_id", config.client_id.as_str()),
            ("client_secret", config.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("\"error\":\"invalid_grant\""));
    // That refusal was our probe, not the engine: the engine itself never reused a token.
    assert_eq!(world.sandbox.stats().refresh_token_reuse, 1);
    assert_eq!(world.linker.status().state, State::Connected);
}
