//! Integration tests over real HTTP. One test binary, several modules, to
//! keep link time down.

mod accounts;
mod api;
mod authorize;
mod common;
mod faults;
mod refresh;
mod setup_checks;
mod token;
