pub mod server_push;
