//! Passwords (bcrypt, on a bounded pool of blocking threads) and login
//! tokens (random, stored only as a hash).

mod password;
mod token;

pub use password::{hash_password, verify_password, Passwords};
pub use token::{hash_token, new_token};
