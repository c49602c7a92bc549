//! Dialogs, Tabs & Navigation: dialogs that survive re-renders, tabs and pages in the URL, keys.

pub mod confirm_dialog;
pub mod keyboard_shortcuts;
pub mod modal_dialog;
pub mod spa_navigation;
pub mod tabs;
