//! Search & Filtering: finding things among many, with what was asked kept in the URL.

pub mod active_search;
pub mod url_filters;
