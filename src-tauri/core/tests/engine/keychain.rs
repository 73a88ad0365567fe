//! The real Secret Service: what we write is what libsecret's own tool reads back, and a missing
//! keychain is an error that says what to do, never a silent fallback.

use kanka_link_core::keychain::{Item, Keychain};
use kanka_link_core::{Error, ErrorCode, State};

use crate::common::*;

/// A session bus address where nothing listens.
const NO_BUS: &str = "unix:path=/nonexistent/kanka-link-test-bus";

#[test]
fn entries_round_trip_through_the_secret_service() {
    require_private_keychain();
    let scope = format!("7@http://round-trip.test:{}", std::process::id());
    let keychain = Keychain::new(&scope);
    let items = [
        (Item::AccessToken, "access-token", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.signature".repeat(20)),
        (Item::RefreshToken, "refresh-token", format!("def50200{}", "ab".repeat(350))),
        (Item::ClientSecret, "client-secret", "s3cr3t with spaces and ünïcode".to_owned()),
    ];
    for (item, name, value) in &items {
        assert_eq!(keychain.read_blocking(*item).unwrap(), None);
        keychain.write_blocking(*item, value).unwrap();
        assert_eq!(keychain.read_blocking(*item).unwrap().as_deref(), Some(value.as_str()));
        assert_eq!(keychain.user(*item), format!("{name}:{scope}"));
        // libsecret's own tool sees the same item, under service "kanka-link".
        let found = secret_tool_lookup(&keychain.user(*item)).expect("secret-tool finds the item");
        assert_eq!(found.trim_end_matches('\n'), value);
    }
    assert_eq!(
        secret_tool_search(&scope),
        [format!("access-token:{scope}"), format!("client-secret:{scope}"), format!("refresh-token:{scope}")]
    );
    // Writing again replaces, never duplicates.
    keychain.write_blocking(Item::AccessToken, "second").unwrap();
    assert_eq!(keychain.read_blocking(Item::AccessToken).unwrap().as_deref(), Some("second"));
    assert_eq!(secret_tool_search(&scope).len(), 3);
    for (item, ..) in &items {
        keychain.delete_blocking(*item).unwrap();
        keychain.delete_blocking(*item).unwrap();
    }
    assert!(secret_tool_search(&scope).is_empty());
}

#[test]
fn entries_of_different_servers_and_clients_are_apart() {
    require_private_keychain();
    let pid = std::process::id();
    let a = Keychain::new(&format!("7@http://a.test:{pid}"));
    let b = Keychain::new(&format!("8@http://a.test:{pid}"));
    let c = Keychain::new(&format!("7@http://c.test:{pid}"));
    a.write_blocking(Item::RefreshToken, "a").unwrap();
    assert_eq!(b.read_blocking(Item::RefreshToken).unwrap(), None);
    assert_eq!(c.read_blocking(Item::RefreshToken).unwrap(), None);
    a.delete_blocking(Item::RefreshToken).unwrap();
}

/// Without a Secret Service, in a child process whose session bus does not exist.
#[test]
fn without_a_secret_service_the_error_says_what_to_do() {
    const CHILD: &str = "KANKA_LINK_TEST_NO_KEYCHAIN";
    if std::env::var_os(CHILD).is_some() {
        let keychain = Keychain::new("7@http://nowhere.test");
        let err = keychain.write_blocking(Item::AccessToken, "x").unwrap_err();
        assert!(matches!(err, Error::KeychainUnavailable { .. }), "{err:?}");
        assert!(err.to_string().starts_with("The system keychain is not available"), "{err}");
        assert!(err.hint().unwrap().contains("Secret Service"), "{:?}", err.hint());
        assert_eq!(keychain.read_blocking(Item::AccessToken).unwrap_err().code(), ErrorCode::KeychainUnavailable);
        return;
    }
    rerun_in_child(
        "keychain::without_a_secret_service_the_error_says_what_to_do",
        &[(CHILD, "1"), ("DBUS_SESSION_BUS_ADDRESS", NO_BUS)],
    );
}

/// The engine reports it, stores nothing anywhere else, and says how to fix it.
#[tokio::test]
async fn signing_in_without_a_keychain_fails_clearly() {
    const CHILD: &str = "KANKA_LINK_TEST_NO_KEYCHAIN_ENGINE";
    if std::env::var_os(CHILD).is_some() {
        let world = World::start().await;
        let err = world.linker.begin_connect().await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err:?}");
        let status = world.linker.status();
        assert_eq!(status.state, State::Error);
        assert_eq!(status.last_error.unwrap().code, ErrorCode::KeychainUnavailable);
        // No pending sign-in was kept anywhere: the record says none is waiting.
        assert!(files_under(&world.dir).iter().all(|(_, bytes)| !contains(bytes, "verifier")));
        return;
    }
    rerun_in_child(
        "keychain::signing_in_without_a_keychain_fails_clearly",
        &[(CHILD, "1"), ("DBUS_SESSION_BUS_ADDRESS", NO_BUS), ("KANKA_LINK_PRIVATE_BUS", NO_BUS)],
    );
}

/// An item another Secret Service client wrote under our attributes (libsecret's tool here; the
/// keyring crate's store, which Kanka Link 0.1.0 used, wrote the same `service` and `username`)
/// is read, and a write replaces it in place: an upgrade keeps the connection, with one item.
#[test]
fn an_item_another_client_wrote_is_read_and_replaced_in_place() {
    require_private_keychain();
    let scope = format!("7@http://upgrade.test:{}", std::process::id());
    let keychain = Keychain::new(&scope);
    let user = keychain.user(Item::RefreshToken);
    let mut store = std::process::Command::new("secret-tool")
        .args(["store", "--label", "written before", "service", "kanka-link", "username", &user])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut store.stdin.take().unwrap(), b"written-before").unwrap();
    assert!(store.wait().unwrap().success());

    assert_eq!(keychain.read_blocking(Item::RefreshToken).unwrap().as_deref(), Some("written-before"));
    keychain.write_blocking(Item::RefreshToken, "written-now").unwrap();
    assert_eq!(secret_tool_search(&scope), std::slice::from_ref(&user));
    assert_eq!(secret_tool_lookup(&user).as_deref(), Some("written-now"));
    keychain.delete_blocking(Item::RefreshToken).unwrap();
    assert!(secret_tool_search(&scope).is_empty());
}

/// The Secret Service session is encrypted (`dh-ietf1024-sha256-aes128-cbc-pkcs7`): a monitor
/// of the session bus, which sees every message, sees our item's name but never its secret,
/// neither written nor read back.
#[test]
fn secrets_cross_the_session_bus_encrypted() {
    require_private_keychain();
    let scope = format!("7@http://monitored.test:{}", std::process::id());
    let secret = format!("kanka-link-marker-{}", "q7".repeat(40));
    let capture = fresh_dir("bus-monitor").join("bus.pcap");
    let mut monitor = std::process::Command::new("dbus-monitor")
        .args(["--session", "--pcap"])
        .stdout(std::fs::File::create(&capture).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The monitor sees a call of our own once it is listening, and everything before it.
    let seen_probe = |probe: &str| {
        for _ in 0..200 {
            std::process::Command::new("dbus-send")
                .args(["--session", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"])
                .args(["org.freedesktop.DBus.NameHasOwner", &format!("string:{probe}")])
                .output()
                .unwrap();
            if contains(&std::fs::read(&capture).unwrap(), probe) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("the bus monitor never saw {probe}");
    };
    seen_probe("kanka.link.monitor.start");

    let keychain = Keychain::new(&scope);
    keychain.write_blocking(Item::AccessToken, &secret).unwrap();
    assert_eq!(keychain.read_blocking(Item::AccessToken).unwrap().as_deref(), Some(secret.as_str()));
    keychain.delete_blocking(Item::AccessToken).unwrap();
    seen_probe("kanka.link.monitor.end");
    monitor.kill().unwrap();
    monitor.wait().unwrap();

    let traffic = std::fs::read(&capture).unwrap();
    assert!(contains(&traffic, &keychain.user(Item::AccessToken)), "the monitor saw our calls");
    assert!(contains(&traffic, "dh-ietf1024-sha256-aes128-cbc-pkcs7"), "an encrypted session was opened");
    assert!(!contains(&traffic, &secret), "the secret crossed the bus in plain text");
}
