//! Embeds the canned audit queries (`sql/*.sql`) in the binary, so an
//! installed `modchat-admin` needs no files beside it.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // read when the script runs, not when it was compiled: a copy of the
    // workspace elsewhere may share the target directory and this script
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("sql");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("admin-tools/sql")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// (file name, text) of every canned query.\npub static CANNED: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).expect("utf-8 name");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        )
        .expect("write");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("canned.rs");
    std::fs::write(dest, out).expect("write canned.rs");
}
