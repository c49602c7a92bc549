//! Lists & Data: rows deleted, loaded, chosen, reordered and, 10,000 at a
//! time, filtered, sorted and edited — each change travelling as the stock
//! client's list operations, not as the list.

pub mod click_to_load;
pub mod delete_row;
pub mod infinite_scroll;
pub mod large_table;
pub mod sortable;
pub mod value_select;
