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
    // Templates compile and render on this command's thread and on rayon's:
    // both get the stack the engine's nesting limits are sized for.
    let stack = promptstudio::core::jinja::RENDER_STACK_SIZE;
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(stack)
        .build_global();
    let command = std::thread::Builder::new().stack_size(stack);
    match command.spawn(move || run(cli)).map(|thread| thread.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(error) => {
            eprintln!("promptstudio: error: cannot start: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
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
