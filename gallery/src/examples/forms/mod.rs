//! Forms & Editing: editing in place, checks as a person types, one action
//! for many rows, and what a form keeps after it is sent.

pub mod bulk_update;
pub mod click_to_edit;
pub mod edit_row;
pub mod inline_validation;
pub mod preserve_inputs;
pub mod reset_input;
