//! The headless commands.
pub mod export;
