//! Host test harness: a fake Tock platform that drives the capsule through
//! the *real* kernel syscall path.
//!
//! Tock has no host-side process implementation upstream, so this module
//! provides ours:
//!
//! * [`FakeProcess`] implements `kernel::process::Process`. Instead of
//!   running machine code, its `switch_to()` hands the kernel the next
//!   scripted syscall (`ContextSwitchReason::SyscallFired`); when the script
//!   is empty it yields (Yield-Wait). Return values the kernel delivers with
//!   `set_syscall_return_value` and upcalls it delivers with
//!   `set_process_function` are recorded for the test to inspect. Grants are
//!   allocated from a per-process byte arena with the requested alignment;
//!   process RAM (for allow buffers) is a leaked byte array.
//! * [`FakeChip`] (no MPU, a dummy user/kernel boundary that is never used
//!   because the fake process does its own switching) and [`FakeAlarm`],
//!   from the `femto-fake-tock` crate (shared with the Cortex-M4 benchmark),
//!   a `KernelResources` implementation, and the kernel's own cooperative
//!   scheduler.
//! * [`World`] ties them together: `kernel.kernel_loop_operation()` is run
//!   until every process is idle, exactly as a board's main loop would.
//!
//! Everything is `'static` by leaking boxes (tests are short-lived).
//!
//! Tock's deferred calls and the debug writer are global state; a test binary
//! may create at most 32 deferred calls, so each test file keeps its number of
//! worlds (one capsule = one deferred call) below that, and tests are
//! serialised with [`lock`].
#![allow(dead_code)]

use core::cell::{Cell, RefCell};
use core::fmt::Write;
use core::ptr::NonNull;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use kernel::capabilities;
use kernel::platform::chip::Chip;
use kernel::platform::mpu;
use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::process::{
    self, BinaryVersion, Error as ProcessError, FunctionCall, FunctionCallSource, Process,
    ProcessAddresses, ProcessCustomGrantIdentifier, ProcessId, ProcessSizes, ShortId, State, Task,
};
use kernel::processbuffer::{ReadOnlyProcessBuffer, ReadWriteProcessBuffer};
use kernel::scheduler::cooperative::{CoopProcessNode, CooperativeSched};
use kernel::storage_permissions::StoragePermissions;
use kernel::syscall::SyscallDriver;
use kernel::syscall::{ContextSwitchReason, Syscall, SyscallReturn};
use kernel::upcall::UpcallId;
use kernel::utilities::capability_ptr::CapabilityPtr;
use kernel::{ErrorCode, Kernel};

/// Maximum number of queued tasks per process (Tock's default is 10).
pub const TASK_QUEUE_LEN: usize = 10;
/// Bytes of RAM each fake process has for its own buffers.
pub const PROCESS_RAM: usize = 64 * 1024;
/// Bytes of grant memory each fake process has.
pub const GRANT_ARENA: usize = 64 * 1024;

static TEST_LOCK: Mutex<()> = Mutex::new(());
static NEXT_IDENTIFIER: AtomicUsize = AtomicUsize::new(1);

/// Serialises tests of one binary (the kernel's deferred-call table and
/// debug writer are global).
pub fn lock() -> MutexGuard<'static, ()> {
    TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The capabilities tests need (a test harness is trusted board code).
pub use femto_fake_tock::Cap as TestCap;
/// The chip (no MPU; the alarm is its interrupt source), shared with the
/// Cortex-M4 benchmark (`femto-fake-tock`).
pub use femto_fake_tock::FakeChip;
/// The fake alarm, driven by the test (`now`, `fired`).
pub type FakeAlarm = femto_fake_tock::FakeAlarm<'static>;

/// A fake alarm at time 0, leaked (`'static`, as capsules need).
pub fn new_alarm() -> &'static FakeAlarm {
    Box::leak(Box::new(FakeAlarm::new()))
}

/// Creates the capability used by tests for every capability-gated call.
pub fn cap() -> TestCap {
    TestCap
}

/// One upcall the kernel delivered to a fake process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub driver: usize,
    pub subscribe: usize,
    pub args: (usize, usize, usize),
}

struct GrantEntry {
    driver_num: usize,
    ptr: NonNull<u8>,
    entered: bool,
}

/// A fake Tock process.
pub struct FakeProcess {
    name: &'static str,
    index: usize,
    kernel: Cell<Option<&'static Kernel>>,
    identifier: Cell<usize>,
    state: Cell<State>,
    alive: Cell<bool>,
    restarts: Cell<usize>,
    completion: Cell<Option<Option<u32>>>,
    tasks: RefCell<VecDeque<Task>>,
    dropped_upcalls: Cell<usize>,
    script: RefCell<VecDeque<Syscall>>,
    returns: RefCell<Vec<SyscallReturn>>,
    delivered: RefCell<Vec<Delivered>>,
    ram: *mut u8,
    grant_base: *mut u8,
    grant_used: Cell<usize>,
    grant_limit: Cell<usize>,
    grants: RefCell<Vec<Option<GrantEntry>>>,
    syscall_count: Cell<usize>,
    last_syscall: Cell<Option<Syscall>>,
    grant_entries: Cell<usize>,
}

impl FakeProcess {
    fn new(name: &'static str, index: usize) -> &'static FakeProcess {
        let ram: &'static mut [u8] = Box::leak(vec![0u8; PROCESS_RAM].into_boxed_slice());
        // u128 storage gives 16-byte alignment for grant allocations.
        let grants: &'static mut [u128] =
            Box::leak(vec![0u128; GRANT_ARENA / 16].into_boxed_slice());
        Box::leak(Box::new(FakeProcess {
            name,
            index,
            kernel: Cell::new(None),
            identifier: Cell::new(NEXT_IDENTIFIER.fetch_add(1, Ordering::Relaxed)),
            state: Cell::new(State::Running),
            alive: Cell::new(true),
            restarts: Cell::new(0),
            completion: Cell::new(None),
            tasks: RefCell::new(VecDeque::new()),
            dropped_upcalls: Cell::new(0),
            script: RefCell::new(VecDeque::new()),
            returns: RefCell::new(Vec::new()),
            delivered: RefCell::new(Vec::new()),
            ram: ram.as_mut_ptr(),
            grant_base: grants.as_mut_ptr() as *mut u8,
            grant_used: Cell::new(0),
            grant_limit: Cell::new(GRANT_ARENA),
            grants: RefCell::new((0..32).map(|_| None).collect()),
            syscall_count: Cell::new(0),
            last_syscall: Cell::new(None),
            grant_entries: Cell::new(0),
        }))
    }

    /// Address of byte `offset` of this process's RAM.
    pub fn ram_ptr(&self, offset: usize) -> *mut u8 {
        assert!(offset <= PROCESS_RAM);
        // SAFETY: offset is within the leaked allocation of PROCESS_RAM bytes.
        unsafe { self.ram.add(offset) }
    }

    /// Writes `data` into process RAM at `offset` (what the app would do).
    pub fn write_ram(&self, offset: usize, data: &[u8]) {
        assert!(offset + data.len() <= PROCESS_RAM);
        // SAFETY: in bounds of the leaked RAM; tests are single-threaded and
        // the kernel only accesses this memory through process buffers while
        // a syscall or callback runs, never concurrently with this call.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.ram_ptr(offset), data.len()) }
    }

    /// Reads `len` bytes of process RAM at `offset`.
    pub fn read_ram(&self, offset: usize, len: usize) -> Vec<u8> {
        assert!(offset + len <= PROCESS_RAM);
        // SAFETY: as for `write_ram`.
        unsafe { core::slice::from_raw_parts(self.ram_ptr(offset), len).to_vec() }
    }

    /// Queues syscalls for the next time the process runs.
    pub fn push(&self, syscalls: impl IntoIterator<Item = Syscall>) {
        self.script.borrow_mut().extend(syscalls);
        if self.alive.get() && matches!(self.state.get(), State::Yielded) {
            // An app that was waiting would be woken by its own logic in real
            // life; here the test decides when the app continues.
            self.state.set(State::Running);
        }
    }

    /// All return values recorded so far (and clears them).
    pub fn take_returns(&self) -> Vec<SyscallReturn> {
        core::mem::take(&mut *self.returns.borrow_mut())
    }

    /// All upcalls delivered so far (and clears them).
    pub fn take_upcalls(&self) -> Vec<Delivered> {
        core::mem::take(&mut *self.delivered.borrow_mut())
    }

    /// Bytes of grant memory currently allocated.
    pub fn grant_bytes_used(&self) -> usize {
        self.grant_used.get()
    }

    /// Limits the grant memory (to test allocation failures).
    pub fn set_grant_limit(&self, bytes: usize) {
        self.grant_limit.set(bytes.min(GRANT_ARENA));
    }

    /// How many times any grant of this process was entered.
    pub fn grant_entries(&self) -> usize {
        self.grant_entries.get()
    }

    /// Number of upcalls the kernel could not queue.
    pub fn dropped_upcalls(&self) -> usize {
        self.dropped_upcalls.get()
    }

    /// Number of pending tasks.
    pub fn queued_tasks(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Whether the process is alive (not terminated).
    pub fn is_alive(&self) -> bool {
        self.alive.get()
    }

    /// Restart as Tock does after a fault: a new identifier, grants freed.
    pub fn restart(&self) {
        self.free_all();
        self.identifier
            .set(NEXT_IDENTIFIER.fetch_add(1, Ordering::Relaxed));
        self.restarts.set(self.restarts.get() + 1);
        self.alive.set(true);
        self.state.set(State::Running);
    }

    fn free_all(&self) {
        for g in self.grants.borrow_mut().iter_mut() {
            *g = None;
        }
        self.grant_used.set(0);
        self.tasks.borrow_mut().clear();
        self.script.borrow_mut().clear();
        // Poison the freed grant memory so use-after-free shows up in tests.
        // SAFETY: within the leaked arena; no grant is entered (all dropped).
        unsafe { core::ptr::write_bytes(self.grant_base, 0xA5, GRANT_ARENA) };
    }

    fn in_ram(&self, addr: usize, size: usize) -> bool {
        let start = self.ram as usize;
        match addr.checked_add(size) {
            Some(end) => addr >= start && end <= start + PROCESS_RAM,
            None => false,
        }
    }
}

impl Process for FakeProcess {
    fn processid(&self) -> ProcessId {
        let kernel = self.kernel.get().expect("world not built");
        ProcessId::new_external(kernel, self.identifier.get(), self.index, &cap())
    }
    fn short_app_id(&self) -> ShortId {
        ShortId::LocallyUnique
    }
    fn binary_version(&self) -> Option<BinaryVersion> {
        None
    }
    fn get_credential(&self) -> Option<process::AcceptedCredential> {
        None
    }
    fn get_restart_count(&self) -> usize {
        self.restarts.get()
    }
    fn get_process_name(&self) -> &'static str {
        self.name
    }
    fn has_tasks(&self) -> bool {
        !self.tasks.borrow().is_empty()
    }
    fn pending_tasks(&self) -> usize {
        self.tasks.borrow().len()
    }
    fn enqueue_task(&self, task: Task) -> Result<(), ErrorCode> {
        if !self.alive.get() {
            return Err(ErrorCode::NODEVICE);
        }
        let mut tasks = self.tasks.borrow_mut();
        if tasks.len() >= TASK_QUEUE_LEN {
            self.dropped_upcalls.set(self.dropped_upcalls.get() + 1);
            return Err(ErrorCode::NOMEM);
        }
        tasks.push_back(task);
        Ok(())
    }
    fn dequeue_task(&self) -> Option<Task> {
        self.tasks.borrow_mut().pop_front()
    }
    fn remove_upcall(&self, upcall_id: UpcallId) -> Option<Task> {
        let mut tasks = self.tasks.borrow_mut();
        let pos = tasks.iter().position(|t| task_matches(t, upcall_id))?;
        tasks.remove(pos)
    }
    fn remove_pending_upcalls(&self, upcall_id: UpcallId) -> usize {
        let mut tasks = self.tasks.borrow_mut();
        let before = tasks.len();
        tasks.retain(|t| !task_matches(t, upcall_id));
        before - tasks.len()
    }
    fn get_state(&self) -> State {
        self.state.get()
    }
    fn ready(&self) -> bool {
        self.alive.get() && (self.has_tasks() || self.state.get() == State::Running)
    }
    fn is_running(&self) -> bool {
        self.alive.get()
    }
    fn set_yielded_state(&self) {
        if self.state.get() == State::Running {
            self.state.set(State::Yielded);
        }
    }
    fn set_yielded_for_state(&self, upcall_id: UpcallId) {
        if self.state.get() == State::Running {
            self.state.set(State::YieldedFor(upcall_id));
        }
    }
    fn stop(&self) {}
    fn resume(&self) {}
    fn set_fault_state(&self) {
        self.free_all();
        self.alive.set(false);
        self.state.set(State::Faulted);
    }
    fn start(&self, _cap: &dyn capabilities::ProcessStartCapability) {}
    fn try_restart(&self, completion_code: Option<u32>) {
        self.completion.set(Some(completion_code));
        self.restart();
    }
    fn terminate(&self, completion_code: Option<u32>) {
        self.completion.set(Some(completion_code));
        self.free_all();
        self.alive.set(false);
        self.state.set(State::Terminated);
    }
    fn get_completion_code(&self) -> Option<Option<u32>> {
        self.completion.get()
    }
    fn brk(&self, _new_break: *const u8) -> Result<CapabilityPtr, process::Error> {
        Err(process::Error::OutOfMemory)
    }
    fn sbrk(&self, _increment: isize) -> Result<CapabilityPtr, process::Error> {
        Err(process::Error::OutOfMemory)
    }
    fn number_writeable_flash_regions(&self) -> usize {
        0
    }
    fn get_writeable_flash_region(&self, _region_index: usize) -> (usize, usize) {
        (0, 0)
    }
    fn update_stack_start_pointer(&self, _stack_pointer: *const u8) {}
    fn update_heap_start_pointer(&self, _heap_pointer: *const u8) {}
    fn build_readwrite_process_buffer(
        &self,
        buf_start_addr: *mut u8,
        size: usize,
    ) -> Result<ReadWriteProcessBuffer, ErrorCode> {
        if !self.alive.get() {
            return Err(ErrorCode::FAIL);
        }
        if size != 0 && !self.in_ram(buf_start_addr as usize, size) {
            return Err(ErrorCode::INVAL);
        }
        // SAFETY: the range lies inside this process's leaked RAM (or is
        // empty), which lives for the rest of the test binary.
        Ok(unsafe {
            ReadWriteProcessBuffer::new_external(buf_start_addr, size, self.processid(), &cap())
        })
    }
    fn build_readonly_process_buffer(
        &self,
        buf_start_addr: *const u8,
        size: usize,
    ) -> Result<ReadOnlyProcessBuffer, ErrorCode> {
        if !self.alive.get() {
            return Err(ErrorCode::FAIL);
        }
        if size != 0 && !self.in_ram(buf_start_addr as usize, size) {
            return Err(ErrorCode::INVAL);
        }
        // SAFETY: as above.
        Ok(unsafe {
            ReadOnlyProcessBuffer::new_external(buf_start_addr, size, self.processid(), &cap())
        })
    }
    unsafe fn set_byte(&self, addr: *mut u8, value: u8) -> bool {
        if self.in_ram(addr as usize, 1) {
            // SAFETY: checked to be inside this process's RAM.
            unsafe { *addr = value };
            true
        } else {
            false
        }
    }
    fn get_command_permissions(
        &self,
        _driver_num: usize,
        _offset: usize,
    ) -> tock_tbf::types::CommandPermissions {
        tock_tbf::types::CommandPermissions::NoPermsAtAll
    }
    fn get_storage_permissions(&self) -> StoragePermissions {
        StoragePermissions::new_null()
    }
    fn setup_mpu(&self) {}
    fn add_mpu_region(
        &self,
        _unallocated_memory_start: *const u8,
        _unallocated_memory_size: usize,
        _min_region_size: usize,
    ) -> Option<mpu::Region> {
        None
    }
    fn remove_mpu_region(&self, _region: mpu::Region) -> Result<(), ErrorCode> {
        Err(ErrorCode::INVAL)
    }
    fn allocate_grant(
        &self,
        grant_num: usize,
        driver_num: usize,
        size: usize,
        align: usize,
    ) -> Result<(), ()> {
        if !self.alive.get() {
            return Err(());
        }
        let mut grants = self.grants.borrow_mut();
        let slot = grants.get_mut(grant_num).ok_or(())?;
        if slot.is_some() {
            return Err(());
        }
        let base = self.grant_base as usize;
        let start = (base + self.grant_used.get()).next_multiple_of(align.max(1));
        let end = start.checked_add(size).ok_or(())?;
        if end > base + self.grant_limit.get() {
            return Err(());
        }
        self.grant_used.set(end - base);
        *slot = Some(GrantEntry {
            driver_num,
            ptr: NonNull::new(start as *mut u8).ok_or(())?,
            entered: false,
        });
        Ok(())
    }
    fn grant_is_allocated(&self, grant_num: usize) -> Option<bool> {
        if !self.alive.get() {
            return None;
        }
        self.grants.borrow().get(grant_num).map(|g| g.is_some())
    }
    fn allocate_custom_grant(
        &self,
        _size: usize,
        _align: usize,
    ) -> Result<(ProcessCustomGrantIdentifier, NonNull<u8>), ()> {
        // The capsule does not use custom grants, and their identifier type
        // cannot be built outside the kernel crate.
        Err(())
    }
    fn enter_grant(&self, grant_num: usize) -> Result<NonNull<u8>, ProcessError> {
        if !self.alive.get() {
            return Err(ProcessError::NoSuchApp);
        }
        let mut grants = self.grants.borrow_mut();
        match grants.get_mut(grant_num) {
            Some(Some(g)) => {
                if g.entered {
                    Err(ProcessError::AlreadyInUse)
                } else {
                    g.entered = true;
                    self.grant_entries.set(self.grant_entries.get() + 1);
                    Ok(g.ptr)
                }
            }
            _ => Err(ProcessError::OutOfMemory),
        }
    }
    fn enter_custom_grant(
        &self,
        _identifier: ProcessCustomGrantIdentifier,
    ) -> Result<*mut u8, ProcessError> {
        Err(ProcessError::OutOfMemory)
    }
    unsafe fn leave_grant(&self, grant_num: usize) {
        if let Some(Some(g)) = self.grants.borrow_mut().get_mut(grant_num) {
            g.entered = false;
        }
    }
    fn grant_allocated_count(&self) -> Option<usize> {
        if !self.alive.get() {
            return None;
        }
        Some(self.grants.borrow().iter().filter(|g| g.is_some()).count())
    }
    fn lookup_grant_from_driver_num(&self, driver_num: usize) -> Result<usize, ProcessError> {
        if !self.alive.get() {
            return Err(ProcessError::NoSuchApp);
        }
        self.grants
            .borrow()
            .iter()
            .position(|g| g.as_ref().is_some_and(|g| g.driver_num == driver_num))
            .ok_or(ProcessError::OutOfMemory)
    }
    fn is_valid_upcall_function_pointer(&self, _upcall_fn: *const ()) -> bool {
        true
    }
    fn set_syscall_return_value(&self, return_value: SyscallReturn) {
        self.returns.borrow_mut().push(return_value);
    }
    fn set_process_function(&self, callback: FunctionCall) {
        if let FunctionCallSource::Driver(id) = callback.source {
            self.delivered.borrow_mut().push(Delivered {
                driver: id.driver_num,
                subscribe: id.subscribe_num,
                args: (callback.argument0, callback.argument1, callback.argument2),
            });
        }
        self.state.set(State::Running);
    }
    fn switch_to(&self) -> Option<ContextSwitchReason> {
        let next = self.script.borrow_mut().pop_front();
        let syscall = next.unwrap_or(Syscall::Yield {
            which: 1, // Yield-Wait
            param_a: 0,
            param_b: 0,
        });
        Some(ContextSwitchReason::SyscallFired { syscall })
    }
    fn get_addresses(&self) -> ProcessAddresses {
        ProcessAddresses {
            flash_start: 0,
            flash_non_protected_start: 0,
            flash_integrity_end: core::ptr::null(),
            flash_end: 0,
            sram_start: self.ram as usize,
            sram_app_brk: self.ram as usize + PROCESS_RAM,
            sram_grant_start: self.grant_base as usize,
            sram_end: self.grant_base as usize + GRANT_ARENA,
            sram_heap_start: None,
            sram_stack_top: None,
            sram_stack_bottom: None,
        }
    }
    fn get_sizes(&self) -> ProcessSizes {
        ProcessSizes {
            grant_pointers: 0,
            upcall_list: 0,
            process_control_block: 0,
        }
    }
    fn get_stored_state(&self, _out: &mut [u8]) -> Result<usize, ErrorCode> {
        Err(ErrorCode::NOSUPPORT)
    }
    fn print_full_process(&self, writer: &mut dyn Write) {
        let _ = writeln!(writer, "fake process {}", self.name);
    }
    fn debug_syscall_count(&self) -> usize {
        self.syscall_count.get()
    }
    fn debug_dropped_upcall_count(&self) -> usize {
        self.dropped_upcalls.get()
    }
    fn debug_timeslice_expiration_count(&self) -> usize {
        0
    }
    fn debug_timeslice_expired(&self) {}
    fn debug_syscall_called(&self, last_syscall: Syscall) {
        self.syscall_count.set(self.syscall_count.get() + 1);
        self.last_syscall.set(Some(last_syscall));
    }
    fn debug_syscall_last(&self) -> Option<Syscall> {
        self.last_syscall.get()
    }
}

fn task_matches(task: &Task, upcall_id: UpcallId) -> bool {
    match task {
        Task::FunctionCall(fc) => match fc.source {
            FunctionCallSource::Driver(id) => id == upcall_id,
            FunctionCallSource::Kernel => false,
        },
        Task::ReturnValue(rv) => rv.upcall_id == upcall_id,
        Task::IPC(_) => false,
    }
}


/// Driver lookup: a list of `(driver number, driver)`.
pub struct Drivers {
    pub list: Vec<(usize, &'static dyn SyscallDriver)>,
}

impl SyscallDriverLookup for Drivers {
    fn with_driver<F, R>(&self, driver_num: usize, f: F) -> R
    where
        F: FnOnce(Option<&dyn SyscallDriver>) -> R,
    {
        f(self
            .list
            .iter()
            .find(|(n, _)| *n == driver_num)
            .map(|(_, d)| *d))
    }
}

/// The platform resources handed to `kernel_loop_operation`.
pub struct Resources {
    pub drivers: Drivers,
    pub scheduler: &'static CooperativeSched<'static>,
}

impl KernelResources<FakeChip> for Resources {
    type SyscallDriverLookup = Drivers;
    type SyscallFilter = ();
    type ProcessFault = ();
    type ContextSwitchCallback = ();
    type Scheduler = CooperativeSched<'static>;
    type SchedulerTimer = ();
    type WatchDog = ();
    fn syscall_driver_lookup(&self) -> &Self::SyscallDriverLookup {
        &self.drivers
    }
    fn syscall_filter(&self) -> &Self::SyscallFilter {
        &()
    }
    fn process_fault(&self) -> &Self::ProcessFault {
        &()
    }
    fn context_switch_callback(&self) -> &Self::ContextSwitchCallback {
        &()
    }
    fn scheduler(&self) -> &Self::Scheduler {
        self.scheduler
    }
    fn scheduler_timer(&self) -> &Self::SchedulerTimer {
        &()
    }
    fn watchdog(&self) -> &Self::WatchDog {
        &()
    }
}

/// Kernel, processes and scheduler before the drivers are known.
pub struct Boot {
    pub kernel: &'static Kernel,
    pub procs: Vec<&'static FakeProcess>,
    scheduler: &'static CooperativeSched<'static>,
}

/// Creates a kernel with `n` fake processes.
pub fn boot(n: usize) -> Boot {
    let procs: Vec<&'static FakeProcess> = (0..n)
        .map(|i| FakeProcess::new(Box::leak(format!("app{i}").into_boxed_str()), i))
        .collect();
    let slots: &'static [Option<&'static dyn Process>] = Box::leak(
        procs
            .iter()
            .map(|p| Some(*p as &'static dyn Process))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(slots)));
    for p in &procs {
        p.kernel.set(Some(kernel));
    }
    let scheduler: &'static CooperativeSched<'static> =
        Box::leak(Box::new(CooperativeSched::new()));
    for slot in slots.iter() {
        let node: &'static CoopProcessNode<'static> =
            Box::leak(Box::new(CoopProcessNode::new(slot)));
        scheduler.processes.push_tail(node);
    }
    Boot {
        kernel,
        procs,
        scheduler,
    }
}

impl Boot {
    /// Finishes the platform with its syscall drivers.
    pub fn with_drivers(self, list: Vec<(usize, &'static dyn SyscallDriver)>) -> World {
        self.with_drivers_and_alarm(list, None)
    }

    /// Finishes the platform with its syscall drivers and an alarm whose
    /// expiry the chip reports as an interrupt.
    pub fn with_drivers_and_alarm(
        self,
        list: Vec<(usize, &'static dyn SyscallDriver)>,
        alarm: Option<&'static FakeAlarm>,
    ) -> World {
        World {
            kernel: self.kernel,
            procs: self.procs,
            resources: Resources {
                drivers: Drivers { list },
                scheduler: self.scheduler,
            },
            chip: FakeChip::new(alarm),
        }
    }
}

/// A running fake platform.
pub struct World {
    pub kernel: &'static Kernel,
    pub procs: Vec<&'static FakeProcess>,
    pub resources: Resources,
    pub chip: FakeChip,
}

impl World {
    /// Runs the kernel loop until no process is ready and no deferred call is
    /// pending (at most `limit` iterations, which a test would notice).
    pub fn run(&self) {
        for _ in 0..10_000 {
            let busy = self.procs.iter().any(|p| p.ready())
                || kernel::deferred_call::DeferredCall::has_tasks()
                || self.chip.has_pending_interrupts();
            if !busy {
                return;
            }
            self.kernel.kernel_loop_operation::<_, _, 0>(
                &self.resources,
                &self.chip,
                None,
                true,
                &cap(),
            );
        }
        panic!("kernel loop did not become idle");
    }

    /// Runs `syscalls` as process `p` and returns the return values, in
    /// order (one per syscall, yields excluded).
    pub fn syscalls(&self, p: usize, syscalls: Vec<Syscall>) -> Vec<SyscallReturn> {
        let proc = self.procs[p];
        proc.take_returns();
        proc.push(syscalls);
        self.run();
        proc.take_returns()
    }

    /// One syscall as process `p`; returns its return value.
    pub fn syscall(&self, p: usize, syscall: Syscall) -> SyscallReturn {
        let mut r = self.syscalls(p, vec![syscall]);
        assert_eq!(r.len(), 1, "expected one return value, got {r:?}");
        r.remove(0)
    }

    /// Advances the fake clock by `ms` milliseconds, one millisecond at a
    /// time, running the kernel loop after each step (so alarms fire as
    /// interrupts serviced by the kernel).
    pub fn advance_ms(&self, ms: u64) {
        let alarm = self.chip.alarm.expect("world has no alarm");
        for _ in 0..ms {
            alarm.now.set(alarm.now.get().wrapping_add(1));
            self.run();
        }
    }
}


/// `command(driver, num, a, b)`.
pub fn command(driver: usize, num: usize, a: usize, b: usize) -> Syscall {
    Syscall::Command {
        driver_number: driver,
        subdriver_number: num,
        arg0: a,
        arg1: b,
    }
}

/// Subscribe with a (fake, non-null) function pointer.
pub fn subscribe(driver: usize, num: usize) -> Syscall {
    Syscall::Subscribe {
        driver_number: driver,
        subdriver_number: num,
        upcall_ptr: CapabilityPtr::from(0x1000usize + num * 4),
        appdata: CapabilityPtr::from(0usize),
    }
}

/// Read-only allow of process RAM `[offset, offset+len)` (len 0 = unallow).
pub fn allow_ro(p: &FakeProcess, driver: usize, num: usize, offset: usize, len: usize) -> Syscall {
    Syscall::ReadOnlyAllow {
        driver_number: driver,
        subdriver_number: num,
        allow_address: if len == 0 {
            core::ptr::null()
        } else {
            p.ram_ptr(offset)
        },
        allow_size: len,
    }
}

/// Read-write allow of process RAM `[offset, offset+len)` (len 0 = unallow).
pub fn allow_rw(p: &FakeProcess, driver: usize, num: usize, offset: usize, len: usize) -> Syscall {
    Syscall::ReadWriteAllow {
        driver_number: driver,
        subdriver_number: num,
        allow_address: if len == 0 {
            core::ptr::null_mut()
        } else {
            p.ram_ptr(offset)
        },
        allow_size: len,
    }
}

/// `exit-terminate(code)`.
pub fn exit_terminate(code: usize) -> Syscall {
    Syscall::Exit {
        which: 0,
        completion_code: code,
    }
}

/// `exit-restart(code)`.
pub fn exit_restart(code: usize) -> Syscall {
    Syscall::Exit {
        which: 1,
        completion_code: code,
    }
}
