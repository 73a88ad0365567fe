//! An answer of the token endpoint, replayed to a code exchange and to a refresh.
//!
//! Input format, plain text so seeds and crash files can be written and read by hand:
//!
//! ```text
//! STATUS CONTENT-TYPE\n
//! BODY…
//! ```
//!
//! The first line holds a decimal status and, after the first space, the Content-Type header
//! value (empty for an empty header; a value with a control character, such as a trailing `\r`,
//! leaves the header out). Everything after the first `\n` is the body, byte for byte.
//! An input without a valid first line is skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else { return };
    let (head, body) = (&data[..newline], &data[newline + 1..]);
    let Ok(head) = std::str::from_utf8(head) else { return };
    let (status, content_type) = head.split_once(' ').unwrap_or((head, ""));
    let Ok(status) = status.parse::<u16>() else { return };
    kanka_link_core::fuzzing::token_response(status, content_type, body);
});
