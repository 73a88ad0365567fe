//! The engine against real parts: the sandbox Kanka over HTTP on loopback and the Secret
//! Service of the private session that `npm test` starts. One binary, so it links once.

mod accounts;
mod callbacks;
mod common;
mod connections;
mod errors;
mod hostile_server;
mod keeping;
mod keychain;
mod keychain_faults;
mod loopback;
mod rotation_faults;
mod settings;
mod setup_check;
mod sign_in;
mod timer;
