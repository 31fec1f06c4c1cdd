//! Values that must never reach a log: `Debug` and `Display` print a placeholder, `expose()` gives
//! the value to the code that needs it.

use serde::Deserialize;

use crate::privacy::REDACTED;

macro_rules! sensitive {
    ($(#[$doc:meta])* $name:ident, $shown:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Deserialize)]
        #[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value itself: pass it on, never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Read from a redacted archive copy (a replay): the value is gone.
            pub fn is_redacted(&self) -> bool {
                self.0 == REDACTED
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), $shown)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($shown)
            }
        }
    };
}

sensitive!(
    /// A consumer's credential (`admissionToken`, `claimToken`, `paymentToken`).
    Token,
    "[token]"
);
sensitive!(
    /// Contact data (`email`, `phone`, `fullName`).
    Personal,
    "[personal]"
);

/// The fields of a payload that no documented name matched, by their camelCase names. `Debug`
/// prints the names only: an undocumented field may hold a credential.
#[derive(Clone, PartialEq, Default, Deserialize)]
#[cfg_attr(feature = "catalog", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Extra(pub serde_json::Map<String, serde_json::Value>);

impl std::ops::Deref for Extra {
    type Target = serde_json::Map<String, serde_json::Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::fmt::Debug for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
