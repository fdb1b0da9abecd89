//! Numeric instruction semantics (placeholder).
