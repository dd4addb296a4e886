//! A fake federation peer for tests (placeholder).
