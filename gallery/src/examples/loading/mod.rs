//! Loading & Progress: slow work shown as it happens — placeholders first, progress, retry.

pub mod async_operations;
pub mod lazy_loading;
pub mod progress_bar;
