//! The simulated device of `femto run`: the host side of the helper ABI.
//!
//! The helpers themselves — numbers, argument checks, errno values, the
//! `fc_print` formatter, key-value scopes and capacities — are the
//! `femto-helpers` crate, the same code the kernel runs, so a container gets
//! the same results here as on the device, bad input included. [`SimHost`]
//! only provides the state the kernel would: a clock, the last temperature
//! (`--temperature`), the key-value tables of one process and of the device,
//! the print rate limit, a console and a random generator.
//!
//! What differs from the device, by design: time is the host's (since the
//! simulator started), `fc_random` is not stirred with a clock (a seed gives
//! reproducible runs) and `fc_notify` prints `notify: VALUE (HEX)` instead of
//! scheduling an upcall.

use std::time::Instant;

use femto_helpers::{
    xorshift32, Host, KvTables, PrintBudget, ScopedKv, SharedKv, DEFAULT_PRINTS_PER_SECOND,
    KV_GLOBAL_ENTRIES, KV_PROCESS_ENTRIES, SENSOR_TEMPERATURE,
};

/// The id of the simulated container: the first container a process loads
/// on a freshly booted device (slot 0, generation 1), as its printed lines
/// show it (`[fc 0x0101] ...`).
pub const SIM_CONTAINER_ID: u16 = 0x0101;

/// State of the simulated device.
#[derive(Debug)]
pub struct SimHost {
    kv_process: ScopedKv<KV_PROCESS_ENTRIES>,
    kv_global: SharedKv<KV_GLOBAL_ENTRIES>,
    start: Instant,
    rng: u32,
    budget: PrintBudget,
    /// `fc_print` lines allowed per second (the board setting; default
    /// [`DEFAULT_PRINTS_PER_SECOND`]).
    pub prints_per_second: u32,
    /// Last temperature reading in centi-degrees, if any (`--temperature`).
    pub temperature: Option<i64>,
    /// Everything the helpers printed, in order (also written to stdout when
    /// `echo` is set).
    pub output: String,
    /// Print helper output to stdout as it happens.
    pub echo: bool,
}

impl SimHost {
    /// A fresh device: empty stores, clock at 0, random generator seeded
    /// with `seed` (both halves folded into xorshift32's 32-bit state).
    pub fn new(seed: u64) -> Self {
        SimHost {
            kv_process: ScopedKv::default(),
            kv_global: SharedKv::default(),
            start: Instant::now(),
            rng: (seed ^ (seed >> 32)) as u32,
            budget: PrintBudget::new(),
            prints_per_second: DEFAULT_PRINTS_PER_SECOND,
            temperature: None,
            output: String::new(),
            echo: false,
        }
    }

    fn emit(&mut self, s: &str) {
        if self.echo {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(s.as_bytes());
            let _ = o.flush();
        }
        self.output.push_str(s);
    }
}

/// The console line the kernel writes for `line` printed by container `id`
/// (the capsule's `KernelDebugConsole`, see [`femto_helpers::ConsoleLine`]),
/// with its newline.
pub fn console_line(id: u16, line: &[u8]) -> String {
    format!("{}\n", femto_helpers::ConsoleLine { id, line })
}

impl Host for SimHost {
    fn container_id(&self) -> u16 {
        SIM_CONTAINER_ID
    }

    fn kv(&mut self) -> KvTables<'_> {
        KvTables { process: &mut self.kv_process, global: &self.kv_global }
    }

    fn now_us(&mut self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn sensor_last(&mut self, kind: u32) -> Option<i64> {
        if kind == SENSOR_TEMPERATURE {
            self.temperature
        } else {
            None
        }
    }

    fn print(&mut self, line: &[u8]) -> bool {
        let now_ms = self.now_us() / 1000;
        if !self.budget.take(now_ms, self.prints_per_second) {
            return false;
        }
        self.emit(&console_line(SIM_CONTAINER_ID, line));
        true
    }

    fn notify(&mut self, value: u64) -> bool {
        self.emit(&format!("notify: {} ({value:#x})\n", value as i64));
        true
    }

    fn random(&mut self) -> u32 {
        self.rng = xorshift32(self.rng, 0);
        self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use femto_helpers::{call, errno, nr};
    use femto_vm::memory::{vaddr, REGION_DATA};
    use femto_vm::Memory;

    const DATA: u64 = vaddr(REGION_DATA, 0);

    fn call_on(h: &mut SimHost, data: &mut [u8], n: u32, a: [u64; 5]) -> u64 {
        let mut m = Memory::new();
        m.map_data(data);
        call(n, a, &mut m, h).unwrap()
    }

    #[test]
    fn prints_device_console_lines() {
        let mut h = SimHost::new(1);
        let mut data = b"x=%d\0\xff\0".to_vec();
        assert_eq!(call_on(&mut h, &mut data, nr::PRINT, [DATA, 7, 0, 0, 0]), 3);
        assert_eq!(call_on(&mut h, &mut data, nr::PRINT, [DATA + 5, 0, 0, 0, 0]), 1);
        assert_eq!(h.output, "[fc 0x0101] x=7\n[fc 0x0101] <1 bytes, not UTF-8>\n");
    }

    #[test]
    fn print_rate_limit_as_on_the_device() {
        let mut h = SimHost::new(1);
        h.prints_per_second = 2;
        let mut data = b"hi\0".to_vec();
        let r: Vec<u64> = (0..3).map(|_| call_on(&mut h, &mut data, nr::PRINT, [DATA, 0, 0, 0, 0])).collect();
        assert_eq!(r, vec![2, 2, errno::EBUSY as u64]);
        assert_eq!(h.output.lines().count(), 2);
    }

    #[test]
    fn kv_has_the_device_capacities() {
        let mut h = SimHost::new(1);
        let mut data = vec![0u8; 8];
        for k in 0..KV_PROCESS_ENTRIES as u64 {
            assert_eq!(call_on(&mut h, &mut data, nr::KV_STORE, [k % 2, k, k, 0, 0]), 0);
        }
        assert_eq!(call_on(&mut h, &mut data, nr::KV_STORE, [0, 999, 0, 0, 0]), errno::ENOMEM as u64);
        for k in 0..KV_GLOBAL_ENTRIES as u64 {
            assert_eq!(call_on(&mut h, &mut data, nr::KV_STORE, [2, k, k, 0, 0]), 0);
        }
        assert_eq!(call_on(&mut h, &mut data, nr::KV_STORE, [2, 999, 0, 0, 0]), errno::ENOMEM as u64);
        assert_eq!(call_on(&mut h, &mut data, nr::KV_FETCH, [1, 21, DATA, 0, 0]), 0);
        assert_eq!(data, 21u64.to_le_bytes());
    }

    #[test]
    fn sensor_notify_random_time() {
        let mut h = SimHost::new(7);
        let mut data = vec![0u8; 8];
        assert_eq!(call_on(&mut h, &mut data, nr::SENSOR_LAST, [0; 5]), errno::ENOENT as u64);
        h.temperature = Some(2150);
        assert_eq!(call_on(&mut h, &mut data, nr::SENSOR_LAST, [0; 5]), 2150);
        assert_eq!(call_on(&mut h, &mut data, nr::SENSOR_LAST, [1, 0, 0, 0, 0]), errno::ENOENT as u64);
        assert_eq!(call_on(&mut h, &mut data, nr::NOTIFY, [42, 0, 0, 0, 0]), 0);
        assert_eq!(h.output, "notify: 42 (0x2a)\n");
        // Reproducible for a seed, different for another.
        let a: Vec<u64> = (0..3).map(|_| call_on(&mut h, &mut data, nr::RANDOM, [0; 5])).collect();
        let mut h2 = SimHost::new(7);
        let b: Vec<u64> = (0..3).map(|_| call_on(&mut h2, &mut data, nr::RANDOM, [0; 5])).collect();
        assert_eq!(a, b);
        let mut h3 = SimHost::new(8);
        assert_ne!(call_on(&mut h3, &mut data, nr::RANDOM, [0; 5]), a[0]);
        assert_ne!(SimHost::new(0).random(), 0);
        let t0 = call_on(&mut h, &mut data, nr::NOW_US, [0; 5]);
        let t1 = call_on(&mut h, &mut data, nr::NOW_US, [0; 5]);
        assert!(t1 >= t0);
        assert!(call_on(&mut h, &mut data, nr::NOW_MS, [0; 5]) <= t1 / 1000 + 1000);
    }
}
