//! A real freedesktop notification service for the tests: it owns
//! `org.freedesktop.Notifications` on the private session bus (tests/run.sh), answers `Notify`
//! as a desktop does, and records what it was asked to show. Not a mock in the code under test:
//! that code makes its real D-Bus call and sees a real answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use dbus::blocking::Connection;
use dbus::channel::{MatchingReceiver, Sender};
use dbus::message::MatchRule;

const NAME: &str = "org.freedesktop.Notifications";

/// One notification as the service received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub app_name: String,
    pub summary: String,
    pub body: String,
}

pub struct NotificationService {
    shown: Arc<Mutex<Vec<Shown>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NotificationService {
    /// Starts serving on the session bus; returns once the name is ours.
    pub fn start() -> NotificationService {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready, started) = mpsc::channel();
        let thread = {
            let (shown, stop) = (shown.clone(), stop.clone());
            std::thread::spawn(move || serve(&shown, &stop, &ready))
        };
        started.recv().expect("the notification service thread runs").expect("the notification service starts");
        NotificationService { shown, stop, thread: Some(thread) }
    }

    /// What was shown so far, and forgets it.
    pub fn take(&self) -> Vec<Shown> {
        std::mem::take(&mut *self.shown.lock().unwrap())
    }
}

impl Drop for NotificationService {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(shown: &Arc<Mutex<Vec<Shown>>>, stop: &AtomicBool, ready: &mpsc::Sender<Result<(), String>>) {
    let connection = match Connection::new_session() {
        Ok(connection) => connection,
        Err(e) => return drop(ready.send(Err(format!("no session bus: {e}")))),
    };
    use dbus::blocking::stdintf::org_freedesktop_dbus::RequestNameReply;
    match connection.request_name(NAME, false, true, true) {
        Ok(RequestNameReply::PrimaryOwner) => {}
        other => return drop(ready.send(Err(format!("{NAME} is taken: {other:?}")))),
    }
    let recorded = shown.clone();
    let mut next_id = 0u32;
    connection.start_receive(
        MatchRule::new_method_call(),
        Box::new(move |call, connection| {
            let reply = match call.member().as_deref() {
                Some("Notify") => {
                    let mut args = call.iter_init();
                    let app_name: String = args.read().unwrap_or_default();
                    let _replaces: u32 = args.read().unwrap_or_default();
                    let _icon: String = args.read().unwrap_or_default();
                    let summary: String = args.read().unwrap_or_default();
                    let body: String = args.read().unwrap_or_default();
                    recorded.lock().unwrap().push(Shown { app_name, summary, body });
                    next_id += 1;
                    call.method_return().append1(next_id)
                }
                Some("GetCapabilities") => call.method_return().append1(vec!["body"]),
                Some("GetServerInformation") => {
                    call.method_return().append3("recorder", "kanka-link-tests", "1").append1("1.2")
                }
                _ => dbus::Message::error(&call, &"org.freedesktop.DBus.Error.UnknownMethod".into(), c"unknown method"),
            };
            let _ = connection.send(reply);
            true
        }),
    );
    let _ = ready.send(Ok(()));
    while !stop.load(Ordering::SeqCst) {
        if connection.process(Duration::from_millis(50)).is_err() {
            break;
        }
    }
    let _ = connection.release_name(NAME);
}
