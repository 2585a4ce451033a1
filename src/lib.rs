//! Native user-status library (placeholder until the native-library issue).
#![allow(non_snake_case)]
