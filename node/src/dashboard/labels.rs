//! Display names in Chinese (default) and English for cities, record kinds, statuses,
//! ratings and activity kinds, shared by the report and the web dashboard.
//!
//! PLACEHOLDER: being written.
