//! What a person does on each example, one file per category; each
//! `script` answers `false` for an example that is not its own.

pub mod feedback;
pub mod loading;
pub mod navigation;
pub mod realtime;
pub mod search;
