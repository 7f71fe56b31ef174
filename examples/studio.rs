//! Opens the studio on a workspace folder (default: the current folder),
//! for trying the studio before the main binary is wired to it:
//! `cargo run --example studio -- sample-data`.

fn main() -> anyhow::Result<()> {
    let workspace = std::env::args_os()
        .nth(1)
        .map_or_else(|| ".".into(), Into::into);
    promptstudio::tui::run(promptstudio::tui::StudioOptions {
        workspace,
        ..Default::default()
    })
}
