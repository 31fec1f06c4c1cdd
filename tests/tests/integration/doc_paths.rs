//! The README and `docs/` name only paths that exist: a reader who follows one finds it.

use std::path::Path;

/// Where the project's own paths start; a backticked path under one of them must exist.
const ROOTS: [&str; 10] = [
    "shared/",
    "functions/",
    "cli/",
    "tests/",
    "events/",
    "scripts/",
    "docs/",
    "handler/",
    "fuzz/",
    ".ci/",
];

/// The backticked project paths of `text`, without a `:line` or `#anchor` suffix; paths with a
/// placeholder (`<id>`, `*`, `{a,b}`) are patterns, not paths.
fn named_paths(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.contains(char::is_whitespace))
        .filter(|s| ROOTS.iter().any(|root| s.starts_with(root)))
        .filter(|s| !s.contains(['<', '>', '*', '{', '}']))
        .map(|s| {
            let end = s.find([':', '#']).unwrap_or(s.len());
            s[..end].trim_end_matches(['.', ',', ')']).to_string()
        })
        .collect()
}

#[test]
fn every_path_the_docs_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut documents = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            documents.push(path);
        }
    }
    let mut missing = Vec::new();
    for document in &documents {
        let text = std::fs::read_to_string(document).unwrap();
        for path in named_paths(&text) {
            if !root.join(&path).exists() {
                missing.push(format!("{}: {path}", document.display()));
            }
        }
    }
    assert!(missing.is_empty(), "paths that do not exist: {missing:#?}");
    assert!(
        named_paths("see `shared/src/x.rs:12` and `docs/a.md#b`, not `make test`")
            == ["shared/src/x.rs", "docs/a.md"]
    );
}

/// Where `text` names a tracker issue ("issue 19", "Issue 18, item 2"): a reader of the project has
/// no issues to look up, so its prose says what a thing does instead.
fn issue_numbers(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices("issue ") {
        let after = lower[at + 6..].trim_start_matches('#');
        let starts_word = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
        if starts_word && after.starts_with(|c: char| c.is_ascii_digit()) {
            found.push(text[at..(at + 9).min(text.len())].to_string());
        }
    }
    found
}

/// The project's prose: the README, docs/ and every Rust and script file (their comments).
fn prose_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![root.join("README.md")];
    let mut folders: Vec<std::path::PathBuf> = [
        "docs",
        "shared",
        "functions",
        "cli",
        "tests",
        "handler",
        "scripts",
        "templates",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .extension()
                .is_some_and(|e| ["md", "rs", "py", "sh"].iter().any(|x| e == *x))
            {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn no_prose_names_a_tracker_issue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut named = Vec::new();
    for file in prose_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for hit in issue_numbers(&text) {
            named.push(format!("{}: {hit}", file.display()));
        }
    }
    // The test's own example, spelled so that it is not a hit.
    named.retain(|hit| !hit.contains("doc_paths.rs"));
    assert!(named.is_empty(), "prose naming an issue: {named:#?}");
    assert_eq!(
        issue_numbers("before Issue 19, see issue #4; tissue 3"),
        ["Issue 19,", "issue #4;"]
    );
}
