use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use promptstudio::cli::{self, Cli, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = cli::run(cli, &mut out).and_then(|outcome| {
        out.flush()?;
        Ok(outcome)
    });
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(error) if cli::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            drop(out);
            eprintln!("promptstudio: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
