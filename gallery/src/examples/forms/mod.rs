//! Forms & Editing: editing in place, checks as a person types, one action
//! for many rows, what a form keeps after it is sent, and files uploaded
//! with progress.

pub mod bulk_update;
pub mod click_to_edit;
pub mod edit_row;
pub mod file_upload;
pub mod inline_validation;
pub mod preserve_inputs;
pub mod reset_input;
