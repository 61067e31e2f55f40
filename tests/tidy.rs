//! The project's invariants, checked on its own files (as rust-analyzer's `tidy` does): where
//! the AWS SDK and the CloudFormation wire format may appear, file and function sizes, what git
//! tracks, and that the documented `make` targets exist. No emulator involved.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The longest a file in `src/` may be (lines, its unit tests included).
const MAX_FILE_LINES: usize = 400;
/// The longest a function in `src/` may be (lines, signature to closing brace).
const MAX_FUNCTION_LINES: usize = 60;
/// rustfmt's line width: past it, rustfmt silently leaves the whole expression unformatted.
const MAX_LINE_CHARS: usize = 100;
/// The largest file git may track.
const MAX_TRACKED_BYTES: u64 = 1_000_000;

/// Every `.rs` file under `dir` (relative to the repository), with its text.
fn rust_files(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(ROOT).join(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read file");
                let relative = path.strip_prefix(ROOT).unwrap_or(&path).to_path_buf();
                out.push((relative, text));
            }
        }
    }
    out.sort();
    out
}

/// The text before the file's unit tests (`#[cfg(test)]`).
fn without_tests(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

fn under(path: &Path, dir: &str) -> bool {
    path.starts_with(dir)
}

#[test]
fn only_src_resources_calls_the_aws_sdk() {
    // Building clients (aws.rs) and reading error metadata (error/mod.rs) name SDK types;
    // only src/resources/ sends requests. The responder's `.send()` is the HTTP PUT (reqwest).
    let allowed_types = ["src/aws.rs", "src/error/mod.rs"];
    for (path, text) in rust_files("src") {
        if under(&path, "src/resources") {
            continue;
        }
        let code = without_tests(&text);
        let names_sdk = code.contains("aws_sdk_");
        let allowed = allowed_types.iter().any(|a| path == Path::new(a));
        assert!(!names_sdk || allowed, "{} uses the AWS SDK", path.display());
        let sends = code.contains(".send()") && !code.contains("reqwest");
        assert!(!sends, "{} sends an AWS request", path.display());
    }
}

#[test]
fn only_src_cfn_knows_the_wire_format() {
    let fields = [
        "\"ResponseURL\"",
        "\"PhysicalResourceId\"",
        "\"RequestType\"",
        "\"ResourceProperties\"",
        "\"OldResourceProperties\"",
        "\"LogicalResourceId\"",
        "\"RequestId\"",
        "\"StackId\"",
    ];
    for (path, text) in rust_files("src") {
        if under(&path, "src/cfn") {
            continue;
        }
        let code = without_tests(&text);
        for field in fields {
            assert!(
                !code.contains(field),
                "{} spells the CloudFormation field {field}",
                path.display()
            );
        }
    }
}

#[test]
fn every_rust_file_says_what_it_owns() {
    for dir in ["src", "tests", "examples", "benches", "testkit"] {
        for (path, text) in rust_files(dir) {
            assert!(
                text.starts_with("//!"),
                "{} does not open with a //! comment",
                path.display()
            );
        }
    }
}

#[test]
fn no_line_in_src_is_wider_than_rustfmt_formats() {
    let mut wide = Vec::new();
    for (path, text) in rust_files("src") {
        for (i, line) in text.lines().enumerate() {
            if line.chars().count() > MAX_LINE_CHARS {
                wide.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    assert!(
        wide.is_empty(),
        "lines over {MAX_LINE_CHARS} characters:\n{}",
        wide.join("\n")
    );
}

#[test]
fn files_and_functions_in_src_are_small() {
    let mut too_long = Vec::new();
    // Unit-test files (`tests.rs`) hold tables of cases and are exempt.
    for (path, text) in rust_files("src") {
        if path.ends_with("tests.rs") {
            continue;
        }
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            too_long.push(format!("{}: {lines} lines", path.display()));
        }
        for (name, length) in functions(without_tests(&text)) {
            if length > MAX_FUNCTION_LINES {
                too_long.push(format!("{}: fn {name} has {length} lines", path.display()));
            }
        }
    }
    assert!(too_long.is_empty(), "too long:\n{}", too_long.join("\n"));
}

/// (name, lines) of each function with a body: from its `fn` line to the `}` at its indent.
fn functions(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let is_fn = [
            "fn ",
            "pub fn ",
            "async fn ",
            "pub async fn ",
            "pub(super) fn ",
        ]
        .iter()
        .chain(&["pub(super) async fn ", "pub(crate) fn ", "const fn "])
        .any(|p| trimmed.starts_with(p));
        if !is_fn || trimmed.ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i..].iter().position(|l| *l == close) {
            let name = trimmed.split('(').next().unwrap_or(trimmed);
            out.push((name.rsplit(' ').next().unwrap_or(name).to_string(), end + 1));
        }
    }
    out
}

/// The files git tracks.
fn tracked() -> Vec<String> {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(ROOT)
        .output()
        .expect("git ls-files");
    String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn git_tracks_no_build_output_and_no_large_file() {
    for path in tracked() {
        let generated = path.starts_with("target/")
            || path.starts_with(".aws-sam/")
            || path.ends_with(".zip")
            || path.ends_with("/bootstrap")
            || path == "bench-results.json";
        assert!(!generated, "{path} is build output or generated");
        let size = std::fs::metadata(Path::new(ROOT).join(&path)).map_or(0, |m| m.len());
        assert!(size <= MAX_TRACKED_BYTES, "{path} has {size} bytes");
    }
}

#[test]
fn the_documented_make_targets_exist() {
    let makefile = std::fs::read_to_string(Path::new(ROOT).join("Makefile")).expect("Makefile");
    let targets: Vec<&str> = makefile
        .lines()
        .filter_map(|l| l.split_once(':').map(|(t, _)| t))
        .filter(|t| !t.starts_with(['\t', '#', '.', ' ', '$']) && !t.contains('='))
        .collect();
    let mut docs = vec![PathBuf::from("README.md")];
    for entry in std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs")
        .flatten()
    {
        docs.push(entry.path());
    }
    for doc in docs {
        let text = std::fs::read_to_string(Path::new(ROOT).join(&doc)).expect("doc");
        // `make X` in prose, and `make X` at the start of a line in code blocks.
        let quoted = text.split("`make ").skip(1);
        let typed = text.lines().filter_map(|l| l.strip_prefix("make "));
        for word in quoted.chain(typed) {
            let target: String = word
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                targets.contains(&target.as_str()),
                "{} mentions `make {target}`, which the Makefile lacks",
                doc.display()
            );
        }
    }
}
