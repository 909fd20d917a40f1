//! The model's error type.

/// Why an input could not become a valid OCSF event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The bytes are not JSON, or not the JSON shape a field needs.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error within the record.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What serde_json said.
        message: String,
    },
    /// The record is JSON but not an object.
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// A field OCSF requires is absent.
    #[error("missing required field {0}")]
    MissingField(&'static str),
    /// A field holds a value that is not allowed.
    #[error("field {field}: {reason}")]
    InvalidField {
        /// OCSF path of the field.
        field: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// The class is not one this version of authtrail models.
    #[error(
        "class_uid {0} is not supported (supported: {supported})",
        supported = crate::captions::supported_classes()
    )]
    UnsupportedClass(u32),
}

impl ModelError {
    /// Build a [`ModelError::InvalidField`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ModelError::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<serde_json::Error> for ModelError {
    fn from(e: serde_json::Error) -> Self {
        // serde_json appends " at line L column C"; keep the message without it.
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(at) => full[..at].to_string(),
            None => full,
        };
        ModelError::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}
