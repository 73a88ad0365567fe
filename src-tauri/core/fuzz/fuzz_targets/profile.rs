//! The body of `GET /profile`. The input file is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    kanka_link_core::fuzzing::profile(body);
});
