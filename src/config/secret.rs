//! A string that never prints itself.

use std::fmt;

/// Passwords and keys: `Debug` and `Display` show `***`, so a secret cannot
/// leak through an error message, a debug log or `show-config`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Patroni configs sometimes hold numeric passwords unquoted.
        let v = serde_yaml::Value::deserialize(d)?;
        match v {
            serde_yaml::Value::String(s) => Ok(Secret(s)),
            serde_yaml::Value::Number(n) => Ok(Secret(n.to_string())),
            serde_yaml::Value::Bool(b) => Ok(Secret(b.to_string())),
            _ => Err(serde::de::Error::custom("a password must be a string")),
        }
    }
}
