//! `promptstudio fmt`: rewrite templates.yaml files in PromptSource's
//! canonical form (what PyYAML's `yaml.dump` writes for them).

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::Outcome;
use crate::core::catalog::Catalog;
use crate::core::yaml::{check_format, format_file, FormatOutcome};

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Only list the files that would change, and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// templates.yaml files or folders to search for them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: &FmtArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut files = Vec::new();
    for path in &args.paths {
        if !path.exists() {
            bail!("{} does not exist", path.display());
        }
        let catalog = Catalog::discover(path);
        if let Some(error) = catalog.errors.first() {
            bail!("{error}");
        }
        files.extend(catalog.files.into_iter().map(|file| file.path));
    }
    if files.is_empty() {
        bail!("no templates.yaml found under the given paths");
    }
    let mut changed = 0;
    // A file that cannot be read or written (read-only, hard-linked) does not
    // stop the others from being formatted; it fails the run at the end.
    let mut failures = Vec::new();
    for path in &files {
        let outcome = if args.check {
            check_format(path)
        } else {
            format_file(path)
        };
        match outcome {
            Ok(FormatOutcome::Reformatted) => {
                changed += 1;
                writeln!(out, "{}", path.display())?;
            }
            Ok(FormatOutcome::Unchanged) => {}
            Err(error) => failures.push(error.to_string()),
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(if args.check && changed > 0 {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}
