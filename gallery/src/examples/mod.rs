//! One module per gallery example: a controller and its state.

pub mod realtime;
