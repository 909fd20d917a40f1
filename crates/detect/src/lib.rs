//! Streaming detection engine, rule format, built-in rules and alert outputs (DESIGN.md §2).
//!
//! Empty until the real-time detection issue lands; it compiles so the workspace shows the layer.
#![forbid(unsafe_code)]
