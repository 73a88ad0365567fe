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
