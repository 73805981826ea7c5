//! A fake Tock process: [`FakeProcess`] implements
//! `kernel::process::Process` without running machine code.
//!
//! * **System calls are scripted.** [`FakeProcess::push`] queues system
//!   calls; each time the kernel switches to the process, `switch_to` hands
//!   it the next one (`ContextSwitchReason::SyscallFired`), and a Yield-Wait
//!   once the script is empty. The kernel handles them exactly as it would a
//!   real process's.
//! * **What the kernel delivers is recorded.** Return values
//!   (`set_syscall_return_value`) and driver upcalls
//!   (`set_process_function`) are kept, oldest first, until taken with
//!   [`FakeProcess::take_return`] and [`FakeProcess::take_upcall`].
//! * **Memory comes from the caller** ([`ProcessMemory`]): the process RAM
//!   that allow buffers must lie in, the grant memory and the task queue's
//!   storage. A host test leaks boxes; a bare-metal firmware hands over
//!   static buffers. Nothing here allocates.
//! * **Grants** are a grant pointer table of [`GRANT_SLOTS`] entries, as in
//!   Tock's `ProcessStandard`: allocation bumps through the grant memory
//!   with the requested alignment, entering a grant is a table lookup and a
//!   flag, and [`FakeProcess::grant_entries`] counts the entries.
//! * **The task queue** is a `kernel::collections::ring_buffer::RingBuffer`,
//!   the type `ProcessStandard` uses, so that queueing an upcall costs what
//!   it costs in a real kernel.
//! * **Faults, exits and restarts** behave as in Tock: a faulted or
//!   terminated process loses its grants and its tasks and refuses new ones;
//!   a restart gives it a new identifier. Freed grant memory is overwritten
//!   with `0xA5`, so that a capsule that kept a pointer into it shows up.
//!
//! Not modelled: MPU, `brk`/`sbrk`, flash regions, custom grants, IPC,
//! command permissions (none are granted), storage permissions (none).

use core::cell::{Cell, RefCell};
use core::fmt::Write;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};

use kernel::capabilities;
use kernel::collections::queue::Queue;
use kernel::collections::ring_buffer::RingBuffer;
use kernel::platform::mpu;
use kernel::process::{
    self, BinaryVersion, Error as ProcessError, FunctionCall, FunctionCallSource, Process,
    ProcessAddresses, ProcessCustomGrantIdentifier, ProcessId, ProcessSizes, ReturnArguments,
    ShortId, State, Task,
};
use kernel::processbuffer::{ReadOnlyProcessBuffer, ReadWriteProcessBuffer};
use kernel::storage_permissions::StoragePermissions;
use kernel::syscall::{ContextSwitchReason, Syscall, SyscallReturn};
use kernel::upcall::UpcallId;
use kernel::utilities::capability_ptr::CapabilityPtr;
use kernel::utilities::cells::{MapCell, OptionalCell};
use kernel::{ErrorCode, Kernel};

use crate::Cap;

/// Grant numbers a fake process can hold (a kernel creates one grant per
/// capsule that needs per-process state).
pub const GRANT_SLOTS: usize = 32;
/// System calls [`FakeProcess::push`] can queue before the process runs.
pub const SCRIPT_LEN: usize = 16;
/// Return values kept until taken ([`FakeProcess::take_return`]).
pub const RETURN_LOG_LEN: usize = 16;
/// Upcalls kept until taken ([`FakeProcess::take_upcall`]).
pub const UPCALL_LOG_LEN: usize = 64;

/// A placeholder to fill the task queue's storage with before it is handed
/// to [`FakeProcess::new`] (`Task` has no default). It is never read: the
/// queue only returns what was queued.
pub const UNUSED_TASK: Task = Task::ReturnValue(ReturnArguments {
    upcall_id: UpcallId {
        driver_num: 0,
        subscribe_num: 0,
    },
    argument0: 0,
    argument1: 0,
    argument2: 0,
});

/// Identifiers of fake processes: unique in the program, as Tock's are in a
/// kernel (the first process created gets 1).
static NEXT_IDENTIFIER: AtomicUsize = AtomicUsize::new(1);

fn new_identifier() -> usize {
    NEXT_IDENTIFIER.fetch_add(1, Ordering::Relaxed)
}

/// The memory of a [`FakeProcess`], provided by its creator. It must live as
/// long as the program (the kernel holds processes as `'static`).
pub struct ProcessMemory {
    /// The process's RAM: allow buffers must lie inside it (as they must lie
    /// inside a real process's accessible memory).
    pub ram: &'static mut [u8],
    /// Grant memory. Each grant is placed at the next address with the
    /// alignment the kernel asks for, so the start of this buffer needs no
    /// particular alignment (only a few bytes may go unused).
    pub grants: &'static mut [u8],
    /// Storage of the task queue (fill it with [`UNUSED_TASK`]). As Tock's
    /// `RingBuffer`, it holds one task fewer than its length.
    pub tasks: &'static mut [Task],
}

/// One upcall the kernel delivered to a fake process (a driver's
/// `FunctionCall`, through `set_process_function`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The driver number the upcall was subscribed with.
    pub driver: usize,
    /// The subscribe number.
    pub subscribe: usize,
    /// The three arguments the process's function would be called with.
    pub args: (usize, usize, usize),
}

/// A first-in first-out queue of at most `N` values that counts what it had
/// no room for.
struct Fifo<T: Copy, const N: usize> {
    items: [Option<T>; N],
    head: usize,
    len: usize,
    lost: usize,
}

impl<T: Copy, const N: usize> Fifo<T, N> {
    fn new() -> Self {
        Fifo {
            items: [None; N],
            head: 0,
            len: 0,
            lost: 0,
        }
    }

    /// Appends `value`; false (and counted as lost) if full.
    fn push(&mut self, value: T) -> bool {
        if self.len == N {
            self.lost += 1;
            return false;
        }
        self.items[(self.head + self.len) % N] = Some(value);
        self.len += 1;
        true
    }

    fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let value = self.items[self.head].take();
        self.head = (self.head + 1) % N;
        self.len -= 1;
        value
    }

    fn clear(&mut self) {
        while self.pop().is_some() {}
    }
}

/// A fake Tock process: scripted system calls, recorded returns and
/// upcalls, a RAM buffer, a grant pointer table over a grant buffer and a
/// task queue (see the [module documentation](self)).
///
/// Create it with [`FakeProcess::new`], put it (as `&'static dyn Process`)
/// in the process table given to `Kernel::new`, then call
/// [`FakeProcess::attach`] with that kernel before anything else.
pub struct FakeProcess {
    name: &'static str,
    index: usize,
    kernel: OptionalCell<&'static Kernel>,
    identifier: Cell<usize>,
    state: Cell<State>,
    /// False once faulted or terminated (until restarted).
    alive: Cell<bool>,
    restarts: Cell<usize>,
    completion: Cell<Option<Option<u32>>>,
    tasks: MapCell<RingBuffer<'static, Task>>,
    dropped_upcalls: Cell<usize>,
    script: RefCell<Fifo<Syscall, SCRIPT_LEN>>,
    returns: RefCell<Fifo<SyscallReturn, RETURN_LOG_LEN>>,
    upcalls: RefCell<Fifo<Delivered, UPCALL_LOG_LEN>>,
    ram: *mut u8,
    ram_len: usize,
    grant_base: *mut u8,
    grant_len: usize,
    /// Bytes of grant memory handed out (from `grant_base`, with padding).
    grant_used: Cell<usize>,
    grant_limit: Cell<usize>,
    /// Per grant number: its memory (null: not allocated), like the grant
    /// pointer table of `ProcessStandard`.
    grant_ptrs: [Cell<*mut u8>; GRANT_SLOTS],
    /// Per grant number: the driver it belongs to.
    grant_drivers: [Cell<usize>; GRANT_SLOTS],
    /// Bit `n`: grant `n` is entered.
    entered: Cell<u32>,
    grant_entries: Cell<usize>,
    syscall_count: Cell<usize>,
    last_syscall: Cell<Option<Syscall>>,
}

impl FakeProcess {
    /// A running process named `name`, at `index` in the kernel's process
    /// table, with the given memory. It has a new identifier, no grants, no
    /// tasks and an empty script.
    pub fn new(name: &'static str, index: usize, memory: ProcessMemory) -> FakeProcess {
        FakeProcess {
            name,
            index,
            kernel: OptionalCell::empty(),
            identifier: Cell::new(new_identifier()),
            state: Cell::new(State::Running),
            alive: Cell::new(true),
            restarts: Cell::new(0),
            completion: Cell::new(None),
            tasks: MapCell::new(RingBuffer::new(memory.tasks)),
            dropped_upcalls: Cell::new(0),
            script: RefCell::new(Fifo::new()),
            returns: RefCell::new(Fifo::new()),
            upcalls: RefCell::new(Fifo::new()),
            ram: memory.ram.as_mut_ptr(),
            ram_len: memory.ram.len(),
            grant_base: memory.grants.as_mut_ptr(),
            grant_len: memory.grants.len(),
            grant_used: Cell::new(0),
            grant_limit: Cell::new(memory.grants.len()),
            grant_ptrs: core::array::from_fn(|_| Cell::new(core::ptr::null_mut())),
            grant_drivers: core::array::from_fn(|_| Cell::new(0)),
            entered: Cell::new(0),
            grant_entries: Cell::new(0),
            syscall_count: Cell::new(0),
            last_syscall: Cell::new(None),
        }
    }

    /// Links the process to the kernel whose process table holds it (its
    /// `ProcessId` names that kernel). Call it once, right after
    /// `Kernel::new`.
    pub fn attach(&self, kernel: &'static Kernel) {
        self.kernel.set(kernel);
    }

    /// Bytes of RAM the process has.
    pub fn ram_len(&self) -> usize {
        self.ram_len
    }

    /// Address of byte `offset` of the process's RAM (what an app passes to
    /// an allow).
    ///
    /// # Panics
    /// If `offset` is past the end of the RAM.
    pub fn ram_ptr(&self, offset: usize) -> *mut u8 {
        assert!(
            offset <= self.ram_len,
            "offset {offset} outside process RAM"
        );
        // SAFETY: `offset` is at most the length of the RAM buffer.
        unsafe { self.ram.add(offset) }
    }

    /// Copies `data` into the process's RAM at `offset` (what the app does
    /// before an allow).
    ///
    /// # Panics
    /// If `data` does not fit there.
    pub fn write_ram(&self, offset: usize, data: &[u8]) {
        self.check_ram_range(offset, data.len());
        // SAFETY: in bounds of the RAM buffer (checked). The kernel touches
        // that memory only through process buffers while a system call or
        // an upcall is handled, never while this runs (a single thread, no
        // interrupt handler uses it).
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.ram_ptr(offset), data.len()) }
    }

    /// Copies `out.len()` bytes of the process's RAM at `offset` into `out`
    /// (what the app reads after the kernel wrote an allowed buffer).
    ///
    /// # Panics
    /// If the range is not inside the RAM.
    pub fn read_ram(&self, offset: usize, out: &mut [u8]) {
        self.check_ram_range(offset, out.len());
        // SAFETY: as for `write_ram`.
        unsafe { core::ptr::copy_nonoverlapping(self.ram_ptr(offset), out.as_mut_ptr(), out.len()) }
    }

    fn check_ram_range(&self, offset: usize, len: usize) {
        assert!(
            offset
                .checked_add(len)
                .is_some_and(|end| end <= self.ram_len),
            "{len} bytes at {offset} outside process RAM ({} bytes)",
            self.ram_len
        );
    }

    /// Queues `syscall` for the process to make the next time it runs, after
    /// those queued before. A process waiting in Yield-Wait is woken (a real
    /// app would be woken by its own logic; here the caller decides when it
    /// continues). A dead process keeps its state (it does not run).
    ///
    /// # Panics
    /// If [`SCRIPT_LEN`] system calls are already queued.
    pub fn push(&self, syscall: Syscall) {
        assert!(
            self.script.borrow_mut().push(syscall),
            "fake process script full ({SCRIPT_LEN} system calls)"
        );
        if self.alive.get() && self.state.get() == State::Yielded {
            self.state.set(State::Running);
        }
    }

    /// The oldest return value the kernel delivered and nobody took yet
    /// (`None`: none left). At most [`RETURN_LOG_LEN`] are kept; see
    /// [`FakeProcess::lost_records`].
    pub fn take_return(&self) -> Option<SyscallReturn> {
        self.returns.borrow_mut().pop()
    }

    /// The oldest driver upcall the kernel delivered and nobody took yet
    /// (`None`: none left). At most [`UPCALL_LOG_LEN`] are kept; see
    /// [`FakeProcess::lost_records`].
    pub fn take_upcall(&self) -> Option<Delivered> {
        self.upcalls.borrow_mut().pop()
    }

    /// How many return values and upcalls were not recorded because their
    /// log was full (a test that relies on them should check this is 0).
    pub fn lost_records(&self) -> usize {
        self.returns.borrow().lost + self.upcalls.borrow().lost
    }

    /// Removes every queued task without delivering it (what the app's
    /// yields would consume) and returns how many there were.
    pub fn drain_tasks(&self) -> usize {
        self.tasks.map_or(0, |t| {
            let n = t.len();
            t.empty();
            n
        })
    }

    /// Bytes of grant memory currently allocated (alignment padding
    /// included).
    pub fn grant_bytes_used(&self) -> usize {
        self.grant_used.get()
    }

    /// Limits the grant memory to `bytes` (at most what the process has), to
    /// make grant allocation fail.
    pub fn set_grant_limit(&self, bytes: usize) {
        self.grant_limit.set(bytes.min(self.grant_len));
    }

    /// How many times any grant of this process was entered.
    pub fn grant_entries(&self) -> usize {
        self.grant_entries.get()
    }

    /// How many upcalls the kernel could not queue (the task queue was
    /// full).
    pub fn dropped_upcalls(&self) -> usize {
        self.dropped_upcalls.get()
    }

    /// How many tasks are queued.
    pub fn queued_tasks(&self) -> usize {
        self.pending_tasks()
    }

    /// Whether the process is alive (not faulted or terminated).
    pub fn is_alive(&self) -> bool {
        self.alive.get()
    }

    /// Restarts the process as Tock does after a fault or an exit-restart:
    /// grants, tasks and script are dropped, and it runs again with a new
    /// identifier (so `ProcessId`s of its previous life no longer match).
    pub fn restart(&self) {
        self.free_all();
        self.identifier.set(new_identifier());
        self.restarts.set(self.restarts.get() + 1);
        self.alive.set(true);
        self.state.set(State::Running);
    }

    /// Drops grants, tasks and script, and poisons the grant memory.
    fn free_all(&self) {
        for p in &self.grant_ptrs {
            p.set(core::ptr::null_mut());
        }
        self.entered.set(0);
        self.grant_used.set(0);
        self.tasks.map(|t| t.empty());
        self.script.borrow_mut().clear();
        // SAFETY: within the grant buffer, which no grant references any
        // more (the table was just cleared, and the kernel enters grants
        // only through it).
        unsafe { core::ptr::write_bytes(self.grant_base, 0xA5, self.grant_len) };
    }

    /// Whether the process may share `size` bytes at `addr` with the kernel
    /// (an allow): it must be alive, and a non-empty buffer must lie inside
    /// its RAM.
    fn check_allow(&self, addr: *const u8, size: usize) -> Result<(), ErrorCode> {
        if !self.alive.get() {
            return Err(ErrorCode::FAIL);
        }
        if size != 0 && !self.in_ram(addr as usize, size) {
            return Err(ErrorCode::INVAL);
        }
        Ok(())
    }

    fn in_ram(&self, addr: usize, size: usize) -> bool {
        let start = self.ram as usize;
        match addr.checked_add(size) {
            Some(end) => addr >= start && end <= start + self.ram_len,
            None => false,
        }
    }

    /// Faulted or terminated: everything is freed and it no longer runs.
    fn dies(&self, state: State) {
        self.free_all();
        self.alive.set(false);
        self.state.set(state);
    }
}

/// True if `task` is an upcall (or a return value) for `upcall_id`.
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

impl Process for FakeProcess {
    fn processid(&self) -> ProcessId {
        match self.kernel.get() {
            Some(kernel) => {
                ProcessId::new_external(kernel, self.identifier.get(), self.index, &Cap)
            }
            None => panic!("fake process {} used before `attach`", self.name),
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
        self.restarts.get()
    }
    fn get_process_name(&self) -> &'static str {
        self.name
    }
    fn has_tasks(&self) -> bool {
        self.tasks.map_or(false, |t| t.has_elements())
    }
    fn pending_tasks(&self) -> usize {
        self.tasks.map_or(0, |t| t.len())
    }
    fn enqueue_task(&self, task: Task) -> Result<(), ErrorCode> {
        if !self.alive.get() {
            return Err(ErrorCode::NODEVICE);
        }
        self.tasks.map_or(Err(ErrorCode::FAIL), |t| {
            if t.enqueue(task) {
                Ok(())
            } else {
                self.dropped_upcalls.set(self.dropped_upcalls.get() + 1);
                Err(ErrorCode::NOMEM)
            }
        })
    }
    fn dequeue_task(&self) -> Option<Task> {
        self.tasks.map_or(None, |t| t.dequeue())
    }
    fn remove_upcall(&self, upcall_id: UpcallId) -> Option<Task> {
        self.tasks.map_or(None, |t| {
            t.remove_first_matching(|task| task_matches(task, upcall_id))
        })
    }
    fn remove_pending_upcalls(&self, upcall_id: UpcallId) -> usize {
        self.tasks.map_or(0, |t| {
            let before = t.len();
            t.retain(|task| !task_matches(task, upcall_id));
            before - t.len()
        })
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
        self.dies(State::Faulted);
    }
    fn start(&self, _cap: &dyn capabilities::ProcessStartCapability) {}
    fn try_restart(&self, completion_code: Option<u32>) {
        self.completion.set(Some(completion_code));
        self.restart();
    }
    fn terminate(&self, completion_code: Option<u32>) {
        self.completion.set(Some(completion_code));
        self.dies(State::Terminated);
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
    // The signature is Tock's; the pointer is only dereferenced once checked
    // to lie inside this process's RAM.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn build_readwrite_process_buffer(
        &self,
        buf_start_addr: *mut u8,
        size: usize,
    ) -> Result<ReadWriteProcessBuffer, ErrorCode> {
        self.check_allow(buf_start_addr, size)?;
        // SAFETY: the range lies inside this process's RAM buffer (or is
        // empty), which lives for the rest of the program.
        Ok(unsafe {
            ReadWriteProcessBuffer::new_external(buf_start_addr, size, self.processid(), &Cap)
        })
    }
    // As above.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn build_readonly_process_buffer(
        &self,
        buf_start_addr: *const u8,
        size: usize,
    ) -> Result<ReadOnlyProcessBuffer, ErrorCode> {
        self.check_allow(buf_start_addr, size)?;
        // SAFETY: as above.
        Ok(unsafe {
            ReadOnlyProcessBuffer::new_external(buf_start_addr, size, self.processid(), &Cap)
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
        if end > base + self.grant_limit.get() {
            return Err(());
        }
        self.grant_used.set(end - base);
        ptr.set(start as *mut u8);
        driver.set(driver_num);
        Ok(())
    }
    fn grant_is_allocated(&self, grant_num: usize) -> Option<bool> {
        if !self.alive.get() {
            return None;
        }
        self.grant_ptrs.get(grant_num).map(|p| !p.get().is_null())
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
        self.grant_entries.set(self.grant_entries.get() + 1);
        Ok(ptr)
    }
    fn enter_custom_grant(
        &self,
        _identifier: ProcessCustomGrantIdentifier,
    ) -> Result<*mut u8, ProcessError> {
        Err(ProcessError::OutOfMemory)
    }
    unsafe fn leave_grant(&self, grant_num: usize) {
        if grant_num < GRANT_SLOTS {
            self.entered.set(self.entered.get() & !(1u32 << grant_num));
        }
    }
    fn grant_allocated_count(&self) -> Option<usize> {
        if !self.alive.get() {
            return None;
        }
        Some(
            self.grant_ptrs
                .iter()
                .filter(|p| !p.get().is_null())
                .count(),
        )
    }
    fn lookup_grant_from_driver_num(&self, driver_num: usize) -> Result<usize, ProcessError> {
        if !self.alive.get() {
            return Err(ProcessError::NoSuchApp);
        }
        (0..GRANT_SLOTS)
            .find(|&n| {
                !self.grant_ptrs[n].get().is_null() && self.grant_drivers[n].get() == driver_num
            })
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
            self.upcalls.borrow_mut().push(Delivered {
                driver: id.driver_num,
                subscribe: id.subscribe_num,
                args: (callback.argument0, callback.argument1, callback.argument2),
            });
        }
        self.state.set(State::Running);
    }
    fn switch_to(&self) -> Option<ContextSwitchReason> {
        let next = self.script.borrow_mut().pop();
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
            sram_app_brk: self.ram as usize + self.ram_len,
            sram_grant_start: self.grant_base as usize,
            sram_end: self.grant_base as usize + self.grant_len,
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
