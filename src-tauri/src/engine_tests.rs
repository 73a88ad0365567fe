//! When `Engine::add_server` may let its copy of the connections replace them: only while they
//! are the very ones it copied. No keychain: adding, removing and switching write the list only.

use std::collections::BTreeMap;
use std::path::Path;

use kanka_link_core::clock::SystemClock;
use kanka_test_support::fresh_dir;

use super::*;

fn open(root: &Path) -> (Connections, Config) {
    let env: BTreeMap<&str, &str> = [
        ("KANKA_LINK_URL", "http://127.0.0.1:9/"),
        ("KANKA_LINK_API_URL", "http://127.0.0.1:9/api/1.0"),
        ("KANKA_LINK_CLIENT_ID", "7"),
        ("KANKA_LINK_CLIENT_SECRET", "not-a-secret"),
    ]
    .into_iter()
    .collect();
    let config = Config::from_sources(&env, &root.join("config.toml")).unwrap();
    let connections = Connections::open(config.clone(), &Paths::under(root), Arc::new(SystemClock)).unwrap();
    (connections, config)
}

#[tokio::test]
async fn a_copy_replaces_the_connections_only_while_nothing_changed_them() {
    let root = fresh_dir("engine-snapshot");
    let (mut connections, config) = open(&root);
    let before = Snapshot::of(1, &connections);
    assert!(before.holds(1, &connections), "the same connections");

    // What the copy adds does not change the connections it was taken from.
    let mut copy = connections.clone();
    copy.add(&config).unwrap();
    assert!(before.holds(1, &connections));
    assert!(!before.holds(1, &copy), "the copy has one more");
    assert!(!before.holds(2, &connections), "opened again (saved settings): other engines");

    // Added meanwhile.
    let id = connections.add(&config).unwrap();
    assert!(!before.holds(1, &connections));
    // Added and removed again: the same as before.
    connections.remove(&id).unwrap();
    assert!(before.holds(1, &connections));

    // Another default.
    let id = connections.add(&config).unwrap();
    let with_one = Snapshot::of(1, &connections);
    connections.set_default(&id).unwrap();
    assert!(!with_one.holds(1, &connections));

    // The same id and server again, but another engine: removed and added again meanwhile.
    connections.set_default(MAIN).unwrap();
    assert!(with_one.holds(1, &connections));
    connections.remove(&id).unwrap();
    assert_eq!(connections.add(&config).unwrap(), id);
    assert!(!with_one.holds(1, &connections), "another engine under the same id");
}
