//! Several connections through the real keychain: two sandbox Kanka servers on two ports, one
//! connection each, and two accounts of one sandbox. They sign in, refresh and end apart; an answer
//! goes only to the sign-in that waits for it; an account is never held twice; a profile from
//! before there were several keeps its connection.

use kanka_link_core::connections::MAIN;
use kanka_link_core::settings::SettingsInput;
use kanka_link_core::{ClientSecret, Connections, ErrorCode, Linker, State};

use crate::common::*;

/// The settings' server (`a`) and a second one (`b`), both known to one `Connections` on A's files.
struct Two {
    a: World,
    b: World,
    connections: Connections,
}

impl Two {
    async fn start() -> Two {
        let a = World::start().await;
        let b = World::start().await;
        let mut connections = Connections::open(a.config.clone(), &a.paths(), a.clock.clone()).unwrap();
        let slot = connections.add(&b.config).unwrap();
        // B's client secret: the user enters it for B's server and client, as for the settings'.
        let secret = ClientSecret::new(b.sandbox.config().client_secret.clone());
        connections.get(&slot).unwrap().save_client_secret(secret).await.unwrap();
        Two { a, b, connections }
    }

    fn linker(&self, id: &str) -> &Linker {
        self.connections.get(id).unwrap()
    }

    /// Signs in to one connection as a user does, the answer delivered as a deep link is: to
    /// whichever connection waits for it.
    async fn connect(&self, id: &str) {
        let request = self.linker(id).begin_connect().await.unwrap();
        let answer = consent(&request.url, true).await;
        let (answered, status) = self.connections.handle_callback(&answer).await.unwrap();
        assert_eq!((answered.as_str(), status.state), (id, State::Connected));
    }
}

#[tokio::test]
async fn two_servers_connect_refresh_and_end_apart() {
    let two = Two::start().await;
    two.connect(MAIN).await;
    two.connect("2").await;
    let (a, b) = (two.linker(MAIN), two.linker("2"));
    let token_b = b.access_token().await.unwrap().secret().clone();
    assert_ne!(a.access_token().await.unwrap().secret(), &token_b);
    assert_eq!(two.b.sandbox.stats().code_exchanges, 1, "B's code went to B");
    assert_eq!(two.a.sandbox.stats().code_exchanges, 1, "A's code went to A");

    // A refreshes on its own: B's pair is untouched and still works.
    a.refresh_now().await.unwrap();
    assert_eq!(two.a.sandbox.stats().refreshes, 1);
    assert_eq!(two.b.sandbox.stats().refreshes, 0);
    assert_eq!(b.access_token().await.unwrap().secret(), &token_b);
    assert!(two.b.sandbox.access_token_is_valid(&token_b));

    // B's server revokes everything: B needs a new sign-in, A stays connected.
    two.b.sandbox.revoke_all();
    let err = b.refresh_now().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReconnectNeeded, "{err:?}");
    assert_eq!(b.status().state, State::ReconnectNeeded);
    assert_eq!(a.status().state, State::Connected);
    a.refresh_now().await.unwrap();

    // B disconnected and removed: A's keychain items and record stay.
    b.disconnect().await.unwrap();
    let mut connections = two.connections;
    connections.remove("2").unwrap();
    assert_eq!(
        secret_tool_search(&two.a.scope()),
        [format!("access-token:{}", two.a.scope()), format!("refresh-token:{}", two.a.scope())],
        "A's tokens stay"
    );
    let reopened = Connections::open(two.a.config.clone(), &two.a.paths(), two.a.clock.clone()).unwrap();
    assert_eq!(reopened.all().map(|(id, _)| id).collect::<Vec<_>>(), [MAIN]);
    assert_eq!(reopened.default_linker().status().state, State::Connected);
}

/// RFC 9700 §4.4 (mix-up): Kanka sends no `iss`, so an answer is matched to a sign-in by its
/// `state` alone, and its code goes only to the token endpoint of that sign-in's server.
#[tokio::test]
async fn an_answer_goes_only_to_the_sign_in_that_waits_for_it() {
    let two = Two::start().await;
    let (a, b) = (two.linker(MAIN), two.linker("2"));
    let request_a = a.begin_connect().await.unwrap();
    let answer_a = consent(&request_a.url, true).await;
    let request_b = b.begin_connect().await.unwrap();
    let b_token_requests = two.b.sandbox.stats().token_requests;

    // A's answer, with B's sign-in waiting too: A takes it.
    let (answered, _) = two.connections.handle_callback(&answer_a).await.unwrap();
    assert_eq!(answered, MAIN);
    assert_eq!(a.status().state, State::Connected);
    assert_eq!(b.status().state, State::Connecting, "B still waits for its own answer");

    // A's answer again (a replay, or an attacker's page): nobody's sign-in waits for its state,
    // so it is refused, and nothing reaches B's token endpoint.
    let err = two.connections.handle_callback(&answer_a).await.unwrap_err();
    assert!(err.code().is_stray_callback(), "{err:?}");
    assert_eq!(two.b.sandbox.stats().token_requests, b_token_requests);
    assert_eq!(b.status().state, State::Connecting);

    // B's own answer still completes B's sign-in.
    let answer_b = consent(&request_b.url, true).await;
    let (answered, status) = two.connections.handle_callback(&answer_b).await.unwrap();
    assert_eq!((answered.as_str(), status.state), ("2", State::Connected));
    assert_eq!(two.a.sandbox.stats().code_exchanges, 1);
    assert_eq!(two.b.sandbox.stats().code_exchanges, 1);
}

/// Kanka Link 0.1.0 knew one connection: its keychain items and status file are the settings'
/// connection's, so opening several keeps it without a new sign-in.
#[tokio::test]
async fn a_connection_from_before_there_were_several_is_kept() {
    let world = World::start().await;
    world.connect().await;
    let token = world.access_token().await;
    assert!(!world.paths().data_dir.join("connections.json").exists());

    let connections = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    assert_eq!(connections.default_id(), MAIN);
    let main = connections.default_linker();
    assert_eq!(main.status().state, State::Connected);
    assert_eq!(main.status().account.unwrap().name, "Sandbox Sage");
    assert_eq!(main.access_token().await.unwrap().secret(), &token);
}

#[tokio::test]
async fn commands_name_a_connection_by_account_or_server_and_the_default_is_kept() {
    let mut two = Two::start().await;
    two.connect(MAIN).await;
    two.connect("2").await;
    let server_b = two.b.sandbox.base_url();

    let (id, _) = two.connections.select(None, None).unwrap();
    assert_eq!(id, MAIN);
    let (id, _) = two.connections.select(None, Some(&server_b)).unwrap();
    assert_eq!(id, "2");
    // Both sandboxes sign in "Sandbox Sage" (id 1234): the account alone names two.
    let Err(err) = two.connections.select(Some("Sandbox Sage"), None) else { panic!("one of two") };
    assert_eq!(err.code(), ErrorCode::AmbiguousConnection);
    let (id, _) = two.connections.select(Some("1234"), Some(&server_b)).unwrap();
    assert_eq!(id, "2");
    let Err(err) = two.connections.select(Some("Nobody"), None) else { panic!("nobody matched") };
    assert_eq!(err.code(), ErrorCode::NoSuchConnection);
    assert!(err.hint().unwrap().contains(&server_b), "the hint lists what there is: {:?}", err.hint());

    two.connections.set_default("2").unwrap();
    let reopened = Connections::open(two.a.config.clone(), &two.a.paths(), two.a.clock.clone()).unwrap();
    assert_eq!(reopened.default_id(), "2");
    assert_eq!(reopened.default_linker().config().kanka_url, two.b.config.kanka_url);
    assert!(two.connections.set_default("9").is_err());
}

#[tokio::test]
async fn a_damaged_list_of_connections_is_named() {
    let world = World::start().await;
    let path = world.paths().data_dir.join("connections.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{ not json").unwrap();
    let Err(err) = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()) else {
        panic!("a damaged list opened");
    };
    assert_eq!(err.code(), ErrorCode::Storage);
    assert!(err.to_string().contains("list of connections"), "{err}");
    assert!(!err.to_string().contains("not json"), "the file's text is not echoed: {err}");
}

/// The second Kanka account of the sandbox (the first is Sandbox Sage, 1234).
const SECOND: u64 = 5678;

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

async fn sign_in_to(connections: &Connections, id: &str) {
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

/// A second Kanka added as the user fills in its server, API, client and secret ("Connect another
/// account" on a test server beside kanka.io): checked first, the secret in the keychain under
/// that server and client, then signed in to apart from the settings' own.
#[tokio::test]
async fn another_kanka_is_added_from_what_the_user_entered() {
    let a = World::start().await;
    let b = World::start().await;
    let mut connections = Connections::open(a.config.clone(), &a.paths(), a.clock.clone()).unwrap();
    let form = |url: String, secret: Option<&str>| SettingsInput {
        url,
        api_url: b.sandbox.api_url(),
        client_id: b.config.client_id.as_str().to_owned(),
        redirect_uri: b.config.redirect_uri.to_string(),
        client_secret: secret.map(|s| ClientSecret::new(s.to_owned())),
    };
    let list = a.paths().data_dir.join("connections.json");

    // A wrong address names the field and the form; nothing is written.
    let err = connections.add_server(form("ftp://kanka.example".into(), Some("s"))).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSetting, "{err:?}");
    assert!(err.hint().unwrap().contains("the form for another Kanka server"), "{:?}", err.hint());
    // No secret for a client the keychain does not know: said, nothing added.
    let err = connections.add_server(form(b.sandbox.base_url(), None)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::MissingClientSecret, "{err:?}");
    assert!(!list.exists() && connections.all().count() == 1, "nothing added");
    assert_eq!(secret_tool_lookup(&format!("client-secret:{}", b.scope())), None);

    let secret = b.sandbox.config().client_secret.clone();
    let slot = connections.add_server(form(format!(" {} ", b.sandbox.base_url()), Some(&secret))).await.unwrap();
    assert_eq!(
        secret_tool_lookup(&format!("client-secret:{}", b.scope())),
        Some(secret),
        "under B's server and client"
    );
    let added = connections.get(&slot).unwrap().clone();
    assert_eq!(added.config().kanka_url, b.config.kanka_url);
    sign_in_to(&connections, &slot).await;
    assert_eq!(b.sandbox.stats().code_exchanges, 1);
    assert_eq!(a.sandbox.stats().token_requests, 0, "nothing went to the settings' Kanka");
    let reopened = Connections::open(a.config.clone(), &a.paths(), a.clock.clone()).unwrap();
    assert_eq!(reopened.get(&slot).unwrap().status().state, State::Connected);

    // A second account there needs no secret again: the keychain has B's.
    b.sandbox.sign_in_as(SECOND, "Second Player");
    let again = connections.add_server(form(b.sandbox.base_url(), None)).await.unwrap();
    sign_in_to(&connections, &again).await;
    assert_eq!(connections.get(&again).unwrap().status().account.unwrap().id, SECOND);
}

/// The window keeps its list while `kanka-link switch` and `disconnect` change the file: a change
/// the window makes afterwards is made to the list as it is now, never to its older copy.
#[tokio::test]
async fn a_change_to_the_list_never_writes_back_what_another_process_removed() {
    let world = World::start().await;
    let mut window = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    let second = window.add(&world.config).unwrap();
    let third = window.add(&world.config).unwrap();

    // Another process: the third goes, the second becomes the default.
    let mut command = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    command.remove(&third).unwrap();
    command.set_default(&second).unwrap();

    // The window adds one more, on its old copy of the list.
    let fourth = window.add(&world.config).unwrap();
    assert_ne!(fourth, third, "an id the window knew is not given again: its card and timer may still run");
    let ids = |c: &Connections| c.all().map(|(id, _)| id.to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(&window), [MAIN.to_owned(), second.clone(), fourth.clone()]);
    assert_eq!(window.default_id(), second, "the other process's default holds");
    let reopened = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    assert_eq!(ids(&reopened), [MAIN.to_owned(), second.clone(), fourth]);
    assert_eq!(reopened.default_id(), second);
}
