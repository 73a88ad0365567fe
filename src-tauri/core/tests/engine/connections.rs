//! Several connections through the real keychain: two sandbox Kanka servers on two ports, one
//! connection each (two accounts of one sandbox are accounts.rs's). They sign in, refresh and end
//! apart; an answer goes only to the sign-in that waits for it; another Kanka is added from what
//! the user entered; the list is never written back over another process's change; a profile from
//! before there were several keeps its connection.

use kanka_link_core::connections::MAIN;
use kanka_link_core::settings::SettingsInput;
use kanka_link_core::{ClientSecret, Connections, ErrorCode, Linker, State};

use crate::accounts::{SECOND, sign_in_to};
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

/// The settings' own Kanka and client entered in the form: the settings' secret stays theirs. The
/// same one typed again adds the connection; another one is refused at its field, and the settings'
/// connection keeps refreshing with the secret it had.
#[tokio::test]
async fn the_form_never_writes_over_the_settings_secret() {
    let world = World::start().await;
    let mut connections = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    sign_in_to(&connections, MAIN).await;
    let form = |secret: &str| SettingsInput {
        url: world.sandbox.base_url(),
        api_url: world.sandbox.api_url(),
        client_id: world.config.client_id.as_str().to_owned(),
        redirect_uri: world.config.redirect_uri.to_string(),
        client_secret: Some(ClientSecret::new(secret.to_owned())),
    };
    let err = connections.add_server(form("a-typo")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSetting, "{err:?}");
    assert_eq!(err.info().setting.as_deref(), Some("client_secret"));
    assert!(err.to_string().contains("not the secret your settings hold"), "{err}");
    assert_eq!(connections.all().count(), 1, "nothing added");
    assert_eq!(secret_tool_lookup(&format!("client-secret:{}", world.scope())), None, "nothing written");
    connections.get(MAIN).unwrap().refresh_now().await.unwrap();

    let secret = world.sandbox.config().client_secret.clone();
    let slot = connections.add_server(form(&secret)).await.unwrap();
    world.sandbox.sign_in_as(SECOND, "Second Player");
    sign_in_to(&connections, &slot).await;
}

/// Two processes adding accounts at the same moment (the window, and another window or command
/// on the same profile) each add to the list the other left: none is lost, no id is given twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_changing_the_list_at_once_lose_nothing() {
    const EACH: usize = 15;
    let world = World::start().await;
    let process = || {
        let (config, paths, clock) = (world.config.clone(), world.paths(), world.clock.clone());
        tokio::task::spawn_blocking(move || {
            let mut connections = Connections::open(config.clone(), &paths, clock).unwrap();
            (0..EACH).map(|_| connections.add(&config).unwrap()).collect::<Vec<_>>()
        })
    };
    let (one, other) = (process(), process());
    let (one, other) = (one.await.unwrap(), other.await.unwrap());

    let reopened = Connections::open(world.config.clone(), &world.paths(), world.clock.clone()).unwrap();
    let mut listed: Vec<String> = reopened.all().map(|(id, _)| id.to_owned()).filter(|id| id != MAIN).collect();
    let mut added: Vec<String> = one.into_iter().chain(other).collect();
    listed.sort();
    added.sort();
    added.dedup();
    assert_eq!(added.len(), 2 * EACH, "an id was given twice");
    assert_eq!(listed, added, "the list lost a connection one of them added");
}
