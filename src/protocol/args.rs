//! Typed access to a request's fields; every refusal names the field.

use serde_json::{Map, Value};

use crate::error::Failure;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args(pub Map<String, Value>);

impl Args {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self.0.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// A required string field.
    pub fn str(&self, key: &str) -> Result<&str, Failure> {
        self.opt_str(key)?
            .ok_or_else(|| Failure::bad_field(key, "is required"))
    }

    /// An optional string field (absent or null: `None`).
    pub fn opt_str(&self, key: &str) -> Result<Option<&str>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Failure::bad_field(key, "must be a string")),
        }
    }

    /// An optional boolean field (absent or null: `false`).
    pub fn flag(&self, key: &str) -> Result<bool, Failure> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Failure::bad_field(key, "must be true or false")),
        }
    }

    /// An optional integer field within `min..=max`.
    pub fn opt_int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(Failure::bad_field(
                    key,
                    format!("must be an integer from {min} to {max}"),
                )),
            },
        }
    }
}
