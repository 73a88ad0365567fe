//! A local stand-in for Kanka's OAuth2 server (Laravel Passport 13 on
//! league/oauth2-server 9.4) and the slice of its API that Kanka Link uses.
//!
//! Tests start it in-process with [`Sandbox::start`]; the `kanka-sandbox`
//! binary runs the same server for demos and scripts.

mod api;
mod authorize;
mod config;
mod consent;
mod control;
mod errors;
mod faults;
mod params;
mod pkce;
mod ratelimit;
mod redirect;
mod routes;
mod secrets;
mod server;
mod state;
mod stats;
mod store;
mod token;
mod users;

pub use config::SandboxConfig;
pub use faults::Fault;
pub use server::Sandbox;
pub use stats::{Secrets, Stats};
