//! A callback URL as a deep link or the loopback listener delivers it. The input file is the URL
//! itself; the OS and the listener only ever hand us valid UTF-8, so other bytes are skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(url) = std::str::from_utf8(data) {
        kanka_link_core::fuzzing::callback_url(url);
    }
});
