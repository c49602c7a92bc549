//! The LiveTemplate gallery: live examples of the runtime, served to
//! browsers (and, later, shown in a desktop window).
//!
//! [`app`] builds the whole site as an axum router, so the web binary and the
//! desktop shell serve the same thing.

mod assets;
pub mod catalog;
pub mod clock;
mod compression;
pub mod downloads;
pub mod examples;
mod layout;
mod pages;
mod reach;
mod site;

/// Logs to stderr at `info`, or as `RUST_LOG` says; for the gallery's
/// binaries (web and desktop).
pub fn log_to_stderr() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

pub use site::{app, app_for, app_with, serve, templates, Config, GalleryError, Site};
