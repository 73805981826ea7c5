//! A minimal bare-metal Tock platform for measuring the capsule's hook path:
//! one fake process, a scheduler that runs that process and a silent
//! console; the chip (without MPU or interrupts), the alarm and the
//! capabilities come from `femto-fake-tock`.
//!
//! It is the `no_std` counterpart of the host test harness
//! (`capsule/tests/harness`): the process does not run machine code; its
//! `switch_to` hands the kernel the next scripted syscall, so that the
//! container is loaded and attached through the real syscall path
//! (`allow`, `command` handled by `Kernel::kernel_loop_operation` and the
//! capsule's `SyscallDriver`). The measured code — the capsule's
//! `FemtoHooks::fire` — then enters the process's grant through the kernel's
//! `Grant` API, which calls this process's `enter_grant` / `leave_grant`
//! (a table lookup and a flag, as `ProcessStandard` does) and queues the
//! result upcall in a `kernel::collections::ring_buffer::RingBuffer` (the
//! task queue type `ProcessStandard` uses).
use core::cell::Cell;
use core::fmt::Write;
use core::ptr::NonNull;

use kernel::collections::queue::Queue;
use kernel::collections::ring_buffer::RingBuffer;
use kernel::platform::mpu;
use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::process::StoppedExecutingReason;
use kernel::process::{
    self, BinaryVersion, Error as ProcessError, FunctionCall, Process, ProcessAddresses,
    ProcessCustomGrantIdentifier, ProcessId, ProcessSizes, ShortId, State, Task,
};
use kernel::processbuffer::{ReadOnlyProcessBuffer, ReadWriteProcessBuffer};
use kernel::scheduler::{Scheduler, SchedulingDecision};
use kernel::storage_permissions::StoragePermissions;
use kernel::syscall::{
    ContextSwitchReason, Syscall, SyscallDriver, SyscallReturn,
};
use kernel::upcall::UpcallId;
use kernel::utilities::capability_ptr::CapabilityPtr;
use kernel::utilities::cells::{MapCell, OptionalCell};
use kernel::{capabilities, ErrorCode, Kernel};

/// Bytes of process RAM (where the process's allow buffers live).
pub const PROCESS_RAM: usize = 1024;
/// Bytes of grant memory.
pub const GRANT_ARENA: usize = 4096;
/// Grant numbers the fake process can hold.
const GRANTS: usize = 4;
/// Length of the task queue (Tock's default).
const TASKS: usize = 10;

/// Process RAM, 8-byte aligned.
#[repr(C, align(8))]
pub struct Ram(pub [u8; PROCESS_RAM]);
/// Grant memory, 16-byte aligned.
#[repr(C, align(16))]
pub struct Arena(pub [u8; GRANT_ARENA]);

/// The capabilities a board's main holds, the chip (no MPU; no interrupts
/// here) and the alarm: shared with the capsule's host test harness
/// (`femto-fake-tock`).
pub use femto_fake_tock::{Cap as BoardCap, FakeChip};
/// The alarm the capsule is built with (it never fires in the benchmark).
pub type FakeAlarm = femto_fake_tock::FakeAlarm<'static>;

/// A fake Tock process: scripted syscalls, a RAM array, a grant arena.
pub struct FakeProcess {
    kernel: OptionalCell<&'static Kernel>,
    state: Cell<State>,
    tasks: MapCell<RingBuffer<'static, Task>>,
    script: Cell<Option<Syscall>>,
    last_return: Cell<Option<SyscallReturn>>,
    ram: *mut u8,
    grant_base: *mut u8,
    grant_used: Cell<usize>,
    /// Per grant number: its memory (null: not allocated), like the grant
    /// pointer table of `ProcessStandard`.
    grant_ptrs: [Cell<*mut u8>; GRANTS],
    /// Per grant number: the driver it belongs to.
    grant_drivers: [Cell<usize>; GRANTS],
    /// Bit `n`: grant `n` is entered.
    entered: Cell<u32>,
}

impl FakeProcess {
    /// A process with the given RAM, grant arena and task queue storage.
    pub fn new(
        ram: &'static mut Ram,
        arena: &'static mut Arena,
        tasks: &'static mut [Task; TASKS],
    ) -> FakeProcess {
        FakeProcess {
            kernel: OptionalCell::empty(),
            state: Cell::new(State::Running),
            tasks: MapCell::new(RingBuffer::new(tasks)),
            script: Cell::new(None),
            last_return: Cell::new(None),
            ram: ram.0.as_mut_ptr(),
            grant_base: arena.0.as_mut_ptr(),
            grant_used: Cell::new(0),
            grant_ptrs: core::array::from_fn(|_| Cell::new(core::ptr::null_mut())),
            grant_drivers: Default::default(),
            entered: Cell::new(0),
        }
    }

    /// Address of byte `offset` of the process's RAM (`offset` ≤ its size).
    pub fn ram_ptr(&self, offset: usize) -> *mut u8 {
        let offset = offset.min(PROCESS_RAM);
        // SAFETY: `offset` is at most the length of the RAM array.
        unsafe { self.ram.add(offset) }
    }

    /// Copies `data` into the process's RAM at `offset` (what the app does
    /// before an allow). Returns false if it does not fit.
    pub fn write_ram(&self, offset: usize, data: &[u8]) -> bool {
        match offset.checked_add(data.len()) {
            Some(end) if end <= PROCESS_RAM => {
                // SAFETY: in bounds of the RAM array; the kernel accesses it
                // only through process buffers while a syscall runs, never
                // concurrently with this call (single core, no interrupts).
                unsafe {
                    core::ptr::copy_nonoverlapping(data.as_ptr(), self.ram_ptr(offset), data.len())
                };
                true
            }
            _ => false,
        }
    }

    /// Queues one syscall for the next time the process runs.
    pub fn push(&self, syscall: Syscall) {
        self.script.set(Some(syscall));
        self.state.set(State::Running);
    }

    /// The return value of the last syscall.
    pub fn take_return(&self) -> Option<SyscallReturn> {
        self.last_return.take()
    }

    /// Drops every queued task (what the app's yield would consume).
    pub fn drain_tasks(&self) -> usize {
        self.tasks.map_or(0, |t| {
            let mut n = 0;
            while t.dequeue().is_some() {
                n += 1;
            }
            n
        })
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
        match self.kernel.get() {
            Some(kernel) => ProcessId::new_external(kernel, 1, 0, &BoardCap),
            None => crate::fail("fake process used before the kernel exists"),
        }
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
        0
    }
    fn get_process_name(&self) -> &'static str {
        "bench"
    }
    fn has_tasks(&self) -> bool {
        self.tasks.map_or(false, |t| t.has_elements())
    }
    fn pending_tasks(&self) -> usize {
        self.tasks.map_or(0, |t| t.len())
    }
    fn enqueue_task(&self, task: Task) -> Result<(), ErrorCode> {
        if !self.is_running() {
            return Err(ErrorCode::NODEVICE);
        }
        self.tasks.map_or(Err(ErrorCode::FAIL), |t| {
            if t.enqueue(task) {
                Ok(())
            } else {
                Err(ErrorCode::NOMEM)
            }
        })
    }
    fn dequeue_task(&self) -> Option<Task> {
        self.tasks.map_or(None, |t| t.dequeue())
    }
    fn remove_upcall(&self, _upcall_id: UpcallId) -> Option<Task> {
        None
    }
    fn remove_pending_upcalls(&self, _upcall_id: UpcallId) -> usize {
        0
    }
    fn get_state(&self) -> State {
        self.state.get()
    }
    fn ready(&self) -> bool {
        self.state.get() == State::Running
    }
    fn is_running(&self) -> bool {
        true
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
        crate::fail("the fake process faulted")
    }
    fn start(&self, _cap: &dyn capabilities::ProcessStartCapability) {}
    fn try_restart(&self, _completion_code: Option<u32>) {
        crate::fail("the fake process restarted")
    }
    fn terminate(&self, _completion_code: Option<u32>) {
        crate::fail("the fake process terminated")
    }
    fn get_completion_code(&self) -> Option<Option<u32>> {
        None
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
        if size != 0 && !self.in_ram(buf_start_addr as usize, size) {
            return Err(ErrorCode::INVAL);
        }
        // SAFETY: the range lies inside this process's static RAM array (or
        // is empty), which lives for the whole run.
        Ok(unsafe {
            ReadWriteProcessBuffer::new_external(buf_start_addr, size, self.processid(), &BoardCap)
        })
    }
    fn build_readonly_process_buffer(
        &self,
        buf_start_addr: *const u8,
        size: usize,
    ) -> Result<ReadOnlyProcessBuffer, ErrorCode> {
        if size != 0 && !self.in_ram(buf_start_addr as usize, size) {
            return Err(ErrorCode::INVAL);
        }
        // SAFETY: as above.
        Ok(unsafe {
            ReadOnlyProcessBuffer::new_external(buf_start_addr, size, self.processid(), &BoardCap)
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
        let (Some(ptr), Some(driver)) = (
            self.grant_ptrs.get(grant_num),
            self.grant_drivers.get(grant_num),
        ) else {
            return Err(());
        };
        if !ptr.get().is_null() {
            return Err(());
        }
        let base = self.grant_base as usize;
        let start = (base + self.grant_used.get()).next_multiple_of(align.max(1));
        let end = start.checked_add(size).ok_or(())?;
        if end > base + GRANT_ARENA {
            return Err(());
        }
        self.grant_used.set(end - base);
        ptr.set(start as *mut u8);
        driver.set(driver_num);
        Ok(())
    }
    fn grant_is_allocated(&self, grant_num: usize) -> Option<bool> {
        Some(
            self.grant_ptrs
                .get(grant_num)
                .is_some_and(|p| !p.get().is_null()),
        )
    }
    fn allocate_custom_grant(
        &self,
        _size: usize,
        _align: usize,
    ) -> Result<(ProcessCustomGrantIdentifier, NonNull<u8>), ()> {
        Err(())
    }
    fn enter_grant(&self, grant_num: usize) -> Result<NonNull<u8>, ProcessError> {
        let ptr = self
            .grant_ptrs
            .get(grant_num)
            .and_then(|p| NonNull::new(p.get()))
            .ok_or(ProcessError::OutOfMemory)?;
        let bit = 1u32 << grant_num;
        if self.entered.get() & bit != 0 {
            return Err(ProcessError::AlreadyInUse);
        }
        self.entered.set(self.entered.get() | bit);
        Ok(ptr)
    }
    fn enter_custom_grant(
        &self,
        _identifier: ProcessCustomGrantIdentifier,
    ) -> Result<*mut u8, ProcessError> {
        Err(ProcessError::OutOfMemory)
    }
    unsafe fn leave_grant(&self, grant_num: usize) {
        if grant_num < GRANTS {
            self.entered.set(self.entered.get() & !(1u32 << grant_num));
        }
    }
    fn grant_allocated_count(&self) -> Option<usize> {
        Some(
            self.grant_ptrs
                .iter()
                .filter(|p| !p.get().is_null())
                .count(),
        )
    }
    fn lookup_grant_from_driver_num(&self, driver_num: usize) -> Result<usize, ProcessError> {
        (0..GRANTS)
            .find(|&n| {
                self.grant_is_allocated(n) == Some(true)
                    && self
                        .grant_drivers
                        .get(n)
                        .is_some_and(|d| d.get() == driver_num)
            })
            .ok_or(ProcessError::OutOfMemory)
    }
    fn is_valid_upcall_function_pointer(&self, _upcall_fn: *const ()) -> bool {
        true
    }
    fn set_syscall_return_value(&self, return_value: SyscallReturn) {
        self.last_return.set(Some(return_value));
    }
    fn set_process_function(&self, _callback: FunctionCall) {
        self.state.set(State::Running);
    }
    fn switch_to(&self) -> Option<ContextSwitchReason> {
        let syscall = self.script.take().unwrap_or(Syscall::Yield {
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
        let _ = writeln!(writer, "fake process");
    }
    fn debug_syscall_count(&self) -> usize {
        0
    }
    fn debug_dropped_upcall_count(&self) -> usize {
        0
    }
    fn debug_timeslice_expiration_count(&self) -> usize {
        0
    }
    fn debug_timeslice_expired(&self) {}
    fn debug_syscall_called(&self, _last_syscall: Syscall) {}
    fn debug_syscall_last(&self) -> Option<Syscall> {
        None
    }
}

/// Runs the one process whenever it is ready.
pub struct OneProcess {
    /// The process.
    pub process: &'static FakeProcess,
}

impl Scheduler<FakeChip> for OneProcess {
    fn next(&self) -> SchedulingDecision {
        if self.process.ready() {
            SchedulingDecision::RunProcess((self.process.processid(), None))
        } else {
            SchedulingDecision::TrySleep
        }
    }
    fn result(&self, _result: StoppedExecutingReason, _execution_time_us: Option<u32>) {}
}

/// The platform resources: one syscall driver and the scheduler.
pub struct Resources {
    /// Driver number and driver.
    pub driver: (usize, &'static dyn SyscallDriver),
    /// The scheduler.
    pub scheduler: OneProcess,
}

impl SyscallDriverLookup for Resources {
    fn with_driver<F, R>(&self, driver_num: usize, f: F) -> R
    where
        F: FnOnce(Option<&dyn SyscallDriver>) -> R,
    {
        f((self.driver.0 == driver_num).then_some(self.driver.1))
    }
}

impl KernelResources<FakeChip> for Resources {
    type SyscallDriverLookup = Self;
    type SyscallFilter = ();
    type ProcessFault = ();
    type ContextSwitchCallback = ();
    type Scheduler = OneProcess;
    type SchedulerTimer = ();
    type WatchDog = ();
    fn syscall_driver_lookup(&self) -> &Self::SyscallDriverLookup {
        self
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
        &self.scheduler
    }
    fn scheduler_timer(&self) -> &Self::SchedulerTimer {
        &()
    }
    fn watchdog(&self) -> &Self::WatchDog {
        &()
    }
}

/// Ties the kernel, the process and the resources together.
pub struct Platform {
    /// The kernel.
    pub kernel: &'static Kernel,
    /// The process.
    pub process: &'static FakeProcess,
    /// Drivers and scheduler.
    pub resources: &'static Resources,
    /// The chip.
    pub chip: FakeChip,
}

impl Platform {
    /// Runs `syscall` as the process through the kernel loop and returns
    /// its return value.
    pub fn syscall(&self, syscall: Syscall) -> Option<SyscallReturn> {
        self.process.push(syscall);
        // The syscall, then the Yield-Wait that ends the process's turn.
        for _ in 0..8 {
            if !self.process.ready() && !kernel::deferred_call::DeferredCall::has_tasks() {
                break;
            }
            self.kernel.kernel_loop_operation::<_, _, 0>(
                self.resources,
                &self.chip,
                None,
                true,
                &BoardCap,
            );
        }
        self.process.take_return()
    }
}

/// Links the process to the kernel (after `Kernel::new`).
pub fn attach_kernel(process: &FakeProcess, kernel: &'static Kernel) {
    process.kernel.set(kernel);
}

/// Discards container output (the trivial container prints nothing).
pub struct NullConsole;

impl capsules_femto::console::Console for NullConsole {
    fn write_line(&self, _id: u16, _line: &[u8]) {}
}
