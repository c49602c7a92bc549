//! Forms & Editing: forms checked as people type, files uploaded with progress.

pub mod file_upload;
