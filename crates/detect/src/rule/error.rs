//! Why a rule file was refused: file, line, rule and field, then the problem.

use std::fmt;

/// A rule file that cannot be loaded, located as precisely as it is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    /// The file's name as given to the loader (`builtin.yaml` for the built-in rules).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// The rule's id, when the problem is inside a rule whose id is known (for a Sigma rule,
    /// `sigma rule "TITLE"`, printed as is).
    pub rule: Option<String>,
    /// The rule key at fault (`window`, `group_by`, `distinct.field`), when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        match &self.rule {
            Some(rule) if rule.starts_with("sigma rule ") => write!(f, "{rule}: ")?,
            Some(rule) => write!(f, "rule {rule:?}: ")?,
            None => {}
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}
