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
