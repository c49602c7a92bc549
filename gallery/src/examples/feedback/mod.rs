//! Visual Feedback: showing a person that something happened — animations, busy states, flashes.
