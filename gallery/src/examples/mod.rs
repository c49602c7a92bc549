//! The examples, one module per category and one file per example: its
//! controller, its state, and how its page is mounted.

pub mod forms;
pub mod realtime;
