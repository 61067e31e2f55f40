//! A problem with the Properties: one bad property and why, and every problem at once.

use std::fmt;

/// One bad property and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The property's name (or `Properties`, `Cpu/Memory`).
    pub property: String,
    /// What is wrong with it.
    pub message: String,
}

impl Problem {
    pub(super) fn new(property: &str, message: &str) -> Problem {
        Problem {
            property: property.to_string(),
            message: message.to_string(),
        }
    }
}

/// Every problem found in a set of properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<Problem>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid properties: ")?;
        for (i, p) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { "; " };
            write!(f, "{sep}{}: {}", p.property, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}
