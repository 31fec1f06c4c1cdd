//! `new-handler DIR`: a repository of the brand's own for its handler, built against a tagged release
//! (or a local checkout) of this receiver and deployed with the release's template, so upgrading is
//! a tag change, never a merge (templates/handler-repo).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{CliError, CliResult};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["git", "path"])))]
pub struct NewHandlerArgs {
    /// Where to create it (must not exist yet).
    dir: PathBuf,
    /// This receiver's git repository, to depend on by `--tag`.
    #[arg(long, requires = "tag")]
    git: Option<String>,
    /// The release to build against, e.g. v0.2.0 (git tags are `v` and the workspace version).
    #[arg(long)]
    tag: Option<String>,
    /// A local checkout's `shared/` folder instead of git (to try an unreleased version).
    #[arg(long)]
    path: Option<PathBuf>,
}

const CARGO_TOML: &str = include_str!("../../templates/handler-repo/Cargo.toml.in");
const README: &str = include_str!("../../templates/handler-repo/README.md");
const INGEST: &str = include_str!("../../templates/handler-repo/src/bin/ingest.rs");
const PROCESSOR: &str = include_str!("../../templates/handler-repo/src/bin/processor.rs");
const REDRIVE: &str = include_str!("../../templates/handler-repo/src/bin/redrive.rs");
/// The in-tree handler, as a starting point.
const HANDLER: &str = include_str!("../../handler/src/lib.rs");
const TEMPLATE: &str = include_str!("../../template.yaml");
/// Where the in-tree handler's README doctests begin: not part of a brand's crate.
const README_DOCTESTS: &str = "/// The README's Rust examples";

/// The dependency line for `fanfare-shared`, and where it comes from (for the README).
fn source(args: &NewHandlerArgs) -> Result<(String, String), CliError> {
    if let Some(path) = &args.path {
        let shared = std::fs::canonicalize(path).map_err(CliError::failure)?;
        if !shared.join("Cargo.toml").is_file() {
            return Err(CliError::usage(format!(
                "{}: not the receiver's shared/ folder",
                path.display()
            )));
        }
        let shown = shared.display().to_string();
        return Ok((format!("{{ path = {shown:?} }}"), shown));
    }
    let (git, tag) = (
        args.git.as_deref().unwrap_or_default(),
        args.tag.as_deref().unwrap_or_default(),
    );
    Ok((
        format!("{{ git = {git:?}, tag = {tag:?} }}"),
        format!("{git} ({tag})"),
    ))
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), CliError> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(CliError::failure)?;
    }
    std::fs::write(&path, text).map_err(CliError::failure)
}

pub fn new_handler(args: NewHandlerArgs) -> CliResult {
    if args.dir.exists() {
        return Err(CliError::usage(format!(
            "{} exists already",
            args.dir.display()
        )));
    }
    let (dependency, shown) = source(&args)?;
    let testing = dependency.replacen(" }", ", features = [\"test-util\"] }", 1);
    let handler = HANDLER.split(README_DOCTESTS).next().unwrap_or(HANDLER);
    let version = env!("CARGO_PKG_VERSION");
    let files = [
        (
            "Cargo.toml",
            CARGO_TOML
                .replace("@FANFARE_SHARED@", &dependency)
                .replace("@FANFARE_SHARED_TESTING@", &testing),
        ),
        (
            "README.md",
            README
                .replace("@SOURCE@", &shown)
                .replace("@VERSION@", version),
        ),
        ("src/lib.rs", handler.trim_end().to_string() + "\n"),
        ("src/bin/ingest.rs", INGEST.to_string()),
        ("src/bin/processor.rs", PROCESSOR.to_string()),
        ("src/bin/redrive.rs", REDRIVE.to_string()),
        ("template.yaml", TEMPLATE.to_string()),
        (".gitignore", "/target\n/.aws-sam\n".to_string()),
    ];
    for (name, text) in &files {
        write(&args.dir, name, text)?;
    }
    println!(
        "{}: your handler's repository, on fanfare-shared {version} from {shown}. Next: cd there, \
         `cargo test`, then `sam build && sam deploy --guided`.",
        args.dir.display()
    );
    Ok(())
}
