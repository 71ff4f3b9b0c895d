//! Command line: arguments into an engine configuration, and the exit codes.
