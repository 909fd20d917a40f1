//! Sigma errors, as the crate's [`RuleError`]: file, line, `sigma rule "TITLE"`, key, message.

use serde_saphyr::Spanned;

use crate::rule::RuleError;

/// Where a Sigma document is: its file, first line and title, for errors.
#[derive(Clone, Debug)]
pub(super) struct At {
    pub file: String,
    pub line: u32,
    pub title: String,
}

impl At {
    /// An error at the document's first line.
    pub fn err(&self, field: Option<&str>, message: impl Into<String>) -> RuleError {
        RuleError {
            file: self.file.clone(),
            line: Some(self.line),
            rule: Some(format!("sigma rule {:?}", self.title)),
            field: field.map(String::from),
            message: message.into(),
        }
    }

    /// An error at a value's own line.
    pub fn err_at<T>(&self, at: &Spanned<T>, field: &str, message: impl Into<String>) -> RuleError {
        let line = at.referenced.line();
        RuleError {
            line: Some(if line > 0 { line as u32 } else { self.line }),
            ..self.err(Some(field), message)
        }
    }
}
