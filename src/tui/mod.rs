//! The interactive explorer: state, keys, views and the event loop.

mod actions;
pub mod app;
pub mod build;
pub mod diff;
mod events;
mod files;
mod graph;
pub mod keymap;
pub mod line;
mod marks;
pub mod msg;
mod project;
pub mod rows;
pub mod run;
pub mod spawner;
pub mod state;
mod sumdb;
pub mod terminal;
pub mod trash;
pub mod view;
pub mod view_keys;
pub mod views;
