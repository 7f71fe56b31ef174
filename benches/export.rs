//! Whole-process benchmark of `export`: 1,000,000 ag_news-like rows × the 7
//! ag_news templates of the PromptSource collection, written as Parquet.
//!
//! `cargo bench --bench export` generates the rows (deterministic word salad
//! with ag_news's schema and features metadata), then runs the export as a
//! child process (this same binary with `--child`) with 1 worker thread,
//! with 1 worker thread and the whole process pinned to one CPU (one core:
//! the reading thread shares it), and with 2 worker threads, alternating,
//! for a few rounds. It reports for each run and as medians per setup the
//! wall time, renders per second (per core), CPU time and the child's peak
//! RSS (from `wait4`), and checks that every run wrote the same bytes. As
//! the ceiling for two threads, it also runs two single-thread processes at
//! once, each exporting half the rows (`--num-shards 2`). Last, it exports
//! 20,000 multi_news-like rows (~11 KB documents) with 1 and 2 threads and
//! reports their peak RSS: memory stays bounded on long rows too.
//!
//! Environment: `PROMPTSTUDIO_BENCH_ROWS` (default 1000000),
//! `PROMPTSTUDIO_BENCH_ROUNDS` (default 3),
//! `PROMPTSTUDIO_CONFORMANCE` (the corpus, for the ag_news templates).
//! PromptSource's own rates are measured by `benches/python/promptsource_reference.py`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use clap::Parser;
use parquet::arrow::ArrowWriter;

const AG_NEWS_FEATURES: &str = r#"{"info": {"features": {"text": {"dtype": "string", "_type": "Value"}, "label": {"names": ["World", "Sports", "Business", "Sci/Tech"], "_type": "ClassLabel"}}}}"#;
const TEMPLATES_PER_ROW: u64 = 7;

#[derive(Parser)]
struct Child {
    #[command(flatten)]
    args: promptstudio::cli::export::ExportArgs,
}

/// Set by the parent for a child that must run on one CPU only.
const PIN_CPU_VARIABLE: &str = "PROMPTSTUDIO_BENCH_PIN_CPU";

/// One way of running the export.
struct Setup {
    label: &'static str,
    threads: usize,
    /// Confine the whole process (its reading thread too) to one CPU.
    one_cpu: bool,
    /// Separate processes at once, each exporting its shard of the rows.
    processes: usize,
}

const SETUPS: [Setup; 4] = [
    Setup {
        label: "1 thread",
        threads: 1,
        one_cpu: false,
        processes: 1,
    },
    Setup {
        label: "1 core",
        threads: 1,
        one_cpu: true,
        processes: 1,
    },
    Setup {
        label: "2 threads",
        threads: 2,
        one_cpu: false,
        processes: 1,
    },
    // What this machine gives two cores' worth of independent work: the
    // ceiling for the 2-thread run.
    Setup {
        label: "2 processes of 1 thread, half the rows each",
        threads: 1,
        one_cpu: false,
        processes: 2,
    },
];

/// Restricts this process, and the threads it starts afterwards, to `cpu`.
fn pin_to_cpu(cpu: usize) -> anyhow::Result<()> {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and
    // sched_setaffinity only read and write that local set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            anyhow::bail!(
                "cannot pin to CPU {cpu}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(())
}

/// The first CPU this process may run on.
fn first_allowed_cpu() -> anyhow::Result<usize> {
    // SAFETY: sched_getaffinity fills the local set; CPU_ISSET reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            anyhow::bail!("sched_getaffinity: {}", std::io::Error::last_os_error());
        }
        (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| libc::CPU_ISSET(cpu, &set))
            .context("no CPU allowed")
    }
}

// The binary's allocator (see src/main.rs), so the figures are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().collect();
    if arguments.get(1).map(String::as_str) == Some("--child") {
        let child = Child::try_parse_from(arguments[1..].iter())?;
        if let Ok(cpu) = std::env::var(PIN_CPU_VARIABLE) {
            pin_to_cpu(cpu.parse().context("the CPU to pin to")?)?;
        }
        let mut stdout = std::io::stdout();
        promptstudio::cli::export::execute(
            &child.args,
            &mut stdout,
            &promptstudio::export::engine::compile,
        )?;
        return Ok(());
    }
    parent()
}

fn parent() -> anyhow::Result<()> {
    let corpus = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let templates = corpus.join("templates/ag_news");
    if !templates.join("templates.yaml").is_file() {
        println!(
            "SKIP: ag_news templates not found under {}",
            corpus.display()
        );
        return Ok(());
    }
    let rows: usize = match std::env::var("PROMPTSTUDIO_BENCH_ROWS") {
        Ok(text) => text
            .parse()
            .context("PROMPTSTUDIO_BENCH_ROWS must be a number")?,
        Err(_) => 1_000_000,
    };
    let work = tempfile::tempdir()?;
    let data_file = work.path().join("data/ag_news/_/train.parquet");
    let started = Instant::now();
    let input_bytes = generate(&data_file, rows)?;
    println!(
        "generated {rows} ag_news-like rows ({:.1} MB Parquet) in {:.1}s",
        input_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let rounds: usize = match std::env::var("PROMPTSTUDIO_BENCH_ROUNDS") {
        Ok(text) => text
            .parse()
            .context("PROMPTSTUDIO_BENCH_ROUNDS must be a number")?,
        Err(_) => 3,
    };
    let renders = rows as u64 * TEMPLATES_PER_ROW;
    let pinned_cpu = first_allowed_cpu()?;
    // Runs alternate between setups and each figure is the median of its
    // runs: on a shared VM a neighbour's burst then hits every setup alike
    // instead of skewing one of them.
    let mut runs: Vec<Vec<ChildUsage>> = SETUPS.iter().map(|_| Vec::new()).collect();
    let reference = work.path().join("out-reference");
    for round in 0..rounds.max(1) {
        for (slot, setup) in SETUPS.iter().enumerate() {
            let out = work.path().join(format!("out-{slot}-{round}"));
            let threads = setup.threads.to_string();
            let mut arguments: Vec<String> = [
                "--templates",
                path_str(&templates)?,
                "--workspace",
                path_str(work.path())?,
                "--dataset",
                "ag_news",
                "--threads",
                &threads,
                "--quiet",
            ]
            .iter()
            .map(|argument| argument.to_string())
            .collect();
            let children: Vec<Vec<String>> = if setup.processes == 1 {
                arguments.extend(["--out".to_string(), path_str(&out)?.to_string()]);
                vec![arguments]
            } else {
                (0..setup.processes)
                    .map(|index| {
                        let mut shard = arguments.clone();
                        shard.extend([
                            "--num-shards".to_string(),
                            setup.processes.to_string(),
                            "--shard-index".to_string(),
                            index.to_string(),
                            "--out".to_string(),
                            out.join(index.to_string()).display().to_string(),
                        ]);
                        shard
                    })
                    .collect()
            };
            let usage = run_children(&children, setup.one_cpu.then_some(pinned_cpu))?;
            println!(
                "round {round}, {}: {:.2}s wall, {:.0} renders/s; {:.2}s CPU; \
                 peak RSS {:.0} MB; output {:.1} MB",
                setup.label,
                usage.wall_seconds,
                renders as f64 / usage.wall_seconds,
                usage.cpu_seconds,
                usage.peak_rss_kb as f64 / 1024.0,
                folder_bytes(&out)? as f64 / 1e6
            );
            runs[slot].push(usage);
            // Every single-process run must write the bytes of the first;
            // only that one is kept, so the disk holds two outputs at most.
            if setup.processes > 1 {
                std::fs::remove_dir_all(&out)?;
            } else if reference.exists() {
                if !same_files(&reference, &out)? {
                    anyhow::bail!(
                        "the export of {} (round {round}) differs from the first",
                        setup.label
                    );
                }
                std::fs::remove_dir_all(&out)?;
            } else {
                std::fs::rename(&out, &reference)?;
            }
        }
    }
    let mut medians = Vec::new();
    for (setup, usages) in SETUPS.iter().zip(&runs) {
        let median = |pick: fn(&ChildUsage) -> f64| {
            let mut values: Vec<f64> = usages.iter().map(pick).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let wall = median(|usage| usage.wall_seconds);
        let cpu = median(|usage| usage.cpu_seconds);
        let rss = median(|usage| usage.peak_rss_kb as f64);
        println!(
            "{} (median of {}): {wall:.2}s wall, {:.0} renders/s; {cpu:.2}s CPU, \
             {:.0} renders per CPU second; peak RSS {:.0} MB",
            setup.label,
            usages.len(),
            renders as f64 / wall,
            renders as f64 / cpu,
            rss / 1024.0
        );
        medians.push(wall);
    }
    // With one worker thread the reading thread still gets the second core;
    // pinned to one CPU, it shares the worker's: that is the one-core figure.
    println!(
        "scaling 1 -> 2 threads: {:.2}x; 1 -> 2 cores: {:.2}x; \
         two separate processes against 1 thread: {:.2}x",
        medians[0] / medians[2],
        medians[1] / medians[2],
        medians[0] / medians[3]
    );
    println!("outputs identical across setups and rounds: true");
    long_documents(&corpus, work.path())
}

/// Peak memory on long rows: multi_news-like documents through the
/// multi_news templates, with 1 and 2 threads.
fn long_documents(corpus: &Path, work: &Path) -> anyhow::Result<()> {
    let templates = corpus.join("templates/multi_news");
    if !templates.join("templates.yaml").is_file() {
        println!("SKIP long documents: multi_news templates not found");
        return Ok(());
    }
    const ROWS: usize = 20_000;
    let workspace = work.join("long");
    generate_long_documents(&workspace.join("data/multi_news/_/train.parquet"), ROWS)?;
    let mut outputs = Vec::new();
    for threads in [1usize, 2] {
        let out = workspace.join(format!("out-{threads}"));
        let threads_text = threads.to_string();
        let arguments: Vec<String> = [
            "--templates",
            path_str(&templates)?,
            "--workspace",
            path_str(&workspace)?,
            "--dataset",
            "multi_news",
            "--out",
            path_str(&out)?,
            "--threads",
            &threads_text,
            "--quiet",
        ]
        .iter()
        .map(|argument| argument.to_string())
        .collect();
        let usage = run_children(&[arguments], None)?;
        println!(
            "long documents ({ROWS} multi_news-like rows, ~11 KB each), {threads} thread(s): \
             {:.2}s wall, peak RSS {:.0} MB; input {:.1} MB, output {:.1} MB",
            usage.wall_seconds,
            usage.peak_rss_kb as f64 / 1024.0,
            folder_bytes(&workspace.join("data"))? as f64 / 1e6,
            folder_bytes(&out)? as f64 / 1e6
        );
        outputs.push(out);
    }
    if !same_files(&outputs[0], &outputs[1])? {
        anyhow::bail!("the long-document exports of 1 and 2 threads differ");
    }
    Ok(())
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .context("the temporary folder's path is not UTF-8")
}

/// What the kernel measured for one child process.
struct ChildUsage {
    wall_seconds: f64,
    /// User plus system CPU time of all its threads: on a shared machine,
    /// where wall time depends on the other load, this is the stable figure.
    cpu_seconds: f64,
    peak_rss_kb: i64,
}

/// Runs this binary as export children, all at once, and measures them:
/// wall time until the last ends, CPU time of all, the largest peak RSS.
fn run_children(children: &[Vec<String>], pin_cpu: Option<usize>) -> anyhow::Result<ChildUsage> {
    let executable = std::env::current_exe()?;
    let started = Instant::now();
    let mut pids = Vec::new();
    for arguments in children {
        let mut command = std::process::Command::new(&executable);
        command.arg("--child").args(arguments);
        if let Some(cpu) = pin_cpu {
            command.env(PIN_CPU_VARIABLE, cpu.to_string());
        }
        pids.push(libc::pid_t::try_from(command.spawn()?.id())?);
    }
    let cpu = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    let mut total = ChildUsage {
        wall_seconds: 0.0,
        cpu_seconds: 0.0,
        peak_rss_kb: 0,
    };
    for pid in pids {
        let mut status = 0;
        // SAFETY: `usage` is a plain C struct that wait4 fills in; the pid is
        // our own child, waited for exactly once.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if waited != pid {
            anyhow::bail!("wait4 failed: {}", std::io::Error::last_os_error());
        }
        if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            anyhow::bail!("the export child failed (status {status})");
        }
        total.cpu_seconds += cpu(usage.ru_utime) + cpu(usage.ru_stime);
        total.peak_rss_kb = total.peak_rss_kb.max(usage.ru_maxrss);
    }
    total.wall_seconds = started.elapsed().as_secs_f64();
    Ok(total)
}

const WORDS: &[&str] = &[
    "the",
    "market",
    "shares",
    "rose",
    "after",
    "government",
    "announced",
    "new",
    "talks",
    "with",
    "officials",
    "in",
    "Iraq",
    "on",
    "Tuesday",
    "team",
    "won",
    "its",
    "third",
    "straight",
    "game",
    "season",
    "coach",
    "said",
    "company",
    "profit",
    "quarter",
    "software",
    "Microsoft",
    "Google",
    "space",
    "scientists",
    "found",
    "evidence",
    "of",
    "water",
    "Mars",
    "oil",
    "prices",
    "fell",
    "to",
    "a",
    "record",
    "low",
    "as",
    "investors",
    "worried",
    "about",
    "growth",
    "Reuters",
    "AP",
    "president",
    "election",
    "campaign",
    "vote",
    "league",
    "championship",
    "player",
    "injury",
    "stocks",
    "Wall",
    "Street",
    "bank",
    "rates",
    "internet",
    "users",
    "phone",
    "network",
    "launch",
];

/// A deterministic pseudo-random sequence (xorshift64).
fn random_sequence() -> impl FnMut() -> u64 {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// `length` words of the word salad.
fn words(next: &mut impl FnMut() -> u64, length: usize) -> String {
    let mut text = String::with_capacity(length * 7);
    for index in 0..length {
        if index > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
    }
    text
}

/// Writes `rows` rows shaped like multi_news: a `document` of 300 to 3,300
/// words (~11 KB on average), one row in 500 of 15,000 words (~90 KB), and
/// a `summary` of 150 to 350 words.
fn generate_long_documents(path: &Path, rows: usize) -> anyhow::Result<()> {
    let parent = path.parent().context("data path has no folder")?;
    std::fs::create_dir_all(parent)?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("document", DataType::Utf8, true),
        Field::new("summary", DataType::Utf8, true),
    ]));
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(10_000))
        .build();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(path)?,
        schema.clone(),
        Some(properties),
    )?;
    let mut next = random_sequence();
    let mut written = 0;
    while written < rows {
        let count = 1_000.min(rows - written);
        let mut documents = Vec::with_capacity(count);
        let mut summaries = Vec::with_capacity(count);
        for row in written..written + count {
            let length = if row % 500 == 499 {
                15_000
            } else {
                300 + (next() % 3_001) as usize
            };
            documents.push(words(&mut next, length));
            let summary_length = 150 + (next() % 201) as usize;
            summaries.push(words(&mut next, summary_length));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(documents)),
            Arc::new(StringArray::from(summaries)),
        ];
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        written += count;
    }
    writer.close()?;
    Ok(())
}

/// Writes `rows` rows shaped like ag_news (title and description, 20 to 60
/// words, label 0-3) with deterministic content. Returns the file size.
fn generate(path: &Path, rows: usize) -> anyhow::Result<u64> {
    let parent = path.parent().context("data path has no folder")?;
    std::fs::create_dir_all(parent)?;
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("huggingface".to_string(), AG_NEWS_FEATURES.to_string());
    let schema = Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("text", DataType::Utf8, true),
            Field::new("label", DataType::Int64, true),
        ],
        metadata,
    ));
    let file = std::fs::File::create(path)?;
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(100_000))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))?;
    let mut next = random_sequence();
    let batch_rows = 10_000;
    let mut written = 0;
    while written < rows {
        let count = batch_rows.min(rows - written);
        let mut texts = Vec::with_capacity(count);
        let mut labels = Vec::with_capacity(count);
        for _ in 0..count {
            let length = 20 + (next() % 41) as usize;
            texts.push(words(&mut next, length));
            labels.push((next() % 4) as i64);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(texts)),
            Arc::new(Int64Array::from(labels)),
        ];
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        written += count;
    }
    writer.close()?;
    Ok(std::fs::metadata(path)?.len())
}

fn files_under(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn folder_bytes(folder: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for file in files_under(folder)? {
        total += std::fs::metadata(file)?.len();
    }
    Ok(total)
}

/// Compares every file of two export folders, manifests included (they
/// hold no timing, so they match too).
fn same_files(left: &Path, right: &Path) -> anyhow::Result<bool> {
    let left_files = files_under(left)?;
    let right_files = files_under(right)?;
    if left_files.len() != right_files.len() {
        return Ok(false);
    }
    for (a, b) in left_files.iter().zip(&right_files) {
        if a.strip_prefix(left)? != b.strip_prefix(right)? {
            return Ok(false);
        }
        if std::fs::read(a)? != std::fs::read(b)? {
            return Ok(false);
        }
    }
    Ok(true)
}
