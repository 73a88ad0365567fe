//! A `Retry-After` header value and a status file, through every piece of date arithmetic they
//! reach (see `kanka_link_core::fuzzing::dates`).
//!
//! Input format, plain text so seeds and crash files can be written and read by hand:
//!
//! ```text
//! RETRY-AFTER VALUE\n
//! STATUS FILE…
//! ```
//!
//! The first line is the header value, byte for byte (a value the header type refuses, such as
//! one with a control character, sends no header). Everything after the first `\n` is the status
//! file, byte for byte. An input without `\n` is a header value alone, with no status file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match data.iter().position(|&b| b == b'\n') {
        Some(newline) => kanka_link_core::fuzzing::dates(&data[..newline], Some(&data[newline + 1..])),
        None => kanka_link_core::fuzzing::dates(data, None),
    }
});
