//! component (being written)
