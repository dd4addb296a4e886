//! Lianluo test harness.
