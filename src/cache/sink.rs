//! Where running work reports its events: a channel of those events, or a channel of a wider
//! message type that wraps them (the explorer reads one channel of all its messages).

use std::sync::Arc;

use crossbeam_channel::Sender;

/// The receiving side is gone; the work may stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A cloneable, thread-safe destination for events of type `T`.
pub struct Sink<T>(Arc<dyn Fn(T) -> Result<(), Closed> + Send + Sync>);

impl<T> Clone for Sink<T> {
    fn clone(&self) -> Self {
        Sink(Arc::clone(&self.0))
    }
}

impl<T: Send + 'static> Sink<T> {
    /// Events wrapped by `wrap` into the messages of `tx`.
    pub fn wrapping<U: Send + 'static>(
        tx: Sender<U>,
        wrap: impl Fn(T) -> U + Send + Sync + 'static,
    ) -> Self {
        Sink(Arc::new(move |event| {
            tx.send(wrap(event)).map_err(|_| Closed)
        }))
    }

    /// Sends `event`; `Err` when nobody listens any more.
    pub fn send(&self, event: T) -> Result<(), Closed> {
        (self.0)(event)
    }
}

impl<T: Send + 'static> From<Sender<T>> for Sink<T> {
    fn from(tx: Sender<T>) -> Self {
        Sink(Arc::new(move |event| tx.send(event).map_err(|_| Closed)))
    }
}

impl<T> std::fmt::Debug for Sink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}
