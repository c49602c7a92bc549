//! The LiveTemplate gallery: live examples of the runtime, served to
//! browsers (and, later, shown in a desktop window).
//!
//! [`app`] builds the whole site as an axum router, so the web binary and the
//! desktop shell serve the same thing.

pub mod catalog;
pub mod downloads;
pub mod examples;
mod site;
pub mod webhook;

pub use site::{app, app_with, serve, templates, Gallery, GalleryError};
