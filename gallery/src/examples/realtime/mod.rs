//! Real-Time & Multi-User: the server-action patterns of the seeds, then
//! LiveTemplate's real-time patterns (multi-user refresh, pub/sub, live preview).

pub mod chat;
pub mod cross_tab;
pub mod dashboard;
pub mod export;
pub mod live_preview;
pub mod markdown;
pub mod multi_instance;
pub mod multi_user_refresh;
pub mod notifications;
pub mod presence;
pub mod pubsub;
pub mod reconnection;
pub mod server_push;
pub mod ticker;
pub mod webhook;
pub mod welcome;
