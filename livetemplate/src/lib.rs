pub mod diff;
pub use template::{TemplateError, Templates};
pub mod template;
pub mod tree;
