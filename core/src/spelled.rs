//! Enums shown by name: each variant's spelling is declared once, and `as_str()`, `from_name()`,
//! `ALL` and the serde form all come from it, so the JSON and every binding say the same word.

/// `pub enum Name { Variant = "spelling", … }` with optional attributes on the enum and variants.
macro_rules! spelled_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("\n\nSpelled `", $text, "`.")] $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling the JSON and every binding use.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The variant spelled `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }

        impl serde::Serialize for $name {
            /// As `#[derive(Serialize)]` writes a unit variant, under its spelling: every serde
            /// format that writes variants by name writes the spelling (the JSON's string), and
            /// a serializer may make each spelling once (Python's `to_dict()` does).
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_unit_variant(stringify!($name), *self as u32, self.as_str())
            }
        }
    };
}

pub(crate) use spelled_enum;

#[cfg(test)]
mod tests {
    use crate::model::{KohiSource, PmhState, Renewal, Scope};
    use crate::numbers::NumberKind;

    /// The serde form is the spelling, and every spelling reads back.
    fn check<T: serde::Serialize + Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        name: fn(T) -> &'static str,
        back: fn(&str) -> Option<T>,
    ) {
        for &v in all {
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{}\"", name(v)));
            assert_eq!(back(name(v)), Some(v));
        }
        assert_eq!(back("nope"), None);
    }

    #[test]
    fn spellings_are_the_serde_form_and_read_back() {
        check(PmhState::ALL, PmhState::as_str, PmhState::from_name);
        check(KohiSource::ALL, KohiSource::as_str, KohiSource::from_name);
        check(Scope::ALL, Scope::as_str, Scope::from_name);
        check(Renewal::ALL, Renewal::as_str, Renewal::from_name);
        check(NumberKind::ALL, NumberKind::as_str, NumberKind::from_name);
        assert_eq!(PmhState::default(), PmhState::Absent);
        assert_eq!(KohiSource::MedicalAid.as_str(), "medical_aid");
    }
}
