//! Wires the stages together for one capture and merges captures into a report.
