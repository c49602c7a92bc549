//! Search & Filtering: finding things among many, with what was asked kept in the URL.
