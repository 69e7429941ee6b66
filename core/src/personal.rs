//! A wrapper that keeps personal data out of `Debug` output.
//!
//! Vendors log `{:?}` of whatever they hold. Names, kana, addresses, birthdates and insurance /
//! 公費 numbers are wrapped in [`Personal`], whose `Debug` prints `<redacted>`; reading the value
//! is an explicit call to [`Personal::expose`]. Serialization (the JSON contract) is unchanged.

use std::fmt;

use serde::{Serialize, Serializer};

/// A personal value (name, number, address, birthdate): `Debug` shows `<redacted>`, and reading
/// it takes an explicit `expose()`; JSON shows it as the plain value.
///
/// ```
/// use kohi::personal::Personal;
/// let name = Personal::new(String::from("山田 花子"));
/// assert_eq!(format!("{name:?}"), "<redacted>"); // safe in logs and panics
/// assert_eq!(name.expose(), "山田 花子");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Personal<T>(T);

impl<T> Personal<T> {
    /// Wraps a personal value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Reads the personal value. Named so that every read is visible in review.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value, taken out: an explicit read of personal data.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Personal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_and_json_does_not() {
        let name = Personal::new("見本　花子".to_owned());
        assert_eq!(format!("{name:?}"), "<redacted>");
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"見本　花子\"");
        assert_eq!(name.expose(), "見本　花子");
    }
}
