//! The bytes of a Go 1.19 execution trace, as runtime/trace.go writes them and
//! internal/trace/parser.go reads them:
//! - A 16-byte header, `go 1.19 trace` padded with NULs.
//! - Events. Each starts with one byte: the type in its low 6 bits, and in its top 2 the
//!   number of arguments minus one (the first argument is the time). With 4 arguments or
//!   more the top bits are 3 and the arguments' length in bytes comes first. Arguments are
//!   unsigned LEB128 varints. An event whose type has a stack ends with the stack id;
//!   `EvUserLog` is followed by its message (length, bytes).
//! - Events come in batches, one P's each: `EvBatch [p, ticks]` sets the base time, and
//!   every event's time is a delta from the event before it in the batch.
//! - `EvString [id, len, bytes]` and `EvStack [id, n, {pc, func, file, line}…]` tables and
//!   `EvFrequency [ticks per second]` may come anywhere; here they come last. One tick is
//!   one nanosecond of virtual time.

use std::collections::HashMap;

/// internal/trace/parser.go: the event types of version 1.19.
pub(super) mod ev {
    pub const BATCH: u8 = 1;
    pub const FREQUENCY: u8 = 2;
    pub const STACK: u8 = 3;
    pub const GOMAXPROCS: u8 = 4;
    pub const PROC_START: u8 = 5;
    pub const PROC_STOP: u8 = 6;
    pub const GC_START: u8 = 7;
    pub const GC_DONE: u8 = 8;
    pub const GC_STW_START: u8 = 9;
    pub const GC_STW_DONE: u8 = 10;
    pub const GO_CREATE: u8 = 13;
    pub const GO_START: u8 = 14;
    pub const GO_END: u8 = 15;
    pub const GO_SCHED: u8 = 17;
    pub const GO_PREEMPT: u8 = 18;
    pub const GO_BLOCK: u8 = 20;
    pub const GO_UNBLOCK: u8 = 21;
    pub const GO_BLOCK_SYNC: u8 = 25;
    pub const GO_SYSCALL: u8 = 28;
    pub const GO_SYS_EXIT: u8 = 29;
    pub const GO_SYS_BLOCK: u8 = 30;
    pub const HEAP_ALLOC: u8 = 33;
    pub const HEAP_GOAL: u8 = 34;
    pub const STRING: u8 = 37;
    pub const GO_START_LABEL: u8 = 41;
    pub const GC_MARK_ASSIST_START: u8 = 43;
    pub const GC_MARK_ASSIST_DONE: u8 = 44;
    pub const USER_TASK_CREATE: u8 = 45;
    pub const USER_TASK_END: u8 = 46;
    pub const USER_REGION: u8 = 47;
    pub const USER_LOG: u8 = 48;
}

/// runtime/trace.go: traceBytesPerBuffer — a batch is flushed at 64 KiB.
const BATCH_BYTES: usize = 64 << 10;

/// The file being written: per-P batches, and the string, frame and stack tables.
pub(super) struct Wire {
    out: Vec<u8>,
    /// Per P: the batch being written, its base time, the last event's time.
    batches: Vec<(Vec<u8>, u64, u64)>,
    strings: HashMap<String, u64>,
    frames: HashMap<(u64, u64, u64), u64>,
    stacks: HashMap<Vec<u64>, u64>,
}

impl Wire {
    /// A trace of `procs` Ps, its header written.
    pub fn new(procs: usize) -> Wire {
        Wire {
            out: b"go 1.19 trace\0\0\0".to_vec(),
            batches: vec![(Vec::new(), 0, 0); procs],
            strings: HashMap::new(),
            frames: HashMap::new(),
            stacks: HashMap::new(),
        }
    }

    /// Appends one event to P `p`'s batch: `args` after the time, the stack id (if the type
    /// has one) last.
    pub fn event(&mut self, p: usize, t_ns: u64, typ: u8, args: &[u64]) {
        self.event_with_string(p, t_ns, typ, args, None);
    }

    pub fn event_with_string(
        &mut self,
        p: usize,
        t_ns: u64,
        typ: u8,
        args: &[u64],
        s: Option<&str>,
    ) {
        let (buf, base, last) = &mut self.batches[p];
        if buf.is_empty() {
            *base = t_ns;
            *last = t_ns;
        }
        let delta = t_ns.saturating_sub(*last);
        *last = (*last).max(t_ns);
        let narg = args.len() + 1;
        if narg < 4 {
            buf.push(typ | ((narg as u8 - 1) << 6));
            varint(buf, delta);
            for &a in args {
                varint(buf, a);
            }
        } else {
            buf.push(typ | (3 << 6));
            let mut body = Vec::with_capacity(narg * 3);
            varint(&mut body, delta);
            for &a in args {
                varint(&mut body, a);
            }
            varint(buf, body.len() as u64);
            buf.extend_from_slice(&body);
        }
        if let Some(s) = s {
            varint(buf, s.len() as u64);
            buf.extend_from_slice(s.as_bytes());
        }
        if buf.len() >= BATCH_BYTES {
            self.flush(p);
        }
    }

    /// Writes P `p`'s batch out.
    pub fn flush(&mut self, p: usize) {
        let (buf, base, _) = &mut self.batches[p];
        if buf.is_empty() {
            return;
        }
        self.out.push(ev::BATCH | (1 << 6));
        varint(&mut self.out, p as u64);
        varint(&mut self.out, *base);
        self.out.append(buf);
    }

    pub fn string(&mut self, s: &str) -> u64 {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.strings.len() as u64 + 1;
        self.strings.insert(s.to_string(), id);
        id
    }

    /// A frame: function `func` at `file`:`line`, with a made-up PC of its own.
    pub fn frame(&mut self, func: &str, file: &str, line: u64) -> u64 {
        let key = (self.string(func), self.string(file), line);
        let n = self.frames.len() as u64;
        *self.frames.entry(key).or_insert(n)
    }

    /// The id of the stack of `frames` (innermost first).
    pub fn intern(&mut self, frames: Vec<u64>) -> u64 {
        let n = self.stacks.len() as u64 + 1;
        *self.stacks.entry(frames).or_insert(n)
    }

    /// The file: the batches, then the frequency, string and stack tables.
    pub fn finish(mut self) -> Vec<u8> {
        for p in 0..self.batches.len() {
            self.flush(p);
        }
        let out = &mut self.out;
        out.push(ev::FREQUENCY);
        varint(out, 1_000_000_000);
        let mut strings: Vec<(&String, &u64)> = self.strings.iter().collect();
        strings.sort_by_key(|(_, id)| **id);
        for (s, id) in strings {
            out.push(ev::STRING);
            varint(out, *id);
            varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        let mut pcs: Vec<((u64, u64, u64), u64)> =
            self.frames.iter().map(|(k, v)| (*k, *v)).collect();
        pcs.sort_by_key(|(_, n)| *n);
        let mut stacks: Vec<(&Vec<u64>, &u64)> = self.stacks.iter().collect();
        stacks.sort_by_key(|(_, id)| **id);
        for (frames, id) in stacks {
            let mut body = Vec::new();
            varint(&mut body, *id);
            varint(&mut body, frames.len() as u64);
            for &f in frames {
                let (func, file, line) = pcs[f as usize].0;
                // Made-up PCs, one per frame, so pprof tells the frames apart.
                varint(&mut body, 0x40_0000 + f * 16);
                varint(&mut body, func);
                varint(&mut body, file);
                varint(&mut body, line);
            }
            out.push(ev::STACK | (3 << 6));
            varint(out, body.len() as u64);
            out.extend_from_slice(&body);
        }
        self.out
    }
}

/// Unsigned LEB128, as runtime/trace.go: traceAppend writes it.
fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_leb128() {
        let mut b = Vec::new();
        varint(&mut b, 0);
        varint(&mut b, 127);
        varint(&mut b, 128);
        varint(&mut b, 300);
        assert_eq!(b, [0, 127, 0x80, 1, 0xac, 2]);
    }

    /// parser.go: parseHeader wants "go 1.19 trace" and NULs, 16 bytes in all; a batch
    /// is `EvBatch | 1<<6` (two arguments: P and time).
    #[test]
    fn header_and_batch_bytes() {
        let mut w = Wire::new(1);
        w.event(0, 5, ev::PROC_STOP, &[]);
        w.flush(0);
        assert_eq!(&w.out[..16], b"go 1.19 trace\0\0\0");
        assert_eq!(&w.out[16..], [1 | 1 << 6, 0, 5, 6, 0]);
    }

    /// Four arguments or more (time included) are length-prefixed: EvGoUnblock
    /// [time, g, seq, stack] is `21 | 3<<6`, then 4 bytes, then the 4 varints.
    #[test]
    fn long_events_carry_their_length() {
        let mut w = Wire::new(1);
        w.event(0, 10, ev::GO_UNBLOCK, &[7, 2, 1]);
        assert_eq!(w.batches[0].0, [21 | 3 << 6, 4, 0, 7, 2, 1]);
    }
}
