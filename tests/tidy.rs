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
fn files_and_functions_in_src_and_the_test_kit_are_small() {
    let mut too_long = Vec::new();
    // Unit-test files (`tests.rs`) hold tables of cases and are exempt.
    let files = rust_files("src")
        .into_iter()
        .chain(rust_files("testkit/src"));
    for (path, text) in files {
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

/// The repository's Markdown: the README, ARCHITECTURE.md and `docs/`.
fn markdown() -> Vec<(PathBuf, String)> {
    let mut docs = vec![PathBuf::from("README.md"), PathBuf::from("ARCHITECTURE.md")];
    let listed = std::fs::read_dir(Path::new(ROOT).join("docs")).expect("docs");
    docs.extend(
        listed
            .flatten()
            .map(|e| Path::new("docs").join(e.file_name())),
    );
    docs.into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            let text = std::fs::read_to_string(Path::new(ROOT).join(&p)).expect("doc");
            (p, text)
        })
        .collect()
}

/// The repository paths a doc names: its relative links, and the `code` spans that start
/// with one of the repository's top-level entries (`src/…`, `Makefile`), without a line or
/// an anchor; placeholders (`<…>`, `*`, `…`) are not paths.
fn named_paths(text: &str) -> Vec<String> {
    let top = [
        "src/",
        "tests/",
        "testkit/",
        "docs/",
        "examples/",
        "events/",
        "schema/",
        "benches/",
        ".ci/",
        "Cargo.toml",
        "Makefile",
        "bootstrap-template.yaml",
        "README.md",
        "ARCHITECTURE.md",
    ];
    let links = text.split("](").skip(1).filter_map(|s| s.split(')').next());
    let spans = text.split('`').skip(1).step_by(2);
    let cut = |s: &str| {
        s.split(['#', ':', ' '])
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let placeholder = |s: &String| s.contains(['<', '*', '…', '{', '$']) || s.is_empty();
    links
        .filter(|l| !l.starts_with('#'))
        .map(cut)
        .chain(
            spans
                .filter(|s| top.iter().any(|t| s.starts_with(t)))
                .map(cut),
        )
        .filter(|s| !placeholder(s))
        .collect()
}

#[test]
fn every_path_a_doc_names_exists_and_no_link_leaves_the_repository() {
    let mut wrong = Vec::new();
    for (doc, text) in markdown() {
        let dir = doc.parent().unwrap_or(Path::new(""));
        for link in text.split("](").skip(1) {
            let target = link.split(')').next().unwrap_or_default();
            if target.starts_with("http") || target.starts_with("../..") {
                wrong.push(format!(
                    "{}: links outside the repository: {target}",
                    doc.display()
                ));
            }
        }
        if text.contains("../shared") {
            wrong.push(format!(
                "{} names ../shared, which a clone lacks",
                doc.display()
            ));
        }
        for path in named_paths(&text) {
            let from_doc = Path::new(ROOT).join(dir).join(&path);
            if !from_doc.exists() && !Path::new(ROOT).join(&path).exists() {
                wrong.push(format!(
                    "{} names {path}, which does not exist",
                    doc.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The module of each file of the library crate under `root` (`aws_rules/scaling.rs` is
/// `["aws_rules", "scaling"]`; `mod.rs` and `lib.rs` are their directory's; `bin/` holds
/// crates of their own).
fn modules(root: &str) -> Vec<(Vec<String>, String)> {
    rust_files(root)
        .into_iter()
        .filter(|(path, _)| !path.starts_with(Path::new(root).join("bin")))
        .map(|(path, text)| {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let mut module: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().to_string())
                .collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            (module, text)
        })
        .collect()
}

/// The files a file's code (not its comments, not its unit tests) names through `crate::` or
/// `super::` paths: each path resolved to the longest module that is a file.
fn imports(module: &[String], text: &str, files: &[Vec<String>]) -> Vec<Vec<String>> {
    let code: String = without_tests(text)
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for start in ["crate::", "super::"] {
        // A path's first segment only (`super::super::x` is one path).
        let firsts = code
            .match_indices(start)
            .filter(|(i, _)| !code[..*i].ends_with("::"))
            .map(|(i, _)| &code[i + start.len()..]);
        let base = match start {
            "crate::" => Vec::new(),
            _ => module[..module.len().saturating_sub(1)].to_vec(),
        };
        for path in firsts.flat_map(grouped) {
            let file = resolved(base.clone(), path, files);
            if !file.is_empty() && file != module {
                found.push(file);
            }
        }
    }
    found
}

/// The paths one `use` names: `{a, b::c}` is two (one level of braces).
fn grouped(rest: &str) -> Vec<&str> {
    match rest.strip_prefix('{').and_then(|r| r.split_once('}')) {
        Some((inside, _)) => inside.split(',').map(str::trim).collect(),
        None => vec![rest],
    }
}

/// The longest module that is a file, named by `path` from module `base`.
fn resolved(mut base: Vec<String>, path: &str, files: &[Vec<String>]) -> Vec<String> {
    let words = path.split("::").map(|w| {
        w.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
    });
    for word in words.take_while(|w| !w.is_empty()) {
        match word.as_str() {
            "super" => drop(base.pop()),
            _ => base.push(word),
        }
    }
    while !base.is_empty() && !files.contains(&base) {
        base.pop();
    }
    base
}

/// The files of the crate under `root` that are in an import cycle.
fn in_cycles(root: &str) -> Vec<String> {
    let modules = modules(root);
    let files: Vec<Vec<String>> = modules.iter().map(|(m, _)| m.clone()).collect();
    let edges: Vec<(Vec<String>, Vec<Vec<String>>)> = modules
        .iter()
        .map(|(m, text)| (m.clone(), imports(m, text, &files)))
        .collect();
    let imported = |m: &Vec<String>| edges.iter().find(|(n, _)| n == m).map(|(_, e)| e.clone());
    let mut cycles = Vec::new();
    for (start, _) in &edges {
        // Every file reachable from `start`: a cycle if `start` is among them.
        let (mut seen, mut todo) = (Vec::<Vec<String>>::new(), vec![start.clone()]);
        while let Some(m) = todo.pop() {
            for next in imported(&m).unwrap_or_default() {
                if !seen.contains(&next) {
                    seen.push(next.clone());
                    todo.push(next);
                }
            }
        }
        if seen.contains(start) {
            cycles.push(start.join("/"));
        }
    }
    cycles
}

#[test]
fn no_file_of_src_or_the_test_kit_is_in_an_import_cycle() {
    for root in ["src", "testkit/src"] {
        let cycles = in_cycles(root);
        assert!(
            cycles.is_empty(),
            "{root}: files in an import cycle: {cycles:?}"
        );
    }
}
