//! RFC 7636 checks, as league's AuthCodeGrant applies them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Plain,
    S256,
}

impl Method {
    pub(crate) fn parse(name: &str) -> Option<Method> {
        match name {
            "plain" => Some(Method::Plain),
            "S256" => Some(Method::S256),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Challenge {
    pub value: String,
    pub method: Method,
}

impl Challenge {
    pub(crate) fn is_met_by(&self, verifier: &str) -> bool {
        match self.method {
            Method::Plain => verifier == self.value,
            Method::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier)) == self.value,
        }
    }
}

/// `^[A-Za-z0-9\-._~]{43,128}$`, used for both challenges and verifiers.
pub(crate) fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}
