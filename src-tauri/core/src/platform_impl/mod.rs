//! What differs between platforms, behind one set of functions: the freedesktop notification
//! service and Secret Service on Linux (and the other free desktops); elsewhere no notifications
//! yet, and the keychain through the keyring crates (keychain.rs).

#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
mod linux;
#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
pub(crate) use linux::*;
#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
pub(crate) mod secret_service;

#[cfg(not(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android")))))]
mod other;
#[cfg(not(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android")))))]
pub(crate) use other::*;
