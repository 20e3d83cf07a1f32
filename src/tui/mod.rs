//! The interactive explorer: state, keys, views and the event loop.

pub mod app;
pub mod keymap;
pub mod msg;
pub mod rows;
pub mod run;
pub mod view;
