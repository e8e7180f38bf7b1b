//! Every fuzz input kept in the repository, replayed as an ordinary test:
//! each file under `fuzz/corpus/<target>/` (the seed corpus) and
//! `fuzz/regressions/<target>/` (every crash the fuzzer found, fixed) goes
//! to the same function the fuzz target calls (`modchat::fuzzing`). A
//! panic fails the test with the file's name. Needs no nightly and no
//! cargo-fuzz: `scripts/fuzz` is what finds new inputs.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Runs one target on every kept input; the panics are collected so one
/// run names every failing file.
fn replay(name: &str, body: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failed = Vec::new();
    let mut count = 0;
    for kind in ["corpus", "regressions"] {
        for path in files(&root.join(kind).join(name)) {
            let data = std::fs::read(&path).expect("a fuzz input");
            count += 1;
            if std::panic::catch_unwind(|| body(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{name}: {} inputs panicked:\n{}",
        failed.len(),
        failed.join("\n")
    );
    count
}

#[test]
fn every_target_has_inputs_and_none_panics() {
    let mut empty = Vec::new();
    for &(name, body) in modchat::fuzzing::TARGETS {
        let n = replay(name, body);
        println!("{name}: {n} inputs");
        if n == 0 {
            empty.push(name);
        }
    }
    assert!(empty.is_empty(), "no kept inputs for {empty:?}");
}

/// Each `fuzz/fuzz_targets/NAME.rs` is in `TARGETS` and the other way
/// round, so nothing is fuzzed that is not replayed.
#[test]
fn fuzz_targets_match_the_list() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut on_disk: Vec<String> = files(&dir)
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = modchat::fuzzing::TARGETS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}
