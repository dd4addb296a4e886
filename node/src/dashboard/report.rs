//! The annual report: the year's summary in Chinese in the style of the published
//! reports, with a table per city, as Markdown or HTML.
//!
//! PLACEHOLDER: being written.
