#![allow(dead_code)]

pub mod client;
pub mod cluster;
pub mod db;
pub mod irc;
pub mod proxy;
pub mod server;
pub mod storm;
pub mod tmux;
pub mod webdriver;
pub mod ws;

#[allow(unused_imports)]
pub use db::Backend;
#[allow(unused_imports)]
pub use server::TestServer;
