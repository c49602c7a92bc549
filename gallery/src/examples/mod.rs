//! The examples, one module per category and one file per example: its
//! controller, its state, and how its page is mounted.

pub mod feedback;
pub mod forms;
pub mod lists;
pub mod loading;
pub mod navigation;
pub mod realtime;
pub mod search;
