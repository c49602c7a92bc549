//! Dialogs, Tabs & Navigation: dialogs that survive re-renders, tabs and pages in the URL, keys.

pub mod tabs;
