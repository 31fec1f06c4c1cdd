//! `catalog`: writes the event catalog (`make docs`), or checks that the written one is current.

use std::path::PathBuf;

use clap::Args;

use crate::error::{CliError, CliResult};

#[derive(Args)]
pub struct CatalogArgs {
    /// The folder to write.
    #[arg(long, default_value = "docs/catalog")]
    out: PathBuf,
}

pub fn write(args: CatalogArgs) -> CliResult {
    std::fs::create_dir_all(&args.out).map_err(CliError::failure)?;
    let files = fanfare_shared::catalog::files();
    for (name, text) in &files {
        std::fs::write(args.out.join(name), text).map_err(CliError::failure)?;
    }
    println!("{} files in {}", files.len(), args.out.display());
    Ok(())
}
