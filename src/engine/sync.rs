//! sync.Mutex and sync.RWMutex at operation granularity (sync/mutex.go, sync/rwmutex.go,
//! go1.19): a Lock that finds the mutex held parks its goroutine on the mutex's semaphore;
//! Unlock wakes the first waiter, which in normal mode competes with goroutines arriving at
//! Lock (and, losing, waits again at the front of the queue); a waiter that waited more than
//! 1 ms switches the mutex to starvation mode, where Unlock hands it straight to the first
//! waiter and yields the P to it. Spinning (sync/mutex.go: runtime_canSpin) is not modelled.

use std::collections::VecDeque;

use super::sim::Sim;

/// sync/mutex.go: starvationThresholdNs — 1 ms.
pub const STARVATION_THRESHOLD_PS: u64 = 1_000_000 * 1000;

/// runtime/proc.go: checkdead — `fatal error: all goroutines are asleep - deadlock!`.
pub const FATAL_DEADLOCK: &str = "all goroutines are asleep - deadlock!";
/// sync/mutex.go: `fatal error: sync: unlock of unlocked mutex`.
pub const FATAL_UNLOCK: &str = "sync: unlock of unlocked mutex";
/// sync/rwmutex.go: `fatal error: sync: Unlock of unlocked RWMutex`.
pub const FATAL_RW_UNLOCK: &str = "sync: Unlock of unlocked RWMutex";
/// sync/rwmutex.go: `fatal error: sync: RUnlock of unlocked RWMutex`.
pub const FATAL_RUNLOCK: &str = "sync: RUnlock of unlocked RWMutex";

/// One sync.RWMutex (a sync.Mutex is one used only with Lock and Unlock).
#[derive(Debug, Clone, Default)]
pub(crate) struct Mutex {
    /// The writer holding it (or waiting, holding it, for readers to leave).
    pub owner: Option<u32>,
    /// Readers holding it.
    pub readers: u32,
    /// A writer that holds it but waits for the readers before it to leave
    /// (sync/rwmutex.go: readerWait).
    pub writer_waiting: bool,
    /// Goroutines parked in Lock, first to wake at the front.
    pub waiters: VecDeque<u32>,
    /// Goroutines parked in RLock behind a writer.
    pub reader_waiters: Vec<u32>,
    /// sync/mutex.go: mutexStarving.
    pub starving: bool,
    /// sync/mutex.go: mutexWoken — a waiter was woken and has not tried again yet; Unlock in
    /// normal mode wakes nobody else meanwhile.
    pub woken: bool,
    /// Used with RLock/RUnlock somewhere: an RWMutex, with its own messages.
    pub rw: bool,
}

/// What an Unlock asks of the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unlocked {
    /// Go on running.
    Continue,
    /// Starvation mode handed the mutex over: the unlocker yields its P to the waiter
    /// (runtime/sema.go: semrelease1 with handoff → goyield).
    Yield,
    /// The program died (unlock of an unlocked mutex).
    Fatal,
}

impl Sim {
    /// sync.Mutex.Lock (or RWMutex.Lock) by goroutine `g` on lock `l` at `t_ps`, running on
    /// P `p`. True when it holds the lock; false when it parked.
    pub(super) fn mutex_lock(&mut self, g: u32, l: usize, t_ps: u64) -> bool {
        let gs = &mut self.goroutines[g as usize];
        if std::mem::take(&mut gs.lock_granted) {
            gs.wait_start_ps = 0;
            return true;
        }
        let m = &mut self.mutexes[l];
        if gs.woken {
            m.woken = false;
        }
        // sync/mutex.go: new arrivals do not take a starving mutex; they queue behind.
        let starving_queue = m.starving && !m.waiters.is_empty();
        if m.owner.is_none() && !starving_queue {
            m.owner = Some(g);
            gs.woken = false;
            if m.readers > 0 {
                // sync/rwmutex.go: Lock — announce the writer, wait for active readers.
                m.writer_waiting = true;
                if gs.wait_start_ps == 0 {
                    gs.wait_start_ps = t_ps;
                }
                return false;
            }
            gs.wait_start_ps = 0;
            return true;
        }
        // sync/mutex.go: lockSlow — a woken waiter that lost the race queues at the front
        // (queueLifo) and, after waiting over 1 ms, switches the mutex to starvation mode.
        if gs.wait_start_ps == 0 {
            gs.wait_start_ps = t_ps.max(1);
            m.waiters.push_back(g);
        } else {
            if t_ps.saturating_sub(gs.wait_start_ps) > STARVATION_THRESHOLD_PS {
                m.starving = true;
            }
            m.waiters.push_front(g);
        }
        gs.woken = false;
        false
    }

    /// sync.RWMutex.RLock: holds it unless a writer holds it or waits for it.
    pub(super) fn mutex_rlock(&mut self, g: u32, l: usize) -> bool {
        let gs = &mut self.goroutines[g as usize];
        if std::mem::take(&mut gs.lock_granted) {
            return true;
        }
        let m = &mut self.mutexes[l];
        if m.owner.is_none() {
            m.readers += 1;
            return true;
        }
        m.reader_waiters.push(g);
        false
    }

    /// sync.Mutex.Unlock (or RWMutex.Unlock) at `t_ps` by the goroutine on P `p`.
    pub(super) fn mutex_unlock(&mut self, g: u32, l: usize, p: usize, t_ps: u64) -> Unlocked {
        let m = &mut self.mutexes[l];
        if m.owner.is_none() {
            let msg = if m.rw { FATAL_RW_UNLOCK } else { FATAL_UNLOCK };
            self.die(msg, g);
            self.fatal_detail = Some(format!(
                "{} called Unlock on a mutex that no goroutine held",
                self.goroutine_name(g)
            ));
            return Unlocked::Fatal;
        }
        m.owner = None;
        // sync/rwmutex.go: Unlock — readers blocked behind the writer all go in.
        let readers = std::mem::take(&mut m.reader_waiters);
        m.readers += readers.len() as u32;
        for r in readers {
            self.goroutines[r as usize].lock_granted = true;
            self.ready(r, p, t_ps);
            self.trace_unblock(r, g, p, t_ps);
        }
        let m = &mut self.mutexes[l];
        if !m.starving && m.woken {
            return Unlocked::Continue;
        }
        let Some(w) = m.waiters.pop_front() else {
            return Unlocked::Continue;
        };
        if m.starving {
            // Handoff: the waiter owns it now. It leaves starvation mode when it waited
            // under 1 ms or is the last waiter.
            let waited = t_ps.saturating_sub(self.goroutines[w as usize].wait_start_ps);
            if waited < STARVATION_THRESHOLD_PS || m.waiters.is_empty() {
                m.starving = false;
            }
            m.owner = Some(w);
            if m.readers > 0 {
                m.writer_waiting = true;
                return Unlocked::Continue;
            }
            self.goroutines[w as usize].lock_granted = true;
            self.ready(w, p, t_ps);
            self.trace_unblock(w, g, p, t_ps);
            return Unlocked::Yield;
        }
        // Normal mode: the woken waiter competes with new arrivals when it runs.
        m.woken = true;
        self.goroutines[w as usize].woken = true;
        self.ready(w, p, t_ps);
        self.trace_unblock(w, g, p, t_ps);
        Unlocked::Continue
    }

    /// sync.RWMutex.RUnlock: the last reader out lets a waiting writer in.
    pub(super) fn mutex_runlock(&mut self, g: u32, l: usize, p: usize, t_ps: u64) -> bool {
        let m = &mut self.mutexes[l];
        if m.readers == 0 {
            self.die(FATAL_RUNLOCK, g);
            self.fatal_detail = Some(format!(
                "{} called RUnlock on an RWMutex that no reader held",
                self.goroutine_name(g)
            ));
            return false;
        }
        m.readers -= 1;
        if m.readers == 0
            && m.writer_waiting
            && let Some(w) = m.owner
        {
            m.writer_waiting = false;
            self.goroutines[w as usize].lock_granted = true;
            self.ready(w, p, t_ps);
            self.trace_unblock(w, g, p, t_ps);
        }
        true
    }
}
