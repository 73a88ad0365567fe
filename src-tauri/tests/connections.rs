//! Several connections through the real `kanka-link` binary, the private session's keychain and
//! two sandbox Kanka servers on loopback: the settings' own (A) and a second one added beside it
//! (B, whose user is "Bard Two"). `status` lists both and its JSON keeps its shape; `token`,
//! `exec`, `refresh` and `disconnect` work on the connection `--account` or `--server` names, else
//! on the default, which `switch` changes; what happens to one never touches the other. Two
//! accounts of one server are told apart by `--account`.

use std::process::Output;
use std::time::Duration;

use kanka_link_core::{State, Status};
use kanka_test_support::secret_tool_search;
use serde_json::Value;

mod machine;

use machine::{Machine, Other};

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
const BARD: &str = "Bard Two";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Machine {
    /// A's server, as `status` shows it.
    fn server(&self) -> String {
        self.sandbox.base_url().trim_end_matches('/').to_owned()
    }

    /// The token a successful command printed.
    fn token(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "kanka-link {args:?}: {}", text(&output.stderr));
        text(&output.stdout).trim().to_owned()
    }

    fn all(&self) -> Vec<Value> {
        let output = self.run(&["status", "--json", "--all"]);
        match serde_json::from_slice(&output.stdout) {
            Ok(Value::Array(all)) => all,
            other => panic!("`status --json --all` is not an array ({other:?}): {}", text(&output.stdout)),
        }
    }
}

/// A failure that says `words` on stderr, exit 1, and prints nothing (no token).
fn refused(output: &Output, words: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "printed: {}", text(&output.stdout));
    assert!(stderr.contains(words), "{words:?} in {stderr}");
}

async fn two(name: &str, b_lifetime: Duration) -> (Machine, Other) {
    let machine = Machine::start(name, YEAR).await;
    machine.connect().await;
    let b = machine.add_server(BARD, b_lifetime).await;
    (machine, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_every_connection_and_its_json_keeps_its_shape() {
    let machine = Machine::start("connections", YEAR).await;
    machine.connect().await;
    let one = machine.run(&["status", "--json"]);
    let one_text = machine.run(&["status"]);
    assert!(one_text.status.success());
    assert!(text(&one_text.stdout).starts_with(&format!("Kanka Link for {} (client 7)\n", machine.server())));

    let b = machine.add_server(BARD, YEAR).await;
    // Scripts keep working: the default connection's object, byte for byte as with one.
    let json = machine.run(&["status", "--json"]);
    assert!(json.status.success());
    assert_eq!(text(&json.stdout), text(&one.stdout), "status --json with a second connection");
    assert_eq!(machine.status().account.unwrap().name, "Sandbox Sage");

    let listed = machine.run(&["status"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed = text(&listed.stdout);
    let a_head = format!("Kanka Link for {} (client 7), connection main (the default)\n", machine.server());
    let b_head = format!("Kanka Link for {} (client 7), connection {}\n", b.server(), b.id);
    assert!(listed.starts_with(&a_head), "{listed}");
    assert!(listed.contains(&format!("\n\n{b_head}  Connected as {BARD} (account 1234)\n")), "{listed}");
    assert!(listed.contains("Connected as Sandbox Sage (account 1234)"), "{listed}");
    assert_eq!(listed.matches("Token expires:").count(), 2, "{listed}");
    assert_eq!(listed.matches("Next refresh:").count(), 2, "{listed}");

    // One named: that one alone.
    let named = text(&machine.run(&["status", "--account", BARD]).stdout);
    assert!(named.starts_with(&b_head) && !named.contains("Sandbox Sage"), "{named}");

    // Every connection: the object each would print, with its id, server and whether it is the default.
    let all = machine.all();
    assert_eq!(all.len(), 2, "{all:?}");
    for (entry, (id, server, default, user)) in
        all.iter().zip([("main", machine.server(), true, "Sandbox Sage"), (b.id.as_str(), b.server(), false, BARD)])
    {
        assert_eq!(entry["id"], id);
        assert_eq!(entry["server"], server.as_str());
        assert_eq!(entry["default"], default);
        let mut object = entry.as_object().unwrap().clone();
        for added in ["id", "server", "default"] {
            object.remove(added);
        }
        let status: Status = serde_json::from_value(Value::Object(object.clone())).unwrap();
        assert_eq!((status.state, status.account.unwrap().name.as_str()), (State::Connected, user));
        assert_eq!(object.len(), 8, "the status's fields and no other: {object:?}");
    }
    assert_eq!(serde_json::to_value(machine.status()).unwrap()["expires_at"], all[0]["expires_at"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_serves_the_connection_named_or_the_default_and_switch_changes_it() {
    let (machine, b) = two("connections", YEAR).await;
    let a_token = machine.token(&["token"]);
    assert!(machine.sandbox.access_token_is_valid(&a_token), "the default is A's");
    let b_token = machine.token(&["token", "--server", &b.server()]);
    assert!(b.sandbox.access_token_is_valid(&b_token), "--server B: B's token");
    assert!(!machine.sandbox.access_token_is_valid(&b_token) && a_token != b_token);
    assert_eq!(machine.token(&["token", "--account", BARD]), b_token);
    assert_eq!(machine.token(&["token", "--account=1234", &format!("--server={}/", b.server())]), b_token);
    let exec = machine.run(&["exec", "--account", BARD, "--", "sh", "-c", "printf %s \"$KANKA_TOKEN\""]);
    assert_eq!(text(&exec.stdout), b_token, "{}", text(&exec.stderr));

    // Names that match none, or both: said, exit 1, no token.
    let nobody = machine.run(&["token", "--account", "Nobody"]);
    refused(&nobody, "No connection of Kanka Link is account Nobody.");
    assert!(text(&nobody.stderr).contains(&format!("{BARD} (id 1234) on {}", b.server())), "{}", text(&nobody.stderr));
    refused(
        &machine.run(&["exec", "--account", "Nobody", "--", "true"]),
        "No connection of Kanka Link is account Nobody.",
    );
    refused(&machine.run(&["token", "--account", "1234"]), "More than one connection of Kanka Link is account 1234.");
    refused(&machine.run(&["token", "--server", "http://127.0.0.1:1"]), "No connection of Kanka Link is server");

    let switched = machine.run(&["switch", "--account", BARD]);
    assert!(switched.status.success(), "{}", text(&switched.stderr));
    let said = format!("The default connection is now {}, {BARD} (account 1234) on {}.\n", b.id, b.server());
    assert_eq!(text(&switched.stdout), said);
    assert_eq!(machine.token(&["token"]), b_token, "the default is B's now");
    assert_eq!(machine.status().account.unwrap().name, BARD, "status --json: the default's");
    assert_eq!(machine.token(&["token", "--server", &machine.server()]), a_token);
    assert!(text(&machine.run(&["status"]).stdout).contains(&format!("connection {} (the default)", b.id)));

    // Of two, `switch` alone makes the other the default; by id, the one named.
    assert!(machine.run(&["switch"]).status.success());
    assert_eq!(machine.token(&["token"]), a_token);
    assert!(machine.run(&["switch", &b.id]).status.success());
    assert_eq!(machine.token(&["token"]), b_token);
    refused(&machine.run(&["switch", "9"]), "No connection of Kanka Link is 9.");
    assert_eq!(machine.token(&["token"]), b_token, "a refused switch changes nothing");
    assert!(machine.run(&["switch", "main"]).status.success());
    assert_eq!(machine.token(&["token"]), a_token);

    // The default disconnected: it leaves the list, and the settings' own is the default again.
    assert!(machine.run(&["switch", &b.id]).status.success());
    let gone = machine.run(&["disconnect"]);
    assert!(gone.status.success(), "{}", text(&gone.stderr));
    let said = text(&gone.stdout);
    assert!(
        said.contains(&format!(
            "The default connection is now main, Sandbox Sage (account 1234) on {}.",
            machine.server()
        )),
        "{said}"
    );
    assert_eq!(machine.token(&["token"]), a_token);
    refused(&machine.run(&["switch"]), "Kanka Link has one connection only (main, Sandbox Sage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_refused_or_disconnected_leaves_the_other_as_it_was() {
    let (machine, b) = two("connections", YEAR).await;
    let a_token = machine.token(&["token"]);
    let a_items = secret_tool_search(&machine.linker.config().scope());
    assert_eq!(a_items.len(), 2, "{a_items:?}");
    assert_eq!(secret_tool_search(&b.scope()).len(), 2, "B's tokens, in items of its own");

    // B's Kanka forgets the app: B needs a new sign-in, A goes on.
    b.sandbox.revoke_all();
    refused(&machine.run(&["refresh", "--server", &b.server()]), "sign in to Kanka again");
    assert_eq!(machine.token(&["token"]), a_token);
    assert!(machine.sandbox.access_token_is_valid(&a_token));
    let all = machine.all();
    assert_eq!((all[0]["state"].as_str(), all[1]["state"].as_str()), (Some("connected"), Some("reconnect_needed")));
    refused(&machine.run(&["token", "--account", BARD]), "sign in to Kanka again");
    // The login check: B's trouble is said and named, A is as it was.
    let login = machine.run(&["refresh", "--if-due"]);
    refused(&login, &format!("Connection {}, {BARD} (account 1234) on {}", b.id, b.server()));
    assert_eq!(machine.status().state, State::Connected);
    assert_eq!(machine.token(&["token"]), a_token);

    // B disconnected: it leaves the list; A's keychain items and connection stay.
    let gone = machine.run(&["disconnect", "--server", &b.server()]);
    assert!(gone.status.success(), "{}", text(&gone.stderr));
    assert!(
        text(&gone.stdout).contains(&format!("Connection {} is no longer listed.", b.id)),
        "{}",
        text(&gone.stdout)
    );
    assert_eq!(secret_tool_search(&b.scope()), Vec::<String>::new(), "B's tokens are gone");
    assert_eq!(secret_tool_search(&machine.linker.config().scope()), a_items, "A's tokens stay");
    assert_eq!(machine.all().len(), 1);
    assert_eq!(machine.connections().all().count(), 1);
    assert_eq!(machine.token(&["token"]), a_token);
    assert!(machine.run(&["refresh", "--if-due"]).status.success());
    refused(&machine.run(&["token", "--server", &b.server()]), "No connection of Kanka Link is server");
    // One connection again: the text as before there were several.
    let status = text(&machine.run(&["status"]).stdout);
    assert!(status.starts_with(&format!("Kanka Link for {} (client 7)\n", machine.server())), "{status}");
}

/// The login check (`refresh --if-due`, no connection named) refreshes each connection that is
/// due, under its own lock, and no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_check_refreshes_every_connection_that_is_due() {
    // B's pair is due at three quarters of 10 s; A's in nine months.
    let (machine, b) = two("connections", Duration::from_secs(10)).await;
    let due = machine.connections().get(&b.id).unwrap().status().next_refresh_at.expect("B plans a refresh");
    tokio::time::sleep((due - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(200)).await;
    let login = machine.run(&["refresh", "--if-due"]);
    assert!(login.status.success(), "{}", text(&login.stderr));
    assert!(login.stdout.is_empty());
    assert_eq!(b.sandbox.stats().refreshes, 1, "B was due");
    assert_eq!(machine.sandbox.stats().refreshes, 0, "A was not");
    let b_token = machine.token(&["token", "--server", &b.server()]);
    assert!(b.sandbox.access_token_is_valid(&b_token));
    assert_eq!(b.sandbox.stats().refreshes, 1, "B's renewed pair is the one kept");
}

/// Two accounts of the settings' own Kanka (a game master's and a player's): `--server` names
/// both, `--account` one; each refreshes, is revoked and disconnected apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_on_one_server_are_told_apart_by_account() {
    const PLAYER: &str = "Second Player";
    let machine = Machine::start("connections", YEAR).await;
    machine.connect().await;
    let id = machine.add_account(5678, PLAYER).await;
    let a_token = machine.token(&["token"]);
    let b_token = machine.token(&["token", "--account", PLAYER]);
    assert_ne!(a_token, b_token);
    assert!(machine.sandbox.access_token_is_valid(&a_token) && machine.sandbox.access_token_is_valid(&b_token));
    assert_eq!(machine.token(&["token", "--account", "5678"]), b_token);
    assert_eq!(machine.token(&["token", "--account=1234", &format!("--server={}", machine.server())]), a_token);
    refused(
        &machine.run(&["token", "--server", &machine.server()]),
        "More than one connection of Kanka Link is server",
    );
    let exec = machine.run(&["exec", "--account", PLAYER, "--", "sh", "-c", "printf %s \"$KANKA_TOKEN\""]);
    assert_eq!(text(&exec.stdout), b_token, "{}", text(&exec.stderr));

    let listed = text(&machine.run(&["status"]).stdout);
    assert!(listed.contains("Connected as Sandbox Sage (account 1234)"), "{listed}");
    assert!(listed.contains(&format!("connection {id}\n  Connected as {PLAYER} (account 5678)\n")), "{listed}");
    let all = machine.all();
    assert_eq!(
        (all[0]["server"].as_str(), all[1]["server"].as_str()),
        (Some(&*machine.server()), Some(&*machine.server()))
    );
    assert_eq!((all[0]["id"].as_str(), all[1]["id"].as_str()), (Some("main"), Some(id.as_str())));

    // The player's connection refreshes on its own: the first's token is still served and works.
    let refreshed = machine.run(&["refresh", "--account", PLAYER]);
    assert!(refreshed.status.success(), "{}", text(&refreshed.stderr));
    assert_eq!(machine.sandbox.stats().refreshes, 1);
    let b_token = machine.token(&["token", "--account", PLAYER]);
    assert!(machine.sandbox.access_token_is_valid(&b_token));
    assert_eq!(machine.token(&["token"]), a_token);
    assert!(machine.run(&["switch", "--account", PLAYER]).status.success());
    assert_eq!(machine.token(&["token"]), b_token, "the player's is the default now");
    assert!(machine.run(&["switch", "main"]).status.success());

    // The player revokes Kanka Link in Kanka's settings: that one needs a new sign-in, the first
    // is served as before.
    machine.sandbox.revoke_user(5678);
    refused(&machine.run(&["refresh", "--account", PLAYER]), "Second Player needs to sign in to Kanka again.");
    assert_eq!(machine.token(&["token"]), a_token);
    assert!(machine.sandbox.access_token_is_valid(&a_token));

    // Disconnected: the player's items are gone, the first's stay.
    let a_items = secret_tool_search(&machine.linker.config().scope());
    let gone = machine.run(&["disconnect", "--account", PLAYER]);
    assert!(gone.status.success(), "{}", text(&gone.stderr));
    assert_eq!(secret_tool_search(&format!("{}#{id}", machine.linker.config().scope())), Vec::<String>::new());
    assert_eq!(secret_tool_search(&machine.linker.config().scope()), a_items);
    assert_eq!(a_items.len(), 2);
    assert_eq!(machine.token(&["token"]), a_token);
}
