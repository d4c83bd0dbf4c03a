//! Goroutines at the level of the runtime's own steps: the map operations split into the
//! steps of mapassign, mapdelete, mapaccess1 and mapiternext around the hashWriting flag,
//! sync.Mutex and sync.RWMutex, and a happens-before race detector.

pub mod hb;
pub mod source;
pub mod steps;
