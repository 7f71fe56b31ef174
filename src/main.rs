use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use promptstudio::cli::{self, Cli, Outcome};

// Rendering allocates many short strings and values on every core; glibc's
// allocator spent a sixth of an export's time in malloc and free (perf),
// mimalloc's thread-local heaps do the same work for much less. Declared in
// the binary (and in each benchmark, so they measure the same program), not
// the library: a library must not choose its users' allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
