//! Visual Feedback: showing a person that something happened — animations, busy states, flashes.

pub mod animations;
pub mod flash_messages;
pub mod highlight;
pub mod loading_states;
