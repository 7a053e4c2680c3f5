//! The code's layout, checked: long files are where concepts pile up.
//!
//! Every Rust source file of the workspace opens with a `//!` line that says what it holds,
//! and none holds more than [`MAX_LINES`] lines before its `#[cfg(test)]` module. One file
//! may: the multipart parser, a single state machine that reads best whole.

use std::path::{Path, PathBuf};

/// Most lines a source file holds outside its tests.
const MAX_LINES: usize = 500;

/// Files allowed to be longer, each with its reason.
const LONG_ON_PURPOSE: [&str; 1] = [
    // One state machine: splitting it would scatter its transitions.
    "shared/src/multipart/parser.rs",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The workspace's library and binary sources (`*/src/**/*.rs`), not tests, benches,
/// generated bindings or the fuzz targets.
fn sources() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for krate in ["shared", "pi-server", "desktop-viewer", "tests"] {
        let mut stack = vec![workspace().join(krate).join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read a source folder") {
                let path = entry.expect("a folder entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    found.push(path);
                }
            }
        }
    }
    found.sort();
    found
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn no_source_file_holds_more_than_500_lines_outside_its_tests() {
    let mut long = Vec::new();
    for path in sources() {
        let name = relative(&path);
        if LONG_ON_PURPOSE.contains(&name.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a source file");
        let lines = text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .count();
        if lines > MAX_LINES {
            long.push(format!("{name}: {lines} lines"));
        }
    }
    assert!(
        long.is_empty(),
        "split these by concept (at most {MAX_LINES} lines outside tests):\n{}",
        long.join("\n")
    );
}

#[test]
fn every_source_file_says_what_it_holds() {
    let silent: Vec<String> = sources()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).expect("read a source file");
            !text.trim_start().starts_with("//!")
        })
        .map(|path| relative(&path))
        .collect();
    assert!(
        silent.is_empty(),
        "open these with a //! line saying what they hold:\n{}",
        silent.join("\n")
    );
    assert!(sources().len() > 50, "the walk found the sources");
}
