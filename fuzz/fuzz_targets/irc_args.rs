#![no_main]
//! The body is `modchat::fuzzing::irc_args`, which tests/fuzz_replay.rs also
//! runs on the corpus and the regressions.

libfuzzer_sys::fuzz_target!(|data: &[u8]| modchat::fuzzing::irc_args(data));
