//! Real-Time & Multi-User: the server-action patterns of the seeds.

pub mod chat;
pub mod cross_tab;
pub mod dashboard;
pub mod export;
pub mod multi_instance;
pub mod notifications;
pub mod server_push;
pub mod ticker;
pub mod webhook;
pub mod welcome;
