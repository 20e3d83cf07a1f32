//! The interactive explorer: state, keys, views and the event loop.

mod actions;
pub mod app;
pub mod keymap;
pub mod line;
pub mod msg;
pub mod rows;
pub mod run;
pub mod state;
pub mod view;
