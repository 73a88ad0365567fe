//! Two accounts of one Kanka server and client, through the real keychain: the browser signs in to
//! the sandbox as one, then as the other. They sign in, refresh, are revoked and end apart; an
//! account is never held twice; two sign-ins on one `localhost` redirect are told apart.

use kanka_link_core::connections::MAIN;
use kanka_link_core::{Connections, ErrorCode, State};

use crate::common::*;

/// The second Kanka account of the sandbox (the first is Sandbox Sage, 1234).
pub(crate) const SECOND: u64 = 5678;

/// One sandbox, two of its accounts: the settings' connection signs in as Sandbox Sage, then the
/// browser signs in to Kanka as another user and "Connect another account" signs that one in.
async fn two_accounts(world: &World) -> (Connections, String) {
    let mut connections = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    sign_in_to(&connections, MAIN).await;
    let slot = connections.add(&world.config).unwrap();
    world.sandbox.sign_in_as(SECOND, "Second Player");
    sign_in_to(&connections, &slot).await;
    (connections, slot)
}

pub(crate) async fn sign_in_to(connections: &Connections, id: &str) {
    let request = connections.get(id).unwrap().begin_connect().await.unwrap();
    let answer = consent(&request.url, true).await;
    let (answered, status) = connections.handle_callback(&answer).await.unwrap();
    assert_eq!((answered.as_str(), status.state), (id, State::Connected), "{status:?}");
}

#[tokio::test]
async fn two_accounts_on_one_server_connect_refresh_and_end_apart() {
    let world = World::start().await;
    let (mut connections, slot) = two_accounts(&world).await;
    let (a, b) = (connections.get(MAIN).unwrap().clone(), connections.get(&slot).unwrap().clone());
    assert_eq!(a.status().account.unwrap().id, 1234);
    assert_eq!(b.status().account.unwrap().name, "Second Player");
    assert_eq!(world.sandbox.stats().consents_shown, 2, "the second account was asked, not skipped");
    let token_a = a.access_token().await.unwrap().secret().clone();
    assert_ne!(b.access_token().await.unwrap().secret(), &token_a);
    assert_eq!(connections.select(Some("Second Player"), None).unwrap().0, slot);
    assert_eq!(connections.select(Some("1234"), Some(&world.sandbox.base_url())).unwrap().0, MAIN);

    // The second refreshes on its own: the first's pair is untouched and still works.
    b.refresh_now().await.unwrap();
    assert_eq!(world.sandbox.stats().refreshes, 1);
    assert_eq!(a.access_token().await.unwrap().secret(), &token_a);
    assert!(world.sandbox.access_token_is_valid(&token_a));

    // The second account revokes Kanka Link in its Kanka settings: that connection needs a new
    // sign-in, the first stays connected and refreshes.
    world.sandbox.revoke_user(SECOND);
    let err = b.refresh_now().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReconnectNeeded, "{err:?}");
    assert!(err.to_string().starts_with("Second Player needs to sign in"), "{err}");
    assert_eq!(a.status().state, State::Connected);
    a.refresh_now().await.unwrap();

    // The second disconnected and removed: the first's keychain items stay, the second's are gone.
    b.disconnect().await.unwrap();
    connections.remove(&slot).unwrap();
    let scope_b = format!("{}#{slot}", world.scope());
    assert_eq!(secret_tool_search(&scope_b), Vec::<String>::new());
    assert_eq!(
        secret_tool_search(&world.scope()),
        [format!("access-token:{}", world.scope()), format!("refresh-token:{}", world.scope())]
    );
    assert_eq!(a.status().state, State::Connected);
}

/// "Connect another account" while the browser is still signed in to Kanka as the first account:
/// Kanka skips its consent page and hands back that account. Kanka Link keeps no second connection
/// of it, says why and what to do, and the first connection is untouched.
#[tokio::test]
async fn a_second_sign_in_of_an_account_already_connected_is_not_kept() {
    let world = World::start().await;
    let mut connections = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    sign_in_to(&connections, MAIN).await;
    let a = connections.get(MAIN).unwrap().clone();
    let token_a = a.access_token().await.unwrap().secret().clone();
    let slot = connections.add(&world.config).unwrap();
    let b = connections.get(&slot).unwrap().clone();

    let request = b.begin_connect().await.unwrap();
    let answer = consent(&request.url, true).await;
    assert_eq!(world.sandbox.stats().consents_skipped, 1, "Kanka asked nothing");
    let err = connections.handle_callback(&answer).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccountAlreadyConnected, "{err:?}");
    assert!(err.to_string().starts_with("Sandbox Sage (account 1234) is already connected"), "{err}");
    assert!(err.hint().unwrap().contains("Log out of Kanka"), "{:?}", err.hint());
    let status = b.status();
    assert_eq!(status.state, State::Disconnected, "{status:?}");
    assert_eq!(status.account, None);
    assert_eq!(status.last_error.map(|e| e.code), Some(ErrorCode::AccountAlreadyConnected));
    let scope_b = format!("{}#{slot}", world.scope());
    assert_eq!(secret_tool_search(&scope_b), Vec::<String>::new(), "the duplicate's tokens are not kept");
    // A reopened list has the slot, empty: nothing names the account twice.
    let reopened = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    assert_eq!(reopened.select(Some("Sandbox Sage"), None).unwrap().0, MAIN);

    // The first connection is untouched.
    assert_eq!(a.status().state, State::Connected);
    assert_eq!(a.access_token().await.unwrap().secret(), &token_a);
    assert!(world.sandbox.access_token_is_valid(&token_a));

    // Signed in to Kanka as the other account, the same connection connects.
    world.sandbox.sign_in_as(SECOND, "Second Player");
    sign_in_to(&connections, &slot).await;
    assert_eq!(b.status().account.unwrap().id, SECOND);
    connections.remove(&slot).unwrap();
}

/// Two accounts of one client with a `localhost` redirect share its port: while one sign-in
/// listens there, the other is told which sign-in holds it (not that "another program" does),
/// and the first still completes; then the second connects.
#[tokio::test]
async fn a_second_sign_in_on_the_same_loopback_port_is_told_which_one_waits() {
    let port = crate::loopback::free_port();
    let world = Setup::default().loopback(&format!("http://127.0.0.1:{port}/cb")).start().await;
    let mut connections = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    let slot = connections.add(&world.config).unwrap();
    let (a, b) = (connections.get(MAIN).unwrap().clone(), connections.get(&slot).unwrap().clone());

    let request = a.begin_connect().await.unwrap();
    let err = b.begin_connect().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignInWaiting, "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("Another sign-in of Kanka Link (a new connection's, on http://127.0.0.1:"),
        "{message}"
    );
    assert!(message.ends_with(&format!("is waiting for Kanka's answer on http://127.0.0.1:{port}/cb.")), "{message}");
    assert!(err.hint().unwrap().contains("cancel it"), "{:?}", err.hint());
    assert_ne!(b.status().state, State::Connecting, "the second started nothing");

    // The first's listener still answers the browser.
    let location = consent(&request.url, true).await;
    assert_eq!(browser().get(&location).send().await.unwrap().status(), 200);
    wait_for_status(&a, "the first connected", |s| s.state == State::Connected).await;

    world.sandbox.sign_in_as(SECOND, "Second Player");
    let request = b.begin_connect().await.unwrap();
    let location = consent(&request.url, true).await;
    assert_eq!(browser().get(&location).send().await.unwrap().status(), 200);
    let status = wait_for_status(&b, "the second connected", |s| s.state == State::Connected).await;
    assert_eq!(status.account.unwrap().id, SECOND);
}

/// Two "Connect another account" whose sign-ins finish at the same moment, with the browser
/// signed in as one account: one connection keeps it, the other is refused, never both. Rounds
/// of fresh accounts, so that the two answers land together more than once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sign_ins_of_one_account_finishing_at_once_keep_it_once() {
    let world = World::start().await;
    let mut connections = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    for round in 0..12 {
        world.sandbox.sign_in_as(9000 + round, &format!("Player {round}"));
        let ids = [connections.add(&world.config).unwrap(), connections.add(&world.config).unwrap()];
        let mut answers = Vec::new();
        for id in &ids {
            let request = connections.get(id).unwrap().begin_connect().await.unwrap();
            answers.push(consent(&request.url, true).await);
        }
        // Each on a task of its own, as two deep links are: on two threads at once.
        let answer = |url: String| {
            let connections = connections.clone();
            tokio::spawn(async move { connections.handle_callback(&url).await })
        };
        let (one, other) = (answer(answers[0].clone()), answer(answers[1].clone()));
        let (one, other) = (one.await.unwrap(), other.await.unwrap());
        let refused: Vec<ErrorCode> =
            [&one, &other].iter().filter_map(|r| r.as_ref().err().map(|e| e.code())).collect();
        assert_eq!(refused, [ErrorCode::AccountAlreadyConnected], "round {round}: {one:?} / {other:?}");
        let holding = ids.iter().filter(|id| connections.get(id).unwrap().status().account.is_some()).count();
        assert_eq!(holding, 1, "round {round}: the account is held by both");
    }
}
