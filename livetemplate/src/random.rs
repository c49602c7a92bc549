//! Randomness from the operating system, or a loud failure.
//!
//! Session ids, hand-off tokens, signing keys and template markers are only
//! as good as their randomness. If the OS cannot give any, carrying on with
//! zeros (or a clock) would put strangers into one session group or make
//! tokens guessable, so this panics instead: the request or start-up that
//! needed it fails, and the message says why.

/// `N` random bytes.
pub(crate) fn bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Err(e) = getrandom::fill(&mut bytes) {
        panic!("the operating system's random source failed ({e}); refusing to make guessable ids or keys");
    }
    bytes
}

/// A random id: 128 bits, as 32 hex digits.
pub(crate) fn id() -> String {
    hex::encode(bytes::<16>())
}
