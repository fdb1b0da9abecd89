//! Spec-script runner (placeholder).
