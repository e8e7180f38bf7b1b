#![allow(dead_code)]

pub mod client;
pub mod db;
pub mod server;

pub use db::Backend;
pub use server::TestServer;
